//! How soon a coordinator conversation hears that a worker's task finished.
//!
//! `TMPDIR=/dev/shm cargo bench -p baton-core --bench coordinator_news` (release build). Agents
//! are the stand-in Claude of `tests/fixtures/fake-claude` (a shell script answering at once),
//! so what is measured is Baton: the loop waking on the worker's turn end, a cycle ending the
//! task, the news computed and delivered to the waiting coordinator conversation.
//!
//! An agent `lead` is promoted; a task `gate` holds its worker for the whole run, so the
//! session is never complete and the loop keeps cycling (every 3 s, and at once on changes).
//! Then, 30 times, one task is added and runs on a worker; measured, on the engine's event bus:
//! - from the worker's `turn_completed` event to the lead's `user_text` event naming the task
//!   (the message given to its CLI);
//! - from the task's `task_updated` to done, to the same.
//!
//! Measurement only; results go to stdout and docs/perf.md records them.

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{AgentEvent, AgentSpawn, AgentState};
use baton_core::events::EngineEvent;
use baton_core::session::SessionCreate;
use baton_core::task::{TaskCreate, TaskState};
use baton_core::{BatonHome, Engine};

const RUNS: usize = 30;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(dir).args(args).status().expect("git").success();
    assert!(ok, "git {args:?}");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "never {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
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
    std::fs::write(repo.join("README.md"), "hello\n").expect("readme");
    git(&repo, &["add", "."]);
    git(&repo, &["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "init"]);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let e = {
        let _enter = rt.enter();
        Engine::open(home.clone()).expect("engine")
    };
    e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .expect("session");
    let lead = e
        .agent_spawn(&AgentSpawn {
            session: "s".into(),
            cli: CliKind::Claude,
            prompt: "hello".into(),
            name: Some("lead".into()),
            model: None,
            allow_tools: vec![],
            program: vec![],
            cwd: None,
        })
        .expect("lead");
    let waits = |turns: u32| {
        let a = e.agent_get(&lead.id).expect("lead");
        a.turns >= turns && a.state == AgentState::Waiting
    };
    until("the lead answered", || waits(1));
    let add = |name: &str, prompt: &str| {
        e.task_add(&TaskCreate {
            session: "s".into(),
            title: name.into(),
            prompt: prompt.into(),
            name: Some(name.into()),
            ..TaskCreate::default()
        })
        .expect("task")
    };
    add("gate", "HOLD the session open");
    e.coordinator_promote("lead").expect("promote");
    until("the lead read its instructions", || waits(2));

    // What the bus says, with when it was heard.
    let (tx, rx) = mpsc::channel::<(Instant, EngineEvent)>();
    let mut bus = e.events().subscribe();
    std::thread::spawn(move || {
        while let Ok(event) = bus.blocking_recv() {
            if tx.send((Instant::now(), event)).is_err() {
                return;
            }
        }
    });

    let mut from_turn = Vec::new();
    let mut from_done = Vec::new();
    for i in 0..RUNS {
        let name = format!("t{i}");
        let told = format!("task {name} is done");
        let lead_turns = e.agent_get(&lead.id).expect("lead").turns;
        let task = add(&name, "do this part");
        let (mut turn_end, mut done, mut heard) = (None, None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while heard.is_none() {
            let (at, event) = rx.recv_timeout(deadline - Instant::now()).expect("the lead was never told");
            match event {
                EngineEvent::TaskUpdated { task: t } if t.id == task.id && t.state == TaskState::Done => {
                    done.get_or_insert(at);
                }
                EngineEvent::AgentEvent { record } => match &record.event {
                    AgentEvent::TurnCompleted { .. }
                        if record.agent_id != lead.id
                            && e.task_get(&task.id).ok().and_then(|t| t.agent_id).as_deref()
                                == Some(record.agent_id.as_str()) =>
                    {
                        turn_end.get_or_insert(at);
                    }
                    AgentEvent::UserText { text, .. } if record.agent_id == lead.id && text.contains(&told) => {
                        heard = Some(at);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        let heard = heard.expect("heard");
        from_turn.push(heard.duration_since(turn_end.expect("the worker's turn ended")).as_secs_f64() * 1000.0);
        from_done.push(heard.duration_since(done.expect("the task was done")).as_secs_f64() * 1000.0);
        // The lead answers the news before the next run: it waits when the next one comes.
        until("the lead answered the news", || waits(lead_turns + 1));
    }
    for (what, mut ms) in [("worker's turn end -> lead told", from_turn), ("task done -> lead told", from_done)] {
        ms.sort_by(f64::total_cmp);
        println!(
            "{what}: p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms ({} runs)",
            percentile(&ms, 0.5),
            percentile(&ms, 0.9),
            ms[ms.len() - 1],
            ms.len()
        );
    }
    rt.block_on(e.agents_shutdown(Duration::from_secs(10)));
    e.close();
}
