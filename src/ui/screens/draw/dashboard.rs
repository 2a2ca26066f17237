//! The deploy dashboard: the step graph with statuses and elapsed times, the current AWS
//! operation, an overall progress gauge, a scrolling log pane and the keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::{WIDE, block, duration, footer, log_tail, step_lines};
use crate::ui::screens::state::App;
use crate::ui::screens::theme::Theme;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let wide = area.width >= WIDE;
    let [title, gauge, now, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);

    let mut spans = vec![
        Span::styled(format!("Deploying {}", app.deployment_id), theme.title()),
        Span::styled(format!("  elapsed {}", duration(app.elapsed)), theme.dim()),
    ];
    if app.stopping {
        spans.push(Span::styled(
            "  stopping safely… (finishing the steps in flight)",
            theme.error(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), title);

    let (finished, total) = app.progress();
    let percent = (app.ratio() * 100.0).round();
    frame.render_widget(
        Gauge::default()
            .ratio(app.ratio())
            .label(format!("{finished}/{total} steps  {percent}%"))
            .gauge_style(theme.gauge()),
        gauge,
    );

    let current = match app.current_step() {
        Some(step) => Line::from(vec![
            Span::styled("now: ", theme.dim()),
            Span::styled(step.id.clone(), theme.title()),
            Span::raw(format!("  {}", step.operation.as_deref().unwrap_or("starting"))),
        ]),
        None => Line::from(Span::styled("now: waiting for the next step", theme.dim())),
    };
    frame.render_widget(Paragraph::new(current), now);

    let (steps_area, log_area) = if !app.show_log {
        (body, None)
    } else if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        (left, Some(right))
    } else {
        // The steps first (they are the dashboard); the log gets the rest, 3 to 10 rows.
        let wanted = u16::try_from(app.steps.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        let log_rows = body.height.saturating_sub(wanted).clamp(3, 10);
        let [top, bottom] = Layout::vertical([Constraint::Min(0), Constraint::Length(log_rows)]).areas(body);
        (top, Some(bottom))
    };
    frame.render_widget(
        Paragraph::new(step_lines(app, theme, wide))
            .scroll((steps_scroll(app, steps_area.height.saturating_sub(2)), 0))
            .block(block("Steps", theme)),
        steps_area,
    );
    if let Some(log_area) = log_area {
        let inner = log_area.height.saturating_sub(2);
        frame.render_widget(
            Paragraph::new(log_tail(app, inner)).block(block("Log", theme)),
            log_area,
        );
    }

    let stop = if app.stopping {
        "stopping…"
    } else {
        "stop safely"
    };
    let log = if app.show_log { "hide log" } else { "show log" };
    frame.render_widget(footer(&[("q", stop), ("l", log), ("?", "help")], theme), keys);
}

/// How many finished steps to scroll past so that the first unfinished one is in view when the
/// steps do not all fit in `rows`.
fn steps_scroll(app: &App, rows: u16) -> u16 {
    let total = app.steps.len();
    let rows = usize::from(rows);
    if total <= rows {
        return 0;
    }
    let first_open = app
        .steps
        .iter()
        .position(|s| !s.status.is_finished() || s.status == crate::ui::screens::StepStatus::Failed)
        .unwrap_or(total);
    u16::try_from(first_open.min(total - rows)).unwrap_or(0)
}
