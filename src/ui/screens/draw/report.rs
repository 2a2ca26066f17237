//! The verification report: pass/warn/fail per component, the connectivity table, the
//! recommendations and the paths of the report files written.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::{WIDE, block, duration, footer};
use crate::ui::screens::state::App;
use crate::ui::screens::theme::Theme;
use crate::ui::screens::views::ReportView;
use crate::verify::Status;
use crate::verify::report::{ComponentResult, Overall};

/// A status readable without colour.
fn status_text(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓ pass",
        Status::Skip => "- skip",
        Status::Warn => "! warn",
        Status::Fail => "✗ fail",
    }
}

fn rows_for(n: usize, cap: usize) -> u16 {
    u16::try_from(n.min(cap)).unwrap_or(0) + 3
}

pub(super) fn draw(frame: &mut Frame, area: Rect, _app: &App, view: &ReportView, theme: Theme) {
    let report = &view.report;
    let wide = area.width >= WIDE;
    let cap = if wide { 12 } else { 5 };
    let connectivity_rows = if report.connectivity.is_empty() {
        3
    } else {
        rows_for(report.connectivity.len(), cap)
    };
    let path_rows = u16::try_from(view.paths.len().clamp(1, if wide { 6 } else { 2 })).unwrap_or(1) + 2;
    let [title, components, connectivity, recommendations, paths, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(rows_for(report.components.len(), cap)),
        Constraint::Length(connectivity_rows),
        Constraint::Min(3),
        Constraint::Length(path_rows),
        Constraint::Length(1),
    ])
    .areas(area);

    let (verdict, style) = match report.status {
        Overall::Pass => ("✓ pass", theme.check(Status::Pass)),
        Overall::PassWithWarnings => ("! pass with warnings", theme.check(Status::Warn)),
        Overall::Fail => ("✗ fail", theme.check(Status::Fail)),
    };
    let mut spans = vec![
        Span::styled("Verification ", theme.title()),
        Span::styled(verdict, style),
    ];
    if let Some(id) = &report.deployment_id {
        spans.push(Span::raw(format!("  deployment {id}")));
    }
    spans.push(Span::styled(
        format!(
            "  {}  {}",
            report.generated_at,
            duration(Duration::from_millis(report.duration_ms))
        ),
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), title);

    frame.render_widget(components_table(&report.components, theme, wide), components);

    if report.connectivity.is_empty() {
        let text = if report.online {
            "no endpoints to check"
        } else {
            "offline: the network checks did not run"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim())).block(block("Connectivity", theme)),
            connectivity,
        );
    } else {
        frame.render_widget(connectivity_table(view, theme, wide), connectivity);
    }

    let mut lines: Vec<Line> = report
        .recommendations
        .iter()
        .enumerate()
        .map(|(i, r)| Line::raw(format!("{}. {r}", i + 1)))
        .collect();
    if lines.is_empty() {
        lines.push(Line::from(Span::styled("nothing to fix", theme.dim())));
    }
    if wide && !report.next_steps.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Next steps", theme.title())));
        lines.extend(report.next_steps.iter().map(|s| Line::raw(format!("- {s}"))));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("Recommendations", theme)),
        recommendations,
    );

    let lines: Vec<Line> = if view.paths.is_empty() {
        vec![Line::from(Span::styled("no report files written", theme.dim()))]
    } else {
        view.paths
            .iter()
            .map(|p| Line::raw(p.display().to_string()))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block("Report files", theme)), paths);
    frame.render_widget(footer(&[("q/Enter", "quit"), ("?", "help")], theme), keys);
}

fn components_table(components: &[ComponentResult], theme: Theme, wide: bool) -> Table<'_> {
    let rows = components.iter().map(|c| {
        let problem = c
            .checks
            .iter()
            .filter(|check| check.status == c.status && c.status != Status::Pass)
            .map(|check| check.message.as_str())
            .next()
            .unwrap_or("");
        let mut cells = vec![
            Cell::from(Span::styled(status_text(c.status), theme.check(c.status))),
            Cell::from(c.title.as_str()),
            Cell::from(format!("{:>3}", c.checks.len())),
            Cell::from(duration(Duration::from_millis(c.duration_ms))),
        ];
        if wide {
            cells.push(Cell::from(problem));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Length(28),
        Constraint::Length(6),
        Constraint::Length(7),
    ];
    let mut header = vec!["Status", "Component", "Checks", "Time"];
    if wide {
        widths.push(Constraint::Fill(1));
        header.push("Finding");
    }
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.title()))
        .block(block("Components", theme))
}

fn connectivity_table(view: &ReportView, theme: Theme, wide: bool) -> Table<'_> {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    let rows = view.report.connectivity.iter().map(|p| {
        let mut cells = vec![
            Cell::from(p.endpoint.as_str()),
            Cell::from(Span::styled(status_text(p.status), theme.check(p.status))),
            Cell::from(opt(p.failed_layer.map(|l| l.label().to_string()))),
            Cell::from(opt(p.tls_version.clone())),
            Cell::from(opt(p.days_left.map(|d| d.to_string()))),
            Cell::from(opt(p.http_status.map(|s| s.to_string()))),
            Cell::from(format!("{:>5}", p.total_ms)),
        ];
        if wide {
            cells.push(Cell::from(p.message.as_str()));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Fill(1),
        Constraint::Length(6),
        Constraint::Length(13),
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(5),
    ];
    let mut header = vec!["Endpoint", "Status", "Failed at", "TLS", "Days", "HTTP", "   ms"];
    if wide {
        widths[0] = Constraint::Length(32);
        widths.push(Constraint::Fill(1));
        header.push("Message");
    }
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.title()))
        .block(block("Connectivity", theme))
}
