//! The wizard's full-screen screens: review (the plan before anything is created), the deploy
//! dashboard, the failure panel and the verification report.
//!
//! Three parts, none of which does terminal I/O:
//! - `views`: the plain data the caller builds for the screens (plan items, steps, failure, report);
//! - `state`: `App`, a pure state machine — `App::handle(event) -> Vec<Effect>` — that owns which
//!   screen is shown, the step statuses, the bounded log and the toggles;
//! - `draw`: `draw(frame, &app, &theme)`, which renders the state and can never change it.
//!
//! `Theme::from_env` takes the `NO_COLOR` value so colour can be switched off without reading the
//! environment here; without colour the screens use only bold/reversed/dim and text symbols.

mod draw;
pub mod state;
pub mod theme;
pub mod views;

pub use draw::draw;
pub use state::{App, Effect, Event, KeyInput, ReviewState, Screen};
pub use theme::Theme;
pub use views::{Action, FailureView, ReportView, ReviewItem, ReviewView, StepOutcome, StepStatus, StepView};
