//! What needs the user, across every active session: tools an agent asked for and waits on,
//! tasks that failed or are blocked, work whose review approved and is not merged yet, and
//! decisions the session waits on. The rules are a pure function over a snapshot of the store,
//! so every shell (the app's inbox, its window title, the CLI) counts the same things.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::Agent;
use crate::context::{Decision, DecisionState};
use crate::engine::Engine;
use crate::error::Result;
use crate::session::{Session, SessionState};
use crate::task::{Task, TaskState};

/// Why an item is in the inbox, and so what answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// An agent waits for a tool to be approved or denied (`agentId`, `permissionId`, `tool`).
    Permission,
    /// A task failed (`taskId`); retry it or let its dependants go the other way.
    TaskFailed,
    /// A task cannot go on without someone (`taskId`); the detail says why.
    TaskBlocked,
    /// A review approved the work of `taskId`, done by `agentId`, whose branch is not merged yet.
    ReviewToMerge,
    /// A question the session waits on (`decisionId`).
    Decision,
}

/// One thing that needs the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    pub kind: InboxKind,
    pub session_id: String,
    pub session_name: String,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub task_id: Option<String>,
    pub decision_id: Option<String>,
    /// The permission request's id (kind `permission`).
    pub permission_id: Option<String>,
    /// The tool asked for (kind `permission`).
    pub tool: Option<String>,
    /// One line that says what is waiting.
    pub title: String,
    /// One line more: the reason, the tool's input, the question.
    pub detail: String,
    /// Since when it waits (RFC 3339).
    pub since: String,
}

/// One session as the inbox reads it.
pub struct InboxSnapshot<'a> {
    pub session: &'a Session,
    pub agents: &'a [Agent],
    pub tasks: &'a [Task],
    pub decisions: &'a [Decision],
}

impl Engine {
    /// Every active session's items, oldest first (what has waited longest comes first).
    pub fn inbox(&self) -> Result<Vec<InboxItem>> {
        let mut items = Vec::new();
        for session in self.session_list()? {
            if session.state == SessionState::Archived {
                continue;
            }
            let agents = self.agent_list(Some(&session.id))?;
            let tasks = self.task_list(&session.id)?;
            let decisions = self.decisions(&session.id)?;
            items.extend(inbox_items(&InboxSnapshot {
                session: &session,
                agents: &agents,
                tasks: &tasks,
                decisions: &decisions,
            }));
        }
        items.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.title.cmp(&b.title)));
        Ok(items)
    }
}

/// The items of one session.
pub fn inbox_items(snap: &InboxSnapshot<'_>) -> Vec<InboxItem> {
    let session = snap.session;
    let item = |kind, title: String, detail: String, since: &str| InboxItem {
        kind,
        session_id: session.id.clone(),
        session_name: session.name.clone(),
        agent_id: None,
        agent_name: None,
        task_id: None,
        decision_id: None,
        permission_id: None,
        tool: None,
        title,
        detail,
        since: since.to_owned(),
    };
    let mut items = Vec::new();

    for agent in snap.agents {
        for request in &agent.pending {
            items.push(InboxItem {
                agent_id: Some(agent.id.clone()),
                agent_name: Some(agent.name.clone()),
                permission_id: Some(request.id.clone()),
                tool: Some(request.tool.clone()),
                ..item(
                    InboxKind::Permission,
                    format!("{} asks to use {}", agent.name, request.tool),
                    input_line(&request.input),
                    &request.created_at,
                )
            });
        }
    }

    for task in snap.tasks {
        let (kind, title) = match task.state {
            TaskState::Failed => (InboxKind::TaskFailed, format!("Task {} failed", task.name)),
            TaskState::Blocked => (InboxKind::TaskBlocked, format!("Task {} is blocked", task.name)),
            _ => continue,
        };
        let detail = task.reason.clone().or_else(|| task.outcome.clone()).unwrap_or_else(|| task.title.clone());
        items.push(InboxItem {
            task_id: Some(task.id.clone()),
            agent_id: task.agent_id.clone(),
            agent_name: agent_name(snap.agents, task.agent_id.as_deref()),
            ..item(kind, title, first_line(&detail), &task.updated_at)
        });
    }

    // A review's verdict either approves (the reviewed task is done), sends the work back (the
    // task runs again) or blocks it; so a done task with a done review of it was approved.
    for review in snap.tasks.iter().filter(|t| t.state == TaskState::Done) {
        let Some(reviewed) = review.reviews.as_deref().and_then(|id| snap.tasks.iter().find(|t| t.id == id)) else {
            continue;
        };
        if reviewed.state != TaskState::Done {
            continue;
        }
        let Some(agent) = reviewed.agent_id.as_deref().and_then(|id| snap.agents.iter().find(|a| a.id == id)) else {
            continue;
        };
        let Some(worktree) = &agent.worktree else { continue };
        if worktree.merged_into.is_some() || worktree.branch_deleted_at.is_some() {
            continue;
        }
        items.push(InboxItem {
            task_id: Some(reviewed.id.clone()),
            agent_id: Some(agent.id.clone()),
            agent_name: Some(agent.name.clone()),
            ..item(
                InboxKind::ReviewToMerge,
                format!("{} approved: merge {}", reviewed.title, worktree.branch),
                first_line(reviewed.outcome.as_deref().unwrap_or(&review.title)),
                &review.updated_at,
            )
        });
    }

    for decision in snap.decisions.iter().filter(|d| d.state == DecisionState::Pending) {
        items.push(InboxItem {
            decision_id: Some(decision.id.clone()),
            ..item(
                InboxKind::Decision,
                first_line(&decision.question),
                "The session waits on this decision: the coordinator is not complete while it is open".to_owned(),
                &decision.created_at,
            )
        });
    }
    items
}

fn agent_name(agents: &[Agent], id: Option<&str>) -> Option<String> {
    let id = id?;
    agents.iter().find(|a| a.id == id).map(|a| a.name.clone())
}

/// A tool's input in one line: its command, its file, or its JSON.
fn input_line(input: &serde_json::Value) -> String {
    for key in ["command", "file_path", "path", "url", "pattern"] {
        if let Some(text) = input.get(key).and_then(|v| v.as_str()) {
            return first_line(text);
        }
    }
    first_line(&input.to_string())
}

const LINE_MAX: usize = 200;

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if line.chars().count() <= LINE_MAX {
        return line.to_owned();
    }
    let mut short: String = line.chars().take(LINE_MAX - 1).collect();
    short.push('…');
    short
}
