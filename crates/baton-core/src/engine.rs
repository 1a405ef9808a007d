//! The one engine handle. Each method is one user-visible operation; shells call these and
//! nothing below them. Methods are synchronous (SQLite, git and process starts block): async
//! shells call them from a blocking thread. Agents' supervisors run on the tokio runtime the
//! engine was opened in.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::agent::changes::ChangeWatch;
use crate::agent::index::IndexWriter;
use crate::agent::supervisor::{AgentRuntime, RunningProcess};
use crate::error::Result;
use crate::events::{EngineEvent, EventBus};
use crate::session::{self, Session, SessionCreate, SessionUpdate};
use crate::store::Store;
use crate::{BatonHome, git};

/// A cheap handle: clones share one engine.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineState>,
}

/// An agent known to this daemon: its runtime (log, decoder, counter) and its live process.
pub(crate) struct KnownAgent {
    pub runtime: Arc<tokio::sync::Mutex<AgentRuntime>>,
    pub live: Option<RunningProcess>,
}

/// What every clone of the engine shares: the store, the event bus, the agents it knows, the
/// writer threads and the coordinators' loops.
pub(crate) struct EngineState {
    pub home: BatonHome,
    pub store: Store,
    pub events: EventBus,
    pub index: IndexWriter,
    pub agents: Mutex<HashMap<String, KnownAgent>>,
    /// Where agents' supervisors run; `None` when the engine was opened outside a runtime.
    pub runtime: Option<tokio::runtime::Handle>,
    /// The daemon's API address, given to agents in `BATON_API`.
    pub api_url: Mutex<Option<String>>,
    /// Live changed files of agents' worktrees; `None` outside a runtime.
    pub changes: Option<ChangeWatch>,
    /// The sessions' coordinator loops.
    pub coordinators: crate::coordinator::Coordinators,
    /// Agents whose checkpoint is being saved (a message to one waits for it).
    pub checkpoints: crate::agent::workspace::CheckpointsInFlight,
    /// Records agents' output off the async runtime; `None` outside a runtime.
    pub recorder: Option<crate::agent::supervisor::Recorder>,
    /// Agent health: tallies of their events, pause all, releases, the sampler's stop.
    pub health: crate::health::HealthState,
    /// Live terminals: users' shells in worktrees and `command` agents' processes.
    pub terminals: crate::terminal::Terminals,
    /// Where to start decoding each agent's log for a page of its history.
    pub histories: Arc<crate::agent::history::Histories>,
    /// Permission requests that wait in a running turn (`agent/permission_live.rs`).
    pub live_permissions: crate::agent::permission_live::LivePermissions,
    /// One message delivery at a time per agent.
    pub messages: crate::agent::message::MessageLocks,
    /// Agent names chosen by spawns not yet recorded.
    pub name_holds: crate::agent::naming::NameHolds,
    /// Refusals by the session's policy waiting to be written to their agent's lane.
    pub policy_denials: crate::policy::DenialNotes,
    /// Confinement: whether bubblewrap works here, refs before each turn, escape watches.
    pub sandbox: crate::agent::sandbox::SandboxState,
    /// The `baton` program whose `shim` mode runs each agent's process so that it outlives the
    /// daemon (`agent/shim/`); without one (the engine inside a test or a benchmark), the
    /// daemon runs agents' processes itself.
    pub shim: Mutex<Option<std::path::PathBuf>>,
}

impl EngineState {
    pub fn agents(&self) -> MutexGuard<'_, HashMap<String, KnownAgent>> {
        self.agents.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Publishes the agent's current record to clients.
    pub fn agent_publish(&self, id: &str) {
        match crate::agent::record::agent_get(&self.store.conn(), id) {
            Ok(agent) => self.events.publish(EngineEvent::AgentUpdated { agent: Box::new(agent) }),
            Err(e) => tracing::warn!(agent = %id, "cannot publish the agent: {e}"),
        }
    }

    pub fn shim_program(&self) -> Option<std::path::PathBuf> {
        self.shim.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn agent_live_remove(&self, id: &str) {
        if let Some(slot) = self.agents().get_mut(id) {
            slot.live = None;
        }
    }
}

impl Engine {
    /// Opens the engine for `home`, creating its folders and database as needed. Call it inside
    /// a tokio runtime to run agents.
    pub fn open(home: BatonHome) -> Result<Self> {
        home.ensure().map_err(|e| crate::store::StoreError::Unreadable {
            path: home.root().to_owned(),
            detail: e.to_string(),
        })?;
        let store = Store::open(&home.db_path())?;
        let index = IndexWriter::start(&home.db_path())?;
        let events = EventBus::default();
        let runtime = tokio::runtime::Handle::try_current().ok();
        let changes = runtime.as_ref().map(|h| ChangeWatch::start(h, events.clone()));
        let recorder = match &runtime {
            Some(h) => Some(crate::agent::supervisor::Recorder::start(h.clone()).map_err(|e| {
                crate::agent::record::AgentError::Spawn {
                    program: "the agents' recorder thread".into(),
                    detail: format!("{e}; the system is out of threads or memory"),
                }
            })?),
            None => None,
        };
        let engine = Self {
            inner: Arc::new(EngineState {
                home,
                store,
                events,
                index,
                agents: Mutex::new(HashMap::new()),
                runtime,
                api_url: Mutex::new(None),
                changes,
                coordinators: Default::default(),
                recorder,
                checkpoints: Default::default(),
                health: Default::default(),
                terminals: Default::default(),
                histories: Default::default(),
                live_permissions: Default::default(),
                messages: Default::default(),
                name_holds: Default::default(),
                policy_denials: Default::default(),
                sandbox: Default::default(),
                shim: Mutex::new(None),
            }),
        };
        // Before coordinators resume: a stored "pause all" keeps them from starting tasks.
        engine.inner.health.paused_all_load(&engine.inner.store.conn())?;
        let orphaned = engine.agents_reconcile()?;
        engine.histories_warm();
        engine.coordinators_resume(orphaned)?;
        engine.wizards_resume()?;
        engine.messages_resume()?;
        engine.worktrees_watch()?;
        if engine.inner.runtime.is_some() {
            engine.sampler_start().map_err(|e| crate::agent::record::AgentError::Spawn {
                program: "the health sampler's thread".into(),
                detail: format!("{e}; the system is out of threads or memory"),
            })?;
        }
        Ok(engine)
    }

    pub fn home(&self) -> &BatonHome {
        &self.inner.home
    }

    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    /// Writes what is queued for the index and closes its connection. Call it last, after the
    /// agents have stopped.
    pub fn close(&self) {
        self.inner.health.close();
        self.inner.index.close();
    }

    /// Runs agents' processes under shims of this `baton` program from now on.
    pub fn shim_program_set(&self, program: &Path) {
        *self.inner.shim.lock().unwrap_or_else(|p| p.into_inner()) = Some(program.to_owned());
    }

    /// Tells the engine where its API listens, so agents can call back (`BATON_API`).
    pub fn api_url_set(&self, url: &str) {
        *self.inner.api_url.lock().unwrap_or_else(|p| p.into_inner()) = Some(url.to_owned());
    }

    pub fn session_create(&self, req: &SessionCreate) -> Result<Session> {
        if req.repo.trim().is_empty() {
            return Err(session::SessionError::RepoMissing.into());
        }
        let repo = git::repo_inspect(Path::new(req.repo.trim()))?;
        let parent = match req.parent.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(self.session_get(p)?.id),
            None => None,
        };
        if let Some(name) = &req.name {
            crate::names::name_check("session name", name)?;
        }
        let session = self.write(|tx| {
            let session = session::session_insert(tx, &repo, req.name.as_deref(), parent.as_deref())?;
            tx.publish(EngineEvent::SessionCreated { session: session.clone() });
            Ok(session)
        })?;
        // Its policy, as a commented file to read and edit (`policy/mod.rs`).
        if let Err(e) = crate::policy::policy_file_create(&self.inner.home, &session.id) {
            tracing::warn!(session = %session.id, "{e}; the default policy applies");
        }
        Ok(session)
    }

    /// Every session, newest first, archived ones included.
    pub fn session_list(&self) -> Result<Vec<Session>> {
        session::session_list(&self.inner.store.conn())
    }

    pub fn session_get(&self, id_or_name: &str) -> Result<Session> {
        session::session_get(&self.inner.store.conn(), id_or_name)
    }

    pub fn session_update(&self, id_or_name: &str, update: &SessionUpdate) -> Result<Session> {
        for (kind, value) in [("session name", &update.name), ("branch pattern", &update.branch_pattern)] {
            if let Some(v) = value {
                crate::names::name_check(kind, v)?;
            }
        }
        if let Some(pattern) = &update.branch_pattern {
            crate::worktree::branch_pattern_check(pattern)?;
        }
        self.write(|tx| {
            let session = session::session_update(tx, id_or_name, update)?;
            tx.publish(EngineEvent::SessionUpdated { session: session.clone() });
            Ok(session)
        })
    }

    /// Active sessions.
    pub fn session_count(&self) -> Result<i64> {
        session::session_count(&self.inner.store.conn())
    }
}
