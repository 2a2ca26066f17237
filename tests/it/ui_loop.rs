//! The terminal loop itself, on a `TestBackend` with scripted keys: the review is confirmed, the
//! run's progress moves the dashboard, its report replaces it, and `q` leaves. Also: going back
//! to a section from the review, and a safe stop from the dashboard.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use sre_agent_deploy::output::progress::ProgressEvent;
use sre_agent_deploy::ui::screens::{App, Effect, Event, Screen, StepStatus, Theme};
use sre_agent_deploy::ui::section::Section;
use sre_agent_deploy::ui::terminal::{Feeds, Input, drive};

use crate::ui_screens::{report, review_view, steps, text};

/// Keys from a script: `None` is a frame with no key. The loop must end before the script does.
struct Script(VecDeque<Option<KeyCode>>);

impl Input for Script {
    fn next(&mut self, _timeout: Duration) -> Result<Option<TermEvent>, String> {
        let step = self
            .0
            .pop_front()
            .ok_or("the script ran out before the screens ended")?;
        Ok(step.map(|code| TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))))
    }
}

fn script(keys: &[Option<KeyCode>]) -> Script {
    Script(keys.iter().copied().collect())
}

fn terminal() -> Terminal<TestBackend> {
    match Terminal::new(TestBackend::new(120, 40)) {
        Ok(terminal) => terminal,
        Err(e) => match e {},
    }
}

fn finished(step: &str) -> ProgressEvent {
    ProgressEvent::StepFinished {
        step: step.into(),
        duration: Duration::from_millis(900),
        calls: 2,
        error: None,
    }
}

#[test]
fn review_then_dashboard_then_report_then_quit() {
    let (progress_tx, progress_rx) = mpsc::channel();
    let (screen_tx, screen_rx) = mpsc::channel();
    let feeds = Feeds {
        progress: &progress_rx,
        screen: &screen_rx,
    };
    let mut app = App::new(review_view(), steps());
    let mut terminal = terminal();
    // Enter on Deploy confirms; two idle frames show the run; q leaves the report.
    let mut input = script(&[Some(KeyCode::Enter), None, None, Some(KeyCode::Char('q'))]);
    let mut effects = Vec::new();
    drive(
        &mut terminal,
        &mut input,
        &mut app,
        Theme { color: false },
        &feeds,
        |effect| {
            effects.push(effect.clone());
            match effect {
                Effect::Confirm => {
                    // The run starts: every step reports, then the verification's report arrives.
                    for step in steps() {
                        let _ = progress_tx.send(ProgressEvent::StepStarted {
                            step: step.id.clone(),
                        });
                        let _ = progress_tx.send(finished(&step.id));
                    }
                    let _ = screen_tx.send(Event::RunFinished(report()));
                    false
                }
                _ => true,
            }
        },
    )
    .expect("the loop ends cleanly");
    assert_eq!(effects, vec![Effect::Confirm, Effect::Quit]);
    assert!(matches!(app.screen, Screen::Report(_)), "{:?}", app.screen);
    assert!(
        app.steps.iter().all(|s| s.status == StepStatus::Done),
        "the progress reached the dashboard: {:?}",
        app.steps
    );
    let shown = text(terminal.backend().buffer());
    assert!(
        shown.contains("expires in 20 days"),
        "the report was drawn:\n{shown}"
    );
    assert_eq!(input.0.len(), 0, "every scripted key was read");
}

#[test]
fn back_to_a_section_from_the_review_and_a_safe_stop_from_the_dashboard() {
    let (_progress_tx, progress_rx) = mpsc::channel::<ProgressEvent>();
    let (_screen_tx, screen_rx) = mpsc::channel();
    let feeds = Feeds {
        progress: &progress_rx,
        screen: &screen_rx,
    };
    let mut app = App::new(review_view(), steps());
    let mut effects = Vec::new();
    // Up from Deploy selects the last section (tls); b goes back to it.
    drive(
        &mut terminal(),
        &mut script(&[Some(KeyCode::Up), Some(KeyCode::Char('b'))]),
        &mut app,
        Theme { color: true },
        &feeds,
        |effect| {
            effects.push(effect.clone());
            true
        },
    )
    .expect("ends");
    assert_eq!(effects, vec![Effect::BackToSection(Section::Tls)]);

    let mut app = App::dashboard("sre-demo", steps());
    let mut effects = Vec::new();
    let stopped = drive(
        &mut terminal(),
        &mut script(&[Some(KeyCode::Char('q')), Some(KeyCode::Char('q'))]),
        &mut app,
        Theme { color: false },
        &feeds,
        |effect| {
            effects.push(effect.clone());
            false
        },
    );
    // A second q only repeats the notice: the script runs out while the run is stopping.
    assert!(stopped.is_err_and(|e| e.contains("script ran out")));
    assert_eq!(effects, vec![Effect::StopSafely]);
}
