//! The report as Markdown (GitHub's tables): for a pull request, an issue or a terminal.

use std::fmt::Write;

use super::format::{cell, cost, count, duration, offset, tokens};
use super::model::{ReportData, Span};
use crate::context::{DecisionState, ObjectiveState};
use crate::coordinator::verdict::VerdictKind;
use crate::session::CoordinatorState;

pub fn render(d: &ReportData) -> String {
    let mut out = String::new();
    head(&mut out, d);
    goal(&mut out, d);
    outcome(&mut out, d);
    tasks(&mut out, d);
    agents(&mut out, d);
    spend(&mut out, d);
    reviews(&mut out, d);
    context(&mut out, d);
    artifacts(&mut out, d);
    merges(&mut out, d);
    alerts(&mut out, d);
    out
}

// `write!` into a String cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{ let _ = writeln!($out, $($arg)*); }};
}

fn head(out: &mut String, d: &ReportData) {
    w!(out, "# Report: {}\n", d.session.name);
    let base = d.session.base_branch.as_deref().map(|b| format!(" (`{b}`)")).unwrap_or_default();
    w!(out, "- Repository: `{}`{base}", d.session.repo);
    w!(out, "- Started: {} (the times below count from here)", crate::time::ms_to_rfc3339(d.start));
    w!(out, "- Last record: {}\n", offset(d.end, d.start));
}

fn goal(out: &mut String, d: &ReportData) {
    w!(out, "## Goal\n");
    match &d.goal {
        Some(goal) => w!(out, "{}\n", goal.trim()),
        None => w!(out, "{}\n", goal_missing(d)),
    }
    if d.objectives.is_empty() {
        return;
    }
    w!(out, "### Objectives\n");
    for o in &d.objectives {
        match o.state {
            ObjectiveState::Done => w!(out, "- [x] {}", cell(&o.text)),
            ObjectiveState::Open => w!(out, "- [ ] {}", cell(&o.text)),
            ObjectiveState::Dropped => w!(out, "- [ ] ~~{}~~ (dropped)", cell(&o.text)),
        }
    }
    w!(out, "");
}

/// What stands for the goal when the session was not planned from one.
pub fn goal_missing(d: &ReportData) -> &'static str {
    if d.objectives.is_empty() {
        "No goal was recorded: the session was not planned from a goal and has no objectives."
    } else {
        "No goal was recorded (the session was not planned from a goal); its objectives say what it set out to do."
    }
}

/// One sentence on where the session stands.
pub fn verdict_line(d: &ReportData) -> String {
    let unfinished = d.tasks.iter().filter(|t| !t.state.is_final()).count();
    match d.coordinator {
        CoordinatorState::Complete => {
            format!("Complete: the completion criteria held after {}.", plural(d.cycles as usize, "coordinator cycle"))
        }
        CoordinatorState::Running => {
            format!("In progress: the coordinator is running ({} unfinished).", plural(unfinished, "task"))
        }
        CoordinatorState::Off if d.tasks.is_empty() => "Not started: the session has no tasks.".into(),
        CoordinatorState::Off if unfinished == 0 => "Finished: every task ended; the coordinator is off.".into(),
        CoordinatorState::Off => {
            format!("Stopped: the coordinator is off with {} unfinished.", plural(unfinished, "task"))
        }
    }
}

/// `3 done, 1 failed (of 4 tasks)`.
pub fn task_line(d: &ReportData) -> String {
    if d.tasks.is_empty() {
        return "no tasks".into();
    }
    let parts: Vec<String> = d.task_counts().iter().map(|(s, n)| format!("{n} {}", s.as_str())).collect();
    format!("{} (of {})", parts.join(", "), plural(d.tasks.len(), "task"))
}

fn outcome(out: &mut String, d: &ReportData) {
    w!(out, "## Outcome\n");
    w!(out, "**{}**\n", verdict_line(d));
    w!(out, "- Tasks: {}", task_line(d));
    if !d.objectives.is_empty() {
        let done = d.objectives.iter().filter(|o| o.state == ObjectiveState::Done).count();
        w!(out, "- Objectives: {done} of {} done", d.objectives.len());
    }
    let total = d.total();
    w!(out, "- Agents: {}; cost {}; tokens {}", d.agents.len(), cost(&total), tokens(&total));
    w!(
        out,
        "- Reviews: {}; merges: {}; alerts: {}\n",
        plural(d.reviews.len(), "round"),
        d.merges.len(),
        d.alerts.len()
    );
}

/// `1 round`, `2 rounds`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn when(span: Option<Span>, start: i64) -> (String, String, String) {
    match span {
        None => ("—".into(), "—".into(), "—".into()),
        Some(s) => (
            offset(s.start, start),
            if s.open { "running".into() } else { offset(s.end, start) },
            duration(s.end - s.start),
        ),
    }
}

fn tasks(out: &mut String, d: &ReportData) {
    w!(out, "## Tasks\n");
    if d.tasks.is_empty() {
        w!(out, "None.\n");
        return;
    }
    w!(out, "| Task | Title | State | Agent | Start | End | Took | Attempts | Tokens | Cost |");
    w!(out, "|---|---|---|---|---|---|---|---:|---|---:|");
    for t in &d.tasks {
        let (s, e, took) = when(t.span, d.start);
        w!(
            out,
            "| {} | {} | {} | {} | {s} | {e} | {took} | {} | {} | {} |",
            cell(&t.name),
            cell(&t.title),
            t.state.as_str(),
            t.agent.as_deref().map(cell).unwrap_or_else(|| "—".into()),
            t.attempts,
            tokens(&t.spend),
            cost(&t.spend)
        );
    }
    w!(out, "");
    let outcomes: Vec<_> = d.tasks.iter().filter_map(|t| Some((&t.name, t.outcome.as_deref()?))).collect();
    if !outcomes.is_empty() {
        w!(out, "Outcomes:\n");
        for (name, text) in outcomes {
            w!(out, "- **{}**: {}", cell(name), cell(text));
        }
        w!(out, "");
    }
    w!(out, "A task's cost is what the agents whose last task it was spent.\n");
}

fn agents(out: &mut String, d: &ReportData) {
    w!(out, "## Agents\n");
    if d.agents.is_empty() {
        w!(out, "None.\n");
        return;
    }
    w!(out, "| Agent | CLI | Model | Role | State | Task | Start | End | Took | Turns | Tokens | Cost |");
    w!(out, "|---|---|---|---|---|---|---|---|---|---:|---|---:|");
    for a in &d.agents {
        let (s, e, took) = when(Some(a.span), d.start);
        let state = if a.archived { format!("{} (removed)", a.state.as_str()) } else { a.state.as_str().into() };
        let dash = || "—".to_string();
        w!(
            out,
            "| {} | {} | {} | {} | {state} | {} | {s} | {e} | {took} | {} | {} | {} |",
            cell(&a.name),
            a.cli,
            a.model.as_deref().map(cell).unwrap_or_else(dash),
            a.role.as_deref().map(cell).unwrap_or_else(dash),
            a.task.as_deref().map(cell).unwrap_or_else(dash),
            a.turns,
            tokens(&a.spend),
            cost(&a.spend)
        );
    }
    w!(out, "");
}

fn spend(out: &mut String, d: &ReportData) {
    w!(out, "## Cost by CLI\n");
    if d.agents.is_empty() {
        w!(out, "Nothing was spent.\n");
        return;
    }
    w!(out, "| CLI | Agents | Input | Output | Cached | Cost |");
    w!(out, "|---|---:|---:|---:|---:|---:|");
    let row = |out: &mut String, label: &str, s: &super::model::Spend| {
        let u = &s.usage;
        w!(
            out,
            "| {label} | {} | {} | {} | {} | {} |",
            s.agents,
            count(u.input),
            count(u.output),
            count(u.cache_read + u.cache_write),
            cost(s)
        );
    };
    for (cli, s) in d.by_cli() {
        row(out, &cli, &s);
    }
    row(out, "**Total**", &d.total());
    w!(out, "");
    if d.total().estimate {
        w!(out, "A cost marked `~` is Baton's estimate from tokens: the CLI reported none.\n");
    }
}

fn reviews(out: &mut String, d: &ReportData) {
    w!(out, "## Reviews\n");
    if d.reviews.is_empty() {
        w!(out, "None.\n");
        return;
    }
    w!(out, "| At | Reviewer | Reviewed | Round | Verdict | Findings |");
    w!(out, "|---|---|---|---:|---|---|");
    for r in &d.reviews {
        let verdict = match r.verdict {
            Some(VerdictKind::Approve) => "approve",
            Some(VerdictKind::RequestChanges) => "request changes",
            None => "unreadable",
        };
        w!(
            out,
            "| {} | {} | {} | {} | {verdict} | {} |",
            offset(r.at, d.start),
            cell(&r.reviewer),
            r.reviewed.as_deref().map(cell).unwrap_or_else(|| "—".into()),
            r.round,
            cell(&r.summary)
        );
    }
    w!(out, "");
}

fn context(out: &mut String, d: &ReportData) {
    w!(out, "## Decisions\n");
    if d.decisions.is_empty() {
        w!(out, "None.\n");
    } else {
        for x in &d.decisions {
            match (&x.state, &x.answer) {
                (DecisionState::Decided, Some(a)) => w!(out, "- {} — **{}**", cell(&x.question), cell(a)),
                _ => w!(out, "- {} — *pending*", cell(&x.question)),
            }
        }
        w!(out, "");
    }
    w!(out, "## Insights\n");
    if d.insights.is_empty() {
        w!(out, "None.\n");
    } else {
        for i in &d.insights {
            let at = crate::time::rfc3339_to_ms(&i.created_at).unwrap_or(d.start);
            w!(out, "- {}: {}", offset(at, d.start), cell(&i.text));
        }
        w!(out, "");
    }
}

fn artifacts(out: &mut String, d: &ReportData) {
    w!(out, "## Artifacts\n");
    if d.artifacts.is_empty() {
        w!(out, "None.\n");
        return;
    }
    w!(out, "| At | Kind | Title | Task | Agent |");
    w!(out, "|---|---|---|---|---|");
    for a in &d.artifacts {
        w!(
            out,
            "| {} | {} | {} | {} | {} |",
            offset(a.at, d.start),
            a.kind.as_str(),
            cell(&a.title),
            a.task.as_deref().map(cell).unwrap_or_else(|| "—".into()),
            a.agent.as_deref().map(cell).unwrap_or_else(|| "—".into())
        );
    }
    w!(out, "");
}

fn merges(out: &mut String, d: &ReportData) {
    w!(out, "## Merges\n");
    if d.merges.is_empty() {
        w!(out, "None.\n");
        return;
    }
    w!(out, "| At | Agent | Branch | Into | Tip |");
    w!(out, "|---|---|---|---|---|");
    for m in &d.merges {
        w!(out, "| {} | {} | `{}` | `{}` | `{}` |", offset(m.at, d.start), cell(&m.agent), m.branch, m.into, m.tip);
    }
    w!(out, "");
}

fn alerts(out: &mut String, d: &ReportData) {
    w!(out, "## Alerts\n");
    if d.alerts.is_empty() {
        w!(out, "None.");
        return;
    }
    w!(out, "| At | Severity | Kind | Agent | Message | Resolved |");
    w!(out, "|---|---|---|---|---|---|");
    for a in &d.alerts {
        w!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            offset(a.at, d.start),
            a.severity.as_str(),
            a.kind.as_str(),
            a.agent.as_deref().map(cell).unwrap_or_else(|| "—".into()),
            cell(&a.message),
            if a.resolved { "yes" } else { "no" }
        );
    }
}
