use std::os::unix::fs::PermissionsExt;

use baton_core::{BatonHome, ErrorCode};
use baton_daemon::DaemonError;
use baton_daemon::client::daemon_find;
use baton_daemon::daemon_file::{DaemonInfo, daemon_file_read, daemon_file_write};
use baton_daemon::run::{RunOptions, daemon_run, home_lock};

use crate::support::TestDaemon;

#[test]
fn the_daemon_file_is_private_and_names_the_daemon() {
    let d = TestDaemon::start();
    let file = d.home.daemon_file();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let info = daemon_file_read(&file).unwrap();
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.version, baton_core::VERSION);
    assert_eq!(info.token.len(), 64);
    let health = d.client.health().unwrap();
    assert_eq!(health.pid, info.pid);
    assert_eq!(health.home, d.home.root().to_string_lossy());
}

#[test]
fn a_second_daemon_for_the_same_home_refuses_and_names_the_first() {
    let d = TestDaemon::start();
    let err = daemon_run(d.home.clone(), RunOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DaemonRunning);
    let msg = err.to_string();
    assert!(msg.contains(&format!("pid {}", std::process::id())), "{msg}");
    assert!(msg.contains(&format!("port {}", d.client.info().port)), "{msg}");
    // The first one is untouched.
    d.client.health().unwrap();
}

/// A pid that certainly belongs to no process: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_stale_daemon_file_is_replaced_not_obeyed() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    home.ensure().unwrap();
    let stale =
        DaemonInfo { port: 1, pid: dead_pid(), version: "0.0.1".into(), token: "old".into(), started_at: "x".into() };
    daemon_file_write(&home.daemon_file(), &stale).unwrap();

    assert!(daemon_find(&home).unwrap().is_none(), "a dead pid is not a daemon");
    assert!(!home.daemon_file().exists(), "the stale file is removed");

    // And a daemon starts over it.
    daemon_file_write(&home.daemon_file(), &stale).unwrap();
    let thread = {
        let home = home.clone();
        std::thread::spawn(move || daemon_run(home, RunOptions::default()))
    };
    let client = loop {
        if let Some(c) = daemon_find(&home).unwrap() {
            break c;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_ne!(client.info().token, "old");
    client.daemon_stop_request().unwrap();
    thread.join().unwrap().unwrap();
}

#[test]
fn a_live_pid_that_holds_no_lock_is_stale_too() {
    // pid reuse: the file names a living process (this test) that is no daemon.
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    home.ensure().unwrap();
    let info =
        DaemonInfo { port: 1, pid: std::process::id(), version: "x".into(), token: "t".into(), started_at: "x".into() };
    daemon_file_write(&home.daemon_file(), &info).unwrap();
    assert!(daemon_find(&home).unwrap().is_none());
}

#[test]
fn a_newer_database_stops_the_daemon_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    home.ensure().unwrap();
    newer_db_write(&home.db_path());
    let err = daemon_run(home.clone(), RunOptions::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DatabaseTooNew);
    assert!(matches!(err, DaemonError::Engine(_)));
    assert!(!home.daemon_file().exists());
    // The lock was released: a later daemon may try again.
    drop(home_lock(&home).unwrap());
}

/// Writes a SQLite file whose `user_version` is from the future, using the engine's own store
/// (so the test needs no SQLite of its own) and then bumping the version.
fn newer_db_write(path: &std::path::Path) {
    let store = baton_core::store::Store::open(path).unwrap();
    store.conn().pragma_update(None, "user_version", baton_core::store::SCHEMA_VERSION + 1).unwrap();
}
