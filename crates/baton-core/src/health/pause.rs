//! "Pause all" as stored: one row in `health_pause` while everything is paused, so a daemon
//! restart keeps coordinators from starting tasks and pauses the agents it starts, until
//! "resume all".

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

pub(super) fn paused_all_stored(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT 1 FROM health_pause WHERE id = 1", [], |_| Ok(())).optional()?.is_some())
}

pub(super) fn paused_all_store(conn: &Connection, paused: bool, now: i64) -> Result<()> {
    if paused {
        conn.execute("INSERT OR IGNORE INTO health_pause (id, paused_at) VALUES (1, ?1)", params![now])?;
    } else {
        conn.execute("DELETE FROM health_pause", [])?;
    }
    Ok(())
}
