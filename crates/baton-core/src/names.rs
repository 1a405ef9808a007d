//! The one check every user-given name goes through (sessions, agents, tasks, roles, branches,
//! patterns, tools) before it reaches the store, git or a process: not too long, no control
//! characters. Such names end up in branch names, paths and command lines, where a NUL byte or a
//! megabyte would fail far from the cause.

use crate::error::{ErrorCode, Result};

/// The longest name accepted, in bytes.
pub const NAME_MAX: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum NameError {
    #[error("the {kind} is {len} bytes long; keep it under {NAME_MAX}")]
    TooLong { kind: &'static str, len: usize },
    #[error("the {kind} {shown:?} has a control character (such as a newline or NUL); use plain text")]
    Control { kind: &'static str, shown: String },
    #[error("the {kind} holds a NUL byte, which a command line cannot carry; remove it")]
    Nul { kind: &'static str },
}

impl NameError {
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidInput
    }
}

/// Refuses a name that is too long or holds a control character. `kind` names it in the message
/// ("agent name", "branch").
pub fn name_check(kind: &'static str, name: &str) -> Result<()> {
    if name.len() > NAME_MAX {
        return Err(NameError::TooLong { kind, len: name.len() }.into());
    }
    if name.chars().any(char::is_control) {
        let shown: String = name.chars().take(40).collect();
        return Err(NameError::Control { kind, shown }.into());
    }
    Ok(())
}

/// Refuses text that will reach a process's command line or stdin with a NUL byte in it
/// (prompts, messages, program arguments): newlines and the like are fine there.
pub fn arg_check(kind: &'static str, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(NameError::Nul { kind }.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_others_say_why() {
        assert!(name_check("agent name", "api-worker_2.β").is_ok());
        let long = "x".repeat(NAME_MAX + 1);
        assert!(name_check("branch", &long).unwrap_err().to_string().contains("keep it under 200"));
        assert!(name_check("branch", "main\0").unwrap_err().to_string().contains("control character"));
        assert!(name_check("task name", "a\nb").is_err());
        assert!(arg_check("prompt", "two\nlines").is_ok());
        assert!(arg_check("prompt", "a\0b").unwrap_err().to_string().contains("NUL byte"));
    }
}
