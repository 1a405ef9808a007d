//! Where an agent runs unconfined (no bubblewrap, or the sandbox turned off): a watcher of the
//! user's checkout and home that keeps every file written there while the agent's process
//! lives, except in the places the agent may write (its worktree, Baton's folder, its CLI's state
//! folders, the git data a commit writes). What it keeps is reported as an `escape` alert after
//! each turn.
//!
//! The checkout is watched folder by folder, as the changed-files watcher does (`changes.rs`),
//! skipping git's folder and the build and dependency folders. The home is watched two levels
//! deep (the home and each folder in it): that catches `~/.bashrc`, `~/.ssh/authorized_keys`,
//! `~/.config/x` created, at the cost of a few hundred watches, where a whole home can hold more
//! folders than inotify allows (docs/safety.md, Confinement).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{EventKind, RecursiveMode, Watcher};

/// Folders of the checkout never watched: git's own (refs are checked after each turn), and
/// what builds and package managers fill.
const SKIPPED: &[&str] =
    &[".git", "node_modules", "target", "dist", "build", ".venv", "venv", "__pycache__", ".next", ".cache"];

/// Folders of the home never watched: caches other programs write all the time.
const HOME_SKIPPED: &[&str] = &[".cache", ".local", ".npm", ".cargo", ".rustup"];

/// What one unconfined agent process may write without it being an escape.
pub(crate) struct Allowed {
    /// Paths (and, as text, anything starting with them: `~/.claude` covers `~/.claude.json.tmp.1`).
    pub prefixes: Vec<PathBuf>,
}

impl Allowed {
    fn allows(&self, path: &Path) -> bool {
        let text = path.as_os_str().as_encoded_bytes();
        self.prefixes.iter().any(|p| text.starts_with(p.as_os_str().as_encoded_bytes()))
    }
}

/// A watch that lives as long as the agent's process.
pub(crate) struct EscapeWatch {
    _watcher: notify::RecommendedWatcher,
    written: Arc<Mutex<BTreeSet<PathBuf>>>,
}

impl EscapeWatch {
    /// Watches `checkout` (deep) and `home` (two levels); `None` when no watcher can be made.
    pub(crate) fn start(checkout: &Path, home: Option<&Path>, allowed: Allowed) -> Option<Self> {
        let written: Arc<Mutex<BTreeSet<PathBuf>>> = Arc::default();
        let kept = written.clone();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            let wrote = matches!(
                event.kind,
                EventKind::Create(_)
                    | EventKind::Remove(_)
                    | EventKind::Modify(notify::event::ModifyKind::Data(_) | notify::event::ModifyKind::Name(_))
                    | EventKind::Modify(notify::event::ModifyKind::Any)
            );
            if !wrote {
                return;
            }
            let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.extend(event.paths.into_iter().filter(|p| !allowed.allows(p)));
        })
        .map_err(|e| tracing::warn!("cannot watch for escapes of an unconfined agent: {e}"))
        .ok()?;
        watch_tree(&mut watcher, checkout);
        if let Some(home) = home.filter(|h| h.is_dir()) {
            let _ = watcher.watch(home, RecursiveMode::NonRecursive);
            for entry in std::fs::read_dir(home).into_iter().flatten().flatten() {
                let skipped = HOME_SKIPPED.iter().any(|s| entry.file_name() == *s);
                if entry.file_type().is_ok_and(|t| t.is_dir()) && !skipped {
                    let _ = watcher.watch(&entry.path(), RecursiveMode::NonRecursive);
                }
            }
        }
        Some(Self { _watcher: watcher, written })
    }

    /// The files written outside the allowed places since the last call.
    pub(crate) fn take(&self) -> Vec<PathBuf> {
        std::mem::take(&mut *self.written.lock().unwrap_or_else(|p| p.into_inner())).into_iter().collect()
    }
}

/// Watches `dir` and every folder below it that is not skipped, one folder at a time.
fn watch_tree(watcher: &mut notify::RecommendedWatcher, dir: &Path) {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        if watcher.watch(&d, RecursiveMode::NonRecursive).is_err() {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !SKIPPED.iter().any(|s| entry.file_name() == *s) {
                stack.push(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_under_an_allowed_prefix_is_no_escape() {
        let allowed = Allowed { prefixes: vec!["/home/u/.claude".into(), "/b".into()] };
        assert!(allowed.allows(Path::new("/home/u/.claude.json.tmp.12.ab")));
        assert!(allowed.allows(Path::new("/home/u/.claude/projects/x.jsonl")));
        assert!(allowed.allows(Path::new("/b/worktrees/r/dev/a.txt")));
        assert!(!allowed.allows(Path::new("/home/u/.bashrc")));
    }
}
