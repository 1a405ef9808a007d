//! How every shell reaches the daemon of a `BATON_HOME`: find it through the daemon file,
//! start it when none runs, and call its HTTP API. Errors the daemon answers with come back as
//! [`DaemonError::Api`] with their code intact.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::events::EngineEvent;
use baton_core::{ApiError, BatonHome, ErrorCode};
use serde::de::DeserializeOwned;

use crate::DaemonError;
use crate::daemon_file::{DaemonInfo, daemon_file_read, pid_alive};

/// How long a started daemon may take to answer before we give up on it.
const START_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct DaemonClient {
    home: PathBuf,
    info: DaemonInfo,
    agent: ureq::Agent,
}

impl DaemonClient {
    fn new(home: &BatonHome, info: DaemonInfo, timeout: Duration) -> Self {
        let agent =
            ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build().into();
        Self { home: home.root().to_owned(), info, agent }
    }

    /// The same client with another limit on each call (e.g. for calls that wait on an agent).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        let home = BatonHome::at(self.home.clone());
        Self::new(&home, self.info, timeout)
    }

    pub fn info(&self) -> &DaemonInfo {
        &self.info
    }

    /// The daemon's event stream: calls `on_batch` for every batch until it returns false or
    /// the stream ends.
    pub fn events_follow(&self, on_batch: impl FnMut(Vec<EngineEvent>) -> bool) -> Result<(), DaemonError> {
        self.events_follow_opened(|| {}, on_batch)
    }

    /// [`Self::events_follow`], calling `on_open` once the stream is open: what a client reads
    /// from then on misses no change (every later one comes as an event).
    pub fn events_follow_opened(
        &self,
        on_open: impl FnOnce(),
        mut on_batch: impl FnMut(Vec<EngineEvent>) -> bool,
    ) -> Result<(), DaemonError> {
        use std::io::BufRead;
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let url = format!("{}/api/events?token={}", self.info.url(), self.info.token);
        let unreachable = |e: String| DaemonError::Unreachable { home: self.home.clone(), detail: e };
        let response = agent.get(&url).call().map_err(|e| unreachable(e.to_string()))?;
        on_open();
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        for line in reader.lines() {
            let line = line.map_err(|e| unreachable(e.to_string()))?;
            if let Some(data) = line.strip_prefix("data: ")
                && let Ok(batch) = serde_json::from_str::<Vec<EngineEvent>>(data)
                && !on_batch(batch)
            {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Asks the daemon to stop, without waiting for it, even while agents work (they are
    /// interrupted and listed by the next daemon).
    pub fn daemon_stop_request(&self) -> Result<(), DaemonError> {
        self.daemon_stop_ask(true)
    }

    /// Asks the daemon to stop; without `force`, refused (`AgentsWorking`) while agents work.
    pub fn daemon_stop_ask(&self, force: bool) -> Result<(), DaemonError> {
        match self.daemon_stop(&baton_core::api::DaemonStopQuery { force: Some(force) }) {
            // The daemon may close the connection as it stops.
            Ok(_) | Err(DaemonError::Unreachable { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Asks the daemon to stop (see [`Self::daemon_stop_ask`]) and waits (up to `timeout`) until
    /// its process has gone.
    pub fn daemon_stop_wait(&self, timeout: Duration, force: bool) -> Result<(), DaemonError> {
        self.daemon_stop_ask(force)?;
        let deadline = Instant::now() + timeout;
        while pid_alive(self.info.pid) {
            if Instant::now() > deadline {
                return Err(DaemonError::StartFailed(format!(
                    "the daemon (pid {}) did not stop within {}s; it may be finishing work, or end it with `kill {}`",
                    self.info.pid,
                    timeout.as_secs(),
                    self.info.pid
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// One call of an operation (the methods generated from `ops/table.rs` use it).
    pub fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<T, DaemonError> {
        let url = match query.filter(|q| !q.is_empty()) {
            Some(q) => format!("{}{path}?{q}", self.info.url()),
            None => format!("{}{path}", self.info.url()),
        };
        let auth = format!("Bearer {}", self.info.token);
        let unreachable = |e: ureq::Error| DaemonError::Unreachable { home: self.home.clone(), detail: e.to_string() };
        let empty = serde_json::Value::Object(Default::default());
        let body = body.unwrap_or(&empty);
        let response = match method {
            "GET" => self.agent.get(&url).header("Authorization", &auth).call(),
            "DELETE" => self.agent.delete(&url).header("Authorization", &auth).call(),
            "POST" => self.agent.post(&url).header("Authorization", &auth).send_json(body),
            "PATCH" => self.agent.patch(&url).header("Authorization", &auth).send_json(body),
            "PUT" => self.agent.put(&url).header("Authorization", &auth).send_json(body),
            _ => {
                return Err(DaemonError::Api(ApiError::new(
                    ErrorCode::Internal,
                    format!("unsupported call {method} {path}"),
                )));
            }
        }
        .map_err(unreachable)?;
        let status = response.status();
        let text = response.into_body().read_to_string().map_err(unreachable)?;
        if status.is_success() {
            let text = if text.is_empty() { "null" } else { &text };
            serde_json::from_str(text).map_err(|e| {
                DaemonError::Api(ApiError::new(
                    ErrorCode::Internal,
                    format!("unexpected answer from the daemon to {path}: {e}"),
                ))
            })
        } else {
            Err(DaemonError::Api(serde_json::from_str::<ApiError>(&text).unwrap_or_else(|_| {
                ApiError::new(ErrorCode::Internal, format!("the daemon answered {status} to {path}: {text}"))
            })))
        }
    }
}

/// The running daemon of `home`, if any. A daemon file whose process is gone (or that no
/// daemon holds the lock for) is stale: it is removed and `None` is returned.
pub fn daemon_find(home: &BatonHome) -> Result<Option<DaemonClient>, DaemonError> {
    let file = home.daemon_file();
    let Some(info) = daemon_file_read(&file) else {
        return Ok(None);
    };
    if !pid_alive(info.pid) || !lock_held(home) {
        tracing::info!(pid = info.pid, "removing a stale daemon file");
        let _ = std::fs::remove_file(&file);
        return Ok(None);
    }
    let client = DaemonClient::new(home, info, Duration::from_secs(30));
    match client.health() {
        Ok(_) => Ok(Some(client)),
        Err(DaemonError::Unreachable { detail, .. }) => Err(DaemonError::Unreachable {
            home: home.root().to_owned(),
            detail: format!("pid {} holds the lock: {detail}", client.info.pid),
        }),
        Err(e) => Err(e),
    }
}

/// Whether some process holds the home's daemon lock.
fn lock_held(home: &BatonHome) -> bool {
    let Ok(file) = File::options().write(true).open(home.daemon_lock()) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}

/// The running daemon of `home`, started with `baton_bin` if none runs.
pub fn daemon_ensure(home: &BatonHome, baton_bin: &Path) -> Result<DaemonClient, DaemonError> {
    daemon_ensure_with(home, || Command::new(baton_bin))
}

/// [`daemon_ensure`] with the `baton` program given as a command to add the daemon's arguments
/// to (the desktop app's comes from its bundled sidecar); made only when a start is needed.
pub fn daemon_ensure_with(home: &BatonHome, baton: impl FnOnce() -> Command) -> Result<DaemonClient, DaemonError> {
    match daemon_find(home)? {
        Some(client) => Ok(client),
        None => daemon_start_with(home, baton()),
    }
}

/// Starts `baton_bin daemon --foreground` for `home` in its own process group (so a Ctrl-C in
/// the terminal that started it does not stop it), with its output in the daemon log, and waits
/// until it answers.
pub fn daemon_start(home: &BatonHome, baton_bin: &Path) -> Result<DaemonClient, DaemonError> {
    daemon_start_with(home, Command::new(baton_bin))
}

/// [`daemon_start`] with `baton`, a command that runs the `baton` program, to which the
/// daemon's arguments, its output and its process group are added.
pub fn daemon_start_with(home: &BatonHome, mut baton: Command) -> Result<DaemonClient, DaemonError> {
    let baton_bin = PathBuf::from(baton.get_program());
    home.ensure().map_err(DaemonError::io(format!("cannot create {}", home.root().display())))?;
    let log_path = home.daemon_log();
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(DaemonError::io(format!("cannot open {}", log_path.display())))?;
    let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
    let log_err = log.try_clone().map_err(DaemonError::io("cannot duplicate the log handle"))?;
    let mut child = baton
        .arg("daemon")
        .arg("--foreground")
        .arg("--home")
        .arg(home.root())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| DaemonError::StartFailed(format!("cannot run {}: {e}", baton_bin.display())))?;

    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(client) = daemon_find(home).ok().flatten() {
            // Reap the child when it ends, so a long-lived client (the desktop app) leaves no zombie.
            std::thread::spawn(move || child.wait());
            return Ok(client);
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Another client may have started one at the same moment: use it.
            if let Some(client) = daemon_find(home)? {
                return Ok(client);
            }
            return Err(DaemonError::StartFailed(format!(
                "it exited ({status}): {}",
                log_tail(&log_path, log_start).unwrap_or_else(|| format!("see {}", log_path.display()))
            )));
        }
        if Instant::now() > deadline {
            return Err(DaemonError::StartFailed(format!(
                "it did not answer within {}s; see {}",
                START_TIMEOUT.as_secs(),
                log_path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// The last meaningful line the daemon wrote to its log since `from`.
fn log_tail(path: &Path, from: u64) -> Option<String> {
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_owned())
}

/// The `baton` binary a shell should start the daemon with: `$BATON_BIN`, else `baton` next to
/// the running executable, else `baton` on PATH.
pub fn baton_bin_find() -> PathBuf {
    if let Some(bin) = std::env::var_os("BATON_BIN").filter(|v| !v.is_empty()) {
        return PathBuf::from(bin);
    }
    if let Some(sibling) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.join("baton")))
        && sibling.is_file()
    {
        return sibling;
    }
    PathBuf::from("baton")
}
