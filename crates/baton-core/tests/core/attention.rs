//! The tray's summary over a real store: an agent asking for a tool makes it "needs you" with an
//! entry that opens the agent, a failed task makes it "failed", what agents cost today is added
//! up, pause all shows, and answering everything makes it all well again.

use std::path::Path;
use std::time::{Duration, Instant};

use baton_core::agent::AgentSpawn;
use baton_core::agent::protocol::CliKind;
use baton_core::attention::{AttentionLevel, AttentionSummary};
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::task::{TaskComplete, TaskCreate, TaskState};
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

fn until(e: &Engine, what: &str, done: impl Fn(&AttentionSummary) -> bool) -> AttentionSummary {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let summary = e.attention().unwrap();
        if done(&summary) {
            return summary;
        }
        assert!(Instant::now() < deadline, "never {what}; summary {summary:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_attention_summary_shows_the_worst_state_and_what_needs_the_user() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    std::fs::create_dir_all(home.root()).unwrap();
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    let settings = serde_json::json!({"clis": {"claude": {"binary": fake, "env": {"FAKE_DIR": tmp.path()}}}});
    std::fs::write(home.settings_file(), settings.to_string()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let e = {
        let _enter = rt.enter();
        Engine::open(home).unwrap()
    };
    let repo = repo_new(tmp.path(), "repo");
    let session = e
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let quiet = e.attention().unwrap();
    assert_eq!(quiet.level, AttentionLevel::Well);
    assert_eq!(quiet.line, "0 working, $0.00 today");

    let asker = e
        .agent_spawn(&AgentSpawn {
            session: "s".into(),
            cli: CliKind::Claude,
            prompt: "DENY: run the tests".into(),
            name: Some("asker".into()),
            model: None,
            allow_tools: vec![],
            program: vec![],
            cwd: None,
        })
        .unwrap();
    let asking = until(&e, "needed the user", |s| s.needs_you == 1 && s.cost_today_usd > 0.0);
    assert_eq!(asking.level, AttentionLevel::NeedsYou);
    assert_eq!(asking.entries.len(), 1);
    assert_eq!(asking.entries[0].label, "s: asker asks to use Bash");
    assert_eq!(asking.entries[0].route, format!("#/session/{}/agent/{}", session.id, asker.id));
    assert_eq!(asking.line, "0 working, 1 needs you, <$0.01 today", "the fake costs $0.001 a turn");

    e.task_add(&TaskCreate {
        session: "s".into(),
        title: "Task risky".into(),
        prompt: "do it".into(),
        name: Some("risky".into()),
        ..TaskCreate::default()
    })
    .unwrap();
    e.task_complete("risky", &TaskComplete { state: TaskState::Failed, outcome: Some("it broke".into()) }).unwrap();
    let failed = e.attention().unwrap();
    assert_eq!((failed.level, failed.failed, failed.needs_you), (AttentionLevel::Failed, 1, 1));
    assert_eq!(failed.entries[0].label, "s: Task risky failed", "failures come first");
    assert_eq!(failed.entries[0].route, format!("#/session/{}/tasks", session.id));
    assert!(failed.line.contains("1 needs you, 1 failed"), "{}", failed.line);

    e.agents_pause_all().unwrap();
    assert!(e.attention().unwrap().line.starts_with("Paused: "));
    assert!(e.attention().unwrap().paused_all);
    e.agents_resume_all().unwrap();

    // Answered: the tool approved, the session archived (its failed task with it).
    e.agent_approve("asker", "Bash", false).unwrap();
    until(&e, "dropped the approved request", |s| s.needs_you == 0);
    e.session_update("s", &SessionUpdate { archived: Some(true), ..Default::default() }).unwrap();
    let done = e.attention().unwrap();
    assert_eq!(done.level, AttentionLevel::Well);
    assert!(done.entries.is_empty());
    assert!(done.cost_today_usd > 0.0, "what was spent today stays spent");
    drop(e);
    rt.shutdown_timeout(Duration::from_secs(5));
}
