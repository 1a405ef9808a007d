//! What the three wire formats share: SSE framing, ids, chunking of text, token estimates.

use serde_json::Value;

use crate::scenario::Step;

/// A streamed answer: `head` goes out at once (the stream is open, the model is "thinking"),
/// `rest` after the step's delay.
pub(crate) struct Reply {
    pub head: Vec<String>,
    pub rest: Vec<String>,
}

/// What an answer needs to know about the request it answers.
pub(crate) struct Turn {
    /// The model the client asked for, echoed back as the real APIs do.
    pub model: String,
    /// Estimated from the request size (about four bytes a token, as with real tokenizers), so
    /// the numbers grow with the conversation and the clients compute a plausible cost.
    pub input_tokens: u64,
}

impl Turn {
    pub fn new(model: impl Into<String>, request_bytes: usize) -> Turn {
        Turn { model: model.into(), input_tokens: (request_bytes as u64 / 4).max(1) }
    }

    pub fn output_tokens(&self, step: &Step) -> u64 {
        let text = step.text.as_ref().map_or(0, String::len);
        let call = step.tool_call.as_ref().map_or(0, |c| c.name.len() + c.input.to_string().len());
        ((text + call) as u64 / 4) + 1
    }

    /// A fresh random id with the provider's prefix (random, not counted, so ids stay unique
    /// across server restarts inside one resumed session).
    pub fn id(&self, prefix: &str) -> String {
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
            bytes = nanos.to_le_bytes();
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}{hex}")
    }
}

/// One SSE event. `event: NAME` is present for Anthropic and OpenAI; Gemini sends bare `data:`.
pub(crate) fn sse_event(event: Option<&str>, data: &Value) -> String {
    match event {
        Some(name) => format!("event: {name}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

/// Splits text into small deltas, as a model streams tokens (never inside a UTF-8 character).
pub(crate) fn chunks(text: &str) -> Vec<&str> {
    const TARGET: usize = 24;
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + TARGET).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    if out.is_empty() {
        out.push("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_text_and_respect_characters() {
        let text = "héllo wörld, this is a fairly long sentence — with dashes";
        let pieces = chunks(text);
        assert!(pieces.len() > 1);
        assert_eq!(pieces.concat(), text);
        assert_eq!(chunks(""), vec![""]);
    }
}
