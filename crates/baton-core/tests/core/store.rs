use baton_core::ErrorCode;
use baton_core::store::{MIGRATIONS, SCHEMA_VERSION, Store};

#[test]
fn new_database_gets_the_whole_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("baton.db");
    let store = Store::open(&path).unwrap();
    let conn = store.conn();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 1);
    for table in [
        "sessions",
        "agents",
        "tasks",
        "task_deps",
        "artifacts",
        "artifacts_fts",
        "events",
        "objectives",
        "decisions",
        "insights",
        "health_agents",
        "health_raw",
        "health_minutes",
        "alerts",
        "monitor_cycles",
    ] {
        let n: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = ?1", [table], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "table {table} exists");
    }
}

#[test]
fn reopening_keeps_data_and_does_not_reapply() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("baton.db");
    {
        let store = Store::open(&path).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO sessions (id, name, repo, created_at, updated_at) VALUES ('ses_1', 'a', '/r', 1, 1)",
                [],
            )
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let n: i64 = store.conn().query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn artifacts_are_found_by_full_text_search() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("baton.db")).unwrap();
    let conn = store.conn();
    conn.execute("INSERT INTO sessions (id, name, repo, created_at, updated_at) VALUES ('s', 's', '/r', 1, 1)", [])
        .unwrap();
    conn.execute(
        "INSERT INTO artifacts (id, session_id, kind, title, summary, body, created_at) \
         VALUES ('a1', 's', 'markdown', 'Spec', 'the plan', 'use a token bucket limiter', 1)",
        [],
    )
    .unwrap();
    let id: String = conn
        .query_row(
            "SELECT a.id FROM artifacts_fts f JOIN artifacts a ON a.rowid = f.rowid WHERE artifacts_fts MATCH 'bucket'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(id, "a1");
}

#[test]
fn database_from_a_newer_baton_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("baton.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!("CREATE TABLE future (x); PRAGMA user_version = {};", SCHEMA_VERSION + 7)).unwrap();
    }
    let err = Store::open(&path).err().expect("refused");
    assert_eq!(err.code(), ErrorCode::DatabaseTooNew);
    let msg = err.to_string();
    assert!(msg.contains("newer Baton") && msg.contains(&format!("schema {}", SCHEMA_VERSION + 7)), "{msg}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, SCHEMA_VERSION + 7, "version untouched");
    let sessions: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'sessions'", [], |r| r.get(0)).unwrap();
    assert_eq!(sessions, 0, "no migration ran");
}

#[test]
fn corrupt_database_file_is_a_clear_error_and_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("baton.db");
    let garbage = b"this is not a sqlite database, just some text that a crash or a bad copy left here\n".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert_eq!(err.code(), ErrorCode::DatabaseCorrupt);
    assert!(err.to_string().contains("move it aside"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file is not changed");
}

#[test]
fn unreadable_database_path_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("baton.db");
    std::fs::create_dir(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert_eq!(err.code(), ErrorCode::DatabaseUnreadable);
    assert!(err.to_string().contains("folder"), "{err}");
}

#[test]
fn a_failing_migration_changes_nothing() {
    // A database whose `sessions` table already exists makes 0001 fail half-way: the tables it
    // created before the failure must be rolled back with it.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("baton.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE tasks (x);").unwrap();
    }
    let err = Store::open(&path).err().expect("migration fails");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let n: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'sessions'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0, "sessions table rolled back");
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 0);
}

#[test]
fn every_migration_file_is_embedded_in_order() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    files.sort();
    let embedded: Vec<String> = MIGRATIONS.iter().map(|m| format!("{}.sql", m.1)).collect();
    assert_eq!(files, embedded);
    for (i, m) in MIGRATIONS.iter().enumerate() {
        assert_eq!(m.0, i as i64 + 1, "versions are 1, 2, 3...");
        assert!(m.1.starts_with(&format!("{:04}_", m.0)), "{} matches its version", m.1);
    }
}
