//! Claude Code: stream-json out, stream-json user messages in.

use std::path::Path;

use baton_core::agent::event::{AgentEvent, CommandStatus};
use baton_core::agent::protocol::{CliKind, LaunchSpec};
use serde_json::{Value, json};

use super::{count, parse, session_ids, spec};

const BASE: [&str; 8] = [
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    "--input-format",
    "stream-json",
    "--permission-mode",
    "acceptEdits",
];

fn events(name: &str) -> Vec<AgentEvent> {
    parse(CliKind::Claude, name)
}

fn lines(lines: &[Value]) -> Vec<AgentEvent> {
    let mut parser = CliKind::Claude.protocol().parser();
    lines.iter().flat_map(|l| parser.parse(&l.to_string())).collect()
}

#[test]
fn claude_stream_maps_session_tool_call_file_change_usage_and_success() {
    let events = events("claude_stream.jsonl");
    let AgentEvent::SessionStarted { cli_session_id, model, cwd, tools } = &events[0] else { panic!("{events:?}") };
    assert_eq!(cli_session_id, "aa134c1f-c6be-4147-91bb-49e4d980ce38");
    assert_eq!(model.as_deref(), Some("claude-opus-4-8[1m]"));
    assert_eq!(cwd.as_deref(), Some("/home/dev/repo"));
    assert!(tools.iter().any(|t| t == "Write") && tools.len() == 24, "{tools:?}");

    let expected = [
        AgentEvent::Text { text: "I'll create the file.".into(), delta: false },
        AgentEvent::ToolCall {
            id: "toolu_fake_a58656f9f7a74243".into(),
            name: "Write".into(),
            input: json!({"file_path": "/home/dev/repo/hello.txt", "content": "hello from fake model\n"}),
        },
        AgentEvent::ToolResult {
            id: "toolu_fake_a58656f9f7a74243".into(),
            output: "File created successfully at: /home/dev/repo/hello.txt (file state is current in your context — no need to Read it back)".into(),
            is_error: false,
        },
        // After the result, not the call: only a Write that ran changed a file.
        AgentEvent::FileChange { path: "/home/dev/repo/hello.txt".into(), change: "add".into() },
        AgentEvent::Text { text: "Created hello.txt with a greeting.".into(), delta: false },
    ];
    assert_eq!(events[1..6], expected);
    let AgentEvent::Usage { input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd } = events[6]
    else {
        panic!("{:?}", events[6])
    };
    assert_eq!((input_tokens, output_tokens, cache_read_tokens, cache_write_tokens), (38465, 94, 0, 0));
    assert!((cost_usd.unwrap() - 0.194675).abs() < 1e-9, "{cost_usd:?}");
    assert_eq!(
        events[7],
        AgentEvent::TurnCompleted {
            result: Some("Created hello.txt with a greeting.".into()),
            is_error: false,
            subtype: Some("success".into()),
            duration_ms: Some(347),
        }
    );
    assert_eq!(events.len(), 8);
}

#[test]
fn claude_denied_write_is_a_permission_denial_and_no_file_change() {
    let events = events("claude_stream_denied.jsonl");
    let denied: Vec<_> = events.iter().filter(|e| matches!(e, AgentEvent::PermissionDenied { .. })).collect();
    assert_eq!(
        denied,
        [&AgentEvent::PermissionDenied {
            tool: "Write".into(),
            tool_use_id: Some("toolu_fake_4fde68e95f724a72".into()),
            input: json!({"file_path": "/home/dev/repo/hello.txt", "content": "hello from fake model\n"}),
        }]
    );
    assert!(events.iter().any(|e| matches!(e, AgentEvent::ToolResult { is_error: true, .. })));
    assert_eq!(count(&events, |e| matches!(e, AgentEvent::FileChange { .. })), 0);
    // The turn itself still "succeeds": the denial list is the only sign.
    assert!(matches!(events.last(), Some(AgentEvent::TurnCompleted { is_error: false, .. })));
}

#[test]
fn claude_api_error_is_an_error_not_text_and_fails_the_turn() {
    let events = events("claude_err400.jsonl");
    assert!(events.contains(&AgentEvent::Error { message: "API Error: 400 fake bad request".into() }), "{events:?}");
    assert_eq!(count(&events, |e| matches!(e, AgentEvent::Text { .. })), 0);
    let Some(AgentEvent::TurnCompleted { is_error: true, result, .. }) = events.last() else { panic!("{events:?}") };
    assert_eq!(result.as_deref(), Some("API Error: 400 fake bad request"));
}

#[test]
fn claude_server_error_is_retried_first() {
    let events = events("claude_err500.jsonl");
    assert_eq!(
        events[1],
        AgentEvent::Retry { attempt: 1, max_retries: Some(1), error: Some("server_error (HTTP 500)".into()) }
    );
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Error { message } if message.starts_with("API Error: 500"))));
    assert!(matches!(events.last(), Some(AgentEvent::TurnCompleted { is_error: true, .. })));
}

#[test]
fn claude_max_turns_keeps_its_subtype() {
    let events = events("claude_maxturns.jsonl");
    assert_eq!(
        events.last(),
        Some(&AgentEvent::TurnCompleted {
            result: None,
            is_error: true,
            subtype: Some("error_max_turns".into()),
            duration_ms: Some(179),
        })
    );
}

#[test]
fn claude_partial_messages_stream_text_deltas_then_the_whole_message() {
    let events = events("claude_partial.jsonl");
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Text { text, delta: true } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["I'll create the file", ".", "Created hello.txt wi", "th a greeting."]);
    // Each streamed message also comes whole (the UI replaces the deltas with it).
    let whole = count(&events, |e| matches!(e, AgentEvent::Text { delta: false, .. }));
    assert_eq!(whole, 2);
    assert_eq!(count(&events, |e| matches!(e, AgentEvent::ToolCall { name, .. } if name == "Write")), 1);
}

#[test]
fn claude_mcp_result_blocks_are_joined() {
    let events = events("claude_mcp.jsonl");
    assert!(events.iter().any(|e| matches!(e, AgentEvent::ToolCall { name, .. } if name == "mcp__fake__echo")));
    assert!(events.contains(&AgentEvent::ToolResult {
        id: "toolu_fake_ff736ab510a742b0".into(),
        output: "echo: ping".into(),
        is_error: false,
    }));
}

#[test]
fn claude_multiturn_reports_each_turn_with_its_own_cost() {
    let events = events("claude_multiturn.jsonl");
    assert_eq!(session_ids(&events), ["3ae7dd38-2195-44ef-86c5-c925dea4ef6c"; 2]);
    let costs: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Usage { cost_usd, .. } => *cost_usd,
            _ => None,
        })
        .collect();
    // `total_cost_usd` is 0.194575 then 0.390075: the process's running total.
    assert_eq!(costs.len(), 2);
    assert!((costs[0] - 0.194575).abs() < 1e-9 && (costs[1] - 0.1955).abs() < 1e-9, "{costs:?}");
    assert_eq!(count(&events, |e| matches!(e, AgentEvent::TurnCompleted { is_error: false, .. })), 2);
}

#[test]
fn claude_resume_keeps_the_session_id() {
    let first = events("claude_resume_1.jsonl");
    let second = events("claude_resume_2.jsonl");
    assert_eq!(session_ids(&first), ["241c3cde-c4ea-4ab0-b382-62ccd5c2d633"]);
    assert_eq!(session_ids(&second), session_ids(&first));
}

#[test]
fn claude_bash_is_a_command_started_then_finished() {
    let call = json!({"type": "assistant", "message": {"model": "m", "content": [
        {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls -la"}},
        {"type": "tool_use", "id": "t2", "name": "Bash", "input": {"command": "false"}}]}});
    let results = json!({"type": "user", "message": {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "a"}, {"type": "image"}]},
        {"type": "tool_result", "tool_use_id": "t2", "content": "Exit code 1", "is_error": true}]}});
    let events = lines(&[call, results]);
    let command = |id: &str, command: &str, output: Option<&str>, status| AgentEvent::Command {
        id: id.into(),
        command: command.into(),
        output: output.map(String::from),
        exit_code: None,
        status,
    };
    assert_eq!(events[1], command("t1", "ls -la", None, CommandStatus::Started));
    assert_eq!(events[3], command("t2", "false", None, CommandStatus::Started));
    assert_eq!(events[4], AgentEvent::ToolResult { id: "t1".into(), output: "a\n[image]".into(), is_error: false });
    assert_eq!(events[5], command("t1", "ls -la", Some("a\n[image]"), CommandStatus::Completed));
    assert_eq!(events[7], command("t2", "false", Some("Exit code 1"), CommandStatus::Failed));
    assert_eq!(events.len(), 8);
}

#[test]
fn claude_edits_are_updates_and_a_write_over_a_file_is_too() {
    let call = |id: &str, name: &str, input: Value| json!({"type": "assistant", "message": {"content": [{"type": "tool_use", "id": id, "name": name, "input": input}]}});
    let result = |id: &str, detail: Value| {
        json!({"type": "user", "message": {"content": [{"type": "tool_result", "tool_use_id": id, "content": "ok"}]},
               "tool_use_result": detail})
    };
    let events = lines(&[
        call("e", "Edit", json!({"file_path": "/r/a.rs", "old_string": "x", "new_string": "y"})),
        result("e", json!({"filePath": "/r/a.rs"})),
        call("w", "Write", json!({"file_path": "/r/b.rs", "content": "x"})),
        result("w", json!({"type": "update", "filePath": "/r/b.rs"})),
        call("n", "NotebookEdit", json!({"notebook_path": "/r/c.ipynb", "new_source": "x"})),
        result("n", Value::Null),
        call("r", "Read", json!({"file_path": "/r/d.rs"})),
        result("r", Value::Null),
    ]);
    let changes: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::FileChange { path, change } => Some((path.as_str(), change.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [("/r/a.rs", "update"), ("/r/b.rs", "update"), ("/r/c.ipynb", "update")]);
}

#[test]
fn claude_blocks_it_cannot_map_keep_the_line_as_raw() {
    let line = json!({"type": "assistant", "message": {"content": [
        {"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "hi"}]}})
    .to_string();
    let events = CliKind::Claude.protocol().parser().parse(&line);
    assert_eq!(events, [AgentEvent::Text { text: "hi".into(), delta: false }, AgentEvent::Raw { line: line.clone() }]);
    // An echoed user message (--replay-user-messages) is the user's text.
    let echo = json!({"type": "user", "message": {"role": "user", "content": "do it"}}).to_string();
    assert_eq!(
        CliKind::Claude.protocol().parser().parse(&echo),
        [AgentEvent::UserText { text: "do it".into(), from: None }]
    );
    // Unknown line types and system subtypes stay whole.
    for line in [r#"{"type":"control_request","request":{}}"#, r#"{"type":"system","subtype":"compact_boundary"}"#] {
        assert_eq!(CliKind::Claude.protocol().parser().parse(line), [AgentEvent::Raw { line: line.into() }]);
    }
}

#[test]
fn claude_launch_puts_the_prompt_on_stdin() {
    let launch = CliKind::Claude.protocol().launch(&spec("write \"hi\"\nplease", Path::new("/r")));
    assert_eq!(launch.args, BASE);
    assert_eq!(launch.stdin_lines, [r#"{"type":"user","message":{"role":"user","content":"write \"hi\"\nplease"}}"#]);
    assert!(launch.stdin_open);
}

#[test]
fn claude_launch_with_model_allowed_tools_and_resume() {
    let tools = ["Write".to_owned(), "mcp__baton__spawn_agent".to_owned()];
    let spec = LaunchSpec {
        prompt: "go on",
        model: Some("opus"),
        allowed_tools: &tools,
        resume: Some("sid-1"),
        cwd: Path::new("/r"),
        read_only: false,
    };
    let launch = CliKind::Claude.protocol().launch(&spec);
    let mut expected: Vec<&str> = BASE.to_vec();
    expected.extend(["--model", "opus", "--allowedTools", "Write,mcp__baton__spawn_agent", "--resume", "sid-1"]);
    assert_eq!(launch.args, expected);
    assert_eq!(launch.stdin_lines.len(), 1);
    // No prompt, nothing written: the first message comes later as a follow-up.
    assert!(CliKind::Claude.protocol().launch(&super::spec("", Path::new("/r"))).stdin_lines.is_empty());
}

#[test]
fn claude_stdin_message_is_one_stream_json_line() {
    let text = "line one\nline \"two\"\t\u{1b}[31m ü";
    let line = CliKind::Claude.protocol().stdin_message(text);
    assert!(!line.contains('\n'), "{line}");
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v, json!({"type": "user", "message": {"role": "user", "content": text}}));
}

#[test]
fn claude_interruption_marker_is_said_for_what_it_is_not_shown_as_the_user_typing_it() {
    // What the CLI writes into its stream when SIGINT ends a turn, as a block or a plain string,
    // during a reply or a tool call.
    let events = lines(&[
        json!({"type": "user", "message": {"role": "user", "content": [{"type": "text", "text": "[Request interrupted by user]"}]}}),
        json!({"type": "user", "message": {"role": "user", "content": "[Request interrupted by user for tool use]"}}),
        json!({"type": "user", "message": {"role": "user", "content": "[Request interrupted by user] is what I saw, why?"}}),
    ]);
    let interrupted = AgentEvent::Notice { message: "Turn interrupted: Baton stopped the CLI".into() };
    assert_eq!(events[0], interrupted);
    assert_eq!(events[1], interrupted);
    // A user who writes the words in a message of their own still said them.
    assert_eq!(
        events[2],
        AgentEvent::UserText { text: "[Request interrupted by user] is what I saw, why?".into(), from: None }
    );
    assert_eq!(events.len(), 3, "{events:?}");
}

#[test]
fn the_turn_a_stop_interrupted_ends_named_interrupted() {
    let result = json!({"type": "result", "subtype": "error_during_execution", "is_error": true, "duration_ms": 288});
    let events = lines(&[
        json!({"type": "user", "message": {"role": "user", "content": [{"type": "text", "text": "[Request interrupted by user]"}]}}),
        result.clone(),
        // A later turn that fails is a failure again.
        result,
    ]);
    let ended = |is_error: bool, subtype: &str| AgentEvent::TurnCompleted {
        result: None,
        is_error,
        subtype: Some(subtype.into()),
        duration_ms: Some(288),
    };
    // Still a turn that did not complete: the coordinator resumes a task cut this way.
    assert_eq!(events[1..], [ended(true, "interrupted"), ended(true, "error_during_execution")], "{events:?}");
}

/// A subagent (the Task tool) recorded from Claude Code: its prompt, its tool calls and its
/// lifecycle lines all come nested under the Task call, never as the agent's own events; the
/// call and its result (the subagent's answer) stay the agent's own.
#[test]
fn claude_subagent_events_are_nested_under_the_task_call() {
    let all = events("claude_subagent.jsonl");
    let task = "toolu_fake_1c6bef66ae4c863b";
    fn nested(e: &AgentEvent) -> Option<(&str, AgentEvent)> {
        match e {
            AgentEvent::Nested { parent_tool_use_id, event } => Some((parent_tool_use_id.as_str(), (**event).clone())),
            _ => None,
        }
    }
    let inner: Vec<AgentEvent> = all
        .iter()
        .filter_map(nested)
        .map(|(parent, event)| {
            assert_eq!(parent, task);
            event
        })
        .collect();
    assert!(
        inner.contains(&AgentEvent::UserText {
            text: "List the files in the repository and say how many there are.".into(),
            from: None
        }),
        "{inner:?}"
    );
    assert!(inner.contains(&AgentEvent::ToolCall {
        id: "toolu_fake_91879dc7902a799f".into(),
        name: "Bash".into(),
        input: json!({"command": "ls", "description": "List files"}),
    }));
    assert!(inner.contains(&AgentEvent::ToolResult {
        id: "toolu_fake_91879dc7902a799f".into(),
        output: "a.txt\nb.txt".into(),
        is_error: false,
    }));
    let command = |e: &AgentEvent| matches!(e, AgentEvent::Command { command, status: CommandStatus::Completed, .. } if command == "ls");
    assert_eq!(count(&inner, command), 1);
    // task_started, task_progress, task_updated (by its task id) and task_notification.
    assert_eq!(count(&inner, |e| matches!(e, AgentEvent::Raw { line } if line.contains("\"task_"))), 4, "{inner:?}");

    let own: Vec<&AgentEvent> = all.iter().filter(|e| nested(e).is_none()).collect();
    assert!(own.iter().all(|e| !matches!(e, AgentEvent::Raw { .. })), "{own:?}");
    let call =
        own.iter().position(|e| matches!(e, AgentEvent::ToolCall { id, name, .. } if id == task && name == "Task"));
    let result = own.iter().position(|e| matches!(e, AgentEvent::ToolResult { id, output, .. } if id == task && output.contains("There are **2 files**")));
    assert!(call.unwrap() < result.unwrap(), "{own:?}");
    assert!(matches!(own.last(), Some(AgentEvent::TurnCompleted { is_error: false, .. })));
    // A line with `parent_tool_use_id: null` is the agent's own.
    assert_eq!(count(&events("claude_stream.jsonl"), |e| nested(e).is_some()), 0);
}

#[test]
fn a_nested_event_serialises_with_its_parent_id_and_is_indexed_as_its_inner_event() {
    let event = AgentEvent::Nested {
        parent_tool_use_id: "toolu_1".into(),
        event: Box::new(AgentEvent::Text { text: "hi".into(), delta: false }),
    };
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(
        value,
        json!({"kind": "nested", "parent_tool_use_id": "toolu_1", "event": {"kind": "text", "text": "hi", "delta": false}})
    );
    assert_eq!(serde_json::from_value::<AgentEvent>(value).unwrap(), event);
    assert!(!event.is_indexed());
}
