//! What deserves a desktop notification, decided from the engine's events: an agent asks for a
//! tool, a task failed or is blocked, a review approved work to merge, a session completed, an
//! alert was raised. A burst (a coordinator cycle failing three tasks, five agents asking at
//! once) becomes one notification: facts are held until the events go quiet for [`QUIET_MS`],
//! or at most [`BURST_MAX_MS`] after the first. The same rules serve the desktop app and the
//! daemon (which notifies while the app is closed), so both say the same things.
//!
//! Pure: the caller gives the time, and asks [`Notifier::take`] when [`Notifier::due_at`] says.

use std::collections::{HashMap, HashSet};

use crate::attention::{INBOX_ROUTE, agent_route, session_pane_route};
use crate::events::EngineEvent;
use crate::health::AlertKind;
use crate::session::CoordinatorState;
use crate::settings::NotificationSettings;
use crate::task::{Task, TaskState};
use crate::time::rfc3339_to_ms;

/// Events quiet this long end a burst.
pub const QUIET_MS: i64 = 1_500;
/// A burst that goes on is still told this long after its first fact.
pub const BURST_MAX_MS: i64 = 5_000;
/// Lines of a burst's notification; the rest is counted.
const LINES_MAX: usize = 5;

/// The kinds a user can turn off one by one (`notifications` in settings.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    NeedsInput,
    TaskFailed,
    ReviewApproved,
    SessionCompleted,
    Alert,
}

impl NoticeKind {
    fn wanted(self, s: &NotificationSettings) -> bool {
        s.enabled
            && match self {
                Self::NeedsInput => s.needs_input,
                Self::TaskFailed => s.task_failed,
                Self::ReviewApproved => s.review_approved,
                Self::SessionCompleted => s.session_completed,
                Self::Alert => s.alert,
            }
    }
}

/// One fact worth telling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// The app's address of what it is about.
    pub route: String,
}

/// What is shown: one fact, or a burst of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub title: String,
    pub body: String,
    /// Where a click takes the app: the fact's place, or the inbox for a burst of several.
    pub route: String,
    /// How many facts it tells.
    pub facts: usize,
}

struct AgentSeen {
    name: String,
    pending: HashSet<String>,
}

/// Follows the events and holds the facts of the current burst.
pub struct Notifier {
    /// Facts older than this (from before the notifier started) are not news.
    since_ms: i64,
    agents: HashMap<String, AgentSeen>,
    tasks: HashMap<String, Task>,
    /// Reviewed tasks whose approval was told.
    approved: HashSet<String>,
    coordinators: HashMap<String, CoordinatorState>,
    alerts: HashSet<String>,
    burst: Vec<Notice>,
    first_ms: i64,
    last_ms: i64,
}

impl Notifier {
    /// A notifier that tells what happens from `now_ms` on.
    pub fn new(now_ms: i64) -> Self {
        Self {
            since_ms: now_ms,
            agents: HashMap::new(),
            tasks: HashMap::new(),
            approved: HashSet::new(),
            coordinators: HashMap::new(),
            alerts: HashSet::new(),
            burst: Vec::new(),
            first_ms: 0,
            last_ms: 0,
        }
    }

    /// Takes in one event at `now_ms`; the kinds `settings` turns off are left out.
    pub fn observe(&mut self, event: &EngineEvent, settings: &NotificationSettings, now_ms: i64) {
        for notice in self.notices(event) {
            if !notice.kind.wanted(settings) {
                continue;
            }
            if self.burst.is_empty() {
                self.first_ms = now_ms;
            }
            self.last_ms = now_ms;
            self.burst.push(notice);
        }
    }

    /// When the current burst is to be told, if there is one.
    pub fn due_at(&self) -> Option<i64> {
        (!self.burst.is_empty()).then(|| (self.last_ms + QUIET_MS).min(self.first_ms + BURST_MAX_MS))
    }

    /// The burst's notification, once it is due at `now_ms`.
    pub fn take(&mut self, now_ms: i64) -> Option<Notification> {
        if self.due_at()? > now_ms {
            return None;
        }
        let burst = std::mem::take(&mut self.burst);
        Some(notification_of(burst))
    }

    fn is_news(&self, rfc3339: &str) -> bool {
        rfc3339_to_ms(rfc3339).is_some_and(|ms| ms >= self.since_ms)
    }

    fn notices(&mut self, event: &EngineEvent) -> Vec<Notice> {
        let mut out = Vec::new();
        match event {
            EngineEvent::AgentUpdated { agent } => {
                let before = self.agents.remove(&agent.id).map(|a| a.pending).unwrap_or_default();
                for request in agent.pending.iter().filter(|r| !before.contains(&r.id) && self.is_news(&r.created_at)) {
                    out.push(Notice {
                        kind: NoticeKind::NeedsInput,
                        title: format!("{} needs you", agent.name),
                        body: format!("It asks to use {}", request.tool),
                        route: agent_route(&agent.session_id, &agent.id),
                    });
                }
                self.agents.insert(
                    agent.id.clone(),
                    AgentSeen {
                        name: agent.name.clone(),
                        pending: agent.pending.iter().map(|r| r.id.clone()).collect(),
                    },
                );
            }
            EngineEvent::AgentRemoved { agent_id } => {
                self.agents.remove(agent_id);
            }
            EngineEvent::TaskUpdated { task } => {
                let before = self.tasks.insert(task.id.clone(), task.clone()).map(|t| t.state);
                let changed = match before {
                    Some(state) => state != task.state,
                    None => self.is_news(&task.updated_at),
                };
                if changed {
                    out.extend(self.task_notice(task));
                }
                out.extend(self.approval(task));
            }
            EngineEvent::SessionCreated { session } | EngineEvent::SessionUpdated { session } => {
                let before = self.coordinators.insert(session.id.clone(), session.coordinator);
                let completed = session.coordinator == CoordinatorState::Complete
                    && match before {
                        Some(state) => state != CoordinatorState::Complete,
                        None => self.is_news(&session.updated_at),
                    };
                if completed {
                    out.push(Notice {
                        kind: NoticeKind::SessionCompleted,
                        title: format!("Session {} is complete", session.name),
                        body: "Its completion criteria hold; its work waits for you to look at it".into(),
                        route: format!("#/session/{}", session.id),
                    });
                }
            }
            EngineEvent::AlertUpdated { alert } => {
                let raised = alert.resolved_at.is_none()
                    && alert.acknowledged_at.is_none()
                    && self.is_news(&alert.created_at)
                    && self.alerts.insert(alert.id.clone());
                // An agent waiting on a tool is told once, from its request, which comes first.
                if raised && alert.kind != AlertKind::NeedsInput {
                    out.push(Notice {
                        kind: NoticeKind::Alert,
                        title: alert.message.lines().next().unwrap_or_default().to_owned(),
                        body: alert.way_on.clone(),
                        route: alert
                            .agent_id
                            .as_deref()
                            .map_or_else(|| INBOX_ROUTE.to_owned(), |agent| agent_route(&alert.session_id, agent)),
                    });
                }
            }
            _ => {}
        }
        out
    }

    fn task_route(&self, task: &Task) -> String {
        match &task.agent_id {
            Some(agent) => agent_route(&task.session_id, agent),
            None => session_pane_route(&task.session_id, "tasks"),
        }
    }

    fn task_notice(&self, task: &Task) -> Option<Notice> {
        let title = match task.state {
            TaskState::Failed => format!("Task {} failed", task.name),
            TaskState::Blocked => format!("Task {} is blocked", task.name),
            _ => return None,
        };
        let agent = task.agent_id.as_ref().and_then(|id| self.agents.get(id)).map(|a| a.name.as_str());
        let reason = task.reason.as_deref().or(task.outcome.as_deref()).unwrap_or(&task.title);
        let body = match agent {
            Some(agent) => format!("{agent}: {}", reason.lines().next().unwrap_or_default()),
            None => reason.lines().next().unwrap_or_default().to_owned(),
        };
        Some(Notice { kind: NoticeKind::TaskFailed, title, body, route: self.task_route(task) })
    }

    /// A done review of a done task approved it (a review that sends the work back leaves its
    /// task running): told once per reviewed task, whichever of the two is seen done last.
    fn approval(&mut self, task: &Task) -> Option<Notice> {
        if task.state != TaskState::Done {
            return None;
        }
        let reviewed = match &task.reviews {
            Some(reviewed) => self.tasks.get(reviewed).filter(|r| r.state == TaskState::Done)?,
            None => {
                self.tasks.values().find(|r| r.reviews.as_deref() == Some(&task.id) && r.state == TaskState::Done)?;
                task
            }
        };
        if self.approved.contains(&reviewed.id) {
            return None;
        }
        let notice = Notice {
            kind: NoticeKind::ReviewApproved,
            title: format!("{} approved", reviewed.title),
            body: format!("The review passed: task {}'s work is ready to merge", reviewed.name),
            route: self.task_route(reviewed),
        };
        self.approved.insert(reviewed.id.clone());
        Some(notice)
    }
}

fn notification_of(mut burst: Vec<Notice>) -> Notification {
    if burst.len() == 1 {
        let one = burst.remove(0);
        return Notification { title: one.title, body: one.body, route: one.route, facts: 1 };
    }
    let route =
        if burst.iter().all(|n| n.route == burst[0].route) { burst[0].route.clone() } else { INBOX_ROUTE.into() };
    let mut lines: Vec<String> = burst.iter().take(LINES_MAX).map(|n| n.title.clone()).collect();
    if burst.len() > LINES_MAX {
        lines.push(format!("and {} more", burst.len() - LINES_MAX));
    }
    Notification { title: format!("Baton: {} updates", burst.len()), body: lines.join("\n"), route, facts: burst.len() }
}

#[cfg(test)]
mod tests;
