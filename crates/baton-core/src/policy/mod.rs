//! A session's policy: `$BATON_HOME/sessions/SESSION_ID/policy.toml`, a file users read and
//! edit. It lists the tools agents may use without asking, the tools and shell commands they may
//! never use, the extra environment variables they see, and whether they run in the sandbox.
//! Read at every use (each launch, each permission asked), so an edit applies to the next one.
//! A new session gets the default file, commented; a broken file is an error that names the
//! file, line and field, with the field meant when a name is misspelt.
//!
//! Enforcement: denied tools go to each CLI's own mechanism where it has one (Claude's
//! `--disallowedTools`), and Baton decides at the permission prompt (`permission_live.rs`) and
//! when a turn's permission denials are read from the stream (`permission_denied_in_turn`).

mod rules;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::log::Note;
use crate::engine::{Engine, EngineState};
use crate::error::{ErrorCode, Result};

pub use rules::{Verdict, claude_disallowed, tool_decide};

/// Everything `policy.toml` may hold; a field left out takes its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Tools agents use without asking: names (`Read`, `Bash`) or globs (`mcp__github__*`).
    #[serde(default)]
    pub allow_tools: Vec<String>,
    /// Tools agents may never use, even if allowed elsewhere: names or globs.
    #[serde(default)]
    pub deny_tools: Vec<String>,
    /// Shell commands agents may never run, as globs over the command (`git push*`); each
    /// part of a compound command (`a && b`, `a; b`) is matched too.
    #[serde(default = "deny_commands_default")]
    pub deny_commands: Vec<String>,
    /// More variables of the daemon's environment agents see: names, or prefixes ending in `*`
    /// (added to the settings' `agents.envAllow`).
    #[serde(default)]
    pub env_allow: Vec<String>,
    /// Run agents confined to their worktree (bubblewrap): on, off, or unset for Baton's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sandbox: Option<bool>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow_tools: Vec::new(),
            deny_tools: Vec::new(),
            deny_commands: deny_commands_default(),
            env_allow: Vec::new(),
            sandbox: None,
        }
    }
}

fn deny_commands_default() -> Vec<String> {
    ["git push*", "rm -rf /*", "curl * | sh", "curl * | bash", "wget * | sh"].map(String::from).into()
}

/// The file a new session gets: the defaults, each field explained.
pub const POLICY_DEFAULT_TEXT: &str = r#"# This session's policy: what its agents may do. Edit it here, with
# `baton policy edit --session SESSION`, or in the app's session settings; it is read
# at every launch and every permission an agent asks for.

# Tools agents use without asking: names ("Read", "Bash") or globs ("mcp__github__*").
allow_tools = []

# Tools agents may never use, even if allowed above.
deny_tools = []

# Shell commands agents may never run, as globs over the whole command ("*" matches
# anything, "/" included); each part of "a && b" or "a; b" is matched too.
deny_commands = ["git push*", "rm -rf /*", "curl * | sh", "curl * | bash", "wget * | sh"]

# More environment variables agents see: names, or prefixes ending in "*" ("AWS_*").
env_allow = []

# Confine agents to their worktree: true or false; unset, Baton's default.
# sandbox = true
"#;

/// The fields of the file, for suggestions when one is misspelt.
const FIELDS: &[&str] = &["allow_tools", "deny_tools", "deny_commands", "env_allow", "sandbox"];

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file does not parse or breaks a rule.
    #[error("{path}{at}: {field}{message}", path = .path.display(),
        at = .at.map(|(l, c)| format!(", line {l}, column {c}")).unwrap_or_default(),
        field = if .field.is_empty() { String::new() } else { format!("{}: ", .field) })]
    Invalid { path: PathBuf, at: Option<(usize, usize)>, field: String, message: String },
    #[error("cannot read {path}: {detail}", path = .path.display())]
    Unreadable { path: PathBuf, detail: String },
    #[error("cannot write {path}: {detail}", path = .path.display())]
    Unwritable { path: PathBuf, detail: String },
}

impl PolicyError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::InvalidSettings,
            Self::Unreadable { .. } | Self::Unwritable { .. } => ErrorCode::Io,
        }
    }

    /// The field at fault, when the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } if !field.is_empty() => Some(field),
            _ => None,
        }
    }
}

/// Where a fault is: line and column (1-based), and the field.
type Fault = (Option<(usize, usize)>, String, String);

impl Policy {
    /// `text` read with the rules of the file.
    pub fn parse(text: &str) -> Result<Self, Fault> {
        let policy: Self = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| line_column(text, s.start));
            let message = e.message().trim().to_owned();
            let field = unknown_field(&message).unwrap_or_default();
            let hint = unknown_field(&message)
                .and_then(|f| suggest(&f))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            (at, field, format!("{message}{hint}"))
        })?;
        policy.check().map_err(|(field, message)| (line_of(text, &field), field, message))?;
        Ok(policy)
    }

    /// The rules beyond types: names that are names, patterns that are globs.
    fn check(&self) -> Result<(), (String, String)> {
        let broken = |field: &str, message: String| Err((field.to_owned(), message));
        for (field, list) in [("allow_tools", &self.allow_tools), ("deny_tools", &self.deny_tools)] {
            for tool in list {
                if tool.trim().is_empty() || tool.contains(['\0', '\n']) {
                    return broken(field, format!("{tool:?} is not a tool name; give a name like \"Bash\""));
                }
                if let Err(e) = glob::Pattern::new(tool) {
                    return broken(field, format!("{tool:?} is not a valid pattern: {}", e.msg));
                }
            }
        }
        for pattern in &self.deny_commands {
            if pattern.trim().is_empty() {
                return broken("deny_commands", "an empty pattern would match nothing; remove it".into());
            }
            if let Err(e) = glob::Pattern::new(pattern) {
                return broken("deny_commands", format!("{pattern:?} is not a valid pattern: {}", e.msg));
            }
        }
        for name in &self.env_allow {
            let bare = name.strip_suffix('*').unwrap_or(name);
            let valid = bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !bare.starts_with(|c: char| c.is_ascii_digit());
            if name.is_empty() || name == "*" || !valid {
                return broken(
                    "env_allow",
                    format!("{name:?} is not a variable name or a prefix ending in `*` (like \"AWS_*\")"),
                );
            }
        }
        Ok(())
    }

    /// The policy at `path`; no file is the defaults.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|(at, field, message)| PolicyError::Invalid {
                path: path.to_owned(),
                at,
                field,
                message,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(PolicyError::Unreadable { path: path.to_owned(), detail: e.to_string() }),
        }
    }
}

/// The field a toml "unknown field `x`" message names.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    Some(rest.split('`').next()?.to_owned())
}

/// The known field closest to a misspelt one, if close enough.
fn suggest(field: &str) -> Option<&'static str> {
    FIELDS
        .iter()
        .map(|f| (*f, strsim::damerau_levenshtein(field, f)))
        .filter(|(_, d)| *d <= 3)
        .min_by_key(|(_, d)| *d)
        .map(|(f, _)| f)
}

/// Line and column (1-based) of byte `at` in `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The line where `field` is set, for a rule broken by its value.
fn line_of(text: &str, field: &str) -> Option<(usize, usize)> {
    text.lines()
        .position(|l| l.trim_start().strip_prefix(field).is_some_and(|r| r.trim_start().starts_with('=')))
        .map(|i| (i + 1, 1))
}

/// Writes `text` to `path` atomically (a file in the same folder, renamed over it).
fn text_write(path: &Path, text: &str) -> Result<(), PolicyError> {
    use std::io::Write;
    let unwritable =
        |e: &dyn std::fmt::Display| PolicyError::Unwritable { path: path.to_owned(), detail: e.to_string() };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| unwritable(&e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| unwritable(&e))?;
    tmp.write_all(text.as_bytes()).and_then(|()| tmp.as_file().sync_all()).map_err(|e| unwritable(&e))?;
    tmp.persist(path).map_err(|e| unwritable(&e.error))?;
    Ok(())
}

/// Notes of refusals made while the recorder held an agent's runtime (a denial read from the
/// stream): written to the lane as soon as the recorder lets go of it, in [`after_record`].
/// Also the tool uses refused at the permission prompt: Claude lists them again among its
/// turn's denials, and they are noted once.
#[derive(Default)]
pub(crate) struct DenialNotes {
    pending: std::sync::Mutex<Vec<(String, Note)>>,
    refused_live: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl DenialNotes {
    fn push(&self, agent_id: &str, note: Note) {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).push((agent_id.to_owned(), note));
    }

    fn refused_live_add(&self, tool_use_id: &str) {
        self.refused_live.lock().unwrap_or_else(|p| p.into_inner()).insert(tool_use_id.to_owned());
    }

    /// Whether the tool use was refused at the prompt (forgotten once asked: it is listed once).
    fn refused_live_take(&self, tool_use_id: &str) -> bool {
        self.refused_live.lock().unwrap_or_else(|p| p.into_inner()).remove(tool_use_id)
    }

    fn take(&self, agent_id: &str) -> Vec<Note> {
        let mut all = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut *all).into_iter().partition(|(a, _)| a == agent_id);
        *all = rest;
        mine.into_iter().map(|(_, n)| n).collect()
    }
}

fn denial(tool: &str, input: &serde_json::Value, rule: &str) -> Note {
    Note::PolicyDenied { tool: tool.to_owned(), command: rules::command_of(input), rule: rule.to_owned() }
}

/// Shows in the agent's lane that the policy refused a tool use at the permission prompt, and
/// by which rule.
pub(crate) fn denial_note(
    engine: &Engine,
    agent_id: &str,
    tool: &str,
    tool_use_id: Option<&str>,
    input: &serde_json::Value,
    rule: &str,
) {
    if let Some(id) = tool_use_id {
        engine.inner.policy_denials.refused_live_add(id);
    }
    engine.note_blocking(agent_id, &denial(tool, input, rule));
}

/// A permission denial read from the agent's stream (the deny-then-resume path): one the
/// session's policy refuses is not asked of the user (it is noted in the lane with its rule);
/// any other is stored to be approved or denied. True when the user is asked.
pub(crate) fn permission_denied_in_turn(
    inner: &EngineState,
    conn: &rusqlite::Connection,
    agent_id: &str,
    tool: &str,
    tool_use_id: Option<&str>,
    input: &serde_json::Value,
) -> Result<bool> {
    let session_id: String = conn.query_row("SELECT session_id FROM agents WHERE id = ?1", [agent_id], |r| r.get(0))?;
    // A file broken by hand: its defaults decide meanwhile (never less safe).
    let policy = Policy::load(&policy_path(&inner.home, &session_id)).unwrap_or_else(|e| {
        tracing::warn!(agent = %agent_id, "{e}; the default policy applies");
        Policy::default()
    });
    match tool_decide(&policy, tool, input) {
        Verdict::Deny(rule) => {
            if !tool_use_id.is_some_and(|id| inner.policy_denials.refused_live_take(id)) {
                inner.policy_denials.push(agent_id, denial(tool, input, &rule));
            }
            Ok(false)
        }
        _ => crate::agent::record::permission_insert(conn, agent_id, tool, tool_use_id, input),
    }
}

/// Called by the recorder after each batch of an agent's output, its runtime held: writes the
/// refusals noted meanwhile, and, when a turn ended, checks the budgets (`agent/budget.rs`).
pub(crate) fn after_record(
    inner: &std::sync::Arc<EngineState>,
    rt: &mut crate::agent::supervisor::AgentRuntime,
    turn_ended: bool,
) {
    for note in inner.policy_denials.take(&rt.agent_id) {
        rt.note(inner, &note);
    }
    if turn_ended {
        crate::agent::budget::turn_end(inner, &rt.agent_id);
    }
}

/// The arguments that give a CLI the policy's refusals (Claude's `--disallowedTools`).
pub(crate) fn launch_args(cli: crate::agent::protocol::CliKind, policy: &Policy) -> Vec<String> {
    rules::cli_args(cli, policy)
}

/// The policy's allowed tools a CLI can be told of up front (plain names: a glob is Baton's to
/// match at the permission prompt).
pub(crate) fn launch_allowed(policy: &Policy) -> impl Iterator<Item = &String> {
    policy.allow_tools.iter().filter(|t| !t.contains(['*', '?', '[']))
}

/// The policy file of a session.
pub(crate) fn policy_path(home: &crate::BatonHome, session_id: &str) -> PathBuf {
    home.root().join("sessions").join(session_id).join("policy.toml")
}

/// Writes the default file for a new session (an existing file is kept).
pub(crate) fn policy_file_create(home: &crate::BatonHome, session_id: &str) -> Result<(), PolicyError> {
    let path = policy_path(home, session_id);
    if path.exists() {
        return Ok(());
    }
    text_write(&path, POLICY_DEFAULT_TEXT)
}

impl Engine {
    /// A session's policy as in effect, with the file's text and path (written with the
    /// defaults if missing, so there is always a file to edit).
    pub fn policy_read(&self, session: &str) -> Result<crate::api::PolicyRead> {
        let session = self.session_get(session)?;
        policy_file_create(&self.inner.home, &session.id)?;
        let path = policy_path(&self.inner.home, &session.id);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| PolicyError::Unreadable { path: path.clone(), detail: e.to_string() })?;
        Ok(crate::api::PolicyRead {
            session_id: session.id,
            path: path.to_string_lossy().into_owned(),
            policy: Policy::load(&path)?,
            defaults: Policy::default(),
            text,
        })
    }

    /// Replaces a session's policy file with `text`, checked first: a text that breaks a rule is
    /// refused with the line and field, and the file stays as it was.
    pub fn policy_write(&self, session: &str, text: &str) -> Result<crate::api::PolicyRead> {
        let session = self.session_get(session)?;
        let path = policy_path(&self.inner.home, &session.id);
        Policy::parse(text).map_err(|(at, field, message)| PolicyError::Invalid {
            path: path.clone(),
            at,
            field,
            message,
        })?;
        text_write(&path, text)?;
        self.policy_read(&session.id)
    }

    /// Changes one setting of a session's policy file in place, its comments and other lines
    /// kept; refused, changing nothing, when the file as it is does not parse.
    pub fn policy_update(&self, session: &str, update: &crate::api::PolicyUpdate) -> Result<crate::api::PolicyRead> {
        let read = self.policy_read(session)?;
        let path = PathBuf::from(&read.path);
        Policy::parse(&read.text).map_err(|(at, field, message)| PolicyError::Invalid {
            path: path.clone(),
            at,
            field,
            message,
        })?;
        let mut doc: toml_edit::DocumentMut = read.text.parse().map_err(|e: toml_edit::TomlError| {
            PolicyError::Invalid { path: path.clone(), at: None, field: String::new(), message: e.to_string() }
        })?;
        if let Some(sandbox) = update.sandbox {
            doc["sandbox"] = toml_edit::value(sandbox);
        }
        self.policy_write(&read.session_id, &doc.to_string())
    }

    /// The policy in effect for a session (its file, or the defaults).
    pub fn session_policy(&self, session_id: &str) -> Result<Policy> {
        Ok(Policy::load(&policy_path(&self.inner.home, session_id))?)
    }

    /// Whether the session's agents run in the sandbox, as its policy says (`None`: the policy
    /// leaves it to Baton's default). Asked by the launch.
    pub fn policy_sandbox(&self, session_id: &str) -> Result<Option<bool>> {
        Ok(self.session_policy(session_id)?.sandbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_reads_as_the_defaults() {
        assert_eq!(Policy::parse(POLICY_DEFAULT_TEXT).unwrap(), Policy::default());
        assert_eq!(Policy::parse("").unwrap(), Policy::default());
    }

    #[test]
    fn a_typo_names_the_line_and_the_field_meant() {
        let (at, field, message) = Policy::parse("allow_tools = []\ndeny_tool = [\"Bash\"]\n").unwrap_err();
        assert_eq!(at.map(|(l, _)| l), Some(2));
        assert_eq!(field, "deny_tool");
        assert!(
            message.contains("unknown field `deny_tool`") && message.contains("did you mean `deny_tools`?"),
            "{message}"
        );
    }

    #[test]
    fn wrong_types_and_bad_values_are_refused_with_their_line() {
        let (at, _, message) = Policy::parse("sandbox = \"yes\"\n").unwrap_err();
        assert_eq!(at.map(|(l, _)| l), Some(1));
        assert!(message.contains("bool"), "{message}");
        let (at, field, message) = Policy::parse("\n\nenv_allow = [\"AWS SECRET\"]\n").unwrap_err();
        assert_eq!((at.map(|(l, _)| l), field.as_str()), (Some(3), "env_allow"));
        assert!(message.contains("not a variable name"), "{message}");
        let (_, field, message) = Policy::parse("deny_commands = [\"git [push\"]").unwrap_err();
        assert_eq!(field, "deny_commands");
        assert!(message.contains("not a valid pattern"), "{message}");
    }

    #[test]
    fn a_file_on_disk_names_its_path_and_no_file_is_the_defaults() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("policy.toml");
        assert_eq!(Policy::load(&path).unwrap(), Policy::default());
        std::fs::write(&path, "sandbox = false\ndeny_commands = []\n").unwrap();
        let p = Policy::load(&path).unwrap();
        assert_eq!((p.sandbox, p.deny_commands.len()), (Some(false), 0));
        std::fs::write(&path, "sandbox = false\nsandbx = true\n").unwrap();
        let err = Policy::load(&path).unwrap_err();
        assert!(err.to_string().contains("policy.toml, line 2"), "{err}");
        assert_eq!(err.code(), ErrorCode::InvalidSettings);
    }
}
