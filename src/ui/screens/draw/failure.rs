//! The failure panel: the error, its context, the suggestion and the exact `--resume` command,
//! with the step graph beside it when there is room.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{WIDE, block, footer, log_tail, step_lines};
use crate::ui::screens::state::App;
use crate::ui::screens::theme::Theme;
use crate::ui::screens::views::{FailureView, StepStatus};

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, failure: &FailureView, theme: Theme) {
    let wide = area.width >= WIDE;
    let [title, body, resume, summary, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("✗ ", theme.error()),
            Span::styled(format!("Deployment {} failed", app.deployment_id), theme.title()),
        ])),
        title,
    );

    let error_area = if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
        if app.show_log && !app.log.is_empty() {
            let [steps, log] = Layout::vertical([Constraint::Min(3), Constraint::Percentage(40)]).areas(left);
            frame.render_widget(
                Paragraph::new(step_lines(app, theme, false)).block(block("Steps", theme)),
                steps,
            );
            let inner = log.height.saturating_sub(2);
            frame.render_widget(
                Paragraph::new(log_tail(app, inner)).block(block("Log", theme)),
                log,
            );
        } else {
            frame.render_widget(
                Paragraph::new(step_lines(app, theme, false)).block(block("Steps", theme)),
                left,
            );
        }
        right
    } else {
        body
    };

    let mut lines = vec![Line::from(Span::styled(failure.message.clone(), theme.error()))];
    if !failure.context.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Context", theme.title())));
        lines.extend(failure.context.iter().map(|c| Line::raw(format!("  while {c}"))));
    }
    if let Some(suggestion) = &failure.suggestion {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("Fix: ", theme.title()),
            Span::raw(suggestion.clone()),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Error", theme)),
        error_area,
    );

    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(failure.resume.clone(), theme.title())))
            .block(block("Resume with", theme)),
        resume,
    );

    let count = |status: StepStatus| app.steps.iter().filter(|s| s.status == status).count();
    let mut spans = Vec::new();
    for status in [
        StepStatus::Done,
        StepStatus::Failed,
        StepStatus::Skipped,
        StepStatus::Pending,
        StepStatus::Running,
    ] {
        let n = count(status);
        if n > 0 {
            if !spans.is_empty() {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(
                format!("{} {n} {}", status.symbol(), status.label()),
                theme.step(status),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), summary);
    frame.render_widget(footer(&[("q/Enter", "quit"), ("?", "help")], theme), keys);
}
