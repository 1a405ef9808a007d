//! Running one CLI as a child process with a deadline, and the throwaway repository it works in.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Long enough for a cold start of the slowest CLI on two busy cores, short enough that a hung
/// CLI fails the test instead of hanging it.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// A temporary directory with a private `home/` and a git repository `repo/` (one commit).
pub struct Workspace {
    _dir: tempfile::TempDir,
    pub home: PathBuf,
    pub repo: PathBuf,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        // Resolved, because the CLIs report and check real paths (a symlinked /tmp would differ).
        let root = dir.path().canonicalize().unwrap();
        let home = root.join("home");
        let repo = root.join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::write(repo.join("README.md"), "a test repository\n").unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["add", "README.md"]);
        git(
            &repo,
            &["-c", "user.name=Baton Test", "-c", "user.email=test@baton.invalid", "commit", "-q", "-m", "init"],
        );
        Workspace { _dir: dir, home, repo }
    }
}

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git").args(args).current_dir(repo).env("GIT_CONFIG_NOSYSTEM", "1").status().unwrap();
    assert!(status.success(), "git {args:?} failed in {}", repo.display());
}

/// A running CLI: stdout read line by line (JSON where it parses), stderr collected.
pub struct Run {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<Value>,
    stderr: Arc<Mutex<String>>,
    deadline: Instant,
}

/// A CLI that has exited.
pub struct Finished {
    pub status: ExitStatus,
    pub lines: Vec<Value>,
    pub stderr: String,
}

impl Finished {
    /// The lines whose `type` is `kind`.
    pub fn of_type(&self, kind: &str) -> Vec<&Value> {
        self.lines.iter().filter(|l| l["type"] == kind).collect()
    }

    /// The one line whose `type` is `kind`, or a failure listing what was printed.
    pub fn one(&self, kind: &str) -> &Value {
        let found = self.of_type(kind);
        assert_eq!(found.len(), 1, "expected one {kind:?} line\n{}", self.transcript());
        found[0]
    }

    pub fn transcript(&self) -> String {
        let lines: Vec<String> = self.lines.iter().map(Value::to_string).collect();
        format!("exit: {:?}\nstdout:\n{}\nstderr:\n{}", self.status, lines.join("\n"), self.stderr)
    }
}

impl Run {
    /// Starts `command` in a process group of its own (so a timeout can stop the CLI and every
    /// helper it started), with stdin piped when `stdin` is true and null otherwise (Codex and
    /// Gemini read a piped stdin into the prompt).
    pub fn start(name: &str, mut command: Command, stdin: bool) -> Run {
        command
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            sink.lock().unwrap().push_str(&text);
        });
        Run {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            stderr,
            deadline: Instant::now() + TIMEOUT,
        }
    }

    /// Moves the deadline (the default is [`TIMEOUT`] from the start).
    pub fn deadline_in(mut self, timeout: Duration) -> Run {
        self.deadline = Instant::now() + timeout;
        self
    }

    /// Writes one line to the CLI's stdin.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin was not piped or is closed");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Reads stdout until a JSON line matches, failing on exit or at the deadline.
    pub fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                    self.seen.push(value.clone());
                    if matches(&value) {
                        return value;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    panic!("{}: no {what} by the deadline (killed)\n{}", self.name, self.so_far());
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.child.wait();
                    panic!("{}: output ended before {what}\n{}", self.name, self.so_far());
                }
            }
        }
    }

    /// Closes stdin and waits for the CLI to exit (killing it at the deadline).
    pub fn finish(mut self) -> Finished {
        self.close_stdin();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= self.deadline {
                self.kill();
                panic!("{}: did not exit by the deadline (killed)\n{}", self.name, self.so_far());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at EOF; collect what it still holds.
        let end = Instant::now() + Duration::from_secs(5);
        while let Ok(line) = self.lines.recv_timeout(end.saturating_duration_since(Instant::now())) {
            self.seen.push(serde_json::from_str(&line).unwrap_or(Value::String(line)));
        }
        let stderr = self.stderr.lock().unwrap().clone();
        Finished { status, lines: std::mem::take(&mut self.seen), stderr }
    }

    fn so_far(&self) -> String {
        let lines: Vec<String> = self.seen.iter().map(Value::to_string).collect();
        format!("stdout so far:\n{}\nstderr so far:\n{}", lines.join("\n"), self.stderr.lock().unwrap())
    }

    /// Stops the CLI's whole process group by its id (the child's pid) and reaps the child.
    fn kill(&mut self) {
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.wait();
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // A test that failed half-way must not leave its CLI running.
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// Runs a CLI with stdin closed to its end.
pub fn run(name: &str, command: Command) -> Finished {
    Run::start(name, command, false).finish()
}

#[test]
fn a_hung_cli_is_killed_with_its_process_group_at_the_deadline() {
    // A "CLI" that prints one line, then hangs with a helper process holding stdout open.
    let mut command = Command::new("sh");
    command.args(["-c", "echo started; sleep 60 & wait"]);
    let started = Instant::now();
    let mut cli = Run::start("hung", command, false).deadline_in(Duration::from_secs(1));
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cli.wait_for("result", |_| false)));
    let message = *failure.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("no result by the deadline (killed)") && message.contains("started"), "{message}");
    // The helper died with the group: stdout reached its end.
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        match cli.lines.recv_timeout(end.saturating_duration_since(Instant::now())) {
            Ok(_) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("the helper process outlived the kill"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}
