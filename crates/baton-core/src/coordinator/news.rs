//! What Baton's loop tells a session's coordinator conversation: the changes it must act on
//! (a task done, failed or blocked; an agent that needs the user; an agent idle while work is
//! left, or one spawned apart from the tasks that finished its turn; a new alert; the
//! completion criteria holding). A pure function of a snapshot, like `decide.rs`: each change
//! has a key, and the cycle sends only the changes whose key it has not sent before.

use crate::agent::record::{Agent, AgentState};
use crate::coordinator::Criteria;
use crate::task::{Task, TaskState};

/// One change, with the key that says it was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewsItem {
    pub key: String,
    pub line: String,
}

/// An open alert of the session: its id and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenAlert {
    pub id: String,
    pub message: String,
}

/// Every change the coordinator conversation `coordinator` should know of now, in a stable
/// order (tasks, agents, alerts, completion).
pub(crate) fn news(
    tasks: &[Task],
    agents: &[Agent],
    alerts: &[OpenAlert],
    coordinator: &str,
    criteria: &Criteria,
) -> Vec<NewsItem> {
    let mut items = Vec::new();
    for t in tasks {
        let (what, detail) = match t.state {
            TaskState::Done => ("is done", t.summary.as_deref().or(t.outcome.as_deref())),
            TaskState::Failed => ("failed", t.outcome.as_deref().or(t.reason.as_deref())),
            TaskState::Blocked => ("is blocked", t.reason.as_deref()),
            _ => continue,
        };
        let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
        items.push(NewsItem {
            key: format!("task:{}:{}:{}", t.id, t.state.as_str(), t.attempts),
            line: format!("task {} {what}{detail}", t.name),
        });
    }
    let waiting_tasks = tasks.iter().filter(|t| matches!(t.state, TaskState::Ready | TaskState::Pending)).count();
    for a in agents.iter().filter(|a| a.id != coordinator && a.archived_at.is_none()) {
        match a.state {
            AgentState::NeedsInput => {
                let tools: Vec<&str> = a.pending.iter().map(|p| p.tool.as_str()).collect();
                let first = a.pending.first().map(|p| p.id.as_str()).unwrap_or("");
                items.push(NewsItem {
                    key: format!("input:{}:{first}", a.id),
                    line: format!("agent {} needs the user: {} waits for approval", a.name, tools.join(", ")),
                });
            }
            AgentState::Waiting => {
                let open_task =
                    a.task_id.as_deref().is_some_and(|id| tasks.iter().any(|t| t.id == id && !t.state.is_final()));
                if open_task || (a.task_id.is_some() && waiting_tasks == 0) {
                    continue;
                }
                let line = if waiting_tasks > 0 {
                    format!("agent {} is idle while {waiting_tasks} task(s) wait", a.name)
                } else {
                    format!("agent {} finished its turn and waits (`agent_logs` shows its answer)", a.name)
                };
                items.push(NewsItem { key: format!("idle:{}:{}", a.id, a.turns), line });
            }
            _ => {}
        }
    }
    for alert in alerts {
        items.push(NewsItem { key: format!("alert:{}", alert.id), line: format!("alert: {}", alert.message) });
    }
    if criteria.complete {
        let done = tasks.iter().filter(|t| t.state == TaskState::Done).count();
        items.push(NewsItem {
            key: format!("complete:{}:{done}", tasks.len()),
            line: "the completion criteria hold: Baton marks the session complete (after adding tasks, \
                   `coordinator_run` starts its loop again)"
                .into(),
        });
    }
    items
}

/// The message for the changes not told yet.
pub(crate) fn news_message(items: &[&NewsItem]) -> String {
    let lines: Vec<String> = items.iter().map(|i| format!("- {}", i.line)).collect();
    format!(
        "Baton: what changed in the session since my last message:\n{}\n\n`session_status` shows the whole session.",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, state: TaskState) -> Task {
        Task {
            id: format!("tsk_{name}"),
            session_id: "ses".into(),
            name: name.into(),
            title: name.into(),
            prompt: String::new(),
            sent_prompt: None,
            role: None,
            cli: None,
            model: None,
            state,
            deps: vec![],
            agent_id: None,
            summary: Some(format!("{name} summary")),
            outcome: None,
            reason: None,
            attempts: 0,
            reviews: None,
            max_rounds: 3,
            rounds: 0,
            pattern: None,
            parent_id: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn finished_tasks_and_alerts_are_news_with_stable_keys() {
        let tasks = [task("a", TaskState::Done), task("b", TaskState::Running), task("c", TaskState::Failed)];
        let alerts = [OpenAlert { id: "alr_1".into(), message: "x is stalled".into() }];
        let items = news(&tasks, &[], &alerts, "agt_c", &Criteria::default());
        let lines: Vec<&str> = items.iter().map(|i| i.line.as_str()).collect();
        assert_eq!(lines, ["task a is done: a summary", "task c failed", "alert: x is stalled"]);
        assert_eq!(items, news(&tasks, &[], &alerts, "agt_c", &Criteria::default()), "the same state, the same keys");
        let retried = [
            task("a", TaskState::Done),
            task("b", TaskState::Running),
            Task { attempts: 1, ..task("c", TaskState::Failed) },
        ];
        let again = news(&retried, &[], &alerts, "agt_c", &Criteria::default());
        assert_ne!(items[1].key, again[1].key, "a retried task that fails again is news again");
        let message = news_message(&items.iter().collect::<Vec<_>>());
        assert!(message.contains("- task a is done: a summary\n- task c failed\n"), "{message}");
    }
}
