//! Agents' worktrees through the engine: agents (small shell programs) work in their own
//! worktrees; their work is diffed, checkpointed, restored, merged back by each strategy, and
//! collected, against real git repositories.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentEvent, AgentSpawn, AgentState};
use baton_core::error::ErrorCode;
use baton_core::session::{Session, SessionCreate, SessionUpdate};
use baton_core::worktree::merge::{MergeRequest, MergeStrategy};
use baton_core::{BatonHome, Engine};

use crate::support::{git, repo_new};

pub(crate) struct Fixture {
    pub(crate) tmp: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
    pub(crate) engine: Engine,
    pub(crate) repo: PathBuf,
    session: Session,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self::in_repo("repo")
    }

    fn in_repo(name: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let engine = {
            let _enter = runtime.enter();
            Engine::open(BatonHome::at(tmp.path().join("home"))).unwrap()
        };
        let repo = repo_new(tmp.path(), name).canonicalize().unwrap();
        let session = engine
            .session_create(&SessionCreate {
                repo: repo.to_string_lossy().into(),
                name: Some("s".into()),
                parent: None,
            })
            .unwrap();
        Self { tmp, _runtime: runtime, engine, repo, session }
    }

    /// Starts an agent running `script` (bash) in its worktree and waits for it to end.
    pub(crate) fn agent(&self, name: &str, script: &str) -> Agent {
        let agent = self.spawn(name, script);
        self.until_ended(&agent.id)
    }

    pub(crate) fn spawn(&self, name: &str, script: &str) -> Agent {
        self.engine
            .agent_spawn(&AgentSpawn {
                session: self.session.id.clone(),
                cli: CliKind::Command,
                prompt: String::new(),
                name: Some(name.into()),
                model: None,
                allow_tools: vec![],
                program: vec!["bash".into(), "-c".into(), script.into()],
                cwd: None,
            })
            .unwrap()
    }

    fn until_ended(&self, id: &str) -> Agent {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let a = self.engine.agent_get(id).unwrap();
            if !a.state.is_active() {
                return a;
            }
            assert!(Instant::now() < deadline, "agent {} never ended", a.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn merge(
        &self,
        agent: &str,
        strategy: MergeStrategy,
        dry_run: bool,
    ) -> baton_core::Result<baton_core::worktree::merge::MergeReport> {
        self.engine.agent_merge(agent, &MergeRequest { into: None, strategy, dry_run, message: None })
    }

    fn checkpoints_until(&self, agent: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.engine.agent_checkpoints(agent).unwrap().len() < n {
            assert!(Instant::now() < deadline, "no checkpoint {n} for {agent}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

pub(crate) fn out(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// What an agent does: commit one file, leave another uncommitted.
const COMMIT_AND_LEAVE: &str = "printf 'one\\n' > {f}.txt && git add {f}.txt && \
    git -c user.name=agent -c user.email=agent@example.com commit -qm 'add {f}' && printf 'two\\n' > {f}-notes.txt";

pub(crate) fn work(file: &str) -> String {
    COMMIT_AND_LEAVE.replace("{f}", file)
}

#[test]
fn an_agent_works_in_its_own_worktree_and_branch() {
    let f = Fixture::new();
    let a = f.agent("alice", &work("a"));
    assert_eq!(a.state, AgentState::Exited, "{:?}", f.engine.agent_events(&a.id, 0, 100).unwrap());
    let wt = a.worktree.clone().expect("a worktree of its own");
    assert_eq!(wt.branch, "baton/s/alice");
    assert_eq!(wt.base_ref, "main");
    assert_eq!(a.cwd, wt.path);
    assert!(wt.path.starts_with(&*f.engine.home().worktrees_dir().to_string_lossy()), "{}", wt.path);
    assert!(Path::new(&wt.path).join("a.txt").exists());
    assert!(!f.repo.join("a.txt").exists(), "the user's checkout is untouched");
    assert_eq!(out(&f.repo, &["status", "--porcelain"]), "");
    let notices: Vec<String> = f
        .engine
        .agent_events(&a.id, 0, 100)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            AgentEvent::Notice { message } => Some(message),
            _ => None,
        })
        .collect();
    assert!(notices.iter().any(|n| n.contains("on branch baton/s/alice")), "{notices:?}");

    // Its diff counts the commit and the uncommitted file.
    let diff = f.engine.agent_diff("alice", true).unwrap();
    let files: Vec<&str> = diff.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["a-notes.txt", "a.txt"]);
    assert_eq!(diff.uncommitted, 1);
    assert_eq!((diff.additions, diff.deletions), (2, 0));
    assert!(diff.patch.unwrap().contains("+two"));
    let changes = f.engine.agent_changes("alice").unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].path.as_str(), changes[0].status.as_str()), ("a-notes.txt", "untracked"));
}

#[test]
fn two_agents_on_different_files_merge_cleanly_by_each_strategy() {
    for strategy in [MergeStrategy::Squash, MergeStrategy::Rebase, MergeStrategy::Merge] {
        let f = Fixture::new();
        f.agent("alice", &work("a"));
        f.agent("bob", &work("b"));
        let before = out(&f.repo, &["rev-parse", "main"]);

        let check = f.merge("alice", strategy, true).unwrap();
        assert!(check.ok && check.dry_run, "{check:?}");
        assert_eq!(check.uncommitted, 1);
        assert_eq!(out(&f.repo, &["rev-parse", "main"]), before, "a dry run changes nothing");

        for name in ["alice", "bob"] {
            let r = f.merge(name, strategy, false).unwrap();
            assert!(r.ok, "{strategy:?} {name}: {r:?}");
            assert_eq!(r.checkout_updated.as_deref(), Some(&*f.repo.to_string_lossy()), "main is checked out there");
        }
        for file in ["a.txt", "a-notes.txt", "b.txt", "b-notes.txt"] {
            assert!(f.repo.join(file).exists(), "{strategy:?}: {file} in the user's working tree");
        }
        assert_eq!(out(&f.repo, &["status", "--porcelain"]), "", "{strategy:?}: the checkout is clean");
        let log = out(&f.repo, &["log", "--format=%s%x09%p", "main"]);
        let commits = log.lines().count();
        let merges = log.lines().filter(|l| l.split('\t').nth(1).is_some_and(|p| p.contains(' '))).count();
        match strategy {
            // init + one commit per agent
            MergeStrategy::Squash => assert_eq!((commits, merges), (3, 0), "{log}"),
            // init + each agent's commit and the commit of its uncommitted work
            MergeStrategy::Rebase => assert_eq!((commits, merges), (5, 0), "{log}"),
            MergeStrategy::Merge => assert_eq!(merges, 2, "{log}"),
        }
        // The agent's uncommitted work was committed onto its branch, naming the agent.
        let tip = out(&f.repo, &["log", "-1", "--format=%s", "baton/s/alice"]);
        assert!(tip.contains("alice"), "{tip}");
        let a = f.engine.agent_get("alice").unwrap();
        assert_eq!(a.worktree.unwrap().merged_into.as_deref(), Some("main"));
        // Merging again has nothing to do.
        assert!(f.merge("alice", strategy, false).unwrap().already_merged);
    }
}

#[test]
fn the_same_line_changed_twice_is_named_and_the_checkout_untouched() {
    let f = Fixture::new();
    f.agent("alice", "printf 'alice\\n' > README.md");
    f.agent("bob", "printf 'bob\\n' > README.md");
    assert!(f.merge("alice", MergeStrategy::Squash, false).unwrap().ok);
    let head = out(&f.repo, &["rev-parse", "HEAD"]);

    let check = f.merge("bob", MergeStrategy::Squash, true).unwrap();
    assert!(!check.ok);
    assert_eq!(check.conflicts, ["README.md"]);
    assert!(check.refusal.unwrap().contains("README.md"));
    for strategy in [MergeStrategy::Squash, MergeStrategy::Rebase, MergeStrategy::Merge] {
        let err = f.merge("bob", strategy, false).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MergeConflict, "{err}");
        assert!(err.to_string().contains("README.md"), "{err}");
    }
    assert_eq!(out(&f.repo, &["rev-parse", "HEAD"]), head);
    assert_eq!(out(&f.repo, &["status", "--porcelain"]), "", "no half-merged state");
    assert_eq!(std::fs::read_to_string(f.repo.join("README.md")).unwrap(), "alice\n");
    // Bob's work is still in his worktree, uncommitted, as he left it.
    let bob = f.engine.agent_get("bob").unwrap().worktree.unwrap();
    assert_eq!(std::fs::read_to_string(Path::new(&bob.path).join("README.md")).unwrap(), "bob\n");
    assert_eq!(out(&f.repo, &["rev-list", "--count", "main..baton/s/bob"]), "0", "nothing was committed for bob");
}

#[test]
fn a_dirty_target_checkout_is_refused_and_kept() {
    let f = Fixture::new();
    f.agent("alice", &work("a"));
    std::fs::write(f.repo.join("README.md"), "my own edit\n").unwrap();
    let err = f.merge("alice", MergeStrategy::Squash, false).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DirtyCheckout, "{err}");
    assert!(err.to_string().contains("README.md") && err.to_string().contains("commit or stash"), "{err}");
    assert_eq!(std::fs::read_to_string(f.repo.join("README.md")).unwrap(), "my own edit\n");
    assert!(!f.repo.join("a.txt").exists());
    let check = f.merge("alice", MergeStrategy::Squash, true).unwrap();
    assert!(!check.ok && check.refusal.unwrap().contains("uncommitted changes"));
}

#[test]
fn merging_into_a_branch_not_checked_out_moves_only_that_branch() {
    let f = Fixture::new();
    git(&f.repo, &["branch", "release"]);
    f.agent("alice", &work("a"));
    let r = f
        .engine
        .agent_merge(
            "alice",
            &MergeRequest {
                into: Some("release".into()),
                strategy: MergeStrategy::Squash,
                dry_run: false,
                message: None,
            },
        )
        .unwrap();
    assert!(r.ok && r.checkout_updated.is_none(), "{r:?}");
    assert_eq!(out(&f.repo, &["show", "release:a.txt"]), "one");
    assert!(!f.repo.join("a.txt").exists(), "main's checkout is not touched");
    let err = f
        .engine
        .agent_merge("alice", &MergeRequest { into: Some("nope".into()), ..MergeRequest::default() })
        .unwrap_err();
    assert!(err.to_string().contains("no branch \"nope\""), "{err}");
}

#[test]
fn a_running_agent_is_not_merged() {
    let f = Fixture::new();
    let a = f.spawn("busy", "printf 'x\\n' > x.txt; sleep 30");
    let err = f.merge(&a.id, MergeStrategy::Squash, false).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AgentBusy, "{err}");
    let check = f.merge(&a.id, MergeStrategy::Squash, true).unwrap();
    assert!(!check.ok && check.refusal.unwrap().contains("busy is running"));
    f.engine.agent_stop(&a.id).unwrap();
}

#[test]
fn a_checkpoint_restore_brings_back_the_earlier_tree() {
    let f = Fixture::new();
    let a = f.agent("alice", "printf 'v1\\n' > a.txt && mkdir -p d && printf 'keep\\n' > d/k.txt");
    f.checkpoints_until(&a.id, 1);
    let wt = PathBuf::from(a.worktree.unwrap().path);
    let head = out(&wt, &["rev-parse", "HEAD"]);
    // A later turn: edits, deletes, adds.
    std::fs::write(wt.join("a.txt"), "v2\n").unwrap();
    std::fs::remove_file(wt.join("d/k.txt")).unwrap();
    std::fs::write(wt.join("new.txt"), "new\n").unwrap();

    let r = f.engine.agent_restore(&a.id, 1).unwrap();
    assert_eq!(r.restored.n, 1);
    let saved = r.saved.expect("the state before the restore is saved");
    assert_eq!(saved.n, 2);
    assert_eq!(std::fs::read_to_string(wt.join("a.txt")).unwrap(), "v1\n");
    assert_eq!(std::fs::read_to_string(wt.join("d/k.txt")).unwrap(), "keep\n");
    assert!(!wt.join("new.txt").exists());
    assert_eq!(out(&wt, &["rev-parse", "HEAD"]), head, "the branch did not move");
    assert!(out(&f.repo, &["for-each-ref", "refs/baton/checkpoints/"]).contains(&format!("{}/2", a.id)));

    // And back again: nothing was lost.
    f.engine.agent_restore(&a.id, 2).unwrap();
    assert_eq!(std::fs::read_to_string(wt.join("a.txt")).unwrap(), "v2\n");
    assert!(wt.join("new.txt").exists() && !wt.join("d/k.txt").exists());
    let events = f.engine.agent_events(&a.id, 0, 100).unwrap();
    assert!(events.iter().any(|r| matches!(&r.event, AgentEvent::Checkpoint { n: 1, .. })), "{events:?}");
    let err = f.engine.agent_restore(&a.id, 99).unwrap_err();
    assert!(err.to_string().contains("no checkpoint 99"), "{err}");
}

#[test]
fn gc_removes_merged_work_keeps_unmerged_and_never_touches_the_users_branches() {
    let f = Fixture::new();
    std::fs::write(f.engine.home().settings_file(), r#"{"worktrees": {"retentionDays": 0}}"#).unwrap();
    git(&f.repo, &["branch", "users-own"]);
    let merged = f.agent("merged", &work("m"));
    assert!(f.merge("merged", MergeStrategy::Squash, false).unwrap().ok);
    let unmerged = f.agent(
        "unmerged",
        "printf 'u\\n' > u.txt && git add u.txt && git -c user.name=a -c user.email=a@b commit -qm u",
    );
    let dirty = f.agent("dirty", "printf 'wip\\n' > wip.txt");

    let dry = f.engine.worktrees_gc(true).unwrap();
    assert!(dry.dry_run);
    assert!(Path::new(&merged.worktree.clone().unwrap().path).exists(), "a dry run removes nothing");

    let r = f.engine.worktrees_gc(false).unwrap();
    let names = |list: &[baton_core::agent::GcEntry]| list.iter().map(|e| e.agent_name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&r.removed), ["merged", "unmerged"]);
    assert_eq!(r.branches_deleted, ["baton/s/merged"]);
    let kept = names(&r.kept);
    assert_eq!(kept, ["unmerged", "dirty"], "{:?}", r.kept);
    assert!(r.kept[0].reason.contains("1 commit(s) not merged"), "{:?}", r.kept[0]);
    assert!(r.kept[1].reason.contains("uncommitted"), "{:?}", r.kept[1]);
    assert_eq!(dry.removed.len(), r.removed.len());
    assert!(r.disk_bytes_after < r.disk_bytes_before);

    assert!(!Path::new(&merged.worktree.unwrap().path).exists());
    assert!(!Path::new(&unmerged.worktree.clone().unwrap().path).exists());
    assert!(Path::new(&dirty.worktree.unwrap().path).join("wip.txt").exists(), "uncommitted work is kept");
    let branches = out(&f.repo, &["branch", "--format=%(refname:short)"]);
    assert!(!branches.contains("baton/s/merged"), "{branches}");
    assert!(branches.contains("baton/s/unmerged") && branches.contains("users-own") && branches.contains("main"));
    // Its record says what happened; its diff still comes from its branch.
    let u = f.engine.agent_get("unmerged").unwrap();
    assert!(u.worktree.unwrap().removed_at.is_some());
    assert_eq!(f.engine.agent_diff("unmerged", false).unwrap().files.len(), 1);
    // The unmerged branch merges later, from its branch alone.
    assert!(f.merge("unmerged", MergeStrategy::Squash, false).unwrap().ok);
    assert!(f.repo.join("u.txt").exists());
}

#[test]
fn a_repository_with_a_space_and_unicode_in_its_path_works() {
    let f = Fixture::in_repo("my répo ü");
    let a = f.agent("Ünïcode agent", &work("a"));
    assert_eq!(a.state, AgentState::Exited);
    let wt = a.worktree.unwrap();
    assert_eq!(wt.branch, "baton/s/ünïcode-agent");
    assert!(f.merge(&a.id, MergeStrategy::Rebase, false).unwrap().ok);
    assert!(f.repo.join("a-notes.txt").exists());
    assert_eq!(f.engine.agent_get(&a.id).unwrap().worktree.unwrap().merged_into.as_deref(), Some("main"));
    assert!(f.merge(&a.id, MergeStrategy::Squash, true).unwrap().already_merged);
}

#[test]
fn the_setup_command_runs_in_the_new_worktree_before_the_agent() {
    let f = Fixture::new();
    let update =
        SessionUpdate { setup_command: Some("echo preparing; touch .setup-done".into()), ..Default::default() };
    f.engine.session_update(&f.session.id, &update).unwrap();
    let a = f.agent("alice", "test -f .setup-done");
    assert_eq!(a.state, AgentState::Exited, "the setup ran first");
    let events = f.engine.agent_events(&a.id, 0, 100).unwrap();
    assert!(events.iter().any(|r| r.event == AgentEvent::Notice { message: "preparing".into() }), "{events:?}");

    let update = SessionUpdate { setup_command: Some("echo broken >&2; exit 3".into()), ..Default::default() };
    f.engine.session_update(&f.session.id, &update).unwrap();
    let b = f.agent("bob", "true");
    assert_eq!(b.state, AgentState::Failed);
    let events = f.engine.agent_events(&b.id, 0, 100).unwrap();
    assert!(events.iter().any(|r| r.event == AgentEvent::Notice { message: "broken".into() }), "stderr too");
    assert!(
        events.iter().any(|r| matches!(&r.event, AgentEvent::Error { message } if message.contains("setup command"))),
        "{events:?}"
    );
}

#[test]
fn a_branch_pattern_git_refuses_or_with_unknown_placeholders_is_refused_when_set() {
    let f = Fixture::new();
    for (pattern, says) in [
        ("a b/{agent}", "which git refuses"),
        ("../../{agent}", "which git refuses"),
        ("{agent}.lock", "which git refuses"),
        ("baton/{user}/{agent}", "unknown placeholder {user}"),
        ("baton/{agent", "without its '}'"),
        ("baton/{session}", "has no {agent}"),
    ] {
        let update = SessionUpdate { branch_pattern: Some(pattern.into()), ..Default::default() };
        let err = f.engine.session_update(&f.session.id, &update).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{pattern}");
        assert!(err.to_string().contains(says), "{pattern}: {err}");
        assert!(err.to_string().contains("baton/{session}/{agent}"), "says what works: {err}");
    }
    let session = f.engine.session_get(&f.session.id).unwrap();
    assert_eq!(session.settings.branch_pattern, None, "nothing was stored");
    let update = SessionUpdate { branch_pattern: Some("work/{session}-{agent}".into()), ..Default::default() };
    f.engine.session_update(&f.session.id, &update).unwrap();
}

#[test]
fn the_branch_pattern_is_a_session_setting_and_a_taken_branch_gets_a_free_name() {
    let f = Fixture::new();
    let update = SessionUpdate { branch_pattern: Some("agents/{agent}".into()), ..Default::default() };
    f.engine.session_update(&f.session.id, &update).unwrap();
    git(&f.repo, &["branch", "agents/alice"]);
    let a = f.agent("alice", "true");
    let wt = a.worktree.unwrap();
    assert_eq!(wt.branch, "agents/alice-2");
    let events = f.engine.agent_events(&a.id, 0, 100).unwrap();
    assert!(
        events
            .iter()
            .any(|r| matches!(&r.event, AgentEvent::Notice { message } if message.contains("agents/alice exists"))),
        "{events:?}"
    );
}

#[test]
fn removing_an_agent_removes_its_worktree_but_not_its_branch_nor_uncommitted_work_unasked() {
    let f = Fixture::new();
    let a = f.agent("alice", &work("a"));
    let path = PathBuf::from(a.worktree.unwrap().path);
    let err = f.engine.agent_remove("alice", false).unwrap_err();
    assert!(err.to_string().contains("uncommitted changes"), "{err}");
    assert!(path.exists());
    assert!(f.engine.agent_get("alice").unwrap().archived_at.is_none(), "a refusal archives nothing");
    f.engine.agent_remove("alice", true).unwrap();
    assert!(!path.exists());
    assert_eq!(out(&f.repo, &["rev-list", "--count", "main..baton/s/alice"]), "1", "the branch stays");
}

#[test]
fn removing_an_agent_archives_it_with_its_history_and_cost() {
    let f = Fixture::new();
    let a = f.agent("alice", "echo 'I did the work'");
    let kept = f.agent("bob", "echo 'still here'");
    // What the agent cost, as its turns would have added it.
    {
        let conn = rusqlite::Connection::open(f.engine.home().db_path()).unwrap();
        conn.execute("UPDATE agents SET cost_usd = 1.25 WHERE id = ?1", [&a.id]).unwrap();
        conn.execute("UPDATE agents SET cost_usd = 0.5 WHERE id = ?1", [&kept.id]).unwrap();
    }
    let before = f.engine.agent_events(&a.id, 0, 1000).unwrap();
    let removed = f.engine.agent_remove("alice", false).unwrap();

    assert!(removed.archived_at.is_some(), "{removed:?}");
    let wt = removed.worktree.clone().unwrap();
    assert!(wt.removed_at.is_some() && !Path::new(&wt.path).exists(), "its worktree is gone");
    assert_eq!(removed.cost_usd, 1.25, "its cost is kept");
    // Its history is still there to read, with a line saying it was archived.
    let after = f.engine.agent_events(&a.id, 0, 1000).unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    assert!(after.iter().any(|r| r.event == AgentEvent::Text { text: "I did the work".into(), delta: false }));
    assert!(
        after.iter().any(|r| matches!(&r.event, AgentEvent::Notice { message } if message.starts_with("archived"))),
        "{after:?}"
    );
    // Listed, flagged, and counted in the session's total; hidden on request.
    let all = f.engine.agent_list(Some("s")).unwrap();
    assert_eq!(
        all.iter().map(|a| (a.name.as_str(), a.archived_at.is_some())).collect::<Vec<_>>(),
        [("alice", true), ("bob", false)]
    );
    let in_use = f.engine.agent_list_select(Some("s"), false).unwrap();
    assert_eq!(in_use.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["bob"]);
    assert_eq!(f.engine.session_status("s").unwrap().cost_usd, 1.75, "the session's total still counts it");
    // It takes no more work, says why, and a second removal changes nothing.
    let err = f.engine.agent_send("alice", "more").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("archived"), "{err}");
    assert_eq!(f.engine.agent_remove("alice", false).unwrap().archived_at, removed.archived_at);
    // It survives a restart of the engine.
    let home = f.engine.home().clone();
    f.engine.close();
    let engine = Engine::open(home).unwrap();
    let again = engine.agent_get(&a.id).unwrap();
    assert!(again.archived_at.is_some() && again.cost_usd == 1.25);
    assert_eq!(engine.agent_events(&a.id, 0, 1000).unwrap().len(), after.len());
}

#[test]
fn merged_work_is_collected_at_once_while_unmerged_work_waits_for_the_retention() {
    let f = Fixture::new();
    // The default retention: a week.
    let merged = f.agent("merged", &work("m"));
    assert!(f.merge("merged", MergeStrategy::Squash, false).unwrap().ok);
    let unmerged = f.agent(
        "unmerged",
        "printf 'u\\n' > u.txt && git add u.txt && git -c user.name=a -c user.email=a@b commit -qm u",
    );
    // Merged, then more committed on its branch: not all merged any more.
    let moved = f.agent("moved", &work("v"));
    assert!(f.merge("moved", MergeStrategy::Squash, false).unwrap().ok);
    let moved_wt = PathBuf::from(moved.worktree.clone().unwrap().path);
    git(&moved_wt, &["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "more"]);

    let dry = f.engine.worktrees_gc(true).unwrap();
    let names = |list: &[baton_core::agent::GcEntry]| list.iter().map(|e| e.agent_name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&dry.removed), ["merged"], "{dry:?}");
    assert!(dry.removed[0].reason.contains("merged into main"), "{:?}", dry.removed[0]);
    assert_eq!(dry.branches_deleted, ["baton/s/merged"]);

    let r = f.engine.worktrees_gc(false).unwrap();
    assert_eq!(names(&r.removed), ["merged"]);
    assert!(!Path::new(&merged.worktree.unwrap().path).exists());
    assert!(Path::new(&unmerged.worktree.unwrap().path).exists(), "unmerged work waits for the retention");
    assert!(moved_wt.exists(), "work committed after the merge waits too");
    assert!(f.engine.agent_get("merged").unwrap().worktree.unwrap().branch_deleted_at.is_some());
}

#[test]
fn bad_repositories_are_refused_with_what_to_do() {
    // No commits yet: nothing to branch from; no agent is left behind.
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let engine = {
        let _enter = runtime.enter();
        Engine::open(BatonHome::at(tmp.path().join("home"))).unwrap()
    };
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    git(&empty, &["init", "-q", "-b", "main"]);
    let s = engine
        .session_create(&SessionCreate { repo: empty.to_string_lossy().into(), name: None, parent: None })
        .unwrap();
    let spawn = |session: &str| {
        engine.agent_spawn(&AgentSpawn {
            session: session.into(),
            cli: CliKind::Command,
            prompt: String::new(),
            name: None,
            model: None,
            allow_tools: vec![],
            program: vec!["true".into()],
            cwd: None,
        })
    };
    let err = spawn(&s.id).unwrap_err();
    assert!(err.to_string().contains("no commits yet") && err.to_string().contains("git commit"), "{err}");
    assert!(engine.agent_list(Some(&s.id)).unwrap().is_empty());

    // A detached HEAD: the agent branches from HEAD's commit; a merge must name its target.
    let detached = repo_new(tmp.path(), "detached");
    git(&detached, &["checkout", "-q", "--detach"]);
    let s = engine
        .session_create(&SessionCreate { repo: detached.to_string_lossy().into(), name: None, parent: None })
        .unwrap();
    assert_eq!(s.base_branch, None);
    let a = spawn(&s.id).unwrap();
    assert_eq!(a.worktree.as_ref().unwrap().base_ref, "HEAD");
    let err = engine.agent_merge(&a.id, &MergeRequest::default()).unwrap_err();
    assert!(err.to_string().contains("--into BRANCH"), "{err}");
}

#[test]
fn a_worktree_deleted_by_hand_is_reported_and_its_branch_still_diffs() {
    let f = Fixture::new();
    let a =
        f.agent("alice", "printf 'x\\n' > x.txt && git add x.txt && git -c user.name=a -c user.email=a@b commit -qm x");
    assert_eq!(a.state, AgentState::Exited, "{:?}", f.engine.agent_events(&a.id, 0, 100).unwrap());
    f.checkpoints_until(&a.id, 1);
    let path = PathBuf::from(a.worktree.unwrap().path);
    std::fs::remove_dir_all(&path).unwrap();
    assert_eq!(f.engine.agent_diff("alice", false).unwrap().files.len(), 1, "from the branch");
    let err = f.engine.agent_restore("alice", 1).unwrap_err();
    assert!(err.to_string().contains("is gone") && err.to_string().contains("baton/s/alice"), "{err}");
    assert!(f.merge("alice", MergeStrategy::Squash, false).unwrap().ok, "the branch merges without its folder");
    let _ = &f.tmp;
}

#[test]
fn a_broken_snapshot_index_left_by_a_crash_is_made_afresh() {
    let f = Fixture::new();
    let a = f.agent("alice", "printf 'x\\n' > x.txt");
    assert_eq!(f.engine.agent_diff("alice", false).unwrap().files.len(), 1);
    let gitdir = PathBuf::from(out(Path::new(&a.worktree.unwrap().path), &["rev-parse", "--absolute-git-dir"]));
    std::fs::write(gitdir.join("baton-snapshot-index"), "not an index").unwrap();
    std::fs::write(gitdir.join("baton-snapshot-index.lock"), "").unwrap();
    assert_eq!(f.engine.agent_diff("alice", false).unwrap().files.len(), 1);
}
