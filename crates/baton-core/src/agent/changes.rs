//! The live list of changed files of every agent's worktree, pushed to clients as it changes.
//!
//! One filesystem watcher (one inotify instance, one thread) serves every worktree: watching is
//! per folder, skipping `.git` and build and dependency folders, which can hold more folders than
//! inotify allows and change on every build. A burst of events is debounced per agent, then the
//! list is read from `git status` (which also knows what is ignored) off the async runtime, as
//! are the walks that add a worktree's folders to the watcher.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::events::{EngineEvent, EventBus};
use crate::worktree::{ChangedFile, worktree_changes};

/// Quiet time after the last event before the list is read again.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Folders never watched: git's own, and what builds and package managers fill.
const SKIPPED: &[&str] =
    &[".git", "node_modules", "target", "dist", "build", ".venv", "venv", "__pycache__", ".next", ".cache"];

enum Msg {
    Watch {
        agent_id: String,
        root: PathBuf,
    },
    Unwatch {
        agent_id: String,
    },
    /// Read the list now (a turn ended; a client asked).
    Refresh {
        agent_id: String,
    },
    Paths(Vec<PathBuf>),
}

/// The latest list per agent (to publish only what changed).
type ChangesMap = Arc<Mutex<HashMap<String, Vec<ChangedFile>>>>;

/// The handle kept by the engine; the work happens in one task.
pub(crate) struct ChangeWatch {
    tx: mpsc::UnboundedSender<Msg>,
}

impl ChangeWatch {
    /// Starts the watcher task on `handle`.
    pub fn start(handle: &tokio::runtime::Handle, events: EventBus) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let latest = ChangesMap::default();
        let watcher_tx = tx.clone();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            // Reads (our own `git status` among them) change nothing.
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            let _ = watcher_tx.send(Msg::Paths(event.paths));
        });
        let watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!("cannot watch worktrees for changes ({e}); lists refresh after each turn only");
                None
            }
        };
        handle.spawn(watch_loop(rx, watcher, latest, events));
        Self { tx }
    }

    pub fn watch(&self, agent_id: &str, root: &Path) {
        let _ = self.tx.send(Msg::Watch { agent_id: agent_id.to_owned(), root: root.to_owned() });
    }

    pub fn unwatch(&self, agent_id: &str) {
        let _ = self.tx.send(Msg::Unwatch { agent_id: agent_id.to_owned() });
    }

    pub fn refresh(&self, agent_id: &str) {
        let _ = self.tx.send(Msg::Refresh { agent_id: agent_id.to_owned() });
    }
}

/// The watcher, shared with the blocking threads that walk folders into it.
type SharedWatcher = Arc<Mutex<Option<notify::RecommendedWatcher>>>;

async fn watch_loop(
    mut rx: mpsc::UnboundedReceiver<Msg>,
    watcher: Option<notify::RecommendedWatcher>,
    latest: ChangesMap,
    events: EventBus,
) {
    let watcher: SharedWatcher = Arc::new(Mutex::new(watcher));
    let mut roots: HashMap<String, PathBuf> = HashMap::new();
    let mut due: HashMap<String, Instant> = HashMap::new();
    loop {
        let next_due = due.values().min().copied();
        let msg = tokio::select! {
            msg = rx.recv() => match msg {
                Some(m) => Some(m),
                None => return,
            },
            () = sleep_until(next_due) => None,
        };
        match msg {
            Some(Msg::Watch { agent_id, root }) => {
                watch_trees_off_runtime(&watcher, vec![root.clone()]).await;
                roots.insert(agent_id.clone(), root);
                due.insert(agent_id, Instant::now());
            }
            Some(Msg::Unwatch { agent_id }) => {
                if let Some(root) = roots.remove(&agent_id)
                    && let Some(w) = watcher.lock().unwrap_or_else(|p| p.into_inner()).as_mut()
                {
                    let _ = w.unwatch(&root);
                }
                due.remove(&agent_id);
                latest.lock().unwrap_or_else(|p| p.into_inner()).remove(&agent_id);
            }
            Some(Msg::Refresh { agent_id }) => {
                if roots.contains_key(&agent_id) {
                    due.insert(agent_id, Instant::now());
                }
            }
            Some(Msg::Paths(paths)) => {
                let mut new_folders = Vec::new();
                for path in paths {
                    let Some((agent_id, root)) = roots.iter().find(|(_, r)| path.starts_with(r)) else { continue };
                    let Ok(rel) = path.strip_prefix(root) else { continue };
                    if rel.components().any(|c| SKIPPED.iter().any(|s| c.as_os_str() == *s)) {
                        continue;
                    }
                    new_folders.push(path);
                    due.entry(agent_id.clone()).or_insert_with(|| Instant::now() + DEBOUNCE);
                }
                // A new folder is watched too (what is not a folder is skipped by the walk).
                if !new_folders.is_empty() {
                    watch_trees_off_runtime(&watcher, new_folders).await;
                }
            }
            None => {
                let now = Instant::now();
                let ready: Vec<String> = due.iter().filter(|(_, t)| **t <= now).map(|(a, _)| a.clone()).collect();
                for agent_id in ready {
                    due.remove(&agent_id);
                    let Some(root) = roots.get(&agent_id).cloned() else { continue };
                    let files = match tokio::task::spawn_blocking(move || worktree_changes(&root)).await {
                        Ok(Ok(files)) => files,
                        Ok(Err(e)) => {
                            tracing::debug!(agent = %agent_id, "cannot list the worktree's changes: {e}");
                            continue;
                        }
                        Err(_) => continue,
                    };
                    let changed = {
                        let mut map = latest.lock().unwrap_or_else(|p| p.into_inner());
                        let same = map.get(&agent_id) == Some(&files);
                        if !same {
                            map.insert(agent_id.clone(), files.clone());
                        }
                        !same
                    };
                    if changed {
                        events.publish(EngineEvent::AgentChanges { agent_id, files });
                    }
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// [`watch_tree`] for each of `dirs` that is a folder, on a blocking thread: a worktree can hold
/// many folders.
async fn watch_trees_off_runtime(watcher: &SharedWatcher, dirs: Vec<PathBuf>) {
    let watcher = watcher.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let mut guard = watcher.lock().unwrap_or_else(|p| p.into_inner());
        let Some(w) = guard.as_mut() else { return };
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            watch_tree(w, dir);
        }
    })
    .await;
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
