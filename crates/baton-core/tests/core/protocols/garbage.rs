//! What a parser must survive: a line that is not JSON, JSON of the wrong shape, huge or deeply
//! nested lines, random bytes. Never a panic, never a lost line.

use baton_core::agent::event::AgentEvent;
use baton_core::agent::protocol::CliKind;

use super::ALL;

const JSON_CLIS: [CliKind; 3] = [CliKind::Claude, CliKind::Codex, CliKind::Gemini];

fn raw(line: &str) -> Vec<AgentEvent> {
    vec![AgentEvent::Raw { line: line.to_owned() }]
}

/// Every parser, fresh and with state from the line before, yields something for `line`.
fn survives(line: &str) {
    for kind in ALL {
        let events = kind.protocol().parser().parse(line);
        assert!(!events.is_empty(), "{kind:?}: nothing for {:?}", &line[..line.len().min(200)]);
    }
}

#[test]
fn lines_that_are_not_json_objects_are_raw() {
    let ansi = "\u{1b}[31m{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s\"}\u{1b}[0m";
    for line in
        ["", " ", "{", "}", "null", "[]", "{}", "\"text\"", "42", "true", "{\"type\":null}", "{\"type\":7}", ansi]
    {
        for kind in JSON_CLIS {
            assert_eq!(kind.protocol().parser().parse(line), raw(line), "{kind:?}: {line:?}");
        }
        assert_eq!(
            CliKind::Command.protocol().parser().parse(line),
            [AgentEvent::Text { text: line.into(), delta: false }]
        );
    }
}

#[test]
fn known_types_of_the_wrong_shape_never_panic() {
    let lines = [
        // Claude
        r#"{"type":"system","subtype":"init"}"#,
        r#"{"type":"system","subtype":"init","session_id":5,"tools":"Write"}"#,
        r#"{"type":"system","subtype":"api_retry","attempt":"1"}"#,
        r#"{"type":"assistant"}"#,
        r#"{"type":"assistant","message":{"content":"str"}}"#,
        r#"{"type":"assistant","message":{"model":"<synthetic>","content":[1,null,{"type":"tool_use"},{"type":"text"}]}}"#,
        r#"{"type":"user","message":{"content":[{"type":"tool_result"},{"type":"tool_result","tool_use_id":"x","content":{"a":1}}]}}"#,
        r#"{"type":"user","message":null,"tool_use_result":7}"#,
        r#"{"type":"result"}"#,
        r#"{"type":"result","usage":{"input_tokens":-1,"output_tokens":"2"},"permission_denials":[null,1,{}],"total_cost_usd":"x"}"#,
        r#"{"type":"result","permission_denials":{"a":1},"is_error":"yes","duration_ms":-5}"#,
        r#"{"type":"stream_event"}"#,
        r#"{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta"}}}"#,
        // Codex
        r#"{"type":"thread.started"}"#,
        r#"{"type":"item.started"}"#,
        r#"{"type":"item.completed","item":null}"#,
        r#"{"type":"item.completed","item":{"type":"command_execution"}}"#,
        r#"{"type":"item.completed","item":{"type":"file_change","status":"completed","changes":"x"}}"#,
        r#"{"type":"item.completed","item":{"type":"file_change","status":"completed","changes":[]}}"#,
        r#"{"type":"item.started","item":{"type":"mcp_tool_call","id":"i"}}"#,
        r#"{"type":"turn.completed","usage":[]}"#,
        r#"{"type":"turn.failed","error":"x"}"#,
        r#"{"type":"error"}"#,
        // Gemini
        r#"{"type":"init"}"#,
        r#"{"type":"message","role":"assistant","content":5}"#,
        r#"{"type":"message","role":"system","content":"x"}"#,
        r#"{"type":"tool_use","tool_id":"t"}"#,
        r#"{"type":"tool_result","tool_id":"never-called","status":"error","error":{"type":"tool_not_registered"}}"#,
        r#"{"type":"tool_result","tool_id":"t","output":{"lines":[1,2]}}"#,
        r#"{"type":"result","stats":"x","error":{"message":5}}"#,
        r#"{"type":"result"}"#,
    ];
    for kind in ALL {
        let mut stateful = kind.protocol().parser();
        for line in lines {
            assert!(!stateful.parse(line).is_empty(), "{kind:?}: {line}");
            survives(line);
        }
    }
}

#[test]
fn a_huge_line_is_kept_whole() {
    let mib = "a".repeat(1 << 20);
    let string = format!("\"{mib}\"");
    for kind in JSON_CLIS {
        assert_eq!(kind.protocol().parser().parse(&string), raw(&string));
    }
    let text =
        serde_json::json!({"type": "assistant", "message": {"content": [{"type": "text", "text": mib}]}}).to_string();
    assert_eq!(
        CliKind::Claude.protocol().parser().parse(&text),
        [AgentEvent::Text { text: mib.clone(), delta: false }]
    );
    let unterminated = format!("{{\"type\":\"message\",\"content\":\"{mib}");
    assert_eq!(CliKind::Gemini.protocol().parser().parse(&unterminated), raw(&unterminated));
}

/// serde_json stops at 128 levels: 100,000 are an error (Raw), not a stack overflow.
#[test]
fn deeply_nested_json_is_raw_not_a_stack_overflow() {
    let depth = 100_000;
    let open = "[".repeat(depth);
    let balanced = format!("{open}{}", "]".repeat(depth));
    let objects = format!("{{\"type\":\"assistant\",\"message\":{}", "{\"a\":".repeat(depth));
    let in_content = format!(
        "{{\"type\":\"user\",\"message\":{{\"content\":[{{\"type\":\"tool_result\",\"tool_use_id\":\"x\",\"content\":{balanced}}}]}}}}"
    );
    for line in [&open, &balanced, &objects, &in_content] {
        for kind in JSON_CLIS {
            assert_eq!(kind.protocol().parser().parse(line), raw(line), "{kind:?}");
        }
        survives(line);
    }
}

#[test]
fn random_bytes_never_panic() {
    // xorshift: reproducible without a dependency.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Half of the bytes from JSON's own alphabet, so the parser gets past the first character.
    let alphabet = br#"{}[]":,\ tnulrefas0123456789.-eE"#;
    for _ in 0..2_000 {
        let len = (next() % 512) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 2 == 0 { alphabet[(r >> 8) as usize % alphabet.len()] } else { (r >> 16) as u8 }
            })
            .collect();
        let line = String::from_utf8_lossy(&bytes);
        for kind in JSON_CLIS {
            let events = kind.protocol().parser().parse(&line);
            assert!(!events.is_empty(), "{kind:?}: {line:?}");
        }
        survives(&line);
    }
}
