//! Any program (`command`), shown as a terminal: it speaks no protocol, so every stdout line is
//! text, ANSI escape codes included (the UI renders them). The supervisor passes the user's own
//! program and arguments, so [`Protocol::launch`] adds no arguments; it only writes the prompt,
//! if there is one, to stdin as one line, and keeps stdin open for whatever the user types next.

use super::{CliKind, FollowUp, Launch, LaunchSpec, LineParser, Protocol};
use crate::agent::event::AgentEvent;

pub struct Command;

impl Protocol for Command {
    fn cli(&self) -> CliKind {
        CliKind::Command
    }

    fn launch(&self, spec: &LaunchSpec<'_>) -> Launch {
        let stdin_lines = if spec.prompt.is_empty() { Vec::new() } else { vec![self.stdin_message(spec.prompt)] };
        Launch { args: Vec::new(), stdin_lines, stdin_open: true }
    }

    fn follow_up(&self) -> FollowUp {
        FollowUp::Stdin
    }

    /// The text as typed, without a trailing newline: the supervisor appends `\n` to every stdin
    /// line, as for every CLI.
    fn stdin_message(&self, text: &str) -> String {
        text.to_owned()
    }

    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(TextParser)
    }
}

#[derive(Clone)]
struct TextParser;

impl LineParser for TextParser {
    fn snapshot(&self) -> Box<dyn LineParser> {
        Box::new(self.clone())
    }

    fn parse(&mut self, line: &str) -> Vec<AgentEvent> {
        vec![AgentEvent::Text { text: line.to_owned(), delta: false }]
    }
}
