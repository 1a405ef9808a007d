//! `$BATON_HOME/settings.json`: where each agent CLI is and how to run it (binary, extra
//! arguments, extra environment). Read at every spawn, so an edit applies to the next agent.
//! Unknown fields are errors that name the file, line and field: a typo never silently does
//! nothing.
//!
//! ```json
//! { "clis": { "claude": { "binary": "/opt/claude/bin/claude", "args": [], "env": { "K": "V" } } },
//!   "worktrees": { "retentionDays": 7, "archivedRetentionDays": 1 },
//!   "health": { "sampleSecs": 2, "memoryMaxMb": 4096, "idleReleaseSecs": 600 } }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::ErrorCode;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub clis: CliSettingsMap,
    #[serde(default)]
    pub worktrees: WorktreeSettings,
    #[serde(default)]
    pub health: HealthSettings,
}

/// The health sampler: how often it samples, how much memory is too much, and how long an
/// agent may wait for a message before its process is ended to free its memory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthSettings {
    /// Seconds between samples [default: 2].
    #[serde(default = "sample_secs_default")]
    pub sample_secs: f64,
    /// An agent's process group over this many MB raises a high-memory alert [default: 4096].
    #[serde(default = "memory_max_default")]
    pub memory_max_mb: u64,
    /// An agent waiting this many seconds has its CLI process ended (released); the next
    /// message resumes its session [default: 600]. 0 never releases.
    #[serde(default = "idle_release_default")]
    pub idle_release_secs: f64,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            sample_secs: sample_secs_default(),
            memory_max_mb: memory_max_default(),
            idle_release_secs: idle_release_default(),
        }
    }
}

impl HealthSettings {
    /// The time between samples, at least a tenth of a second.
    pub fn sample_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(if self.sample_secs.is_finite() { self.sample_secs.max(0.1) } else { 2.0 })
    }
}

fn sample_secs_default() -> f64 {
    2.0
}

fn memory_max_default() -> u64 {
    4096
}

fn idle_release_default() -> f64 {
    600.0
}

/// How long finished agents' worktrees are kept before garbage collection removes them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorktreeSettings {
    #[serde(default = "retention_default")]
    pub retention_days: f64,
    /// For agents of archived sessions: sooner.
    #[serde(default = "archived_retention_default")]
    pub archived_retention_days: f64,
}

impl Default for WorktreeSettings {
    fn default() -> Self {
        Self { retention_days: retention_default(), archived_retention_days: archived_retention_default() }
    }
}

fn retention_default() -> f64 {
    7.0
}

fn archived_retention_default() -> f64 {
    1.0
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliSettingsMap {
    #[serde(default)]
    pub claude: CliSettings,
    #[serde(default)]
    pub codex: CliSettings,
    #[serde(default)]
    pub gemini: CliSettings,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliSettings {
    /// The program: a path, or a name looked up on PATH.
    pub binary: Option<PathBuf>,
    /// Arguments put before the ones Baton passes.
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}, line {line}, column {column}: {message}; fix the file or move it aside", path = .path.display())]
    Invalid { path: PathBuf, line: usize, column: usize, message: String },
    #[error("cannot read {path}: {detail}", path = .path.display())]
    Unreadable { path: PathBuf, detail: String },
}

impl SettingsError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::InvalidSettings,
            Self::Unreadable { .. } => ErrorCode::Io,
        }
    }
}

impl CliSettingsMap {
    pub fn for_cli(&self, cli: crate::agent::protocol::CliKind) -> Option<&CliSettings> {
        use crate::agent::protocol::CliKind;
        match cli {
            CliKind::Claude => Some(&self.claude),
            CliKind::Codex => Some(&self.codex),
            CliKind::Gemini => Some(&self.gemini),
            CliKind::Command => None,
        }
    }
}

impl Settings {
    /// The settings at `path`; no file means the defaults.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(SettingsError::Unreadable { path: path.to_owned(), detail: e.to_string() }),
        };
        serde_json::from_str(&text).map_err(|e| SettingsError::Invalid {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        })
    }
}

/// `name` as a path: itself if it has a slash, else the first match on PATH.
pub fn program_find(name: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if name.components().count() > 1 {
        return executable(name).then(|| name.to_owned());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| executable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_names_file_line_and_field() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("settings.json");
        std::fs::write(&path, "{\n  \"clis\": {\n    \"claude\": { \"binray\": \"/x\" }\n  }\n}\n").unwrap();
        let err = Settings::load(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("settings.json, line 3"), "{msg}");
        assert!(msg.contains("unknown field `binray`"), "{msg}");
        assert_eq!(err.code(), ErrorCode::InvalidSettings);
    }

    #[test]
    fn no_file_is_the_defaults_and_a_good_file_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("settings.json");
        assert!(Settings::load(&path).unwrap().clis.claude.binary.is_none());
        std::fs::write(&path, r#"{"clis":{"codex":{"binary":"/bin/true","args":["-c","x"],"env":{"A":"b"}}}}"#)
            .unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.clis.codex.args, vec!["-c", "x"]);
        assert_eq!(s.clis.codex.env["A"], "b");
    }

    #[test]
    fn health_settings_default_and_a_typo_names_its_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("settings.json");
        let d = Settings::load(&path).unwrap().health;
        assert_eq!((d.sample_secs, d.memory_max_mb, d.idle_release_secs), (2.0, 4096, 600.0));
        std::fs::write(&path, "{\"health\": {\"sampleSecs\": 0.5,\n  \"idleReleaseSec\": 5}}").unwrap();
        let msg = Settings::load(&path).unwrap_err().to_string();
        assert!(msg.contains("line 2") && msg.contains("unknown field `idleReleaseSec`"), "{msg}");
    }

    #[test]
    fn programs_are_found_on_path() {
        assert!(program_find(Path::new("git")).is_some());
        assert!(program_find(Path::new("surely-no-such-program-here")).is_none());
        assert!(program_find(Path::new("/bin/sh")).is_some());
    }
}
