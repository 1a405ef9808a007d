//! The fault suite: `kill -9` of the daemon at random moments while ten agents run (`command`
//! agents printing numbered lines, and the real Claude Code against the fake model server) and
//! a session's task graph runs; then the same with an upgrade (the next daemon is a different
//! binary). Afterwards every line each agent printed is in its log exactly once, the agents
//! ran on (none was killed), the follow-ups reach the Claude agents through their reattached
//! shims, every task is accounted for, and the database passes `PRAGMA integrity_check`.
//! Bounded: a few seconds of output per agent, three kills.

use std::path::{Path, PathBuf};
use std::time::Duration;

use baton_fake_model::{AgentCli, FakeModel, Scenario, Step, cli_bin, cli_setup};

use crate::support::{Home, s};
use crate::survival::{expected, numbered, printer};

const KEY: &str = "baton-fault-key";
const PRINTERS: usize = 7;
const LINES: usize = 500;

fn daemon_pid(h: &Home) -> Option<i32> {
    let text = std::fs::read_to_string(h.home.join("daemon.json")).ok()?;
    let info: serde_json::Value = serde_json::from_str(&text).ok()?;
    i32::try_from(info["pid"].as_i64()?).ok()
}

/// A moment in 100..700 ms, different each run (printed, so a failing run can be retold).
fn random_pause() -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let ms = 100 + u64::from(nanos / 1000 % 600);
    eprintln!("kill -9 after {ms} ms");
    Duration::from_millis(ms)
}

fn claude_settings(h: &Home, fake: &FakeModel) {
    let setup = cli_setup(AgentCli::Claude, &fake.url(), KEY, &h.tmp.path().join("claude-home"));
    let env: serde_json::Map<String, serde_json::Value> =
        setup.env.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
    let settings = serde_json::json!({
        "clis": { "claude": { "binary": cli_bin(AgentCli::Claude), "args": setup.args, "env": env } }
    });
    std::fs::create_dir_all(&h.home).unwrap();
    std::fs::write(h.home.join("settings.json"), settings.to_string()).unwrap();
}

/// Kills the daemon; the next is started by `baton daemon` of `next` (an upgrade) or of this
/// build. A client of the agents (Claude's MCP link) may start one first: an upgrade then
/// kills that one too, until the daemon that runs is the one wanted.
fn kill_and_restart(h: &Home, next: Option<&Path>) {
    let bin = next.map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_baton")), Path::to_owned);
    let mut seen = Vec::new();
    for _ in 0..20 {
        let pid = daemon_pid(h).expect("a daemon runs");
        let out = std::process::Command::new("kill").args(["-9", &pid.to_string()]).output().unwrap();
        assert!(out.status.success());
        // Gone (its lock with it) before the next starts.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z"))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = std::process::Command::new(&bin).args(["daemon"]).env("BATON_HOME", &h.home).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() || stderr.contains("already runs"), "{stderr}");
        let running = daemon_pid(h).and_then(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok());
        seen.push(format!("{running:?} ({})", stderr.trim()));
        if next.is_none() || running.as_deref() == Some(bin.as_path()) {
            // One a client started may still be opening: the checks below need it answering.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while !h.baton(&["list"]).status.success() {
                assert!(std::time::Instant::now() < deadline, "the new daemon never answered");
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
    }
    panic!("the daemon of {} did not take over; the daemons that ran instead: {seen:#?}", bin.display());
}

fn suite(upgrade: bool) {
    let h = Home::new();
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text("Done.")]))]);
    claude_settings(&h, &fake);
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    h.ok(&["session", "set", "work", "--cycle-secs", "1", "--max-agents", "3"]);
    h.ok(&["task", "add", "--session", "work", "--title", "A", "--prompt", "do a", "--name", "a"]);
    for name in ["b", "c"] {
        h.ok(&[
            "task",
            "add",
            "--session",
            "work",
            "--title",
            name,
            "--prompt",
            "do it",
            "--name",
            name,
            "--after",
            "a",
        ]);
    }
    let printer = printer(LINES, "0.006");
    for i in 0..PRINTERS {
        let name = format!("p{i}");
        h.ok(&[
            "agent",
            "spawn",
            "--session",
            "work",
            "--cli",
            "command",
            "--name",
            &name,
            "--",
            "bash",
            "-c",
            &printer,
        ]);
    }
    for name in ["k0", "k1"] {
        h.ok(&["agent", "spawn", "--session", "work", "--cli", "claude", "--name", name, "--prompt", "hello"]);
    }
    h.ok(&["run", "--session", "work"]);
    // An upgrade: the next daemon is another binary (a copy at another path).
    let upgraded = h.tmp.path().join("upgraded").join("baton");
    std::fs::create_dir_all(upgraded.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_baton"), &upgraded).unwrap();
    for round in 0..3 {
        std::thread::sleep(random_pause());
        kill_and_restart(&h, (upgrade && round == 1).then_some(upgraded.as_path()));
    }

    // Every printing agent ran to its end (none was killed) and every line is there once.
    let mut lost = 0usize;
    let mut killed = 0usize;
    for i in 0..PRINTERS {
        let name = format!("p{i}");
        if h.baton(&["wait", &name, "--timeout", "60"]).status.code() != Some(0) {
            killed += 1;
        }
        let out = h.baton(&["logs", &name]);
        let daemon = std::fs::read_to_string(h.home.join("daemon.log")).unwrap_or_default();
        assert!(out.status.success(), "{}\ndaemon.log:\n{daemon}", String::from_utf8_lossy(&out.stderr));
        let out = String::from_utf8(out.stdout).unwrap();
        let lines = numbered(&out);
        let want = expected(LINES);
        lost += want.iter().filter(|w| !lines.contains(w)).count();
        if lines != want {
            let status = h.ok(&["status", &name, "--json"]);
            let tail: Vec<&str> = out.lines().rev().take(6).collect();
            let dir = serde_json::from_str::<serde_json::Value>(&status).unwrap()["id"].as_str().unwrap().to_owned();
            let shim = std::fs::read_to_string(h.home.join("agents").join(dir).join("shim.log")).unwrap_or_default();
            let daemon = std::fs::read_to_string(h.home.join("daemon.log")).unwrap_or_default();
            panic!(
                "{name}: {} of {LINES} lines; status {status}; last {tail:?}; shim.log {shim}; daemon.log {daemon}",
                lines.len()
            );
        }
    }
    eprintln!("lines lost: {lost}; printing agents killed: {killed}");
    assert_eq!((lost, killed), (0, 0));
    // The Claude agents run on: a follow-up reaches each through its reattached shim.
    for name in ["k0", "k1"] {
        assert_eq!(h.baton(&["wait", name, "--timeout", "60"]).status.code(), Some(0), "{name} waits");
        h.ok(&["send", name, "and again"]);
        assert_eq!(h.baton(&["wait", name, "--timeout", "60"]).status.code(), Some(0), "{name} answered");
        let events = h.ok(&["logs", name]);
        assert_eq!(events.matches("> and again").count(), 1, "{events}");
    }
    // Every task is accounted for: the graph completes.
    let done = h.ok(&["run", "--session", "work", "--wait", "--timeout", "90"]);
    assert!(done.contains("complete after"), "{done}");
    assert!(h.ok(&["status", "--session", "work"]).contains("3 done"));
    let conn = rusqlite::Connection::open(h.home.join("baton.db")).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_daemon_killed_at_random_moments_loses_no_line_and_no_agent() {
    suite(false);
}

#[test]
fn a_daemon_replaced_by_another_binary_reattaches_every_agent() {
    suite(true);
}
