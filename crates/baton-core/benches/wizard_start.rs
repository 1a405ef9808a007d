//! From "New work" to the first question, on a 10,000-file repository.
//!
//! `cargo bench -p baton-core --bench wizard_start` (release build). The repository is made by
//! the bench: 10,000 committed files in 40 top-level folders (Rust, TypeScript, Python), a
//! package.json with scripts, a Cargo.toml and a Makefile, 50 ignored files under
//! `node_modules/`, 20 modified and 10 untracked files. Measured, 30 runs each after one warm-up:
//! - facts: `facts_read` alone (git ls-files, status, log and symbolic-ref at once, manifests);
//! - first question: `Engine::wizard_start` (session lookup, question graph load and check,
//!   facts, the wizard's row written) until the wizard with its first question is back.
//!
//! Measurement only; results go to stdout and docs/perf.md records them.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use baton_core::session::SessionCreate;
use baton_core::wizard::WizardStart;
use baton_core::wizard::facts::facts_read;
use baton_core::{BatonHome, Engine};

const FILES: usize = 10_000;
const RUNS: usize = 30;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(dir).args(args).status().expect("git").success();
    assert!(ok, "git {args:?}");
}

fn stats(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!("| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |", ms[0], p(0.5), p(0.95), ms[ms.len() - 1]);
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("resolve tempdir");
    let repo = root.join("repo");
    let exts = ["rs", "ts", "py", "md"];
    for i in 0..FILES {
        let dir = repo.join(format!("part{:02}/sub{}", i % 40, i % 7));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("f{i}.{}", exts[i % exts.len()])), format!("// {i}\n")).expect("write");
    }
    std::fs::write(
        repo.join("package.json"),
        r#"{"scripts": {"test": "vitest", "build": "vite build", "lint": "eslint ."}}"#,
    )
    .expect("write");
    std::fs::write(repo.join("Cargo.toml"), "[package]\nname = \"x\"\n").expect("write");
    std::fs::write(repo.join("Makefile"), "test:\n\tcargo test\nbuild:\n\tcargo build\n").expect("write");
    std::fs::write(repo.join(".gitignore"), "node_modules/\n").expect("write");
    for i in 0..50 {
        let dir = repo.join("node_modules/dep");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("m{i}.js")), "x\n").expect("write");
    }
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "files"]);
    for i in 0..20 {
        let f = repo.join(format!("part{:02}/sub{}/f{i}.{}", i % 40, i % 7, exts[i % exts.len()]));
        std::fs::write(f, "changed\n").expect("write");
    }
    for i in 0..10 {
        std::fs::write(repo.join(format!("part00/new{i}.rs")), "new\n").expect("write");
    }

    let facts = facts_read(&repo).expect("facts"); // warm-up, and a check of what is counted
    assert_eq!(facts.files as usize, FILES + 4 + 10, "{} files", facts.files);
    assert_eq!(facts.uncommitted, 30);
    let mut ms = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        facts_read(&repo).expect("facts");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("| what | min | median | p95 | max |\n|---|---|---|---|---|");
    stats("facts of the repository", ms);

    let engine = Engine::open(BatonHome::at(root.join("home"))).expect("engine");
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .expect("session");
    let start = WizardStart { session: "s".into(), goal: "add a cache".into(), engine: None, cli: None };
    engine.wizard_start(&start).expect("warm-up");
    let mut ms = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let w = engine.wizard_start(&start).expect("start");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(w.question.is_some());
    }
    stats("`wizard_start` to the first question (facts included)", ms);
    engine.close();
}
