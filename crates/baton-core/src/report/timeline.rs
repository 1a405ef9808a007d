//! The report's timeline as an inline SVG: a row per task, then a row per agent, each a bar
//! from start to end on one time axis, with the session's merges and alerts marked on their
//! agent's row. Drawn here from the report's values (a chart library would bring a script or a
//! rasterizer for a few rectangles); every number is rounded so the output is stable.

use std::fmt::Write;

use super::format::{duration, escape, offset};
use super::model::{ReportData, Span};
use crate::task::TaskState;

const WIDTH: f64 = 960.0;
const LABEL: f64 = 190.0;
const RIGHT: f64 = 24.0;
const AXIS: f64 = 30.0;
const ROW: f64 = 24.0;
const BAR: f64 = 14.0;
const GROUP: f64 = 26.0;

/// The colour of a task's bar by its state.
pub fn task_colour(state: TaskState) -> &'static str {
    match state {
        TaskState::Done => "#2f9e44",
        TaskState::Review => "#7048e8",
        TaskState::Running => "#1c7ed6",
        TaskState::Failed => "#e03131",
        TaskState::Blocked => "#f08c00",
        TaskState::Cancelled | TaskState::Pending | TaskState::Ready => "#adb5bd",
    }
}

/// The colour of an agent's bar by its CLI.
pub fn cli_colour(cli: &str) -> &'static str {
    match cli {
        "claude" => "#d9480f",
        "codex" => "#0c8599",
        "gemini" => "#4263eb",
        _ => "#495057",
    }
}

/// A step for the axis's ticks that gives at most eight of them.
fn tick_step(total_ms: i64) -> i64 {
    // In milliseconds: tenths of a second up to a day.
    const STEPS: [i64; 19] = [
        100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
        1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000,
    ];
    let total = total_ms.max(1);
    STEPS.iter().copied().find(|s| total / s <= 8).unwrap_or(86_400_000 * ((total / 86_400_000) / 8 + 1))
}

/// A tick's time without the zeros of a round step: `30s`, `2m`, `1h 30m`.
fn tick_label(ms: i64) -> String {
    match ms {
        0 => "0".into(),
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 && ms < 3_600_000 => format!("{}m", ms / 60_000),
        ms => duration(ms),
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

pub fn svg(d: &ReportData) -> String {
    let total = (d.end - d.start).max(1000);
    let plot = WIDTH - LABEL - RIGHT;
    let x = |at: i64| LABEL + ((at - d.start).clamp(0, total) as f64 / total as f64 * plot);
    let rows = d.tasks.len() + d.agents.len();
    let groups = usize::from(!d.tasks.is_empty()) + usize::from(!d.agents.is_empty());
    let height = AXIS + groups as f64 * GROUP + rows as f64 * ROW + 8.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-label="Timeline of tasks and agents">"#
    );
    // The axis: a tick and a label per step, a faint line down through the rows.
    let step = tick_step(total);
    let mut t = 0;
    while t <= total {
        let tx = x(d.start + t);
        let _ = write!(
            s,
            r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#dee2e6" stroke-width="1"/><text x="{tx:.1}" y="16" font-size="11" text-anchor="middle" fill="#868e96">{}</text>"##,
            AXIS - 6.0,
            height - 4.0,
            tick_label(t)
        );
        t += step;
    }
    let mut y = AXIS;
    let heading = |s: &mut String, y: f64, text: &str| {
        let _ = write!(
            s,
            r##"<text x="4" y="{:.1}" font-size="12" font-weight="600" fill="#343a40">{text}</text>"##,
            y + 17.0
        );
    };
    let bar = |s: &mut String, y: f64, label: &str, span: Span, colour: &str, tip: &str| {
        let x0 = x(span.start);
        let w = (x(span.end) - x0).max(3.0);
        let dash = if span.open { r##" stroke="#212529" stroke-dasharray="3 2""## } else { "" };
        let _ = write!(
            s,
            r##"<text x="12" y="{:.1}" font-size="12" fill="#212529">{}</text><rect x="{x0:.1}" y="{:.1}" width="{w:.1}" height="{BAR}" rx="3" fill="{colour}"{dash}><title>{}</title></rect>"##,
            y + ROW / 2.0 + 4.0,
            escape(&cut(label, 26)),
            y + (ROW - BAR) / 2.0,
            escape(tip)
        );
    };
    let span_text = |span: Span| {
        let end = if span.open { "still running".to_string() } else { offset(span.end, d.start) };
        format!("{} → {end} ({})", offset(span.start, d.start), duration(span.end - span.start))
    };
    if !d.tasks.is_empty() {
        heading(&mut s, y, "Tasks");
        y += GROUP;
        for t in &d.tasks {
            if let Some(span) = t.span {
                let tip = format!("{}: {}, {}", t.name, t.state.as_str(), span_text(span));
                bar(&mut s, y, &t.name, span, task_colour(t.state), &tip);
            } else {
                let _ = write!(
                    s,
                    r##"<text x="12" y="{:.1}" font-size="12" fill="#868e96">{}</text><text x="{:.1}" y="{:.1}" font-size="11" fill="#adb5bd">{} (never started)</text>"##,
                    y + ROW / 2.0 + 4.0,
                    escape(&cut(&t.name, 26)),
                    LABEL + 4.0,
                    y + ROW / 2.0 + 4.0,
                    t.state.as_str()
                );
            }
            y += ROW;
        }
    }
    if !d.agents.is_empty() {
        heading(&mut s, y, "Agents");
        y += GROUP;
        for a in &d.agents {
            let tip = format!("{} ({}): {}, {}", a.name, a.cli, a.state.as_str(), span_text(a.span));
            bar(&mut s, y, &a.name, a.span, cli_colour(&a.cli), &tip);
            let mid = y + ROW / 2.0;
            for m in d.merges.iter().filter(|m| m.agent == a.name) {
                let mx = x(m.at);
                let _ = write!(
                    s,
                    r##"<path d="M{mx:.1} {:.1} l5 5 l-5 5 l-5 -5 z" fill="#2f9e44" stroke="#fff"><title>merged into {} at {}</title></path>"##,
                    mid - 5.0,
                    escape(&m.into),
                    offset(m.at, d.start)
                );
            }
            for al in d.alerts.iter().filter(|al| al.agent.as_deref() == Some(a.name.as_str())) {
                let _ = write!(
                    s,
                    r##"<circle cx="{:.1}" cy="{mid:.1}" r="4" fill="#e03131" stroke="#fff"><title>{} at {}: {}</title></circle>"##,
                    x(al.at),
                    al.kind.as_str(),
                    offset(al.at, d.start),
                    escape(&al.message)
                );
            }
            y += ROW;
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_few_and_round() {
        assert_eq!(tick_step(1_300), 200);
        assert_eq!(tick_step(5_000), 1_000);
        assert_eq!(tick_step(60_000), 10_000);
        assert_eq!(tick_step(3_600_000), 600_000);
        assert_eq!(tick_label(120_000), "2m");
        assert_eq!(tick_label(7_200_000), "2h");
        assert_eq!(tick_label(5_400_000), "1h 30m");
        assert_eq!(tick_label(500), "0.5s");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
