//! The shipped patterns with the real CLIs against the fake model server, each CLI scripted by
//! its own key: best-of-n with Claude, Codex and Gemini as candidates and a Claude judge, and a
//! hierarchical lead adding its sub-tasks through Baton's MCP tools. (The engine's side of every
//! pattern runs over a stand-in CLI in the core's tests.)

use std::time::{Duration, Instant};

use baton_core::api::TaskListQuery;
use baton_core::pattern::PatternRun;
use baton_core::session::SessionUpdate;
use baton_core::task::{Task, TaskState};
use baton_fake_model::{AgentCli, FakeModel, Scenario, Step};
use serde_json::json;

use crate::real_clis::{events, session, worktree};
use crate::support::TestDaemon;

const CLAUDE: &str = "baton-test-claude";
const CODEX: &str = "baton-test-codex";
const GEMINI: &str = "baton-test-gemini";

/// Settings for several CLIs, each with its own key (so each has its own script).
fn settings_write_each(d: &TestDaemon, each: &[(AgentCli, &FakeModel, &str)]) {
    let mut clis = serde_json::Map::new();
    for (cli, fake, key) in each {
        let setup =
            baton_fake_model::cli_setup(*cli, &fake.url(), key, &d.tmp.path().join(format!("{}-home", cli.name())));
        let env: serde_json::Map<String, serde_json::Value> =
            setup.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        clis.insert(
            cli.name().into(),
            json!({ "binary": baton_fake_model::cli_bin(*cli), "args": setup.args, "env": env }),
        );
    }
    std::fs::write(d.home.settings_file(), json!({ "clis": clis }).to_string()).unwrap();
}

fn tasks(d: &TestDaemon, s: &str) -> Vec<Task> {
    d.client.task_list(&TaskListQuery { session: s.to_owned() }).unwrap()
}

fn task_until(d: &TestDaemon, s: &str, name: &str, secs: u64, done: impl Fn(&Task) -> bool) -> Task {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let all = tasks(d, s);
        if let Some(t) = all.iter().find(|t| t.name == name)
            && done(t)
        {
            return t.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{name} never got there: {:#?}",
            all.iter().map(|t| (&t.name, t.state, &t.reason, &t.outcome)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn private_daemon() -> TestDaemon {
    // Gemini reads a settings file only from a home no other user may write to.
    let base = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(base).unwrap();
    let tmp = tempfile::tempdir_in(base).unwrap();
    let home = baton_core::BatonHome::at(tmp.path().join("home"));
    TestDaemon::start_in(tmp, home)
}

/// Claude, Codex and Gemini implement; Codex's work fails the check; the Claude judge answers
/// prose first, is asked again once, then picks Claude's work, which merges into the checkout.
#[test]
fn best_of_n_with_three_clis_checks_judges_and_merges_the_winner() {
    let d = private_daemon();
    let (s, repo) = session(&d);
    // Tasks start oldest first, each on a new agent named after its role.
    let claude_wt = worktree(&d, "implementer");
    let gemini_wt = worktree(&d, "implementer-3");
    let verdict = r#"{"winner": "implement-1", "scores": {"implement-1": 9, "implement-3": 7}, "reasons": "clearer"}"#;
    let fake = FakeModel::start([
        (
            CLAUDE.to_owned(),
            Scenario::new([
                Step::tool_call("Write", json!({"file_path": claude_wt.join("greet.txt"), "content": "hello\n"}))
                    .with_text("Writing it."),
                Step::text("Wrote greet.txt."),
                // The judge, on the same key, after the candidates.
                Step::text("Both look fine to me."),
                Step::text(verdict),
            ]),
        ),
        (CODEX.to_owned(), Scenario::new([Step::text("I changed nothing that works.")])),
        (
            GEMINI.to_owned(),
            Scenario::new([
                Step::tool_call("write_file", json!({"file_path": gemini_wt.join("greet.txt"), "content": "hi\n"}))
                    .with_text("Writing it."),
                Step::text("Wrote greet.txt."),
            ]),
        ),
    ]);
    settings_write_each(
        &d,
        &[(AgentCli::Claude, &fake, CLAUDE), (AgentCli::Codex, &fake, CODEX), (AgentCli::Gemini, &fake, GEMINI)],
    );
    d.client
        .session_update(&s, &SessionUpdate { auto_merge: Some(true), cycle_secs: Some(1), ..Default::default() })
        .unwrap();
    let check = "select.check=[ \"$BATON_CANDIDATE\" != implement-2 ] || { echo 'greeting test broke'; exit 1; }";
    d.client
        .pattern_run(
            "best-of-n",
            &PatternRun { session: s.clone(), goal: "a greeting file".into(), set: Some(vec![check.into()]) },
        )
        .unwrap();
    d.client.coordinator_run(&s).unwrap();
    let pick = task_until(&d, &s, "select", 240, |t| t.state.is_final() || t.state == TaskState::Blocked);
    assert_eq!(pick.state, TaskState::Done, "{pick:#?}");
    let outcome = pick.outcome.clone().unwrap();
    assert!(outcome.contains("implement-1 chosen (judge)") && outcome.contains("merged into"), "{outcome}");
    let sel = d.client.task_candidates("select").unwrap();
    let by = |n: &str| sel.candidates.iter().find(|c| c.name == n).unwrap().clone();
    assert_eq!(
        [by("implement-1").cli, by("implement-2").cli, by("implement-3").cli].map(|c| c.map(|c| c.as_str())),
        [Some("claude"), Some("codex"), Some("gemini")]
    );
    assert!(!by("implement-2").passed && by("implement-2").check_output.unwrap().contains("greeting test broke"));
    assert!(by("implement-1").chosen && by("implement-3").passed);
    assert_eq!(sel.reasons.as_deref(), Some("clearer"));
    let judge = pick.agent_id.clone().unwrap();
    let judge_events = events(&d, &judge);
    let asked = judge_events
        .iter()
        .filter(|e| matches!(e, baton_core::agent::AgentEvent::UserText { text, .. } if text.contains("not the verdict asked for")))
        .count();
    assert_eq!(asked, 1, "the judge was asked again once: {judge_events:#?}");
    assert_eq!(std::fs::read_to_string(repo.join("greet.txt")).unwrap(), "hello\n", "the winner merged");
}

/// A lead (Claude) adds two sub-tasks through Baton's MCP tools; they run on Gemini; the lead is
/// told when both have ended and finishes its task.
#[test]
fn a_hierarchical_lead_adds_sub_tasks_through_mcp_and_finishes_once_told() {
    let d = private_daemon();
    let (s, _repo) = session(&d);
    let template = r#"
name = "lead-test"
description = "a lead and its researchers"
[roles.lead]
cli = "claude"
[roles.researcher]
cli = "gemini"
[[tasks]]
name = "lead"
role = "lead"
title = "Lead: {goal}"
prompt = "Split {goal} into two questions with task_add."
delegate = { roles = ["researcher"], depth = 1, count = 2 }
"#;
    std::fs::create_dir_all(d.home.root().join("templates")).unwrap();
    std::fs::write(d.home.root().join("templates/lead-test.toml"), template).unwrap();
    let fake = FakeModel::start([
        (
            CLAUDE.to_owned(),
            Scenario::new([
                Step::tool_call(
                    "mcp__baton__task_add",
                    json!({"title": "Where is the parser", "name": "q1", "prompt": "Find the parser."}),
                ),
                Step::tool_call(
                    "mcp__baton__task_add",
                    json!({"title": "How is it tested", "name": "q2", "prompt": "Find its tests.", "role": "researcher"}),
                ),
                Step::text("Two questions are out."),
                Step::text("Summary: the parser is in src/parse.rs and tested in tests/parse.rs."),
            ]),
        ),
        (GEMINI.to_owned(), Scenario::new([Step::text("In src/parse.rs."), Step::text("In tests/parse.rs.")])),
    ]);
    settings_write_each(&d, &[(AgentCli::Claude, &fake, CLAUDE), (AgentCli::Gemini, &fake, GEMINI)]);
    d.client.session_update(&s, &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    d.client
        .pattern_run("lead-test", &PatternRun { session: s.clone(), goal: "the parser".into(), set: None })
        .unwrap();
    d.client.coordinator_run(&s).unwrap();
    let lead = task_until(&d, &s, "lead", 240, |t| t.state.is_final() || t.state == TaskState::Blocked);
    assert_eq!(lead.state, TaskState::Done, "{lead:#?}");
    assert!(lead.summary.as_deref().unwrap().contains("Summary: the parser"), "{lead:#?}");
    let all = tasks(&d, &s);
    for name in ["q1", "q2"] {
        let t = all.iter().find(|t| t.name == name).unwrap();
        assert_eq!(
            (t.state, t.parent_id.as_deref(), t.cli.map(|c| c.as_str())),
            (TaskState::Done, Some(lead.id.as_str()), Some("gemini"))
        );
    }
    let told = events(&d, lead.agent_id.as_deref().unwrap())
        .iter()
        .filter(|e| matches!(e, baton_core::agent::AgentEvent::UserText { text, .. } if text.contains("Your sub-tasks have ended")))
        .count();
    assert_eq!(told, 1);
}

/// Three researchers (Codex, Gemini, Codex) in parallel; the Claude synthesiser gets all three
/// results in its prompt and its report cites each.
#[test]
fn research_synthesis_hands_every_researcher_to_the_synthesiser() {
    let d = private_daemon();
    let (s, _repo) = session(&d);
    let report = "# Report\n\nThe cache lives in src/cache.rs (research-1), is evicted by size (research-2) and \
                  is never invalidated on writes (research-3).";
    let fake = FakeModel::start([
        (
            CODEX.to_owned(),
            Scenario::new([Step::text("FOUND-A: src/cache.rs"), Step::text("FOUND-C: no invalidation")]),
        ),
        (GEMINI.to_owned(), Scenario::new([Step::text("FOUND-B: evicted by size")])),
        (CLAUDE.to_owned(), Scenario::new([Step::text(report)])),
    ]);
    settings_write_each(
        &d,
        &[(AgentCli::Claude, &fake, CLAUDE), (AgentCli::Codex, &fake, CODEX), (AgentCli::Gemini, &fake, GEMINI)],
    );
    d.client.session_update(&s, &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    let set = Some(vec!["research.clis=codex,gemini,codex".into()]);
    let added = d
        .client
        .pattern_run("research-synthesis", &PatternRun { session: s.clone(), goal: "how the cache works".into(), set })
        .unwrap();
    assert_eq!(
        added.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["research-1", "research-2", "research-3", "synthesis"]
    );
    d.client.coordinator_run(&s).unwrap();
    let synthesis = task_until(&d, &s, "synthesis", 240, |t| t.state.is_final() || t.state == TaskState::Blocked);
    assert_eq!(synthesis.state, TaskState::Done, "{synthesis:#?}");
    let sent = synthesis.sent_prompt.clone().unwrap();
    for found in ["FOUND-A", "FOUND-B", "FOUND-C"] {
        assert!(sent.contains(found), "{found} in {sent}");
    }
    let artifacts = d
        .client
        .artifact_list(&baton_core::api::ArtifactListQuery { session: s.clone(), task: Some(synthesis.id.clone()) })
        .unwrap();
    let result = artifacts.iter().find(|a| a.title == "synthesis: result").unwrap();
    let body = d.client.artifact_get(&result.id).unwrap().body;
    for r in ["research-1", "research-2", "research-3"] {
        assert!(body.contains(r), "the report cites {r}: {body}");
    }
    let status = d.client.session_status(&s).unwrap();
    assert!(status.objectives.iter().any(|o| o.text.contains("how the cache works")), "the goal is an objective");
    // The researchers' role only reads: each CLI was started in its read-only mode.
    for (task, read_only) in
        [("research-1", ["--sandbox", "read-only"]), ("research-2", ["--approval-mode", "default"])]
    {
        let agent = task_until(&d, &s, task, 1, |t| t.agent_id.is_some()).agent_id.unwrap();
        let log = std::fs::read_to_string(d.client.agent_get(&agent).unwrap().log_path).unwrap();
        let started: Vec<Vec<String>> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|entry| serde_json::from_str::<serde_json::Value>(entry["line"].as_str()?).ok())
            .filter(|note| note["note"] == "process_started")
            .map(|note| serde_json::from_value(note["args"].clone()).unwrap())
            .collect();
        assert!(!started.is_empty(), "{task}: no process started in {log}");
        for args in &started {
            assert!(args.windows(2).any(|w| w == read_only), "{task} started read-only ({read_only:?}): {args:?}");
        }
    }
}

/// Claude implements; three Gemini reviewers vote, two approve: the majority decides.
#[test]
fn consensus_goes_to_the_majority_of_the_reviewers() {
    let d = private_daemon();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([
        (CLAUDE.to_owned(), Scenario::new([Step::text("Implemented.")])),
        (
            GEMINI.to_owned(),
            Scenario::new([
                Step::text(r#"{"choice": "approve", "reasons": "fine"}"#),
                Step::text(r#"{"choice": "request_changes", "reasons": "no tests"}"#),
                Step::text(r#"{"choice": "approve", "reasons": "good"}"#),
            ]),
        ),
    ]);
    settings_write_each(&d, &[(AgentCli::Claude, &fake, CLAUDE), (AgentCli::Gemini, &fake, GEMINI)]);
    d.client.session_update(&s, &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    let set = Some(vec!["review.clis=gemini,gemini,gemini".into()]);
    d.client.pattern_run("consensus", &PatternRun { session: s.clone(), goal: "a greeting".into(), set }).unwrap();
    d.client.coordinator_run(&s).unwrap();
    let decide = task_until(&d, &s, "decide", 240, |t| t.state.is_final() || t.state == TaskState::Blocked);
    assert_eq!(decide.state, TaskState::Done, "{decide:#?}");
    let sel = d.client.task_candidates("decide").unwrap();
    assert_eq!((sel.winner.as_deref(), sel.decided_by.as_deref()), (Some("approve"), Some("majority")));
    assert_eq!(
        sel.tally.iter().map(|t| (t.choice.as_str(), t.votes)).collect::<Vec<_>>(),
        [("approve", 2), ("request_changes", 1)]
    );
}
