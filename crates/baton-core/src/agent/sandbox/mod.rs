//! Confinement of agents. Where bubblewrap works, each agent process runs in a sandbox that
//! sees the root read-only and may write only its worktree, Baton's folder for it, its CLI's
//! state folders and the git data a commit on its branch writes (`binds.rs`): the plan made in
//! `process_launch` is rewritten to start bubblewrap, which starts the program. Where it does not
//! (no bubblewrap, user namespaces disabled, or `agents.sandbox` off), Baton says so once, runs
//! the agent unconfined and watches the user's checkout and home for its writes (`escape.rs`).
//! Either way the user's refs are checked after every turn and put back when an agent moved
//! them (`refs.rs`). docs/safety.md, Confinement, says what and why.

mod binds;
mod escape;
mod refs;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use binds::{Confine, bwrap_args, command_line, git_dirs};

use super::log::Note;
use super::record::Agent;
use super::supervisor::ProcessPlan;
use crate::engine::{Engine, EngineState};
use crate::error::Result;
use crate::events::EngineEvent;
use crate::health::AlertKind;
use crate::health::alerts::{self, Condition};

/// Names the bubblewrap program instead of the one on PATH; a path that does not exist makes
/// the machine one without bubblewrap (the tests of the unconfined path use it).
pub const BWRAP_ENV: &str = "BATON_BWRAP";

/// Whether agents can be confined on this machine, found once per engine.
#[derive(Debug, Clone)]
pub(crate) enum Availability {
    Ready {
        bwrap: PathBuf,
        /// GNU `env`, to start bubblewrap with the stop signals ignored (`binds::SIGNALS`).
        env: Option<PathBuf>,
    },
    /// Why not, said to the user.
    Missing(String),
}

/// What the engine keeps for confinement: the probe's answer, and per agent process the refs
/// before its turn and (unconfined) its escape watch.
#[derive(Default)]
pub(crate) struct SandboxState {
    availability: OnceLock<Availability>,
    said_missing: AtomicBool,
    /// Agents told in their lane that they run unconfined.
    told: Mutex<HashSet<String>>,
    turns: Mutex<HashMap<String, Watched>>,
}

struct Watched {
    repo: PathBuf,
    common_dir: PathBuf,
    refs: refs::Refs,
    /// Confined, the agent can write only the refs under its branch's folder
    /// (`refs/heads/baton/s/`): only those are checked, so a commit the user makes on main
    /// meanwhile is never taken for the agent's. `None`: unconfined, every guarded ref.
    writable_refs: Option<String>,
    escape: Option<escape::EscapeWatch>,
}

impl SandboxState {
    /// Probes once: bubblewrap found, and able to make the namespaces the sandbox uses.
    pub(crate) fn availability(&self) -> &Availability {
        self.availability.get_or_init(probe)
    }
}

fn probe() -> Availability {
    let bwrap = match std::env::var_os(BWRAP_ENV) {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => crate::settings::program_find(Path::new("bwrap")),
    };
    probe_with(bwrap)
}

/// [`probe`] of a given bubblewrap program (`None`: not found).
fn probe_with(bwrap: Option<PathBuf>) -> Availability {
    let Some(bwrap) = bwrap else {
        return Availability::Missing(
            "bubblewrap (bwrap) is not installed; install it (`apt install bubblewrap`) to confine agents to their worktrees".into(),
        );
    };
    let tried = std::process::Command::new(&bwrap)
        .args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--die-with-parent", "true"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .output();
    match tried {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Availability::Missing(format!(
                "bubblewrap cannot make a sandbox here ({}); user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor rule for bwrap)",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Err(e) => return Availability::Missing(format!("cannot run {}: {e}", bwrap.display())),
    }
    // GNU env 8.31+ can start a program with signals ignored and restore them for the next.
    let env = crate::settings::program_find(Path::new("env")).filter(|env| {
        std::process::Command::new(env)
            .args(["--ignore-signal=INT", "--default-signal=INT", "true"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    Availability::Ready { bwrap, env }
}

impl Engine {
    /// The last step of `process_launch`: the refs before the turn, then `plan` confined when
    /// `confine` (the settings' and the session's choice) and the machine allows, else the
    /// agent watched for escapes. Never fails the start: what cannot be set up is logged.
    pub(crate) fn sandbox_apply(&self, agent: &Agent, plan: ProcessPlan, confine: bool) -> Result<ProcessPlan> {
        let state = &self.inner.sandbox;
        let session = self.session_get(&agent.session_id)?;
        let repo = PathBuf::from(&session.repo);
        let agent_dir = self.inner.home.root().join("agents").join(&agent.id);
        let _ = std::fs::create_dir_all(&agent_dir);
        let git = git_dirs(&plan.cwd);
        let common_dir = git.as_ref().map_or_else(|| repo.join(".git"), |g| g.common.clone());
        let branch = agent.worktree.as_ref().map(|w| w.branch.clone());
        if let (Some(git), Some(branch)) = (&git, &branch) {
            // Git writes the branch's reflog there; it must exist to be bound writable.
            let parent = Path::new(branch).parent().unwrap_or(Path::new(""));
            let _ = std::fs::create_dir_all(git.common.join("logs/refs/heads").join(parent));
        }
        let before = match refs::refs_read(&repo, &agent_branches(&self.inner, &session.repo)) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(agent = %agent.id, "cannot read the refs before the turn: {e}");
                refs::Refs::new()
            }
        };
        let mut watched = Watched { repo: repo.clone(), common_dir, refs: before, writable_refs: None, escape: None };
        let plan = match (confine, state.availability()) {
            (true, Availability::Ready { bwrap, env }) => {
                // Made first, as the CLI would on its first run: a folder that does not exist
                // cannot be bound, and the read-only home would refuse it.
                for dir in binds::cli_state(agent.cli, &plan.env).iter().filter(|p| !binds::is_file_state(p)) {
                    let _ = std::fs::create_dir_all(dir);
                }
                let c = Confine {
                    cli: agent.cli,
                    cwd: &plan.cwd,
                    repo: &repo,
                    agent_dir: &agent_dir,
                    branch: branch.as_deref(),
                };
                let (program, args) = confined_line(bwrap, env.as_deref(), &c, &plan.env, &plan.program, &plan.args);
                watched.writable_refs = Some(binds::refs_writable(branch.as_deref()));
                ProcessPlan { program, args, ..plan }
            }
            (confine, availability) => {
                let why = match availability {
                    Availability::Missing(why) if confine => why.clone(),
                    _ => "the sandbox is turned off (agents.sandbox in settings.json, or the session's policy)"
                        .to_owned(),
                };
                self.unconfined_say(agent, &why);
                let mut allowed = vec![plan.cwd.clone(), self.inner.home.root().to_owned(), repo.join(".git")];
                allowed.extend(binds::cli_state(agent.cli, &plan.env));
                allowed.extend(env_path(&plan.env, "TMPDIR"));
                let home = env_path(&plan.env, "HOME");
                watched.escape =
                    escape::EscapeWatch::start(&repo, home.as_deref(), escape::Allowed { prefixes: allowed });
                plan
            }
        };
        state.turns.lock().unwrap_or_else(|p| p.into_inner()).insert(agent.id.clone(), watched);
        Ok(plan)
    }

    /// Says once in the daemon's log, and once in each agent's lane, that it runs unconfined.
    fn unconfined_say(&self, agent: &Agent, why: &str) {
        let state = &self.inner.sandbox;
        if !state.said_missing.swap(true, Ordering::Relaxed) {
            tracing::warn!("agents run unconfined: {why}; writes outside their worktrees raise escape alerts");
        }
        if state.told.lock().unwrap_or_else(|p| p.into_inner()).insert(agent.id.clone()) {
            let message = format!(
                "This agent runs unconfined: {why}. Baton watches your checkout and home while it runs and raises an escape alert for what it writes there."
            );
            self.note_blocking(&agent.id, &Note::Notice { message });
        }
    }
}

fn env_path(env: &[(String, String)], key: &str) -> Option<PathBuf> {
    env.iter().rev().find(|(k, _)| k == key).map(|(_, v)| PathBuf::from(v)).filter(|p| p.is_absolute())
}

/// The branches of every agent of the repository's sessions (not the user's to guard).
fn agent_branches(inner: &EngineState, repo: &str) -> Vec<String> {
    let conn = inner.store.conn();
    let branches = conn
        .prepare_cached(
            "SELECT a.branch FROM agents a JOIN sessions s ON s.id = a.session_id WHERE s.repo = ?1 AND a.branch IS NOT NULL",
        )
        .and_then(|mut stmt| stmt.query_map([repo], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>());
    branches.unwrap_or_default()
}

/// After each turn and at the process's end (from the checkpoint): the user's refs compared
/// with those before the turn and put back, and (unconfined) the files written outside the
/// worktree reported. Each raises an alert. The refs now are the next turn's "before".
pub(crate) fn turn_check(inner: &Arc<EngineState>, agent: &Agent) {
    let mut turns = inner.sandbox.turns.lock().unwrap_or_else(|p| p.into_inner());
    let Some(watched) = turns.get_mut(&agent.id) else { return };
    let repo_text = watched.repo.to_string_lossy().into_owned();
    let branches = agent_branches(inner, &repo_text);
    if let Ok(now) = refs::refs_read(&watched.repo, &branches) {
        let common = watched.common_dir.clone();
        let mut changes = refs::refs_changed(&watched.refs, &now, |name, id| refs::baton_moved(&common, name, id));
        if let Some(prefix) = &watched.writable_refs {
            changes.retain(|c| c.name.starts_with(prefix.as_str()));
        }
        for change in &mut changes {
            change.restored = refs::ref_restore(&watched.repo, change, &agent.name);
            alert_raise(inner, agent, AlertKind::RefMoved, ref_message(agent, change), ref_way_on(agent, change));
        }
        watched.refs = if changes.is_empty() { now } else { refs::refs_read(&watched.repo, &branches).unwrap_or(now) };
    }
    if let Some(written) = watched.escape.as_ref().map(escape::EscapeWatch::take).filter(|w| !w.is_empty()) {
        let shown: Vec<String> = written.iter().take(5).map(|p| p.display().to_string()).collect();
        let more = written.len().saturating_sub(shown.len());
        let message = format!(
            "agent {} wrote outside its worktree while it ran unconfined: {}{}",
            agent.name,
            shown.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        );
        let way_on = format!(
            "check those files (`git -C {} status` for your checkout); install bubblewrap to confine agents; acknowledge this alert if you wrote them yourself",
            watched.repo.display()
        );
        alert_raise(inner, agent, AlertKind::Escape, message, way_on);
    }
    let live = inner.agents().get(&agent.id).is_some_and(|slot| slot.live.is_some());
    if !live {
        turns.remove(&agent.id);
    }
}

fn short(id: Option<&str>) -> &str {
    id.map_or("(none)", |id| &id[..id.len().min(12)])
}

fn ref_message(agent: &Agent, c: &refs::RefChange) -> String {
    let what = match (&c.old, &c.new) {
        (Some(_), Some(_)) => "moved",
        (None, _) => "created",
        (_, None) => "deleted",
    };
    let outcome = match &c.restored {
        Ok(()) => "Baton put it back".to_owned(),
        Err(e) => format!("Baton could not put it back: {e}"),
    };
    format!(
        "{} was {what} while agent {} ran its turn ({} -> {}); {outcome}",
        c.name,
        agent.name,
        short(c.old.as_deref()),
        short(c.new.as_deref())
    )
}

fn ref_way_on(agent: &Agent, c: &refs::RefChange) -> String {
    let again = match &c.new {
        Some(new) => format!("`git update-ref {} {new}`", c.name),
        None => format!("`git update-ref -d {}`", c.name),
    };
    format!("if you changed it yourself, {again} sets it again; `baton logs {}` shows what the agent ran", agent.name)
}

/// Raises an event alert (never resolved by the sampler) for `agent`.
fn alert_raise(inner: &Arc<EngineState>, agent: &Agent, kind: AlertKind, message: String, way_on: String) {
    tracing::warn!(agent = %agent.id, kind = kind.as_str(), "{message}");
    let condition = Condition {
        agent_id: agent.id.clone(),
        session_id: agent.session_id.clone(),
        task_id: agent.task_id.clone(),
        kind,
        message,
        way_on,
    };
    let engine = Engine { inner: inner.clone() };
    let raised = engine.write(|tx| {
        let id = alerts::alert_insert(tx, &condition, crate::time::now_ms())?;
        tx.publish(EngineEvent::AlertUpdated { alert: alerts::alert_get(tx, &id)? });
        Ok(())
    });
    if let Err(e) = raised {
        tracing::error!(agent = %agent.id, "cannot raise the {} alert: {e}", kind.as_str());
    }
}

/// The bubblewrap program and GNU `env` (when it can restore signals), where bubblewrap works:
/// the probe the engine runs once (for the start-up benchmark).
pub fn sandbox_programs() -> Option<(PathBuf, Option<PathBuf>)> {
    match probe() {
        Availability::Ready { bwrap, env } => Some((bwrap, env)),
        Availability::Missing(_) => None,
    }
}

/// The command line that starts `program` confined as an agent of `cli` working in `cwd` (a
/// worktree of `repo`), as each agent start computes it (for the start-up benchmark).
#[allow(clippy::too_many_arguments)]
pub fn confined_command(
    (bwrap, env_program): (&Path, Option<&Path>),
    cli: super::protocol::CliKind,
    cwd: &Path,
    repo: &Path,
    agent_dir: &Path,
    branch: Option<&str>,
    env: &[(String, String)],
    program: &Path,
    args: &[String],
) -> (PathBuf, Vec<String>) {
    confined_line(bwrap, env_program, &Confine { cli, cwd, repo, agent_dir, branch }, env, program, args)
}

/// [`bwrap_args`] then [`command_line`]: what `sandbox_apply` computes at each start.
fn confined_line(
    bwrap: &Path,
    env_program: Option<&Path>,
    c: &Confine<'_>,
    env: &[(String, String)],
    program: &Path,
    args: &[String],
) -> (PathBuf, Vec<String>) {
    let git = git_dirs(c.cwd);
    let bwrap_args = bwrap_args(c, env, git.as_ref());
    command_line(bwrap, env_program, bwrap_args, program, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_says_why_agents_cannot_be_confined() {
        let Availability::Missing(why) = probe_with(None) else { panic!("no bubblewrap, no sandbox") };
        assert!(why.contains("apt install bubblewrap"), "{why}");
        // A bubblewrap that cannot make the namespaces (as where user namespaces are disabled).
        let Availability::Missing(why) = probe_with(Some("/bin/false".into())) else { panic!("a failing bwrap") };
        assert!(why.contains("user namespaces"), "{why}");
    }
}
