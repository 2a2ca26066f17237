//! Styles for the screens, with and without colour.

use ratatui::style::{Color, Modifier, Style};

use super::views::{Action, StepStatus};
use crate::validate::Severity;
use crate::verify::Status;

/// The screens' styles. Without colour every style is made of modifiers only (bold, reversed,
/// dim), so `NO_COLOR` output never sets a foreground or background colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>). Pass the
    /// variable's value in; this does not read the environment.
    pub fn from_env(no_color: Option<&str>) -> Self {
        Self {
            color: no_color.is_none_or(str::is_empty),
        }
    }

    fn fg(self, color: Color, fallback: Modifier) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new().add_modifier(fallback)
        }
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn key(self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn border(self) -> Style {
        if self.color {
            Style::new().fg(Color::Gray)
        } else {
            Style::new()
        }
    }

    pub fn step(self, status: StepStatus) -> Style {
        match status {
            StepStatus::Pending | StepStatus::Skipped => self.dim(),
            StepStatus::Running => self.fg(Color::Yellow, Modifier::BOLD),
            StepStatus::Done => self.fg(Color::Green, Modifier::empty()),
            StepStatus::Failed => self.fg(Color::Red, Modifier::BOLD | Modifier::REVERSED),
        }
    }

    pub fn check(self, status: Status) -> Style {
        match status {
            Status::Pass => self.fg(Color::Green, Modifier::empty()),
            Status::Skip => self.dim(),
            Status::Warn => self.fg(Color::Yellow, Modifier::BOLD),
            Status::Fail => self.fg(Color::Red, Modifier::BOLD | Modifier::REVERSED),
        }
    }

    pub fn action(self, action: Action) -> Style {
        match action {
            Action::Create => self.fg(Color::Green, Modifier::BOLD),
            Action::Reuse => self.fg(Color::Blue, Modifier::empty()),
            Action::Leave => self.dim(),
            Action::Delete => self.fg(Color::Red, Modifier::BOLD),
            Action::Update => self.fg(Color::Yellow, Modifier::BOLD),
            Action::Replace => self.fg(Color::Magenta, Modifier::BOLD),
        }
    }

    pub fn severity(self, severity: Severity) -> Style {
        match severity {
            Severity::Error => self.fg(Color::Red, Modifier::BOLD),
            Severity::Warning => self.fg(Color::Yellow, Modifier::BOLD),
        }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red, Modifier::BOLD)
    }

    pub fn gauge(self) -> Style {
        if self.color {
            Style::new().fg(Color::Green).bg(Color::Black)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_set_and_non_empty_turns_colour_off() {
        assert!(Theme::from_env(None).color);
        assert!(Theme::from_env(Some("")).color);
        assert!(!Theme::from_env(Some("1")).color);
    }
}
