//! The CLI adapters: launch arguments, stdin messages, and the stdout parsers over every recorded
//! transcript of the real CLIs (tests/fixtures/transcripts), plus garbage they must survive.

mod claude;
mod codex;
mod command;
mod garbage;
mod gemini;
mod transcripts;

use std::path::{Path, PathBuf};

use baton_core::agent::event::AgentEvent;
use baton_core::agent::protocol::{CliKind, FollowUp, LaunchSpec};
use serde_json::Value;

pub const ALL: [CliKind; 4] = [CliKind::Claude, CliKind::Codex, CliKind::Gemini, CliKind::Command];

pub fn transcripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts")
}

pub fn transcript(name: &str) -> String {
    std::fs::read_to_string(transcripts_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The CLI a transcript was recorded from, by its file name's prefix.
pub fn cli_of(file_name: &str) -> Option<CliKind> {
    let prefix = file_name.split('_').next()?;
    CliKind::parse(prefix).filter(|k| *k != CliKind::Command)
}

/// All events of a transcript, through one parser (as one process's stdout).
pub fn parse(kind: CliKind, name: &str) -> Vec<AgentEvent> {
    let mut parser = kind.protocol().parser();
    transcript(name).lines().flat_map(|line| parser.parse(line)).collect()
}

pub fn spec<'a>(prompt: &'a str, cwd: &'a Path) -> LaunchSpec<'a> {
    LaunchSpec { prompt, model: None, allowed_tools: &[], resume: None, cwd, read_only: false }
}

/// A line's JSON type path, e.g. `system/init`, `item.started/file_change`,
/// `stream_event/content_block_delta/input_json_delta`; `not json` when it does not parse.
pub fn line_kind(line: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(line) else { return "not json".into() };
    ["/type", "/subtype", "/item/type", "/event/type", "/event/delta/type"]
        .iter()
        .filter_map(|p| v.pointer(p).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("/")
}

pub fn session_ids(events: &[AgentEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::SessionStarted { cli_session_id, .. } => Some(cli_session_id.as_str()),
            _ => None,
        })
        .collect()
}

pub fn count(events: &[AgentEvent], pred: impl Fn(&AgentEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

#[test]
fn no_launch_skips_permissions() {
    let cwd = Path::new("/tmp/repo");
    let tools = ["Write".to_owned(), "Bash".to_owned()];
    for kind in ALL {
        for resume in [None, Some("sid")] {
            let spec =
                LaunchSpec { prompt: "go", model: Some("m"), allowed_tools: &tools, resume, cwd, read_only: false };
            let launch = kind.protocol().launch(&spec);
            for forbidden in ["--dangerously-skip-permissions", "bypassPermissions", "--yolo", "yolo"] {
                assert!(!launch.args.iter().any(|a| a == forbidden), "{kind:?}: {:?}", launch.args);
            }
            assert!(!launch.args.iter().any(|a| a.contains("dangerously")), "{kind:?}: {:?}", launch.args);
        }
    }
}

/// A read-only agent (the wizard's planner) is started with each CLI's own way of offering no
/// tool that writes, whatever tools were allowed: Claude's `--tools` and `default` permissions,
/// Codex's `read-only` sandbox, Gemini's `default` approval mode.
#[test]
fn read_only_launches_offer_no_writing_tool() {
    let cwd = Path::new("/tmp/repo");
    let tools = ["Write".to_owned(), "Bash".to_owned(), "danger-full-access".to_owned()];
    let args = |kind: CliKind| {
        let spec = LaunchSpec { prompt: "go", model: None, allowed_tools: &tools, resume: None, cwd, read_only: true };
        kind.protocol().launch(&spec).args
    };
    let after = |args: &[String], flag: &str| args.iter().position(|a| a == flag).map(|i| args[i + 1].clone());
    let claude = args(CliKind::Claude);
    assert_eq!(after(&claude, "--tools").as_deref(), Some("Read,Glob,Grep"), "{claude:?}");
    assert_eq!(after(&claude, "--permission-mode").as_deref(), Some("default"), "{claude:?}");
    assert!(!claude.iter().any(|a| a == "--allowedTools"), "{claude:?}");
    let codex = args(CliKind::Codex);
    assert_eq!(after(&codex, "--sandbox").as_deref(), Some("read-only"), "{codex:?}");
    let gemini = args(CliKind::Gemini);
    assert_eq!(after(&gemini, "--approval-mode").as_deref(), Some("default"), "{gemini:?}");
    assert!(!gemini.iter().any(|a| a.starts_with("--allowed-tools")), "{gemini:?}");
}

#[test]
fn follow_ups_go_to_stdin_only_where_the_cli_reads_it() {
    let protocol_of = |k: CliKind| k.protocol();
    assert_eq!(protocol_of(CliKind::Claude).follow_up(), FollowUp::Stdin);
    assert_eq!(protocol_of(CliKind::Command).follow_up(), FollowUp::Stdin);
    assert_eq!(protocol_of(CliKind::Codex).follow_up(), FollowUp::Relaunch);
    assert_eq!(protocol_of(CliKind::Gemini).follow_up(), FollowUp::Relaunch);
    for kind in ALL {
        assert_eq!(kind.protocol().cli(), kind);
        // Stdin stays open exactly where follow-ups are written to it.
        let launch = kind.protocol().launch(&spec("hi", Path::new("/tmp")));
        assert_eq!(launch.stdin_open, kind.protocol().follow_up() == FollowUp::Stdin, "{kind:?}");
        // The supervisor appends the newline: no stdin line carries its own.
        for line in launch.stdin_lines.iter().chain([&kind.protocol().stdin_message("two\nlines")]) {
            assert!(!line.ends_with('\n'), "{kind:?}: {line:?}");
        }
    }
}
