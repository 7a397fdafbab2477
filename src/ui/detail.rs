//! The Detail view of the selected item: an execution's stage/step tree and its gates, or a
//! pipeline with its recent runs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::Screen;
use super::format::{ago, countdown, duration};
use super::theme::Theme;
use crate::app::Pane;
use crate::domain::{Approval, Execution, Pipeline, Stage, Status};
use crate::sanitize::clean;

pub fn draw(f: &mut Frame, area: Rect, app: &Screen, theme: &Theme, block: Block) {
    let lines = match app.pane {
        Pane::Pipelines => app
            .selected_pipeline()
            .map(|p| pipeline_lines(app, theme, p))
            .unwrap_or_default(),
        Pane::Executions | Pane::Approvals => execution_lines(app, theme),
        Pane::Audit => super::audit::detail_lines(app, theme),
    };
    let inner = block.inner(area);
    // The `web` line goes in once the width it is cut to is known.
    let mut lines = lines;
    let link = match app.pane {
        Pane::Executions | Pane::Approvals => app.current_link().map(|l| {
            let at = link_line_at(&lines);
            let room = usize::from(inner.width).saturating_sub(LABEL);
            let (line, text) = link_line(theme, l.url.as_deref(), room);
            lines.insert(at, line);
            (at, text, l.url)
        }),
        _ => None,
    };
    // Where the link landed: the rows the lines above it wrap to (less the scroll, below).
    let placed = link.and_then(|(at, text, url)| {
        let above = Paragraph::new(lines[..at].to_vec())
            .wrap(Wrap { trim: false })
            .line_count(inner.width);
        Some((u16::try_from(above).ok()?, text, url?))
    });
    // Scrolled with the movement keys, within the content: the frame says how far it can
    // go (`Drawn::detail_bottom`), and the border says when more lies above or below.
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = u16::try_from(text.line_count(inner.width)).unwrap_or(u16::MAX);
    let bottom = total.saturating_sub(inner.height);
    app.detail_bottom.set(Some(bottom));
    let top = app.detail_scroll.min(bottom);
    let mut block = block;
    if top > 0 {
        block =
            block.title_top(Line::styled(format!(" ↑ {top} more "), theme.dim()).right_aligned());
    }
    if top < bottom {
        let below = bottom - top;
        block = block
            .title_bottom(Line::styled(format!(" ↓ {below} more "), theme.dim()).right_aligned());
    }
    if let Some((row, text, url)) = placed
        && row >= top
        && row - top < inner.height
        && inner.width as usize > LABEL
    {
        app.link.set(Some(crate::app::Hyperlink {
            x: inner.x + LABEL as u16,
            y: inner.y + (row - top),
            text,
            url,
        }));
    }
    f.render_widget(text.scroll((top, 0)).block(block), area);
}

/// The width of a field's label column (`{name:>12}` and two spaces).
const LABEL: usize = 14;

/// Where the link goes: after the execution's header fields (the first blank line).
fn link_line_at(lines: &[Line]) -> usize {
    lines
        .iter()
        .position(|l| l.spans.iter().all(|s| s.content.is_empty()))
        .unwrap_or(lines.len())
}

/// The `web` field: the link cut to `room` cells with `…` (the hyperlink keeps the whole
/// URL), or why there is none. Returns the line and the link text as drawn.
fn link_line<'a>(theme: &Theme, url: Option<&str>, room: usize) -> (Line<'a>, String) {
    match url {
        Some(url) => {
            // A checked link is printable ASCII: one cell per byte.
            let text = if url.len() <= room {
                url.to_owned()
            } else {
                format!("{}…", &url[..room.saturating_sub(1)])
            };
            (
                field(theme, "web", Span::styled(text.clone(), theme.link())),
                text,
            )
        }
        None => (
            field(
                theme,
                "web",
                Span::styled("no page in the vendor's web UI", theme.dim()),
            ),
            String::new(),
        ),
    }
}

fn field<'a>(theme: &Theme, name: &'a str, value: impl Into<Span<'a>>) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{name:>12}  "), theme.dim()),
        value.into(),
    ])
}

fn field_line<'a>(theme: &Theme, name: &'a str, value: Line<'a>) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("{name:>12}  "), theme.dim())];
    spans.extend(value.spans);
    Line::from(spans)
}

/// The normalized word, as everywhere.
fn status_span(theme: &Theme, s: &Status) -> Span<'static> {
    Span::styled(super::format::status_text(s), theme.status(s.status))
}

/// The normalized word, then the backend's own, labelled raw (when it says more).
fn status_with_raw(theme: &Theme, s: &Status) -> Line<'static> {
    let mut spans = vec![status_span(theme, s)];
    if s.raw_says_more() {
        spans.push(Span::styled(
            format!("  (raw: {})", clean(&s.raw)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

fn pipeline_lines<'a>(app: &'a Screen, theme: &Theme, p: &'a Pipeline) -> Vec<Line<'a>> {
    let mut lines = vec![
        field(
            theme,
            "pipeline",
            Span::styled(clean(&p.name).into_owned(), theme.title()),
        ),
        field(theme, "id", clean(&p.id).into_owned()),
        field(theme, "project", clean(&p.project).into_owned()),
        field(theme, "backend", p.backend.to_string()),
    ];
    if !p.description.is_empty() {
        lines.push(field(
            theme,
            "description",
            clean(&p.description).into_owned(),
        ));
    }
    if !p.tags.is_empty() {
        let tags: Vec<String> = p
            .tags
            .iter()
            .map(|(k, v)| format!("{}:{}", clean(k), clean(v)))
            .collect();
        lines.push(field(theme, "tags", tags.join(" ")));
    }
    if let Some(s) = &p.last_status {
        lines.push(field_line(theme, "last run", status_with_raw(theme, s)));
    }
    lines.push(Line::default());
    lines.push(Line::styled("Recent executions", theme.header()));
    let runs = app
        .executions
        .iter()
        .filter(|e| e.backend == p.backend && e.project == p.project && e.pipeline_id == p.id)
        .take(10);
    let mut any = false;
    for e in runs {
        any = true;
        lines.push(Line::from(vec![
            Span::raw("  "),
            status_span(theme, &e.status),
            Span::raw(format!(
                "  {}  {}  {}",
                e.run_number.map(|n| format!("#{n}")).unwrap_or_default(),
                ago(&app.clock, e.started),
                clean(&e.triggered_by)
            )),
        ]));
    }
    if !any {
        lines.push(Line::styled("  none in the current list", theme.dim()));
    }
    lines
}

fn execution_lines<'a>(app: &'a Screen, theme: &Theme) -> Vec<Line<'a>> {
    let Some((backend, exec)) = app.current_exec() else {
        return vec![Line::styled("nothing selected", theme.dim())];
    };
    let detail = app.current_detail();
    let fresh = detail.and_then(|d| d.result.as_ref().ok());
    let row = fresh.map(|d| &d.execution).or_else(|| {
        app.executions
            .iter()
            .find(|e| e.backend == backend && e.id == exec.id)
    });
    let mut lines = match row {
        Some(e) => header_lines(app, theme, e),
        None => vec![field(theme, "execution", clean(&exec.id).into_owned())],
    };
    lines.push(Line::default());
    // Opened from a gate, the gate comes first: what it asks, who may decide and how long is
    // left are what the user came for, and a long stage tree would push them off a small
    // screen.
    let opened_gate = (app.pane == Pane::Approvals)
        .then(|| app.selected_approval())
        .flatten()
        .map(|sel| {
            // The detail's read of the gate is the fresher one.
            fresh
                .and_then(|d| d.approvals.iter().find(|g| g.id == sel.id))
                .unwrap_or(sel)
        });
    if let Some(gate) = opened_gate {
        gate_lines(app, theme, gate, &mut lines);
        lines.push(Line::default());
    }
    let is_opened = |a: &Approval| opened_gate.is_some_and(|g| g.id == a.id);
    match (detail.map(|d| &d.result), fresh) {
        (_, Some(d)) => {
            lines.push(Line::styled("Stages", theme.header()));
            stage_lines(app, theme, &d.stages, &mut lines);
            let gates = d.approvals.iter().chain(
                // Gates known from the Approvals list but not yet in this read.
                app.approvals.iter().filter(|a| {
                    a.backend == backend
                        && a.execution_id == exec.id
                        && !d.approvals.iter().any(|g| g.id == a.id)
                }),
            );
            for gate in gates.filter(|g| !is_opened(g)) {
                lines.push(Line::default());
                gate_lines(app, theme, gate, &mut lines);
            }
        }
        (Some(Err(e)), None) => lines.push(Line::styled(
            format!("could not read: {}", clean(e)),
            theme.flash(crate::app::FlashLevel::Error),
        )),
        _ => lines.push(Line::styled("loading stages…", theme.dim())),
    }
    lines
}

fn header_lines<'a>(app: &Screen, theme: &Theme, e: &'a Execution) -> Vec<Line<'a>> {
    let mut lines = vec![
        field(
            theme,
            "pipeline",
            Span::styled(clean(&e.pipeline_name).into_owned(), theme.title()),
        ),
        field(
            theme,
            "execution",
            format!(
                "{}{}",
                clean(&e.id),
                e.run_number
                    .map(|n| format!("  (run #{n})"))
                    .unwrap_or_default()
            ),
        ),
        field_line(theme, "status", status_with_raw(theme, &e.status)),
        field(
            theme,
            "project",
            format!("{}  on {}", clean(&e.project), e.backend),
        ),
        field(
            theme,
            "started",
            format!(
                "{}  by {}{}",
                ago(&app.clock, e.started),
                clean(&e.triggered_by),
                took(app, e)
            ),
        ),
    ];
    if e.stages_total > 0 {
        lines.push(field(
            theme,
            "stages",
            format!("{}/{} done", e.stages_done, e.stages_total),
        ));
    }
    if let Some(m) = e.message.as_deref().filter(|m| !m.is_empty()) {
        lines.push(field(
            theme,
            "message",
            Span::styled(clean(m).into_owned(), theme.status(e.status.status)),
        ));
    }
    lines
}

/// How long it took, once ended; how long so far while it is not (never "took" for an
/// execution that has not ended); nothing for one that ended at a time not reported.
fn took(app: &Screen, e: &Execution) -> String {
    match (e.started, e.ended) {
        (Some(_), Some(_)) => format!("  ·  took {}", duration(&app.clock, e.started, e.ended)),
        (Some(_), None) if !e.status.status.is_terminal() => {
            format!("  ·  {} so far", duration(&app.clock, e.started, None))
        }
        _ => String::new(),
    }
}

/// One row of the stage/step tree: the name indented by depth and padded into a column,
/// then status, duration and detail, so statuses line up whatever the names.
fn tree_row<'a>(
    theme: &Theme,
    name_width: usize,
    depth: usize,
    name: &str,
    status: &Status,
    time: String,
    extra: Vec<Span<'a>>,
) -> Line<'a> {
    let name = format!("{}{}", "  ".repeat(depth + 1), clean(name));
    let name_style = if depth == 0 {
        theme.base().add_modifier(ratatui::style::Modifier::BOLD)
    } else {
        theme.base()
    };
    let mut spans = vec![
        Span::styled(format!("{name:<name_width$}  "), name_style),
        Span::styled(
            format!("{:<14}", super::format::status_text(status)),
            theme.status(status.status),
        ),
        Span::styled(format!(" {time:>7}"), theme.dim()),
    ];
    spans.extend(extra);
    Line::from(spans)
}

fn stage_lines<'a>(app: &Screen, theme: &Theme, stages: &'a [Stage], lines: &mut Vec<Line<'a>>) {
    let name_width = stages
        .iter()
        .flat_map(|st| {
            std::iter::once(st.name.chars().count() + 2)
                .chain(st.steps.iter().map(|s| s.name.chars().count() + 4))
        })
        .max()
        .unwrap_or(0)
        .min(36);
    for stage in stages {
        let time = duration(&app.clock, stage.started, stage.ended);
        lines.push(tree_row(
            theme,
            name_width,
            0,
            &stage.name,
            &stage.status,
            time,
            vec![],
        ));
        for step in &stage.steps {
            let time = duration(&app.clock, step.started, step.ended);
            let mut extra = vec![Span::styled(
                format!("  {}", clean(&step.kind)),
                theme.dim(),
            )];
            if let Some(m) = step.message.as_deref().filter(|m| !m.is_empty()) {
                extra.push(Span::styled(
                    format!("  {}", clean(m)),
                    theme.status(step.status.status),
                ));
            }
            lines.push(tree_row(
                theme,
                name_width,
                1,
                &step.name,
                &step.status,
                time,
                extra,
            ));
        }
    }
}

fn gate_lines<'a>(app: &Screen, theme: &Theme, a: &'a Approval, lines: &mut Vec<Line<'a>>) {
    let (state, style) = super::approvals::gate_state(app, theme, a);
    lines.push(Line::from(vec![
        Span::styled("Gate  ", theme.header()),
        Span::styled(state, style),
        Span::raw(format!("  {} / {}", clean(&a.stage), clean(&a.step))),
    ]));
    if !a.message.is_empty() {
        lines.push(field(theme, "message", clean(&a.message).into_owned()));
    }
    let approvers = if a.approvers.is_empty() {
        "-".to_string()
    } else {
        a.approvers
            .iter()
            .map(|s| clean(s).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    lines.push(field(
        theme,
        "approvers",
        format!("{approvers}  (needs {})", a.min_count.max(1)),
    ));
    lines.push(field(theme, "deadline", countdown(&app.clock, a.deadline)));
    if let Some(env) = &a.environment {
        lines.push(field(theme, "environment", clean(env).into_owned()));
    }
    for input in &a.inputs {
        let options = if input.options.is_empty() {
            String::new()
        } else {
            format!("  [{}]", input.options.join("|"))
        };
        lines.push(field(
            theme,
            "input",
            format!(
                "{} = {}{}",
                clean(&input.name),
                clean(&input.default),
                clean(&options)
            ),
        ));
    }
}
