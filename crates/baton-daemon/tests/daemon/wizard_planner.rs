//! The wizard's agent-assisted engine with the real Claude Code (pinned, tests/agent-clis) as
//! the planner, against the fake model server scripting its replies: questions then a plan, a
//! bad plan asked again then accepted, prose twice handing over to the guided engine, and a
//! draft whose planner resumes its CLI session after a daemon restart.

use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{AgentEvent, AgentState};
use baton_core::session::SessionCreate;
use baton_core::wizard::questions::QuestionKind;
use baton_core::wizard::{Wizard, WizardEngine, WizardLaunch, WizardReply, WizardStart};
use baton_fake_model::{AgentCli, FakeModel, Scenario, Step, cli_bin, cli_setup};
use serde_json::json;

use crate::support::{TestDaemon, repo_new};

const KEY: &str = "baton-wizard-key";

/// Claude pointed at the fake server; the planner may ask `max_questions`.
fn settings_write(d: &TestDaemon, fake: &FakeModel, max_questions: u32) {
    settings_write_for(d, fake, AgentCli::Claude, max_questions);
}

/// `cli` pointed at the fake server, and the planner's CLI by default.
fn settings_write_for(d: &TestDaemon, fake: &FakeModel, cli: AgentCli, max_questions: u32) {
    let setup = cli_setup(cli, &fake.url(), KEY, &d.tmp.path().join(format!("{}-home", cli.name())));
    let env: serde_json::Map<String, serde_json::Value> =
        setup.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let settings = json!({
        "clis": { cli.name(): { "binary": cli_bin(cli), "args": setup.args, "env": env } },
        "wizard": { "planner": cli.name(), "maxQuestions": max_questions },
    });
    std::fs::write(d.home.settings_file(), settings.to_string()).unwrap();
}

/// A session on a repository with two folders and a test script.
fn session(d: &TestDaemon) -> String {
    let repo = repo_new(d.tmp.path(), "shop");
    for (path, text) in [
        ("package.json", r#"{"scripts": {"test": "vitest run"}}"#),
        ("web/app.ts", "export const a = 1;\n"),
        ("core/src/lib.rs", "pub fn f() {}\n"),
    ] {
        let p = repo.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap()
        .id
}

fn start(d: &TestDaemon, session: &str) -> Wizard {
    let w = d
        .client
        .wizard_start(&WizardStart {
            session: session.into(),
            goal: "add discount codes".into(),
            engine: Some(WizardEngine::Agent),
            cli: Some(CliKind::Claude),
        })
        .unwrap();
    assert!(w.planner.as_ref().is_some_and(|p| p.thinking), "the planner thinks first: {w:?}");
    assert!(w.question.is_none() && w.plan.is_none());
    w
}

/// The wizard once its planner has replied.
fn replied(d: &TestDaemon, id: &str) -> Wizard {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let w = d.client.wizard_get(id).unwrap();
        if !w.planner.as_ref().is_some_and(|p| p.thinking) {
            return w;
        }
        if Instant::now() > deadline {
            let agent = &w.planner.as_ref().unwrap().agent_id;
            let events = d
                .client
                .agent_events(
                    agent,
                    &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
                )
                .unwrap();
            panic!("the planner never replied: {w:#?}\n{events:#?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn answer(d: &TestDaemon, id: &str, words: &[&str]) -> Wizard {
    let w =
        d.client.wizard_answer(id, &WizardReply { answers: words.iter().map(|w| (*w).to_owned()).collect() }).unwrap();
    assert!(w.planner.as_ref().is_some_and(|p| p.thinking), "the answer went to the planner: {w:?}");
    replied(d, id)
}

/// The text of the last user message of the model turn `n` (0-based) of the planner.
fn sent(fake: &FakeModel, n: usize) -> String {
    let turns: Vec<_> = fake.requests(KEY).into_iter().filter(|r| r.is_model_turn()).collect();
    let messages = turns[n].body["messages"].as_array().unwrap();
    let last = messages.iter().rfind(|m| m["role"] == "user").unwrap();
    match &last["content"] {
        serde_json::Value::String(s) => s.clone(),
        content => content.as_array().unwrap().iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"),
    }
}

const Q1: &str = r#"{"question": {"text": "Which parts of the code will change?", "why": "Each part gets its own implementer.", "options": [{"label": "web", "recommended": true}, {"label": "core", "recommended": false}], "multiple": true}}"#;
const Q2: &str = r#"{"question": {"text": "What must not break?", "why": "The reviewer checks it."}}"#;
const PLAN: &str = r#"{"plan": {"agents": [{"role": "implementer", "cli": "claude"}, {"role": "reviewer", "cli": "claude"}],
  "tasks": [{"name": "implement", "title": "Implement discount codes", "prompt": "Implement {goal} in web; keep the checkout working", "role": "implementer"},
            {"name": "review", "title": "Review", "prompt": "Review {diff} of {implement}", "role": "reviewer", "after": ["implement"], "reviews": "implement", "maxRounds": 2}],
  "concurrency": 2, "autoMerge": false, "pattern": "planner"}}"#;
const BAD_PLAN: &str = r#"{"plan": {"agents": [{"role": "implementer"}], "tasks": [{"name": "implement", "title": "Implement", "prompt": "Do {goal}", "role": "tester"}], "concurrency": 1}}"#;

#[test]
fn claude_plans_two_questions_then_a_plan_read_only_in_its_own_lane() {
    let d = TestDaemon::start();
    let s = session(&d);
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text(Q1), Step::text(Q2), Step::text(PLAN)]))]);
    settings_write(&d, &fake, 2);
    let w = start(&d, &s);
    let planner = w.planner.clone().unwrap();
    assert_eq!((planner.cli, planner.agent_name.as_str(), planner.max_questions), (CliKind::Claude, "planner", 2));

    // Its lane: a real agent of the session, in the repository itself, offered only reading tools.
    let agent = d.client.agent_get(&planner.agent_id).unwrap();
    assert_eq!(agent.session_id, s);
    assert!(agent.worktree.is_none(), "the planner reads the user's checkout, it makes no worktree");
    let first = fake.requests(KEY).into_iter().find(|r| r.is_model_turn());
    let w = replied(&d, &w.id);
    let first = first.or_else(|| fake.requests(KEY).into_iter().find(|r| r.is_model_turn())).unwrap();
    let tools: Vec<&str> = first.body["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(!tools.is_empty() && tools.iter().all(|t| ["Read", "Glob", "Grep"].contains(t)), "{tools:?}");
    let prompt = sent(&fake, 0);
    assert!(prompt.contains("add discount codes") && prompt.contains("\"npm test\""), "goal and facts: {prompt}");
    assert!(prompt.contains("at most 2 questions"), "{prompt}");

    // The first question, shown as the guided engine's are.
    let q = w.question.clone().expect("a question");
    assert_eq!((q.id.as_str(), q.position, q.at_most, q.kind), ("planner-1", 1, 2, QuestionKind::Several));
    assert_eq!(q.why, "Each part gets its own implementer.");
    assert!(q.options[0].recommended && q.options[0].label == "web");
    assert_eq!(w.engine, WizardEngine::Agent);
    assert!(w.note.is_none());

    let w = answer(&d, &w.id, &["1", "2"]);
    assert!(sent(&fake, 1).contains("Answer to question 1 (Which parts of the code will change?): web; core"));
    let q = w.question.clone().expect("a second question");
    assert_eq!((q.id.as_str(), q.kind, q.position), ("planner-2", QuestionKind::Text, 2));

    // An answer in the user's own words; it was the last question allowed.
    let w = answer(&d, &w.id, &["the", "checkout", "total"]);
    let told = sent(&fake, 2);
    assert!(told.contains("): the checkout total") && told.contains("last question allowed"), "{told}");
    let plan = w.plan.clone().expect("the plan");
    assert!(w.question.is_none());
    assert_eq!(plan.tasks.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["implement", "review"]);
    assert_eq!(plan.pattern.as_deref(), Some("planner"));
    assert_eq!(w.answers.iter().map(|a| a.values.join(",")).collect::<Vec<_>>(), ["web,core", "the checkout total"]);

    // Launched like a guided plan: the planner's questions are the session's decisions.
    let launched = d.client.wizard_launch(&w.id, &WizardLaunch { run: false }).unwrap();
    assert_eq!(launched.tasks.len(), 2);
    let context = d.client.context_export(&s).unwrap();
    let decided: Vec<_> = context.decisions.iter().map(|x| (x.question.as_str(), x.answer.as_deref())).collect();
    assert!(decided.contains(&("What must not break?", Some("the checkout total"))), "{decided:?}");
    // Its work done, the planner's process ends; its lane stays.
    let deadline = Instant::now() + Duration::from_secs(30);
    while d.client.agent_get(&planner.agent_id).unwrap().state != AgentState::Exited {
        assert!(Instant::now() < deadline, "the planner still runs after the launch");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_plan_that_fails_validation_is_asked_for_again_then_accepted() {
    let d = TestDaemon::start();
    let s = session(&d);
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text(BAD_PLAN), Step::text(PLAN)]))]);
    settings_write(&d, &fake, 5);
    let w = start(&d, &s);
    let w = replied(&d, &w.id);
    assert!(w.plan.is_some(), "{w:#?}");
    assert!(w.note.is_none(), "no fallback: {w:?}");
    assert_eq!(w.engine, WizardEngine::Agent);
    let reask = sent(&fake, 1);
    assert!(reask.contains("could not be used"), "{reask}");
    assert!(reask.contains("tasks[0].role: unknown role \"tester\""), "the error is in the message: {reask}");
    assert_eq!(fake.requests(KEY).iter().filter(|r| r.is_model_turn()).count(), 2);
}

#[test]
fn a_planner_answering_prose_twice_hands_over_to_the_guided_engine() {
    let d = TestDaemon::start();
    let s = session(&d);
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::text(Q1),
            Step::text("I think we should start with the web folder."),
            Step::text("Sure! The plan: one implementer, one reviewer."),
        ]),
    )]);
    settings_write(&d, &fake, 5);
    let w = start(&d, &s);
    let w = replied(&d, &w.id);
    assert_eq!(w.question.as_ref().unwrap().id, "planner-1");
    let w = answer(&d, &w.id, &["web"]);
    assert!(sent(&fake, 2).contains("could not be used: the reply is not a JSON object"), "{}", sent(&fake, 2));

    let note = w.note.clone().expect("the wizard says so");
    assert!(note.contains("replied twice with something Baton could not use"), "{note}");
    assert!(note.contains("the guided questions go on from here"), "{note}");
    assert_eq!(w.engine, WizardEngine::Guided);
    let q = w.question.clone().expect("a guided question");
    assert_eq!(q.id, "done", "the guided graph's first question");
    assert!(w.planner.as_ref().is_some_and(|p| !p.thinking), "the planner's lane stays named: {w:?}");
    assert_eq!(w.answers[0].question, "planner-1", "the planner's answers are kept: {:?}", w.answers);
    // The guided engine goes on as usual.
    let w = d.client.wizard_answer(&w.id, &WizardReply { answers: vec!["Codes apply at checkout".into()] }).unwrap();
    assert_ne!(w.question.as_ref().map(|q| q.id.as_str()), Some("done"));
}

#[test]
fn a_draft_outlives_a_daemon_restart_and_its_planner_resumes_its_session() {
    let d = TestDaemon::start();
    let s = session(&d);
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text(Q1), Step::text(PLAN)]))]);
    settings_write(&d, &fake, 5);
    let w = start(&d, &s);
    let w = replied(&d, &w.id);
    let agent_id = w.planner.as_ref().unwrap().agent_id.clone();
    let cli_session = d.client.agent_get(&agent_id).unwrap().cli_session_id.expect("claude reports its session");

    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    let shown = d.client.wizard_get(&w.id).unwrap();
    assert_eq!(shown.question, w.question, "the draft waits on the same question");
    assert_eq!(d.client.agent_get(&agent_id).unwrap().state, AgentState::Stopped);

    let w = answer(&d, &w.id, &["core"]);
    assert!(w.plan.is_some(), "{w:#?}");
    let agent = d.client.agent_get(&agent_id).unwrap();
    assert_eq!(agent.cli_session_id.as_deref(), Some(cli_session.as_str()), "the same CLI session continued");
    let last = fake.requests(KEY).into_iter().rfind(|r| r.is_model_turn()).unwrap();
    assert!(last.body.to_string().contains("Which parts of the code will change?"), "history resent on resume");
    let events: Vec<AgentEvent> = d
        .client
        .agent_events(
            &agent_id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert!(
        events.iter().any(|e| matches!(e, AgentEvent::UserText { text, .. } if text.contains("Answer to question 1")))
    );
}

#[test]
fn a_planner_cut_off_mid_turn_by_a_restart_is_sent_its_message_again() {
    let d = TestDaemon::start();
    let s = session(&d);
    let fake =
        FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text("slow").with_delay_ms(60_000), Step::text(Q1)]))]);
    settings_write(&d, &fake, 5);
    let w = start(&d, &s);
    let agent_id = w.planner.as_ref().unwrap().agent_id.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !fake.requests(KEY).iter().any(|r| r.is_model_turn()) {
        assert!(Instant::now() < deadline, "the planner never asked the model");
        std::thread::sleep(Duration::from_millis(50));
    }

    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    // The new daemon takes the draft up by itself: the planner's session resumes with the
    // message it had not answered, and its reply is read.
    let w = replied(&d, &w.id);
    assert_eq!(w.question.as_ref().map(|q| q.id.as_str()), Some("planner-1"), "{w:#?}");
    assert!(w.note.is_none(), "{w:?}");
    assert!(
        !d.client.agents_interrupted().unwrap().iter().any(|a| a.id == agent_id),
        "resumed, so not left for the user to resume"
    );
    assert!(sent(&fake, 1).contains("add discount codes"), "the first message again");
}

/// Codex and Gemini plan too, each started read-only its own way, each relaunched (resuming its
/// session) for the answer. The wizard names no CLI: the setting chooses it.
fn plans_with(cli: AgentCli, kind: CliKind, read_only: &[&str]) {
    let d = TestDaemon::start();
    let s = session(&d);
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text(Q1), Step::text(PLAN)]))]);
    settings_write_for(&d, &fake, cli, 5);
    let w = d
        .client
        .wizard_start(&WizardStart {
            session: s.clone(),
            goal: "add discount codes".into(),
            engine: Some(WizardEngine::Agent),
            cli: None,
        })
        .unwrap();
    let planner = w.planner.clone().unwrap();
    assert_eq!(planner.cli, kind);
    let w = replied(&d, &w.id);
    assert_eq!(w.question.as_ref().map(|q| q.id.as_str()), Some("planner-1"), "{w:#?}");
    let w = answer(&d, &w.id, &["web"]);
    assert!(w.plan.is_some() && w.note.is_none(), "{w:#?}");
    // The arguments of each process, as the agent's log (the record) notes its start.
    let log = d.client.agent_get(&planner.agent_id).unwrap().log_path;
    let starts: Vec<Vec<String>> = std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(e["line"].as_str()?).ok())
        .filter(|n| n["note"] == "process_started")
        .map(|n| serde_json::from_value(n["args"].clone()).unwrap())
        .collect();
    assert_eq!(starts.len(), 2, "one process per turn: {starts:?}");
    for args in &starts {
        assert!(args.windows(read_only.len()).any(|w| w == read_only), "{read_only:?} in {args:?}");
    }
}

#[test]
fn codex_plans_in_its_read_only_sandbox() {
    plans_with(AgentCli::Codex, CliKind::Codex, &["--sandbox", "read-only"]);
}

#[test]
fn gemini_plans_in_its_default_approval_mode() {
    plans_with(AgentCli::Gemini, CliKind::Gemini, &["--approval-mode", "default"]);
}
