//! The coordinator's overhead with 1,000 tasks in one graph.
//!
//! `TMPDIR=/dev/shm cargo bench -p baton-core --bench scheduler` (release build). Agents are
//! the stand-in Claude of `tests/fixtures/fake-claude` (a shell script answering at once), so
//! what is measured is Baton: store, graph, worktree and process start.
//!
//! The graph: a chain `c0 -> c1 -> ... -> c19`; a task `gate` that holds its agent until
//! released; 979 tasks waiting on `gate`. Every cycle therefore reads and weighs 1,000 tasks.
//! - latency: for each link of the chain, from the moment the engine records the end of the
//!   agent's turn (its `agent_updated` event) to the moment the dependent task's agent is
//!   recorded (the new agent's first `agent_updated`): the loop wakes on the first, runs a
//!   cycle that ends the task, advances the graph, hands the result on and spawns the next
//!   agent (its worktree included).
//! - idle: with the chain done and `gate` holding, the process's CPU time (user + system, from
//!   /proc/self/stat) over 30 s of cycles every 3 s, and the cycles' own durations.
//!
//! Measurement only; results go to stdout and docs/perf.md records them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use baton_core::events::EngineEvent;
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::task::TaskCreate;
use baton_core::{BatonHome, Engine};

const CHAIN: usize = 20;
const WAITING: usize = 979;
const IDLE: Duration = Duration::from_secs(30);

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(dir).args(args).status().expect("git").success();
    assert!(ok, "git {args:?}");
}

/// CPU seconds (user + system) of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap_or(0.0) + f[12].parse::<f64>().unwrap_or(0.0);
    ticks / 100.0 // USER_HZ is 100 on Linux
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("resolve tempdir");
    let home = BatonHome::at(root.join("home"));
    std::fs::create_dir_all(home.root()).expect("home");
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    // Unconfined: the stand-in talks through files under $TMPDIR, which a sandbox makes private
    // (the sandbox's own cost is the sandbox_start bench's).
    let settings = serde_json::json!({"agents": {"sandbox": "off"}, "clis": {"claude": {"binary": fake, "env": {"FAKE_DIR": root}}}});
    std::fs::write(home.settings_file(), settings.to_string()).expect("settings");
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).expect("repo");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["-c", "user.name=b", "-c", "user.email=b@localhost", "commit", "-q", "--allow-empty", "-m", "init"]);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let engine = {
        let _enter = rt.enter();
        Engine::open(home.clone()).expect("engine")
    };
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("b".into()), parent: None })
        .expect("session");
    engine.session_update("b", &SessionUpdate { max_agents: Some(2), ..Default::default() }).expect("settings");
    let add = |name: &str, prompt: &str, after: Vec<String>| {
        engine
            .task_add(&TaskCreate {
                session: "b".into(),
                title: name.into(),
                prompt: prompt.into(),
                name: Some(name.into()),
                after,
                ..TaskCreate::default()
            })
            .expect("task")
    };
    let clock = Instant::now();
    let gate = add("gate", "HOLD until released", vec![]);
    for i in 0..WAITING {
        add(&format!("w{i}"), "wait for the gate", vec![gate.name.clone()]);
    }
    let mut chain = Vec::new();
    for i in 0..CHAIN {
        let after = if i == 0 { vec![] } else { vec![format!("c{}", i - 1)] };
        chain.push(add(&format!("c{i}"), "quick", after).id);
    }
    println!("1,000 tasks added in {:.2} s", clock.elapsed().as_secs_f64());

    let mut events = engine.events().subscribe();
    engine.coordinator_start("b").expect("run");
    // Turn end of chain task k, and spawn of chain task k+1's agent.
    let mut ended: Vec<Option<Instant>> = vec![None; CHAIN];
    let mut spawned: Vec<Option<Instant>> = vec![None; CHAIN];
    let mut agent_task: std::collections::HashMap<String, usize> = Default::default();
    let deadline = Instant::now() + Duration::from_secs(600);
    rt.block_on(async {
        while ended[CHAIN - 1].is_none() {
            assert!(Instant::now() < deadline, "the chain did not finish");
            let Ok(Ok(ev)) = tokio::time::timeout(Duration::from_secs(5), events.recv()).await else { continue };
            let now = Instant::now();
            if let EngineEvent::AgentUpdated { agent } = ev {
                let Some(k) = agent.task_id.as_ref().and_then(|t| chain.iter().position(|c| c == t)) else {
                    continue;
                };
                agent_task.entry(agent.id.clone()).or_insert_with(|| {
                    spawned[k] = Some(now);
                    k
                });
                if agent.turns >= 1 && !agent.state.is_active() && ended[k].is_none() {
                    ended[k] = Some(now);
                }
            }
        }
    });
    let mut lat: Vec<f64> =
        (0..CHAIN - 1).filter_map(|k| Some(spawned[k + 1]?.duration_since(ended[k]?).as_secs_f64() * 1000.0)).collect();
    lat.sort_by(f64::total_cmp);
    println!(
        "dependency done -> dependant's agent spawned, {} links: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        lat[lat.len() - 1]
    );

    std::thread::sleep(Duration::from_secs(4)); // let the last task's cycle finish
    // The cycles that ended a link and started the next: their own time (the rest of the
    // latency is waking up and the new agent's record).
    let mut busy: Vec<f64> = engine
        .coordinator_cycles("b", 10_000)
        .expect("cycles")
        .iter()
        .filter(|c| !c.summary.finished.is_empty() && !c.summary.started.is_empty())
        .map(|c| c.duration_ms as f64)
        .collect();
    busy.sort_by(f64::total_cmp);
    println!(
        "cycles that ended a task and started the next ({}): median {:.0} ms, max {:.0} ms",
        busy.len(),
        percentile(&busy, 0.5),
        busy[busy.len() - 1]
    );
    let cycles_before = engine.coordinator_status("b").expect("status").cycles;
    let cpu_before = cpu_seconds();
    let wall = Instant::now();
    std::thread::sleep(IDLE);
    let cpu = cpu_seconds() - cpu_before;
    let wall = wall.elapsed().as_secs_f64();
    let cycles = engine.coordinator_cycles("b", 100).expect("cycles");
    let idle: Vec<_> = cycles.iter().filter(|c| c.n > cycles_before).collect();
    let mut durations: Vec<f64> = idle.iter().map(|c| c.duration_ms as f64).collect();
    durations.sort_by(f64::total_cmp);
    println!(
        "idle ({} tasks pending, 1 agent holding): {:.2}% of one core over {wall:.0} s; {} cycles, each median {:.0} ms, max {:.0} ms",
        WAITING,
        cpu / wall * 100.0,
        idle.len(),
        percentile(&durations, 0.5),
        durations[durations.len() - 1]
    );

    engine.coordinator_stop("b").expect("pause");
    std::fs::write(root.join("release"), "").expect("release");
    rt.block_on(engine.agents_shutdown(Duration::from_secs(10)));
    engine.close();
}
