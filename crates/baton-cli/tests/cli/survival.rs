//! Agents outlive the daemon (each runs under its shim), and the faults of the disk and of the
//! log around them: a killed daemon loses no line and kills no agent; an orphan can be stopped;
//! a full disk, a read-only `logs/` and a deleted log are handled and said.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{Home, s};

fn daemon_pid(h: &Home) -> i32 {
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(h.home.join("daemon.json")).unwrap()).unwrap();
    i32::try_from(info["pid"].as_i64().unwrap()).unwrap()
}

fn kill9(pid: i32) {
    let out = std::process::Command::new("kill").args(["-9", &pid.to_string()]).output().unwrap();
    assert!(out.status.success(), "kill -9 {pid}");
}

fn status(h: &Home, agent: &str) -> serde_json::Value {
    serde_json::from_str(&h.ok(&["status", agent, "--json"])).unwrap()
}

fn alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
}

/// Waits until `f` holds (the thing waited for is a process's, not a timing to assert).
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn numbered(out: &str) -> Vec<String> {
    out.lines().filter(|l| l.starts_with("n-")).map(str::to_owned).collect()
}

pub(crate) fn expected(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("n-{i}")).collect()
}

pub(crate) fn printer(n: usize, pause: &str) -> String {
    format!("for i in $(seq 1 {n}); do echo n-$i; sleep {pause}; done")
}

/// A session `work` with a `command` agent `p` printing `n-1`...`n-N`, one each `pause` seconds.
fn printer_spawn(h: &Home, n: usize, pause: &str) {
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    let script = printer(n, pause);
    h.ok(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", "p", "--", "bash", "-c", &script]);
}

#[test]
fn agents_outlive_a_killed_daemon_and_no_line_is_lost_or_doubled() {
    let h = Home::new();
    printer_spawn(&h, 400, "0.005");
    let reader = "read a; echo got-$a; read b; echo got-$b";
    h.ok(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", "q", "--", "bash", "-c", reader]);
    let pids: Vec<i64> = ["p", "q"].iter().map(|a| status(&h, a)["pid"].as_i64().unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    kill9(daemon_pid(&h));
    std::thread::sleep(Duration::from_millis(300));
    assert!(pids.iter().all(|p| alive(*p)), "the agents run on without the daemon");
    // The next command starts a daemon, which reattaches.
    h.ok(&["send", "q", "one"]);
    assert_eq!(h.baton(&["wait", "p"]).status.code(), Some(0));
    assert_eq!(numbered(&h.ok(&["logs", "p"])), expected(400));
    h.ok(&["send", "q", "two"]);
    assert_eq!(h.baton(&["wait", "q"]).status.code(), Some(0));
    let out = h.ok(&["logs", "q"]);
    assert!(out.contains("got-one") && out.contains("got-two") && out.contains("[exited 0]"), "{out}");
}

#[test]
fn an_agent_without_its_shim_is_stopped_by_abort_and_rm_removes_no_worktree_under_it() {
    let h = Home::new();
    // Unconfined: a confined agent dies with its shim (bubblewrap's --die-with-parent), so only
    // an unconfined one can outlive it.
    std::fs::create_dir_all(&h.home).unwrap();
    std::fs::write(h.home.join("settings.json"), r#"{"agents": {"sandbox": "off"}}"#).unwrap();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    // Ignores the hangup its terminal's end sends, as a stubborn program would.
    let stubborn = "trap '' HUP; echo started; sleep 300";
    for name in ["a", "b"] {
        h.ok(&[
            "agent",
            "spawn",
            "--session",
            "work",
            "--cli",
            "command",
            "--name",
            name,
            "--",
            "bash",
            "-c",
            stubborn,
        ]);
    }
    until("both started", || ["a", "b"].iter().all(|a| h.ok(&["logs", a]).contains("started")));
    let pids: Vec<i64> = ["a", "b"].iter().map(|a| status(&h, a)["pid"].as_i64().unwrap()).collect();
    let ids: Vec<String> = ["a", "b"].iter().map(|a| status(&h, a)["id"].as_str().unwrap().to_owned()).collect();
    kill9(daemon_pid(&h));
    for id in &ids {
        let shim = std::fs::read_to_string(h.home.join("agents").join(id).join("shim.pid")).unwrap();
        kill9(shim.trim().parse().unwrap());
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(pids.iter().all(|p| alive(*p)), "the agents outlived their shims");
    // The new daemon finds them running without supervision, and says so.
    assert!(h.ok(&["logs", "a"]).contains("runs on without Baton's supervision"));
    assert!(h.ok(&["abort", "a"]).contains("a is stopped"));
    assert!(!alive(pids[0]), "abort stopped the orphan");
    let worktree = PathBuf::from(status(&h, "b")["cwd"].as_str().unwrap());
    h.ok(&["agent", "rm", "b"]);
    assert!(!alive(pids[1]), "rm stopped the orphan before removing its worktree");
    assert!(!worktree.exists());
}

/// Mounts (as root) or says why not: the fault tests need their own filesystem.
struct Mount(PathBuf);

impl Mount {
    fn run(args: &[&str]) -> bool {
        std::process::Command::new(args[0]).args(&args[1..]).output().is_ok_and(|o| o.status.success())
    }

    fn tmpfs(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).unwrap();
        Self::run(&["mount", "-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", s(at)]).then(|| Self(at.to_owned()))
    }

    fn read_only(at: &Path) -> Option<Self> {
        if !Self::run(&["mount", "--bind", s(at), s(at)]) {
            return None;
        }
        let m = Self(at.to_owned());
        Self::run(&["mount", "-o", "remount,bind,ro", s(at)]).then_some(m)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        Self::run(&["umount", "-l", s(&self.0)]);
    }
}

#[test]
fn a_read_only_logs_folder_fails_the_spawn_and_leaves_nothing_behind() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    let Some(_ro) = Mount::read_only(&h.home.join("logs")) else {
        eprintln!("skipped: mounting needs root");
        return;
    };
    let line = h.err(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", "x", "--", "true"]);
    assert!(line.contains("cannot write agents' logs") && line.contains("make the folder writable"), "{line}");
    assert!(!h.ok(&["list"]).contains(" x "), "no agent is left behind");
    assert!(!h.home.join("worktrees").join("r").join("x").exists(), "no worktree is left behind");
    let branches =
        std::process::Command::new("git").arg("-C").arg(&repo).args(["branch", "--list", "baton/*"]).output();
    assert_eq!(String::from_utf8_lossy(&branches.unwrap().stdout).trim(), "", "no branch is left behind");
}

#[test]
fn a_log_deleted_under_a_running_agent_is_started_again_and_said() {
    let h = Home::new();
    printer_spawn(&h, 40, "0.05");
    let log = PathBuf::from(status(&h, "p")["logPath"].as_str().unwrap());
    until("some lines are logged", || std::fs::read_to_string(&log).is_ok_and(|l| l.contains("n-5")));
    std::fs::remove_file(&log).unwrap();
    assert_eq!(h.baton(&["wait", "p"]).status.code(), Some(0));
    let out = h.ok(&["logs", "p"]);
    assert!(out.contains("log was deleted or replaced while it ran"), "{out}");
    assert_eq!(numbered(&out).last().map(String::as_str), Some("n-40"), "{out}");
    assert!(out.contains("[exited 0]"), "{out}");
    // Deleted once it ended: reading it says so, never an empty history.
    std::fs::remove_file(&log).unwrap();
    let line = h.err(&["logs", "p"]);
    assert!(line.contains("is missing"), "{line}");
}

#[test]
fn a_full_disk_loses_lines_with_a_marker_never_the_agent_nor_its_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(_disk) = Mount::tmpfs(&tmp.path().join("disk"), "24m") else {
        eprintln!("skipped: mounting needs root");
        return;
    };
    let h = Home::new_at(tmp.path().join("disk").join("home"));
    printer_spawn(&h, 300, "0.01");
    let log = PathBuf::from(status(&h, "p")["logPath"].as_str().unwrap());
    until("some lines are logged", || std::fs::read_to_string(&log).is_ok_and(|l| l.contains("n-20")));
    let filler = tmp.path().join("disk").join("filler");
    let _ = std::process::Command::new("dd").args(["if=/dev/zero", &format!("of={}", s(&filler)), "bs=64k"]).output();
    let pid = status(&h, "p")["pid"].as_i64().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(alive(pid), "the agent runs on while the disk is full");
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(h.baton(&["wait", "p"]).status.code(), Some(0));
    let out = h.ok(&["logs", "p"]);
    assert!(out.contains("could not be written to its log"), "{out}");
    assert!(!out.contains("damaged record"), "{out}");
    assert!(out.contains("n-300") && out.contains("[exited 0]"), "{out}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()), "only whole records");

    // An agent that ends while the disk is full: its exit is recorded once there is room again.
    h.ok(&[
        "agent",
        "spawn",
        "--session",
        "work",
        "--cli",
        "command",
        "--name",
        "e",
        "--",
        "bash",
        "-c",
        "echo hi; sleep 1",
    ]);
    until("it printed", || h.ok(&["logs", "e"]).contains("hi"));
    let _ = std::process::Command::new("dd").args(["if=/dev/zero", &format!("of={}", s(&filler)), "bs=64k"]).output();
    let pid = status(&h, "e")["pid"].as_i64().unwrap();
    until("it ended, the disk full", || !alive(pid));
    std::thread::sleep(Duration::from_millis(500));
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(h.baton(&["wait", "e", "--timeout", "30"]).status.code(), Some(0));
    assert!(h.ok(&["logs", "e"]).contains("[exited 0]"));
    drop(h);
}
