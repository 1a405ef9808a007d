//! The engine's event bus: every change a client may want to see live is an [`EngineEvent`],
//! broadcast to subscribers (the daemon's server-sent events, tests). Slow subscribers lag and
//! are told so; they never slow the engine.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::agent::{Agent, AgentEventRecord};
use crate::coordinator::Cycle;
use crate::health::Alert;
use crate::session::Session;
use crate::task::Task;
use crate::worktree::ChangedFile;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
/// Variant names are snake_case (`agent_updated`); fields are camelCase, as in the records.
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum EngineEvent {
    SessionCreated {
        session: Session,
    },
    SessionUpdated {
        session: Session,
    },
    /// An agent's record changed (state, cost, pending permissions...).
    AgentUpdated {
        agent: Box<Agent>,
    },
    /// Something an agent did.
    AgentEvent {
        record: AgentEventRecord,
    },
    /// A task was added or changed state.
    TaskUpdated {
        task: Task,
    },
    /// The agent and its record were removed.
    AgentRemoved {
        agent_id: String,
    },
    /// The live list of files changed in an agent's worktree.
    AgentChanges {
        agent_id: String,
        files: Vec<ChangedFile>,
    },
    /// A session's coordinator ran a cycle.
    CoordinatorCycle {
        session_id: String,
        cycle: Cycle,
    },
    /// A session's context changed (an objective, insight or decision added or changed).
    ContextUpdated {
        session_id: String,
    },
    /// A wizard was started, answered, edited, launched or discarded.
    WizardUpdated {
        wizard: Box<crate::wizard::Wizard>,
    },
    /// An alert was raised, resolved by itself, or acknowledged.
    AlertUpdated {
        alert: Alert,
    },
    /// The health sampler measured agents (sent after each tick that watched any): samples,
    /// scores and counters may have changed. Views of health read them again on it.
    HealthSampled {
        /// Ticks the sampler has run since the daemon started.
        #[ts(type = "number")]
        ticks: u64,
        /// When it measured (ms since the epoch): samples up to it are stored.
        #[ts(type = "number")]
        at: i64,
    },
}

impl EngineEvent {
    /// Whether `other` is a newer state of the same thing (so only the newer need be sent).
    /// Agents' own events and cycles are each a thing of their own.
    pub fn same_subject(&self, other: &EngineEvent) -> bool {
        use EngineEvent as E;
        match (self, other) {
            (E::SessionCreated { session: a } | E::SessionUpdated { session: a }, E::SessionUpdated { session: b }) => {
                a.id == b.id
            }
            (E::AgentUpdated { agent: a }, E::AgentUpdated { agent: b }) => a.id == b.id,
            (E::TaskUpdated { task: a }, E::TaskUpdated { task: b }) => a.id == b.id,
            (E::ContextUpdated { session_id: a }, E::ContextUpdated { session_id: b }) => a == b,
            (E::WizardUpdated { wizard: a }, E::WizardUpdated { wizard: b }) => a.id == b.id,
            (E::AlertUpdated { alert: a }, E::AlertUpdated { alert: b }) => a.id == b.id,
            (E::HealthSampled { .. }, E::HealthSampled { .. }) => true,
            _ => false,
        }
    }
}

/// How many events a subscriber may fall behind before it is told it lagged.
const CAPACITY: usize = 4096;

#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<EngineEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { tx: broadcast::channel(CAPACITY).0 }
    }
}

impl EventBus {
    pub fn publish(&self, event: EngineEvent) {
        // No subscriber is not an error: the store already has the change.
        let _no_subscribers = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.tx.subscribe()
    }
}
