//! Terminals: the user's shell in an agent's worktree, and the pseudo-terminal a `command`
//! agent runs in. Each is a [`pty::Pty`] the engine keeps by id while the daemon lives (they are
//! not in the store: a terminal cannot outlive its process, and every one ends with the daemon).
//! Viewers attach to a terminal's output (the daemon's socket route) and type into it.

pub mod pty;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{TerminalInput, TerminalOpen, TerminalResize};
use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
pub use pty::{Attached, Pty, PtyExit, PtySpec, RemoteFeed, RemoteOp};

/// Terminal sizes a client gets when it does not say.
pub const COLS_DEFAULT: u16 = 80;
pub const ROWS_DEFAULT: u16 = 24;

#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("no terminal has the id {0:?}; list them with GET /api/terminals")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("cannot start {program} in a terminal: {detail}")]
    Spawn { program: String, detail: String },
    #[error("cannot write to terminal {id}: {detail}; it has probably exited, open a new one")]
    Write { id: String, detail: String },
}

impl TerminalError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Invalid(_) => ErrorCode::InvalidInput,
            Self::Spawn { .. } => ErrorCode::SpawnFailed,
            Self::Write { .. } => ErrorCode::Io,
        }
    }
}

/// What a terminal runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TerminalKind {
    /// The user's shell, opened in an agent's worktree.
    Shell,
    /// The process of a `command` agent (its output is also the agent's log).
    Agent,
}

/// A terminal as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalInfo {
    pub id: String,
    pub kind: TerminalKind,
    /// The agent whose worktree (or process) it is.
    pub agent_id: String,
    pub cwd: String,
    pub program: String,
    pub args: Vec<String>,
    pub cols: u16,
    pub rows: u16,
    pub pid: Option<u32>,
    pub running: bool,
    /// How it ended (`null` while it runs, or when a signal ended it).
    #[ts(type = "number | null")]
    pub exit_code: Option<i64>,
    /// The signal that ended it.
    #[ts(type = "number | null")]
    pub exit_signal: Option<i64>,
    /// RFC 3339.
    pub created_at: String,
}

/// A live terminal: what it was started as, and its PTY.
pub struct Terminal {
    pub id: String,
    pub kind: TerminalKind,
    pub agent_id: String,
    pub spec: PtySpec,
    pub created_at: String,
    pub pty: Pty,
}

impl Terminal {
    pub fn info(&self) -> TerminalInfo {
        let (cols, rows) = self.pty.size();
        let exit = self.pty.exit();
        TerminalInfo {
            id: self.id.clone(),
            kind: self.kind,
            agent_id: self.agent_id.clone(),
            cwd: self.spec.cwd.to_string_lossy().into_owned(),
            program: self.spec.program.to_string_lossy().into_owned(),
            args: self.spec.args.clone(),
            cols,
            rows,
            pid: self.pty.pid(),
            running: exit.is_none(),
            exit_code: exit.and_then(|e| e.code),
            exit_signal: exit.and_then(|e| e.signal),
            created_at: self.created_at.clone(),
        }
    }
}

/// The engine's terminals by id.
#[derive(Default)]
pub struct Terminals {
    map: Mutex<HashMap<String, Arc<Terminal>>>,
}

impl Terminals {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<Terminal>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a program in a new terminal and keeps it.
    pub(crate) fn start(
        &self,
        kind: TerminalKind,
        agent_id: &str,
        spec: PtySpec,
        tap: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    ) -> std::io::Result<Arc<Terminal>> {
        let pty = Pty::spawn(&spec, tap)?;
        Ok(self.insert(kind, agent_id, spec, pty))
    }

    /// Keeps a terminal made elsewhere (one an agent's shim holds).
    pub(crate) fn insert(&self, kind: TerminalKind, agent_id: &str, spec: PtySpec, pty: Pty) -> Arc<Terminal> {
        let terminal = Arc::new(Terminal {
            id: crate::ids::new_id("term"),
            kind,
            agent_id: agent_id.to_owned(),
            spec,
            created_at: crate::time::ms_to_rfc3339(crate::time::now_ms()),
            pty,
        });
        self.map().insert(terminal.id.clone(), terminal.clone());
        terminal
    }

    pub(crate) fn remove(&self, id: &str) -> Option<Arc<Terminal>> {
        self.map().remove(id)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Terminal>> {
        self.map().get(id).cloned()
    }

    fn all(&self) -> Vec<Arc<Terminal>> {
        self.map().values().cloned().collect()
    }
}

/// The user's interactive shell: `$SHELL` when it names a program, else bash, else sh.
pub fn shell_default() -> PathBuf {
    std::env::var_os("SHELL")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_file())
        .or_else(|| crate::settings::program_find(std::path::Path::new("bash")))
        .unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

impl Engine {
    /// Opens the user's shell (interactive) in an agent's worktree.
    pub fn terminal_open(&self, req: &TerminalOpen) -> Result<TerminalInfo> {
        let agent = self.agent_get(&req.agent)?;
        let cwd = PathBuf::from(&agent.cwd);
        if !cwd.is_dir() {
            return Err(TerminalError::Invalid(format!(
                "agent {}'s folder {} is gone (its worktree was removed); restore it before opening a terminal",
                agent.name, agent.cwd
            ))
            .into());
        }
        let spec = PtySpec {
            program: shell_default(),
            args: vec!["-i".into()],
            cwd,
            env: vec![("BATON_AGENT".into(), agent.name.clone())],
            // The user's own shell keeps the user's whole environment.
            env_clear: false,
            cols: req.cols.unwrap_or(COLS_DEFAULT),
            rows: req.rows.unwrap_or(ROWS_DEFAULT),
        };
        let terminal = self.terminal_start(TerminalKind::Shell, &agent.id, spec, None)?;
        Ok(terminal.info())
    }

    /// Starts a terminal and keeps it. `tap` receives its output in order (see [`Pty::spawn`]).
    pub(crate) fn terminal_start(
        &self,
        kind: TerminalKind,
        agent_id: &str,
        spec: PtySpec,
        tap: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    ) -> Result<Arc<Terminal>> {
        let program = spec.program.to_string_lossy().into_owned();
        self.inner.terminals.start(kind, agent_id, spec, tap).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidInput => TerminalError::Invalid(e.to_string()).into(),
            _ => TerminalError::Spawn { program, detail: e.to_string() }.into(),
        })
    }

    /// Terminals of one agent (id or name), or every terminal, oldest first.
    pub fn terminal_list(&self, agent: Option<&str>) -> Result<Vec<TerminalInfo>> {
        let agent_id = match agent {
            Some(a) => Some(self.agent_get(a)?.id),
            None => None,
        };
        let mut list: Vec<TerminalInfo> = self
            .inner
            .terminals
            .all()
            .iter()
            .filter(|t| agent_id.as_deref().is_none_or(|a| t.agent_id == a))
            .map(|t| t.info())
            .collect();
        list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(list)
    }

    /// A live terminal, to attach to.
    pub fn terminal(&self, id: &str) -> Result<Arc<Terminal>> {
        self.inner.terminals.get(id).ok_or_else(|| TerminalError::NotFound(id.to_owned()).into())
    }

    pub fn terminal_get(&self, id: &str) -> Result<TerminalInfo> {
        Ok(self.terminal(id)?.info())
    }

    pub fn terminal_resize(&self, id: &str, size: &TerminalResize) -> Result<TerminalInfo> {
        let terminal = self.terminal(id)?;
        terminal.pty.resize(size.cols, size.rows).map_err(|e| TerminalError::Invalid(e.to_string()))?;
        Ok(terminal.info())
    }

    pub fn terminal_input(&self, id: &str, input: &TerminalInput) -> Result<TerminalInfo> {
        let terminal = self.terminal(id)?;
        terminal
            .pty
            .write(input.data.as_bytes())
            .map_err(|e| TerminalError::Write { id: id.to_owned(), detail: e.to_string() })?;
        Ok(terminal.info())
    }

    /// Closes a shell terminal: it is forgotten at once and its processes are hung up, then
    /// terminated, then killed. An agent's terminal ends with the agent (`agent_stop`).
    pub fn terminal_close(&self, id: &str) -> Result<TerminalInfo> {
        let terminal = self.terminal(id)?;
        if terminal.kind == TerminalKind::Agent && terminal.pty.exit().is_none() {
            return Err(TerminalError::Invalid(format!(
                "terminal {id} runs agent {}; stop the agent to end it",
                terminal.agent_id
            ))
            .into());
        }
        self.inner.terminals.remove(id);
        let info = terminal.info();
        match &self.inner.runtime {
            Some(handle) => {
                handle.spawn(async move { terminal.pty.stop().await });
            }
            None => terminal.pty.session_signal(rustix::process::Signal::KILL),
        }
        Ok(info)
    }

    /// Ends every terminal (the daemon is stopping).
    pub async fn terminals_shutdown(&self) {
        let mut stops = tokio::task::JoinSet::new();
        for terminal in self.inner.terminals.all() {
            self.inner.terminals.remove(&terminal.id);
            stops.spawn(async move { terminal.pty.stop().await });
        }
        while stops.join_next().await.is_some() {}
    }
}

/// What a viewer sends on a terminal's socket, as a text frame of JSON (a binary frame is raw
/// input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TerminalClientMessage {
    /// Typed text (`\r` is Enter).
    Input { data: String },
    /// The viewer's size changed.
    Resize { cols: u16, rows: u16 },
}

/// What the daemon sends on a terminal's socket as a text frame of JSON (output itself goes as
/// binary frames of raw bytes, the scrollback first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TerminalServerMessage {
    /// The program ended and all its output was sent; the socket closes next.
    Exit {
        #[ts(type = "number | null")]
        code: Option<i64>,
        #[ts(type = "number | null")]
        signal: Option<i64>,
    },
    /// A message from the viewer was refused; the socket stays open.
    Error { code: ErrorCode, message: String },
}
