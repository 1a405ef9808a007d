//! Placeholder: being written.
use super::*;
pub struct Codex;
impl Protocol for Codex {
    fn cli(&self) -> CliKind { CliKind::Codex }
    fn launch(&self, _spec: &LaunchSpec<'_>) -> Launch { Launch { args: vec![], stdin_lines: vec![], stdin_open: false } }
    fn follow_up(&self) -> FollowUp { FollowUp::Relaunch }
    fn stdin_message(&self, text: &str) -> String { text.to_owned() }
    fn parser(&self) -> Box<dyn LineParser> { Box::new(RawParser) }
}
struct RawParser;
impl LineParser for RawParser { fn parse(&mut self, line: &str) -> Vec<AgentEvent> { vec![AgentEvent::Raw { line: line.to_owned() }] } }
