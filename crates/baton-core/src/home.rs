//! `BATON_HOME`: the folder that holds one Baton's database, logs and (later) worktrees. One
//! daemon owns one home.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatonHome {
    root: PathBuf,
}

impl BatonHome {
    /// The home named by `flag` (`--home`), else `$BATON_HOME`, else the platform's data folder
    /// (`$XDG_DATA_HOME/baton` or `~/.local/share/baton`).
    pub fn resolve(flag: Option<PathBuf>) -> std::io::Result<Self> {
        let root = match flag.or_else(|| std::env::var_os("BATON_HOME").filter(|v| !v.is_empty()).map(PathBuf::from)) {
            Some(p) => p,
            None => default_root().ok_or_else(|| {
                std::io::Error::other("cannot find a data folder: set BATON_HOME or pass --home PATH")
            })?,
        };
        let root = if root.is_absolute() { root } else { std::env::current_dir()?.join(root) };
        Ok(Self { root })
    }

    /// A home at exactly this folder (tests and benchmarks).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Creates the folders of the home if they are missing.
    pub fn ensure(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.logs_dir())?;
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join("baton.db")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
    pub fn worktrees_dir(&self) -> PathBuf {
        self.root.join("worktrees")
    }
    /// Port, pid, version and token of the running daemon (mode 0600).
    pub fn daemon_file(&self) -> PathBuf {
        self.root.join("daemon.json")
    }
    /// Held (flock) by the running daemon for its whole life.
    pub fn daemon_lock(&self) -> PathBuf {
        self.root.join("daemon.lock")
    }
    /// Where the agent CLIs are and how to run them (see `settings.rs`).
    pub fn settings_file(&self) -> PathBuf {
        self.root.join("settings.json")
    }
    pub fn daemon_log(&self) -> PathBuf {
        self.logs_dir().join("daemon.log")
    }
}

fn default_root() -> Option<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(xdg).join("baton"));
    }
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(home).join(".local/share/baton"))
}
