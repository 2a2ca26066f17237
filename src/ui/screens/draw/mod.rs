//! Rendering: `draw` picks the screen from the state. Everything here takes `&App`, so drawing can
//! never change state. Every screen lays itself out from the frame's size, truncating at 80x24 and
//! below (never panicking), and uses the extra room at wider sizes.

mod dashboard;
mod failure;
mod report;
mod review;

use std::collections::HashMap;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::state::{App, Screen};
use super::theme::Theme;
use super::views::{StepStatus, StepView};

/// At this width and above, screens use side-by-side panes and extra columns.
const WIDE: u16 = 120;

/// Draws the current screen, then the help overlay when it is open.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    match &app.screen {
        Screen::Review(review) => review::draw(frame, area, review, *theme),
        Screen::Dashboard => dashboard::draw(frame, area, app, *theme),
        Screen::Failed(failure) => failure::draw(frame, area, app, failure, *theme),
        Screen::Report(report) => report::draw(frame, area, app, report, *theme),
    }
    if app.show_help {
        help(frame, area, app, *theme);
    }
}

/// The footer: `key description` pairs on one line.
fn footer(keys: &[(&str, &str)], theme: Theme) -> Paragraph<'static> {
    let mut spans = Vec::new();
    for (i, (key, what)) in keys.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled((*key).to_string(), theme.key()));
        spans.push(Span::raw(format!(" {what}")));
    }
    Paragraph::new(Line::from(spans))
}

/// A bordered block with a bold title.
fn block(title: &str, theme: Theme) -> Block<'static> {
    Block::bordered()
        .border_style(theme.border())
        .title(Span::styled(format!(" {title} "), theme.title()))
}

fn help(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let keys: &[(&str, &str)] = match &app.screen {
        Screen::Review(_) => &[
            ("↑/↓", "select a section or Deploy"),
            ("Enter", "deploy, or edit the selected section"),
            ("b/Esc", "go back to the selected section"),
            ("q", "quit without deploying"),
            ("?", "close this help"),
        ],
        Screen::Dashboard => &[
            ("q", "stop safely: finish the steps in flight, then stop"),
            ("Ctrl-C", "same as q"),
            ("l", "show or hide the log"),
            ("?", "close this help"),
        ],
        Screen::Failed(_) | Screen::Report(_) => &[
            ("q/Enter", "quit"),
            ("l", "show or hide the log"),
            ("?", "close this help"),
        ],
    };
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:>8}"), theme.key()),
                Span::raw(format!("  {what}")),
            ])
        })
        .collect();
    if matches!(app.screen, Screen::Dashboard) {
        lines.push(Line::raw(""));
        lines.push(Line::raw("A stopped run continues with --resume."));
    }
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2);
    let overlay = centered(area, 64, height);
    frame.render_widget(Clear, overlay);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Keys", theme)),
        overlay,
    );
}

/// A `width` x `height` rectangle in the middle of `area`, shrunk to fit.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

/// `4.2s`, `1m05s`, `1h02m`.
fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{}.{}s", secs, d.subsec_millis() / 100)
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

/// Each step's depth in the graph: 0 without dependencies, else one more than its deepest
/// dependency. Unknown dependencies count as depth 0; cycles stop at the number of steps.
fn depths(steps: &[StepView]) -> Vec<usize> {
    let index: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut depth = vec![0usize; steps.len()];
    // Relax until stable; at most one pass per step, so a cycle cannot loop forever.
    for _ in 0..steps.len() {
        let mut changed = false;
        for (i, step) in steps.iter().enumerate() {
            let d = step
                .after
                .iter()
                .filter_map(|a| index.get(a.as_str()))
                .map(|&j| depth[j] + 1)
                .max()
                .unwrap_or(0)
                .min(steps.len());
            if d != depth[i] {
                depth[i] = d;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

/// The step graph as lines: indented by depth, with the status, elapsed time and operation, and
/// the dependencies when `wide`.
fn step_lines(app: &App, theme: Theme, wide: bool) -> Vec<Line<'static>> {
    let depth = depths(&app.steps);
    let name_width = app
        .steps
        .iter()
        .zip(&depth)
        .map(|(s, d)| s.id.chars().count() + 2 * d)
        .max()
        .unwrap_or(0);
    app.steps
        .iter()
        .zip(&depth)
        .map(|(step, &d)| {
            let style = theme.step(step.status);
            let name = format!("{}{}", "  ".repeat(d), step.id);
            let not_run = step.status == StepStatus::Pending
                || (step.status == StepStatus::Skipped && step.elapsed.is_zero());
            let elapsed = if not_run {
                String::new()
            } else {
                duration(step.elapsed)
            };
            let mut spans = vec![
                Span::styled(
                    format!("{} {:<7}", step.status.symbol(), step.status.label()),
                    style,
                ),
                Span::raw(" "),
                Span::styled(format!("{name:<name_width$}"), style),
                Span::styled(format!(" {elapsed:>6}"), theme.dim()),
            ];
            if let Some(op) = &step.operation {
                spans.push(Span::raw(format!("  {op}")));
            } else if wide && !step.after.is_empty() {
                spans.push(Span::styled(
                    format!("  after: {}", step.after.join(", ")),
                    theme.dim(),
                ));
            }
            Line::from(spans)
        })
        .collect()
}

/// The last lines of the log that fit in `height` rows.
fn log_tail(app: &App, height: u16) -> Vec<Line<'static>> {
    let skip = app.log.len().saturating_sub(usize::from(height));
    app.log.iter().skip(skip).map(|l| Line::raw(l.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(duration(Duration::from_secs(65)), "1m05s");
        assert_eq!(duration(Duration::from_mins(62)), "1h02m");
    }

    #[test]
    fn depth_follows_dependencies_and_survives_cycles() {
        let steps = vec![
            StepView::pending("a", &[]),
            StepView::pending("b", &["a"]),
            StepView::pending("c", &["a", "b", "missing"]),
        ];
        assert_eq!(depths(&steps), vec![0, 1, 2]);
        let cycle = vec![StepView::pending("x", &["y"]), StepView::pending("y", &["x"])];
        assert!(depths(&cycle).iter().all(|&d| d <= 2));
    }
}
