//! Asking the operator: the `Ask` trait the wizard's sections talk to, and its terminal
//! implementation on inquire. Tests answer through a scripted `Ask`; the pseudo-terminal test
//! drives the real one.

use std::io::Write;

use inquire::validator::Validation;
use secrecy::SecretString;

/// The operator stopped the wizard (Ctrl-C or Esc at a prompt), or the terminal failed.
#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    #[error("the wizard was stopped at a prompt")]
    ByOperator,
    #[error("the terminal failed: {0}")]
    Terminal(String),
}

/// One free-text question about a config field.
pub struct Question<'a> {
    /// The config field the answer goes to, such as `aws.region`.
    pub field: &'a str,
    pub label: &'a str,
    /// One line under the prompt: what the value is for, or what was discovered.
    pub help: Option<String>,
    pub default: Option<String>,
}

/// Checks an answer with the model's validators: `Err` holds the message and the fix.
pub type Check<'a> = &'a dyn Fn(&str) -> Result<(), String>;

/// How the wizard asks.
pub trait Ask {
    /// A text answer that passes `check` (an empty answer takes the default).
    fn text(&mut self, question: &Question<'_>, check: Check<'_>) -> Result<String, Stopped>;
    /// The index of the chosen option.
    fn select(
        &mut self,
        label: &str,
        options: &[String],
        default: usize,
        help: Option<&str>,
    ) -> Result<usize, Stopped>;
    fn confirm(&mut self, label: &str, default: bool, help: Option<&str>) -> Result<bool, Stopped>;
    /// A secret typed with masked echo; it never leaves the `SecretString`.
    fn secret(&mut self, label: &str, help: Option<&str>) -> Result<SecretString, Stopped>;
    /// A line of information between questions.
    fn say(&mut self, text: &str);
}

/// The terminal: inquire prompts on standard error.
pub struct Terminal;

impl Terminal {
    /// Prompts in colour, or in plain text (`NO_COLOR`, decided by the printer).
    pub fn new(colour: bool) -> Self {
        if !colour {
            inquire::set_global_render_config(inquire::ui::RenderConfig::empty());
        }
        Self
    }
}

fn stopped(error: inquire::InquireError) -> Stopped {
    match error {
        inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted => {
            Stopped::ByOperator
        }
        other => Stopped::Terminal(other.to_string()),
    }
}

impl Ask for Terminal {
    fn text(&mut self, question: &Question<'_>, check: Check<'_>) -> Result<String, Stopped> {
        let help = question.help.clone().unwrap_or_default();
        let default = question.default.clone().unwrap_or_default();
        let validator = move |input: &str| {
            let value = if input.trim().is_empty() {
                default.as_str()
            } else {
                input.trim()
            };
            Ok(match check(value) {
                Ok(()) => Validation::Valid,
                Err(message) => Validation::Invalid(message.into()),
            })
        };
        let mut prompt = inquire::Text::new(question.label).with_validator(validator);
        if let Some(default) = &question.default {
            prompt = prompt.with_default(default);
        }
        if !help.is_empty() {
            prompt = prompt.with_help_message(&help);
        }
        prompt.prompt().map(|s| s.trim().to_string()).map_err(stopped)
    }

    fn select(
        &mut self,
        label: &str,
        options: &[String],
        default: usize,
        help: Option<&str>,
    ) -> Result<usize, Stopped> {
        let mut prompt = inquire::Select::new(label, options.to_vec()).with_starting_cursor(default);
        if let Some(help) = help {
            prompt = prompt.with_help_message(help);
        }
        prompt.raw_prompt().map(|choice| choice.index).map_err(stopped)
    }

    fn confirm(&mut self, label: &str, default: bool, help: Option<&str>) -> Result<bool, Stopped> {
        let mut prompt = inquire::Confirm::new(label).with_default(default);
        if let Some(help) = help {
            prompt = prompt.with_help_message(help);
        }
        prompt.prompt().map_err(stopped)
    }

    fn secret(&mut self, label: &str, help: Option<&str>) -> Result<SecretString, Stopped> {
        let mut prompt = inquire::Password::new(label)
            .with_display_mode(inquire::PasswordDisplayMode::Masked)
            .without_confirmation();
        if let Some(help) = help {
            prompt = prompt.with_help_message(help);
        }
        prompt.prompt().map(SecretString::from).map_err(stopped)
    }

    fn say(&mut self, text: &str) {
        // Prompts are on standard error too; standard output stays for the final report.
        let mut err = std::io::stderr();
        let _ = writeln!(err, "{text}");
    }
}
