//! Session reports against a seeded session: real agents in real worktrees, a real merge, and
//! what only runs write (costs, task times, verdicts, alerts) put in the store as the
//! coordinator and the health sampler would. Times are then pinned, so the Markdown and HTML are
//! compared byte for byte with the files in `snapshots/` (`BATON_UPDATE_SNAPSHOTS=1` rewrites
//! them after an intended change; review the diff).

use std::path::Path;

use baton_core::context::ObjectiveState;
use baton_core::error::ErrorCode;
use baton_core::report::{ReportFormat, ReportSave};
use baton_core::task::TaskCreate;
use baton_core::worktree::merge::MergeRequest;

use crate::merges::{Fixture, work};

/// 2026-03-02T09:00:00Z: the session's start; every time below is an offset from it.
const T0: i64 = 1_772_442_000_000;

fn task(f: &Fixture, name: &str, title: &str, after: &[&str], reviews: Option<&str>) {
    f.engine
        .task_add(&TaskCreate {
            session: "s".into(),
            name: Some(name.into()),
            title: title.into(),
            prompt: format!("{title}."),
            after: after.iter().map(|s| s.to_string()).collect(),
            reviews: reviews.map(str::to_owned),
            ..Default::default()
        })
        .unwrap();
}

/// The seeded session; answers the merged tip (a commit id, which depends on the clock).
fn seed(f: &Fixture) -> String {
    let e = &f.engine;
    task(f, "build", "Build the rate limiter", &[], None);
    task(f, "review", "Review the rate limiter", &["build"], Some("build"));
    task(f, "docs", "Document the limits", &["build"], None);
    task(f, "bench", "Measure the overhead", &["review"], None);
    let alice = f.agent("alice", &work("limiter"));
    let bob = f.agent("bob", "echo 'reviewed'");
    let carol = f.agent("carol", "echo 'wrote docs'");
    let merged = e.agent_merge("alice", &MergeRequest::default()).unwrap();
    assert!(!merged.dry_run);

    let goal = e.objective_add("s", "Requests over the limit get 429").unwrap();
    e.objective_set("s", &goal.id, ObjectiveState::Done).unwrap();
    e.objective_add("s", "The limit is documented").unwrap();
    let d = e.decision_add("s", "Per user or per IP?").unwrap();
    e.decision_decide("s", &d.id, "Per user").unwrap();
    e.decision_add("s", "Should admins be exempt?").unwrap();
    e.insight_add("s", "The API already counts requests in Redis").unwrap();

    let conn = rusqlite::Connection::open(e.home().db_path()).unwrap();
    let sql = |q: &str| conn.execute_batch(q).unwrap();
    let sid: String = conn.query_row("SELECT id FROM sessions WHERE name = 's'", [], |r| r.get(0)).unwrap();
    let id = |table: &str, name: &str| -> String {
        conn.query_row(&format!("SELECT id FROM {table} WHERE name = ?1"), [name], |r| r.get(0)).unwrap()
    };
    let (build, review, docs) = (id("tasks", "build"), id("tasks", "review"), id("tasks", "docs"));
    let t = |secs: i64| T0 + secs * 1000;
    // The plan the session came from, as the wizard leaves it when launched.
    conn.execute(
        "INSERT INTO wizards (id, session_id, goal, state, created_at, updated_at) VALUES ('wiz_1', ?1, ?2, 'launched', ?3, ?3)",
        rusqlite::params![sid, "Add a rate limiter to the API", t(0)],
    )
    .unwrap();
    // What the agents' turns reported; bob's CLI gave tokens only, so his cost is an estimate.
    let agent = |a: &baton_core::agent::Agent, cli: &str, task: &str, cost: f64, est: bool, tokens: (u64, u64, u64)| {
        conn.execute(
            "UPDATE agents SET cli = ?2, task_id = ?3, cost_usd = ?4, cost_is_estimate = ?5, input_tokens = ?6, \
             output_tokens = ?7, cache_read_tokens = ?8, turns = 2 WHERE id = ?1",
            rusqlite::params![a.id, cli, task, cost, est, tokens.0 as i64, tokens.1 as i64, tokens.2 as i64],
        )
        .unwrap();
    };
    agent(&alice, "claude", &build, 1.25, false, (12_000, 3_400, 40_000));
    agent(&bob, "codex", &review, 0.31, true, (8_000, 900, 0));
    agent(&carol, "claude", &docs, 0.4, false, (5_000, 1_200, 10_000));
    // The coordinator's record of the tasks: when they ran and how they ended.
    let task_set = |id: &str, state: &str, agent: &str, start: Option<i64>, end: Option<i64>, outcome: Option<&str>| {
        conn.execute(
            "UPDATE tasks SET state = ?2, agent_id = ?3, started_at = ?4, ended_at = ?5, outcome = ?6, attempts = 1 WHERE id = ?1",
            rusqlite::params![id, state, agent, start, end, outcome],
        )
        .unwrap();
    };
    task_set(&build, "done", &alice.id, Some(t(20)), Some(t(700)), Some("approved by review in round 2"));
    task_set(&review, "done", &bob.id, Some(t(300)), Some(t(690)), Some("round 2: approved, no findings"));
    task_set(&docs, "failed", &carol.id, Some(t(710)), Some(t(900)), Some("the docs folder is missing"));
    sql(
        "UPDATE tasks SET state = 'cancelled', reason = 'its dependency review was not approved in time' WHERE name = 'bench'",
    );
    // Two review rounds, as the coordinator stores a reviewer's verdict.
    let verdict = |n: u32, at: i64, body: &str, summary: &str| {
        conn.execute(
            "INSERT INTO artifacts (id, session_id, task_id, agent_id, kind, title, summary, body, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'verdict', ?5, ?6, ?7, ?8)",
            rusqlite::params![
                format!("art_v{n}"),
                sid,
                review,
                bob.id,
                format!("review: verdict, round {n}"),
                summary,
                body,
                at
            ],
        )
        .unwrap();
    };
    verdict(
        1,
        t(420),
        r#"{"verdict":"request_changes","findings":[{"file":"limiter.rs","line":3,"severity":"error","message":"no reset"}]}"#,
        "round 1: changes requested: 1 finding (1 error)",
    );
    verdict(2, t(680), r#"{"verdict":"approve","findings":[]}"#, "round 2: approved, no findings");
    conn.execute(
        "INSERT INTO artifacts (id, session_id, task_id, agent_id, kind, title, summary, body, created_at) \
         VALUES ('art_r', ?1, ?2, ?3, 'markdown', 'build: result', 'The limiter is in', '# secret body', ?4)",
        rusqlite::params![sid, build, alice.id, t(400)],
    )
    .unwrap();
    // The health sampler's alert on carol, resolved when she ended.
    conn.execute(
        "INSERT INTO alerts (id, session_id, agent_id, task_id, kind, severity, message, way_on, created_at, resolved_at) \
         VALUES ('al_1', ?1, ?2, ?3, 'stalled', 'warning', 'carol (docs) has printed nothing for 5 minutes', '', ?4, ?5)",
        rusqlite::params![sid, carol.id, docs, t(850), t(900)],
    )
    .unwrap();
    // Every time pinned to the offsets above.
    conn.execute("UPDATE sessions SET created_at = ?1, updated_at = ?1", [T0]).unwrap();
    for (a, start, end) in [(&alice, 10, 400), (&bob, 290, 685), (&carol, 705, 900)] {
        conn.execute(
            "UPDATE agents SET created_at = ?2, ended_at = ?3, last_event_at = ?3, updated_at = ?3 WHERE id = ?1",
            rusqlite::params![a.id, t(start), t(end)],
        )
        .unwrap();
    }
    conn.execute("UPDATE agents SET merged_at = ?1 WHERE name = 'alice'", [t(720)]).unwrap();
    conn.execute("UPDATE tasks SET created_at = ?1, updated_at = ?1", [t(5)]).unwrap();
    conn.execute("UPDATE objectives SET created_at = ?1", [t(1)]).unwrap();
    conn.execute("UPDATE decisions SET created_at = ?1", [t(2)]).unwrap();
    conn.execute("UPDATE insights SET created_at = ?1", [t(330)]).unwrap();
    // Artifacts the agents' ends stored (their results), pinned to their ends.
    conn.execute("UPDATE artifacts SET created_at = ?1 WHERE created_at > ?2", rusqlite::params![t(400), t(1000)])
        .unwrap();
    e.agent_get("alice").unwrap().worktree.unwrap().merged_tip.unwrap()
}

/// The report with what depends on the machine (the repository's path, the commit id) named.
fn report(f: &Fixture, tip: &str, format: ReportFormat) -> String {
    let text = f.engine.session_report("s", format).unwrap().text;
    text.replace(&f.repo.to_string_lossy().to_string(), "/repo").replace(&tip[..10], "<tip>")
}

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/core/snapshots").join(name);
    if std::env::var_os("BATON_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; BATON_UPDATE_SNAPSHOTS=1 writes it", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its snapshot (BATON_UPDATE_SNAPSHOTS=1 rewrites it):\n{}",
        first_difference(&expected, actual)
    );
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (n, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n- {e}\n+ {a}", n + 1);
        }
    }
    format!("lengths differ: {} lines expected, {} found", expected.lines().count(), actual.lines().count())
}

#[test]
fn a_sessions_report_says_what_it_set_out_to_do_and_what_came_of_it() {
    let f = Fixture::new();
    let tip = seed(&f);
    let md = report(&f, &tip, ReportFormat::Md);
    snapshot("report.md", &md);
    // A report is read from the record only: read again, it is the same document.
    assert_eq!(report(&f, &tip, ReportFormat::Md), md);
    assert!(!md.contains("secret body"), "artifacts are named, never copied");

    let html = report(&f, &tip, ReportFormat::Html);
    snapshot("report.html", &html);
    assert!(html.contains("<svg class=\"timeline\"") && html.contains("id=\"cost\""));
    for outside in ["http://", "https://", "<script", "<link", "@import", "url("] {
        let found = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!found.contains(outside), "the page must not reach outside itself ({outside})");
    }
}

#[test]
fn an_empty_session_reports_that_nothing_happened() {
    let f = Fixture::new();
    let md = f.engine.session_report("s", ReportFormat::Md).unwrap().text;
    assert!(md.contains("Not started: the session has no tasks."), "{md}");
    assert!(md.contains("## Tasks\n\nNone."), "{md}");
    let html = f.engine.session_report("s", ReportFormat::Html).unwrap().text;
    assert!(html.contains("<svg class=\"timeline\""), "an empty timeline still draws its axis");
}

#[test]
fn a_report_is_saved_whole_or_refused_with_what_to_do() {
    let f = Fixture::new();
    let path = f.tmp.path().join("out").join("report.html");
    let err = f.engine.session_report_save("s", &ReportSave { path: path.to_string_lossy().into(), format: None });
    let err = err.unwrap_err();
    assert_eq!(err.code(), ErrorCode::PathNotFound, "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");

    let err = f.engine.session_report_save("s", &ReportSave { path: "report.md".into(), format: None }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");

    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let saved = f
        .engine
        .session_report_save("s", &ReportSave { path: path.to_string_lossy().into(), format: Some(ReportFormat::Html) })
        .unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(saved.bytes, written.len() as u64);
    assert!(written.starts_with("<!DOCTYPE html>"));

    let folder = f.tmp.path().to_string_lossy().to_string();
    let err = f.engine.session_report_save("s", &ReportSave { path: folder, format: None }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "a folder is no file to write: {err}");
    assert!(err.to_string().contains("it is a folder"), "{err}");
    // A name the system refuses (even to root): refused as bad input, nothing left behind.
    let bad = format!("{}/r\0.md", f.tmp.path().display());
    let err = f.engine.session_report_save("s", &ReportSave { path: bad, format: None }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert!(err.to_string().contains("choose a file you may write"), "{err}");
    let left: Vec<_> = std::fs::read_dir(f.tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with(".tmp")), "no temporary file stays: {left:?}");

    let err = f.engine.session_report("nope", ReportFormat::Md).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}
