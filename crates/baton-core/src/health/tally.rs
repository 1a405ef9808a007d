//! What health needs from an agent's events, kept as they are recorded (the recorder thread
//! applies each event here), so the sampler never rereads logs: the last output and line, recent
//! failed tool calls and API retries, and the streaks that make a loop (the same tool call with
//! the same input, or the same error, again and again). Pure: [`Tally::apply`] takes the event and
//! its time.

use std::collections::VecDeque;

use crate::agent::AgentEvent;

/// How many recent failures and retries are remembered (older ones no longer count anyway).
const RECENT_MAX: usize = 64;
/// The longest last line kept for display.
const LINE_SHOWN: usize = 200;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// When the agent last printed anything (ms).
    pub last_output_at: Option<i64>,
    /// The last thing it said or did, in one line, for a glance.
    pub last_line: Option<String>,
    /// When tool calls failed (ms), newest last.
    pub failed_tools: VecDeque<i64>,
    /// When the CLI retried a model request (ms), newest last.
    pub retries: VecDeque<i64>,
    /// The last tool call (name and input) and how many times in a row it was made.
    pub same_call: Option<(String, u32)>,
    /// The last error and how many times in a row it came.
    pub same_error: Option<(String, u32)>,
    /// When its last event of any kind was applied (ms): the engine forgets a tally untouched
    /// for a while once its agent has ended.
    pub touched_at: i64,
}

impl Tally {
    /// Applies one event at `ts`. `from_agent`: the event is the agent's output (not a note of
    /// Baton's, such as a message it sent or the process's start).
    pub fn apply(&mut self, event: &AgentEvent, ts: i64, from_agent: bool) {
        self.touched_at = self.touched_at.max(ts);
        if from_agent {
            self.last_output_at = Some(self.last_output_at.map_or(ts, |t| t.max(ts)));
        }
        match event {
            AgentEvent::ToolCall { name, input, .. } => {
                let key = format!("{name} {input}");
                self.same_call = Some(match self.same_call.take() {
                    Some((k, n)) if k == key => (k, n + 1),
                    _ => (key, 1),
                });
                self.line_set(format!("{name} {}", input_brief(input)));
            }
            AgentEvent::ToolResult { is_error: true, output, .. } => {
                push_bounded(&mut self.failed_tools, ts);
                self.error_seen(output);
            }
            AgentEvent::Command { command, status, .. } => {
                if *status == crate::agent::event::CommandStatus::Failed {
                    push_bounded(&mut self.failed_tools, ts);
                }
                self.line_set(format!("$ {command}"));
            }
            AgentEvent::Retry { .. } => push_bounded(&mut self.retries, ts),
            AgentEvent::Error { message } => {
                self.error_seen(message);
                self.line_set(format!("error: {message}"));
            }
            AgentEvent::TurnCompleted { is_error: true, result, .. } => {
                self.error_seen(result.as_deref().unwrap_or("the turn failed"));
            }
            AgentEvent::Text { text, .. } if from_agent => {
                if let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) {
                    self.line_set(line.to_owned());
                }
            }
            AgentEvent::Raw { line } | AgentEvent::Stderr { line } if !line.trim().is_empty() => {
                self.line_set(line.clone());
            }
            // A message from the user starts afresh: what came before is no longer a loop.
            AgentEvent::UserText { .. } if !from_agent => {
                self.same_call = None;
                self.same_error = None;
            }
            _ => {}
        }
    }

    /// The longer of the two streaks (calls, errors) and what repeats.
    pub fn loop_streak(&self) -> Option<(&str, u32)> {
        let calls = self.same_call.as_ref().map(|(k, n)| (k.as_str(), *n));
        let errors = self.same_error.as_ref().map(|(k, n)| (k.as_str(), *n));
        match (calls, errors) {
            (Some(c), Some(e)) => Some(if e.1 > c.1 { e } else { c }),
            (c, e) => c.or(e),
        }
    }

    fn error_seen(&mut self, message: &str) {
        let key: String = message.chars().take(500).collect();
        self.same_error = Some(match self.same_error.take() {
            Some((k, n)) if k == key => (k, n + 1),
            _ => (key, 1),
        });
    }

    fn line_set(&mut self, line: String) {
        let line = line.replace(['\n', '\r', '\t'], " ");
        self.last_line = Some(if line.chars().count() > LINE_SHOWN {
            line.chars().take(LINE_SHOWN - 1).chain(['…']).collect()
        } else {
            line
        });
    }
}

fn push_bounded(list: &mut VecDeque<i64>, ts: i64) {
    if list.len() == RECENT_MAX {
        list.pop_front();
    }
    list.push_back(ts);
}

fn input_brief(input: &serde_json::Value) -> String {
    let text = match input {
        serde_json::Value::Object(map) => map
            .get("command")
            .or_else(|| map.get("file_path"))
            .or_else(|| map.get("path"))
            .map_or_else(|| input.to_string(), |v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        other => other.to_string(),
    };
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, command: &str) -> AgentEvent {
        AgentEvent::ToolCall { id: id.into(), name: "Bash".into(), input: serde_json::json!({ "command": command }) }
    }

    #[test]
    fn the_same_call_counts_in_a_row_and_a_user_message_starts_afresh() {
        let mut t = Tally::default();
        t.apply(&call("1", "npm test"), 10, true);
        t.apply(&call("2", "npm test"), 20, true);
        t.apply(&call("3", "npm test"), 30, true);
        assert_eq!(t.loop_streak().map(|(_, n)| n), Some(3));
        assert_eq!(t.last_line.as_deref(), Some("Bash npm test"));
        assert_eq!(t.last_output_at, Some(30));
        // Another call breaks the streak.
        t.apply(&call("4", "ls"), 40, true);
        assert_eq!(t.loop_streak().map(|(_, n)| n), Some(1));
        t.apply(&call("5", "ls"), 50, true);
        t.apply(&AgentEvent::UserText { text: "try again".into(), from: None }, 60, false);
        assert_eq!(t.loop_streak(), None);
        // Baton's own notes are not output.
        assert_eq!(t.last_output_at, Some(50));
    }

    #[test]
    fn failures_retries_and_repeated_errors_are_counted() {
        let mut t = Tally::default();
        for ts in 0..3 {
            t.apply(&AgentEvent::ToolResult { id: "x".into(), output: "ENOENT".into(), is_error: true }, ts, true);
        }
        t.apply(&AgentEvent::Retry { attempt: 1, max_retries: Some(3), error: None }, 5, true);
        assert_eq!(t.failed_tools.len(), 3);
        assert_eq!(t.retries.len(), 1);
        assert_eq!(t.loop_streak(), Some(("ENOENT", 3)));
    }
}
