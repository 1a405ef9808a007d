//! The tri-agent pattern end to end through the daemon, with the real Claude Code (architect
//! and implementer) and the real Gemini CLI (reviewer) against the fake model server, each
//! role scripted: the reviewer asks for changes once, the implementer fixes, the reviewer
//! approves, and the implementer's branch merges.

use std::time::{Duration, Instant};

use baton_core::artifact::ArtifactKind;
use baton_core::pattern::PatternRun;
use baton_core::session::{CoordinatorState, SessionCreate, SessionUpdate};
use baton_core::task::TaskState;
use baton_fake_model::{AgentCli, FakeModel, Scenario, Step, cli_bin, cli_setup};
use serde_json::json;

use crate::support::{TestDaemon, repo_new};

const CLAUDE_KEY: &str = "claude-roles";
const GEMINI_KEY: &str = "gemini-reviewer";

const SPEC: &str = "# Greeting file\n\nCreate greet.txt holding the single line `hello`.";

/// Points the daemon's Claude and Gemini at the fake server, each with its own key, and puts the
/// reviewer on Gemini: the shipped template with that one change, as a user's template of the
/// same name (which wins).
fn roles_set(d: &TestDaemon, fake: &FakeModel) {
    let mut clis = serde_json::Map::new();
    for (cli, key) in [(AgentCli::Claude, CLAUDE_KEY), (AgentCli::Gemini, GEMINI_KEY)] {
        let setup = cli_setup(cli, &fake.url(), key, &d.tmp.path().join(format!("{}-home", cli.name())));
        let env: serde_json::Map<String, serde_json::Value> =
            setup.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        clis.insert(cli.name().into(), json!({"binary": cli_bin(cli), "args": setup.args, "env": env}));
    }
    std::fs::write(d.home.settings_file(), json!({ "clis": clis }).to_string()).unwrap();
    let shipped = include_str!("../../../../templates/tri-agent.toml");
    let mine = shipped.replace("[roles.reviewer]\ncli = \"claude\"", "[roles.reviewer]\ncli = \"gemini\"");
    assert_ne!(mine, shipped);
    std::fs::create_dir_all(d.home.root().join("templates")).unwrap();
    std::fs::write(d.home.root().join("templates/tri-agent.toml"), mine).unwrap();
}

/// Session `s` on a new repository, cycling every second; its repository and record.
fn session_new(d: &TestDaemon) -> (std::path::PathBuf, baton_core::session::Session) {
    let repo = repo_new(d.tmp.path(), "repo");
    let session = d
        .client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    d.client.session_update("s", &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    (repo, session)
}

/// The implementer writing greet.txt in its worktree (known before it starts: agents are named
/// after their role).
fn write_step(d: &TestDaemon, content: &str) -> Step {
    let work = d.home.worktrees_dir().join("repo").join("implementer");
    Step::tool_call("Write", json!({"file_path": work.join("greet.txt"), "content": content}))
        .with_text("Writing greet.txt.")
}

/// Waits for the coordinator to complete; the cycle counts seen on the way.
fn until_complete(d: &TestDaemon) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut cycles_seen = Vec::new();
    loop {
        let status = d.client.coordinator_status("s").unwrap();
        cycles_seen.push(status.cycles);
        if status.state == CoordinatorState::Complete {
            return cycles_seen;
        }
        if Instant::now() > deadline {
            let tasks: Vec<String> = d
                .client
                .task_list(&baton_core::api::TaskListQuery { session: "s".into() })
                .unwrap()
                .iter()
                .map(|t| format!("{} {} {:?} {:?}", t.name, t.state.as_str(), t.agent_id, t.reason))
                .collect();
            let agents: Vec<String> = d
                .client
                .agent_list(&baton_core::api::AgentListQuery { session: Some("s".to_string()), archived: None })
                .unwrap()
                .iter()
                .map(|a| {
                    format!("{} {} {} turns {} session {:?}", a.id, a.name, a.state.as_str(), a.turns, a.cli_session_id)
                })
                .collect();
            panic!(
                "the pattern never completed: {tasks:#?}\n{agents:#?}\nlast cycle: {:?}",
                status.last.map(|c| c.summary)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_tri_agent_pattern_runs_with_real_clis_through_a_review_round() {
    let d = TestDaemon::start();
    let (repo, session) = session_new(&d);
    let write = |content: &str| write_step(&d, content);
    let changes = json!({"verdict": "request_changes", "findings": [
        {"file": "greet.txt", "line": 1, "severity": "error", "message": "typo: helo should be hello"}
    ]});
    let fake = FakeModel::start([
        (
            CLAUDE_KEY.to_owned(),
            Scenario::new([
                Step::text(SPEC),
                write("helo\n"),
                Step::text("Implemented greet.txt."),
                write("hello\n"),
                Step::text("Fixed the typo in greet.txt."),
            ]),
        ),
        (
            GEMINI_KEY.to_owned(),
            Scenario::new([
                Step::text(format!("```json\n{changes}\n```")),
                Step::text(json!({"verdict": "approve", "findings": []}).to_string()),
            ]),
        ),
    ]);
    roles_set(&d, &fake);

    let tasks = d
        .client
        .pattern_run("tri-agent", &PatternRun { session: "s".into(), goal: "a greeting file".into(), set: None })
        .unwrap();
    assert_eq!(tasks.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["spec", "implement", "review"]);
    d.client.coordinator_run("s").unwrap();
    let cycles_seen = until_complete(&d);
    assert!(
        cycles_seen.windows(2).all(|w| w[0] <= w[1]) && cycles_seen.last() > cycles_seen.first(),
        "the count grows"
    );

    let tasks = d.client.task_list(&baton_core::api::TaskListQuery { session: "s".into() }).unwrap();
    assert!(tasks.iter().all(|t| t.state == TaskState::Done), "{tasks:#?}");
    let task = |name: &str| tasks.iter().find(|t| t.name == name).unwrap().clone();
    assert_eq!(task("review").rounds, 2);
    assert!(task("implement").outcome.unwrap().contains("approved by review in round 2"));

    // Each role on its own agent and CLI; the implementer got the spec and then the findings.
    let agents = d
        .client
        .agent_list(&baton_core::api::AgentListQuery { session: Some("s".to_string()), archived: None })
        .unwrap();
    let agent = |role: &str| agents.iter().find(|a| a.role.as_deref() == Some(role)).unwrap().clone();
    assert_eq!(agents.len(), 3, "{agents:#?}");
    assert_eq!(agent("reviewer").cli, baton_core::agent::protocol::CliKind::Gemini);
    let implementer = agent("implementer");
    assert!(implementer.prompt.contains("Create greet.txt holding the single line"), "{}", implementer.prompt);
    let said: Vec<String> = d
        .client
        .agent_events(
            &implementer.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(10_000), ..Default::default() },
        )
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            baton_core::agent::AgentEvent::UserText { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert!(said.iter().any(|t| t.contains("typo: helo should be hello")), "{said:?}");
    // The reviewer saw the diff, then the fixed one.
    let reviews: Vec<String> =
        fake.requests(GEMINI_KEY).iter().filter(|r| r.is_model_turn()).map(|r| r.body.to_string()).collect();
    assert!(reviews.len() >= 2, "{}", reviews.len());
    assert!(reviews[0].contains("+helo") && reviews.last().unwrap().contains("+hello"));

    // Artifacts for each step, found by search.
    let arts = d.client.artifact_list(&baton_core::api::ArtifactListQuery { session: "s".into(), task: None }).unwrap();
    let has = |task: &str, kind: ArtifactKind| {
        let id = &tasks.iter().find(|t| t.name == task).unwrap().id;
        arts.iter().any(|a| a.task_id.as_ref() == Some(id) && a.kind == kind)
    };
    assert!(has("spec", ArtifactKind::Markdown));
    assert!(has("implement", ArtifactKind::Markdown) && has("implement", ArtifactKind::Diff));
    assert!(has("review", ArtifactKind::Verdict));
    let hits = d
        .client
        .artifact_search(&baton_core::api::ArtifactSearchQuery {
            q: "typo".into(),
            session: Some("s".to_string()),
            limit: None,
        })
        .unwrap();
    assert!(hits.iter().any(|h| h.artifact.kind == ArtifactKind::Verdict), "{hits:#?}");
    let spec_hits = d
        .client
        .artifact_search(&baton_core::api::ArtifactSearchQuery {
            q: "greeting".into(),
            session: Some(session.id.clone()),
            limit: None,
        })
        .unwrap();
    assert!(spec_hits.iter().any(|h| h.artifact.title == "spec: result"), "{spec_hits:#?}");

    // Merge stays the user's click: the branch merges cleanly, with the fixed file.
    assert!(!repo.join("greet.txt").exists());
    let merged = d.client.agent_merge(&implementer.id, &Default::default()).unwrap();
    assert!(merged.ok, "{merged:?}");
    assert_eq!(std::fs::read_to_string(repo.join("greet.txt")).unwrap(), "hello\n");
    assert!(!repo.join(".baton").exists(), "hand-off files are not merged");

    let status = d.client.session_status("s").unwrap();
    assert!(status.cost_usd > 0.0 && status.artifacts >= 5, "{status:#?}");
}

#[test]
fn a_daemon_restart_mid_pattern_resumes_the_implementer_and_repeats_nothing() {
    let d = TestDaemon::start();
    let (repo, _) = session_new(&d);
    let fake = FakeModel::start([
        (
            CLAUDE_KEY.to_owned(),
            Scenario::new([
                Step::text(SPEC),
                // In flight when the daemon stops: the answer never arrives.
                write_step(&d, "hello\n").with_delay_ms(20_000),
                write_step(&d, "hello\n"),
                Step::text("Implemented greet.txt after the restart."),
            ]),
        ),
        (GEMINI_KEY.to_owned(), Scenario::new([Step::text(json!({"verdict": "approve", "findings": []}).to_string())])),
    ]);
    roles_set(&d, &fake);
    d.client
        .pattern_run("tri-agent", &PatternRun { session: "s".into(), goal: "a greeting file".into(), set: None })
        .unwrap();
    d.client.coordinator_run("s").unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while fake.requests(CLAUDE_KEY).iter().filter(|r| r.is_model_turn()).count() < 2 {
        assert!(
            Instant::now() < deadline,
            "the implementer never asked the model: {:#?}",
            d.client.task_list(&baton_core::api::TaskListQuery { session: "s".into() })
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let spec_artifacts = d
        .client
        .artifact_list(&baton_core::api::ArtifactListQuery { session: "s".into(), task: Some("spec".into()) })
        .unwrap()
        .len();
    assert!(spec_artifacts >= 1);
    let implementer = d.client.task_get("implement").unwrap().agent_id.unwrap();

    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    until_complete(&d);
    let tasks = d.client.task_list(&baton_core::api::TaskListQuery { session: "s".into() }).unwrap();
    assert!(tasks.iter().all(|t| t.state == TaskState::Done), "{tasks:#?}");
    assert!(tasks.iter().all(|t| t.attempts == 1), "nothing started twice: {tasks:#?}");
    assert_eq!(
        d.client
            .artifact_list(&baton_core::api::ArtifactListQuery { session: "s".into(), task: Some("spec".into()) })
            .unwrap()
            .len(),
        spec_artifacts,
        "no artifact lost or redone"
    );
    let implement = tasks.iter().find(|t| t.name == "implement").unwrap();
    assert_eq!(implement.agent_id.as_deref(), Some(implementer.as_str()), "the same agent resumed");
    assert_eq!(
        d.client
            .agent_list(&baton_core::api::AgentListQuery { session: Some("s".to_string()), archived: None })
            .unwrap()
            .len(),
        3
    );
    let model_turns = fake.requests(CLAUDE_KEY).iter().filter(|r| r.is_model_turn()).count();
    assert_eq!(model_turns, 4, "the spec was not written again");
    let merged = d.client.agent_merge(&implementer, &Default::default()).unwrap();
    assert!(merged.ok, "{merged:?}");
    assert_eq!(std::fs::read_to_string(repo.join("greet.txt")).unwrap(), "hello\n");
}
