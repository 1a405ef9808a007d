//! `baton health`, `alerts`, `pause --all`, `resume --all` and `monitor` against a real daemon
//! with real agents; the monitor runs in a real terminal (tmux) and is read with capture-pane.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Home, s};

fn until(what: &str, secs: u64, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !probe() {
        assert!(Instant::now() < deadline, "never {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A home sampling every half second, a session `work` whose agents stall after 1 s of silence.
fn home() -> Home {
    let h = Home::new();
    std::fs::create_dir_all(&h.home).unwrap();
    std::fs::write(h.home.join("settings.json"), r#"{"health": {"sampleSecs": 0.5}}"#).unwrap();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    h.ok(&["session", "set", "work", "--stall-secs", "1"]);
    h
}

fn spawn(h: &Home, name: &str, script: &str) {
    h.ok(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", name, "--", "bash", "-c", script]);
}

#[test]
fn health_alerts_pause_and_resume_from_the_command_line() {
    let h = home();
    spawn(&h, "ticker", "while :; do echo tick; sleep 0.1; done");
    spawn(&h, "quiet", "sleep 300");
    until("a sample of ticker", 20, || {
        let json: serde_json::Value = serde_json::from_str(&h.ok(&["health", "--session", "work", "--json"])).unwrap();
        json["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "ticker" && a["sample"]["rssBytes"].as_u64() > Some(0))
    });
    let table = h.ok(&["health", "--session", "work"]);
    assert!(table.contains("AGENT") && table.contains("ticker") && table.contains("running"), "{table}");

    until("quiet stalled", 20, || h.ok(&["alerts"]).contains("agent quiet is stalled"));
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["alerts", "--json"])).unwrap();
    let id =
        json.as_array().unwrap().iter().find(|a| a["kind"] == "stalled").unwrap()["id"].as_str().unwrap().to_owned();
    assert!(h.ok(&["alerts", "ack", &id]).contains("acknowledged"));
    assert!(!h.ok(&["alerts"]).contains(&id));
    assert!(h.ok(&["alerts", "--all"]).contains(&id));

    let paused = h.ok(&["pause", "--all"]);
    assert!(paused.contains("ticker") && paused.contains("quiet"), "{paused}");
    let table = h.ok(&["health", "--session", "work"]);
    assert!(table.contains("running (paused)") && table.contains("everything paused"), "{table}");
    assert!(h.ok(&["resume", "--all"]).contains("ticker"));
    // `pause --session` still pauses the coordinator only.
    assert!(h.ok(&["pause", "--session", "work"]).contains("coordinator paused"));
    h.ok(&["abort", "ticker"]);
    h.ok(&["abort", "quiet"]);
}

#[test]
fn monitor_shows_agents_and_their_states_in_a_terminal_and_quits_on_q() {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is needed for this test (the Makefile installs it)");
    }
    let h = home();
    spawn(&h, "ticker", "while :; do echo tick; sleep 0.2; done");
    // A tmux server of this test's own, in its temporary folder.
    let socket = h.tmp.path().join("tmux.sock");
    let tmux = |args: &[&str]| Command::new("tmux").arg("-S").arg(&socket).args(args).output().unwrap();
    let command = format!("BATON_HOME='{}' '{}' monitor --session work", h.home.display(), env!("CARGO_BIN_EXE_baton"));
    let started = tmux(&["new-session", "-d", "-x", "140", "-y", "30", "-s", "mon", &command]);
    assert!(started.status.success(), "{started:?}");
    let screen = || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "mon"]).stdout).into_owned();
    until("the monitor shows ticker running", 20, || {
        let text = screen();
        text.contains("baton monitor") && text.contains("ticker") && text.contains("running") && text.contains("tick")
    });
    h.ok(&["pause", "--all"]);
    until("the monitor shows the pause", 20, || {
        let text = screen();
        text.contains("running (paused)") && text.contains("PAUSED")
    });
    h.ok(&["resume", "--all"]);
    tmux(&["send-keys", "-t", "mon", "q"]);
    until("the monitor quits", 10, || !tmux(&["has-session", "-t", "mon"]).status.success());
    let _ = tmux(&["kill-server"]);
    h.ok(&["abort", "ticker"]);
}
