//! Where a run's progress goes: plain lines (`[HH:MM:SS] step: message`) for pipes and CI logs,
//! or structured events for the wizard's dashboard. Steps report through one `Progress` either
//! way, so the plain output and the dashboard cannot drift apart.

use std::io::Write;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::printer::{SharedWriter, write_line};

/// Something a run reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// A line for the log: `clock` is `HH:MM:SS` (UTC).
    Line {
        clock: String,
        step: String,
        message: String,
    },
    StepStarted {
        step: String,
    },
    /// The AWS operation a step just sent, such as `CreateUserPool`.
    Operation {
        step: String,
        operation: String,
    },
    StepFinished {
        step: String,
        duration: Duration,
        calls: u32,
        error: Option<String>,
    },
}

enum Sink {
    Lines(SharedWriter),
    Events(Mutex<Sender<ProgressEvent>>),
    /// `--quiet`: nothing.
    Silent,
}

/// Where progress goes.
pub struct Progress {
    sink: Sink,
}

impl Progress {
    /// Plain lines to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self::shared(Arc::new(Mutex::new(out)))
    }

    /// Plain lines to a writer others write whole lines to as well (the printer's error writer).
    pub fn shared(out: SharedWriter) -> Self {
        Self {
            sink: Sink::Lines(out),
        }
    }

    /// Nothing at all (`--quiet`); the state file still records everything.
    pub fn silent() -> Self {
        Self { sink: Sink::Silent }
    }

    /// Structured events to a channel (the dashboard). Nothing is printed.
    pub fn events(sender: Sender<ProgressEvent>) -> Self {
        Self {
            sink: Sink::Events(Mutex::new(sender)),
        }
    }

    pub fn line(&self, step: &str, message: &str) {
        let clock = clock();
        match &self.sink {
            Sink::Lines(out) => {
                // One write per line: stderr is unbuffered, and a formatted write would be a
                // system call per piece (each padding space included).
                write_line(out, &format!("[{clock}] {step:<24} {message}\n"));
            }
            Sink::Silent => {}
            Sink::Events(_) => self.send(ProgressEvent::Line {
                clock,
                step: step.to_string(),
                message: message.to_string(),
            }),
        }
    }

    pub fn step_started(&self, step: &str) {
        self.send(ProgressEvent::StepStarted { step: step.into() });
        self.line(step, "started");
    }

    /// Only the dashboard shows operations; plain output would be too noisy.
    pub fn operation(&self, step: &str, operation: &str) {
        self.send(ProgressEvent::Operation {
            step: step.into(),
            operation: operation.into(),
        });
    }

    pub fn step_finished(&self, step: &str, duration: Duration, calls: u32, error: Option<&str>) {
        let summary = match error {
            None => format!("done in {:.2} s, {calls} AWS calls", duration.as_secs_f64()),
            Some(e) => format!("failed after {:.2} s: {e}", duration.as_secs_f64()),
        };
        self.line(step, &summary);
        self.send(ProgressEvent::StepFinished {
            step: step.into(),
            duration,
            calls,
            error: error.map(str::to_string),
        });
    }

    fn send(&self, event: ProgressEvent) {
        if let Sink::Events(sender) = &self.sink
            && let Ok(sender) = sender.lock()
        {
            // The dashboard may have closed already; the state file still records everything.
            let _ = sender.send(event);
        }
    }
}

/// The time of day in UTC, as progress lines show it: `HH:MM:SS`.
pub fn clock() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_mode_sends_structured_events_and_prints_nothing() {
        let (tx, rx) = std::sync::mpsc::channel();
        let progress = Progress::events(tx);
        progress.step_started("iam-role");
        progress.operation("iam-role", "CreateRole");
        progress.step_finished("iam-role", Duration::from_millis(1500), 3, None);
        let events: Vec<ProgressEvent> = rx.try_iter().collect();
        assert!(matches!(&events[0], ProgressEvent::StepStarted { step } if step == "iam-role"));
        assert!(
            matches!(&events[1], ProgressEvent::Line { step, message, clock } if step == "iam-role" && message == "started" && clock.len() == 8)
        );
        assert_eq!(
            events[2],
            ProgressEvent::Operation {
                step: "iam-role".into(),
                operation: "CreateRole".into()
            }
        );
        assert!(
            matches!(&events[3], ProgressEvent::Line { message, .. } if message == "done in 1.50 s, 3 AWS calls")
        );
        assert!(matches!(
            &events[4],
            ProgressEvent::StepFinished {
                calls: 3,
                error: None,
                ..
            }
        ));
    }

    #[test]
    fn lines_mode_writes_timestamped_lines() {
        #[derive(Clone, Default)]
        struct Buf(std::sync::Arc<Mutex<Vec<u8>>>);
        impl Write for Buf {
            fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .map_err(|_| std::io::ErrorKind::Other)?
                    .extend_from_slice(data);
                Ok(data.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let progress = Progress::new(Box::new(buf.clone()));
        progress.step_finished("s3-bucket", Duration::from_millis(20), 1, Some("AccessDenied"));
        progress.operation("s3-bucket", "CreateBucket");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with('[') && text.contains("] s3-bucket"), "{text}");
        assert!(text.contains("failed after 0.02 s: AccessDenied"), "{text}");
    }
}
