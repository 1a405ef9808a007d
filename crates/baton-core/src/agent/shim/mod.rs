//! Agents that outlive the daemon. Each process of an agent runs under a shim, a small process
//! of Baton's own (`baton shim`, modelled on containerd-shim and conmon) in its own session: it
//! starts the agent in its own process group (on pipes, or in a pseudo-terminal for a `command`
//! agent), owns those pipes or that terminal, appends every line the agent prints to the
//! agent's JSONL log itself, writes the agent's exit to a file, and serves the daemon over a
//! unix socket in the agent's folder (`$BATON_HOME/agents/ID/`). A daemon that crashes or is
//! replaced leaves the shims running; the next one finds their sockets and reattaches, and
//! follows each log from where the previous daemon's decoding stopped (`supervisor.rs`).
//!
//! The socket speaks frames: one kind byte, a big-endian u32 length, the payload. `J` frames
//! carry a JSON [`ShimMsg`] (shim to daemon) or [`ShimOrder`] (daemon to shim); `O` frames a
//! chunk of a terminal's output (shim to daemon, for the screen the UI shows); `I` frames
//! bytes typed into the terminal (daemon to shim).

pub(crate) mod link;
pub mod process;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::log::Note;

pub(crate) const FRAME_JSON: u8 = b'J';
pub(crate) const FRAME_OUT: u8 = b'O';
pub(crate) const FRAME_IN: u8 = b'I';
/// A frame larger than this is a broken peer, not a message.
const FRAME_MAX: u32 = 64 * 1024 * 1024;

/// What the shim starts, given by the daemon on the shim's stdin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShimSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The whole environment of the agent.
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// In a pseudo-terminal of this size, rather than on pipes.
    pub terminal: Option<(u16, u16)>,
    pub stdin_lines: Vec<String>,
    pub stdin_open: bool,
    pub log: PathBuf,
    /// Noted in the log after the process's start and before any of its output.
    pub notes: Vec<Note>,
}

/// The shim's one line on its stdout once the agent has started (or could not).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShimReady {
    Started { pid: u32 },
    Failed { message: String },
}

/// How the agent's process ended, as the shim saw it (also the exit file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShimExit {
    pub code: Option<i64>,
    pub signal: Option<i64>,
    /// Stopped on the daemon's order.
    pub stopped: bool,
    /// Ended because it idled (released).
    pub released: bool,
}

/// Shim to daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ShimMsg {
    /// On each connection: what runs.
    Hello { pid: u32, terminal: Option<(u16, u16)> },
    /// New records are in the log.
    Lines,
    /// The process ended and all its output is in the log.
    Exit { exit: ShimExit },
}

/// Daemon to shim.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ShimOrder {
    /// A line for the agent's stdin (typed, with Enter, into a terminal).
    Stdin {
        line: String,
    },
    /// End of input (Ctrl-D in a terminal).
    CloseStdin,
    /// SIGINT, then SIGTERM, then SIGKILL to the agent's group; `release`: it idled.
    Stop {
        release: bool,
    },
    Resize {
        cols: u16,
        rows: u16,
    },
    /// The daemon recorded the exit: the shim may go.
    Done,
}

/// Where an agent's shim keeps its socket, exit file and own log.
pub(crate) fn agent_dir(home: &crate::BatonHome, agent_id: &str) -> PathBuf {
    home.root().join("agents").join(agent_id)
}

pub(crate) fn socket_path(dir: &Path) -> PathBuf {
    dir.join("shim.sock")
}

pub(crate) fn exit_path(dir: &Path) -> PathBuf {
    dir.join("exit.json")
}

pub(crate) fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(kind);
    out.extend_from_slice(&u32::try_from(payload.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

pub(crate) fn frame_json(value: &impl Serialize) -> Vec<u8> {
    frame(FRAME_JSON, &serde_json::to_vec(value).unwrap_or_default())
}

/// Reads one frame; an error at the end of the stream or on a broken frame.
pub(crate) async fn frame_read<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<(u8, Vec<u8>)> {
    let kind = reader.read_u8().await?;
    let len = reader.read_u32().await?;
    if len > FRAME_MAX {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a frame of {len} bytes")));
    }
    let mut payload = vec![0u8; len as usize];
    reader.read_exact(&mut payload).await?;
    Ok((kind, payload))
}

/// The exit file, written whole (beside, then renamed over).
pub(crate) fn exit_write(dir: &Path, exit: &ShimExit) -> std::io::Result<()> {
    let tmp = dir.join("exit.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(exit).map_err(std::io::Error::other)?)?;
    std::fs::rename(&tmp, exit_path(dir))
}

pub(crate) fn exit_read(dir: &Path) -> Option<ShimExit> {
    serde_json::from_slice(&std::fs::read(exit_path(dir)).ok()?).ok()
}

/// A unix socket's path has room for 107 bytes.
pub(crate) fn socket_check(path: &Path) -> std::io::Result<()> {
    if path.as_os_str().len() > 107 {
        return Err(std::io::Error::other(format!(
            "the agent's socket path {} is longer than a unix socket allows (107 bytes); use a shorter BATON_HOME",
            path.display()
        )));
    }
    Ok(())
}
