//! The coordinator over a stand-in for Claude Code (a script speaking its stream-json), so the
//! scheduling rules run fast; the real CLIs run the pattern in the daemon's tests.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use baton_core::artifact::ArtifactKind;
use baton_core::events::EngineEvent;
use baton_core::session::{CoordinatorState, SessionCreate, SessionUpdate};
use baton_core::task::{Task, TaskCreate, TaskState};
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

/// A stand-in for Claude Code's stream-json mode, scripted by markers in its messages (see the
/// script's header).
fn fake_claude() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude")
}

struct Setup {
    runtime: Option<tokio::runtime::Runtime>,
    engine: Engine,
    tmp: tempfile::TempDir,
    home: BatonHome,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// An engine with the fake Claude, a session `s` on a fresh repository, cycling every second.
fn setup(verdicts: &[&str]) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let fake = fake_claude();
    let verdict_file = tmp.path().join("verdicts");
    std::fs::write(&verdict_file, verdicts.iter().map(|v| format!("{v}\n")).collect::<String>()).unwrap();
    std::fs::create_dir_all(home.root()).unwrap();
    // Unconfined: the fake CLI talks with the test through files in the test's folder, under
    // the /tmp a sandbox hides (the sandbox's own tests are in the daemon's suite).
    let settings = serde_json::json!({"agents": {"sandbox": "off"}, "clis": {"claude": {"binary": fake, "env": {
        "FAKE_VERDICTS": verdict_file, "FAKE_DIR": tmp.path()
    }}}});
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

fn add(e: &Engine, name: &str, prompt: &str, after: &[&str]) -> Task {
    e.task_add(&TaskCreate {
        session: "s".into(),
        title: format!("Task {name}"),
        prompt: prompt.into(),
        name: Some(name.into()),
        after: after.iter().map(|s| (*s).to_owned()).collect(),
        ..TaskCreate::default()
    })
    .unwrap()
}

fn until(e: &Engine, what: &str, secs: u64, done: impl Fn(&Engine) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(e) {
        if Instant::now() > deadline {
            let tasks: Vec<String> = e
                .task_list("s")
                .unwrap()
                .iter()
                .map(|t| format!("{}={} {:?}", t.name, t.state.as_str(), t.reason))
                .collect();
            let last = e.coordinator_cycles("s", 1).unwrap();
            panic!("never {what}; tasks {tasks:?}; last cycle {last:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn state(e: &Engine, name: &str) -> TaskState {
    e.task_list("s").unwrap().into_iter().find(|t| t.name == name).unwrap().state
}

fn complete(e: &Engine) -> bool {
    e.session_get("s").unwrap().coordinator == CoordinatorState::Complete
}

#[test]
fn a_graph_runs_by_itself_handing_results_on() {
    let s = setup(&[]);
    let e = &s.engine;
    add(e, "a", "do a", &[]);
    add(e, "b", "do b after {a}", &["a"]);
    add(e, "c", "do c", &["a"]);
    add(e, "d", "join b and c", &["b", "c"]);
    // A task that fails, and the branches that hang on it.
    add(e, "risky", "FAIL at this", &[]);
    e.task_add(&TaskCreate {
        session: "s".into(),
        title: "Recover".into(),
        prompt: "recover".into(),
        name: Some("recover".into()),
        if_failed: vec!["risky".into()],
        ..TaskCreate::default()
    })
    .unwrap();
    e.task_add(&TaskCreate {
        session: "s".into(),
        title: "Ship".into(),
        prompt: "ship".into(),
        name: Some("ship".into()),
        if_succeeded: vec!["risky".into()],
        ..TaskCreate::default()
    })
    .unwrap();
    let before = e.coordinator_status("s").unwrap().progress;
    assert_eq!((before.done, before.total, before.running, before.failed), (0, 7, 0, 0), "{before:?}");
    e.coordinator_start("s").unwrap();
    until(e, "ran every task", 60, |e| {
        e.task_list("s").unwrap().iter().all(|t| t.state.is_final() || t.state == TaskState::Blocked)
    });
    for name in ["a", "b", "c", "d", "recover"] {
        assert_eq!(state(e, name), TaskState::Done, "{name}");
    }
    assert_eq!(state(e, "risky"), TaskState::Failed);
    let ship = e.task_get("ship").unwrap();
    assert_eq!(ship.state, TaskState::Cancelled);
    assert!(ship.reason.unwrap().contains("risky"), "says why");

    // The converging task started after both branches, with their results handed on.
    let tasks = e.task_list("s").unwrap();
    let d = tasks.iter().find(|t| t.name == "d").unwrap();
    let agent = e.agent_get(d.agent_id.as_deref().unwrap()).unwrap();
    assert!(
        agent.prompt.contains(".baton/context/b.md") && agent.prompt.contains(".baton/context/c.md"),
        "{}",
        agent.prompt
    );
    let ctx = Path::new(&agent.cwd).join(".baton/context");
    assert!(std::fs::read_to_string(ctx.join("b.md")).unwrap().contains("Finished the work"));
    assert!(ctx.join("b.diff").exists(), "the diff of b is handed on");
    // `{a}` became a's result.
    let b = tasks.iter().find(|t| t.name == "b").unwrap();
    let b_agent = e.agent_get(b.agent_id.as_deref().unwrap()).unwrap();
    assert!(b_agent.prompt.starts_with("do b after Finished the work, turn 1"), "{}", b_agent.prompt);
    // The task keeps its template, and the prompt exactly as its agent was given it.
    assert_eq!(b.prompt, "do b after {a}");
    assert_eq!(b.sent_prompt.as_deref(), Some(b_agent.prompt.as_str()));
    assert_eq!(d.sent_prompt.as_deref(), Some(agent.prompt.as_str()));
    assert_eq!(e.task_get("b").unwrap().sent_prompt, b.sent_prompt, "read alone as in a list");
    assert_eq!(ship.sent_prompt, None, "a task that never started was sent nothing");
    assert_eq!(b_agent.task_id.as_deref(), Some(b.id.as_str()));
    // Its agent knew its session and task.
    let env = std::fs::read_to_string(s.tmp.path().join(format!("env-{}", b.id))).unwrap();
    assert!(env.contains(&format!("BATON_TASK={}", b.id)) && env.contains("BATON_SESSION=ses_"), "{env}");
    // The hand-off files are never part of the work.
    let changes = e.agent_diff(&agent.id, false).unwrap();
    assert!(changes.files.iter().all(|f| !f.path.starts_with(".baton")), "{:?}", changes.files);

    // Artifacts: a result, the diff, and the file the result names; found by search.
    let arts = e.artifact_list("s", Some("a")).unwrap();
    let kinds: HashSet<ArtifactKind> = arts.iter().map(|a| a.kind).collect();
    assert!(kinds.contains(&ArtifactKind::Markdown) && kinds.contains(&ArtifactKind::Diff), "{arts:?}");
    assert!(arts.iter().any(|a| a.kind == ArtifactKind::File && a.path.as_deref() == Some("work-1.txt")));
    let result = arts.iter().find(|a| a.kind == ArtifactKind::Markdown).unwrap();
    assert_eq!(result.summary, "Finished the work, turn 1. Wrote work-1.txt");
    assert!(result.body.is_empty(), "lists leave the body out");
    assert_eq!(e.artifact_get(&result.id).unwrap().body, result.summary);
    let hits = e.artifact_search("work-1.txt", Some("s"), 50).unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h.artifact.session_id == e.session_get("s").unwrap().id));
    assert!(e.artifact_search("nothing-like-this", None, 50).unwrap().is_empty());

    // Cycles are counted and stored; with a failed task the work is not complete.
    let status = e.coordinator_status("s").unwrap();
    assert!(status.cycles >= 3, "{status:?}");
    // Progress as the bar shows it: the cancelled branch is not work to do, the failure is apart.
    let progress = &status.progress;
    assert_eq!((progress.done, progress.total, progress.failed, progress.cancelled), (5, 6, 1, 1), "{progress:?}");
    assert_eq!((progress.running, progress.blocked), (0, 0));
    let last = status.last.unwrap();
    assert!(!last.summary.criteria.complete);
    assert!(last.summary.criteria.unmet.iter().any(|u| u.contains("risky is failed")), "{:?}", last.summary.criteria);
    let started: Vec<String> =
        e.coordinator_cycles("s", 1000).unwrap().into_iter().flat_map(|c| c.summary.started).collect();
    assert_eq!(started.iter().filter(|n| *n == "a").count(), 1, "each task starts once: {started:?}");
}

#[test]
fn the_concurrency_limit_holds_and_the_work_completes() {
    let s = setup(&[]);
    let e = &s.engine;
    e.session_update("s", &SessionUpdate { max_agents: Some(2), ..Default::default() }).unwrap();
    for i in 0..5 {
        add(e, &format!("t{i}"), "SLOW work", &[]);
    }
    let mut events = e.events().subscribe();
    e.coordinator_start("s").unwrap();
    let mut running: HashSet<String> = HashSet::new();
    let mut most = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !complete(e) {
        assert!(Instant::now() < deadline, "never complete");
        while let Ok(ev) = events.try_recv() {
            if let EngineEvent::TaskUpdated { task } = ev {
                if task.state == TaskState::Running {
                    running.insert(task.id);
                } else {
                    running.remove(&task.id);
                }
                most = most.max(running.len());
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(most, 2, "at most two at once, and two when there is work");
    assert!(e.task_list("s").unwrap().iter().all(|t| t.state == TaskState::Done));
    let last = e.coordinator_status("s").unwrap().last.unwrap();
    assert!(last.summary.criteria.complete && last.summary.criteria.unmet.is_empty(), "{last:?}");
}

#[test]
fn a_crashed_agent_blocks_its_task_with_a_recovery_that_works() {
    let s = setup(&[]);
    let e = &s.engine;
    add(e, "fragile", "CRASH on the first try", &[]);
    add(e, "after", "then this", &["fragile"]);
    e.coordinator_start("s").unwrap();
    until(e, "blocked the task", 30, |e| state(e, "fragile") == TaskState::Blocked);
    let t = e.task_get("fragile").unwrap();
    let reason = t.reason.unwrap();
    assert!(reason.contains("exited with code 3") && reason.contains("baton task retry fragile"), "{reason}");
    assert_eq!(state(e, "after"), TaskState::Pending, "nothing lost, nothing skipped");
    e.task_retry("fragile").unwrap();
    until(e, "completed after the retry", 30, complete);
    let t = e.task_get("fragile").unwrap();
    assert_eq!((t.state, t.attempts), (TaskState::Done, 2));
    assert_eq!(
        e.agent_list(Some("s")).unwrap().iter().filter(|a| a.role.is_none() && a.name == "fragile").count(),
        1,
        "the same agent resumed"
    );
    assert!(e.task_retry("fragile").unwrap_err().to_string().contains("only a blocked or failed task"));
}

fn review_graph(e: &Engine) {
    add(e, "build", "build it", &[]);
    e.task_add(&TaskCreate {
        session: "s".into(),
        title: "Review".into(),
        prompt: "Review {diff}. Answer with JSON only".into(),
        name: Some("check".into()),
        after: vec!["build".into()],
        reviews: Some("build".into()),
        max_rounds: Some(3),
        ..TaskCreate::default()
    })
    .unwrap();
}

#[test]
fn a_review_sends_work_back_then_approves() {
    let s = setup(&[
        "Looks fine to me.",
        r#"{\"verdict\":\"request_changes\",\"findings\":[{\"file\":\"work-1.txt\",\"line\":1,\"severity\":\"error\",\"message\":\"say more\"}]}"#,
        r#"{\"verdict\":\"approve\",\"findings\":[]}"#,
    ]);
    let e = &s.engine;
    review_graph(e);
    e.coordinator_start("s").unwrap();
    until(e, "completed", 60, complete);
    let build = e.task_get("build").unwrap();
    let check = e.task_get("check").unwrap();
    assert_eq!((build.state, check.state), (TaskState::Done, TaskState::Done));
    assert_eq!(check.rounds, 2);
    assert!(build.outcome.unwrap().contains("approved by check in round 2"));
    // The builder got the findings, on the same agent.
    let builder = e.agent_get(build.agent_id.as_deref().unwrap()).unwrap();
    assert_eq!(builder.turns, 2);
    let said: Vec<String> = e
        .agent_events(&builder.id, 0, 1000)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            baton_core::agent::AgentEvent::UserText { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert!(said.iter().any(|t| t.contains("[error] work-1.txt:1: say more")), "{said:?}");
    // The reviewer was asked again once for JSON, and reviewed twice on one agent.
    let reviewer = e.agent_get(check.agent_id.as_deref().unwrap()).unwrap();
    assert_eq!(reviewer.turns, 3);
    let verdicts: Vec<_> =
        e.artifact_list("s", Some("check")).unwrap().into_iter().filter(|a| a.kind == ArtifactKind::Verdict).collect();
    assert_eq!(verdicts.len(), 2);
    let hits = e.artifact_search("say more", Some("s"), 50).unwrap();
    assert!(hits.iter().any(|h| h.artifact.kind == ArtifactKind::Verdict));
}

#[test]
fn a_reviewer_answering_prose_twice_blocks_with_the_answer_kept() {
    let s = setup(&["I like it.", "Really, it is good."]);
    let e = &s.engine;
    review_graph(e);
    e.coordinator_start("s").unwrap();
    until(e, "blocked the review", 60, |e| state(e, "check") == TaskState::Blocked);
    let reason = e.task_get("check").unwrap().reason.unwrap();
    assert!(reason.contains("without a JSON verdict"), "{reason}");
    let kept = e.artifact_list("s", Some("check")).unwrap();
    let raw = kept.iter().find(|a| a.kind == ArtifactKind::Text).expect("the raw answer");
    assert!(reason.contains(&raw.id));
    assert_eq!(e.artifact_get(&raw.id).unwrap().body, "Really, it is good.");
    assert_eq!(state(e, "build"), TaskState::Review, "the work waits for a verdict");
}

#[test]
fn a_restart_resumes_the_coordinator_without_repeating_finished_work() {
    let s = setup(&[]);
    let mut rt = s.runtime;
    let tmp = s.tmp;
    let home = s.home;
    let e = s.engine;
    add(&e, "first", "quick", &[]);
    add(&e, "second", "SLOW second", &["first"]);
    add(&e, "third", "after the second", &["second"]);
    e.coordinator_start("s").unwrap();
    until(&e, "started the second", 30, |e| {
        let t = e.task_get("second").unwrap();
        t.state == TaskState::Running && t.agent_id.is_some_and(|a| e.agent_get(&a).unwrap().cli_session_id.is_some())
    });
    let first_artifacts = e.artifact_list("s", Some("first")).unwrap().len();
    // The daemon goes away mid-task: its agents' processes with it.
    let old = rt.take().unwrap();
    old.block_on(e.agents_shutdown(Duration::from_secs(10)));
    e.close();
    drop(e);
    old.shutdown_timeout(Duration::from_secs(5));

    let rt = runtime();
    let e = {
        let _enter = rt.enter();
        Engine::open(home.clone()).unwrap()
    };
    until(&e, "completed after the restart", 60, complete);
    assert!(e.task_list("s").unwrap().iter().all(|t| t.state == TaskState::Done));
    assert_eq!(e.artifact_list("s", Some("first")).unwrap().len(), first_artifacts, "first did not run again");
    assert_eq!(e.task_get("first").unwrap().attempts, 1);
    let second = e.task_get("second").unwrap();
    assert_eq!(second.attempts, 1, "resumed, not restarted");
    drop(tmp);
}

#[test]
fn context_lasts_and_travels_as_one_document() {
    let s = setup(&[]);
    let e = &s.engine;
    let goal = e.objective_add("s", "Ship the parser").unwrap();
    e.objective_add("s", "Keep it fast").unwrap();
    e.objective_set("s", &goal.id, baton_core::context::ObjectiveState::Done).unwrap();
    e.insight_add("s", "The lexer is the bottleneck").unwrap();
    let question = e.decision_add("s", "Which license?").unwrap();
    assert!(e.objective_add("s", "  ").unwrap_err().to_string().contains("empty"));
    assert!(serde_json::from_str::<baton_core::context::ObjectiveState>("\"finished\"").is_err());
    add(e, "a", "do a", &[]);
    add(e, "b", "do b", &["a"]);
    e.coordinator_start("s").unwrap();
    until(e, "ran both tasks", 30, |e| state(e, "b") == TaskState::Done);
    // A pending decision keeps the work from being complete.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!complete(e));
    let status = e.session_status("s").unwrap();
    assert!(status.coordinator.last.unwrap().summary.criteria.unmet.iter().any(|u| u.contains("decision")));
    e.decision_decide("s", &question.id, "MIT").unwrap();
    until(e, "completed once decided", 30, complete);
    let status = e.session_status("s").unwrap();
    assert_eq!(status.objectives.len(), 2);
    assert_eq!(status.tasks.iter().map(|c| c.count).sum::<u32>(), 2);
    assert!(status.cost_usd > 0.0 && status.artifacts >= 4 && status.agents.len() == 2, "{status:?}");

    let doc = e.context_export("s").unwrap();
    let text = serde_json::to_string(&doc).unwrap();
    let doc: baton_core::context::ContextDoc = serde_json::from_str(&text).unwrap();
    let imported =
        e.context_import(&baton_core::context::ContextImport { doc: doc.clone(), repo: None, name: None }).unwrap();
    assert_eq!(imported.name, "s (imported)");
    let again = e.context_export(&imported.id).unwrap();
    assert_eq!(
        again.objectives.iter().map(|o| (&o.text, &o.state)).collect::<Vec<_>>(),
        doc.objectives.iter().map(|o| (&o.text, &o.state)).collect::<Vec<_>>()
    );
    assert_eq!(again.decisions[0].answer.as_deref(), Some("MIT"));
    assert_eq!(again.insights.len(), 1);
    assert_eq!(
        again.tasks.iter().map(|t| (&t.name, t.state, &t.after)).collect::<Vec<_>>(),
        doc.tasks.iter().map(|t| (&t.name, t.state, &t.after)).collect::<Vec<_>>()
    );
    assert_eq!(again.artifacts.len(), doc.artifacts.len());
    assert!(again.artifacts.iter().all(|a| a.task_id.is_some()), "artifacts keep their tasks");
    let mut bad = doc;
    bad.format = 9;
    let err = e.context_import(&baton_core::context::ContextImport { doc: bad, repo: None, name: None }).unwrap_err();
    assert!(err.to_string().contains("format 9"));
}

#[test]
fn a_silent_agent_is_marked_stalled_once_on_its_lane() {
    let s = setup(&[]);
    let e = &s.engine;
    e.session_update("s", &SessionUpdate { stall_secs: Some(1), ..Default::default() }).unwrap();
    add(e, "quiet", "HOLD without a word", &[]);
    e.coordinator_start("s").unwrap();
    until(e, "marked the agent stalled", 30, |e| {
        e.coordinator_cycles("s", 1).unwrap().first().is_some_and(|c| c.summary.stalled == ["quiet"])
    });
    std::thread::sleep(Duration::from_millis(2500));
    let agent = e.agent_list(Some("s")).unwrap().into_iter().find(|a| a.name == "quiet").unwrap();
    let notices: Vec<String> = e
        .agent_events(&agent.id, 0, 1000)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            baton_core::agent::AgentEvent::Notice { message } if message.contains("stalled") => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 1, "noted once: {notices:?}");
    assert!(notices[0].contains("baton abort quiet"), "{notices:?}");
    std::fs::write(s.tmp.path().join("release"), "").unwrap();
    until(e, "completed once it spoke", 30, complete);
}

#[test]
fn an_approved_branch_merges_itself_when_the_session_says_auto_merge() {
    let s = setup(&[r#"{\"verdict\":\"approve\",\"findings\":[]}"#]);
    let e = &s.engine;
    e.session_update("s", &SessionUpdate { auto_merge: Some(true), ..Default::default() }).unwrap();
    review_graph(e);
    e.coordinator_start("s").unwrap();
    until(e, "completed", 60, complete);
    let build = e.task_get("build").unwrap();
    assert!(build.outcome.as_deref().unwrap().contains("merged into main"), "{build:?}");
    let repo = Path::new(&e.session_get("s").unwrap().repo).to_owned();
    assert_eq!(std::fs::read_to_string(repo.join("work-1.txt")).unwrap(), "turn 1\n", "in the user's checkout");
    assert!(!repo.join(".baton").exists());
}

#[test]
fn a_session_slow_in_git_does_not_hold_up_another_session() {
    let s = setup(&[]);
    let e = &s.engine;
    // Session `slow`: making a worktree in its repository runs a hook that waits (at most 10 s)
    // until the test releases it, so its cycle is stuck in `git worktree add`.
    let slow_repo = repo_new(s.tmp.path(), "slow-repo");
    let marks = s.tmp.path().join("hook");
    std::fs::create_dir_all(&marks).unwrap();
    let hook = slow_repo.join(".git/hooks/post-checkout");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ntouch {m}/started\ni=0\nwhile [ ! -e {m}/release ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\ntouch {m}/finished\n",
            m = marks.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    e.session_create(&SessionCreate {
        repo: slow_repo.to_string_lossy().into(),
        name: Some("slow".into()),
        parent: None,
    })
    .unwrap();
    e.session_update("slow", &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    e.task_add(&TaskCreate {
        session: "slow".into(),
        title: "Slow".into(),
        prompt: "slow work".into(),
        name: Some("stuck".into()),
        ..TaskCreate::default()
    })
    .unwrap();
    e.coordinator_start("slow").unwrap();
    let deadline = Instant::now() + Duration::from_secs(8);
    while !marks.join("started").exists() {
        assert!(Instant::now() < deadline, "the slow session never reached its worktree");
        std::thread::sleep(Duration::from_millis(20));
    }

    // Meanwhile, session `s` starts its task: its agent is spawned and its task runs.
    let mut events = e.events().subscribe();
    let quick = add(e, "quick", "do it", &[]);
    let session = e.session_get("s").unwrap();
    e.coordinator_start("s").unwrap();
    let (mut spawned, mut running) = (false, false);
    let deadline = Instant::now() + Duration::from_secs(8);
    while !(spawned && running) {
        assert!(
            Instant::now() < deadline,
            "session s waited behind the slow one (spawned {spawned}, running {running})"
        );
        match events.try_recv() {
            Ok(EngineEvent::AgentUpdated { agent }) if agent.session_id == session.id => spawned = true,
            Ok(EngineEvent::TaskUpdated { task }) if task.id == quick.id && task.state == TaskState::Running => {
                running = true;
            }
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    assert!(!marks.join("finished").exists(), "the slow session was still in git meanwhile");

    // Released, the slow session goes on as if nothing happened.
    std::fs::write(marks.join("release"), "").unwrap();
    until(e, "completed the quick session", 30, complete);
    let deadline = Instant::now() + Duration::from_secs(30);
    while e.session_get("slow").unwrap().coordinator != CoordinatorState::Complete {
        assert!(Instant::now() < deadline, "the slow session never completed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(e.task_get("stuck").unwrap().state, TaskState::Done);
}

#[test]
fn a_message_sent_as_a_turn_ends_waits_for_that_turns_checkpoint() {
    let s = setup(&[]);
    let e = &s.engine;
    let files = |commit: &str| -> Vec<String> {
        let repo = s.tmp.path().join("repo");
        let out = std::process::Command::new("git")
            .args(["ls-tree", "-r", "--name-only", commit])
            .current_dir(&repo)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with("work-")).map(str::to_owned).collect()
    };
    for round in 0..3 {
        let agent = e
            .agent_spawn(&baton_core::agent::AgentSpawn {
                session: "s".into(),
                cli: baton_core::agent::protocol::CliKind::Claude,
                prompt: "first".into(),
                name: Some(format!("a{round}")),
                model: None,
                allow_tools: vec![],
                program: vec![],
                cwd: None,
            })
            .unwrap();
        // Send the moment the first turn is over, before its checkpoint could be saved.
        let deadline = Instant::now() + Duration::from_secs(20);
        while e.agent_get(&agent.id).unwrap().turns < 1 {
            assert!(Instant::now() < deadline, "the first turn never ended");
            std::thread::sleep(Duration::from_millis(1));
        }
        e.agent_send(&agent.id, "second").unwrap();
        until(e, "the second turn's checkpoint", 20, |e| e.agent_checkpoints(&agent.id).unwrap().len() >= 2);
        let checkpoints = e.agent_checkpoints(&agent.id).unwrap();
        assert_eq!(files(&checkpoints[0].commit), ["work-1.txt"], "the state after turn 1 alone is kept");
        assert_eq!(files(&checkpoints[1].commit), ["work-1.txt", "work-2.txt"]);
    }
}

#[test]
fn approved_work_merges_with_the_tasks_title_and_summary_or_the_message_given() {
    let s = setup(&[r#"{\"verdict\":\"approve\",\"findings\":[]}"#]);
    let e = &s.engine;
    review_graph(e);
    e.coordinator_start("s").unwrap();
    until(e, "completed", 60, complete);
    let build = e.task_get("build").unwrap();
    let agent = build.agent_id.clone().unwrap();
    let req = baton_core::worktree::merge::MergeRequest { dry_run: true, ..Default::default() };
    let check = e.agent_merge(&agent, &req).unwrap();
    assert!(check.ok, "{check:?}");
    let mut parts = check.message.split("\n\n");
    assert_eq!(parts.next(), Some("Task build"), "the task's title as subject, not the prompt: {}", check.message);
    let body = parts.next().unwrap();
    assert!(body.contains(build.summary.as_deref().unwrap()), "the agent's result: {}", check.message);
    assert!(body.contains("approved by check in round 1"), "the review: {}", check.message);
    assert!(!check.message.contains("build it"), "{}", check.message);

    let message = "Build it, reviewed\n\nEdited before merging.";
    let req = baton_core::worktree::merge::MergeRequest { message: Some(message.into()), ..Default::default() };
    let merged = e.agent_merge(&agent, &req).unwrap();
    assert!(merged.ok, "{merged:?}");
    let repo = Path::new(&e.session_get("s").unwrap().repo).to_owned();
    let last = std::process::Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["log", "-1", "--format=%B", "main"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&last.stdout).trim(), message);
}
