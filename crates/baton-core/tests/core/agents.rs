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
    let session = engine.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: None }).unwrap();
    let agent = engine
        .agent_spawn(&AgentSpawn {
            session: session.id,
            cli: CliKind::Command,
            prompt: String::new(),
            name: None,
            model: None,
            allow_tools: vec![],
            program: vec!["bash".into(), "-c".into(), "echo one; echo two >&2; exit 0".into()],
            cwd: None,
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while engine.agent_get(&agent.id).unwrap().state != AgentState::Exited {
        assert!(Instant::now() < deadline, "the agent did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let events = engine.agent_events(&agent.id, 0, 100).unwrap();
    // stdout and stderr are two pipes: their lines may be read in either order.
    let mut kinds: Vec<&str> = events.iter().map(|r| r.event.kind()).collect();
    assert_eq!(kinds.pop(), Some("exited"));
    kinds.sort_unstable();
    assert_eq!(kinds, ["stderr", "text"]);
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
