//! `$BATON_HOME/daemon.json`: how clients find the running daemon (port, pid, version, token).
//! Written atomically with mode 0600 (the token is a secret); a file whose pid is dead is stale
//! and is replaced, never obeyed.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonInfo {
    pub port: u16,
    pub pid: u32,
    pub version: String,
    pub token: String,
    /// RFC 3339.
    pub started_at: String,
}

impl DaemonInfo {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The daemon file, if present and well-formed. A malformed file is treated as absent: it can
/// only come from a crash mid-write, and the lock, not this file, decides who runs.
pub fn daemon_file_read(path: &Path) -> Option<DaemonInfo> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn daemon_file_write(path: &Path, info: &DaemonInfo) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    file.write_all(serde_json::to_string_pretty(info).map_err(std::io::Error::other)?.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Removes the daemon file if it still names `pid` (a newer daemon's file is left alone).
pub fn daemon_file_remove_if_ours(path: &Path, pid: u32) {
    if daemon_file_read(path).is_some_and(|info| info.pid == pid) {
        let _ = std::fs::remove_file(path);
    }
}

/// Whether a process with this pid exists.
pub fn pid_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // It exists but belongs to someone else.
        Err(e) => e == rustix::io::Errno::PERM,
    }
}
