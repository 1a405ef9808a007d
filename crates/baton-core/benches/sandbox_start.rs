//! The sandbox's start-up cost per agent process: the same program started directly and
//! confined with bubblewrap as Baton confines an agent (a worktree of a real repository, a
//! Claude agent's state folders bound, the stop signals ignored by bubblewrap and restored for the
//! program by `env`).
//!
//! `cargo bench -p baton-core --bench sandbox_start` (release build). 200 runs each after 10
//! warm-ups, alternating, of `/bin/true` (start, exec, exit, reaped): the difference of the
//! medians is what confinement adds to every agent start. The command line's computation (the
//! worktree's git files read, the arguments built) is timed on its own.
//!
//! Measurement only; results go to stdout and docs/perf.md records them.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use baton_core::agent::protocol::CliKind;
use baton_core::agent::sandbox::{confined_command, sandbox_programs};

const RUNS: usize = 200;
const WARM: usize = 10;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(dir).args(args).status().expect("git").success();
    assert!(ok, "git {args:?}");
}

fn stats(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!("| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |", ms[0], p(0.5), p(0.95), ms[ms.len() - 1]);
    p(0.5)
}

fn run(program: &Path, args: &[String], env: &[(String, String)], cwd: &Path) -> f64 {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .status()
        .expect("start");
    assert!(status.success(), "{} {args:?}: {status}", program.display());
    start.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("resolve tempdir");
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "--allow-empty", "-m", "init"]);
    let worktree = root.join("baton/worktrees/repo/dev");
    git(&repo, &["worktree", "add", "-q", "-b", "baton/s/dev", &worktree.to_string_lossy(), "main"]);
    let agent_dir = root.join("baton/agents/agt_1");
    let home = root.join("home");
    for dir in [&agent_dir, &home.join(".claude")] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let env: Vec<(String, String)> = vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), home.to_string_lossy().into_owned()),
    ];
    let program = PathBuf::from("/bin/true");
    let Some((bwrap, env_program)) = sandbox_programs() else {
        println!("bubblewrap does not work here: nothing to measure");
        return;
    };
    let programs = (bwrap.as_path(), env_program.as_deref());
    let line = || {
        confined_command(
            programs,
            CliKind::Claude,
            &worktree,
            &repo,
            &agent_dir,
            Some("baton/s/dev"),
            &env,
            &program,
            &[],
        )
    };
    let (confined_program, confined_args) = line();

    let mut built = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        std::hint::black_box(line());
        built.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    for _ in 0..WARM {
        run(&program, &[], &env, &worktree);
        run(&confined_program, &confined_args, &env, &worktree);
    }
    let (mut direct, mut confined) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        direct.push(run(&program, &[], &env, &worktree));
        confined.push(run(&confined_program, &confined_args, &env, &worktree));
    }
    println!("| what | min | median | p95 | max |");
    println!("|---|---|---|---|---|");
    stats("command line built (git files read, arguments)", built);
    let direct = stats("`/bin/true` started directly", direct);
    let confined = stats("`/bin/true` started confined", confined);
    println!("start-up cost of the sandbox (difference of the medians): {:.2} ms", confined - direct);
}
