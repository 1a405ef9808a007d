//! Gemini CLI: `gemini -p PROMPT --output-format stream-json`, one process per turn.

use std::path::Path;

use baton_core::agent::event::{AgentEvent, CommandStatus};
use baton_core::agent::protocol::{CliKind, LaunchSpec};
use serde_json::json;

use super::{count, parse, session_ids, spec};

fn events(name: &str) -> Vec<AgentEvent> {
    parse(CliKind::Gemini, name)
}

fn file_changes(events: &[AgentEvent]) -> usize {
    count(events, |e| matches!(e, AgentEvent::FileChange { .. }))
}

#[test]
fn gemini_stream_maps_deltas_tool_call_file_change_usage_and_turn() {
    let events = events("gemini_stream.jsonl");
    let id = "write_file__write_file_1795289219445_0";
    let input = json!({"file_path": "/home/dev/repo/hello.txt", "content": "hello from fake model\n"});
    let expected = [
        AgentEvent::SessionStarted {
            cli_session_id: "f27ea52e-d72f-4071-a1f3-d1c6d703f460".into(),
            model: Some("gemini-2.5-pro".into()),
            cwd: None,
            tools: vec![],
        },
        AgentEvent::UserText { text: "create hello.txt".into(), from: None },
        AgentEvent::Text { text: "I'll create the file".into(), delta: true },
        AgentEvent::Text { text: ".".into(), delta: true },
        AgentEvent::ToolCall { id: id.into(), name: "write_file".into(), input },
        AgentEvent::ToolResult { id: id.into(), output: String::new(), is_error: false },
        AgentEvent::FileChange { path: "/home/dev/repo/hello.txt".into(), change: "add".into() },
        AgentEvent::Text { text: "Created hello.txt.".into(), delta: true },
        AgentEvent::Usage {
            input_tokens: 19529,
            output_tokens: 76,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cost_usd: None,
        },
        // The text after the last tool call is the turn's result, as Claude reports it.
        AgentEvent::TurnCompleted {
            result: Some("Created hello.txt.".into()),
            is_error: false,
            subtype: Some("success".into()),
            duration_ms: Some(298),
        },
    ];
    assert_eq!(events, expected);
}

#[test]
fn gemini_withheld_tool_is_a_permission_denial_and_no_file_change() {
    for (name, message) in [
        (
            "gemini_stream_default_mode.jsonl",
            r#"Tool "write_file" not found. Did you mean one of: "read_file", "update_topic", "grep_search"?"#,
        ),
        (
            "gemini_stream_plan_mode.jsonl",
            "Access denied: plan path (/home/dev/repo/hello.txt) must be within the designated plans directory (/home/dev/home/.gemini/tmp/repo/1f701fac-2974-476d-8647-7fdd65a16bf2/plans).",
        ),
    ] {
        let events = events(name);
        let at = events.iter().position(|e| matches!(e, AgentEvent::ToolResult { .. })).unwrap();
        let AgentEvent::ToolResult { id, output, is_error: true } = &events[at] else { panic!("{name}: {events:?}") };
        assert_eq!(output, message, "{name}");
        assert_eq!(
            events[at + 1],
            AgentEvent::PermissionDenied {
                tool: "write_file".into(),
                tool_use_id: Some(id.clone()),
                input: json!({"file_path": "/home/dev/repo/hello.txt", "content": "hello from fake model\n"}),
            },
            "{name}"
        );
        assert_eq!(file_changes(&events), 0, "{name}");
    }
}

#[test]
fn gemini_failure_that_is_not_a_refusal_is_only_a_failed_result() {
    let mut parser = CliKind::Gemini.protocol().parser();
    parser.parse(r#"{"type":"tool_use","tool_name":"read_file","tool_id":"r1","parameters":{"file_path":"/x"}}"#);
    let events = parser.parse(
        r#"{"type":"tool_result","tool_id":"r1","status":"error","error":{"type":"file_not_found","message":"File not found: /x"}}"#,
    );
    assert_eq!(
        events,
        [AgentEvent::ToolResult { id: "r1".into(), output: "File not found: /x".into(), is_error: true }]
    );
}

#[test]
fn gemini_shell_command_is_started_then_finished() {
    let mut parser = CliKind::Gemini.protocol().parser();
    let call = parser
        .parse(r#"{"type":"tool_use","tool_name":"run_shell_command","tool_id":"s1","parameters":{"command":"ls"}}"#);
    let done = parser.parse(r#"{"type":"tool_result","tool_id":"s1","status":"success","output":"a.txt"}"#);
    let command = |output: Option<&str>, status| AgentEvent::Command {
        id: "s1".into(),
        command: "ls".into(),
        output: output.map(String::from),
        exit_code: None,
        status,
    };
    assert_eq!(call[1], command(None, CommandStatus::Started));
    assert_eq!(done[1], command(Some("a.txt"), CommandStatus::Completed));
    // `replace` edits a file that exists.
    parser.parse(r#"{"type":"tool_use","tool_name":"replace","tool_id":"e1","parameters":{"file_path":"/r/a"}}"#);
    let edit = parser.parse(r#"{"type":"tool_result","tool_id":"e1","status":"success"}"#);
    assert_eq!(edit[1], AgentEvent::FileChange { path: "/r/a".into(), change: "update".into() });
    // A mid-stream error event.
    let warning = parser.parse(r#"{"type":"error","severity":"warning","message":"loop detected"}"#);
    assert_eq!(warning, [AgentEvent::Error { message: "loop detected".into() }]);
}

#[test]
fn gemini_api_error_fails_the_turn() {
    let events = events("gemini_err400.jsonl");
    let message = r#"[API Error: {"error":{"code":400,"message":"fake bad request","status":"INVALID_ARGUMENT"}}]"#;
    let n = events.len();
    assert_eq!(events[n - 2], AgentEvent::Error { message: message.into() });
    assert_eq!(
        events[n - 1],
        AgentEvent::TurnCompleted {
            result: Some(message.into()),
            is_error: true,
            subtype: Some("error".into()),
            duration_ms: Some(0),
        }
    );
}

#[test]
fn gemini_resume_keeps_the_session_id() {
    let first = events("gemini_resume_1.jsonl");
    let second = events("gemini_resume_2.jsonl");
    assert_eq!(session_ids(&first), ["45146ed4-e376-46c0-b4ef-fa33565cd95f"]);
    assert_eq!(session_ids(&second), session_ids(&first));
    let Some(AgentEvent::TurnCompleted { result, .. }) = second.last() else { panic!("{second:?}") };
    assert_eq!(result.as_deref(), Some("Second turn: read hello.txt back."));
}

#[test]
fn gemini_launch_args() {
    let launch = CliKind::Gemini.protocol().launch(&spec("create hello.txt", Path::new("/r")));
    assert_eq!(
        launch.args,
        ["-p", "create hello.txt", "--output-format", "stream-json", "--approval-mode", "auto_edit"]
    );
    assert!(launch.stdin_lines.is_empty());
    assert!(!launch.stdin_open);
}

#[test]
fn gemini_launch_resume_with_model_and_a_dash_prompt() {
    let tools = ["write_file".to_owned()];
    let spec = LaunchSpec {
        prompt: "-x marks it",
        model: Some("gemini-2.5-pro"),
        allowed_tools: &tools,
        resume: Some("s-1"),
        cwd: Path::new("/r"),
        read_only: false,
    };
    let launch = CliKind::Gemini.protocol().launch(&spec);
    assert_eq!(
        launch.args,
        [
            "--prompt=-x marks it",
            "--output-format",
            "stream-json",
            "--approval-mode",
            "auto_edit",
            "-m",
            "gemini-2.5-pro",
            "--resume",
            "s-1",
            "--allowed-tools=write_file"
        ]
    );
}
