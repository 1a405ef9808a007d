//! `baton status`, `diff`, `merge`, `checkpoints`, `restore`, `gc` and `agent rm` over agents
//! working in their own worktrees of a real repository.

use crate::support::{Home, git, s};

/// Spawns a command agent running `script` in its worktree and waits for it to end.
fn agent(h: &Home, name: &str, script: &str) {
    h.ok(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", name, "--", "bash", "-c", script]);
    let out = h.baton(&["wait", name, "--timeout", "20"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// The agent's checkpoint list once it has one (saved just after the agent ends).
fn checkpoint_wait(h: &Home, name: &str) -> String {
    let mut list = String::new();
    for _ in 0..200 {
        list = h.ok(&["checkpoints", name]);
        if list.contains("after turn") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    list
}

#[test]
fn diff_merge_checkpoints_restore_and_gc_from_the_command_line() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    agent(
        &h,
        "alice",
        "printf 'one\\n' > a.txt && git add a.txt && git -c user.name=a -c user.email=a@b commit -qm 'add a' && printf 'two\\n' > notes.txt",
    );

    let status = h.ok(&["status", "alice"]);
    assert!(status.contains("worktree:") && status.contains("worktrees/r/alice"), "{status}");
    assert!(status.contains("branch:       baton/work/alice from main"), "{status}");
    assert!(status.contains("changed:      untracked  notes.txt"), "{status}");

    let stat = h.ok(&["diff", "alice", "--stat"]);
    assert!(stat.contains("added") && stat.contains("a.txt") && stat.contains("notes.txt"), "{stat}");
    assert!(stat.contains("2 file(s), +2 -0 against main (1 not committed yet)"), "{stat}");
    let patch = h.ok(&["diff", "alice"]);
    assert!(patch.contains("diff --git a/notes.txt b/notes.txt") && patch.contains("+two"), "{patch}");

    // Saved when the agent ended; listed; restorable.
    let checkpoints = checkpoint_wait(&h, "alice");
    assert!(checkpoints.lines().nth(1).is_some_and(|l| l.starts_with("1 ")), "{checkpoints}");

    let dry = h.ok(&["merge", "alice", "--dry-run"]);
    assert!(dry.contains("would merge cleanly into main (squash): 1 commit(s), 2 file(s)"), "{dry}");
    assert!(dry.contains("1 uncommitted file(s) of the agent will be committed"), "{dry}");
    assert!(!repo.join("a.txt").exists(), "a dry run changes nothing");

    // A second agent changes the line the first one will have changed too.
    agent(&h, "bob", "printf 'bob\\n' > a.txt");
    let merged = h.ok(&["merge", "alice"]);
    assert!(merged.contains("merged into main (squash)") && merged.contains("updated your checkout"), "{merged}");
    assert_eq!(std::fs::read_to_string(repo.join("a.txt")).unwrap(), "one\n");
    let out = h.baton(&["merge", "bob", "--dry-run"]);
    assert_eq!(out.status.code(), Some(1), "a refused dry run exits 1");
    assert!(String::from_utf8_lossy(&out.stdout).contains("conflict: a.txt"), "{out:?}");
    let err = h.err(&["merge", "bob", "--strategy", "rebase"]);
    assert!(err.contains("would conflict in a.txt"), "{err}");

    // Restore: bob's checkpoint 1 holds his edit; undo it by hand, then bring it back.
    checkpoint_wait(&h, "bob");
    let bob_wt = repo.parent().unwrap().join("baton home/worktrees/r/bob");
    std::fs::write(bob_wt.join("a.txt"), "changed my mind\n").unwrap();
    let restored = h.ok(&["restore", "bob", "1"]);
    assert!(
        restored.contains("restored checkpoint 1") && restored.contains("`baton restore bob 2` undoes this"),
        "{restored}"
    );
    assert_eq!(std::fs::read_to_string(bob_wt.join("a.txt")).unwrap(), "bob\n");

    // Nothing is old enough for the default retention, but alice's work is merged: only hers
    // may go, at once.
    let gc = h.ok(&["gc", "--dry-run"]);
    assert!(gc.contains("would remove alice") && gc.contains("its work was merged into main"), "{gc}");
    assert!(gc.contains("would delete branch baton/work/alice") && !gc.contains("bob"), "{gc}");

    // Removing bob: refused while his worktree holds uncommitted work, then forced.
    let err = h.err(&["agent", "rm", "bob"]);
    assert!(err.contains("uncommitted changes") && err.contains("force"), "{err}");
    let removed = h.ok(&["agent", "rm", "bob", "--force"]);
    assert!(removed.contains("archived bob") && removed.contains("its branch baton/work/bob stays"), "{removed}");
    assert!(!bob_wt.exists());
    // Archived: listed as such, its history still readable.
    let list = h.ok(&["list", "--session", "work"]);
    assert!(list.lines().any(|l| l.contains("bob") && l.contains("(archived)")), "{list}");
    git(&repo, &["rev-parse", "--verify", "baton/work/bob"]);
}

#[test]
fn session_settings_name_branches_and_run_a_setup_command() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    let set =
        h.ok(&["session", "set", "work", "--branch-pattern", "feature/{agent}", "--setup-command", "touch .ready"]);
    assert!(set.contains("branch pattern: feature/{agent}") && set.contains("setup command:  touch .ready"), "{set}");
    agent(&h, "carol", "test -f .ready");
    let status = h.ok(&["status", "carol"]);
    assert!(status.contains("state:        exited") && status.contains("branch:       feature/carol"), "{status}");
    let err = h.err(&["merge", "nobody"]);
    assert!(err.contains("no agent has the id or name \"nobody\""), "{err}");
}

#[test]
fn merge_with_a_message_update_from_base_and_push_from_the_command_line() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    agent(
        &h,
        "alice",
        "printf 'agent\\n' > a.txt && git add a.txt && git -c user.name=a -c user.email=a@b commit -qm 'add a'",
    );

    // main moves on with the same file: the update stops on the conflict, abort puts it back.
    std::fs::write(repo.join("a.txt"), "user\n").unwrap();
    git(&repo, &["add", "a.txt"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "user a"]);
    let out = h.baton(&["update", "alice"]);
    assert_eq!(out.status.code(), Some(1), "a conflict exits 1: {out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("the rebase stopped on conflicts in:\n  a.txt"), "{said}");
    assert!(said.contains("baton update alice --abort"), "{said}");
    let aborted = h.ok(&["update", "alice", "--abort"]);
    assert!(aborted.contains("baton/work/alice is 1 behind and 1 ahead of main"), "{aborted}");

    // Without the conflict (the user takes it back), a merge brings main in.
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "revert", "--no-edit", "HEAD"]);
    let updated = h.ok(&["update", "alice", "--mode", "merge"]);
    assert!(updated.contains("brought main in (merge)") && updated.contains("0 behind and 2 ahead"), "{updated}");

    let err = h.err(&["push", "alice"]);
    assert!(err.contains("no remote to push to") && err.contains("git remote add origin"), "{err}");
    let bare = h.tmp.path().join("remote.git");
    git(h.tmp.path(), &["init", "-q", "--bare", s(&bare)]);
    git(&repo, &["remote", "add", "origin", s(&bare)]);
    let pushed = h.ok(&["push", "alice"]);
    assert!(pushed.contains("pushed baton/work/alice to origin"), "{pushed}");
    git(&bare, &["rev-parse", "--verify", "baton/work/alice"]);

    let dry = h.ok(&["merge", "alice", "--dry-run"]);
    assert!(dry.contains("commit message:\n  alice: "), "{dry}");
    h.ok(&["merge", "alice", "--message", "Take alice's a.txt\n\nReviewed by hand."]);
    let out =
        std::process::Command::new("git").arg("-C").arg(&repo).args(["log", "-1", "--format=%B"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Take alice's a.txt\n\nReviewed by hand.");
}
