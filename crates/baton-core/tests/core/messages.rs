//! Messages between agents, delivered at the turn boundary, and a coordinator conversation
//! (an agent promoted to coordinate its session), over the stand-in for Claude Code. The real
//! Claude Code runs the same flows in the daemon's tests.

use std::path::Path;
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentEvent, AgentSpawn, AgentState};
use baton_core::session::{CoordinatorState, SessionCreate, SessionUpdate};
use baton_core::task::{TaskCreate, TaskState};
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

struct Setup {
    runtime: Option<tokio::runtime::Runtime>,
    engine: Engine,
    tmp: tempfile::TempDir,
    home: BatonHome,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// An engine whose Claude is the stand-in (scripted by markers, see its header), with a session
/// `s` on a fresh repository.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    std::fs::create_dir_all(home.root()).unwrap();
    // Unconfined: the fake CLI talks with the test through files under the /tmp a sandbox hides.
    let settings = serde_json::json!({"agents": {"sandbox": "off"}, "clis": {"claude": {"binary": fake, "env": {"FAKE_DIR": tmp.path()}}}});
    std::fs::write(home.settings_file(), settings.to_string()).unwrap();
    let rt = runtime();
    let engine = {
        let _enter = rt.enter();
        Engine::open(home.clone()).unwrap()
    };
    let repo = repo_new(tmp.path(), "repo");
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    engine.session_update("s", &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    Setup { runtime: Some(rt), engine, tmp, home }
}

fn spawn(e: &Engine, session: &str, name: &str, prompt: &str) -> Agent {
    e.agent_spawn(&AgentSpawn {
        session: session.into(),
        cli: CliKind::Claude,
        prompt: prompt.into(),
        name: Some(name.into()),
        model: None,
        allow_tools: vec![],
        program: vec![],
        cwd: None,
    })
    .unwrap()
}

fn until(e: &Engine, id: &str, what: &str, done: impl Fn(&Agent) -> bool) -> Agent {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = e.agent_get(id).unwrap();
        if done(&a) {
            return a;
        }
        assert!(Instant::now() < deadline, "{} never {what}: {a:?}\n{:#?}", a.name, events(e, id));
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn waits_after(turns: u32) -> impl Fn(&Agent) -> bool {
    move |a| a.turns >= turns && a.state == AgentState::Waiting
}

fn events(e: &Engine, id: &str) -> Vec<AgentEvent> {
    e.agent_events(id, 0, usize::MAX).unwrap().into_iter().map(|r| r.event).collect()
}

/// The messages the agent was given, with their senders, in order.
fn received(e: &Engine, id: &str) -> Vec<(String, Option<String>)> {
    events(e, id)
        .into_iter()
        .filter_map(|ev| match ev {
            AgentEvent::UserText { text, from } => Some((text, from)),
            _ => None,
        })
        .collect()
}

fn release(s: &Setup) {
    std::fs::write(s.tmp.path().join("release"), "").unwrap();
}

#[test]
fn messages_to_a_working_agent_wait_for_its_turn_then_go_together_in_order() {
    let s = setup();
    let e = &s.engine;
    let a = spawn(e, "s", "worker", "HOLD until released");
    until(e, &a.id, "started its turn", |a| a.state == AgentState::Running && a.cli_session_id.is_some());
    let after_first = e.agent_send(&a.id, "first note").unwrap();
    assert_eq!(after_first.queued_messages, 1, "kept while the agent works");
    assert_eq!(e.agent_send(&a.id, "second note").unwrap().queued_messages, 2);
    // Nothing reached the agent mid-turn.
    assert_eq!(received(e, &a.id), [("HOLD until released".to_owned(), None)]);

    release(&s);
    let a = until(e, &a.id, "answered the kept messages", waits_after(2));
    assert_eq!(a.queued_messages, 0);
    assert_eq!(a.turns, 2, "both messages in one turn");
    assert_eq!(
        received(e, &a.id),
        [("HOLD until released".to_owned(), None), ("first note".to_owned(), None), ("second note".to_owned(), None)]
    );
    // The turn they started came after the first one ended.
    let ev = events(e, &a.id);
    let first_end = ev.iter().position(|x| matches!(x, AgentEvent::TurnCompleted { .. })).unwrap();
    let first_note = ev.iter().position(|x| matches!(x, AgentEvent::UserText { text, .. } if text == "first note"));
    assert!(first_note.unwrap() > first_end);

    // An agent that waits gets a message at once, as before.
    let a = e.agent_send(&a.id, "third").unwrap();
    assert_eq!(a.queued_messages, 0);
    until(e, &a.id, "answered the third", waits_after(3));
}

#[test]
fn a_message_from_another_agent_shows_in_both_lanes() {
    let s = setup();
    let e = &s.engine;
    let builder = spawn(e, "s", "builder", "build it");
    let tester = spawn(e, "s", "tester", "HOLD and test it");
    until(e, &builder.id, "finished", waits_after(1));
    until(e, &tester.id, "started", |a| a.state == AgentState::Running && a.cli_session_id.is_some());

    // To a waiting agent: delivered at once, with its sender.
    e.agent_send_from("builder", "the API is in api.rs", Some("tester")).unwrap();
    until(e, &builder.id, "answered", waits_after(2));
    assert!(received(e, &builder.id).contains(&("the API is in api.rs".to_owned(), Some("tester".to_owned()))));
    assert!(
        events(e, &tester.id)
            .contains(&AgentEvent::MessageSent { to: "builder".into(), text: "the API is in api.rs".into() }),
        "the sender's lane says it sent it"
    );

    // To a working agent: kept, then given with its sender named.
    let t = e.agent_send_from("tester", "done, over to you", Some(&builder.id)).unwrap();
    assert_eq!(t.queued_messages, 1);
    assert!(events(e, &builder.id).iter().any(|x| matches!(x, AgentEvent::MessageSent { to, .. } if to == "tester")));
    release(&s);
    until(e, &tester.id, "answered the kept message", waits_after(2));
    assert!(received(e, &tester.id).contains(&("done, over to you".to_owned(), Some("builder".to_owned()))));

    // An agent waiting for the user's approval keeps a teammate's message for its next turn's
    // end (the user's own is refused until the tool is decided).
    let asker = spawn(e, "s", "asker", "DENY: run the tests");
    until(e, &asker.id, "asked", |a| a.state == AgentState::NeedsInput);
    assert_eq!(e.agent_send_from("asker", "tests are flaky", Some("builder")).unwrap().queued_messages, 1);
    assert!(e.agent_send("asker", "hello").unwrap_err().to_string().contains("approve"));

    // Only agents of the same session, and not to itself.
    let other_repo = repo_new(s.tmp.path(), "other");
    e.session_create(&SessionCreate {
        repo: other_repo.to_string_lossy().into(),
        name: Some("other".into()),
        parent: None,
    })
    .unwrap();
    let stranger = spawn(e, "other", "stranger", "hello");
    let err = e.agent_send_from(&builder.id, "hi", Some(&stranger.id)).unwrap_err();
    assert!(err.to_string().contains("another session"), "{err}");
    assert_eq!(err.code(), baton_core::ErrorCode::InvalidInput);
    let err = e.agent_send_from(&builder.id, "hi", Some("nobody")).unwrap_err();
    assert!(err.to_string().contains("no agent \"nobody\""), "{err}");
    let err = e.agent_send_from(&builder.id, "hi", Some("builder")).unwrap_err();
    assert!(err.to_string().contains("itself"), "{err}");
}

fn add(e: &Engine, name: &str, prompt: &str) {
    e.task_add(&TaskCreate {
        session: "s".into(),
        title: format!("Task {name}"),
        prompt: prompt.into(),
        name: Some(name.into()),
        ..TaskCreate::default()
    })
    .unwrap();
}

/// How many messages the agent was given that contain `part`.
fn told(e: &Engine, id: &str, part: &str) -> usize {
    received(e, id).iter().filter(|(text, _)| text.contains(part)).count()
}

/// Waits until the agent was given a message containing `part`.
fn wait_told(e: &Engine, id: &str, part: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while told(e, id, part) == 0 {
        assert!(Instant::now() < deadline, "never told {part:?}: {:#?}", received(e, id));
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_promoted_agent_is_instructed_then_told_each_change_once_until_demoted() {
    let s = setup();
    let e = &s.engine;
    let lead = spawn(e, "s", "lead", "hello");
    until(e, &lead.id, "finished", waits_after(1));

    let p = e.coordinator_promote("lead").unwrap();
    assert_eq!(p.session.coordinator_agent.as_deref(), Some(lead.id.as_str()));
    assert_eq!(p.session.coordinator, CoordinatorState::Running, "Baton's loop runs beside it");
    assert_eq!(p.replaced, None);
    assert!(!p.unchanged);
    until(e, &lead.id, "read its instructions", waits_after(2));
    assert_eq!(told(e, &lead.id, "you are now the coordinator of the session s"), 1);
    assert_eq!(told(e, &lead.id, "Delegate, never implement"), 1);
    assert!(
        received(e, &lead.id).iter().any(|(t, from)| t.contains("Delegate") && from.as_deref() == Some("Baton")),
        "the lane shows Baton as its sender"
    );
    assert!(e.coordinator_promote("lead").unwrap().unchanged, "promoting it again changes nothing");

    add(e, "t1", "do the first part");
    wait_told(e, &lead.id, "task t1 is done");
    let worker = e.task_get("t1").unwrap().agent_id.unwrap();
    assert_ne!(worker, lead.id, "the coordinator conversation is never given a task");
    // More cycles pass (the lead's own turns wake the loop): the change is told once.
    let cycles = e.coordinator_status("s").unwrap().cycles;
    let deadline = Instant::now() + Duration::from_secs(20);
    while e.coordinator_status("s").unwrap().cycles < cycles + 3 {
        assert!(Instant::now() < deadline, "the loop stopped cycling");
        e.coordinator_cycle("s").unwrap();
    }
    assert_eq!(told(e, &lead.id, "task t1 is done"), 1, "{:#?}", received(e, &lead.id));
    assert_eq!(told(e, &lead.id, "the completion criteria hold"), 1);
    assert_eq!(e.session_get("s").unwrap().coordinator, CoordinatorState::Complete);

    // Complete, the loop still watches for the conversation: a worker it spawned itself that
    // finishes, and new work, which runs without another `run`.
    let side = spawn(e, "s", "side", "look around");
    until(e, &side.id, "finished", waits_after(1));
    wait_told(e, &lead.id, "agent side finished its turn");
    add(e, "t3", "do a third part");
    wait_told(e, &lead.id, "task t3 is done");
    assert_ne!(e.task_get("t3").unwrap().agent_id.as_deref(), Some(lead.id.as_str()));

    // Demoted: the loop goes on, the lead hears no more.
    let session = e.coordinator_demote("lead").unwrap();
    assert_eq!(session.coordinator_agent, None);
    let err = e.coordinator_demote("lead").unwrap_err();
    assert!(err.to_string().contains("has no coordinator conversation"), "{err}");
    add(e, "t2", "do the second part");
    e.coordinator_start("s").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while e.task_get("t2").unwrap().state != TaskState::Done {
        assert!(Instant::now() < deadline, "t2 never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    e.coordinator_cycle("s").unwrap();
    assert_eq!(told(e, &lead.id, "task t2"), 0, "{:#?}", received(e, &lead.id));
}

#[test]
fn promoting_another_replaces_the_coordinator_and_a_removed_agent_cannot_coordinate() {
    let s = setup();
    let e = &s.engine;
    let a = spawn(e, "s", "a", "hello");
    let b = spawn(e, "s", "b", "hello");
    until(e, &a.id, "finished", waits_after(1));
    until(e, &b.id, "finished", waits_after(1));
    e.coordinator_promote("a").unwrap();
    let p = e.coordinator_promote("b").unwrap();
    assert_eq!(p.replaced.as_deref(), Some("a"), "it says whom it replaces");
    assert_eq!(p.session.coordinator_agent.as_deref(), Some(b.id.as_str()));
    assert!(events(e, &a.id).iter().any(
        |x| matches!(x, AgentEvent::Notice { message } if message.contains("no longer the session's coordinator"))
    ));
    let err = e.coordinator_demote("a").unwrap_err();
    assert!(err.to_string().contains("its coordinator is b"), "{err}");

    until(e, &a.id, "finished", |a| !a.state.is_active());
    e.agent_remove(&a.id, true).unwrap();
    let err = e.coordinator_promote("a").unwrap_err();
    assert!(err.to_string().contains("archived"), "{err}");
}

#[test]
fn kept_messages_and_the_promotion_survive_a_restart() {
    let s = setup();
    let mut rt = s.runtime;
    let home = s.home;
    let tmp = s.tmp;
    let e = s.engine;
    let lead = spawn(&e, "s", "lead", "hello");
    until(&e, &lead.id, "finished", waits_after(1));
    e.coordinator_promote("lead").unwrap();
    until(&e, &lead.id, "read its instructions", waits_after(2));
    let worker = spawn(&e, "s", "worker", "HOLD on");
    until(&e, &worker.id, "started", |a| a.state == AgentState::Running && a.cli_session_id.is_some());
    assert_eq!(e.agent_send_from("worker", "kept for later", Some("lead")).unwrap().queued_messages, 1);

    // The daemon goes away mid-turn.
    let old = rt.take().unwrap();
    old.block_on(e.agents_shutdown(Duration::from_secs(10)));
    e.close();
    drop(e);
    old.shutdown_timeout(Duration::from_secs(5));

    std::fs::write(tmp.path().join("release"), "").unwrap();
    let rt = runtime();
    let e = {
        let _enter = rt.enter();
        Engine::open(home.clone()).unwrap()
    };
    assert_eq!(e.session_get("s").unwrap().coordinator_agent.as_deref(), Some(lead.id.as_str()));
    let w = e.agent_get("worker").unwrap();
    assert_eq!(w.queued_messages, 1, "kept across the restart");
    // Resumed, it gets what was kept with the resumption.
    e.agents_interrupted_resume().unwrap();
    until(&e, &w.id, "answered", |a| a.turns >= 1 && a.state == AgentState::Waiting && a.queued_messages == 0);
    assert!(received(&e, &w.id).contains(&("kept for later".to_owned(), Some("lead".to_owned()))));
    drop(rt);
}

#[test]
fn a_message_kept_during_a_task_waits_for_the_task_to_be_read() {
    let s = setup();
    let e = &s.engine;
    let peer = spawn(e, "s", "peer", "hello");
    until(e, &peer.id, "finished", waits_after(1));
    add(e, "t1", "HOLD the first part");
    e.coordinator_start("s").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let worker = loop {
        let t = e.task_get("t1").unwrap();
        if let Some(id) = t.agent_id
            && e.agent_get(&id).unwrap().state == AgentState::Running
        {
            break id;
        }
        assert!(Instant::now() < deadline, "t1 never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(e.agent_send_from(&worker, "also check the docs", Some("peer")).unwrap().queued_messages, 1);
    release(&s);
    until(e, &worker, "answered the kept message", |a| a.turns >= 2 && a.state == AgentState::Waiting);
    // The task's result is the turn it was given, not the answer to the message after it.
    let t1 = e.task_get("t1").unwrap();
    assert_eq!(t1.state, TaskState::Done);
    assert!(t1.summary.as_deref().unwrap_or("").contains("turn 1"), "{t1:?}");
    assert!(received(e, &worker).contains(&("also check the docs".to_owned(), Some("peer".to_owned()))));
}
