//! The health score of an agent and of a session (0-100), as pure functions over a snapshot:
//! no store, no clock (the caller passes `now`). Each point taken off is a named deduction with
//! its reason, so a low score always says why. The formula is in `docs/health.md`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::tally::Tally;
use crate::agent::{Agent, AgentState};
use crate::time;

/// What a score is computed from: one agent as the sampler or a request sees it.
#[derive(Debug, Clone, Copy)]
pub struct AgentView<'a> {
    pub agent: &'a Agent,
    pub tally: Option<&'a Tally>,
    /// Its process group's resident memory now, and at the start of the window.
    pub rss_bytes: Option<u64>,
    pub rss_earlier: Option<u64>,
    /// Its task (if any) is not over.
    pub task_open: bool,
    /// The task's name, for alerts.
    pub task_name: Option<&'a str>,
}

/// The thresholds a score and alerts use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// A running agent silent this long is stalled (the session's `stallSecs`).
    pub stall_ms: i64,
    /// Memory over this is too much (`health.memoryMaxMb`).
    pub memory_max_bytes: u64,
}

/// Failures and retries older than this no longer count; memory growth is measured over it.
pub const WINDOW_MS: i64 = 10 * 60 * 1000;

pub const STALLED_POINTS: u8 = 40;
pub const CRASHED_POINTS: u8 = 60;
pub const LOOPING_POINTS: u8 = 30;
pub const WAITING_POINTS: u8 = 20;
pub const PER_FAILURE_POINTS: u8 = 5;
pub const FAILURES_MAX_POINTS: u8 = 20;
pub const PER_RETRY_POINTS: u8 = 5;
pub const RETRIES_MAX_POINTS: u8 = 20;
pub const MEMORY_GROWTH_POINTS: u8 = 15;
pub const MEMORY_HIGH_POINTS: u8 = 25;
/// Growth counts when memory rose by half and by this much over the window.
pub const MEMORY_GROWTH_MIN_BYTES: u64 = 100 * 1024 * 1024;
/// A run of the same tool call (or error) this long is a loop.
pub const LOOP_RUN: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeductionKind {
    Stalled,
    FailedToolCalls,
    ApiRetries,
    WaitingOnUser,
    MemoryGrowth,
    Looping,
    Crashed,
}

/// Points taken off a score, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deduction {
    pub kind: DeductionKind,
    pub points: u8,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    /// 100 is perfectly well; 0 needs you now.
    pub value: u8,
    pub deductions: Vec<Deduction>,
}

/// When the agent last showed life: its last output, its last recorded event, or the last
/// change of its record (a start, a message, a pause or resume), whichever is latest.
pub fn last_activity(view: &AgentView<'_>) -> Option<i64> {
    [
        view.tally.and_then(|t| t.last_output_at),
        view.agent.last_event_at.as_deref().and_then(time::rfc3339_to_ms),
        time::rfc3339_to_ms(&view.agent.updated_at),
    ]
    .into_iter()
    .flatten()
    .max()
}

/// How long a working agent has been silent; `None` when it is not working (or paused, which
/// is never stalled).
pub fn silent_ms(view: &AgentView<'_>, now: i64) -> Option<i64> {
    if !view.agent.state.is_active() || view.agent.paused {
        return None;
    }
    Some(last_activity(view).map_or(0, |t| now.saturating_sub(t).max(0)))
}

/// Whether the agent crashed: it failed, or exited while its task was not over.
pub fn crashed(view: &AgentView<'_>) -> bool {
    match view.agent.state {
        AgentState::Failed => true,
        AgentState::Exited => view.task_open,
        _ => false,
    }
}

/// The run of the same tool call or error, when it is a loop.
pub fn looping<'t>(view: &AgentView<'t>) -> Option<(&'t str, u32)> {
    view.tally.and_then(Tally::loop_streak).filter(|(_, n)| *n >= LOOP_RUN)
}

/// The agent's score at `now`.
pub fn agent_score(view: &AgentView<'_>, limits: &Limits, now: i64) -> Score {
    let mut d = Vec::new();
    let mut take = |kind, points: u8, why: String| d.push(Deduction { kind, points, why });
    if let Some(silent) = silent_ms(view, now).filter(|s| *s >= limits.stall_ms) {
        take(DeductionKind::Stalled, STALLED_POINTS, format!("no output for {} s while running", silent / 1000));
    }
    if crashed(view) {
        take(DeductionKind::Crashed, CRASHED_POINTS, format!("it {} mid-task", view.agent.state.as_str()));
    }
    if let Some((what, n)) = looping(view) {
        take(DeductionKind::Looping, LOOPING_POINTS, format!("{n} times in a row: {}", brief(what)));
    }
    if view.agent.state == AgentState::NeedsInput {
        take(DeductionKind::WaitingOnUser, WAITING_POINTS, "a tool waits for your approval".into());
    }
    if let Some(t) = view.tally {
        let recent = |list: &std::collections::VecDeque<i64>| list.iter().filter(|ts| now - **ts <= WINDOW_MS).count();
        let failed = recent(&t.failed_tools);
        if failed > 0 {
            let points = (failed.min(255) as u8).saturating_mul(PER_FAILURE_POINTS).min(FAILURES_MAX_POINTS);
            take(DeductionKind::FailedToolCalls, points, format!("{failed} failed tool call(s) in 10 min"));
        }
        let retries = recent(&t.retries);
        if retries > 0 {
            let points = (retries.min(255) as u8).saturating_mul(PER_RETRY_POINTS).min(RETRIES_MAX_POINTS);
            take(DeductionKind::ApiRetries, points, format!("{retries} API retr(ies) in 10 min"));
        }
    }
    if let Some(rss) = view.rss_bytes {
        if rss > limits.memory_max_bytes {
            take(
                DeductionKind::MemoryGrowth,
                MEMORY_HIGH_POINTS,
                format!("{} MB, over the limit of {} MB", rss >> 20, limits.memory_max_bytes >> 20),
            );
        } else if let Some(before) = view.rss_earlier
            && rss >= before.saturating_add(before / 2)
            && rss >= before.saturating_add(MEMORY_GROWTH_MIN_BYTES)
        {
            take(
                DeductionKind::MemoryGrowth,
                MEMORY_GROWTH_POINTS,
                format!("memory grew from {} MB to {} MB in 10 min", before >> 20, rss >> 20),
            );
        }
    }
    let lost: u32 = d.iter().map(|x| u32::from(x.points)).sum();
    Score { value: 100u32.saturating_sub(lost) as u8, deductions: d }
}

/// A session's score: the mean of its agents' scores pulled halfway to the worst one, so one
/// agent in trouble shows even among many well ones. No agents: 100.
pub fn session_score(agent_scores: &[u8]) -> u8 {
    let Some(min) = agent_scores.iter().copied().min() else { return 100 };
    let mean = agent_scores.iter().map(|s| f64::from(*s)).sum::<f64>() / agent_scores.len() as f64;
    ((mean + f64::from(min)) / 2.0).round().clamp(0.0, 100.0) as u8
}

pub(crate) fn brief(text: &str) -> String {
    let one_line = text.replace(['\n', '\r'], " ");
    if one_line.chars().count() > 80 { one_line.chars().take(79).chain(['…']).collect() } else { one_line }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::agent::protocol::CliKind;
    use crate::agent::record::TokenUsage;

    pub(crate) fn agent(state: AgentState, updated_ms: i64) -> Agent {
        Agent {
            id: "agt_1".into(),
            session_id: "ses_1".into(),
            name: "dev".into(),
            cli: CliKind::Claude,
            model: None,
            state,
            cwd: "/".into(),
            command: vec![],
            prompt: String::new(),
            cli_session_id: None,
            pid: None,
            exit_code: None,
            allowed_tools: vec![],
            turns: 0,
            usage: TokenUsage::default(),
            cost_usd: 0.0,
            cost_is_estimate: false,
            log_path: String::new(),
            last_event_at: None,
            created_at: time::ms_to_rfc3339(0),
            updated_at: time::ms_to_rfc3339(updated_ms),
            pending: vec![],
            worktree: None,
            task_id: Some("tsk_1".into()),
            role: None,
            paused: false,
            released_at: None,
            archived_at: None,
            interrupted_at: None,
            queued_messages: 0,
            paused_reason: None,
            external: false,
        }
    }

    const LIMITS: Limits = Limits { stall_ms: 60_000, memory_max_bytes: 1 << 30 };

    fn view<'a>(agent: &'a Agent, tally: Option<&'a Tally>) -> AgentView<'a> {
        AgentView { agent, tally, rss_bytes: None, rss_earlier: None, task_open: true, task_name: Some("t") }
    }

    fn kinds(s: &Score) -> Vec<DeductionKind> {
        s.deductions.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn a_working_agent_that_speaks_is_perfectly_well() {
        let a = agent(AgentState::Running, 1_000_000);
        let s = agent_score(&view(&a, None), &LIMITS, 1_010_000);
        assert_eq!(s, Score { value: 100, deductions: vec![] });
    }

    #[test]
    fn silence_while_running_is_stalled_but_never_while_paused() {
        let mut a = agent(AgentState::Running, 0);
        let s = agent_score(&view(&a, None), &LIMITS, 61_000);
        assert_eq!((s.value, kinds(&s)), (60, vec![DeductionKind::Stalled]));
        assert!(s.deductions[0].why.contains("61 s"));
        a.paused = true;
        assert_eq!(agent_score(&view(&a, None), &LIMITS, 61_000).value, 100);
        // Output since then counts as life.
        a.paused = false;
        let mut t = Tally::default();
        t.apply(&crate::agent::AgentEvent::Raw { line: "x".into() }, 30_000, true);
        assert_eq!(agent_score(&view(&a, Some(&t)), &LIMITS, 61_000).value, 100);
    }

    #[test]
    fn every_deduction_is_named_and_the_score_never_goes_below_zero() {
        let mut a = agent(AgentState::NeedsInput, 0);
        let mut t = Tally::default();
        let call = crate::agent::AgentEvent::ToolCall { id: "1".into(), name: "Bash".into(), input: "x".into() };
        for ts in 0..3 {
            t.apply(&call, ts, true);
        }
        for ts in 0..2 {
            t.apply(
                &crate::agent::AgentEvent::ToolResult { id: "1".into(), output: "no".into(), is_error: true },
                ts,
                true,
            );
            t.apply(&crate::agent::AgentEvent::Retry { attempt: 1, max_retries: None, error: None }, ts, true);
        }
        let mut v = view(&a, Some(&t));
        v.rss_bytes = Some(900 << 20);
        v.rss_earlier = Some(300 << 20);
        let s = agent_score(&v, &LIMITS, 1_000);
        assert_eq!(
            kinds(&s),
            [
                DeductionKind::Looping,
                DeductionKind::WaitingOnUser,
                DeductionKind::FailedToolCalls,
                DeductionKind::ApiRetries,
                DeductionKind::MemoryGrowth
            ]
        );
        assert_eq!(s.value, 100 - 30 - 20 - 10 - 10 - 15);
        // Failures ten minutes old no longer count.
        let later = agent_score(&v, &LIMITS, WINDOW_MS + 10);
        assert!(!kinds(&later).contains(&DeductionKind::FailedToolCalls));
        a.state = AgentState::Failed;
        let v = AgentView { rss_bytes: Some(2 << 30), ..view(&a, Some(&t)) };
        let s = agent_score(&v, &LIMITS, 1_000);
        assert_eq!(s.value, 0);
        assert!(kinds(&s).contains(&DeductionKind::Crashed));
    }

    #[test]
    fn an_exit_is_a_crash_only_mid_task() {
        let a = agent(AgentState::Exited, 0);
        assert!(crashed(&view(&a, None)));
        assert!(!crashed(&AgentView { task_open: false, ..view(&a, None) }));
    }

    #[test]
    fn the_session_score_is_pulled_towards_its_worst_agent() {
        assert_eq!(session_score(&[]), 100);
        assert_eq!(session_score(&[100, 100, 100, 40]), 63);
        assert_eq!(session_score(&[80]), 80);
    }
}
