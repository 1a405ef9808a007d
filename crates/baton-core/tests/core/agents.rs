use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{AgentSpawn, AgentState};
use baton_core::session::SessionCreate;
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

#[test]
fn the_event_index_holds_what_is_looked_up_and_text_stays_in_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let engine = Engine::open(BatonHome::at(tmp.path().join("home"))).unwrap();
    let repo = repo_new(tmp.path(), "r");
    let session = engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: None, parent: None })
        .unwrap();
    let agent = engine
        .agent_spawn(&AgentSpawn {
            session: session.id,
            cli: CliKind::Command,
            prompt: String::new(),
            name: None,
            model: None,
            allow_tools: vec![],
            program: vec!["bash".into(), "-c".into(), "echo one; echo two >&2; exit 0".into()],
            // A folder of its own choosing: no worktree, so no notices among the events.
            cwd: Some(repo.to_string_lossy().into()),
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while engine.agent_get(&agent.id).unwrap().state != AgentState::Exited {
        assert!(Instant::now() < deadline, "the agent did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let events = engine.agent_events(&agent.id, 0, 100).unwrap();
    // A command agent runs in a terminal: stdout and stderr are one stream of text.
    let kinds: Vec<&str> = events.iter().map(|r| r.event.kind()).collect();
    assert_eq!(kinds, ["text", "text", "exited"]);
    engine.close();

    let conn = rusqlite::Connection::open(engine.home().db_path()).unwrap();
    let mut stmt =
        conn.prepare("SELECT seq, kind, log_offset, log_len FROM events WHERE agent_id = ?1 ORDER BY seq").unwrap();
    let rows: Vec<(i64, String, i64, i64)> = stmt
        .query_map([&agent.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (seq, kind, offset, len) = &rows[0];
    assert_eq!((*seq, kind.as_str()), (3, "exited"));
    // The row points at the log line the event came from.
    let log = std::fs::read(&agent.log_path).unwrap();
    let line = std::str::from_utf8(&log[*offset as usize..(*offset + *len) as usize]).unwrap();
    assert!(line.contains("\\\"note\\\":\\\"exited\\\""), "{line}");
}

#[test]
fn a_restart_after_a_crash_repairs_the_index_from_the_log_and_stops_orphans() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let repo = repo_new(tmp.path(), "r");
    let session = {
        let engine = Engine::open(home.clone()).unwrap();
        engine.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: None, parent: None }).unwrap()
    };
    // What a daemon killed mid-run leaves: an agent recorded as running, its log complete,
    // and none of its index rows written yet.
    let log = home.logs_dir().join("agt_crashed.jsonl");
    let note =
        |n: serde_json::Value| serde_json::json!({"ts": 5, "stream": "baton", "line": n.to_string()}).to_string();
    let lines = [
        note(serde_json::json!({"note": "process_started", "pid": 1, "program": "p", "args": []})),
        serde_json::json!({"ts": 6, "stream": "stdout", "line": "working"}).to_string(),
        note(serde_json::json!({"note": "error", "message": "boom"})),
        note(serde_json::json!({"note": "exited", "code": 1, "signal": null})),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    {
        let conn = rusqlite::Connection::open(home.db_path()).unwrap();
        conn.execute(
            "INSERT INTO agents (id, session_id, name, cli, state, cwd, log_path, created_at, updated_at) \
             VALUES ('agt_crashed', ?1, 'crashed', 'command', 'running', '/', ?2, 1, 1)",
            rusqlite::params![session.id, log.to_string_lossy()],
        )
        .unwrap();
    }

    let engine = Engine::open(home.clone()).unwrap();
    assert_eq!(engine.agent_get("agt_crashed").unwrap().state, AgentState::Stopped, "stopped, not failed");
    // The daemon that died interrupted it: it is listed to resume.
    let interrupted = engine.agents_interrupted().unwrap();
    assert_eq!(interrupted.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["agt_crashed"]);
    assert!(interrupted[0].interrupted_at.is_some());
    engine.close();
    let conn = rusqlite::Connection::open(home.db_path()).unwrap();
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT seq, kind FROM events WHERE agent_id = 'agt_crashed' ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // The start says what became of it: its process is gone (an error note of its own).
    assert_eq!(rows, vec![(2, "error".to_string()), (3, "exited".to_string()), (4, "error".to_string())]);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("ended while Baton's daemon was not running"), "{text}");
}
