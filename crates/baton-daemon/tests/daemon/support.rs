use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use baton_core::BatonHome;
use baton_daemon::DaemonError;
use baton_daemon::client::{DaemonClient, daemon_find};
use baton_daemon::run::{RunOptions, daemon_run};

/// A daemon running on a thread of the test process, stopped when dropped.
pub struct TestDaemon {
    pub tmp: tempfile::TempDir,
    pub home: BatonHome,
    pub client: DaemonClient,
    thread: Option<JoinHandle<Result<(), DaemonError>>>,
}

impl TestDaemon {
    pub fn start() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = BatonHome::at(tmp.path().join("home"));
        Self::start_in(tmp, home)
    }

    /// A daemon over an existing home (a restart).
    pub fn start_in(tmp: tempfile::TempDir, home: BatonHome) -> Self {
        let thread = {
            let home = home.clone();
            std::thread::spawn(move || daemon_run(home, RunOptions::default()))
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            if let Some(c) = daemon_find(&home).unwrap() {
                break c;
            }
            assert!(!thread.is_finished(), "daemon thread ended early");
            assert!(Instant::now() < deadline, "daemon did not start");
            std::thread::sleep(Duration::from_millis(10));
        };
        Self { tmp, home, client, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client.info().url())
    }

    pub fn token(&self) -> &str {
        &self.client.info().token
    }

    /// Stops the daemon and returns what `daemon_run` returned.
    pub fn stop(mut self) -> Result<(), DaemonError> {
        self.stop_inner()
    }

    /// Stops the daemon and keeps its folder, for a restart with [`TestDaemon::start_in`].
    pub fn stop_keep(mut self) -> tempfile::TempDir {
        self.stop_inner().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.tmp, tmp)
    }

    fn stop_inner(&mut self) -> Result<(), DaemonError> {
        let Some(thread) = self.thread.take() else { return Ok(()) };
        self.client.daemon_stop_request().unwrap();
        thread.join().expect("daemon thread panicked")
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if self.thread.is_some() && !std::thread::panicking() {
            let _ = self.stop_inner();
        }
    }
}

pub fn repo_new(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git").arg("-C").arg(&dir).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    // A first commit: agents branch from it.
    git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "init"]);
    dir
}

/// A plain HTTP agent that reports statuses instead of failing on them.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// Processes of the group `pgid` that are still alive (zombies, already dead and waiting for
/// their new parent to reap them, do not count).
pub fn group_alive(pgid: u32) -> Vec<u32> {
    let mut alive = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // Fields after the command's closing parenthesis: state, ppid, pgrp, ...
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" {
            alive.push(pid);
        }
    }
    alive
}

/// Whether every process of the group has gone (within two seconds: SIGKILL is not instant).
pub fn group_gone(pgid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if group_alive(pgid).is_empty() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process runs (a zombie, dead and waiting to be reaped, does not).
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rfind(')').is_some_and(|i| !stat[i + 1..].trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
