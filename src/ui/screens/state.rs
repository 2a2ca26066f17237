//! The screens' state machine: events in, state and effects out. No I/O and no clock here; the
//! caller feeds key presses, ticks and the executor's step events, draws the state, and carries out
//! the effects (start the run, go back to a wizard section, stop safely, quit).

use std::collections::VecDeque;
use std::time::Duration;

use super::views::{FailureView, ReportView, ReviewView, StepOutcome, StepStatus, StepView};
use crate::ui::section::Section;

/// How many log lines the dashboard keeps; older lines are dropped first.
pub const LOG_CAPACITY: usize = 500;

/// The keys the screens react to, already decoded from the terminal's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyInput {
    Up,
    Down,
    Enter,
    Esc,
    CtrlC,
    Char(char),
}

/// Something that happened: a key, a resize, time passing, or the run's progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Key(KeyInput),
    Resize(u16, u16),
    /// Time passed since the previous tick; running steps and the run's clock advance by it.
    Tick(Duration),
    StepStarted {
        id: String,
        operation: Option<String>,
    },
    StepOperation {
        id: String,
        operation: String,
    },
    StepFinished {
        id: String,
        outcome: StepOutcome,
    },
    Log(String),
    RunFailed(FailureView),
    RunFinished(ReportView),
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The user confirmed the plan: start the run.
    Confirm,
    /// Go back to this wizard section.
    BackToSection(Section),
    /// Stop after the steps in flight, recording them, so that `--resume` can continue.
    StopSafely,
    /// Leave the screens.
    Quit,
}

/// The review screen's state: the plan and which row is selected (a section, or `Deploy`, which is
/// the row after the last section).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewState {
    pub view: ReviewView,
    pub selected: usize,
}

impl ReviewState {
    pub fn new(view: ReviewView) -> Self {
        let selected = view.sections().len();
        Self { view, selected }
    }

    /// Rows: the sections, then `Deploy`.
    pub fn rows(&self) -> usize {
        self.view.sections().len() + 1
    }

    /// The selected section, or `None` when `Deploy` is selected.
    pub fn selected_section(&self) -> Option<Section> {
        self.view.sections().get(self.selected).copied()
    }
}

/// Which screen is shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Review(ReviewState),
    Dashboard,
    Failed(FailureView),
    Report(ReportView),
}

/// Everything the screens draw from.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub screen: Screen,
    /// Shown in the dashboard's title.
    pub deployment_id: String,
    pub steps: Vec<StepView>,
    /// The step whose operation changed last (the "current AWS operation").
    pub current: Option<String>,
    pub log: VecDeque<String>,
    pub show_log: bool,
    pub show_help: bool,
    /// A safe stop was asked for; the run is finishing the steps in flight.
    pub stopping: bool,
    /// Time since the run started (the sum of the ticks while on the dashboard).
    pub elapsed: Duration,
    pub size: (u16, u16),
}

impl App {
    /// Starts on the review screen.
    pub fn new(review: ReviewView, steps: Vec<StepView>) -> Self {
        let deployment_id = review.deployment_id.clone();
        Self::with_screen(Screen::Review(ReviewState::new(review)), deployment_id, steps)
    }

    /// Starts on the dashboard (a resumed run, or `--yes`).
    pub fn dashboard(deployment_id: impl Into<String>, steps: Vec<StepView>) -> Self {
        Self::with_screen(Screen::Dashboard, deployment_id.into(), steps)
    }

    fn with_screen(screen: Screen, deployment_id: String, steps: Vec<StepView>) -> Self {
        Self {
            screen,
            deployment_id,
            steps,
            current: None,
            log: VecDeque::new(),
            show_log: true,
            show_help: false,
            stopping: false,
            elapsed: Duration::ZERO,
            size: (80, 24),
        }
    }

    /// Finished steps (done, failed or skipped) and all steps.
    pub fn progress(&self) -> (usize, usize) {
        let finished = self.steps.iter().filter(|s| s.status.is_finished()).count();
        (finished, self.steps.len())
    }

    /// The gauge's ratio, 0.0 to 1.0 (1.0 with no steps).
    pub fn ratio(&self) -> f64 {
        match self.progress() {
            (_, 0) => 1.0,
            (finished, total) => {
                f64::from(u32::try_from(finished).unwrap_or(u32::MAX))
                    / f64::from(u32::try_from(total).unwrap_or(u32::MAX))
            }
        }
    }

    /// The step named by `current`, when it is still running.
    pub fn current_step(&self) -> Option<&StepView> {
        let id = self.current.as_deref()?;
        self.steps
            .iter()
            .find(|s| s.id == id && s.status == StepStatus::Running)
    }

    /// Applies one event and returns what the caller must do.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) => self.key(key),
            Event::Resize(width, height) => {
                self.size = (width, height);
                Vec::new()
            }
            Event::Tick(dt) => {
                if matches!(self.screen, Screen::Dashboard) {
                    self.elapsed += dt;
                }
                for step in self.steps.iter_mut().filter(|s| s.status == StepStatus::Running) {
                    step.elapsed += dt;
                }
                Vec::new()
            }
            Event::StepStarted { id, operation } => {
                if matches!(self.screen, Screen::Review(_)) {
                    self.screen = Screen::Dashboard;
                }
                let step = self.step_mut(&id);
                step.status = StepStatus::Running;
                step.operation = operation;
                self.current = Some(id);
                Vec::new()
            }
            Event::StepOperation { id, operation } => {
                self.step_mut(&id).operation = Some(operation);
                self.current = Some(id);
                Vec::new()
            }
            Event::StepFinished { id, outcome } => {
                let step = self.step_mut(&id);
                step.status = outcome.into();
                step.operation = None;
                if self.current.as_deref() == Some(id.as_str()) {
                    self.current = None;
                }
                Vec::new()
            }
            Event::Log(line) => {
                self.push_log(line);
                Vec::new()
            }
            Event::RunFailed(failure) => {
                self.screen = Screen::Failed(failure);
                self.show_help = false;
                Vec::new()
            }
            Event::RunFinished(report) => {
                self.screen = Screen::Report(report);
                self.show_help = false;
                Vec::new()
            }
        }
    }

    /// The step with `id`, added at the end when the graph did not have it.
    fn step_mut(&mut self, id: &str) -> &mut StepView {
        let index = match self.steps.iter().position(|s| s.id == id) {
            Some(index) => index,
            None => {
                self.steps.push(StepView::pending(id, &[]));
                self.steps.len() - 1
            }
        };
        &mut self.steps[index]
    }

    fn push_log(&mut self, line: String) {
        while self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    fn key(&mut self, key: KeyInput) -> Vec<Effect> {
        if self.show_help {
            // The overlay takes the keys that close it; anything else closes it too.
            if key == KeyInput::CtrlC && matches!(self.screen, Screen::Dashboard) {
                self.show_help = false;
                return self.stop();
            }
            self.show_help = false;
            return Vec::new();
        }
        if key == KeyInput::Char('?') {
            self.show_help = true;
            return Vec::new();
        }
        match &mut self.screen {
            Screen::Review(review) => match key {
                KeyInput::Up => {
                    review.selected = review.selected.saturating_sub(1);
                    Vec::new()
                }
                KeyInput::Down => {
                    review.selected = (review.selected + 1).min(review.rows() - 1);
                    Vec::new()
                }
                KeyInput::Enter => match review.selected_section() {
                    None => {
                        self.screen = Screen::Dashboard;
                        vec![Effect::Confirm]
                    }
                    Some(section) => vec![Effect::BackToSection(section)],
                },
                KeyInput::Esc | KeyInput::Char('b') => review
                    .selected_section()
                    .or_else(|| review.view.sections().last().copied())
                    .map(|section| vec![Effect::BackToSection(section)])
                    .unwrap_or_default(),
                KeyInput::Char('q') | KeyInput::CtrlC => vec![Effect::Quit],
                KeyInput::Char(_) => Vec::new(),
            },
            Screen::Dashboard => match key {
                KeyInput::Char('q') | KeyInput::CtrlC => self.stop(),
                KeyInput::Char('l') => {
                    self.show_log = !self.show_log;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Screen::Failed(_) | Screen::Report(_) => match key {
                KeyInput::Char('q') | KeyInput::Enter | KeyInput::Esc | KeyInput::CtrlC => vec![Effect::Quit],
                KeyInput::Char('l') => {
                    self.show_log = !self.show_log;
                    Vec::new()
                }
                _ => Vec::new(),
            },
        }
    }

    /// Asks for a safe stop once; later presses only repeat the notice on screen.
    fn stop(&mut self) -> Vec<Effect> {
        if self.stopping {
            Vec::new()
        } else {
            self.stopping = true;
            vec![Effect::StopSafely]
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ui::screens::views::{Action, ReviewItem};
    use crate::validate::Finding;

    fn review() -> ReviewView {
        let item = |step: &str, name: &str, action| ReviewItem {
            section: Section::of(step).expect("a section"),
            kind: "thing".into(),
            name: name.into(),
            action,
            fields: Vec::new(),
        };
        ReviewView {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            deployment_id: "demo".into(),
            items: vec![
                item("tls", "cert", Action::Reuse),
                item("cognito", "pool", Action::Create),
                item("cognito", "client", Action::Create),
                item("gateway", "gw", Action::Leave),
            ],
            warnings: vec![Finding::warning("tls.cert_path", "expires in 20 days")],
        }
    }

    fn steps() -> Vec<StepView> {
        vec![
            StepView::pending("tls", &[]),
            StepView::pending("cognito", &[]),
            StepView::pending("gateway", &["tls", "cognito"]),
        ]
    }

    fn failure() -> FailureView {
        FailureView {
            message: "boom".into(),
            context: vec!["creating the gateway".into()],
            suggestion: Some("retry".into()),
            resume: "sre-agent-deploy deploy --resume".into(),
        }
    }

    fn key(c: char) -> Event {
        Event::Key(KeyInput::Char(c))
    }

    fn selected(app: &App) -> Option<&'static str> {
        match &app.screen {
            Screen::Review(review) => review.selected_section().map(Section::name),
            other => panic!("not on the review: {other:?}"),
        }
    }

    #[test]
    fn review_starts_on_deploy_and_enter_confirms() {
        let mut app = App::new(review(), steps());
        assert_eq!(selected(&app), None);
        assert_eq!(app.handle(Event::Key(KeyInput::Enter)), vec![Effect::Confirm]);
        assert_eq!(app.screen, Screen::Dashboard);
    }

    #[test]
    fn review_navigation_selects_sections_and_goes_back() {
        let mut app = App::new(review(), steps());
        app.handle(Event::Key(KeyInput::Up));
        assert_eq!(selected(&app), Some("gateway"));
        for _ in 0..10 {
            app.handle(Event::Key(KeyInput::Up));
        }
        assert_eq!(selected(&app), Some("tls"));
        app.handle(Event::Key(KeyInput::Down));
        assert_eq!(selected(&app), Some("cognito"));
        assert_eq!(
            app.handle(key('b')),
            vec![Effect::BackToSection(Section::Cognito)]
        );
        assert_eq!(
            app.handle(Event::Key(KeyInput::Esc)),
            vec![Effect::BackToSection(Section::Cognito)]
        );
        assert_eq!(
            app.handle(Event::Key(KeyInput::Enter)),
            vec![Effect::BackToSection(Section::Cognito)]
        );
        for _ in 0..10 {
            app.handle(Event::Key(KeyInput::Down));
        }
        assert_eq!(selected(&app), None, "Down stops at Deploy");
        assert_eq!(
            app.handle(key('b')),
            vec![Effect::BackToSection(Section::Gateway)]
        );
        assert_eq!(app.handle(key('q')), vec![Effect::Quit]);
        assert!(matches!(app.screen, Screen::Review(_)));
    }

    #[test]
    fn step_events_update_statuses_operation_and_ratio() {
        let mut app = App::dashboard("demo", steps());
        assert_eq!(app.progress(), (0, 3));
        app.handle(Event::StepStarted {
            id: "tls".into(),
            operation: Some("acm:ImportCertificate".into()),
        });
        app.handle(Event::StepStarted {
            id: "cognito".into(),
            operation: None,
        });
        app.handle(Event::StepOperation {
            id: "cognito".into(),
            operation: "cognito-idp:CreateUserPool".into(),
        });
        assert_eq!(
            app.current_step().and_then(|s| s.operation.as_deref()),
            Some("cognito-idp:CreateUserPool")
        );
        app.handle(Event::Tick(Duration::from_secs(2)));
        app.handle(Event::StepFinished {
            id: "tls".into(),
            outcome: StepOutcome::Done,
        });
        app.handle(Event::Tick(Duration::from_secs(3)));
        assert_eq!(app.steps[0].status, StepStatus::Done);
        assert_eq!(app.steps[0].elapsed, Duration::from_secs(2));
        assert_eq!(app.steps[0].operation, None);
        assert_eq!(app.steps[1].status, StepStatus::Running);
        assert_eq!(app.steps[1].elapsed, Duration::from_secs(5));
        assert_eq!(app.steps[2].elapsed, Duration::ZERO);
        assert_eq!(app.elapsed, Duration::from_secs(5));
        assert_eq!(app.progress(), (1, 3));
        assert!((app.ratio() - 1.0 / 3.0).abs() < 1e-9);

        app.handle(Event::StepFinished {
            id: "cognito".into(),
            outcome: StepOutcome::Failed,
        });
        app.handle(Event::StepFinished {
            id: "gateway".into(),
            outcome: StepOutcome::Skipped,
        });
        assert_eq!(app.current, None);
        assert_eq!(app.progress(), (3, 3));
        assert!((app.ratio() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_step_is_added() {
        let mut app = App::dashboard("demo", Vec::new());
        assert!((app.ratio() - 1.0).abs() < 1e-9);
        app.handle(Event::StepStarted {
            id: "extra".into(),
            operation: None,
        });
        assert_eq!(app.steps.len(), 1);
        assert_eq!(app.steps[0].status, StepStatus::Running);
    }

    #[test]
    fn a_step_event_on_the_review_switches_to_the_dashboard() {
        let mut app = App::new(review(), steps());
        app.handle(Event::StepStarted {
            id: "tls".into(),
            operation: None,
        });
        assert_eq!(app.screen, Screen::Dashboard);
    }

    #[test]
    fn q_on_the_dashboard_stops_safely_once() {
        let mut app = App::dashboard("demo", steps());
        assert_eq!(app.handle(key('q')), vec![Effect::StopSafely]);
        assert!(app.stopping);
        assert_eq!(app.handle(key('q')), Vec::<Effect>::new());
        assert_eq!(app.handle(Event::Key(KeyInput::CtrlC)), Vec::<Effect>::new());

        let mut app = App::dashboard("demo", steps());
        assert_eq!(app.handle(Event::Key(KeyInput::CtrlC)), vec![Effect::StopSafely]);
    }

    #[test]
    fn l_and_question_mark_toggle() {
        let mut app = App::dashboard("demo", steps());
        assert!(app.show_log);
        app.handle(key('l'));
        assert!(!app.show_log);
        app.handle(key('l'));
        assert!(app.show_log);

        app.handle(key('?'));
        assert!(app.show_help);
        // While the overlay is open, keys close it and do nothing else.
        assert_eq!(app.handle(key('q')), Vec::<Effect>::new());
        assert!(!app.show_help);
        assert!(!app.stopping);
        app.handle(key('?'));
        app.handle(key('?'));
        assert!(!app.show_help);
        // Ctrl-C still stops from under the overlay.
        app.handle(key('?'));
        assert_eq!(app.handle(Event::Key(KeyInput::CtrlC)), vec![Effect::StopSafely]);
        assert!(!app.show_help);
    }

    #[test]
    fn run_failed_shows_the_failure_panel_and_q_quits() {
        let mut app = App::dashboard("demo", steps());
        app.handle(key('?'));
        app.handle(Event::RunFailed(failure()));
        assert_eq!(app.screen, Screen::Failed(failure()));
        assert!(!app.show_help);
        assert_eq!(app.handle(Event::Key(KeyInput::Enter)), vec![Effect::Quit]);
        assert_eq!(app.handle(key('q')), vec![Effect::Quit]);
    }

    #[test]
    fn run_finished_shows_the_report_and_q_quits() {
        use crate::verify::report::{Context, VerificationReport};
        let report = ReportView {
            report: VerificationReport::new(Context::default(), &[], Vec::new(), Vec::new()),
            paths: Vec::new(),
        };
        let mut app = App::dashboard("demo", steps());
        app.handle(Event::RunFinished(report.clone()));
        assert_eq!(app.screen, Screen::Report(report));
        assert_eq!(app.handle(key('x')), Vec::<Effect>::new());
        assert_eq!(app.handle(key('q')), vec![Effect::Quit]);
    }

    #[test]
    fn the_log_is_bounded_and_keeps_the_newest_lines() {
        let mut app = App::dashboard("demo", steps());
        for i in 0..LOG_CAPACITY + 20 {
            app.handle(Event::Log(format!("line {i}")));
        }
        assert_eq!(app.log.len(), LOG_CAPACITY);
        assert_eq!(app.log.front().map(String::as_str), Some("line 20"));
        assert_eq!(
            app.log.back().map(String::as_str),
            Some(format!("line {}", LOG_CAPACITY + 19).as_str())
        );
    }

    #[test]
    fn resize_is_recorded() {
        let mut app = App::dashboard("demo", steps());
        app.handle(Event::Resize(120, 40));
        assert_eq!(app.size, (120, 40));
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        let id = prop::sample::select(vec!["tls", "cognito", "gateway", "other"]);
        prop_oneof![
            prop::sample::select(vec![
                KeyInput::Up,
                KeyInput::Down,
                KeyInput::Enter,
                KeyInput::Esc,
                KeyInput::CtrlC,
                KeyInput::Char('q'),
                KeyInput::Char('b'),
                KeyInput::Char('l'),
                KeyInput::Char('?'),
            ])
            .prop_map(Event::Key),
            (0u64..5000).prop_map(|ms| Event::Tick(Duration::from_millis(ms))),
            id.clone().prop_map(|id| Event::StepStarted {
                id: id.into(),
                operation: None
            }),
            id.clone().prop_map(|id| Event::StepOperation {
                id: id.into(),
                operation: "op".into()
            }),
            (
                id,
                prop::sample::select(vec![StepOutcome::Done, StepOutcome::Failed, StepOutcome::Skipped])
            )
                .prop_map(|(id, outcome)| Event::StepFinished {
                    id: id.into(),
                    outcome
                }),
            "[a-z]{0,8}".prop_map(Event::Log),
        ]
    }

    proptest! {
        /// Whatever the events, a safe stop is asked for at most once, the review confirms at most
        /// once, the log stays bounded and the progress never counts more steps than there are.
        #[test]
        fn events_keep_the_invariants(events in prop::collection::vec(arb_event(), 0..200)) {
            let mut app = App::new(review(), steps());
            let mut stops = 0;
            let mut confirms = 0;
            for event in events {
                for effect in app.handle(event) {
                    match effect {
                        Effect::StopSafely => stops += 1,
                        Effect::Confirm => confirms += 1,
                        _ => {}
                    }
                }
                let (finished, total) = app.progress();
                prop_assert!(finished <= total);
                prop_assert!((0.0..=1.0).contains(&app.ratio()));
                prop_assert!(app.log.len() <= LOG_CAPACITY);
            }
            prop_assert!(stops <= 1);
            prop_assert!(confirms <= 1);
        }
    }
}
