//! Any program, shown as a terminal.

use std::path::Path;

use baton_core::agent::event::AgentEvent;
use baton_core::agent::protocol::{CliKind, LaunchSpec};

use super::spec;

#[test]
fn command_lines_are_text_with_ansi_codes_kept() {
    let mut parser = CliKind::Command.protocol().parser();
    for line in ["\u{1b}[1;32mok\u{1b}[0m 3 passed", "", "{\"type\":\"result\"}", "\r progress 50%"] {
        assert_eq!(parser.parse(line), [AgentEvent::Text { text: line.into(), delta: false }]);
    }
}

#[test]
fn command_launch_adds_no_args_and_writes_the_prompt_to_stdin() {
    let tools = ["Write".to_owned()];
    // Model, tools and resume mean nothing to an arbitrary program.
    let full = LaunchSpec {
        prompt: "make test",
        model: Some("m"),
        allowed_tools: &tools,
        resume: Some("x"),
        cwd: Path::new("/r"),
        read_only: false,
    };
    let launch = CliKind::Command.protocol().launch(&full);
    assert!(launch.args.is_empty());
    assert_eq!(launch.stdin_lines, ["make test"]);
    assert!(launch.stdin_open);
    assert!(CliKind::Command.protocol().launch(&spec("", Path::new("/r"))).stdin_lines.is_empty());
    assert_eq!(CliKind::Command.protocol().stdin_message("y"), "y");
}
