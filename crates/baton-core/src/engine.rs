//! The one engine handle. Each method is one user-visible operation; shells call these and
//! nothing below them. Methods are synchronous (SQLite and git are blocking): async shells call
//! them from a blocking thread.

use std::path::Path;

use crate::error::Result;
use crate::events::{EngineEvent, EventBus};
use crate::session::{self, Session, SessionCreate, SessionUpdate};
use crate::store::Store;
use crate::{BatonHome, git};

pub struct Engine {
    home: BatonHome,
    store: Store,
    events: EventBus,
}

impl Engine {
    /// Opens the engine for `home`, creating its folders and database as needed.
    pub fn open(home: BatonHome) -> Result<Self> {
        home.ensure().map_err(|e| crate::store::StoreError::Unreadable {
            path: home.root().to_owned(),
            detail: e.to_string(),
        })?;
        let store = Store::open(&home.db_path())?;
        Ok(Self { home, store, events: EventBus::default() })
    }

    pub fn home(&self) -> &BatonHome {
        &self.home
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn session_create(&self, req: &SessionCreate) -> Result<Session> {
        let repo = git::repo_inspect(Path::new(req.repo.trim()))?;
        let session = session::session_insert(&self.store.conn(), &repo, req.name.as_deref())?;
        self.events.publish(EngineEvent::SessionCreated { session: session.clone() });
        Ok(session)
    }

    /// Every session, newest first, archived ones included.
    pub fn session_list(&self) -> Result<Vec<Session>> {
        session::session_list(&self.store.conn())
    }

    pub fn session_get(&self, id_or_name: &str) -> Result<Session> {
        session::session_get(&self.store.conn(), id_or_name)
    }

    pub fn session_update(&self, id_or_name: &str, update: &SessionUpdate) -> Result<Session> {
        let session = session::session_update(&self.store.conn(), id_or_name, update)?;
        self.events.publish(EngineEvent::SessionUpdated { session: session.clone() });
        Ok(session)
    }

    /// Active sessions.
    pub fn session_count(&self) -> Result<i64> {
        session::session_count(&self.store.conn())
    }
}
