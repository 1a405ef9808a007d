use crate::support::{Home, s};

fn agent_state(h: &Home, id: &str) -> String {
    let status: serde_json::Value = serde_json::from_str(&h.ok(&["status", id, "--json"])).unwrap();
    status["state"].as_str().unwrap().to_owned()
}

#[test]
fn spawn_wait_logs_status_send_and_abort_a_command_agent() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    let id = h
        .ok(&[
            "agent",
            "spawn",
            "--session",
            "work",
            "--cli",
            "command",
            "--name",
            "echo",
            "--",
            "bash",
            "-c",
            "echo hello; read l; echo \"got $l\"; exit 0",
        ])
        .trim()
        .to_owned();
    assert!(id.starts_with("agt_"), "{id}");

    // It waits for stdin, so it is still running: wait times out with code 6.
    let out = h.baton(&["wait", "echo", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(6), "{out:?}");

    assert!(h.ok(&["send", "echo", "world"]).contains("sent to echo"));
    let out = h.baton(&["wait", &id, "--timeout", "20"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(agent_state(&h, &id), "exited");

    let logs = h.ok(&["logs", "echo"]);
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines[0].starts_with("[baton] working in ") && lines[0].contains("on branch baton/work/echo"), "{logs}");
    // It runs in a terminal, which echoes what is typed to it.
    assert_eq!(lines[1..], ["hello", "> world", "world", "got world", "[exited 0]"]);
    let json = h.ok(&["logs", "echo", "--json"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["event"]["kind"], "notice");
    // Following a finished agent prints its history and returns.
    assert_eq!(h.ok(&["logs", "echo", "-f"]), logs);

    let status = h.ok(&["status", "echo"]);
    assert!(status.contains("state:        exited") && status.contains("pending:      nothing"), "{status}");
    let list = h.ok(&["list", "--session", "work"]);
    assert!(list.contains("echo") && list.contains("exited"), "{list}");

    let shown = h.ok(&["session", "show", "work"]);
    assert!(shown.contains("agents:      1") && shown.contains("cost:        $0.0000"), "{shown}");

    let line = h.err(&["send", "echo", "again"]);
    assert!(line.contains("cannot take a message"), "{line}");
}

#[test]
fn follow_streams_live_events_until_the_agent_ends() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    h.ok(&[
        "agent",
        "spawn",
        "--session",
        "work",
        "--cli",
        "command",
        "--name",
        "slow",
        "--",
        "bash",
        "-c",
        "for i in 1 2 3; do echo line $i; sleep 0.3; done",
    ]);
    let out = h.ok(&["logs", "slow", "-f"]);
    let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("[baton]") && !l.starts_with("[checkpoint")).collect();
    assert_eq!(lines, vec!["line 1", "line 2", "line 3", "[exited 0]"]);
}

#[test]
fn abort_stops_and_wait_says_so() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    h.ok(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", "sleeper", "--", "sleep", "300"]);
    assert!(h.ok(&["abort", "sleeper"]).contains("sleeper is stopped"));
    assert_eq!(h.baton(&["wait", "sleeper"]).status.code(), Some(5));
}

#[test]
fn agent_bad_input() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    assert!(h.err(&["status", "nobody"]).contains("no agent has the id or name"));
    assert!(h.err(&["agent", "spawn", "--session", "work", "--cli", "command"]).contains("needs a program"));
    assert!(h.err(&["agent", "spawn", "--session", "nope", "--cli", "command", "--", "true"]).contains("no session"));
    let line = h.err(&["agent", "spawn", "--session", "work", "--cli", "claude", "--prompt", "  "]);
    assert!(line.contains("the prompt is empty"), "{line}");
    h.ok(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", "x", "--", "true"]);
    let line = h.err(&["agent", "spawn", "--session", "work", "--cli", "command", "--name", "x", "--", "true"]);
    assert!(line.contains("already exists"), "{line}");
    let line = h.err(&["approve", "x", "Bash"]);
    assert!(line.contains("nothing is pending"), "{line}");
}
