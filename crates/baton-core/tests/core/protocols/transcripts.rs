//! Every recorded transcript, whatever is added to the folder later: every line yields events,
//! and only the line types listed here (known to carry nothing the event model holds) stay Raw.

use baton_core::agent::event::AgentEvent;
use baton_core::agent::protocol::CliKind;

use super::{cli_of, line_kind, transcript, transcripts_dir};

/// Line types a parser keeps as Raw on purpose. Anything else turning up Raw is a type the
/// adapter does not know yet: map it, or add it here with the reason.
fn known_raw(kind: CliKind) -> &'static [&'static str] {
    match kind {
        CliKind::Claude => &[
            // "requesting" between model calls: nothing to show.
            "system/status",
            // Partial messages: only text deltas are mapped; the whole message (tool calls
            // included) follows as an `assistant` line.
            "stream_event/message_start",
            "stream_event/content_block_start",
            "stream_event/content_block_delta/input_json_delta",
            "stream_event/content_block_stop",
            "stream_event/message_delta",
            "stream_event/message_stop",
        ],
        CliKind::Codex => &[
            // Carries nothing.
            "turn.started",
            // The same changes come again in `item.completed`, once applied.
            "item.started/file_change",
        ],
        CliKind::Gemini | CliKind::Command => &[],
    }
}

fn transcript_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(transcripts_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "transcripts missing: {names:?}");
    names
}

#[test]
fn every_transcript_line_yields_events_and_only_known_types_stay_raw() {
    let mut lines_seen = 0;
    for name in transcript_names().iter().filter(|n| n.ends_with(".jsonl")) {
        let kind = cli_of(name).unwrap_or_else(|| panic!("{name}: no CLI of that name prefix"));
        let mut parser = kind.protocol().parser();
        for (n, line) in transcript(name).lines().enumerate() {
            lines_seen += 1;
            let events = parser.parse(line);
            if !line.is_empty() {
                assert!(!events.is_empty(), "{name}:{}: no event for {line}", n + 1);
            }
            let raws = events.iter().filter(|e| matches!(e, AgentEvent::Raw { .. })).count();
            if raws > 0 {
                let what = line_kind(line);
                assert!(known_raw(kind).contains(&what.as_str()), "{name}:{}: unexpected Raw for `{what}`", n + 1);
                assert_eq!(raws, 1, "{name}:{}: a line is kept as Raw once", n + 1);
                assert!(events.contains(&AgentEvent::Raw { line: line.to_owned() }), "{name}:{}", n + 1);
            }
        }
    }
    assert!(lines_seen > 150, "only {lines_seen} lines");
}

#[test]
fn main_transcripts_have_no_unexpected_raw() {
    let raw = |kind, name| super::count(&super::parse(kind, name), |e| matches!(e, AgentEvent::Raw { .. }));
    assert_eq!(raw(CliKind::Claude, "claude_stream.jsonl"), 0);
    assert_eq!(raw(CliKind::Codex, "codex_stream.jsonl"), 1); // turn.started
    assert_eq!(raw(CliKind::Gemini, "gemini_stream.jsonl"), 0);
    // Partial messages: 4 text deltas mapped, the other 15 stream events and 2 status lines Raw.
    assert_eq!(raw(CliKind::Claude, "claude_partial.jsonl"), 17);
}

/// The `.json` files are whole documents from the non-streaming output formats. Fed whole, or
/// line by line (pretty-printed), a parser must neither panic nor lose them.
#[test]
fn whole_document_outputs_never_panic() {
    for name in transcript_names().iter().filter(|n| n.ends_with(".json")) {
        let kind = cli_of(name).unwrap();
        let text = transcript(name);
        let whole = kind.protocol().parser().parse(text.trim_end());
        assert!(!whole.is_empty(), "{name}");
        let mut parser = kind.protocol().parser();
        for line in text.lines() {
            assert!(!parser.parse(line).is_empty(), "{name}: {line}");
        }
    }
    // Claude's `--output-format json` is its stream's `result` line on its own.
    let claude = CliKind::Claude.protocol().parser().parse(transcript("claude_json.json").trim_end());
    assert!(matches!(claude[0], AgentEvent::Usage { output_tokens: 94, .. }), "{claude:?}");
    assert!(matches!(claude.last(), Some(AgentEvent::TurnCompleted { is_error: false, .. })), "{claude:?}");
    // Gemini's `--output-format json` has no `type`: Raw, whole.
    let text = transcript("gemini_output.json");
    let gemini = CliKind::Gemini.protocol().parser().parse(&text);
    assert_eq!(gemini, vec![AgentEvent::Raw { line: text.clone() }]);
}

/// Property-style: every line of every transcript cut at many places (prefixes, suffixes, and
/// the line with a piece taken out), fed to fresh parsers and to one parser that keeps its state
/// across all of them. No panic, and every non-empty piece yields an event.
#[test]
fn cut_lines_never_panic() {
    let mut pieces = 0usize;
    for name in transcript_names() {
        let Some(kind) = cli_of(&name) else { continue };
        let mut stateful = kind.protocol().parser();
        for line in transcript(&name).lines() {
            for cut in cuts(line) {
                let (head, tail) = line.split_at(cut);
                let gap = tail.char_indices().nth(7).map_or(tail.len(), |(i, _)| i);
                let holed = format!("{head}{}", &tail[gap..]);
                for piece in [head, tail, holed.as_str()] {
                    pieces += 1;
                    for events in [kind.protocol().parser().parse(piece), stateful.parse(piece)] {
                        assert!(piece.is_empty() || !events.is_empty(), "{name}: {piece}");
                    }
                }
            }
            // The whole line after all that garbage still parses as it should.
            assert!(!stateful.parse(line).is_empty());
        }
    }
    assert!(pieces > 10_000, "only {pieces} pieces");
}

/// About 24 cut points spread over the line, on char boundaries, plus both ends.
fn cuts(line: &str) -> Vec<usize> {
    let step = (line.len() / 24).max(1);
    let mut at: Vec<usize> =
        (0..=line.len()).step_by(step).chain([1, line.len().saturating_sub(1), line.len()]).collect();
    at.retain(|&i| i <= line.len() && line.is_char_boundary(i));
    at.dedup();
    at
}
