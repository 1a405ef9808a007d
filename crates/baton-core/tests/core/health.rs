//! Agent health with real processes: the sampler measures their process groups from `/proc`,
//! raises and resolves alerts, pauses and resumes them, and releases an idle stand-in Claude
//! whose next message resumes its session.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentSpawn, AgentState};
use baton_core::events::EngineEvent;
use baton_core::health::{Alert, AlertKind};
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

struct Setup {
    engine: Engine,
    repo: PathBuf,
    tmp: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

/// An engine sampling every 0.2 s with `health` settings on top, and a session `s` whose agents
/// stall after a second of silence.
fn setup(health: serde_json::Value) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    std::fs::create_dir_all(home.root()).unwrap();
    let mut h = serde_json::json!({"sampleSecs": 0.2});
    h.as_object_mut().unwrap().extend(health.as_object().unwrap().clone());
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    let settings =
        // Unconfined: the fake CLI talks with the test through files under the /tmp a sandbox hides.
        serde_json::json!({"health": h, "agents": {"sandbox": "off"}, "clis": {"claude": {"binary": fake, "env": {"FAKE_DIR": tmp.path()}}}});
    std::fs::write(home.settings_file(), settings.to_string()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let engine = {
        let _enter = runtime.enter();
        Engine::open(home).unwrap()
    };
    let repo = repo_new(tmp.path(), "repo");
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    engine.session_update("s", &SessionUpdate { stall_secs: Some(1), ..Default::default() }).unwrap();
    Setup { engine, repo, tmp, _runtime: runtime }
}

impl Setup {
    fn command(&self, name: &str, script: &str) -> Agent {
        self.engine
            .agent_spawn(&AgentSpawn {
                session: "s".into(),
                cli: CliKind::Command,
                prompt: String::new(),
                name: Some(name.into()),
                model: None,
                allow_tools: vec![],
                program: vec!["bash".into(), "-c".into(), script.into()],
                cwd: Some(self.repo.to_string_lossy().into()),
            })
            .unwrap()
    }

    fn claude(&self, name: &str, prompt: &str) -> Agent {
        self.engine
            .agent_spawn(&AgentSpawn {
                session: "s".into(),
                cli: CliKind::Claude,
                prompt: prompt.into(),
                name: Some(name.into()),
                model: None,
                allow_tools: vec![],
                program: vec![],
                cwd: Some(self.repo.to_string_lossy().into()),
            })
            .unwrap()
    }

    fn alerts(&self, agent: &Agent, kind: AlertKind) -> Vec<Alert> {
        let all = self.engine.alert_list(Some("s"), true, 500).unwrap();
        all.into_iter().filter(|a| a.agent_id.as_deref() == Some(agent.id.as_str()) && a.kind == kind).collect()
    }

    fn stop(&self, agent: &Agent) {
        self.engine.agent_stop(&agent.id).unwrap();
    }
}

fn until<T>(what: &str, secs: u64, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "never {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn log_len(agent: &Agent) -> u64 {
    std::fs::metadata(&agent.log_path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn an_agent_burning_a_core_shows_over_half_a_core() {
    let s = setup(serde_json::json!({}));
    let burner = s.command("burner", "while :; do :; done");
    let cpu = until("a busy sample", 30, || {
        let samples = s.engine.agent_samples(&burner.id, 0, 100).unwrap();
        samples.iter().filter_map(|x| x.cpu_pct).find(|c| *c > 50.0)
    });
    assert!(cpu > 50.0, "{cpu}");
    let report = s.engine.health_agents(Some("s")).unwrap();
    let mine = report.agents.iter().find(|a| a.agent_id == burner.id).unwrap();
    assert!(mine.sample.as_ref().is_some_and(|x| x.threads >= Some(1) && x.rss_bytes > Some(0)));
    assert!(report.sampler_ticks > 0);
    s.stop(&burner);
}

#[test]
fn an_agent_holding_200_mb_shows_it_and_raises_high_memory() {
    let s = setup(serde_json::json!({"memoryMaxMb": 150}));
    // perl builds the string in memory: resident, not just reserved.
    let hog = s.command("hog", "perl -e '$x = \"x\" x (200 * 1024 * 1024); sleep 120'");
    let rss = until("200 MB resident", 30, || {
        let samples = s.engine.agent_samples(&hog.id, 0, 100).unwrap();
        samples.iter().filter_map(|x| x.rss_bytes).find(|b| *b >= 200 << 20)
    });
    assert!(rss >= 200 << 20);
    let alert = until("a high-memory alert", 10, || s.alerts(&hog, AlertKind::HighMemory).into_iter().next());
    assert!(alert.message.contains("over health.memoryMaxMb (150 MB)"), "{}", alert.message);
    assert!(alert.way_on.contains("baton abort hog"));
    s.stop(&hog);
}

#[test]
fn a_silent_agent_raises_stalled_once_and_it_resolves_when_it_prints() {
    let s = setup(serde_json::json!({}));
    let go = s.tmp.path().join("go");
    let quiet = s.command(
        "quiet",
        &format!("while [ ! -e {} ]; do sleep 0.1; done; while :; do echo tick; sleep 0.2; done", go.display()),
    );
    let mut events = s.engine.events().subscribe();
    let alert = until("stalled", 20, || s.alerts(&quiet, AlertKind::Stalled).into_iter().next());
    assert!(alert.message.contains("agent quiet") && alert.message.contains("stalled"), "{}", alert.message);
    assert!(alert.way_on.contains("baton logs quiet"));
    // Raised once while it holds.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(s.alerts(&quiet, AlertKind::Stalled).len(), 1);
    // It was published.
    let mut published = false;
    while let Ok(e) = events.try_recv() {
        published |= matches!(e, EngineEvent::AlertUpdated { alert: a } if a.id == alert.id);
    }
    assert!(published, "the alert went out as an event");

    std::fs::write(&go, "").unwrap();
    let resolved = until("resolved", 20, || {
        s.alerts(&quiet, AlertKind::Stalled).into_iter().find(|a| a.id == alert.id && a.resolved_at.is_some())
    });
    assert!(resolved.acknowledged_at.is_none());
    // Gone from the open list.
    assert!(s.engine.alert_list(Some("s"), false, 500).unwrap().iter().all(|a| a.id != alert.id));
    s.stop(&quiet);
}

#[test]
fn a_crash_raises_crashed_and_the_user_acknowledges_it() {
    let s = setup(serde_json::json!({}));
    let crasher = s.command("crasher", "echo starting; sleep 0.3; exit 3");
    let alert = until("crashed", 20, || s.alerts(&crasher, AlertKind::Crashed).into_iter().next());
    assert!(alert.message.contains("agent crasher crashed: it failed (exit code 3)"), "{}", alert.message);
    assert_eq!(alert.severity, baton_core::health::AlertSeverity::Critical);
    let open = s.engine.alert_list(None, false, 500).unwrap();
    assert!(open.iter().any(|a| a.id == alert.id));
    let acked = s.engine.alert_acknowledge(&alert.id).unwrap();
    assert!(acked.acknowledged_at.is_some());
    assert!(s.engine.alert_list(None, false, 500).unwrap().iter().all(|a| a.id != alert.id));
    // Still there with `all`, and not raised again while it holds.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(s.alerts(&crasher, AlertKind::Crashed).len(), 1);
    let health = s.engine.health_agents(Some("s")).unwrap();
    let mine = health.agents.iter().find(|a| a.agent_id == crasher.id).unwrap();
    assert!(mine.score.deductions.iter().any(|d| d.kind == baton_core::health::DeductionKind::Crashed));
    assert!(health.score < 100);
}

#[test]
fn the_stand_in_repeating_a_tool_call_raises_looping() {
    let s = setup(serde_json::json!({}));
    let looper = s.claude("looper", "LOOP over the readme");
    let alert = until("looping", 20, || s.alerts(&looper, AlertKind::Looping).into_iter().next());
    assert!(alert.message.contains("agent looper is looping: 3 times in a row: Read"), "{}", alert.message);
    assert!(alert.way_on.contains("baton send looper"));
    // A new message starts afresh: the loop is over.
    s.engine.agent_send(&looper.id, "do something else").unwrap();
    until("resolved", 20, || s.alerts(&looper, AlertKind::Looping).into_iter().find(|a| a.resolved_at.is_some()));
    s.stop(&looper);
}

#[test]
fn pause_all_stops_output_and_resume_all_continues_it_without_a_stalled_alert() {
    let s = setup(serde_json::json!({}));
    let ticker = s.command("ticker", "while :; do echo tick; sleep 0.1; done");
    until("output", 10, || (log_len(&ticker) > 200).then_some(()));
    let report = s.engine.agents_pause_all().unwrap();
    assert_eq!((report.paused_all, report.agents), (true, vec!["ticker".to_owned()]));
    assert!(s.engine.agent_get(&ticker.id).unwrap().paused);
    // Let the last line in flight land, then nothing more for longer than the stall time.
    std::thread::sleep(Duration::from_millis(300));
    let before = log_len(&ticker);
    std::thread::sleep(Duration::from_millis(1_800));
    assert_eq!(log_len(&ticker), before, "a paused agent prints nothing");
    assert!(s.engine.health_agents(None).unwrap().paused_all);

    let report = s.engine.agents_resume_all().unwrap();
    assert_eq!((report.paused_all, report.agents), (false, vec!["ticker".to_owned()]));
    until("output again", 10, || (log_len(&ticker) > before).then_some(()));
    std::thread::sleep(Duration::from_millis(600));
    assert!(s.alerts(&ticker, AlertKind::Stalled).is_empty(), "paused is not stalled");
    let agent = s.engine.agent_get(&ticker.id).unwrap();
    assert!(!agent.paused && agent.state == AgentState::Running);
    s.stop(&ticker);
}

#[test]
fn an_idle_agent_is_released_and_a_message_resumes_its_session() {
    let s = setup(serde_json::json!({"idleReleaseSecs": 1}));
    let idler = s.claude("idler", "say hello");
    let first = until("waiting", 20, || {
        let a = s.engine.agent_get(&idler.id).unwrap();
        (a.state == AgentState::Waiting && a.cli_session_id.is_some()).then_some(a)
    });
    let released = until("released", 20, || {
        let a = s.engine.agent_get(&idler.id).unwrap();
        (a.released_at.is_some() && a.pid.is_none()).then_some(a)
    });
    // Released, not failed and not stopped: it waits for a message, and its lane says so.
    assert_eq!(released.state, AgentState::Waiting);
    let log = std::fs::read_to_string(&released.log_path).unwrap();
    assert!(log.contains("was ended to free its memory (released)"), "{log}");
    let first_pid = log.matches("process_started").count();
    assert_eq!(first_pid, 1);

    let sent = s.engine.agent_send(&idler.id, "and now goodbye").unwrap();
    assert!(sent.released_at.is_none());
    let resumed = until("the second turn", 20, || {
        let a = s.engine.agent_get(&idler.id).unwrap();
        (a.turns == 2 && a.state == AgentState::Waiting).then_some(a)
    });
    // Its own session, resumed as after a restart.
    assert_eq!(resumed.cli_session_id, first.cli_session_id);
    let log = std::fs::read_to_string(&resumed.log_path).unwrap();
    let sid = first.cli_session_id.unwrap();
    assert!(log.contains(&format!("\\\"--resume\\\",\\\"{sid}\\\"")), "{log}");
    s.stop(&idler);
}

/// The state letter of a process (`T`: stopped) from `/proc/PID/stat`.
fn proc_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next()).unwrap_or('?')
}

/// Opens another engine on the same home (as a daemon restart does).
fn reopen(s: &Setup) -> Engine {
    let _enter = s._runtime.enter();
    Engine::open(BatonHome::at(s.tmp.path().join("home"))).unwrap()
}

#[test]
fn pause_all_covers_waiting_agents_and_agents_started_meanwhile_and_outlives_a_restart() {
    let s = setup(serde_json::json!({}));
    // Waiting for its next message, its process alive.
    let idler = s.claude("idler", "say hello");
    let waiting = until("waiting", 20, || {
        let a = s.engine.agent_get(&idler.id).unwrap();
        (a.state == AgentState::Waiting && a.pid.is_some()).then_some(a)
    });
    let report = s.engine.agents_pause_all().unwrap();
    assert_eq!(report.agents, ["idler"]);
    assert!(s.engine.agent_get(&idler.id).unwrap().paused);
    until("the waiting agent stopped", 10, || (proc_state(waiting.pid.unwrap()) == 'T').then_some(()));

    // Started while everything is paused: it is paused as it starts, and prints nothing.
    let ticker = s.command("ticker", "sleep 0.5; while :; do echo tick; sleep 0.1; done");
    let started = s.engine.agent_get(&ticker.id).unwrap();
    assert!(started.paused, "{started:?}");
    until("the new agent stopped", 10, || (proc_state(started.pid.unwrap()) == 'T').then_some(()));
    std::thread::sleep(Duration::from_millis(1_500));
    let log = std::fs::read_to_string(&started.log_path).unwrap();
    assert!(!log.contains("\"line\":\"tick"), "{log}");

    // A restart keeps "pause all" (the processes go with the daemon).
    s.stop(&idler);
    s.stop(&ticker);
    s.engine.close();
    let again = reopen(&s);
    assert!(again.health_agents(None).unwrap().paused_all);
    assert!(!again.agents_resume_all().unwrap().paused_all);
    again.close();
    let third = reopen(&s);
    assert!(!third.health_agents(None).unwrap().paused_all);
    third.close();
}

#[test]
fn a_paused_agent_with_a_full_stdin_is_still_stopped() {
    let s = setup(serde_json::json!({}));
    // On pipes (an agent CLI) and in a terminal (a command), neither reading while paused.
    let idler = s.claude("idler", "say hello");
    until("waiting", 20, || {
        let a = s.engine.agent_get(&idler.id).unwrap();
        (a.state == AgentState::Waiting && a.pid.is_some()).then_some(())
    });
    let sleeper = s.command("sleeper", "sleep 600");
    s.engine.agents_pause_all().unwrap();
    // Far more than a pipe or a terminal holds (64 KiB, 4 KiB).
    let big = "x".repeat(256 * 1024);
    for agent in [&idler, &sleeper] {
        s.engine.agent_send(&agent.id, &big).unwrap();
    }
    for agent in [&idler, &sleeper] {
        let stopped = s.engine.agent_stop(&agent.id).unwrap();
        assert_eq!((stopped.state, stopped.pid), (AgentState::Stopped, None), "{}", agent.name);
    }
}
