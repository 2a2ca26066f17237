//! The interactive wizard's user interface: the prompts (`wizard`), the full-screen ratatui
//! screens (`screens`: review, dashboard, failure panel, report) with their state machine, what
//! the screens show built from the plan and state (`plan_view`), and the terminal session that
//! runs them (`terminal`). Screens draw from state and never change it; the state changes only
//! through events.
pub mod plan_view;
pub mod review_changes;
pub mod screens;
pub mod section;
pub mod terminal;
pub mod wizard;
