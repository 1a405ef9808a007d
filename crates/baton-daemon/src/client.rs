//! How every shell reaches the daemon of a `BATON_HOME`: find it through the daemon file,
//! start it when none runs, and call its HTTP API. Errors the daemon answers with come back as
//! [`DaemonError::Api`] with their code intact.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::agent::{Agent, AgentEventRecord, AgentSpawn, GcReport};
use baton_core::api::{
    AgentApprove, AgentMessage, ContextText, DaemonHealth, ObjectiveState, WorktreesGc, WorktreesUsage,
};
use baton_core::artifact::{Artifact, ArtifactHit};
use baton_core::context::{ContextDoc, ContextImport, Decision, Insight, Objective, SessionStatus};
use baton_core::coordinator::{CoordinatorStatus, Cycle};
use baton_core::events::EngineEvent;
use baton_core::pattern::{PatternInfo, PatternRun};
use baton_core::session::{Session, SessionCreate, SessionUpdate};
use baton_core::task::{Task, TaskComplete, TaskCreate};
use baton_core::worktree::ChangedFile;
use baton_core::worktree::diff::WorktreeDiff;
use baton_core::worktree::merge::{MergeReport, MergeRequest};
use baton_core::worktree::snapshot::{Checkpoint, RestoreReport};
use baton_core::{ApiError, BatonHome, ErrorCode};
use serde::Serialize;
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

    pub fn info(&self) -> &DaemonInfo {
        &self.info
    }

    pub fn health(&self) -> Result<DaemonHealth, DaemonError> {
        self.call("GET", "/api/health", None::<&()>)
    }

    pub fn session_list(&self) -> Result<Vec<Session>, DaemonError> {
        self.call("GET", "/api/sessions", None::<&()>)
    }

    pub fn session_create(&self, req: &SessionCreate) -> Result<Session, DaemonError> {
        self.call("POST", "/api/sessions", Some(req))
    }

    pub fn session_get(&self, id_or_name: &str) -> Result<Session, DaemonError> {
        self.call("GET", &format!("/api/sessions/{}", path_segment(id_or_name)), None::<&()>)
    }

    pub fn session_update(&self, id_or_name: &str, update: &SessionUpdate) -> Result<Session, DaemonError> {
        self.call("PATCH", &format!("/api/sessions/{}", path_segment(id_or_name)), Some(update))
    }

    pub fn agent_spawn(&self, req: &AgentSpawn) -> Result<Agent, DaemonError> {
        self.call("POST", "/api/agents", Some(req))
    }

    /// Agents of one session (id or name), or all.
    pub fn agent_list(&self, session: Option<&str>) -> Result<Vec<Agent>, DaemonError> {
        match session {
            Some(s) => self.call("GET", &format!("/api/agents?session={}", path_segment(s)), None::<&()>),
            None => self.call("GET", "/api/agents", None::<&()>),
        }
    }

    pub fn agent_get(&self, id: &str) -> Result<Agent, DaemonError> {
        self.call("GET", &format!("/api/agents/{}", path_segment(id)), None::<&()>)
    }

    pub fn agent_events(&self, id: &str, after: u64, limit: usize) -> Result<Vec<AgentEventRecord>, DaemonError> {
        self.call("GET", &format!("/api/agents/{}/events?after={after}&limit={limit}", path_segment(id)), None::<&()>)
    }

    pub fn agent_send(&self, id: &str, text: &str) -> Result<Agent, DaemonError> {
        let body = AgentMessage { text: text.to_owned() };
        self.call("POST", &format!("/api/agents/{}/messages", path_segment(id)), Some(&body))
    }

    pub fn agent_approve(&self, id: &str, tool: &str, always: bool) -> Result<Agent, DaemonError> {
        let body = AgentApprove { tool: tool.to_owned(), always };
        self.call("POST", &format!("/api/agents/{}/approve", path_segment(id)), Some(&body))
    }

    pub fn agent_deny(&self, id: &str, tool: &str) -> Result<Agent, DaemonError> {
        let body = AgentApprove { tool: tool.to_owned(), always: false };
        self.call("POST", &format!("/api/agents/{}/deny", path_segment(id)), Some(&body))
    }

    pub fn agent_stop(&self, id: &str) -> Result<Agent, DaemonError> {
        self.call("POST", &format!("/api/agents/{}/stop", path_segment(id)), None::<&()>)
    }

    /// Removes the agent and its worktree (`force`: even with uncommitted work in it).
    pub fn agent_remove(&self, id: &str, force: bool) -> Result<Agent, DaemonError> {
        self.call("DELETE", &format!("/api/agents/{}?force={force}", path_segment(id)), None::<&()>)
    }

    pub fn agent_changes(&self, id: &str) -> Result<Vec<ChangedFile>, DaemonError> {
        self.call("GET", &format!("/api/agents/{}/changes", path_segment(id)), None::<&()>)
    }

    pub fn agent_diff(&self, id: &str, patch: bool) -> Result<WorktreeDiff, DaemonError> {
        self.call("GET", &format!("/api/agents/{}/diff?patch={patch}", path_segment(id)), None::<&()>)
    }

    pub fn agent_checkpoints(&self, id: &str) -> Result<Vec<Checkpoint>, DaemonError> {
        self.call("GET", &format!("/api/agents/{}/checkpoints", path_segment(id)), None::<&()>)
    }

    pub fn agent_restore(&self, id: &str, n: u32) -> Result<RestoreReport, DaemonError> {
        self.call("POST", &format!("/api/agents/{}/checkpoints/{n}/restore", path_segment(id)), None::<&()>)
    }

    pub fn agent_merge(&self, id: &str, req: &MergeRequest) -> Result<MergeReport, DaemonError> {
        self.call("POST", &format!("/api/agents/{}/merge", path_segment(id)), Some(req))
    }

    pub fn pattern_list(&self) -> Result<Vec<PatternInfo>, DaemonError> {
        self.call("GET", "/api/patterns", None::<&()>)
    }

    pub fn pattern_run(&self, name: &str, req: &PatternRun) -> Result<Vec<Task>, DaemonError> {
        self.call("POST", &format!("/api/patterns/{}/run", path_segment(name)), Some(req))
    }

    pub fn task_add(&self, req: &TaskCreate) -> Result<Task, DaemonError> {
        self.call("POST", "/api/tasks", Some(req))
    }

    pub fn task_list(&self, session: &str) -> Result<Vec<Task>, DaemonError> {
        self.call("GET", &format!("/api/tasks?session={}", path_segment(session)), None::<&()>)
    }

    pub fn task_get(&self, id: &str) -> Result<Task, DaemonError> {
        self.call("GET", &format!("/api/tasks/{}", path_segment(id)), None::<&()>)
    }

    pub fn task_complete(&self, id: &str, req: &TaskComplete) -> Result<Task, DaemonError> {
        self.call("POST", &format!("/api/tasks/{}/complete", path_segment(id)), Some(req))
    }

    pub fn task_retry(&self, id: &str) -> Result<Task, DaemonError> {
        self.call("POST", &format!("/api/tasks/{}/retry", path_segment(id)), None::<&()>)
    }

    /// Starts or resumes the session's coordinator.
    pub fn coordinator_start(&self, session: &str) -> Result<CoordinatorStatus, DaemonError> {
        self.call("POST", &format!("/api/sessions/{}/run", path_segment(session)), None::<&()>)
    }

    pub fn coordinator_stop(&self, session: &str) -> Result<CoordinatorStatus, DaemonError> {
        self.call("POST", &format!("/api/sessions/{}/pause", path_segment(session)), None::<&()>)
    }

    pub fn coordinator_status(&self, session: &str) -> Result<CoordinatorStatus, DaemonError> {
        self.call("GET", &format!("/api/sessions/{}/coordinator", path_segment(session)), None::<&()>)
    }

    pub fn coordinator_cycles(&self, session: &str, limit: usize) -> Result<Vec<Cycle>, DaemonError> {
        self.call("GET", &format!("/api/sessions/{}/cycles?limit={limit}", path_segment(session)), None::<&()>)
    }

    pub fn session_status(&self, session: &str) -> Result<SessionStatus, DaemonError> {
        self.call("GET", &format!("/api/sessions/{}/status", path_segment(session)), None::<&()>)
    }

    pub fn objective_add(&self, session: &str, text: &str) -> Result<Objective, DaemonError> {
        let body = ContextText { text: text.into() };
        self.call("POST", &format!("/api/sessions/{}/objectives", path_segment(session)), Some(&body))
    }

    pub fn objective_set(&self, session: &str, id: &str, state: &str) -> Result<Objective, DaemonError> {
        let body = ObjectiveState { state: state.into() };
        let path = format!("/api/sessions/{}/objectives/{}", path_segment(session), path_segment(id));
        self.call("POST", &path, Some(&body))
    }

    pub fn insight_add(&self, session: &str, text: &str) -> Result<Insight, DaemonError> {
        let body = ContextText { text: text.into() };
        self.call("POST", &format!("/api/sessions/{}/insights", path_segment(session)), Some(&body))
    }

    pub fn decision_add(&self, session: &str, question: &str) -> Result<Decision, DaemonError> {
        let body = ContextText { text: question.into() };
        self.call("POST", &format!("/api/sessions/{}/decisions", path_segment(session)), Some(&body))
    }

    pub fn decision_decide(&self, session: &str, id: &str, answer: &str) -> Result<Decision, DaemonError> {
        let body = ContextText { text: answer.into() };
        let path = format!("/api/sessions/{}/decisions/{}/answer", path_segment(session), path_segment(id));
        self.call("POST", &path, Some(&body))
    }

    pub fn context_export(&self, session: &str) -> Result<ContextDoc, DaemonError> {
        self.call("GET", &format!("/api/sessions/{}/context", path_segment(session)), None::<&()>)
    }

    pub fn context_import(&self, req: &ContextImport) -> Result<Session, DaemonError> {
        self.call("POST", "/api/context/import", Some(req))
    }

    pub fn artifact_list(&self, session: &str, task: Option<&str>) -> Result<Vec<Artifact>, DaemonError> {
        let mut path = format!("/api/artifacts?session={}", path_segment(session));
        if let Some(t) = task {
            path.push_str(&format!("&task={}", path_segment(t)));
        }
        self.call("GET", &path, None::<&()>)
    }

    pub fn artifact_get(&self, id: &str) -> Result<Artifact, DaemonError> {
        self.call("GET", &format!("/api/artifacts/{}", path_segment(id)), None::<&()>)
    }

    pub fn artifact_search(&self, query: &str, session: Option<&str>) -> Result<Vec<ArtifactHit>, DaemonError> {
        let mut path = format!("/api/artifacts/search?q={}", path_segment(query));
        if let Some(s) = session {
            path.push_str(&format!("&session={}", path_segment(s)));
        }
        self.call("GET", &path, None::<&()>)
    }

    pub fn worktrees_usage(&self) -> Result<WorktreesUsage, DaemonError> {
        self.call("GET", "/api/worktrees", None::<&()>)
    }

    pub fn worktrees_gc(&self, dry_run: bool) -> Result<GcReport, DaemonError> {
        self.call("POST", "/api/worktrees/gc", Some(&WorktreesGc { dry_run }))
    }

    /// The daemon's event stream: calls `on_batch` for every batch until it returns false or
    /// the stream ends.
    pub fn events_follow(&self, mut on_batch: impl FnMut(Vec<EngineEvent>) -> bool) -> Result<(), DaemonError> {
        use std::io::BufRead;
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let url = format!("{}/api/events?token={}", self.info.url(), self.info.token);
        let unreachable = |e: String| DaemonError::Unreachable { home: self.home.clone(), detail: e };
        let response = agent.get(&url).call().map_err(|e| unreachable(e.to_string()))?;
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

    /// Asks the daemon to stop, without waiting for it.
    pub fn daemon_stop_request(&self) -> Result<(), DaemonError> {
        match self.call::<serde_json::Value, ()>("POST", "/api/daemon/stop", None) {
            // The daemon may close the connection as it stops.
            Ok(_) | Err(DaemonError::Unreachable { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Asks the daemon to stop and waits (up to `timeout`) until its process has gone.
    pub fn daemon_stop(&self, timeout: Duration) -> Result<(), DaemonError> {
        self.daemon_stop_request()?;
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

    fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, DaemonError> {
        let url = format!("{}{path}", self.info.url());
        let auth = format!("Bearer {}", self.info.token);
        let unreachable = |e: ureq::Error| DaemonError::Unreachable { home: self.home.clone(), detail: e.to_string() };
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("POST", Some(b)) => self.agent.post(&url).header("Authorization", &auth).send_json(b),
            ("POST", None) => self.agent.post(&url).header("Authorization", &auth).send_empty(),
            ("PATCH", Some(b)) => self.agent.patch(&url).header("Authorization", &auth).send_json(b),
            ("DELETE", _) => self.agent.delete(&url).header("Authorization", &auth).call(),
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

fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    match daemon_find(home)? {
        Some(client) => Ok(client),
        None => daemon_start(home, baton_bin),
    }
}

/// Starts `baton_bin daemon --foreground` for `home` in its own process group (so a Ctrl-C in
/// the terminal that started it does not stop it), with its output in the daemon log, and waits
/// until it answers.
pub fn daemon_start(home: &BatonHome, baton_bin: &Path) -> Result<DaemonClient, DaemonError> {
    home.ensure().map_err(DaemonError::io(format!("cannot create {}", home.root().display())))?;
    let log_path = home.daemon_log();
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(DaemonError::io(format!("cannot open {}", log_path.display())))?;
    let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
    let log_err = log.try_clone().map_err(DaemonError::io("cannot duplicate the log handle"))?;
    let mut child = Command::new(baton_bin)
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
