//! `baton install claude|codex|gemini [--project|--user]` and `baton uninstall`: Baton's MCP
//! server (`baton mcp`) registered with the user's own agent CLI, and a `/become-orchestrator`
//! command that makes the conversation it runs in the coordinator of the repository's session.
//!
//! Every file Baton writes carries [`MARKER`]; uninstall removes only files that carry it, and
//! install never overwrites a file of the user's. In configuration files shared with the user,
//! only the `baton` server entry is touched, and only while it runs `baton mcp`.

mod config;
mod texts;

use std::path::{Path, PathBuf};
use std::process::Command;

use baton_core::{ApiError, ErrorCode};
use baton_daemon::DaemonError;

/// The line that marks a file as Baton's.
pub const MARKER: &str = "Managed by Baton";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Claude,
    Codex,
    Gemini,
}

impl Target {
    const ALL: [Target; 3] = [Target::Claude, Target::Codex, Target::Gemini];

    fn name(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Codex => "codex",
            Self::Gemini => "gemini",
        }
    }
}

/// Where to install: the repository of the current folder, or the user's home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Project,
    User,
}

pub(crate) fn refuse(message: String) -> DaemonError {
    DaemonError::Api(ApiError::new(ErrorCode::InvalidInput, message))
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> DaemonError {
    move |source| DaemonError::Io { context, source }
}

/// The folders an install writes under.
struct Places {
    /// The repository's root (project scope) or the home folder (user scope).
    root: PathBuf,
    home: PathBuf,
    scope: Scope,
}

impl Places {
    fn find(scope: Scope) -> Result<Self, DaemonError> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| refuse("HOME is not set; Baton installs into the user's home folder".into()))?;
        let root = match scope {
            Scope::User => home.clone(),
            Scope::Project => repo_root()?,
        };
        Ok(Self { root, home, scope })
    }

    /// Codex reads `$CODEX_HOME` (default `~/.codex`), for the user only.
    fn codex_home(&self) -> PathBuf {
        std::env::var_os("CODEX_HOME").filter(|h| !h.is_empty()).map(PathBuf::from).unwrap_or(self.home.join(".codex"))
    }
}

fn repo_root() -> Result<PathBuf, DaemonError> {
    let out = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .map_err(io("cannot run git to find the repository".into()))?;
    if !out.status.success() {
        return Err(refuse(
            "the current folder is not in a git repository; run `baton install --project` in the repository, or use --user"
                .into(),
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// What an install wrote or would remove, for the report printed to the user.
#[derive(Debug, Default)]
pub struct Changes(Vec<String>);

impl Changes {
    fn add(&mut self, what: String) {
        self.0.push(what);
    }
}

pub fn install(target: Target, scope: Scope) -> Result<(), DaemonError> {
    let places = Places::find(scope)?;
    let baton = std::env::current_exe().map_err(io("cannot tell where the baton program is".into()))?;
    let mut changes = Changes::default();
    match target {
        Target::Claude => {
            config::claude_server_add(&places, &baton, &mut changes)?;
            let dir = places.root.join(".claude/commands");
            managed_write(&dir.join("become-orchestrator.md"), &texts::claude_command(), &mut changes)?;
        }
        Target::Codex => {
            if scope == Scope::Project {
                return Err(refuse(
                    "Codex reads MCP servers and prompts from its own home (~/.codex) only; use `baton install codex --user`"
                        .into(),
                ));
            }
            config::codex_server_add(&places, &baton, &mut changes)?;
            let dir = places.codex_home().join("prompts");
            managed_write(&dir.join("become-orchestrator.md"), &texts::codex_prompt(), &mut changes)?;
        }
        Target::Gemini => {
            config::gemini_server_add(&places, &baton, &mut changes)?;
            let dir = places.root.join(".gemini/commands");
            managed_write(&dir.join("become-orchestrator.toml"), &texts::gemini_command(), &mut changes)?;
        }
    }
    for line in &changes.0 {
        println!("{line}");
    }
    println!(
        "In {}, `/become-orchestrator <goal>` now makes the conversation the coordinator of the repository's Baton session.",
        target.name()
    );
    Ok(())
}

/// Removes what `install` wrote for `target` (or every CLI): only files with Baton's marker, and
/// the `baton` server entry only while it runs `baton mcp`.
pub fn uninstall(target: Option<Target>, scope: Scope) -> Result<(), DaemonError> {
    let places = Places::find(scope)?;
    let mut changes = Changes::default();
    for target in target.map(|t| vec![t]).unwrap_or(Target::ALL.to_vec()) {
        match target {
            Target::Claude => {
                config::claude_server_remove(&places, &mut changes)?;
                managed_remove(&places.root.join(".claude/commands/become-orchestrator.md"), &mut changes)?;
            }
            Target::Codex if scope == Scope::User => {
                config::codex_server_remove(&places, &mut changes)?;
                managed_remove(&places.codex_home().join("prompts/become-orchestrator.md"), &mut changes)?;
            }
            Target::Codex => {}
            Target::Gemini => {
                config::gemini_server_remove(&places, &mut changes)?;
                managed_remove(&places.root.join(".gemini/commands/become-orchestrator.toml"), &mut changes)?;
            }
        }
    }
    if changes.0.is_empty() {
        println!("Nothing of Baton's was installed there.");
    }
    for line in &changes.0 {
        println!("{line}");
    }
    Ok(())
}

/// Writes a file of Baton's, refusing to replace one of the user's (a file without the marker).
fn managed_write(path: &Path, text: &str, changes: &mut Changes) -> Result<(), DaemonError> {
    if let Ok(existing) = std::fs::read_to_string(path)
        && !existing.contains(MARKER)
    {
        return Err(refuse(format!(
            "{} is yours (it does not carry Baton's marker); Baton leaves it alone: rename it, then install again",
            path.display()
        )));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    config::atomic_write(path, text)?;
    changes.add(format!("wrote {}", path.display()));
    Ok(())
}

fn managed_remove(path: &Path, changes: &mut Changes) -> Result<(), DaemonError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.contains(MARKER) => {
            std::fs::remove_file(path).map_err(io(format!("cannot remove {}", path.display())))?;
            changes.add(format!("removed {}", path.display()));
        }
        Ok(_) => changes.add(format!("left {} (yours: it does not carry Baton's marker)", path.display())),
        Err(_) => {}
    }
    Ok(())
}
