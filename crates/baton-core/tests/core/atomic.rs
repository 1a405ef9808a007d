//! Flows that write many rows are all-or-nothing: a failure injected half-way (a SQLite trigger
//! that aborts one insert, as a full disk or a constraint would) leaves every table exactly as it
//! was and publishes nothing; the same flow without the fault commits and is announced.

use baton_core::context::{ContextImport, ObjectiveState};
use baton_core::pattern::PatternRun;
use baton_core::session::SessionCreate;
use baton_core::task::{TaskCreate, TaskState};
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

fn engine() -> (tempfile::TempDir, Engine, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let db = home.db_path();
    let engine = Engine::open(home).unwrap();
    let repo = repo_new(tmp.path(), "repo");
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    (tmp, engine, db)
}

/// Every row of every table, as text: the whole store, to compare before and after.
fn dump(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut rows = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\" ORDER BY rowid")).unwrap_or_else(|_| {
            conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap() // tables without a rowid
        });
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect();
            rows.push(format!("{t}: {}", cells.join(" | ")));
        }
    }
    rows
}

/// Makes inserting a row into `table` whose `column` is `value` fail, as a fault would.
fn fault(db: &std::path::Path, table: &str, column: &str, value: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER injected_fault BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' \
         BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
    ))
    .unwrap();
}

fn fault_clear(db: &std::path::Path) {
    rusqlite::Connection::open(db).unwrap().execute_batch("DROP TRIGGER injected_fault").unwrap();
}

#[test]
fn a_pattern_run_that_fails_half_way_leaves_nothing_and_says_nothing() {
    let (_tmp, e, db) = engine();
    // Something already there, which must stay as it is.
    e.task_add(&TaskCreate {
        session: "s".into(),
        title: "Earlier".into(),
        prompt: "p".into(),
        ..TaskCreate::default()
    })
    .unwrap();
    let before = dump(&db);
    let mut rx = e.events().subscribe();

    fault(&db, "tasks", "name", "review"); // the third task of three
    let run = PatternRun { session: "s".into(), goal: "add a rate limiter".into(), set: None };
    let err = e.pattern_run("tri-agent", &run).unwrap_err();
    assert!(err.to_string().contains("injected fault"), "{err}");
    assert_eq!(dump(&db), before, "the store is exactly as before");
    assert!(rx.try_recv().is_err(), "nothing was published");

    fault_clear(&db);
    let tasks = e.pattern_run("tri-agent", &run).unwrap();
    assert_eq!(tasks.len(), 3);
    let mut announced = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let baton_core::events::EngineEvent::TaskUpdated { task } = event {
            announced.push((task.name, task.state));
        }
    }
    // Each task once, in its state after the whole graph moved (spec is ready at once).
    assert_eq!(
        announced,
        [
            ("spec".to_owned(), TaskState::Ready),
            ("implement".to_owned(), TaskState::Pending),
            ("review".to_owned(), TaskState::Pending)
        ]
    );
}

#[test]
fn a_context_import_that_fails_half_way_leaves_nothing_and_says_nothing() {
    let (tmp, e, db) = engine();
    e.objective_add("s", "Ship the parser").unwrap();
    let done = e.objective_add("s", "Write the lexer").unwrap();
    e.objective_set("s", &done.id, ObjectiveState::Done).unwrap();
    e.insight_add("s", "The lexer is the bottleneck").unwrap();
    let d = e.decision_add("s", "Which license?").unwrap();
    e.decision_decide("s", &d.id, "MIT").unwrap();
    e.decision_add("s", "Which name?").unwrap();
    for (name, after) in [("a", vec![]), ("b", vec!["a".to_owned()]), ("c", vec!["b".to_owned()])] {
        e.task_add(&TaskCreate {
            session: "s".into(),
            title: format!("Task {name}"),
            prompt: "p".into(),
            name: Some(name.into()),
            after,
            ..TaskCreate::default()
        })
        .unwrap();
    }
    e.task_complete("a", &baton_core::task::TaskComplete { state: TaskState::Done, outcome: Some("ok".into()) })
        .unwrap();
    let doc = e.context_export("s").unwrap();
    let before = dump(&db);
    let mut rx = e.events().subscribe();

    let repo = tmp.path().join("repo").to_string_lossy().into_owned();
    let import = ContextImport { doc: doc.clone(), repo: Some(repo), name: Some("copy".into()) };
    fault(&db, "tasks", "name", "c"); // after the session, objectives, decisions and two tasks
    let err = e.context_import(&import).unwrap_err();
    assert!(err.to_string().contains("injected fault"), "{err}");
    assert_eq!(dump(&db), before, "the store is exactly as before");
    assert!(rx.try_recv().is_err(), "nothing was published");
    assert!(e.session_get("copy").is_err());

    fault_clear(&db);
    let copy = e.context_import(&import).unwrap();
    let again = e.context_export(&copy.id).unwrap();
    assert_eq!(
        again.objectives.iter().map(|o| (&o.text, o.state)).collect::<Vec<_>>(),
        doc.objectives.iter().map(|o| (&o.text, o.state)).collect::<Vec<_>>()
    );
    assert_eq!(
        again.decisions.iter().map(|d| (&d.question, &d.answer, d.state)).collect::<Vec<_>>(),
        doc.decisions.iter().map(|d| (&d.question, &d.answer, d.state)).collect::<Vec<_>>()
    );
    let states: Vec<_> = again.tasks.iter().map(|t| (t.name.as_str(), t.state)).collect();
    assert_eq!(states, [("a", TaskState::Done), ("b", TaskState::Ready), ("c", TaskState::Pending)]);
    let mut created = 0;
    while let Ok(event) = rx.try_recv() {
        if let baton_core::events::EngineEvent::SessionCreated { session } = event {
            assert_eq!(session.id, copy.id);
            created += 1;
        }
    }
    assert_eq!(created, 1, "the new session is announced once, when whole");
}

#[test]
fn a_wizard_launch_that_fails_half_way_leaves_nothing_and_says_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let db = home.db_path();
    let e = Engine::open(home).unwrap();
    let repo = crate::wizard::repo_two_languages(tmp.path());
    e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let start =
        baton_core::wizard::WizardStart { session: "s".into(), goal: "add a coupon".into(), engine: None, cli: None };
    let mut w = e.wizard_start(&start).unwrap();
    while w.question.is_some() {
        w = e.wizard_answer(&w.id, &baton_core::wizard::WizardReply::default()).unwrap();
    }
    let before = dump(&db);
    let mut rx = e.events().subscribe();

    // The tasks and the objective are in, and two decisions, when the third decision fails.
    fault(&db, "decisions", "question", "What must not break?");
    let launch = baton_core::wizard::WizardLaunch { run: false };
    let err = e.wizard_launch(&w.id, &launch).unwrap_err();
    assert!(err.to_string().contains("injected fault"), "{err}");
    assert_eq!(dump(&db), before, "the store is exactly as before");
    assert!(rx.try_recv().is_err(), "nothing was published");
    assert_eq!(e.wizard_get(&w.id).unwrap().state, baton_core::wizard::WizardState::Draft);

    fault_clear(&db);
    let launched = e.wizard_launch(&w.id, &launch).unwrap();
    // The recommended answers: one part (web), a Claude review.
    let names: Vec<&str> = launched.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["spec", "implement", "review"]);
    let mut seen = Vec::new();
    while let Ok(event) = rx.try_recv() {
        seen.push(match event {
            baton_core::events::EngineEvent::TaskUpdated { .. } => "task",
            baton_core::events::EngineEvent::ContextUpdated { .. } => "context",
            baton_core::events::EngineEvent::SessionUpdated { .. } => "session",
            baton_core::events::EngineEvent::WizardUpdated { .. } => "wizard",
            _ => "other",
        });
    }
    assert_eq!(seen, ["task", "task", "task", "context", "session", "wizard"]);
}
