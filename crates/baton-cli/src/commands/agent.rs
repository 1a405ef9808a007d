//! Agent commands: spawn, list, status, logs, send, approve, deny, wait, abort.

use std::time::{Duration, Instant};

use baton_core::BatonHome;
use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentEvent, AgentEventRecord, AgentSpawn, AgentState};
use baton_core::api::{AgentApprove, AgentEventsQuery, AgentListQuery, AgentMessage};
use baton_core::events::EngineEvent;
use baton_daemon::DaemonError;
use clap::{Args, ValueEnum};

use crate::output;

#[derive(Clone, Copy, ValueEnum)]
pub enum Cli {
    Claude,
    Codex,
    Gemini,
    Command,
}

impl From<Cli> for CliKind {
    fn from(c: Cli) -> Self {
        match c {
            Cli::Claude => CliKind::Claude,
            Cli::Codex => CliKind::Codex,
            Cli::Gemini => CliKind::Gemini,
            Cli::Command => CliKind::Command,
        }
    }
}

#[derive(Args)]
pub struct SpawnArgs {
    /// The session (id or name) the agent works for
    #[arg(long)]
    session: String,
    #[arg(long, value_enum)]
    cli: Cli,
    /// What the agent should do (for `command`: a first line for its stdin, optional)
    #[arg(long, default_value = "")]
    prompt: String,
    /// A name, unique in the session [default: CLI-N]
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    model: Option<String>,
    /// A tool to allow from the start (repeatable), e.g. Bash
    #[arg(long = "allow-tool", value_name = "TOOL")]
    allow_tools: Vec<String>,
    /// A folder to work in, instead of a new worktree and branch of its own
    #[arg(long)]
    cwd: Option<String>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    budget: super::policy::BudgetArgs,
    /// For `--cli command`: the program and its arguments
    #[arg(last = true, value_name = "PROGRAM ARGS")]
    program: Vec<String>,
}

pub fn spawn(home: &BatonHome, args: SpawnArgs) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    let cwd = args.cwd.map(|c| std::path::absolute(&c).map(|p| p.to_string_lossy().into_owned()).unwrap_or(c));
    let agent = client.agent_spawn(&AgentSpawn {
        session: args.session,
        cli: args.cli.into(),
        prompt: args.prompt,
        name: args.name,
        model: args.model,
        allow_tools: args.allow_tools,
        program: args.program,
        cwd,
    })?;
    if args.budget.any() {
        // Set as it starts: budgets are checked at each turn's end, the first one included.
        super::policy::agent_budget_set(&client, &agent.session_id, &agent.id, &args.budget)?;
    }
    if args.json {
        output::json(&agent);
    } else {
        println!("{}", agent.id);
    }
    Ok(())
}

pub fn list(home: &BatonHome, session: Option<String>, json: bool) -> Result<(), DaemonError> {
    let agents = super::client(home)?.agent_list(&AgentListQuery { session: session.clone(), archived: None })?;
    if json {
        output::json(&agents);
    } else if agents.is_empty() {
        println!("no agents yet; start one with `baton agent spawn --session ID --cli claude --prompt TEXT`");
    } else {
        let rows: Vec<Vec<String>> = agents
            .iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    a.name.clone(),
                    a.cli.as_str().into(),
                    state(a),
                    cost(a),
                    a.last_event_at.as_deref().map(output::time_short).unwrap_or_default(),
                    a.session_id.clone(),
                ]
            })
            .collect();
        output::table(&["ID", "NAME", "CLI", "STATE", "COST", "LAST EVENT (UTC)", "SESSION"], &rows);
    }
    Ok(())
}

/// The state, and whether it is archived (removed: history and cost kept).
fn state(a: &Agent) -> String {
    if a.archived_at.is_some() { format!("{} (archived)", a.state.as_str()) } else { a.state.as_str().into() }
}

/// Lists (or resumes, or dismisses) the agents a daemon's stop interrupted. Exit code 1 when some
/// could not be resumed.
pub fn interrupted(home: &BatonHome, resume: bool, dismiss: bool, json: bool) -> Result<u8, DaemonError> {
    let client = super::client(home)?;
    if resume {
        let r = client.agents_interrupted_resume()?;
        if json {
            output::json(&r);
        } else {
            for a in &r.resumed {
                println!("resumed {}", a.name);
            }
            for f in &r.failed {
                println!("not resumed {}: {}", f.agent_name, f.message);
            }
            if r.resumed.is_empty() && r.failed.is_empty() {
                println!("no agent was interrupted by the last stop");
            }
        }
        return Ok(u8::from(!r.failed.is_empty()));
    }
    let agents = if dismiss { client.agents_interrupted_dismiss()? } else { client.agents_interrupted()? };
    if json {
        output::json(&agents);
    } else if agents.is_empty() {
        println!("no agent was interrupted by the last stop");
    } else {
        let verb = if dismiss { "dismissed" } else { "interrupted" };
        for a in &agents {
            println!("{verb}: {} ({}, session {})", a.name, a.id, a.session_id);
        }
        if !dismiss {
            println!("`baton agent interrupted --resume` continues them; --dismiss forgets this list");
        }
    }
    Ok(0)
}

fn cost(a: &Agent) -> String {
    if a.cost_is_estimate { format!("~${:.4}", a.cost_usd) } else { format!("${:.4}", a.cost_usd) }
}

pub fn status(home: &BatonHome, id: &str, json: bool) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    let a = client.agent_get(id)?;
    if json {
        output::json(&a);
        return Ok(());
    }
    println!("id:           {}", a.id);
    println!("name:         {}", a.name);
    println!("state:        {}", a.state.as_str());
    println!("cli:          {}", a.cli.as_str());
    println!("model:        {}", a.model.as_deref().unwrap_or("(the CLI's default)"));
    println!("cwd:          {}", a.cwd);
    println!("cli session:  {}", a.cli_session_id.as_deref().unwrap_or("(not yet reported)"));
    println!("turns:        {}", a.turns);
    println!(
        "tokens:       {} in, {} out, {} cache read, {} cache write",
        a.usage.input, a.usage.output, a.usage.cache_read, a.usage.cache_write
    );
    println!("cost:         {}{}", cost(&a), if a.cost_is_estimate { " (estimate from tokens)" } else { "" });
    println!("last event:   {}", a.last_event_at.as_deref().unwrap_or("-"));
    println!("log:          {}", a.log_path);
    if let Some(code) = a.exit_code {
        println!("exit code:    {code}");
    }
    if let Some(wt) = &a.worktree {
        let gone = wt.removed_at.is_some() || !std::path::Path::new(&wt.path).is_dir();
        println!("worktree:     {}{}", wt.path, if gone { " (removed)" } else { "" });
        let short = &wt.base_commit[..wt.base_commit.len().min(8)];
        let deleted = if wt.branch_deleted_at.is_some() { " (deleted, merged)" } else { "" };
        println!("branch:       {}{deleted} from {} at {short}", wt.branch, wt.base_ref);
        if let Some(into) = &wt.merged_into {
            println!("merged:       into {into} at {}", wt.merged_at.as_deref().unwrap_or("-"));
        }
        if !gone {
            let changes = client.agent_changes(&a.id)?;
            if changes.is_empty() {
                println!("changes:      none uncommitted");
            }
            for f in changes {
                println!("changed:      {:<10} {}", f.status, f.path);
            }
        }
    }
    if a.pending.is_empty() {
        println!("pending:      nothing");
    } else {
        for p in &a.pending {
            println!("pending:      {} {} (approve with `baton approve {} {}`)", p.tool, p.input, a.name, p.tool);
        }
    }
    Ok(())
}

pub fn logs(home: &BatonHome, id: &str, follow: bool, json: bool) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    let agent = client.agent_get(id)?;
    let mut last = 0u64;
    loop {
        let page = client.agent_events(
            &agent.id,
            &AgentEventsQuery { after: Some(last), limit: Some(10_000), ..Default::default() },
        )?;
        let done = page.len() < 10_000;
        for record in &page {
            event_print(record, json);
            last = record.seq;
        }
        if done {
            break;
        }
    }
    if !follow {
        return Ok(());
    }
    let ended = |state: AgentState| !state.is_active() && state != AgentState::Waiting;
    if ended(client.agent_get(&agent.id)?.state) {
        return Ok(());
    }
    client.events_follow(|batch| {
        for event in batch {
            match event {
                EngineEvent::AgentEvent { record } if record.agent_id == agent.id && record.seq > last => {
                    event_print(&record, json);
                    last = record.seq;
                }
                // A finished agent ends the follow, as `tail -f` of a closed log would not.
                EngineEvent::AgentUpdated { agent: a } if a.id == agent.id && ended(a.state) => return false,
                _ => {}
            }
        }
        true
    })
}

fn event_print(record: &AgentEventRecord, json: bool) {
    if json {
        match serde_json::to_string(record) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("error: cannot print an event: {e}"),
        }
        return;
    }
    println!("{}", event_text(&record.event));
}

fn event_text(event: &AgentEvent) -> String {
    match event {
        AgentEvent::SessionStarted { cli_session_id, model, .. } => {
            format!(
                "session {cli_session_id} started{}",
                model.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
            )
        }
        AgentEvent::Text { text, .. } => text.clone(),
        AgentEvent::UserText { text, from: None } => format!("> {text}"),
        AgentEvent::UserText { text, from: Some(from) } => format!("> [from {from}] {text}"),
        AgentEvent::MessageSent { to, text } => format!("[sent to {to}] {text}"),
        AgentEvent::ToolCall { name, input, .. } => format!("[tool] {name} {input}"),
        AgentEvent::ToolResult { output, is_error, .. } => {
            format!(
                "[{}] {}",
                if *is_error { "tool error" } else { "tool result" },
                output.lines().next().unwrap_or("")
            )
        }
        AgentEvent::FileChange { path, change } => format!("[file] {change} {path}"),
        AgentEvent::Command { command, exit_code, status, .. } => match exit_code {
            Some(code) => format!("[command] {command} -> exit {code}"),
            None => format!("[command] {command} ({status:?})").to_lowercase(),
        },
        AgentEvent::PermissionDenied { tool, input, .. } => format!("[denied] {tool} {input}"),
        AgentEvent::PolicyDenied { tool, command: Some(command), rule } => {
            format!("[policy] denied {tool}: {command} (by {rule})")
        }
        AgentEvent::PolicyDenied { tool, command: None, rule } => format!("[policy] denied {tool} (by {rule})"),
        AgentEvent::Usage { input_tokens, output_tokens, cost_usd, .. } => format!(
            "[usage] {input_tokens} in, {output_tokens} out{}",
            cost_usd.map(|c| format!(", ${c:.4}")).unwrap_or_default()
        ),
        AgentEvent::TurnCompleted { is_error, subtype, .. } => {
            format!(
                "[turn {}]{}",
                if *is_error { "failed" } else { "done" },
                subtype.as_deref().map(|s| format!(" {s}")).unwrap_or_default()
            )
        }
        AgentEvent::Retry { attempt, error, .. } => format!("[retry {attempt}] {}", error.as_deref().unwrap_or("")),
        AgentEvent::Error { message } => format!("[error] {message}"),
        AgentEvent::Stderr { line } => format!("[stderr] {line}"),
        AgentEvent::Raw { line } => line.clone(),
        AgentEvent::Notice { message } => format!("[baton] {message}"),
        AgentEvent::Checkpoint { n, message, .. } => format!("[checkpoint {n}] {message}"),
        AgentEvent::Exited { code, signal } => match (code, signal) {
            (Some(c), _) => format!("[exited {c}]"),
            (None, Some(s)) => format!("[killed by signal {s}]"),
            _ => "[exited]".into(),
        },
        // A subagent's step, indented under the agent's own.
        AgentEvent::Nested { event, .. } => format!("  [subagent] {}", event_text(event)),
    }
}

pub fn send(home: &BatonHome, id: &str, text: &str, from: Option<String>) -> Result<(), DaemonError> {
    let a = super::client(home)?.agent_send(id, &AgentMessage { text: text.to_owned(), from })?;
    if a.queued_messages > 0 {
        println!(
            "kept for {} until its turn ends ({} message{} waiting)",
            a.name,
            a.queued_messages,
            if a.queued_messages == 1 { "" } else { "s" }
        );
    } else {
        println!("sent to {} ({})", a.name, a.state.as_str());
    }
    Ok(())
}

pub fn promote(home: &BatonHome, id: &str) -> Result<(), DaemonError> {
    let p = super::client(home)?.coordinator_promote(id)?;
    match (&p.replaced, p.unchanged) {
        (_, true) => println!("{} already coordinates session {}", p.agent.name, p.session.name),
        (Some(old), _) => println!("{} now coordinates session {}, in place of {old}", p.agent.name, p.session.name),
        (None, _) => println!("{} now coordinates session {}", p.agent.name, p.session.name),
    }
    Ok(())
}

pub fn demote(home: &BatonHome, id: &str) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    let s = client.coordinator_demote(id)?;
    let a = client.agent_get(id)?;
    println!("{} no longer coordinates session {}", a.name, s.name);
    Ok(())
}

pub fn approve(home: &BatonHome, id: &str, tool: &str, always: bool) -> Result<(), DaemonError> {
    let a = super::client(home)?.agent_approve(id, &AgentApprove { tool: tool.to_owned(), always })?;
    let scope = if always { "for every agent of the session" } else { "for this agent's next run" };
    println!("approved {tool} {scope}; {} is {}", a.name, a.state.as_str());
    Ok(())
}

pub fn deny(home: &BatonHome, id: &str, tool: &str) -> Result<(), DaemonError> {
    let a = super::client(home)?.agent_deny(id, &AgentApprove { tool: tool.to_owned(), always: false })?;
    println!("denied {tool}; {} is {}", a.name, a.state.as_str());
    Ok(())
}

pub fn abort(home: &BatonHome, id: &str) -> Result<(), DaemonError> {
    let a = super::client(home)?.agent_stop(id)?;
    println!("{} is {}", a.name, a.state.as_str());
    Ok(())
}

/// The longest one wait call asks of the daemon: under the client's limit on a call (30 s).
const WAIT_SLICE: Duration = Duration::from_secs(20);

/// Exit codes of `baton wait`.
pub const WAIT_NEEDS_INPUT: u8 = 3;
pub const WAIT_FAILED: u8 = 4;
pub const WAIT_STOPPED: u8 = 5;
pub const WAIT_TIMEOUT: u8 = 6;

/// Waits until the agent's turn ends or it exits; the exit code says which.
pub fn wait(home: &BatonHome, id: &str, timeout: Option<u64>) -> Result<u8, DaemonError> {
    let client = super::client(home)?;
    let deadline = timeout.map(|s| Instant::now() + Duration::from_secs(s));
    loop {
        // The daemon waits (`agent_wait`), in slices shorter than a client call's limit.
        let slice = deadline.map_or(WAIT_SLICE, |d| d.saturating_duration_since(Instant::now()).min(WAIT_SLICE));
        let query = baton_core::api::AgentWaitQuery { timeout: Some(slice.as_millis().div_ceil(1000) as u64) };
        let a = client.agent_wait(id, &query)?;
        let code = match a.state {
            AgentState::Starting | AgentState::Running => None,
            AgentState::Waiting | AgentState::Exited => Some(0),
            AgentState::NeedsInput => Some(WAIT_NEEDS_INPUT),
            AgentState::Failed => Some(WAIT_FAILED),
            AgentState::Stopped => Some(WAIT_STOPPED),
        };
        if let Some(code) = code {
            println!("{} is {}", a.name, a.state.as_str());
            return Ok(code);
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            println!("{} is still {} after {}s", a.name, a.state.as_str(), timeout.unwrap_or(0));
            return Ok(WAIT_TIMEOUT);
        }
    }
}
