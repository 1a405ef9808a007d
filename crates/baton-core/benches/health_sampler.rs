//! The health sampler's own cost with 50 live agents.
//!
//! `cargo bench -p baton-core --bench health_sampler` (release build). Fifty `command` agents
//! (`sleep`, in their own process groups) run under one engine sampling every 2 s (the default);
//! over 60 s the sampler thread's CPU time (user + system, from /proc/self/task/TID/stat of the
//! thread named `baton-health`) is read, and the whole daemon process's for comparison. Each tick
//! reads every process's /proc stat once, scores 50 agents, weighs their alerts and writes 50
//! samples in one transaction. Target: under 2% of one core. Results go to stdout; docs/perf.md
//! records them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{AgentSpawn, AgentState};
use baton_core::session::SessionCreate;
use baton_core::{BatonHome, Engine};

const AGENTS: usize = 50;
const MEASURE: Duration = Duration::from_secs(60);

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(dir).args(args).status().expect("git").success();
    assert!(ok, "git {args:?}");
}

/// CPU seconds (user + system) of a /proc stat file.
fn stat_seconds(path: &Path) -> f64 {
    let stat = std::fs::read_to_string(path).expect("stat");
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    (f[11].parse::<f64>().unwrap_or(0.0) + f[12].parse::<f64>().unwrap_or(0.0)) / 100.0
}

/// The stat file of this process's thread with that name.
fn thread_stat(name: &str) -> std::path::PathBuf {
    for task in std::fs::read_dir("/proc/self/task").expect("tasks").flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            return task.path().join("stat");
        }
    }
    panic!("no thread named {name}");
}

fn main() {
    let tmp = tempfile::tempdir().expect("tmp");
    let home = BatonHome::at(tmp.path().join("home"));
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "init"]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let engine = {
        let _enter = runtime.enter();
        Engine::open(home).expect("engine")
    };
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .expect("session");
    for i in 0..AGENTS {
        engine
            .agent_spawn(&AgentSpawn {
                session: "s".into(),
                cli: CliKind::Command,
                prompt: String::new(),
                name: Some(format!("a{i}")),
                model: None,
                allow_tools: vec![],
                program: vec!["sleep".into(), "600".into()],
                cwd: Some(repo.to_string_lossy().into()),
            })
            .expect("spawn");
    }
    let running = engine.agent_list(Some("s")).expect("list").iter().filter(|a| a.state == AgentState::Running).count();
    assert_eq!(running, AGENTS);
    // A first tick or two before measuring.
    std::thread::sleep(Duration::from_secs(5));
    let sampler = thread_stat("baton-health");
    let process = Path::new("/proc/self/stat");
    let (s0, p0, ticks0) =
        (stat_seconds(&sampler), stat_seconds(process), engine.health_agents(None).expect("health").sampler_ticks);
    let clock = Instant::now();
    std::thread::sleep(MEASURE);
    let wall = clock.elapsed().as_secs_f64();
    let (s1, p1) = (stat_seconds(&sampler), stat_seconds(process));
    let report = engine.health_agents(Some("s")).expect("health");
    let ticks = report.sampler_ticks - ticks0;
    let sampled = report.agents.iter().filter(|a| a.sample.is_some()).count();
    println!(
        "health sampler, {AGENTS} command agents, sampleSecs 2: {ticks} ticks in {wall:.0} s; sampler thread \
         {:.2}% of one core ({:.1} ms per tick); whole engine process {:.2}% of one core; {sampled} agents sampled",
        (s1 - s0) / wall * 100.0,
        (s1 - s0) * 1000.0 / ticks.max(1) as f64,
        (p1 - p0) / wall * 100.0
    );
    for a in engine.agent_list(Some("s")).expect("list") {
        let _ = engine.agent_stop(&a.id);
    }
    engine.close();
}
