//! `$BATON_HOME/settings.json`: where each agent CLI is and how to run it (binary, extra
//! arguments, extra environment), how long worktrees are kept, health limits, the editor that
//! opens worktrees, the desktop app's theme, notifications and start at login, and the wizard's
//! planner. Read at every use (each spawn, each garbage collection, each sample), so an edit, by
//! hand or through [`settings_update`], applies to the next use without a restart. Unknown fields are errors that name the file, line
//! and field: a typo never silently does nothing.
//!
//! ```json
//! { "clis": { "claude": { "binary": "/opt/claude/bin/claude", "args": [], "env": { "K": "V" } } },
//!   "worktrees": { "retentionDays": 7, "archivedRetentionDays": 1 },
//!   "health": { "sampleSecs": 2, "memoryMaxMb": 4096, "idleReleaseSecs": 600 },
//!   "editor": { "program": "nvim", "args": [], "terminal": true },
//!   "theme": "dark", "notifications": { "needsInput": true, "whenAppClosed": false },
//!   "closeToTray": true, "startAtLogin": false, "wizard": { "planner": "claude", "maxQuestions": 5 },
//!   "agents": { "envAllow": ["GITHUB_TOKEN"], "sandbox": "auto" } }
//! ```

mod detect;
mod editor;
mod file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorCode;

pub use detect::{CliDetection, EditorChoice, EditorsDetected, cli_detect, editors_detect};
pub use editor::{EditorOpened, editor_open};
pub use file::settings_update;

/// Everything `settings.json` may hold; a field left out takes its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    #[serde(default)]
    pub clis: CliSettingsMap,
    #[serde(default)]
    pub worktrees: WorktreeSettings,
    #[serde(default)]
    pub health: HealthSettings,
    /// What agents' processes see of the daemon's environment beyond the basics and their own
    /// CLI's provider variables.
    #[serde(default)]
    pub agents: AgentSettings,
    /// The editor "Open in editor" starts; unset, the first one found on PATH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub editor: Option<EditorSettings>,
    /// The desktop app's colours [default: system].
    #[serde(default)]
    pub theme: Theme,
    /// Desktop notifications: on or off (`true`/`false`), or each kind on its own.
    #[serde(default)]
    pub notifications: NotificationSettings,
    /// Closing the app's window leaves it running in the tray [default: true].
    #[serde(default = "close_to_tray_default")]
    pub close_to_tray: bool,
    /// The desktop app starts, in the tray, when the user logs in [default: false]. The app
    /// writes or removes its login entry to match (see docs/desktop.md, Packaging).
    #[serde(default)]
    pub start_at_login: bool,
    /// The spawning wizard's agent-assisted engine: its planner CLI and how many questions it
    /// may ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub wizard: Option<WizardSettings>,
}

/// `wizard` in `settings.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WizardSettings {
    /// The planner's CLI when a wizard names none [default: claude].
    #[serde(default = "planner_default")]
    pub planner: crate::agent::protocol::CliKind,
    /// The most questions the planner may ask before it must give the plan [default: 5].
    #[serde(default = "max_questions_default")]
    pub max_questions: u32,
}

impl Default for WizardSettings {
    fn default() -> Self {
        Self { planner: planner_default(), max_questions: max_questions_default() }
    }
}

fn planner_default() -> crate::agent::protocol::CliKind {
    crate::agent::protocol::CliKind::Claude
}

fn max_questions_default() -> u32 {
    5
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            clis: CliSettingsMap::default(),
            worktrees: WorktreeSettings::default(),
            health: HealthSettings::default(),
            agents: AgentSettings::default(),
            editor: None,
            theme: Theme::default(),
            notifications: NotificationSettings::default(),
            close_to_tray: close_to_tray_default(),
            start_at_login: false,
            wizard: None,
        }
    }
}

fn close_to_tray_default() -> bool {
    true
}

/// Which desktop notifications are sent: each kind can be turned off, or all at once. Read
/// from an object of kinds, or, as files written before kinds existed have it, `true`/`false`
/// for all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    /// Any notification at all [default: true].
    #[serde(default = "on")]
    pub enabled: bool,
    /// An agent waits for a tool to be approved [default: true].
    #[serde(default = "on")]
    pub needs_input: bool,
    /// A task failed or is blocked [default: true].
    #[serde(default = "on")]
    pub task_failed: bool,
    /// A review approved work, which waits to be merged [default: true].
    #[serde(default = "on")]
    pub review_approved: bool,
    /// A session's coordinator found its completion criteria met [default: true].
    #[serde(default = "on")]
    pub session_completed: bool,
    /// An alert was raised: stalled, crashed, looping, high memory, an escape, a ref moved [default: true].
    #[serde(default = "on")]
    pub alert: bool,
    /// The daemon sends them itself while the desktop app is not running [default: false].
    #[serde(default)]
    pub when_app_closed: bool,
}

/// [`NotificationSettings`] as an object in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NotificationFields {
    #[serde(default = "on")]
    pub enabled: bool,
    #[serde(default = "on")]
    pub needs_input: bool,
    #[serde(default = "on")]
    pub task_failed: bool,
    #[serde(default = "on")]
    pub review_approved: bool,
    #[serde(default = "on")]
    pub session_completed: bool,
    #[serde(default = "on")]
    pub alert: bool,
    #[serde(default)]
    pub when_app_closed: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            needs_input: true,
            task_failed: true,
            review_approved: true,
            session_completed: true,
            alert: true,
            when_app_closed: false,
        }
    }
}

fn on() -> bool {
    true
}

impl<'de> Deserialize<'de> for NotificationSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = NotificationSettings;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false, or an object such as {\"needsInput\": false}")
            }
            fn visit_bool<E: serde::de::Error>(self, enabled: bool) -> Result<Self::Value, E> {
                Ok(NotificationSettings { enabled, ..NotificationSettings::default() })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let f = NotificationFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(NotificationSettings {
                    enabled: f.enabled,
                    needs_input: f.needs_input,
                    task_failed: f.task_failed,
                    review_approved: f.review_approved,
                    session_completed: f.session_completed,
                    alert: f.alert,
                    when_app_closed: f.when_app_closed,
                })
            }
        }
        d.deserialize_any(Either)
    }
}

/// The desktop app's colours: the system's, or always light or dark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// The program that opens a worktree: it is given the worktree's folder as its last argument
/// and started in it. A terminal editor (vim, nvim, helix) runs in a terminal emulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EditorSettings {
    /// A path, or a name looked up on PATH.
    pub program: String,
    /// Arguments put before the folder.
    #[serde(default)]
    pub args: Vec<String>,
    /// Run it in a terminal emulator (for vim, nvim, helix...).
    #[serde(default)]
    pub terminal: bool,
}

/// Agents' processes: what they see of the daemon's environment. They get `PATH`, `HOME`, the
/// locale, the terminal, proxies and certificates, their own CLI's provider variables
/// (`ANTHROPIC_*` for Claude, `OPENAI_*` and `CODEX_*` for Codex, `GEMINI_*` and `GOOGLE_*` for
/// Gemini) and Baton's own; nothing else unless listed here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentSettings {
    /// More variables agents keep: names, or prefixes ending in `*` (`["AWS_*", "GITHUB_TOKEN"]`).
    #[serde(default)]
    pub env_allow: Vec<String>,
    /// Confinement of each agent's process with bubblewrap where the machine has it
    /// (docs/safety.md, Confinement) [default: auto].
    #[serde(default)]
    pub sandbox: SandboxSetting,
}

/// `agents.sandbox`: `auto` confines agents where bubblewrap works (else they run unconfined,
/// watched for escapes); `off` never confines them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SandboxSetting {
    #[default]
    Auto,
    Off,
}

/// The health sampler: how often it samples, how much memory is too much, and how long an
/// agent may wait for a message before its process is ended to free its memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthSettings {
    /// Seconds between samples [default: 2].
    #[serde(default = "sample_secs_default")]
    pub sample_secs: f64,
    /// An agent's process group over this many MB raises a high-memory alert [default: 4096].
    #[serde(default = "memory_max_default")]
    #[ts(type = "number")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorktreeSettings {
    /// Days a finished agent's worktree is kept [default: 7].
    #[serde(default = "retention_default")]
    pub retention_days: f64,
    /// For agents of archived sessions: sooner [default: 1].
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CliSettingsMap {
    #[serde(default)]
    pub claude: CliSettings,
    #[serde(default)]
    pub codex: CliSettings,
    #[serde(default)]
    pub gemini: CliSettings,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CliSettings {
    /// The program: a path, or a name looked up on PATH [default: the CLI's usual name].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string")]
    pub binary: Option<PathBuf>,
    /// Arguments put before the ones Baton passes.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables added to the CLI's.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file on disk does not parse or breaks a rule.
    #[error("{path}{at}: {field}{message}; fix the file or move it aside",
        path = .path.display(),
        at = .at.map(|(l, c)| format!(", line {l}, column {c}")).unwrap_or_default(),
        field = if .field.is_empty() { String::new() } else { format!("{}: ", .field) })]
    Invalid { path: PathBuf, at: Option<(usize, usize)>, field: String, message: String },
    /// A change that would make the settings invalid: nothing was written.
    #[error("{field}{message}; the settings were not changed",
        field = if .field.is_empty() { String::new() } else { format!("{}: ", .field) })]
    Rejected { field: String, message: String },
    #[error("cannot read {path}: {detail}", path = .path.display())]
    Unreadable { path: PathBuf, detail: String },
    #[error("cannot write {path}: {detail}", path = .path.display())]
    Unwritable { path: PathBuf, detail: String },
    /// No editor is set and none was found, or the one set cannot be started.
    #[error("{0}")]
    Editor(String),
}

impl SettingsError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::InvalidSettings,
            Self::Rejected { .. } | Self::Editor(_) => ErrorCode::InvalidInput,
            Self::Unreadable { .. } | Self::Unwritable { .. } => ErrorCode::Io,
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

/// A field that breaks a rule (the dotted path to it) and why.
type Broken = (String, String);

impl Settings {
    /// The settings at `path`; no file means the defaults.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(SettingsError::Unreadable { path: path.to_owned(), detail: e.to_string() }),
        };
        Self::from_text(path, &text)
    }

    /// The settings in `text`, read from the file at `path` (named in errors).
    pub fn from_text(path: &Path, text: &str) -> Result<Self, SettingsError> {
        Self::parse(text).map_err(|(at, (field, message))| SettingsError::Invalid {
            path: path.to_owned(),
            at,
            field,
            message,
        })
    }

    /// `text` read with the rules of the file: known fields only, of the right types, and
    /// values that make sense. A failure says where (line and column, when a parse) and which field.
    fn parse(text: &str) -> Result<Self, (Option<(usize, usize)>, Broken)> {
        let mut de = serde_json::Deserializer::from_str(text);
        let settings: Self = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string().split(" at line ").next().unwrap_or_default().to_owned();
            (Some((inner.line(), inner.column())), (if field == "." { String::new() } else { field }, message))
        })?;
        de.end().map_err(|e| (Some((e.line(), e.column())), (String::new(), e.to_string())))?;
        settings.check().map_err(|broken| (None, broken))?;
        Ok(settings)
    }

    /// The rules beyond types: days and seconds that are numbers of them, programs with names.
    fn check(&self) -> Result<(), Broken> {
        let broken = |field: &str, message: &str| Err((field.to_owned(), message.to_owned()));
        let days = [
            ("worktrees.retentionDays", self.worktrees.retention_days),
            ("worktrees.archivedRetentionDays", self.worktrees.archived_retention_days),
            ("health.idleReleaseSecs", self.health.idle_release_secs),
        ];
        for (field, value) in days {
            if !value.is_finite() || value < 0.0 {
                return broken(field, "must be a number, 0 or more");
            }
        }
        if let Some(w) = &self.wizard {
            if w.planner == crate::agent::protocol::CliKind::Command {
                return broken("wizard.planner", "must be claude, codex or gemini");
            }
            if !(1..=20).contains(&w.max_questions) {
                return broken("wizard.maxQuestions", "must be a whole number from 1 to 20");
            }
        }
        if !self.health.sample_secs.is_finite() || self.health.sample_secs < 0.1 {
            return broken("health.sampleSecs", "must be a number of seconds, 0.1 or more");
        }
        for (name, cli) in [("claude", &self.clis.claude), ("codex", &self.clis.codex), ("gemini", &self.clis.gemini)] {
            if cli.binary.as_ref().is_some_and(|b| b.as_os_str().is_empty()) {
                return broken(
                    &format!("clis.{name}.binary"),
                    "is empty; give a path or a program name, or remove it to use the one on PATH",
                );
            }
            if cli.args.iter().any(|a| a.contains('\0')) {
                return broken(&format!("clis.{name}.args"), "an argument holds a NUL character");
            }
            for (key, value) in &cli.env {
                if key.is_empty() || key.contains(['=', '\0']) || value.contains('\0') {
                    return broken(
                        &format!("clis.{name}.env"),
                        &format!("`{key}` is not a variable name (no `=`, not empty)"),
                    );
                }
            }
        }
        if let Some(editor) = &self.editor {
            if editor.program.trim().is_empty() {
                return broken(
                    "editor.program",
                    "is empty; give the editor's command, or remove the editor to use the first one found",
                );
            }
            if editor.args.iter().any(|a| a.contains('\0')) || editor.program.contains('\0') {
                return broken("editor", "holds a NUL character");
            }
        }
        Ok(())
    }
}

impl crate::engine::Engine {
    /// The settings in effect, the defaults and the file's path. A broken file is an error
    /// that names its line and field.
    pub fn settings_read(&self) -> crate::error::Result<crate::api::SettingsRead> {
        let path = self.inner.home.settings_file();
        Ok(crate::api::SettingsRead {
            settings: Settings::load(&path)?,
            defaults: Settings::default(),
            exists: path.exists(),
            path: path.to_string_lossy().into_owned(),
        })
    }

    /// Changes the settings (a JSON merge patch) and answers them as now in effect. Every use
    /// reads the file anew, so the next spawn, collection or sample uses them.
    pub fn settings_update(&self, patch: &serde_json::Value) -> crate::error::Result<crate::api::SettingsRead> {
        settings_update(&self.inner.home.settings_file(), patch)?;
        self.settings_read()
    }

    /// Each agent CLI (or one) as the settings and PATH have it, with its version.
    pub fn clis_detect(
        &self,
        only: Option<crate::agent::protocol::CliKind>,
    ) -> crate::error::Result<Vec<CliDetection>> {
        Ok(cli_detect(&Settings::load(&self.inner.home.settings_file())?, only, &Lookup::from_env()))
    }

    /// The editors on this machine.
    pub fn editors_detect(&self) -> EditorsDetected {
        editors_detect(&Lookup::from_env())
    }

    /// Opens `path` in the editor of the settings.
    pub fn editor_open(&self, path: &str) -> crate::error::Result<EditorOpened> {
        let settings = Settings::load(&self.inner.home.settings_file())?;
        Ok(editor_open(&settings, Path::new(path), &Lookup::from_env())?)
    }
}

/// `name` as a path: itself if it has a slash, else the first match on PATH.
pub fn program_find(name: &Path) -> Option<PathBuf> {
    program_find_in(name, &std::env::var_os("PATH").unwrap_or_default())
}

/// [`program_find`] with `search` (a PATH value) as the folders to look in.
pub fn program_find_in(name: &Path, search: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if name.components().count() > 1 {
        return executable(name).then(|| name.to_owned());
    }
    if name.as_os_str().is_empty() {
        return None;
    }
    std::env::split_paths(search).map(|dir| dir.join(name)).find(|p| executable(p))
}

/// Where programs are looked for: PATH's folders, and the home folder (for launchers that
/// install outside PATH). The daemon's own environment, or a test's.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub path: std::ffi::OsString,
    pub home: Option<PathBuf>,
}

impl Lookup {
    pub fn from_env() -> Self {
        Self { path: std::env::var_os("PATH").unwrap_or_default(), home: std::env::var_os("HOME").map(PathBuf::from) }
    }

    pub fn find(&self, name: &Path) -> Option<PathBuf> {
        program_find_in(name, &self.path)
    }
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
    fn notifications_are_per_kind_and_a_bare_switch_still_reads() {
        let read = |text: &str| Settings::parse(text).map(|s| s.notifications).map_err(|(_, b)| b);
        assert_eq!(read("{}").unwrap(), NotificationSettings::default());
        assert!(!read(r#"{"notifications": false}"#).unwrap().enabled);
        let kinds = read(r#"{"notifications": {"alert": false, "whenAppClosed": true}}"#).unwrap();
        assert!(kinds.enabled && !kinds.alert && kinds.when_app_closed && kinds.needs_input);
        let (field, message) = read(r#"{"notifications": {"alerts": false}}"#).unwrap_err();
        assert!(field.starts_with("notifications"), "{field}");
        assert!(message.contains("unknown field `alerts`"), "{message}");
        let (_, message) = read(r#"{"notifications": "yes"}"#).unwrap_err();
        assert!(message.contains("true, false, or an object"), "{message}");
    }

    #[test]
    fn start_at_login_is_off_until_set_and_takes_only_a_boolean() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("settings.json");
        assert!(!Settings::load(&path).unwrap().start_at_login);
        assert!(settings_update(&path, &serde_json::json!({"startAtLogin": true})).unwrap().start_at_login);
        assert!(Settings::load(&path).unwrap().start_at_login);
        let err = settings_update(&path, &serde_json::json!({"startAtLogin": "yes"})).unwrap_err();
        assert!(err.to_string().contains("startAtLogin"), "{err}");
        assert!(Settings::load(&path).unwrap().start_at_login, "a refused change leaves the file as it was");
        assert!(!settings_update(&path, &serde_json::json!({"startAtLogin": null})).unwrap().start_at_login);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("startAtLogin"), "null removes it");
    }

    #[test]
    fn programs_are_found_on_path() {
        assert!(program_find(Path::new("git")).is_some());
        assert!(program_find(Path::new("surely-no-such-program-here")).is_none());
        assert!(program_find(Path::new("/bin/sh")).is_some());
    }
}
