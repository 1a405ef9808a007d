//! What Baton's worktree operations cost on repositories of 1,000 and 10,000 files, against git
//! doing the same by hand.
//!
//! `TMPDIR=/dev/shm cargo bench -p baton-core --bench worktree_ops` (release build). The
//! repositories go in the temporary folder; on tmpfs the times are git's and Baton's, where on a
//! virtual machine's disk they are mostly the disk's writeback, which varies by seconds (see
//! docs/perf.md). For each size a repository is generated (nested folders of small text files,
//! one commit, packed as a clone would be), then:
//! - creation: `worktree_create` (what Baton does per agent: lock, checks, free branch and folder
//!   names, `git worktree add -b`, `.worktreeinclude`), with and without a `.worktreeinclude`,
//!   against a plain `git worktree add -b BRANCH PATH main`. The three take turns, run by run,
//!   each into a new folder and branch that is removed again, untimed, before the next run.
//!   Baton's overhead is the difference, as the difference of the medians and run by run; the
//!   checkout itself is git's.
//! - merge pre-check: `merge` as a squash dry run of an agent that changed 10 files (5 committed
//!   on its branch, 3 edited and 2 new left uncommitted) while `main` moved on with two commits
//!   touching other files; then of an agent whose commit conflicts with `main`; then
//!   `worktree_tree` (the snapshot of the worktree the pre-check starts with) alone, of that
//!   agent's worktree and of one just made, where nothing has run git yet.
//!
//! Measurement only: nothing is asserted about the times, only that each operation did what it
//! should. Results go to stdout; docs/perf.md records them.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use baton_core::worktree::merge::{MergeReport, MergeSpec, MergeStrategy, merge};
use baton_core::worktree::snapshot::worktree_tree;
use baton_core::worktree::{WorktreeSpec, worktree_create};

const SIZES: [usize; 2] = [1_000, 10_000];
/// Timed runs of each operation, after [`WARMUP`] untimed ones.
const RUNS: usize = 30;
const WARMUP: usize = 2;
/// The generated layout: `src/mNN/sNN/fN.txt`, 20 files a folder, 10 folders a module.
const FILES_PER_FOLDER: usize = 20;
const FOLDERS_PER_MODULE: usize = 10;
/// For the bench's own git commands: an identity for its commits (a machine may have none
/// configured), and no automatic `gc` started in the background by the first commit of thousands
/// of loose objects, which would run during the measurements.
const SETUP_CONFIG: [&str; 8] =
    ["-c", "user.name=Bench", "-c", "user.email=bench@localhost", "-c", "gc.auto=0", "-c", "maintenance.auto=false"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Create {
    /// `git worktree add -b` by hand.
    Raw,
    /// `worktree_create`, no `.worktreeinclude`.
    Baton,
    /// `worktree_create` with a `.worktreeinclude` listing the (ignored) `.env`.
    BatonInclude,
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Canonical, so paths compare equal to the ones git records.
    let root = tmp.path().canonicalize().expect("resolve tempdir");
    println!(
        "{}, {RUNS} runs each after {WARMUP} warm-up runs; repositories in {} (set TMPDIR to move them); times in ms",
        git_version(),
        root.display()
    );
    for files in SIZES {
        let repo = root.join(format!("repo-{files}"));
        let start = Instant::now();
        repo_make(&repo, files);
        eprintln!("generated {} ({files} files) in {:.1} s", repo.display(), start.elapsed().as_secs_f64());

        println!();
        println!("| {files} files | n | min | median | p95 | max |");
        println!("|---|---|---|---|---|---|");
        let spawn = measure(|| {
            git(&repo, ["rev-parse", "--git-dir"]);
        });
        row("one git process (`git rev-parse --git-dir`)", &spawn);

        let [raw, baton, include] = create_compare(&root, &repo);
        row("`git worktree add -b BRANCH PATH main`", &raw);
        row("`worktree_create`", &baton);
        row("`worktree_create`, with a `.worktreeinclude`", &include);

        let agents = merge_setup(&root, &repo);
        let clean = measure(|| precheck_clean(&repo, &agents));
        row("merge pre-check, clean (squash, dry run)", &clean);
        let conflict = measure(|| precheck_conflict(&repo, &agents));
        row("merge pre-check, conflicting (squash, dry run)", &conflict);
        let snapshot = measure(|| {
            worktree_tree(&agents.clean).expect("worktree_tree");
        });
        row("`worktree_tree` of the agent's worktree alone", &snapshot);
        let fresh = measure(|| {
            worktree_tree(&agents.fresh).expect("worktree_tree");
        });
        row("`worktree_tree` of a worktree fresh from `git worktree add`", &fresh);
        agents.unchanged_check(&repo);

        println!();
        println!("overhead of `worktree_create` on `git worktree add` (target: within 20 ms):");
        overhead("without `.worktreeinclude`", &baton, &raw);
        overhead("with a `.worktreeinclude`", &include, &raw);
    }
}

// ---------------------------------------------------------------------------------------------
// The repository

/// The path of generated file `i`.
fn file_rel(i: usize) -> String {
    let folder = i / FILES_PER_FOLDER;
    format!("src/m{:02}/s{:02}/f{:03}.txt", folder / FOLDERS_PER_MODULE, folder % FOLDERS_PER_MODULE, i)
}

/// A repository of `files` small text files on `main`, one commit, packed; an ignored `.env` in
/// the checkout for `.worktreeinclude` to copy.
fn repo_make(repo: &Path, files: usize) {
    std::fs::create_dir_all(repo).expect("create repo folder");
    git(repo, ["init", "-q", "-b", "main"]);
    for i in 0..files {
        let path = repo.join(file_rel(i));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create folder");
        let text = format!("file {i}\n{}\n", "a line of text that makes the file a little longer\n".repeat(4));
        std::fs::write(&path, text).expect("write file");
    }
    std::fs::write(repo.join(".gitignore"), ".env\n").expect("write .gitignore");
    std::fs::write(repo.join(".env"), "SECRET=1\n").expect("write .env");
    git(repo, ["add", "-A"]);
    git(repo, ["commit", "-q", "-m", "init"]);
    git(repo, ["gc", "-q"]);
}

// ---------------------------------------------------------------------------------------------
// Creation

/// Samples of [`Create::Raw`], [`Create::Baton`] and [`Create::BatonInclude`], in that order.
/// The three take turns in a rotating order, so a drift of the machine or of the repository
/// (reflogs, worktree records) weighs on all three alike.
fn create_compare(root: &Path, repo: &Path) -> [Vec<Duration>; 3] {
    let kinds = [Create::Raw, Create::Baton, Create::BatonInclude];
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for run in 0..WARMUP + RUNS {
        for k in 0..kinds.len() {
            let at = (run + k) % kinds.len();
            let elapsed = create_once(root, repo, kinds[at], run);
            if run >= WARMUP {
                samples[at].push(elapsed);
            }
        }
    }
    samples
}

/// One timed creation, then the worktree and its branch removed again (untimed).
fn create_once(root: &Path, repo: &Path, kind: Create, run: usize) -> Duration {
    let repo_name = repo.file_name().expect("repo name").to_string_lossy().into_owned();
    let worktrees = root.join("worktrees");
    let name = match kind {
        Create::Raw => format!("raw-{run}"),
        Create::Baton => format!("baton-{run}"),
        Create::BatonInclude => format!("include-{run}"),
    };
    let branch = format!("bench/{name}");
    let include = repo.join(".worktreeinclude");
    if kind == Create::BatonInclude {
        std::fs::write(&include, ".env\n").expect("write .worktreeinclude");
    }
    let raw_path = worktrees.join(&repo_name).join(&name);
    if kind == Create::Raw {
        std::fs::create_dir_all(raw_path.parent().expect("parent")).expect("create worktrees folder");
    }

    let start = Instant::now();
    let path = match kind {
        Create::Raw => {
            let out = Command::new("git")
                .arg("-C")
                .arg(repo)
                .args(["worktree", "add", "-b", &branch])
                .arg(&raw_path)
                .arg("main")
                .output()
                .expect("run git");
            assert!(out.status.success(), "git worktree add: {}", String::from_utf8_lossy(&out.stderr));
            raw_path
        }
        Create::Baton | Create::BatonInclude => {
            let spec = WorktreeSpec {
                repo_root: repo.to_owned(),
                worktrees_dir: worktrees,
                repo_name,
                name,
                branch: branch.clone(),
                base_ref: "main".to_owned(),
            };
            let made = worktree_create(&spec).expect("worktree_create");
            assert_eq!(made.branch, branch, "worktree_create chose another branch: {:?}", made.notes);
            PathBuf::from(made.path)
        }
    };
    let elapsed = start.elapsed();

    if kind == Create::BatonInclude {
        assert!(path.join(".env").is_file(), ".worktreeinclude did not copy .env");
        std::fs::remove_file(&include).expect("remove .worktreeinclude");
    }
    std::fs::remove_dir_all(&path).expect("remove worktree");
    git(repo, ["worktree", "prune"]);
    git(repo, ["branch", "-q", "-D", &branch]);
    elapsed
}

// ---------------------------------------------------------------------------------------------
// The merge pre-check

/// Two agents' worktrees, with work, and `main` moved on since they started.
struct Agents {
    clean: PathBuf,
    conflict: PathBuf,
    /// A worktree just made, in which nothing has run git since (its index is as the checkout
    /// wrote it, in the same second as the files).
    fresh: PathBuf,
    /// `main`, the clean agent's branch and the conflicting agent's branch, as set up.
    tips: [String; 3],
}

const CLEAN_BRANCH: &str = "bench/agent";
const CONFLICT_BRANCH: &str = "bench/agent-conflict";
const FRESH_BRANCH: &str = "bench/agent-fresh";
/// The file both `main` and the conflicting agent change.
const CONFLICT_FILE: usize = 100;

fn merge_setup(root: &Path, repo: &Path) -> Agents {
    let create = |name: &str, branch: &str| {
        let spec = WorktreeSpec {
            repo_root: repo.to_owned(),
            worktrees_dir: root.join("worktrees"),
            repo_name: repo.file_name().expect("repo name").to_string_lossy().into_owned(),
            name: name.to_owned(),
            branch: branch.to_owned(),
            base_ref: "main".to_owned(),
        };
        PathBuf::from(worktree_create(&spec).expect("worktree_create").path)
    };
    let clean = create("agent", CLEAN_BRANCH);
    let conflict = create("agent-conflict", CONFLICT_BRANCH);
    // An agent works for longer than a second before it commits. Committing in the same second as
    // the checkout would leave the worktree's index "racily clean" (its files as new as the index
    // itself), and every snapshot would hash every file again: the `fresh` row measures that case.
    std::thread::sleep(Duration::from_millis(1100));
    let edit = |dir: &Path, i: usize, who: &str| {
        std::fs::write(dir.join(file_rel(i)), format!("file {i}, changed by {who}\n")).expect("edit file");
    };

    // The clean agent: 5 files committed on its branch, 3 edited and 2 new left uncommitted.
    for i in 0..5 {
        edit(&clean, i, "the agent");
    }
    git(&clean, ["commit", "-q", "-a", "-m", "agent: first part"]);
    for i in 5..8 {
        edit(&clean, i, "the agent");
    }
    for n in 0..2 {
        std::fs::write(clean.join(format!("src/m00/s00/new{n}.txt")), "new\n").expect("write new file");
    }

    // The conflicting agent: commits a change to the file `main` changes too.
    edit(&conflict, CONFLICT_FILE, "the other agent");
    git(&conflict, ["commit", "-q", "-a", "-m", "agent: conflicting change"]);
    edit(&conflict, CONFLICT_FILE + 1, "the other agent");

    // `main` moves on in the user's checkout: two commits on other files, one on the contested one.
    for (commit, files) in [(1, 200..205), (2, 205..210)] {
        for i in files {
            edit(repo, i, "main");
        }
        if commit == 1 {
            edit(repo, CONFLICT_FILE, "main");
        }
        git(repo, ["commit", "-q", "-a", "-m", &format!("main: commit {commit}")]);
    }
    let fresh = create("agent-fresh", FRESH_BRANCH);
    let tips = ["main", CLEAN_BRANCH, CONFLICT_BRANCH].map(|b| git(repo, ["rev-parse", b]));
    Agents { clean, conflict, fresh, tips }
}

impl Agents {
    /// Dry runs must have moved no branch.
    fn unchanged_check(&self, repo: &Path) {
        let tips = ["main", CLEAN_BRANCH, CONFLICT_BRANCH].map(|b| git(repo, ["rev-parse", b]));
        assert_eq!(tips, self.tips, "a dry run moved a branch");
    }
}

fn precheck(repo: &Path, worktree: &Path, branch: &str) -> MergeReport {
    merge(&MergeSpec {
        repo,
        worktree: Some(worktree),
        branch,
        into: "main",
        strategy: MergeStrategy::Squash,
        dry_run: true,
        work_message: "agent: uncommitted work",
        message: "squash of the agent's work",
    })
    .expect("merge dry run")
}

fn precheck_clean(repo: &Path, agents: &Agents) {
    let report = precheck(repo, &agents.clean, CLEAN_BRANCH);
    assert!(report.ok && report.conflicts.is_empty(), "expected a clean merge: {report:?}");
    assert_eq!((report.files.len(), report.uncommitted), (10, 5), "unexpected pre-check: {report:?}");
}

fn precheck_conflict(repo: &Path, agents: &Agents) {
    let report = precheck(repo, &agents.conflict, CONFLICT_BRANCH);
    assert!(!report.ok, "expected a conflict: {report:?}");
    assert_eq!(report.conflicts, [file_rel(CONFLICT_FILE)], "unexpected conflicts: {report:?}");
    assert_eq!(report.uncommitted, 1, "unexpected pre-check: {report:?}");
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Runs git in `dir` (with [`SETUP_CONFIG`]) and returns its stdout, trimmed; panics on failure.
fn git<I, S>(dir: &Path, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new("git").arg("-C").arg(dir).args(SETUP_CONFIG).args(args).output().expect("run git");
    assert!(out.status.success(), "git failed in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn git_version() -> String {
    let out = Command::new("git").arg("--version").output().expect("run git");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// [`WARMUP`] untimed runs of `f`, then [`RUNS`] timed ones.
fn measure(mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..WARMUP {
        f();
    }
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile (0 to 1) of `samples`, nearest rank.
fn quantile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(samples: &[Duration]) -> Duration {
    quantile(samples, 0.5)
}

/// Baton's time minus git's, as the difference of the medians and as the median of the
/// differences of runs made one after the other (which cancels the machine's slower drifts).
fn overhead(what: &str, baton: &[Duration], raw: &[Duration]) {
    let mut paired: Vec<f64> = baton.iter().zip(raw).map(|(b, r)| ms(*b) - ms(*r)).collect();
    paired.sort_by(f64::total_cmp);
    let at = |p: f64| paired[((paired.len() - 1) as f64 * p).round() as usize];
    println!(
        "  {what}: difference of medians {:.1} ms; run by run: median {:.1} ms, p5 {:.1} ms, p95 {:.1} ms",
        ms(median(baton)) - ms(median(raw)),
        at(0.5),
        at(0.05),
        at(0.95),
    );
}

fn row(what: &str, samples: &[Duration]) {
    println!(
        "| {what} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
        samples.len(),
        ms(quantile(samples, 0.0)),
        ms(median(samples)),
        ms(quantile(samples, 0.95)),
        ms(quantile(samples, 1.0)),
    );
}
