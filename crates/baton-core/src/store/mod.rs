//! The SQLite store: metadata and indexes (the agents' JSONL logs are the record). Opening
//! applies the embedded migrations all-or-nothing and refuses a database written by a newer
//! Baton, a corrupt file, or one that cannot be read, each with a message that says what to do.

mod migrations;
mod tx;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

use crate::error::ErrorCode;
pub use migrations::{MIGRATIONS, SCHEMA_VERSION};
pub use tx::Tx;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} was written by a newer Baton (schema {found}, this build knows up to {known}); \
         install a newer Baton, or point BATON_HOME at another folder"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error(
        "the database {path} is corrupt or is not a Baton database ({detail}); move it aside \
         (for example to {path}.broken) and Baton will start a new one"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("cannot open the database {path}: {detail}; check that it is a readable, writable file")]
    Unreadable { path: PathBuf, detail: String },
    #[error("migration {version} ({name}) failed, nothing was changed: {detail}")]
    Migration { version: i64, name: &'static str, detail: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

impl StoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooNew { .. } => ErrorCode::DatabaseTooNew,
            Self::Corrupt { .. } => ErrorCode::DatabaseCorrupt,
            Self::Unreadable { .. } => ErrorCode::DatabaseUnreadable,
            Self::Migration { .. } | Self::Sql(_) => ErrorCode::Internal,
        }
    }
}

/// One writer connection behind a mutex. Writes are short; later, high-rate writes (the event
/// index) go through a batching writer rather than this lock.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let unreadable = |detail: String| StoreError::Unreadable { path: path.to_owned(), detail };
        if path.is_dir() {
            return Err(unreadable("it is a folder, not a file".into()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        configure(&conn).map_err(|e| classify(path, e))?;
        migrations::apply(&conn, path)?;
        Ok(Self { path: path.to_owned(), conn: Mutex::new(conn) })
    }

    /// Another connection to an already opened database (for a writer thread of its own).
    pub fn connect(path: &Path) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        configure(&conn).map_err(|e| classify(path, e))?;
        Ok(conn)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection. A panic while holding it cannot leave SQLite half-written (transactions
    /// roll back on drop), so a poisoned lock is safe to take over.
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How long a connection waits for another's write to end before "database is locked". The
/// daemon's two writers (the store and the event index) hold the lock for milliseconds; under a
/// machine's full load a batch took longer than the 5 s this was, and `task add` failed (1 in
/// 4,100). A wait, even a long one, loses nothing; the error loses the user's command.
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Settings every connection gets: WAL so readers never block the writer, NORMAL sync (safe
/// with WAL), a busy timeout instead of "database is locked", and enforced foreign keys.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_WAIT)?;
    // Reading the journal mode is the first read of the file: a corrupt header fails here.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

/// Turns SQLite's codes for "not a database" and "cannot open" into errors that say what to do.
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::NotADatabase | C::DatabaseCorrupt) => {
            StoreError::Corrupt { path: path.to_owned(), detail: e.to_string() }
        }
        Some(C::CannotOpen | C::PermissionDenied | C::ReadOnly | C::SystemIoFailure | C::DiskFull) => {
            StoreError::Unreadable { path: path.to_owned(), detail: e.to_string() }
        }
        _ => StoreError::Sql(e),
    }
}
