//! Worktrees against real git repositories made by the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use baton_core::error::ErrorCode;
use baton_core::worktree::{
    ChangedFile, WorktreeSpec, branch_name, worktree_changes, worktree_create, worktree_remove,
};

use crate::support::{git, repo_new};

fn out(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn commit(dir: &Path, msg: &str) {
    git(dir, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", msg]);
}

fn spec(repo: &Path, home: &Path, name: &str, branch: &str) -> WorktreeSpec {
    WorktreeSpec {
        repo_root: repo.to_owned(),
        worktrees_dir: home.join("worktrees"),
        repo_name: "repo".into(),
        name: name.into(),
        branch: branch.into(),
        base_ref: "main".into(),
    }
}

#[test]
fn create_from_main_leaves_the_checkout_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let head = out(&repo, &["rev-parse", "HEAD"]);
    let wt = worktree_create(&spec(&repo, tmp.path(), "alice", "baton/s/alice")).unwrap();

    assert_eq!(wt.branch, "baton/s/alice");
    assert_eq!(wt.base_commit, head);
    assert_eq!(wt.branch_renamed_from, None);
    assert_eq!(out(&repo, &["rev-parse", "refs/heads/baton/s/alice"]), head);
    let path = PathBuf::from(&wt.path);
    assert!(path.starts_with(tmp.path().join("worktrees").join("repo").canonicalize().unwrap()));
    assert!(path.ends_with("alice"));
    assert!(path.join("README.md").is_file());
    assert_eq!(out(&path, &["symbolic-ref", "--short", "HEAD"]), "baton/s/alice");
    // The user's checkout is untouched.
    assert_eq!(out(&repo, &["status", "--porcelain"]), "");
    assert_eq!(out(&repo, &["rev-parse", "HEAD"]), head);
    assert_eq!(out(&repo, &["symbolic-ref", "--short", "HEAD"]), "main");
}

#[test]
fn existing_branch_gets_a_suffix_and_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    git(&repo, &["branch", "baton/s/bob"]);
    let wt = worktree_create(&spec(&repo, tmp.path(), "bob", "baton/s/bob")).unwrap();
    assert_eq!(wt.branch, "baton/s/bob-2");
    assert_eq!(wt.branch_renamed_from.as_deref(), Some("baton/s/bob"));
    assert!(wt.notes.iter().any(|n| n == "branch baton/s/bob exists; using baton/s/bob-2"), "{:?}", wt.notes);
}

#[test]
fn leftover_folder_gets_a_free_name() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let leftover = tmp.path().join("worktrees/repo/carol");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("junk"), "x").unwrap();
    let wt = worktree_create(&spec(&repo, tmp.path(), "carol", "baton/s/carol")).unwrap();
    assert!(wt.path.ends_with("carol-2"), "{}", wt.path);
    assert!(leftover.join("junk").is_file(), "the leftover is kept");
    assert!(wt.notes.iter().any(|n| n.contains("folder") && n.contains("carol-2")), "{:?}", wt.notes);
}

#[test]
fn missing_base_ref_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let mut s = spec(&repo, tmp.path(), "dave", "baton/s/dave");
    s.base_ref = "nope".into();
    let err = worktree_create(&s).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    let msg = err.to_string();
    assert!(msg.contains("base ref nope does not exist in") && msg.contains("git branch -a"), "{msg}");
    assert!(!tmp.path().join("worktrees/repo/dave").exists());
}

#[test]
fn worktreeinclude_copies_ignored_files_only() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    std::fs::write(repo.join(".gitignore"), ".env\nlocal.json\n").unwrap();
    std::fs::write(repo.join(".worktreeinclude"), "# secrets\n\n.env\n**/local.json\nREADME.md\n").unwrap();
    git(&repo, &["add", ".gitignore", ".worktreeinclude"]);
    commit(&repo, "ignore");
    std::fs::write(repo.join(".env"), "SECRET=1\n").unwrap();
    std::fs::create_dir_all(repo.join("config")).unwrap();
    std::fs::write(repo.join("config/local.json"), "{}\n").unwrap();
    std::fs::write(repo.join("other.txt"), "not listed\n").unwrap();
    // A local edit of a tracked file must not be copied over the worktree's checkout.
    std::fs::write(repo.join("README.md"), "edited\n").unwrap();

    let wt = worktree_create(&spec(&repo, tmp.path(), "erin", "baton/s/erin")).unwrap();
    let path = PathBuf::from(&wt.path);
    assert_eq!(std::fs::read_to_string(path.join(".env")).unwrap(), "SECRET=1\n");
    assert_eq!(std::fs::read_to_string(path.join("config/local.json")).unwrap(), "{}\n");
    assert_eq!(std::fs::read_to_string(path.join("README.md")).unwrap(), "hello\n");
    assert!(!path.join("other.txt").exists());
    assert!(wt.notes.iter().any(|n| n.contains("copied 2")), "{:?}", wt.notes);
}

#[test]
fn a_repository_with_a_submodule_gets_a_worktree_and_says_what_is_not_initialised() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = repo_new(tmp.path(), "lib");
    let repo = repo_new(tmp.path(), "repo");
    git(&repo, &["-c", "protocol.file.allow=always", "submodule", "add", "-q", &lib.to_string_lossy(), "vendor/lib"]);
    commit(&repo, "add lib");
    let wt = worktree_create(&spec(&repo, tmp.path(), "sub", "baton/s/sub")).unwrap();
    let path = Path::new(&wt.path);
    assert!(path.join("README.md").exists(), "the repository itself is checked out");
    assert!(path.join("vendor/lib").is_dir() && !path.join("vendor/lib/README.md").exists());
    let note = wt.notes.iter().find(|n| n.contains("submodules not initialised")).expect("a note");
    assert!(note.contains("vendor/lib") && note.contains("git submodule update --init"), "{note}");
}

/// A small filesystem mounted for one test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_while_creating_is_a_clear_error_and_leaves_nothing_behind() {
    if !rustix::process::getuid().is_root() {
        eprintln!("needs root to mount a small tmpfs; not run");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    std::fs::write(repo.join("big.bin"), vec![7u8; 512 * 1024]).unwrap();
    git(&repo, &["add", "big.bin"]);
    commit(&repo, "big");
    let small = tmp.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=128k", "tmpfs"]).arg(&small).status().unwrap();
    assert!(mounted.success(), "mount a 128 KiB tmpfs");
    let _mount = Tmpfs(small.clone());
    let mut s = spec(&repo, tmp.path(), "full", "baton/s/full");
    s.worktrees_dir = small.join("worktrees");
    let err = worktree_create(&s).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io, "{err}");
    assert!(err.to_string().contains("disk is full") && err.to_string().contains("free some space"), "{err}");
    assert!(!small.join("worktrees/repo/full").exists(), "the half-made folder is gone");
    assert!(!out(&repo, &["branch"]).contains("baton/s/full"), "the new branch is gone");
    assert!(!out(&repo, &["worktree", "list"]).contains("full"));
}

#[test]
fn repo_path_with_space_and_unicode_works() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "my répo 仓库");
    let mut s = spec(&repo, &tmp.path().join("bâton home"), "frank", "baton/s/frank");
    s.repo_name = "my répo 仓库".into();
    let wt = worktree_create(&s).unwrap();
    let path = PathBuf::from(&wt.path);
    assert!(path.join("README.md").is_file());
    std::fs::write(path.join("new file.txt"), "x").unwrap();
    let changes = worktree_changes(&path).unwrap();
    assert_eq!(changes, vec![ChangedFile { path: "new file.txt".into(), status: "untracked".into() }]);
    worktree_remove(&repo, &path, true).unwrap();
    assert!(!path.exists());
}

#[test]
fn changes_lists_every_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    for f in ["keep.txt", "gone.txt", "old name.txt"] {
        std::fs::write(repo.join(f), format!("{f}\n")).unwrap();
    }
    git(&repo, &["add", "."]);
    commit(&repo, "files");
    let wt = worktree_create(&spec(&repo, tmp.path(), "gina", "baton/s/gina")).unwrap();
    let path = PathBuf::from(&wt.path);
    std::fs::write(path.join("keep.txt"), "changed\n").unwrap();
    std::fs::remove_file(path.join("gone.txt")).unwrap();
    git(&path, &["mv", "old name.txt", "new name.txt"]);
    std::fs::write(path.join("added.txt"), "a\n").unwrap();
    git(&path, &["add", "added.txt"]);
    std::fs::create_dir_all(path.join("dir")).unwrap();
    std::fs::write(path.join("dir/untracked.txt"), "u\n").unwrap();

    let mut got: Vec<(String, String)> =
        worktree_changes(&path).unwrap().into_iter().map(|c| (c.path, c.status)).collect();
    got.sort();
    let want = [
        ("added.txt", "added"),
        ("dir/untracked.txt", "untracked"),
        ("gone.txt", "deleted"),
        ("keep.txt", "modified"),
        ("new name.txt", "renamed"),
    ];
    assert_eq!(got, want.map(|(p, s)| (p.to_owned(), s.to_owned())));
}

#[test]
fn remove_refuses_dirty_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let wt = worktree_create(&spec(&repo, tmp.path(), "hank", "baton/s/hank")).unwrap();
    let path = PathBuf::from(&wt.path);
    std::fs::write(path.join("README.md"), "dirty\n").unwrap();
    let err = worktree_remove(&repo, &path, false).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("uncommitted changes"), "{err}");
    assert!(path.exists());
    worktree_remove(&repo, &path, true).unwrap();
    assert!(!path.exists());
    assert!(!out(&repo, &["worktree", "list"]).contains("hank"));
    // The branch stays.
    out(&repo, &["rev-parse", "--verify", "refs/heads/baton/s/hank"]);
}

#[test]
fn remove_clean_worktree() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let wt = worktree_create(&spec(&repo, tmp.path(), "ivy", "baton/s/ivy")).unwrap();
    let path = PathBuf::from(&wt.path);
    worktree_remove(&repo, &path, false).unwrap();
    assert!(!path.exists());
}

#[test]
fn hand_deleted_worktree_is_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let wt = worktree_create(&spec(&repo, tmp.path(), "jack", "baton/s/jack")).unwrap();
    let path = PathBuf::from(&wt.path);
    std::fs::remove_dir_all(&path).unwrap();
    worktree_remove(&repo, &path, false).unwrap();
    assert!(!out(&repo, &["worktree", "list"]).contains("jack"));
    // And the name is usable again.
    let again = worktree_create(&spec(&repo, tmp.path(), "jack", "baton/s/jack-again")).unwrap();
    assert_eq!(again.path, wt.path);
}

#[test]
fn hand_deleted_unpruned_folder_is_not_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let wt = worktree_create(&spec(&repo, tmp.path(), "kim", "baton/s/kim")).unwrap();
    std::fs::remove_dir_all(&wt.path).unwrap();
    let again = worktree_create(&spec(&repo, tmp.path(), "kim", "baton/s/kim")).unwrap();
    assert!(again.path.ends_with("kim-2"), "{}", again.path);
    assert_eq!(again.branch, "baton/s/kim-2");
}

#[test]
fn write_lock_serialises_concurrent_creates() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let s = spec(&repo, tmp.path(), "lee", "baton/s/lee");
            std::thread::spawn(move || worktree_create(&s))
        })
        .collect();
    let mut made: Vec<_> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
    made.sort_by(|a, b| a.branch.cmp(&b.branch));
    assert_eq!(made[0].branch, "baton/s/lee");
    assert_eq!(made[1].branch, "baton/s/lee-2");
    assert_ne!(made[0].path, made[1].path);
}

#[test]
fn branch_name_sanitises() {
    assert_eq!(branch_name("baton/{session}/{agent}", "My Session", "Agent One"), "baton/my-session/agent-one");
    assert_eq!(branch_name("baton/{session}/{agent}", "a..b", "x...y"), "baton/a.b/x.y");
    assert_eq!(branch_name("baton/{session}/{agent}", "s", "name.lock"), "baton/s/name");
    assert_eq!(branch_name("baton/{session}/{agent}", "s", "ref.lock.lock"), "baton/s/ref");
    assert_eq!(branch_name("baton/{session}/{agent}", "Çafé", "Ünïcode 名前"), "baton/çafé/ünïcode-名前");
    assert_eq!(branch_name("baton/{session}/{agent}", "", "   "), "baton/unnamed/unnamed");
    assert_eq!(branch_name("baton/{session}/{agent}", "-.x.-", "a~b^c:d?e*f[g\\h@{i"), "baton/x/a-b-c-d-e-f-g-h-i");
    assert_eq!(branch_name("work/{agent}", "s", "a  b--c"), "work/a-b-c");
    // An invalid pattern falls back to the default.
    assert_eq!(branch_name("bad..{agent}", "s", "a"), "baton/s/a");
    for name in ["baton/my-session/agent-one", "baton/çafé/ünïcode-名前"] {
        let ok = Command::new("git").args(["check-ref-format", "--branch", name]).status().unwrap();
        assert!(ok.success(), "{name}");
    }
}

#[test]
fn write_lock_blocks_a_second_writer_until_released() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let guard = baton_core::worktree::repo_write_lock(&repo);
    let (tx, rx) = std::sync::mpsc::channel();
    let other = repo.clone();
    let waiter = std::thread::spawn(move || {
        let _g = baton_core::worktree::repo_write_lock(&other);
        tx.send(()).unwrap();
    });
    assert!(rx.recv_timeout(std::time::Duration::from_millis(200)).is_err(), "second writer got in");
    drop(guard);
    rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    waiter.join().unwrap();
}

#[test]
fn failed_add_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    // A branch `baton/s` makes `baton/s/mia` impossible (a ref cannot be a file and a folder).
    git(&repo, &["branch", "baton/s"]);
    let err = worktree_create(&spec(&repo, tmp.path(), "mia", "baton/s/mia")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Internal);
    assert!(err.to_string().contains("worktree add"), "{err}");
    assert!(!tmp.path().join("worktrees/repo/mia").exists());
    assert!(!out(&repo, &["worktree", "list"]).contains("mia"));
}

#[test]
fn a_worktree_deleted_by_hand_is_made_again_from_its_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_new(tmp.path(), "repo");
    let wt = worktree_create(&spec(&repo, tmp.path(), "ivy", "baton/s/ivy")).unwrap();
    let path = PathBuf::from(&wt.path);
    std::fs::write(path.join("work.txt"), "kept\n").unwrap();
    git(&path, &["add", "work.txt"]);
    commit(&path, "work");
    std::fs::remove_dir_all(&path).unwrap();

    baton_core::worktree::worktree_repair(&repo, &path, "baton/s/ivy").unwrap();
    assert_eq!(std::fs::read_to_string(path.join("work.txt")).unwrap(), "kept\n", "the branch's commits are back");
    assert_eq!(out(&path, &["symbolic-ref", "--short", "HEAD"]), "baton/s/ivy");
    // Its branch gone too: nothing to make it from, and the error says what to do.
    std::fs::remove_dir_all(&path).unwrap();
    git(&repo, &["worktree", "prune"]);
    git(&repo, &["branch", "-D", "baton/s/ivy"]);
    let err = baton_core::worktree::worktree_repair(&repo, &path, "baton/s/ivy").unwrap_err();
    assert!(err.to_string().contains("spawn a new agent"), "{err}");
}
