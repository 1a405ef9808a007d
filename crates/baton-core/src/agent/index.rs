//! The event index in SQLite, written in batches by one thread with its own connection, so
//! agents printing thousands of lines a second never wait on the database. Each row points into
//! the agent's log (the record); the index can be rebuilt from the logs.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::params;

/// One event's place in its agent's log.
pub struct IndexRow {
    pub agent_id: String,
    pub seq: u64,
    pub ts: i64,
    pub kind: &'static str,
    pub log_offset: u64,
    pub log_len: u64,
}

/// Rows are written at most this long after they arrive, in transactions of up to `BATCH_MAX`.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
const BATCH_MAX: usize = 10_000;

enum Message {
    Row(IndexRow),
    /// Write what is queued, close the connection and end the thread.
    Close,
}

pub struct IndexWriter {
    tx: mpsc::Sender<Message>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl IndexWriter {
    /// Starts the writer thread on its own connection to the database at `db`.
    pub fn start(db: &Path) -> Result<Self, crate::store::StoreError> {
        let conn = crate::store::Store::connect(db)?;
        let (tx, rx) = mpsc::channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("baton-index".into())
            .spawn(move || {
                let mut closing = false;
                while !closing {
                    let Ok(first) = rx.recv() else { break };
                    let mut batch = Vec::new();
                    match first {
                        Message::Row(row) => batch.push(row),
                        Message::Close => closing = true,
                    }
                    let deadline = Instant::now() + BATCH_WINDOW;
                    while !closing && batch.len() < BATCH_MAX {
                        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                            Ok(Message::Row(row)) => batch.push(row),
                            Ok(Message::Close) => closing = true,
                            Err(_) => break,
                        }
                    }
                    if !batch.is_empty() {
                        write_kept(&conn, &batch);
                    }
                }
            })
            .map_err(|e| crate::store::StoreError::Unreadable { path: db.to_owned(), detail: e.to_string() })?;
        Ok(Self { tx, thread: std::sync::Mutex::new(Some(thread)) })
    }

    pub fn push(&self, row: IndexRow) {
        // Only fails after `close`; the row is then only in the log, which is the record.
        let _ = self.tx.send(Message::Row(row));
    }

    /// Writes what is queued and closes the index's connection (so the database closes cleanly).
    pub fn close(&self) {
        let _ = self.tx.send(Message::Close);
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

/// Writes a batch, trying again while the database stays busy (a write of the store's held it
/// longer than the busy wait): rows are dropped only on another error, and the logs still have
/// them for the next start's repair.
fn write_kept(conn: &rusqlite::Connection, batch: &[IndexRow]) {
    for attempt in 1.. {
        match write(conn, batch) {
            Ok(()) => return,
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) && attempt < 4 => {
                tracing::warn!("event index: the database stayed busy ({e}); writing {} rows again", batch.len());
            }
            Err(e) => {
                tracing::warn!("event index: {} rows not written ({e}); the logs still have them", batch.len());
                return;
            }
        }
    }
}

fn write(conn: &rusqlite::Connection, batch: &[IndexRow]) -> rusqlite::Result<()> {
    // Plain INSERT: OR REPLACE makes SQLite keep a statement journal for every row. A row can
    // only exist already if a crash left the log and the index out of step: then replace.
    match write_with(conn, batch, "INSERT") {
        // A repaired index (see `agents_reconcile`) re-sends rows that may be there already.
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
            write_with(conn, batch, "INSERT OR REPLACE")
        }
        other => other,
    }
}

fn write_with(conn: &rusqlite::Connection, batch: &[IndexRow], verb: &str) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare_cached(&format!(
            "{verb} INTO events (agent_id, seq, ts, kind, log_offset, log_len) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        ))?;
        let mut last =
            tx.prepare_cached("UPDATE agents SET last_event_at = max(coalesce(last_event_at, 0), ?2) WHERE id = ?1")?;
        let mut latest: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for row in batch {
            insert.execute(params![
                row.agent_id,
                row.seq as i64,
                row.ts,
                row.kind,
                row.log_offset as i64,
                row.log_len as i64
            ])?;
            let at = latest.entry(&row.agent_id).or_insert(row.ts);
            *at = (*at).max(row.ts);
        }
        for (agent, ts) in latest {
            last.execute(params![agent, ts])?;
        }
    }
    tx.commit()
}
