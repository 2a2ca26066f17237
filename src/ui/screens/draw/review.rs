//! The review screen: every resource the plan creates, reuses, leaves, updates, replaces or
//! deletes, per step (an update's fields under it, as `plan` prints them), with the validation
//! warnings; a row of sections to go back to, and Deploy.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::{WIDE, block, footer};
use crate::ui::screens::state::ReviewState;
use crate::ui::screens::theme::Theme;
use crate::ui::screens::views::{Action, ReviewView};
use crate::ui::section::Section;

pub(super) fn draw(frame: &mut Frame, area: Rect, review: &ReviewState, theme: Theme) {
    let view = &review.view;
    let wide = area.width >= WIDE;
    // Below the table when narrow; beside it (no rows here) when wide.
    let warning_rows = if view.warnings.is_empty() || wide {
        0
    } else {
        let lines: usize = view
            .warnings
            .iter()
            .map(|w| 1 + usize::from(w.suggestion.is_some()))
            .sum();
        u16::try_from(lines.min(4)).unwrap_or(4) + 2
    };
    let [header, summary, body, warnings, sections, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(warning_rows),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Review the plan", theme.title()),
            Span::raw(format!(
                "  deployment {}  account {}  region {}",
                view.deployment_id, view.account, view.region
            )),
        ])),
        header,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!("{} to create", view.count(Action::Create)),
                theme.action(Action::Create),
            ),
            Span::raw(", "),
            Span::styled(
                format!("{} to reuse", view.count(Action::Reuse)),
                theme.action(Action::Reuse),
            ),
            Span::raw(", "),
            Span::styled(
                format!("{} to leave", view.count(Action::Leave)),
                theme.action(Action::Leave),
            ),
            Span::raw(changed(view)),
            Span::raw(format!(", {} warning(s)", view.warnings.len())),
        ])),
        summary,
    );

    let (table_area, side) = if wide && !view.warnings.is_empty() {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        (left, Some(right))
    } else {
        (body, None)
    };
    frame.render_widget(items(view, review.selected_section(), theme, wide), table_area);
    if let Some(side) = side {
        frame.render_widget(warnings_widget(view, theme), side);
    } else if warning_rows > 0 {
        frame.render_widget(warnings_widget(view, theme), warnings);
    }

    let mut spans = vec![Span::raw("Go back to: ")];
    for (i, section) in view.sections().iter().enumerate() {
        let (marker, style) = if i == review.selected {
            ("▸", theme.selected())
        } else {
            (" ", theme.dim())
        };
        spans.push(Span::styled(format!("{marker}{section} "), style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw("  "));
    let (marker, deploy_style) = if review.selected_section().is_none() {
        ("▸", theme.selected())
    } else {
        (" ", theme.title())
    };
    spans.push(Span::styled(format!("{marker}[ Deploy ]"), deploy_style));
    frame.render_widget(Paragraph::new(Line::from(spans)), sections);
    frame.render_widget(
        footer(
            &[
                ("↑↓", "select"),
                ("Enter", "choose"),
                ("b", "back"),
                ("q", "quit"),
                ("?", "help"),
            ],
            theme,
        ),
        keys,
    );
}

/// `, N to update, N to replace, N to delete`, for the counts that are not zero.
fn changed(view: &ReviewView) -> String {
    let mut text = String::new();
    for action in [Action::Update, Action::Replace, Action::Delete] {
        let n = view.count(action);
        if n > 0 {
            let _ = write!(text, ", {n} to {}", action.label());
        }
    }
    text
}

fn items(view: &ReviewView, selected: Option<Section>, theme: Theme, wide: bool) -> Table<'_> {
    let kind_width: u16 = if wide { 28 } else { 24 };
    let rows = view.items.iter().flat_map(|item| {
        let row = Row::new(vec![
            Cell::from(item.section.name()),
            Cell::from(item.kind.as_str()),
            Cell::from(item.name.as_str()),
            Cell::from(Span::styled(item.action.label(), theme.action(item.action))),
        ]);
        let row = if Some(item.section) == selected {
            row.style(theme.selected())
        } else {
            row
        };
        // Each changing field on a line of its own under the resource, as `plan` prints it:
        // the field in the kind column, `before -> after` in the name column.
        let fields = item.fields.iter().map(move |(path, change)| {
            Row::new(vec![
                Cell::from(""),
                Cell::from(Span::styled(format!("  {path}"), theme.dim())),
                Cell::from(Span::styled(change.as_str(), theme.dim())),
                Cell::from(""),
            ])
        });
        std::iter::once(row).chain(fields)
    });
    let widths = if wide {
        [
            Constraint::Length(10),
            Constraint::Length(kind_width),
            Constraint::Fill(1),
            Constraint::Length(7),
        ]
    } else {
        [
            Constraint::Length(8),
            Constraint::Length(kind_width),
            Constraint::Fill(1),
            Constraint::Length(7),
        ]
    };
    Table::new(rows, widths)
        .header(Row::new(vec!["Section", "Kind", "Name", "Action"]).style(theme.title()))
        .block(block("Plan", theme))
}

fn warnings_widget(view: &ReviewView, theme: Theme) -> Paragraph<'_> {
    let lines: Vec<Line> = view
        .warnings
        .iter()
        .flat_map(|finding| {
            let mut lines = vec![Line::from(vec![
                Span::styled(format!("{} ", finding.severity), theme.severity(finding.severity)),
                Span::styled(format!("{}: ", finding.field), theme.title()),
                Span::raw(finding.message.as_str()),
            ])];
            if let Some(fix) = &finding.suggestion {
                lines.push(Line::from(vec![
                    Span::styled("  fix: ", theme.dim()),
                    Span::raw(fix.as_str()),
                ]));
            }
            lines
        })
        .collect();
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(block(&format!("Warnings ({})", view.warnings.len()), theme))
}
