//! Terminals through the daemon: a shell opened in an agent's worktree, listed, resized, typed
//! into and closed over HTTP, and its output and input over the WebSocket.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use baton_core::ErrorCode;
use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentSpawn};
use baton_core::api::{TerminalInput, TerminalListQuery, TerminalOpen, TerminalResize};
use baton_core::session::SessionCreate;
use baton_core::terminal::{TerminalInfo, TerminalKind, TerminalServerMessage};
use tungstenite::{Message, WebSocket};

use crate::support::{TestDaemon, http, repo_new};

/// An agent with a worktree of its own whose process is done at once.
fn agent(d: &TestDaemon) -> Agent {
    let repo = repo_new(d.tmp.path(), "repo");
    let session = d
        .client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let agent = d
        .client
        .agent_spawn(&AgentSpawn {
            session: session.id,
            cli: CliKind::Command,
            prompt: String::new(),
            name: Some("worker".into()),
            model: None,
            allow_tools: vec![],
            program: vec!["true".into()],
            cwd: None,
        })
        .unwrap();
    // Ended, so the agent's own terminal is gone and only the shells opened here are listed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while d.client.agent_get(&agent.id).unwrap().state.is_active() {
        assert!(std::time::Instant::now() < deadline, "the agent never ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    d.client.agent_get(&agent.id).unwrap()
}

fn open(d: &TestDaemon, agent: &Agent) -> TerminalInfo {
    d.client.terminal_open(&TerminalOpen { agent: agent.name.clone(), cols: Some(100), rows: Some(30) }).unwrap()
}

/// Whether a socket call was cut by a signal. A read with a timeout (SO_RCVTIMEO) is never
/// restarted after a signal handler ran (signal(7)), and this process, which runs the daemon,
/// gets SIGCHLD whenever a child of the daemon ends.
fn interrupted(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if io.kind() == std::io::ErrorKind::Interrupted)
}

/// The next message, read again when a signal cut the read.
fn next(ws: &mut WebSocket<TcpStream>) -> Message {
    loop {
        match ws.read() {
            Err(e) if interrupted(&e) => continue,
            other => return other.unwrap(),
        }
    }
}

fn socket(d: &TestDaemon, id: &str) -> WebSocket<TcpStream> {
    let url = d.url(&format!("/api/terminals/{id}/socket?token={}", d.token())).replacen("http://", "ws://", 1);
    for _ in 0..5 {
        let stream = TcpStream::connect(("127.0.0.1", d.client.info().port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        match tungstenite::client(url.as_str(), stream) {
            Ok((socket, _)) => return socket,
            Err(tungstenite::HandshakeError::Failure(e)) if interrupted(&e) => continue,
            Err(e) => panic!("the socket did not open: {e}"),
        }
    }
    panic!("the socket's handshake was interrupted five times in a row");
}

/// Reads binary frames until their text holds `needle`; returns everything read.
fn read_until(ws: &mut WebSocket<TcpStream>, seen: &mut String, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains(needle) {
        assert!(Instant::now() < deadline, "never saw {needle:?} in {seen:?}");
        match next(ws) {
            Message::Binary(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Message::Text(text) => panic!("unexpected message {text} before {needle:?}; output: {seen:?}"),
            _ => {}
        }
    }
    seen.clone()
}

fn send(ws: &mut WebSocket<TcpStream>, json: serde_json::Value) {
    ws.send(Message::text(json.to_string())).unwrap();
}

#[test]
fn a_shell_opens_in_the_worktree_and_is_typed_into_over_the_socket() {
    let d = TestDaemon::start();
    let agent = agent(&d);
    let worktree = agent.worktree.clone().unwrap().path;
    let term = open(&d, &agent);
    assert_eq!(term.kind, TerminalKind::Shell);
    assert_eq!(term.agent_id, agent.id);
    assert_eq!(term.cwd, worktree);
    assert_eq!((term.cols, term.rows), (100, 30));
    assert!(term.running);
    let listed = d.client.terminal_list(&TerminalListQuery { agent: Some(agent.name.clone()) }).unwrap();
    assert_eq!(listed.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [term.id.as_str()]);

    let mut ws = socket(&d, &term.id);
    let mut seen = String::new();
    send(&mut ws, serde_json::json!({"type": "input", "data": "PS1='> '; pwd; echo \"$BATON_AGENT\"\r"}));
    read_until(&mut ws, &mut seen, &format!("{worktree}\r\nworker\r\n"));
    // A resize over the socket reaches the program.
    send(&mut ws, serde_json::json!({"type": "resize", "cols": 120, "rows": 40}));
    send(&mut ws, serde_json::json!({"type": "input", "data": "stty size\r"}));
    read_until(&mut ws, &mut seen, "40 120\r\n");
    // A bad message is refused on the socket, which stays open.
    send(&mut ws, serde_json::json!({"type": "paste"}));
    let refusal = loop {
        if let Message::Text(text) = next(&mut ws) {
            break serde_json::from_str::<TerminalServerMessage>(&text).unwrap();
        }
    };
    assert!(matches!(refusal, TerminalServerMessage::Error { code: ErrorCode::InvalidInput, .. }), "{refusal:?}");

    // Resize and input over HTTP too; a second viewer that attaches late sees the screen so far.
    let resized = d.client.terminal_resize(&term.id, &TerminalResize { cols: 90, rows: 20 }).unwrap();
    assert_eq!((resized.cols, resized.rows), (90, 20));
    d.client.terminal_input(&term.id, &TerminalInput { data: "stty size; echo typed-over-http\r".into() }).unwrap();
    read_until(&mut ws, &mut seen, "20 90\r\ntyped-over-http\r\n");
    let mut late = socket(&d, &term.id);
    let mut late_seen = String::new();
    read_until(&mut late, &mut late_seen, "typed-over-http\r\n");
    assert!(late_seen.contains("40 120"), "the scrollback holds earlier output: {late_seen:?}");

    // The shell exits: both viewers get the exit after the output, then the socket closes.
    send(&mut ws, serde_json::json!({"type": "input", "data": "exit 3\r"}));
    for viewer in [&mut ws, &mut late] {
        let exit = loop {
            match next(viewer) {
                Message::Text(text) => break serde_json::from_str::<TerminalServerMessage>(&text).unwrap(),
                Message::Close(_) => panic!("closed before the exit was told"),
                _ => {}
            }
        };
        assert_eq!(exit, TerminalServerMessage::Exit { code: Some(3), signal: None });
        assert!(matches!(viewer.read(), Ok(Message::Close(_)) | Err(_)));
    }
    let ended = d.client.terminal_get(&term.id).unwrap();
    assert!(!ended.running);
    assert_eq!(ended.exit_code, Some(3));
    d.client.terminal_close(&term.id).unwrap();
    let err = d.client.terminal_get(&term.id).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound, "{err}");
}

#[test]
fn bad_requests_are_refused_with_a_code() {
    let d = TestDaemon::start();
    let agent = agent(&d);
    let err = d.client.terminal_open(&TerminalOpen { agent: "nobody".into(), cols: None, rows: None }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound, "{err}");
    let err =
        d.client.terminal_open(&TerminalOpen { agent: agent.id.clone(), cols: Some(0), rows: Some(24) }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    let term = open(&d, &agent);
    let err = d.client.terminal_resize(&term.id, &TerminalResize { cols: 5000, rows: 10 }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    // Without the WebSocket upgrade, the socket route says how to connect; without the token it refuses.
    let plain = http()
        .get(&d.url(&format!("/api/terminals/{}/socket", term.id)))
        .header("Authorization", &format!("Bearer {}", d.token()))
        .call()
        .unwrap();
    assert_eq!(plain.status().as_u16(), 400);
    let url = d.url(&format!("/api/terminals/{}/socket", term.id)).replacen("http://", "ws://", 1);
    assert!(tungstenite::connect(url).is_err(), "a socket without the token is refused");
}

#[test]
fn the_daemon_stopping_ends_its_terminals() {
    let d = TestDaemon::start();
    let agent = agent(&d);
    let term = open(&d, &agent);
    let mut ws = socket(&d, &term.id);
    let mut seen = String::new();
    // A job that ignores the hangup, in a process group of its own.
    send(&mut ws, serde_json::json!({"type": "input", "data": "(trap '' HUP; exec sleep 300) & echo \"JOB=<$!>\"\r"}));
    let job = loop {
        let found =
            seen.split("JOB=<").filter_map(|rest| rest.split_once('>')).find_map(|(n, _)| n.parse::<u32>().ok());
        if let Some(pid) = found {
            break pid;
        }
        if let Message::Binary(bytes) = next(&mut ws) {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    };
    let shell = term.pid.unwrap();
    d.stop().unwrap();
    for pid in [shell, job] {
        let deadline = Instant::now() + Duration::from_secs(5);
        while crate::support::pid_alive(pid) {
            assert!(Instant::now() < deadline, "process {pid} of the terminal outlived the daemon");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
