//! The inbox over a real store: a permission request, a failed task, approved work and a pending
//! decision each show, and each leaves once answered (approved, merged, decided, archived).

use std::path::Path;
use std::time::{Duration, Instant};

use baton_core::agent::AgentSpawn;
use baton_core::agent::protocol::CliKind;
use baton_core::inbox::{InboxItem, InboxKind};
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::task::{TaskCreate, TaskState};
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

fn until(e: &Engine, what: &str, done: impl Fn(&Engine) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(e) {
        assert!(Instant::now() < deadline, "never {what}; inbox {:?}", e.inbox().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kinds(items: &[InboxItem]) -> Vec<InboxKind> {
    let mut kinds: Vec<InboxKind> = items.iter().map(|i| i.kind).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    kinds
}

#[test]
fn the_inbox_lists_what_waits_for_the_user_until_it_is_answered() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let verdicts = tmp.path().join("verdicts");
    std::fs::write(&verdicts, "{\\\"verdict\\\":\\\"approve\\\",\\\"findings\\\":[]}\n").unwrap();
    std::fs::create_dir_all(home.root()).unwrap();
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    // Unconfined: the fake CLI talks with the test through files under the /tmp a sandbox hides.
    let settings = serde_json::json!({"agents": {"sandbox": "off"}, "clis": {"claude": {"binary": fake, "env": {
        "FAKE_VERDICTS": verdicts, "FAKE_DIR": tmp.path()
    }}}});
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
    e.session_update("s", &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    assert!(e.inbox().unwrap().is_empty(), "a new session needs nothing");

    let decision = e.decision_add("s", "Which database?\nPostgres or SQLite").unwrap();
    let task = |name: &str, prompt: &str, after: &[&str], reviews: Option<&str>| {
        e.task_add(&TaskCreate {
            session: "s".into(),
            title: format!("Task {name}"),
            prompt: prompt.into(),
            name: Some(name.into()),
            after: after.iter().map(|s| (*s).to_owned()).collect(),
            reviews: reviews.map(Into::into),
            ..TaskCreate::default()
        })
        .unwrap()
    };
    let build = task("build", "build it", &[], None);
    task("check", "Review {diff}. Answer with JSON only", &["build"], Some("build"));
    let risky = task("risky", "FAIL at this", &[], None);
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
    e.coordinator_start("s").unwrap();
    until(&e, "listed the four kinds", |e| {
        kinds(&e.inbox().unwrap())
            == [InboxKind::Decision, InboxKind::Permission, InboxKind::ReviewToMerge, InboxKind::TaskFailed]
    });

    let items = e.inbox().unwrap();
    assert!(items.windows(2).all(|w| w[0].since <= w[1].since), "oldest first");
    assert!(items.iter().all(|i| i.session_id == session.id && i.session_name == "s"));
    let permission = items.iter().find(|i| i.kind == InboxKind::Permission).unwrap();
    assert_eq!(permission.agent_id.as_deref(), Some(asker.id.as_str()));
    assert_eq!(permission.tool.as_deref(), Some("Bash"));
    assert_eq!(permission.title, "asker asks to use Bash");
    assert_eq!(permission.detail, "npm test", "the tool's command");
    let pending = e.agent_get("asker").unwrap().pending;
    assert_eq!(permission.permission_id.as_deref(), Some(pending[0].id.as_str()));
    let failed = items.iter().find(|i| i.kind == InboxKind::TaskFailed).unwrap();
    assert_eq!(failed.task_id.as_deref(), Some(risky.id.as_str()));
    assert!(failed.agent_name.is_some(), "names the agent that failed it");
    let review = items.iter().find(|i| i.kind == InboxKind::ReviewToMerge).unwrap();
    let builder = e.task_get("build").unwrap().agent_id.unwrap();
    assert_eq!(
        (review.task_id.as_deref(), review.agent_id.as_deref()),
        (Some(build.id.as_str()), Some(builder.as_str()))
    );
    assert!(review.detail.contains("approved by check"), "{}", review.detail);
    let asked = items.iter().find(|i| i.kind == InboxKind::Decision).unwrap();
    assert_eq!((asked.decision_id.as_deref(), asked.title.as_str()), (Some(decision.id.as_str()), "Which database?"));

    // Each answer takes its item away.
    e.agent_approve("asker", "Bash", false).unwrap();
    until(&e, "dropped the approved request", |e| !e.inbox().unwrap().iter().any(|i| i.kind == InboxKind::Permission));
    let merged = e.agent_merge(&builder, &Default::default()).unwrap();
    assert!(merged.ok, "{merged:?}");
    e.decision_decide("s", &decision.id, "SQLite").unwrap();
    assert_eq!(kinds(&e.inbox().unwrap()), [InboxKind::TaskFailed]);
    assert_eq!(e.task_get("risky").unwrap().state, TaskState::Failed);

    // An archived session asks for nothing.
    e.coordinator_stop("s").unwrap();
    e.session_update("s", &SessionUpdate { archived: Some(true), ..Default::default() }).unwrap();
    assert!(e.inbox().unwrap().is_empty());
    drop(e);
    rt.shutdown_timeout(Duration::from_secs(5));
}
