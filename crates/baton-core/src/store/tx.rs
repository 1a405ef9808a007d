//! One operation's write: a SQLite transaction and the events it causes. The events are
//! published only after the commit succeeded, so a client never sees a change the store does
//! not have, and a failed operation changes nothing and says nothing. Internal flows (a pattern's
//! tasks, a context import, the coordinator's bookkeeping) compose bodies that take a [`Tx`],
//! never public operations, so each flow is all-or-nothing.

use std::ops::Deref;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::engine::Engine;
use crate::error::Result;
use crate::events::EngineEvent;

pub struct Tx<'c> {
    tx: Transaction<'c>,
    events: Vec<EngineEvent>,
}

impl Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl Tx<'_> {
    /// Queues an event, sent once the transaction has committed.
    pub fn publish(&mut self, event: EngineEvent) {
        // A flow touching the same thing twice (a task added, then made ready) sends it once,
        // where it first appeared, with its latest record; a session made in this transaction
        // is still announced as made.
        match self.events.iter().position(|e| e.same_subject(&event)) {
            Some(i) => {
                self.events[i] = match (&self.events[i], event) {
                    (EngineEvent::SessionCreated { .. }, EngineEvent::SessionUpdated { session }) => {
                        EngineEvent::SessionCreated { session }
                    }
                    (_, event) => event,
                }
            }
            None => self.events.push(event),
        }
    }
}

impl Engine {
    /// Runs `body` in one transaction (taken for writing at once, so it never has to upgrade a
    /// read lock), commits, then publishes what it queued. An error rolls everything back.
    pub(crate) fn write<T>(&self, body: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.inner.store.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut w = Tx { tx, events: Vec::new() };
        let out = body(&mut w)?;
        let Tx { tx, events } = w;
        tx.commit()?;
        // Published before the connection is free (sending never blocks), so clients hear of
        // writes in the order they were committed.
        for event in events {
            self.inner.events.publish(event);
        }
        Ok(out)
    }
}
