//! What the fake model says: a script of steps, one per model request, per API key.
//!
//! A scenario is plain data (serde) so the binary reads it from a JSON file and tests build it
//! in Rust. Tool names and inputs are passed through untouched: the script speaks each CLI's own
//! tool vocabulary (Claude `Write {file_path, content}`, Codex `exec_command {cmd}`, Gemini
//! `write_file {file_path, content}`, ...).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The text every request gets once a scenario has run out of steps.
pub const DONE_TEXT: &str = "done";

/// An ordered script: step `i` answers the `i`-th model request made with one API key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub steps: Vec<Step>,
}

/// One answer to one model request.
///
/// `text` and `tool_call` may be combined (the text comes first, as a model says "I'll create
/// the file." before calling a tool); `error` stands alone. `delay_ms` holds the answer back:
/// for a streamed answer the stream opens at once (the CLI sees the model "thinking") and the rest
/// follows after the delay; for an error the whole answer waits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call: Option<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// A call of one of the CLI's tools, named as that CLI names it.
///
/// For Codex, an `input` that is a JSON string is sent as a freeform custom tool call (the shape
/// of its `apply_patch` tool, whose input is the patch text); an object is sent as a function call
/// whose `arguments` are that object encoded as JSON (`exec_command {cmd}`). An MCP tool is named
/// as Codex names it elsewhere, `mcp__SERVER__TOOL`: Codex defers MCP tools, so the server answers
/// the step with a tool search first and, once Codex has loaded the tool, calls it by namespace
/// (`mcp__SERVER`) and name (`TOOL`); both requests are recorded as this step's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    pub name: String,
    #[serde(default = "empty_object")]
    pub input: Value,
}

/// An HTTP error in the provider's own error JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorReply {
    pub status: u16,
    pub message: String,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// A scenario that does not make sense, named by the index of its step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("step {step}: `error` cannot be combined with `text` or `tool_call`")]
    ErrorWithContent { step: usize },
    #[error("step {step}: status {status} is not an HTTP error status (use 400..=599)")]
    NotAnErrorStatus { step: usize, status: u16 },
    #[error("step {step}: tool_call input must be a JSON object or (Codex freeform tools) a string")]
    BadToolInput { step: usize },
}

impl Scenario {
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Scenario {
        Scenario { steps: steps.into_iter().collect() }
    }

    /// Checks what serde cannot: that each step is one coherent answer.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        for (step, s) in self.steps.iter().enumerate() {
            if let Some(error) = &s.error {
                if s.text.is_some() || s.tool_call.is_some() {
                    return Err(ScenarioError::ErrorWithContent { step });
                }
                if !(400..=599).contains(&error.status) {
                    return Err(ScenarioError::NotAnErrorStatus { step, status: error.status });
                }
            }
            if let Some(call) = &s.tool_call
                && !(call.input.is_object() || call.input.is_string())
            {
                return Err(ScenarioError::BadToolInput { step });
            }
        }
        Ok(())
    }

    /// The step answering request number `index` (0-based), or the closing "done" text.
    pub fn step(&self, index: usize) -> Step {
        self.steps.get(index).cloned().unwrap_or_else(|| Step::text(DONE_TEXT))
    }
}

impl Step {
    /// A plain text answer that ends the model's turn.
    pub fn text(text: impl Into<String>) -> Step {
        Step { text: Some(text.into()), ..Step::default() }
    }

    /// A tool call (the CLI runs the tool and sends the result in its next request).
    pub fn tool_call(name: impl Into<String>, input: Value) -> Step {
        Step { tool_call: Some(ToolCall { name: name.into(), input }), ..Step::default() }
    }

    /// An HTTP error with the provider's error body.
    pub fn error(status: u16, message: impl Into<String>) -> Step {
        Step { error: Some(ErrorReply { status, message: message.into() }), ..Step::default() }
    }

    /// Adds text said before the tool call of this step.
    pub fn with_text(mut self, text: impl Into<String>) -> Step {
        self.text = Some(text.into());
        self
    }

    /// Holds the answer back by this many milliseconds.
    pub fn with_delay_ms(mut self, delay_ms: u64) -> Step {
        self.delay_ms = Some(delay_ms);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_documented_json_shape() {
        let scenario: Scenario = serde_json::from_value(json!({"steps": [
            {"text": "I'll create the file.", "tool_call": {"name": "Write", "input": {"file_path": "/r/a", "content": "x"}}},
            {"error": {"status": 500, "message": "overloaded"}, "delay_ms": 20},
            {"text": "Created."}
        ]}))
        .unwrap();
        assert_eq!(
            scenario,
            Scenario::new([
                Step::tool_call("Write", json!({"file_path": "/r/a", "content": "x"}))
                    .with_text("I'll create the file."),
                Step::error(500, "overloaded").with_delay_ms(20),
                Step::text("Created."),
            ])
        );
        scenario.validate().unwrap();
        assert_eq!(scenario.step(3), Step::text(DONE_TEXT));
    }

    #[test]
    fn rejects_unknown_fields_and_incoherent_steps() {
        let typo = serde_json::from_value::<Scenario>(json!({"steps": [{"txt": "hi"}]}));
        assert!(typo.unwrap_err().to_string().contains("unknown field `txt`"));

        let mixed = Scenario::new([Step { text: Some("x".into()), ..Step::error(400, "bad") }]);
        assert_eq!(mixed.validate(), Err(ScenarioError::ErrorWithContent { step: 0 }));
        let not_error = Scenario::new([Step::error(200, "fine")]);
        assert_eq!(not_error.validate(), Err(ScenarioError::NotAnErrorStatus { step: 0, status: 200 }));
        let bad_input = Scenario::new([Step::text("a"), Step::tool_call("Bash", json!(3))]);
        assert_eq!(bad_input.validate(), Err(ScenarioError::BadToolInput { step: 1 }));
    }
}
