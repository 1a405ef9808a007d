//! Codex CLI: `codex exec --json`, one process per turn.

use std::path::Path;

use baton_core::agent::event::{AgentEvent, CommandStatus};
use baton_core::agent::protocol::{CliKind, LaunchSpec};
use serde_json::json;

use super::{count, parse, session_ids, spec};

const BASE: [&str; 5] = ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check"];

fn events(name: &str) -> Vec<AgentEvent> {
    parse(CliKind::Codex, name)
}

#[test]
fn codex_stream_maps_thread_command_usage_and_turn() {
    let events = events("codex_stream.jsonl");
    let command = "/bin/bash -lc \"printf 'hello from fake model\\\\n' > hello.txt && cat hello.txt\"";
    let expected = [
        AgentEvent::SessionStarted {
            cli_session_id: "01a1ff93-74a3-7991-9d75-ad6424111a34".into(),
            model: None,
            cwd: None,
            tools: vec![],
        },
        AgentEvent::Raw { line: r#"{"type":"turn.started"}"#.into() },
        AgentEvent::Text { text: "I'll create the file.".into(), delta: false },
        AgentEvent::Command {
            id: "item_1".into(),
            command: command.into(),
            output: None,
            exit_code: None,
            status: CommandStatus::Started,
        },
        AgentEvent::Command {
            id: "item_1".into(),
            command: command.into(),
            output: Some("hello from fake model\n".into()),
            exit_code: Some(0),
            status: CommandStatus::Completed,
        },
        AgentEvent::Text { text: "Created hello.txt.".into(), delta: false },
        AgentEvent::Usage {
            input_tokens: 19709,
            output_tokens: 170,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cost_usd: None,
        },
        // The last agent message is the turn's result, as Claude reports it.
        AgentEvent::TurnCompleted {
            result: Some("Created hello.txt.".into()),
            is_error: false,
            subtype: None,
            duration_ms: None,
        },
    ];
    assert_eq!(events, expected);
}

#[test]
fn codex_failed_command_is_failed_with_its_exit_code() {
    let events = events("codex_fail.jsonl");
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Command { id, exit_code, status, output, .. } if *status != CommandStatus::Started => {
                Some((id.as_str(), *exit_code, *status, output.as_deref()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        [
            (
                "item_0",
                Some(2),
                CommandStatus::Failed,
                Some("ls: cannot access '/nonexistent_dir': No such file or directory\n")
            ),
            ("item_1", Some(0), CommandStatus::Completed, Some("")),
        ]
    );
    // A failed command does not fail the turn.
    assert!(matches!(events.last(), Some(AgentEvent::TurnCompleted { is_error: false, .. })));
}

#[test]
fn codex_api_errors_fail_the_turn() {
    for (name, message) in [
        (
            "codex_err400.jsonl",
            r#"{"error": {"message": "fake bad request", "type": "invalid_request_error", "code": null}}"#,
        ),
        ("codex_err500.jsonl", "We’re currently experiencing high demand, which may cause temporary errors."),
    ] {
        let events = events(name);
        let n = events.len();
        assert_eq!(events[n - 2], AgentEvent::Error { message: message.into() }, "{name}");
        assert_eq!(
            events[n - 1],
            AgentEvent::TurnCompleted {
                result: Some(message.into()),
                is_error: true,
                subtype: None,
                duration_ms: None
            },
            "{name}"
        );
        assert_eq!(count(&events, |e| matches!(e, AgentEvent::Usage { .. })), 0, "{name}");
    }
}

#[test]
fn codex_resume_keeps_the_thread_and_reports_the_patch() {
    let first = events("codex_resume_1.jsonl");
    let second = events("codex_resume_2.jsonl");
    assert_eq!(session_ids(&first), ["01a1ff8f-0692-7aa2-b589-119d2243e89b"]);
    assert_eq!(session_ids(&second), session_ids(&first));
    let changes: Vec<_> = second.iter().filter(|e| matches!(e, AgentEvent::FileChange { .. })).collect();
    assert_eq!(changes, [&AgentEvent::FileChange { path: "/home/dev/repo/hello.txt".into(), change: "update".into() }]);
}

#[test]
fn codex_read_only_sandbox_shows_no_command_at_all() {
    // Writes fail silently under the default sandbox: only the messages are seen.
    let events = events("codex_stream_readonly.jsonl");
    assert_eq!(count(&events, |e| matches!(e, AgentEvent::Command { .. })), 0);
    assert_eq!(count(&events, |e| matches!(e, AgentEvent::Text { .. })), 2);
}

#[test]
fn codex_mcp_calls_error_items_and_unknown_items() {
    let lines = [
        json!({"type": "item.started", "item": {"id": "i1", "type": "mcp_tool_call", "server": "baton", "tool": "spawn_agent",
               "arguments": {"cli": "claude"}, "result": null, "error": null, "status": "in_progress"}}),
        json!({"type": "item.completed", "item": {"id": "i1", "type": "mcp_tool_call", "server": "baton", "tool": "spawn_agent",
               "arguments": {}, "result": {"content": [{"type": "text", "text": "ag_1"}], "structured_content": null},
               "error": null, "status": "completed"}}),
        json!({"type": "item.completed", "item": {"id": "i2", "type": "mcp_tool_call", "server": "s", "tool": "t",
               "arguments": {}, "result": null, "error": {"message": "boom"}, "status": "failed"}}),
        json!({"type": "item.completed", "item": {"id": "i3", "type": "error", "message": "unknown model"}}),
        json!({"type": "item.completed", "item": {"id": "i4", "type": "file_change", "changes": [{"path": "/a", "kind": "add"}],
               "status": "failed"}}),
        json!({"type": "item.completed", "item": {"id": "i5", "type": "reasoning", "text": "thinking"}}),
        json!({"type": "item.completed", "item": {"id": "i6", "type": "command_execution", "command": "rm x",
               "aggregated_output": "", "exit_code": null, "status": "declined"}}),
    ];
    let mut parser = CliKind::Codex.protocol().parser();
    let events: Vec<Vec<AgentEvent>> = lines.iter().map(|l| parser.parse(&l.to_string())).collect();
    assert_eq!(
        events[0],
        [AgentEvent::ToolCall {
            id: "i1".into(),
            name: "mcp__baton__spawn_agent".into(),
            input: json!({"cli": "claude"})
        }]
    );
    assert_eq!(events[1], [AgentEvent::ToolResult { id: "i1".into(), output: "ag_1".into(), is_error: false }]);
    assert_eq!(events[2], [AgentEvent::ToolResult { id: "i2".into(), output: "boom".into(), is_error: true }]);
    assert_eq!(events[3], [AgentEvent::Error { message: "unknown model".into() }]);
    // A failed patch changed nothing, and reasoning has no event: both stay whole.
    assert_eq!(events[4], [AgentEvent::Raw { line: lines[4].to_string() }]);
    assert_eq!(events[5], [AgentEvent::Raw { line: lines[5].to_string() }]);
    assert!(matches!(events[6][..], [AgentEvent::Command { status: CommandStatus::Failed, exit_code: None, .. }]));
}

#[test]
fn codex_launch_passes_the_prompt_last() {
    let launch = CliKind::Codex.protocol().launch(&spec("--help me", Path::new("/r")));
    let mut expected = BASE.to_vec();
    expected.extend(["--", "--help me"]);
    assert_eq!(launch.args, expected);
    assert!(launch.stdin_lines.is_empty());
    assert!(!launch.stdin_open);
}

#[test]
fn codex_launch_resume_with_model() {
    let tools = ["Write".to_owned()];
    let spec = LaunchSpec {
        prompt: "review",
        model: Some("gpt-5.5"),
        allowed_tools: &tools,
        resume: Some("th-1"),
        cwd: Path::new("/r"),
        read_only: false,
    };
    let launch = CliKind::Codex.protocol().launch(&spec);
    let mut expected = BASE.to_vec();
    // A prompt "review" after `--` is not the `review` subcommand.
    expected.extend(["-m", "gpt-5.5", "resume", "th-1", "--", "review"]);
    assert_eq!(launch.args, expected);
}

#[test]
fn codex_sandbox_refusal_is_a_permission_denial_for_full_access() {
    let line = r#"{"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"/bin/bash -lc 'touch /etc/x'","aggregated_output":"touch: cannot touch '/etc/x': Read-only file system\n","exit_code":1,"status":"failed"}}"#;
    let events = CliKind::Codex.protocol().parser().parse(line);
    assert!(
        matches!(events[0], AgentEvent::Command { status: CommandStatus::Failed, exit_code: Some(1), .. }),
        "{events:?}"
    );
    match &events[1] {
        AgentEvent::PermissionDenied { tool, tool_use_id, input } => {
            assert_eq!(tool, "danger-full-access");
            assert_eq!(tool_use_id.as_deref(), Some("item_3"));
            assert_eq!(input["command"], "/bin/bash -lc 'touch /etc/x'");
        }
        other => panic!("expected a permission denial, got {other:?}"),
    }
    // A command that fails for another reason is no denial.
    let plain = r#"{"type":"item.completed","item":{"id":"item_4","type":"command_execution","command":"false","aggregated_output":"","exit_code":1,"status":"failed"}}"#;
    let events = CliKind::Codex.protocol().parser().parse(plain);
    assert!(!events.iter().any(|e| matches!(e, AgentEvent::PermissionDenied { .. })), "{events:?}");
}

#[test]
fn codex_approved_full_access_changes_the_sandbox() {
    let tools = ["danger-full-access".to_owned()];
    let spec = LaunchSpec {
        prompt: "go on",
        model: None,
        allowed_tools: &tools,
        resume: Some("t-1"),
        cwd: Path::new("/r"),
        read_only: false,
    };
    let args = CliKind::Codex.protocol().launch(&spec).args;
    let at = args.iter().position(|a| a == "--sandbox").unwrap();
    assert_eq!(args[at + 1], "danger-full-access");
}
