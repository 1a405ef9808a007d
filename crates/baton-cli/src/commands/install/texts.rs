//! The `/become-orchestrator` command in each CLI's format. Each starts the same way: the
//! conversation registers itself as the coordinator of the repository's session through
//! Baton's `coordinator_become` tool, whose answer carries the coordinator's instructions.

use super::MARKER;

const NOTE: &str = "`baton install` wrote this file and `baton uninstall` removes it; the next install replaces edits.";

const DESCRIPTION: &str = "Make this conversation the coordinator of the repository's Baton session";

/// The steps, with how this CLI names Baton's tools and the goal argument.
fn steps(tool_prefix: &str, goal: &str, conversation: &str) -> String {
    format!(
        "Become the coordinator of this repository's Baton session, for this goal: {goal}\n\
         \n\
         1. Call `{tool_prefix}coordinator_become` with `goal` set to the goal above{conversation}. It makes or finds \
         the repository's session, records you as its coordinator and answers with your instructions.\n\
         2. Follow those instructions from then on: plan the work as tasks with dependencies \
         (`{tool_prefix}task_add`), give them to agents (`{tool_prefix}agent_spawn`), watch without pause \
         (`{tool_prefix}coordinator_wait` tells you each change: a task done, an agent waiting for input), review \
         their work (`{tool_prefix}agent_diff`), and merge what is good (`{tool_prefix}agent_merge`).\n\
         3. Delegate: never implement the work yourself. Declare the goal done only when every task is done and \
         the completion criteria hold (`{tool_prefix}session_status`).\n"
    )
}

pub(super) fn claude_command() -> String {
    format!(
        "---\n# {MARKER}: {NOTE}\ndescription: {DESCRIPTION}\nargument-hint: <goal>\nallowed-tools: mcp__baton\n---\n{}",
        steps("mcp__baton__", "$ARGUMENTS", ", `cli` \"claude\" and `conversation` \"${CLAUDE_SESSION_ID}\"")
    )
}

pub(super) fn codex_prompt() -> String {
    format!(
        "---\n# {MARKER}: {NOTE}\ndescription: {DESCRIPTION}\nargument-hint: GOAL=\"<goal>\"\n---\n{}",
        steps("baton.", "$ARGUMENTS", " and `cli` \"codex\"")
    )
}

pub(super) fn gemini_command() -> String {
    let prompt = steps("", "{{args}}", " and `cli` \"gemini\"");
    format!("# {MARKER}: {NOTE}\ndescription = \"{DESCRIPTION}\"\nprompt = \"\"\"\n{prompt}\"\"\"\n")
}
