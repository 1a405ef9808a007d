use crate::support::{Home, s};

fn daemon_pid(h: &Home) -> u64 {
    let status: serde_json::Value = serde_json::from_str(&h.ok(&["daemon", "status", "--json"])).unwrap();
    assert_eq!(status["running"], true, "{status}");
    status["daemon"]["health"]["pid"].as_u64().unwrap()
}

#[test]
fn clients_start_one_daemon_and_share_it() {
    let h = Home::new();
    assert!(h.ok(&["daemon", "status"]).contains("not running"));
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo)]);
    let pid = daemon_pid(&h);
    h.ok(&["session", "list"]);
    assert_eq!(daemon_pid(&h), pid, "the second command used the same daemon");

    // A second daemon for the same home refuses and says which one runs.
    let line = h.err(&["daemon"]);
    assert!(line.contains(&format!("already runs for {} (pid {pid}", h.home.display())), "{line}");
    let line = h.err(&["daemon", "--foreground"]);
    assert!(line.contains(&format!("pid {pid}")), "{line}");

    assert!(h.ok(&["daemon", "stop"]).contains(&format!("stopped (pid {pid})")));
    assert!(!h.home.join("daemon.json").exists());
    assert!(h.ok(&["daemon", "status"]).contains("not running"));
    assert!(h.ok(&["daemon", "stop"]).contains("no Baton daemon runs"));

    // Data outlives the daemon.
    assert!(h.ok(&["session", "list"]).contains(&repo.canonicalize().unwrap().display().to_string()));
}

#[test]
fn daemon_in_the_background_reports_where_it_runs() {
    let h = Home::new();
    let out = h.ok(&["daemon"]);
    assert!(out.starts_with("Baton daemon started for"), "{out}");
    let pid = daemon_pid(&h);
    assert!(out.contains(&format!("pid {pid}")), "{out}");
    let log = std::fs::read_to_string(h.home.join("logs/daemon.log")).unwrap();
    assert!(log.contains("daemon listening"), "{log}");
}

#[test]
fn a_stale_daemon_file_is_replaced() {
    let h = Home::new();
    std::fs::create_dir_all(&h.home).unwrap();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(
        h.home.join("daemon.json"),
        format!(r#"{{"port":1,"pid":{dead},"version":"0.0.1","token":"old","startedAt":"x"}}"#),
    )
    .unwrap();
    h.ok(&["session", "list"]);
    let pid = daemon_pid(&h);
    assert_ne!(pid, u64::from(dead));
    let file = std::fs::read_to_string(h.home.join("daemon.json")).unwrap();
    assert!(!file.contains("\"old\""), "{file}");
}

#[test]
fn a_corrupt_database_is_a_clear_error_and_is_kept() {
    let h = Home::new();
    std::fs::create_dir_all(&h.home).unwrap();
    let garbage = "not a database at all\n".repeat(300);
    std::fs::write(h.home.join("baton.db"), &garbage).unwrap();
    let line = h.err(&["session", "list"]);
    assert!(line.contains("is corrupt or is not a Baton database") && line.contains("move it aside"), "{line}");
    assert_eq!(std::fs::read_to_string(h.home.join("baton.db")).unwrap(), garbage);
}

#[test]
fn a_database_from_a_newer_baton_is_refused() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo)]);
    h.ok(&["daemon", "stop"]);
    // The daemon closed the database cleanly (WAL checkpointed), so the header is current:
    // user_version is the big-endian u32 at byte offset 60 of it.
    let db = h.home.join("baton.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[60..64].copy_from_slice(&999u32.to_be_bytes());
    std::fs::write(&db, bytes).unwrap();
    let line = h.err(&["session", "list"]);
    assert!(line.contains("written by a newer Baton (schema 999"), "{line}");
}

#[test]
fn daemon_stop_refuses_while_agents_work_and_forced_the_next_daemon_lists_them() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    h.ok(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", "sleeper", "--", "sleep", "300"]);
    let pid = daemon_pid(&h);

    let line = h.err(&["daemon", "stop"]);
    assert!(line.contains("1 agent(s) are working: sleeper") && line.contains("baton daemon stop --force"), "{line}");
    assert_eq!(daemon_pid(&h), pid, "the daemon still runs");

    assert!(h.ok(&["daemon", "stop", "--force"]).contains(&format!("stopped (pid {pid})")));
    // The next daemon (started by this command) lists the agent the stop interrupted.
    let listed = h.ok(&["agent", "interrupted"]);
    assert!(listed.contains("interrupted: sleeper") && listed.contains("--resume"), "{listed}");
    // A program that ended cannot be resumed: said, with exit code 1.
    let out = h.baton(&["agent", "interrupted", "--resume"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not resumed sleeper"), "{out:?}");
    assert!(h.ok(&["agent", "interrupted", "--dismiss"]).contains("dismissed: sleeper"));
    assert!(h.ok(&["agent", "interrupted"]).contains("no agent was interrupted"));
    // Nothing works now: a plain stop stops.
    h.ok(&["daemon", "stop"]);
}
