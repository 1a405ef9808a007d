//! The task graph through the engine: dependencies of each kind, converging tasks, conditional
//! branches cancelled with the reason, refusals that say what to do.

use baton_core::error::ErrorCode;
use baton_core::session::SessionCreate;
use baton_core::task::{DepKind, TaskComplete, TaskCreate, TaskState};
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

fn engine() -> (tempfile::TempDir, Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let engine = Engine::open(BatonHome::at(tmp.path().join("home"))).unwrap();
    let repo = repo_new(tmp.path(), "repo");
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    (tmp, engine)
}

fn add(
    e: &Engine,
    name: &str,
    after: &[&str],
    if_succeeded: &[&str],
    if_failed: &[&str],
) -> baton_core::Result<baton_core::task::Task> {
    let list = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
    e.task_add(&TaskCreate {
        session: "s".into(),
        title: format!("Task {name}"),
        prompt: format!("do {name}"),
        name: Some(name.into()),
        after: list(after),
        if_succeeded: list(if_succeeded),
        if_failed: list(if_failed),
        ..TaskCreate::default()
    })
}

fn state(e: &Engine, name: &str) -> TaskState {
    e.task_get(name).unwrap().state
}

fn complete(e: &Engine, name: &str, state: TaskState) {
    e.task_complete(name, &TaskComplete { state, outcome: Some(format!("{name} ended")) }).unwrap();
}

#[test]
fn serial_and_converging_tasks_wait_for_all_they_depend_on() {
    let (_tmp, e) = engine();
    add(&e, "a", &[], &[], &[]).unwrap();
    add(&e, "b", &[], &[], &[]).unwrap();
    let c = add(&e, "c", &["a", "b"], &[], &[]).unwrap();
    assert_eq!(c.deps.len(), 2);
    assert!(c.deps.iter().all(|d| d.kind == DepKind::After));
    assert_eq!(
        (state(&e, "a"), state(&e, "b"), state(&e, "c")),
        (TaskState::Ready, TaskState::Ready, TaskState::Pending)
    );
    complete(&e, "a", TaskState::Done);
    assert_eq!(state(&e, "c"), TaskState::Pending, "a converging task waits for all");
    complete(&e, "b", TaskState::Done);
    assert_eq!(state(&e, "c"), TaskState::Ready);
    assert_eq!(e.task_get("a").unwrap().outcome.as_deref(), Some("a ended"));
}

#[test]
fn a_failure_runs_the_if_failed_branch_and_cancels_the_rest_saying_why() {
    let (_tmp, e) = engine();
    add(&e, "build", &[], &[], &[]).unwrap();
    add(&e, "ship", &[], &["build"], &[]).unwrap();
    add(&e, "fix", &[], &[], &["build"]).unwrap();
    add(&e, "announce", &["ship"], &[], &[]).unwrap();
    complete(&e, "build", TaskState::Failed);
    assert_eq!(state(&e, "fix"), TaskState::Ready);
    let ship = e.task_get("ship").unwrap();
    assert_eq!(ship.state, TaskState::Cancelled);
    assert!(ship.reason.unwrap().contains("build failed"));
    let announce = e.task_get("announce").unwrap();
    assert_eq!(announce.state, TaskState::Cancelled, "cancellation flows down the graph");
    assert!(announce.reason.unwrap().contains("ship was cancelled"));
    // Each dependency says where it stands, alike through a task and through the list.
    use baton_core::task::DepHolds;
    assert_eq!(ship.deps[0].holds, DepHolds::Never);
    assert_eq!(e.task_get("fix").unwrap().deps[0].holds, DepHolds::Met);
    let listed = e.task_list("s").unwrap();
    let holds = |name: &str| listed.iter().find(|t| t.name == name).unwrap().deps[0].holds;
    assert_eq!((holds("ship"), holds("fix"), holds("announce")), (DepHolds::Never, DepHolds::Met, DepHolds::Never));

    // The other way round: success cancels the if-failed branch.
    add(&e, "test", &[], &[], &[]).unwrap();
    add(&e, "on-red", &[], &[], &["test"]).unwrap();
    add(&e, "on-green", &[], &["test"], &[]).unwrap();
    complete(&e, "test", TaskState::Done);
    assert_eq!(state(&e, "on-green"), TaskState::Ready);
    assert!(e.task_get("on-red").unwrap().reason.unwrap().contains("test succeeded"));
}

#[test]
fn bad_tasks_are_refused_with_what_to_do() {
    let (_tmp, e) = engine();
    let err = add(&e, "x", &["ghost"], &[], &[]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("\"ghost\""), "{err}");
    add(&e, "a", &[], &[], &[]).unwrap();
    assert_eq!(add(&e, "a", &[], &[], &[]).unwrap_err().code(), ErrorCode::DuplicateName);
    let empty =
        e.task_add(&TaskCreate { session: "s".into(), title: "t".into(), prompt: " ".into(), ..TaskCreate::default() });
    assert!(empty.unwrap_err().to_string().contains("prompt is empty"));
    complete(&e, "a", TaskState::Done);
    let again = e.task_complete("a", &TaskComplete { state: TaskState::Failed, outcome: None }).unwrap_err();
    assert!(again.to_string().contains("already done"), "{again}");
    let wrong = e.task_complete("a", &TaskComplete { state: TaskState::Running, outcome: None }).unwrap_err();
    assert!(wrong.to_string().contains("done or failed"), "{wrong}");
    // A name from the title when none is given, made unique.
    let t1 = e
        .task_add(&TaskCreate {
            session: "s".into(),
            title: "Write the spec!".into(),
            prompt: "p".into(),
            ..TaskCreate::default()
        })
        .unwrap();
    let t2 = e
        .task_add(&TaskCreate {
            session: "s".into(),
            title: "Write the spec".into(),
            prompt: "p".into(),
            ..TaskCreate::default()
        })
        .unwrap();
    assert_eq!((t1.name.as_str(), t2.name.as_str()), ("write-the-spec", "write-the-spec-2"));
}

#[test]
fn tasks_last_across_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    {
        let e = Engine::open(home.clone()).unwrap();
        let repo = repo_new(tmp.path(), "repo");
        e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
            .unwrap();
        add(&e, "a", &[], &[], &[]).unwrap();
        add(&e, "b", &["a"], &[], &[]).unwrap();
        complete(&e, "a", TaskState::Done);
    }
    let e = Engine::open(home).unwrap();
    let tasks = e.task_list("s").unwrap();
    let got: Vec<(&str, TaskState)> = tasks.iter().map(|t| (t.name.as_str(), t.state)).collect();
    assert_eq!(got, [("a", TaskState::Done), ("b", TaskState::Ready)]);
}

#[test]
fn a_pattern_adds_its_task_graph_for_a_goal() {
    let (tmp, e) = engine();
    let list = e.pattern_list().unwrap();
    let tri = list.iter().find(|p| p.name == "tri-agent").expect("the tri-agent pattern ships");
    assert_eq!(tri.tasks, ["spec", "implement", "review"]);
    assert_eq!(tri.source, "built-in");

    let run = baton_core::pattern::PatternRun { session: "s".into(), goal: "add a rate limiter".into(), set: None };
    let tasks = e.pattern_run("tri-agent", &run).unwrap();
    let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["spec", "implement", "review"]);
    assert_eq!(tasks[0].title, "Specify: add a rate limiter");
    assert!(tasks[0].prompt.starts_with("You are the architect.") && tasks[0].prompt.contains("add a rate limiter"));
    assert!(tasks[1].prompt.contains("{spec}"), "filled when the task starts, from the spec's artifact");
    assert_eq!(tasks[1].role.as_deref(), Some("implementer"));
    assert_eq!(tasks[2].deps.len(), 1);
    assert_eq!(state(&e, "spec"), TaskState::Ready);
    assert_eq!(state(&e, "implement"), TaskState::Pending);
    // Again in the same session: its own tasks, not mixed with the first run's.
    let again = e.pattern_run("tri-agent", &run).unwrap();
    assert_eq!(again.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["spec-2", "implement-2", "review-2"]);

    // An archived session takes no new work.
    e.session_update("s", &baton_core::session::SessionUpdate { archived: Some(true), ..Default::default() }).unwrap();
    let refused = e.pattern_run("tri-agent", &run).unwrap_err();
    assert!(refused.to_string().contains("archived"), "{refused}");
    e.session_update("s", &baton_core::session::SessionUpdate { archived: Some(false), ..Default::default() }).unwrap();

    let empty = baton_core::pattern::PatternRun { session: "s".into(), goal: "  ".into(), set: None };
    assert!(e.pattern_run("tri-agent", &empty).unwrap_err().to_string().contains("goal is empty"));
    assert_eq!(e.pattern_run("nope", &run).unwrap_err().code(), ErrorCode::NotFound);

    // A user's template with a typo is listed with an error naming its file, line and field.
    let dir = tmp.path().join("home/templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mine.toml"), "name = \"mine\"\n[[tasks]]\nname = \"a\"\ntitel = \"t\"\nprompt = \"p\"\n")
        .unwrap();
    let list = e.pattern_list().unwrap();
    let err = list.iter().find(|p| p.name == "mine").and_then(|p| p.error.clone()).unwrap();
    assert!(err.contains("mine.toml, line 4") && err.contains("titel"), "{err}");
}

#[test]
fn every_added_task_is_announced_to_clients() {
    let (_tmp, e) = engine();
    let mut rx = e.events().subscribe();
    add(&e, "a", &[], &[], &[]).unwrap();
    add(&e, "b", &["a"], &[], &[]).unwrap();
    let mut seen = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let baton_core::events::EngineEvent::TaskUpdated { task } = event {
            seen.push((task.name, task.state));
        }
    }
    assert_eq!(seen, [("a".to_owned(), TaskState::Ready), ("b".to_owned(), TaskState::Pending)]);

    // When a ends, b is announced again even if it stays pending (c still holds it back): where
    // its dependency on a stands has changed.
    add(&e, "c", &[], &[], &[]).unwrap();
    add(&e, "d", &["a", "c"], &[], &[]).unwrap();
    while rx.try_recv().is_ok() {}
    complete(&e, "a", TaskState::Done);
    let mut d_holds = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let baton_core::events::EngineEvent::TaskUpdated { task } = event
            && task.name == "d"
        {
            assert_eq!(task.state, TaskState::Pending);
            d_holds = task.deps.iter().map(|dep| dep.holds).collect();
        }
    }
    use baton_core::task::DepHolds;
    assert_eq!(d_holds, [DepHolds::Met, DepHolds::Waiting], "d heard that a holds now, c not yet");
}

#[test]
fn a_task_add_waits_for_a_long_write_of_another_connection_instead_of_failing() {
    let (tmp, e) = engine();
    // Another writer holds the lock longer than the 5 s busy wait of old.
    let db = tmp.path().join("home").join("baton.db");
    let (held_tx, held) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        held_tx.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(6));
        conn.execute_batch("COMMIT").unwrap();
    });
    held.recv().unwrap();
    add(&e, "late", &[], &[], &[]).unwrap();
    holder.join().unwrap();
    assert_eq!(state(&e, "late"), TaskState::Ready);
}
