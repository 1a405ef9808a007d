//! Agent names held between their choice and the agent's record. A spawn makes its worktree
//! (seconds, with a setup) between choosing a name and inserting the agent, so without a hold
//! ten spawns at once all chose `command-1` and nine failed. A hold lives in the daemon's memory
//! only: the daemon is the one writer of agents.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::protocol::CliKind;
use super::record::{self, AgentError};
use crate::Result;

type Held = Arc<Mutex<HashSet<(String, String)>>>;

#[derive(Default)]
pub(crate) struct NameHolds(Held);

/// A name held for one spawn; released when dropped (the agent is recorded, or the spawn failed).
pub(crate) struct NameHold {
    held: Held,
    key: (String, String),
}

impl NameHold {
    pub fn name(&self) -> &str {
        &self.key.1
    }
}

impl Drop for NameHold {
    fn drop(&mut self) {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}

impl NameHolds {
    /// Holds `name`, refused when an agent of the session has it or another spawn holds it.
    pub fn hold(&self, conn: &Connection, session_id: &str, name: &str) -> Result<NameHold> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let key = (session_id.to_owned(), name.to_owned());
        if held.contains(&key) || record::agent_name_taken(conn, session_id, name)? {
            return Err(AgentError::DuplicateName(name.into()).into());
        }
        held.insert(key.clone());
        Ok(NameHold { held: self.0.clone(), key })
    }

    /// Holds the first free name `CLI-N` of the session.
    pub fn hold_default(&self, conn: &Connection, session_id: &str, cli: CliKind) -> Result<NameHold> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for n in 1.. {
            let key = (session_id.to_owned(), format!("{}-{n}", cli.as_str()));
            if !held.contains(&key) && !record::agent_name_taken(conn, session_id, &key.1)? {
                held.insert(key.clone());
                return Ok(NameHold { held: self.0.clone(), key });
            }
        }
        unreachable!("the names CLI-1, CLI-2... never run out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE agents (session_id TEXT, name TEXT)").unwrap();
        conn
    }

    #[test]
    fn a_held_name_is_not_chosen_twice_and_is_freed_when_dropped() {
        let (holds, conn) = (NameHolds::default(), conn());
        let first = holds.hold_default(&conn, "s", CliKind::Command).unwrap();
        let second = holds.hold_default(&conn, "s", CliKind::Command).unwrap();
        assert_eq!((first.name(), second.name()), ("command-1", "command-2"));
        assert!(holds.hold(&conn, "s", "command-1").is_err());
        assert_eq!(holds.hold(&conn, "t", "command-1").unwrap().name(), "command-1");
        drop(first);
        assert_eq!(holds.hold_default(&conn, "s", CliKind::Command).unwrap().name(), "command-1");
    }

    #[test]
    fn a_recorded_name_is_taken() {
        let (holds, conn) = (NameHolds::default(), conn());
        conn.execute("INSERT INTO agents VALUES ('s', 'command-1')", []).unwrap();
        assert_eq!(holds.hold_default(&conn, "s", CliKind::Command).unwrap().name(), "command-2");
        assert!(holds.hold(&conn, "s", "command-1").is_err());
    }
}
