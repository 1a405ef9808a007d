//! Agents' branches kept current and published, against real git repositories: the base brought
//! in by rebase and by merge, conflicts left to resolve or abort, refusals; a push to a local
//! bare repository as the remote, and pull requests through stand-ins for the GitHub CLI.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use baton_core::error::ErrorCode;
use baton_core::worktree::merge::{MergeRequest, MergeStrategy};
use baton_core::worktree::publish::{PushRequest, gh_find};
use baton_core::worktree::update::{UpdateMode, UpdateRequest};

use crate::merges::{Fixture, out, work};
use crate::support::git;

const IDENT: [&str; 4] = ["-c", "user.name=u", "-c", "user.email=u@example.com"];

/// The user commits `file` with `text` on main, in their checkout.
fn main_commit(repo: &Path, file: &str, text: &str) {
    std::fs::write(repo.join(file), text).unwrap();
    git(repo, &["add", file]);
    git(repo, &[&IDENT[..], &["commit", "-qm", &format!("main: {file}")]].concat());
}

fn worktree(f: &Fixture, agent: &str) -> PathBuf {
    PathBuf::from(f.engine.agent_get(agent).unwrap().worktree.unwrap().path)
}

#[test]
fn an_update_from_base_rebases_or_merges_and_counts_behind_and_ahead() {
    for mode in [UpdateMode::Rebase, UpdateMode::Merge] {
        let f = Fixture::new();
        f.agent("alice", &work("a"));
        main_commit(&f.repo, "base.txt", "from main\n");
        let before = f.engine.agent_branch_status("alice").unwrap();
        assert_eq!((before.behind, before.ahead, before.in_progress), (1, 1, None), "{mode:?}");
        assert_eq!(before.base, "main");

        let r = f.engine.agent_update("alice", &UpdateRequest { mode }).unwrap();
        assert!(r.ok && !r.up_to_date && r.conflicts.is_empty(), "{r:?}");
        let wt = worktree(&f, "alice");
        assert_eq!(std::fs::read_to_string(wt.join("base.txt")).unwrap(), "from main\n");
        assert!(wt.join("a-notes.txt").exists(), "untracked work stays");
        // A rebase replays the agent's one commit; a merge adds a merge commit.
        let ahead = if mode == UpdateMode::Rebase { 1 } else { 2 };
        assert_eq!((r.status.behind, r.status.ahead), (0, ahead), "{mode:?}");
        assert_eq!(r.head.as_deref(), Some(out(&wt, &["rev-parse", "HEAD"]).as_str()));
        let parents = out(&wt, &["log", "-1", "--format=%P"]).split_whitespace().count();
        assert_eq!(parents, if mode == UpdateMode::Rebase { 1 } else { 2 });

        let again = f.engine.agent_update("alice", &UpdateRequest { mode }).unwrap();
        assert!(again.ok && again.up_to_date, "{again:?}");
    }
}

#[test]
fn a_conflicting_update_lists_its_files_and_abort_puts_the_branch_back() {
    for mode in [UpdateMode::Rebase, UpdateMode::Merge] {
        let f = Fixture::new();
        f.agent(
            "alice",
            "printf 'agent\\n' > README.md && git -c user.name=a -c user.email=a@example.com commit -qam 'agent edit'",
        );
        main_commit(&f.repo, "README.md", "user\n");
        let wt = worktree(&f, "alice");
        let head = out(&wt, &["rev-parse", "HEAD"]);

        let r = f.engine.agent_update("alice", &UpdateRequest { mode }).unwrap();
        assert!(!r.ok, "{r:?}");
        assert_eq!(r.conflicts, ["README.md"]);
        assert_eq!(r.status.in_progress, Some(mode));
        let status = f.engine.agent_branch_status("alice").unwrap();
        assert_eq!((status.in_progress, status.conflicts.clone()), (Some(mode), vec!["README.md".to_owned()]));
        let err = f.engine.agent_update("alice", &UpdateRequest { mode }).unwrap_err();
        assert!(err.to_string().contains("already in progress"), "{err}");

        let after = f.engine.agent_update_abort("alice").unwrap();
        assert_eq!((after.in_progress, after.behind, after.ahead), (None, 1, 1));
        assert!(after.conflicts.is_empty());
        assert_eq!(out(&wt, &["rev-parse", "HEAD"]), head, "the branch is back where it was");
        assert_eq!(std::fs::read_to_string(wt.join("README.md")).unwrap(), "agent\n");
        assert_eq!(out(&wt, &["status", "--porcelain", "--untracked-files=no"]), "");
        let err = f.engine.agent_update_abort("alice").unwrap_err();
        assert!(err.to_string().contains("nothing to abort"), "{err}");
    }
}

#[test]
fn an_update_is_refused_for_uncommitted_changes_or_a_running_agent() {
    let f = Fixture::new();
    f.agent("alice", "printf 'more\\n' >> README.md");
    main_commit(&f.repo, "base.txt", "x\n");
    let wt = worktree(&f, "alice");
    let head = out(&wt, &["rev-parse", "HEAD"]);
    let err = f.engine.agent_update("alice", &UpdateRequest::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DirtyCheckout, "{err}");
    assert!(err.to_string().contains("README.md") && err.to_string().contains("commit them"), "{err}");
    assert_eq!(out(&wt, &["rev-parse", "HEAD"]), head);

    let busy = f.spawn("busy", "sleep 30");
    let err = f.engine.agent_update(&busy.id, &UpdateRequest::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AgentBusy, "{err}");
    f.engine.agent_stop(&busy.id).unwrap();
}

/// A bare repository made the user's `origin`.
fn remote_add(f: &Fixture) -> PathBuf {
    let bare = f.tmp.path().join("remote.git");
    git(f.tmp.path(), &["init", "-q", "--bare", bare.to_str().unwrap()]);
    git(&f.repo, &["remote", "add", "origin", bare.to_str().unwrap()]);
    bare
}

fn remote_has(bare: &Path, branch: &str) -> Option<String> {
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(bare)
        .args(["rev-parse", "--verify", "--quiet", &format!("refs/heads/{branch}")])
        .output()
        .unwrap();
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

#[test]
fn a_push_lands_on_the_remote_and_a_missing_remote_says_what_to_do() {
    let f = Fixture::new();
    f.agent("alice", &work("a"));
    let err = f.engine.agent_push_with("alice", &PushRequest::default(), None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoRemote, "{err}");
    assert!(err.to_string().contains("git remote add origin"), "{err}");

    let bare = remote_add(&f);
    let err = f
        .engine
        .agent_push_with("alice", &PushRequest { remote: Some("upstream".into()), ..Default::default() }, None)
        .unwrap_err();
    assert!(err.to_string().contains("no remote named \"upstream\""), "{err}");
    let r = f.engine.agent_push_with("alice", &PushRequest::default(), None).unwrap();
    assert_eq!((r.remote.as_str(), r.branch.as_str(), r.uncommitted), ("origin", "baton/s/alice", 1));
    assert_eq!(remote_has(&bare, "baton/s/alice").as_deref(), Some(r.commit.as_str()));
    assert_eq!(r.pull_request_url, None);
    assert_eq!(out(&f.repo, &["rev-parse", "--abbrev-ref", "baton/s/alice@{upstream}"]), "origin/baton/s/alice");
}

/// A stand-in for `gh` in a folder of its own: `auth status` answers as `logged_in` says, and
/// `pr create` writes its arguments, one a line, to `argv` beside it and prints an address.
fn gh_fake(dir: &Path, logged_in: bool) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let auth = if logged_in {
        "exit 0"
    } else {
        "echo 'You are not logged into any GitHub hosts. To log in, run: gh auth login' >&2; exit 1"
    };
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = auth ]; then {auth}; fi\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\necho 'Creating pull request'\necho https://github.com/o/r/pull/7\n",
        dir.join("argv").display()
    );
    let gh = dir.join("gh");
    std::fs::write(&gh, script).unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    gh
}

#[test]
fn a_pull_request_needs_gh_installed_and_logged_in_then_gets_the_task_title() {
    let f = Fixture::new();
    f.agent("alice", &work("a"));
    let bare = remote_add(&f);
    let pr = PushRequest { pull_request: true, ..Default::default() };

    // gh not on PATH: nothing is pushed.
    let empty = f.tmp.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let path = std::env::join_paths([&empty]).unwrap();
    let err = f.engine.agent_push_with("alice", &pr, gh_find(Some(&path)).as_deref()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::GhUnavailable, "{err}");
    assert!(err.to_string().contains("`gh` is not on PATH") && err.to_string().contains("gh auth login"), "{err}");
    assert_eq!(remote_has(&bare, "baton/s/alice"), None);

    // gh there but logged out.
    let out_dir = f.tmp.path().join("gh-out");
    gh_fake(&out_dir, false);
    let path = std::env::join_paths([&empty, &out_dir]).unwrap();
    let err = f.engine.agent_push_with("alice", &pr, gh_find(Some(&path)).as_deref()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::GhUnavailable, "{err}");
    assert!(err.to_string().contains("not logged in (You are not logged into any GitHub hosts"), "{err}");
    assert!(!out_dir.join("argv").exists(), "no pull request asked for");
    assert_eq!(remote_has(&bare, "baton/s/alice"), None);

    // Logged in: pushed, and gh asked for the pull request with arguments, not a shell line.
    let in_dir = f.tmp.path().join("gh-in");
    gh_fake(&in_dir, true);
    let path = std::env::join_paths([&empty, &in_dir]).unwrap();
    let req = PushRequest { title: Some("Add a; rm -rf / `x`".into()), ..pr };
    let r = f.engine.agent_push_with("alice", &req, gh_find(Some(&path)).as_deref()).unwrap();
    assert_eq!(r.pull_request_url.as_deref(), Some("https://github.com/o/r/pull/7"));
    assert!(remote_has(&bare, "baton/s/alice").is_some());
    let argv = std::fs::read_to_string(in_dir.join("argv")).unwrap();
    let argv: Vec<&str> = argv.lines().collect();
    assert_eq!(
        argv[..8],
        ["pr", "create", "--head", "baton/s/alice", "--base", "main", "--title", "Add a; rm -rf / `x`"]
    );
    assert_eq!(argv[8], "--body");
    assert_eq!(argv[9..].join("\n"), "Opened by Baton from branch baton/s/alice of agent alice.");
}

#[test]
fn a_merge_takes_the_message_given_and_refuses_an_empty_one() {
    let f = Fixture::new();
    f.agent("alice", &work("a"));
    let check = f.engine.agent_merge("alice", &MergeRequest { dry_run: true, ..Default::default() }).unwrap();
    // No task: the agent's name and its (empty) prompt, and where the work came from.
    assert!(check.message.starts_with("alice: "), "{}", check.message);
    assert!(check.message.contains("Merged by Baton from branch baton/s/alice"), "{}", check.message);

    let err = f
        .engine
        .agent_merge("alice", &MergeRequest { message: Some("  \n".into()), ..Default::default() })
        .unwrap_err();
    assert!(err.to_string().contains("commit message is empty"), "{err}");

    let message = "Add a.txt\n\nWritten by alice; reviewed by hand.";
    let r = f
        .engine
        .agent_merge(
            "alice",
            &MergeRequest { strategy: MergeStrategy::Squash, message: Some(message.into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(r.message, message);
    assert_eq!(out(&f.repo, &["log", "-1", "--format=%B", "main"]), message);
}
