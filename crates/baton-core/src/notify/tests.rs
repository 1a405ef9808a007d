//! The notification rules: which events are news, and how a burst becomes one notification.

use super::*;
use crate::agent::protocol::CliKind;
use crate::agent::{Agent, AgentState, PermissionRequest};
use crate::health::{Alert, AlertSeverity};
use crate::session::{Session, SessionSettings, SessionState};
use crate::time::ms_to_rfc3339;

/// The notifier starts at this time; every fact below is newer unless it says otherwise.
const START: i64 = 1_000_000;

fn agent(name: &str, pending: &[&str]) -> EngineEvent {
    EngineEvent::AgentUpdated {
        agent: Box::new(Agent {
            id: format!("agt_{name}"),
            session_id: "ses".into(),
            name: name.into(),
            cli: CliKind::Claude,
            model: None,
            state: if pending.is_empty() { AgentState::Running } else { AgentState::NeedsInput },
            cwd: String::new(),
            command: vec![],
            prompt: String::new(),
            cli_session_id: None,
            pid: None,
            exit_code: None,
            allowed_tools: vec![],
            turns: 0,
            usage: Default::default(),
            cost_usd: 0.0,
            cost_is_estimate: false,
            log_path: String::new(),
            last_event_at: None,
            created_at: String::new(),
            updated_at: ms_to_rfc3339(START),
            pending: pending
                .iter()
                .map(|id| PermissionRequest {
                    id: (*id).into(),
                    tool: "Bash".into(),
                    tool_use_id: None,
                    input: serde_json::json!({"command": "npm test"}),
                    created_at: ms_to_rfc3339(if id.starts_with("old") { START - 1 } else { START + 1 }),
                })
                .collect(),
            worktree: None,
            task_id: None,
            role: None,
            paused: false,
            released_at: None,
            archived_at: None,
            interrupted_at: None,
            queued_messages: 0,
            paused_reason: None,
            external: false,
        }),
    }
}

fn task(name: &str, state: TaskState, reviews: Option<&str>) -> Task {
    Task {
        id: format!("tsk_{name}"),
        session_id: "ses".into(),
        name: name.into(),
        title: format!("Build {name}"),
        prompt: String::new(),
        sent_prompt: None,
        role: None,
        cli: None,
        model: None,
        state,
        deps: vec![],
        agent_id: Some("agt_w".into()),
        summary: None,
        outcome: None,
        reason: Some("tests fail\nmore".into()),
        attempts: 0,
        reviews: reviews.map(|r| format!("tsk_{r}")),
        max_rounds: 3,
        rounds: 0,
        pattern: None,
        parent_id: None,
        created_at: String::new(),
        updated_at: ms_to_rfc3339(START + 1),
    }
}

fn task_event(name: &str, state: TaskState, reviews: Option<&str>) -> EngineEvent {
    EngineEvent::TaskUpdated { task: task(name, state, reviews) }
}

fn session(coordinator: CoordinatorState) -> EngineEvent {
    EngineEvent::SessionUpdated {
        session: Session {
            id: "ses".into(),
            name: "s".into(),
            repo: String::new(),
            base_branch: None,
            state: SessionState::Active,
            settings: SessionSettings::default(),
            parent_session_id: None,
            coordinator,
            coordinator_agent: None,
            created_at: String::new(),
            updated_at: ms_to_rfc3339(START + 1),
        },
    }
}

fn alert(id: &str, kind: AlertKind, resolved: bool) -> EngineEvent {
    EngineEvent::AlertUpdated {
        alert: Alert {
            id: id.into(),
            session_id: "ses".into(),
            agent_id: Some("agt_q".into()),
            agent_name: Some("q".into()),
            task_id: None,
            kind,
            severity: AlertSeverity::Warning,
            message: "q has said nothing for 300 s".into(),
            way_on: "baton logs q".into(),
            created_at: ms_to_rfc3339(START + 1),
            resolved_at: resolved.then(|| ms_to_rfc3339(START + 2)),
            acknowledged_at: None,
        },
    }
}

/// Every notification the events give, each event a second after the one before (so each is
/// its own burst), with `settings`.
fn told_with(events: &[EngineEvent], settings: &NotificationSettings) -> Vec<Notification> {
    let mut n = Notifier::new(START);
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let now = START + 10_000 * i as i64;
        n.observe(e, settings, now);
        out.extend(n.take(now + BURST_MAX_MS));
    }
    out
}

fn told(events: &[EngineEvent]) -> Vec<String> {
    told_with(events, &NotificationSettings::default()).into_iter().map(|n| n.title).collect()
}

#[test]
fn a_new_permission_request_is_told_once() {
    let n = told_with(&[agent("ask", &[]), agent("ask", &["p1"]), agent("ask", &["p1"])], &Default::default());
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].title.as_str(), n[0].body.as_str()), ("ask needs you", "It asks to use Bash"));
    assert_eq!(n[0].route, "#/session/ses/agent/agt_ask");
    assert_eq!(told(&[agent("ask", &["p1"]), agent("ask", &["p1", "p2"])]), ["ask needs you", "ask needs you"]);
}

#[test]
fn what_waited_before_the_notifier_started_is_not_news() {
    assert!(told(&[agent("ask", &["old1"])]).is_empty());
    let mut old_task = task("t", TaskState::Failed, None);
    old_task.updated_at = ms_to_rfc3339(START - 5);
    assert!(told(&[EngineEvent::TaskUpdated { task: old_task }]).is_empty());
}

#[test]
fn a_task_is_told_as_it_fails_or_blocks_not_at_every_update() {
    let events = [
        agent("w", &[]),
        task_event("t", TaskState::Running, None),
        task_event("t", TaskState::Failed, None),
        task_event("t", TaskState::Failed, None),
        task_event("u", TaskState::Blocked, None),
    ];
    let n = told_with(&events, &Default::default());
    let titles: Vec<&str> = n.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["Task t failed", "Task u is blocked"]);
    assert_eq!(n[0].body, "w: tests fail");
    assert_eq!(n[0].route, "#/session/ses/agent/agt_w");
}

#[test]
fn a_review_is_told_only_when_it_approved() {
    // Sent back: the review is done, its task runs again.
    let sent_back = [task_event("t", TaskState::Review, None), task_event("r", TaskState::Done, Some("t"))];
    assert!(told(&sent_back).is_empty());
    // Approved, whichever of the two is seen done first; told once.
    let approved = [
        task_event("t", TaskState::Done, None),
        task_event("r", TaskState::Done, Some("t")),
        task_event("t", TaskState::Done, None),
    ];
    assert_eq!(told(&approved), ["Build t approved"]);
    let other_order = [task_event("r", TaskState::Done, Some("t")), task_event("t", TaskState::Done, None)];
    assert_eq!(told(&other_order), ["Build t approved"]);
}

#[test]
fn a_session_is_told_as_it_completes() {
    let events =
        [session(CoordinatorState::Running), session(CoordinatorState::Complete), session(CoordinatorState::Complete)];
    assert_eq!(told(&events), ["Session s is complete"]);
}

#[test]
fn an_alert_is_told_when_raised_not_when_it_resolves() {
    let events = [
        alert("a1", AlertKind::Stalled, false),
        alert("a1", AlertKind::Stalled, false),
        alert("a1", AlertKind::Stalled, true),
    ];
    let n = told_with(&events, &Default::default());
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].title.as_str(), n[0].body.as_str()), ("q has said nothing for 300 s", "baton logs q"));
    // Waiting on a tool is told from the request itself.
    assert!(told(&[alert("a2", AlertKind::NeedsInput, false)]).is_empty());
}

#[test]
fn each_kind_can_be_turned_off_and_all_at_once() {
    let events =
        [agent("ask", &["p1"]), task_event("t", TaskState::Failed, None), alert("a1", AlertKind::Looping, false)];
    let no_tasks = NotificationSettings { task_failed: false, ..Default::default() };
    let titles: Vec<String> = told_with(&events, &no_tasks).into_iter().map(|n| n.title).collect();
    assert_eq!(titles, ["ask needs you", "q has said nothing for 300 s"]);
    let none = NotificationSettings { enabled: false, ..Default::default() };
    assert!(told_with(&events, &none).is_empty());
}

#[test]
fn a_burst_is_one_notification_after_a_quiet_spell() {
    let settings = NotificationSettings::default();
    let mut n = Notifier::new(START);
    assert_eq!(n.due_at(), None);
    n.observe(&task_event("a", TaskState::Failed, None), &settings, START);
    n.observe(&task_event("b", TaskState::Failed, None), &settings, START + 1_000);
    assert_eq!(n.due_at(), Some(START + 1_000 + QUIET_MS));
    assert_eq!(n.take(START + 1_000 + QUIET_MS - 1), None, "not quiet long enough yet");
    n.observe(&task_event("c", TaskState::Failed, None), &settings, START + 2_000);
    let told = n.take(START + 2_000 + QUIET_MS).expect("told once quiet");
    assert_eq!(told.facts, 3);
    assert_eq!(told.title, "Baton: 3 updates");
    assert_eq!(told.body, "Task a failed\nTask b failed\nTask c failed");
    // All about the same agent: a click opens it; about several, the inbox.
    assert_eq!(told.route, "#/session/ses/agent/agt_w");
    assert_eq!(n.take(START + 60_000), None, "a burst is told once");
}

#[test]
fn a_burst_that_goes_on_is_told_at_the_latest_after_its_longest_wait() {
    let settings = NotificationSettings::default();
    let mut n = Notifier::new(START);
    for i in 0..8 {
        n.observe(&agent(&format!("a{i}"), &["p"]), &settings, START + 900 * i);
    }
    assert_eq!(n.due_at(), Some(START + BURST_MAX_MS));
    let told = n.take(START + BURST_MAX_MS).expect("told");
    assert_eq!(told.facts, 8);
    assert_eq!(told.route, "#/inbox");
    assert!(told.body.ends_with("\nand 3 more"), "{}", told.body);
}
