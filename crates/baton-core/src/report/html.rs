//! The report as one HTML file: styles inline, the timeline an inline SVG, no script, font or
//! image fetched from anywhere, so it opens the same offline, in a mail or in an archive.

use std::fmt::Write;

use super::format::{cost, count, duration, escape as e, offset, tokens};
use super::markdown::{task_line, verdict_line};
use super::model::{ReportData, Span};
use super::timeline::{cli_colour, svg, task_colour};
use crate::context::{DecisionState, ObjectiveState};
use crate::coordinator::verdict::VerdictKind;

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f8f9fa; color: #212529;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #dee2e6; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.meta { color: #6c757d; margin: 0 0 18px; }
.meta code { color: #495057; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid #e9ecef; border-radius: 8px; padding: 10px 14px; }
.card .v { font-size: 20px; font-weight: 600; }
.card .k { color: #6c757d; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.verdict { background: #fff; border-left: 4px solid #1c7ed6; padding: 10px 14px; border-radius: 4px; margin: 0 0 12px; }
.verdict.complete { border-color: #2f9e44; }
.verdict.stopped { border-color: #f08c00; }
.panel { background: #fff; border: 1px solid #e9ecef; border-radius: 8px; padding: 12px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #f1f3f5; vertical-align: top; }
th { font-size: 12px; color: #6c757d; font-weight: 600; background: #f8f9fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n, td.t { white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #dee2e6; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; color: #fff; white-space: nowrap; }
.muted { color: #868e96; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 12px; color: #495057; margin-top: 8px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
ul { padding-left: 20px; margin: 6px 0; }
ul.objectives { list-style: none; padding-left: 0; }
.box { display: inline-block; width: 15px; height: 15px; margin-right: 8px; vertical-align: -2px; border: 1.5px solid #adb5bd;
  border-radius: 3px; font-size: 11px; line-height: 12px; text-align: center; color: #fff; }
.box.done { background: #2f9e44; border-color: #2f9e44; }
li { margin: 3px 0; }
.goal { font-size: 15px; white-space: pre-wrap; margin: 0 0 6px; }
footer { margin-top: 32px; color: #adb5bd; font-size: 12px; }
"#;

// `write!` into a String cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{ let _ = write!($out, $($arg)*); }};
}

pub fn render(d: &ReportData) -> String {
    let mut o = String::new();
    let name = e(&d.session.name);
    w!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>Report: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
    w!(o, "<h1>Report: {name}</h1>\n");
    let base = d.session.base_branch.as_deref().map(|b| format!(" (<code>{}</code>)", e(b))).unwrap_or_default();
    w!(
        o,
        "<p class=\"meta\"><code>{}</code>{base} · started <time datetime=\"{t}\">{t}</time>; times below count from there</p>\n",
        e(&d.session.repo),
        t = crate::time::ms_to_rfc3339(d.start)
    );
    outcome(&mut o, d);
    goal(&mut o, d);
    w!(o, "<h2>Timeline</h2>\n<div class=\"panel\" id=\"timeline\">{}\n", svg(d));
    legend(&mut o, d);
    w!(o, "</div>\n");
    tasks(&mut o, d);
    agents(&mut o, d);
    spend(&mut o, d);
    reviews(&mut o, d);
    context(&mut o, d);
    artifacts(&mut o, d);
    merges(&mut o, d);
    alerts(&mut o, d);
    w!(o, "<footer>Made by Baton from the session's record.</footer>\n</main>\n</body>\n</html>\n");
    o
}

fn outcome(o: &mut String, d: &ReportData) {
    let class = match d.coordinator {
        crate::session::CoordinatorState::Complete => "complete",
        crate::session::CoordinatorState::Running => "",
        crate::session::CoordinatorState::Off => "stopped",
    };
    w!(
        o,
        "<p class=\"verdict {class}\" id=\"outcome\"><strong>{}</strong><br>Tasks: {}</p>\n",
        e(&verdict_line(d)),
        e(&task_line(d))
    );
    let total = d.total();
    let done = d.tasks.iter().filter(|t| t.state == crate::task::TaskState::Done).count();
    let cards = [
        ("Duration", duration(d.end - d.start)),
        ("Tasks done", format!("{done} / {}", d.tasks.len())),
        ("Agents", d.agents.len().to_string()),
        ("Cost", cost(&total)),
        ("Tokens", count(total.usage.input + total.usage.output)),
        ("Review rounds", d.reviews.len().to_string()),
    ];
    w!(o, "<div class=\"cards\">");
    for (k, v) in cards {
        w!(o, "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{k}</div></div>", e(&v));
    }
    w!(o, "</div>\n");
}

fn goal(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Goal</h2>\n");
    match &d.goal {
        Some(g) => w!(o, "<p class=\"goal\">{}</p>\n", e(g.trim())),
        None => w!(o, "<p class=\"muted\">{}</p>\n", e(super::markdown::goal_missing(d))),
    }
    if d.objectives.is_empty() {
        return;
    }
    w!(o, "<h3>Objectives</h3>\n<ul class=\"objectives\">");
    for ob in &d.objectives {
        match ob.state {
            ObjectiveState::Done => w!(o, "<li><span class=\"box done\">✓</span>{}</li>", e(&ob.text)),
            ObjectiveState::Open => w!(o, "<li><span class=\"box\"></span>{}</li>", e(&ob.text)),
            ObjectiveState::Dropped => {
                w!(o, "<li class=\"muted\"><span class=\"box\"></span><s>{}</s> (dropped)</li>", e(&ob.text))
            }
        }
    }
    w!(o, "</ul>\n");
}

fn legend(o: &mut String, d: &ReportData) {
    w!(o, "<div class=\"legend\">");
    let mut states: Vec<_> = d.tasks.iter().map(|t| t.state).collect();
    states.dedup();
    let mut seen = Vec::new();
    for s in states {
        if !seen.contains(&s) {
            seen.push(s);
            w!(o, "<span><i style=\"background:{}\"></i>task {}</span>", task_colour(s), s.as_str());
        }
    }
    for cli in d.by_cli().keys() {
        w!(o, "<span><i style=\"background:{}\"></i>{} agent</span>", cli_colour(cli), e(cli));
    }
    if !d.merges.is_empty() {
        w!(o, "<span><i style=\"background:#2f9e44;transform:rotate(45deg)\"></i>merge</span>");
    }
    if !d.alerts.is_empty() {
        w!(o, "<span><i style=\"background:#e03131;border-radius:5px\"></i>alert</span>");
    }
    w!(o, "</div>\n");
}

fn table_open(o: &mut String, id: &str, heads: &[&str]) {
    w!(o, "<div class=\"panel\"><table id=\"{id}\"><thead><tr>");
    for h in heads {
        match h.strip_prefix('#') {
            Some(h) => w!(o, "<th class=\"n\">{h}</th>"),
            None => w!(o, "<th>{h}</th>"),
        }
    }
    w!(o, "</tr></thead><tbody>\n");
}

fn table_close(o: &mut String) {
    w!(o, "</tbody></table></div>\n");
}

fn opt(v: Option<&str>) -> String {
    v.map(e).unwrap_or_else(|| "<span class=\"muted\">—</span>".into())
}

fn when(span: Option<Span>, start: i64) -> String {
    match span {
        None => "<td class=\"muted\">—</td><td class=\"muted\">—</td><td class=\"muted\">—</td>".into(),
        Some(s) => format!(
            "<td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"n\">{}</td>",
            offset(s.start, start),
            if s.open { "running".into() } else { offset(s.end, start) },
            duration(s.end - s.start)
        ),
    }
}

fn badge(colour: &str, text: &str) -> String {
    format!("<span class=\"badge\" style=\"background:{colour}\">{}</span>", e(text))
}

fn tasks(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Tasks</h2>\n");
    if d.tasks.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
        return;
    }
    table_open(
        o,
        "tasks",
        &["Task", "State", "Agent", "Start", "End", "#Took", "#Attempts", "Tokens", "#Cost", "Outcome"],
    );
    for t in &d.tasks {
        w!(
            o,
            "<tr><td><strong>{}</strong><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td>{}<td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
            e(&t.name),
            e(&t.title),
            badge(task_colour(t.state), t.state.as_str()),
            opt(t.agent.as_deref()),
            when(t.span, d.start),
            t.attempts,
            tokens(&t.spend),
            cost(&t.spend),
            opt(t.outcome.as_deref())
        );
    }
    table_close(o);
}

fn agents(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Agents</h2>\n");
    if d.agents.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
        return;
    }
    table_open(o, "agents", &["Agent", "CLI", "State", "Task", "Start", "End", "#Took", "#Turns", "Tokens", "#Cost"]);
    for a in &d.agents {
        let state = if a.archived { format!("{} (removed)", a.state.as_str()) } else { a.state.as_str().into() };
        let detail = [a.model.as_deref(), a.role.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
        w!(
            o,
            "<tr><td><strong>{}</strong><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td>{}<td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n",
            e(&a.name),
            e(&detail),
            badge(cli_colour(&a.cli), &a.cli),
            e(&state),
            opt(a.task.as_deref()),
            when(Some(a.span), d.start),
            a.turns,
            tokens(&a.spend),
            cost(&a.spend)
        );
    }
    table_close(o);
}

fn spend(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Cost by CLI</h2>\n");
    if d.agents.is_empty() {
        w!(o, "<p class=\"muted\">Nothing was spent.</p>\n");
        return;
    }
    table_open(o, "cost", &["CLI", "#Agents", "#Input", "#Output", "#Cached", "#Cost"]);
    let row = |o: &mut String, class: &str, label: &str, s: &super::model::Spend| {
        let u = &s.usage;
        w!(
            o,
            "<tr class=\"{class}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            e(label),
            s.agents,
            count(u.input),
            count(u.output),
            count(u.cache_read + u.cache_write),
            cost(s)
        );
    };
    for (cli, s) in d.by_cli() {
        row(o, "", &cli, &s);
    }
    row(o, "total", "Total", &d.total());
    table_close(o);
    if d.total().estimate {
        w!(o, "<p class=\"muted\">A cost marked ~ is Baton's estimate from tokens: the CLI reported none.</p>\n");
    }
}

fn reviews(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Reviews</h2>\n");
    if d.reviews.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
        return;
    }
    table_open(o, "reviews", &["At", "Reviewer", "Reviewed", "#Round", "Verdict", "Findings"]);
    for r in &d.reviews {
        let verdict = match r.verdict {
            Some(VerdictKind::Approve) => badge("#2f9e44", "approve"),
            Some(VerdictKind::RequestChanges) => badge("#f08c00", "request changes"),
            None => badge("#868e96", "unreadable"),
        };
        w!(
            o,
            "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{verdict}</td><td>{}</td></tr>\n",
            offset(r.at, d.start),
            e(&r.reviewer),
            opt(r.reviewed.as_deref()),
            r.round,
            e(&r.summary)
        );
    }
    table_close(o);
}

fn context(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Decisions</h2>\n");
    if d.decisions.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
    } else {
        w!(o, "<ul>");
        for x in &d.decisions {
            match (&x.state, &x.answer) {
                (DecisionState::Decided, Some(a)) => w!(o, "<li>{} — <strong>{}</strong></li>", e(&x.question), e(a)),
                _ => w!(o, "<li>{} — <em>pending</em></li>", e(&x.question)),
            }
        }
        w!(o, "</ul>\n");
    }
    w!(o, "<h2>Insights</h2>\n");
    if d.insights.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
    } else {
        w!(o, "<ul>");
        for i in &d.insights {
            let at = crate::time::rfc3339_to_ms(&i.created_at).unwrap_or(d.start);
            w!(o, "<li><span class=\"muted\">{}</span> {}</li>", offset(at, d.start), e(&i.text));
        }
        w!(o, "</ul>\n");
    }
}

fn artifacts(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Artifacts</h2>\n");
    if d.artifacts.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
        return;
    }
    table_open(o, "artifacts", &["At", "Kind", "Title", "Task", "Agent"]);
    for a in &d.artifacts {
        w!(
            o,
            "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            offset(a.at, d.start),
            a.kind.as_str(),
            e(&a.title),
            opt(a.task.as_deref()),
            opt(a.agent.as_deref())
        );
    }
    table_close(o);
}

fn merges(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Merges</h2>\n");
    if d.merges.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
        return;
    }
    table_open(o, "merges", &["At", "Agent", "Branch", "Into", "Tip"]);
    for m in &d.merges {
        w!(
            o,
            "<tr><td class=\"t\">{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>\n",
            offset(m.at, d.start),
            e(&m.agent),
            e(&m.branch),
            e(&m.into),
            e(&m.tip)
        );
    }
    table_close(o);
}

fn alerts(o: &mut String, d: &ReportData) {
    w!(o, "<h2>Alerts</h2>\n");
    if d.alerts.is_empty() {
        w!(o, "<p class=\"muted\">None.</p>\n");
        return;
    }
    table_open(o, "alerts", &["At", "Severity", "Kind", "Agent", "Message", "Resolved"]);
    for a in &d.alerts {
        let colour = match a.severity {
            crate::health::AlertSeverity::Critical => "#e03131",
            crate::health::AlertSeverity::Warning => "#f08c00",
            crate::health::AlertSeverity::Info => "#1c7ed6",
        };
        w!(
            o,
            "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            offset(a.at, d.start),
            badge(colour, a.severity.as_str()),
            a.kind.as_str(),
            opt(a.agent.as_deref()),
            e(&a.message),
            if a.resolved { "yes" } else { "no" }
        );
    }
    table_close(o);
}
