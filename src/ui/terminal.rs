//! The full-screen session: raw mode and the alternate screen (restored on every exit path,
//! including a panic, by ratatui's hook and a drop guard), the draw/input loop, and the
//! translation of the run's progress events into screen events.
//!
//! Input is polled on the loop's own thread, so no reader is left behind to steal keys from the
//! prompts when the wizard goes back to a section.
//!
//! The loop itself ([`drive`]) is generic over the ratatui backend and the input source, so a
//! test runs it on a `TestBackend` with scripted keys; [`run`] gives it the real terminal.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::screens::{self, App, Effect, Event, KeyInput, StepOutcome, Theme};
use crate::output::progress::ProgressEvent;

/// How often the screen is redrawn while nothing happens (the running steps' clocks move).
const FRAME: Duration = Duration::from_millis(100);

/// Restores the terminal when dropped.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Where a session's events come from.
pub struct Feeds<'a> {
    /// The run's progress (steps, operations, log lines).
    pub progress: &'a Receiver<ProgressEvent>,
    /// Screen events from the caller: the run's end (report or failure). Dropping the sender
    /// closes the screens.
    pub screen: &'a Receiver<Event>,
}

/// Where the loop's input comes from: the terminal, or a test's script.
pub trait Input {
    /// The next input event, waiting up to `timeout`; `None` when there was none.
    fn next(&mut self, timeout: Duration) -> Result<Option<TermEvent>, String>;
}

/// The real terminal's input (crossterm).
pub struct TerminalInput;

impl Input for TerminalInput {
    fn next(&mut self, timeout: Duration) -> Result<Option<TermEvent>, String> {
        if !event::poll(timeout).map_err(|e| format!("cannot read the terminal: {e}"))? {
            return Ok(None);
        }
        event::read()
            .map(Some)
            .map_err(|e| format!("cannot read the terminal: {e}"))
    }
}

/// Shows the screens on the terminal until an effect handler returns `true` (leave). Effects
/// are passed to `on_effect` as they happen. The terminal is restored before this returns.
pub fn run(
    app: &mut App,
    theme: Theme,
    feeds: &Feeds<'_>,
    on_effect: impl FnMut(&Effect) -> bool,
) -> Result<(), String> {
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot open the full-screen view: {e}"))?;
    let _restore = Restore;
    drive(&mut terminal, &mut TerminalInput, app, theme, feeds, on_effect)
}

/// The loop: drain the run's events into the app, draw, read one input, hand its effects to
/// `on_effect`; until `on_effect` says leave or the caller closes the screen feed.
pub fn drive<B: Backend>(
    terminal: &mut Terminal<B>,
    input: &mut impl Input,
    app: &mut App,
    theme: Theme,
    feeds: &Feeds<'_>,
    mut on_effect: impl FnMut(&Effect) -> bool,
) -> Result<(), String> {
    if let Ok(size) = terminal.size() {
        app.handle(Event::Resize(size.width, size.height));
    }
    let mut last = Instant::now();
    loop {
        for progress in feeds.progress.try_iter() {
            for e in translate(progress) {
                app.handle(e);
            }
        }
        loop {
            match feeds.screen.try_recv() {
                Ok(e) => {
                    app.handle(e);
                }
                Err(TryRecvError::Empty) => break,
                // The caller closed the screens (a stopped run, or one without a report).
                Err(TryRecvError::Disconnected) => return Ok(()),
            }
        }
        let now = Instant::now();
        app.handle(Event::Tick(now - last));
        last = now;
        terminal
            .draw(|frame| screens::draw(frame, app, &theme))
            .map_err(|e| format!("cannot draw: {e}"))?;
        let input = match input.next(FRAME)? {
            Some(TermEvent::Key(key)) => key_input(key).map(Event::Key),
            Some(TermEvent::Resize(w, h)) => Some(Event::Resize(w, h)),
            _ => None,
        };
        let Some(input) = input else { continue };
        for effect in app.handle(input) {
            if on_effect(&effect) {
                return Ok(());
            }
        }
    }
}

/// The screens' key for a terminal key press (releases and repeats are ignored).
pub fn key_input(key: KeyEvent) -> Option<KeyInput> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(KeyInput::CtrlC),
        KeyCode::Char(c) => Some(KeyInput::Char(c)),
        KeyCode::Up => Some(KeyInput::Up),
        KeyCode::Down => Some(KeyInput::Down),
        KeyCode::Enter => Some(KeyInput::Enter),
        KeyCode::Esc => Some(KeyInput::Esc),
        _ => None,
    }
}

/// The screen events of one progress event.
pub fn translate(progress: ProgressEvent) -> Vec<Event> {
    match progress {
        ProgressEvent::Line { clock, step, message } => {
            vec![Event::Log(format!("{clock} {step}: {message}"))]
        }
        ProgressEvent::StepStarted { step } => vec![Event::StepStarted {
            id: step,
            operation: None,
        }],
        ProgressEvent::Operation { step, operation } => vec![Event::StepOperation { id: step, operation }],
        ProgressEvent::StepFinished { step, error, .. } => vec![Event::StepFinished {
            id: step,
            outcome: if error.is_none() {
                StepOutcome::Done
            } else {
                StepOutcome::Failed
            },
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_screen_keys() {
        let press = |code, modifiers| KeyEvent::new(code, modifiers);
        assert_eq!(
            key_input(press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(KeyInput::CtrlC)
        );
        assert_eq!(
            key_input(press(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(KeyInput::Char('q'))
        );
        assert_eq!(
            key_input(press(KeyCode::Up, KeyModifiers::NONE)),
            Some(KeyInput::Up)
        );
        assert_eq!(key_input(press(KeyCode::Tab, KeyModifiers::NONE)), None);
        let mut release = press(KeyCode::Enter, KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(key_input(release), None);
    }

    #[test]
    fn progress_events_drive_the_dashboard() {
        let mut app = App::dashboard("demo", vec![screens::StepView::pending("iam-role", &[])]);
        let events = [
            ProgressEvent::StepStarted {
                step: "iam-role".into(),
            },
            ProgressEvent::Operation {
                step: "iam-role".into(),
                operation: "CreateRole".into(),
            },
        ];
        for e in events.into_iter().flat_map(translate) {
            app.handle(e);
        }
        assert_eq!(app.steps[0].status, screens::StepStatus::Running);
        assert_eq!(app.steps[0].operation.as_deref(), Some("CreateRole"));
        for e in translate(ProgressEvent::StepFinished {
            step: "iam-role".into(),
            duration: Duration::from_secs(1),
            calls: 2,
            error: Some("AccessDenied".into()),
        }) {
            app.handle(e);
        }
        assert_eq!(app.steps[0].status, screens::StepStatus::Failed);
        for e in translate(ProgressEvent::Line {
            clock: "12:00:00".into(),
            step: "iam-role".into(),
            message: "started".into(),
        }) {
            app.handle(e);
        }
        assert_eq!(
            app.log.back().map(String::as_str),
            Some("12:00:00 iam-role: started")
        );
    }
}
