//! `baton policy show/edit`, `baton budget`, the budget flags of `session set` and `agent
//! spawn`, and `baton resume AGENT`: a session's policy file and budgets, all through the
//! daemon, which checks every change.

use std::io::{BufRead, IsTerminal, Write};

use baton_core::BatonHome;
use baton_core::agent::budget::{BudgetSet, BudgetStatus, SessionBudgets};
use baton_core::api::{PolicyRead, PolicyUpdate, PolicyWrite};
use baton_daemon::DaemonError;
use baton_daemon::client::DaemonClient;
use clap::{Args, Subcommand, ValueEnum};

use crate::output;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Show a session's policy: allowed and denied tools, denied commands, environment, sandbox
    Show {
        #[arg(long)]
        session: String,
        /// The policy in effect as JSON (with the file's path and text)
        #[arg(long)]
        json: bool,
    },
    /// Edit a session's policy file in $VISUAL or $EDITOR; a file that breaks a rule is refused
    /// (the old one stays) and offered for editing again
    Edit {
        #[arg(long)]
        session: String,
    },
}

/// Budget limits, as flags (`0` removes a limit).
#[derive(Args, Default)]
pub struct BudgetArgs {
    /// Cost limit in US dollars; at 100% the agent pauses after its turn
    #[arg(long, value_name = "USD")]
    pub budget_usd: Option<f64>,
    /// Token limit (input and output)
    #[arg(long, value_name = "N")]
    pub budget_tokens: Option<u64>,
    /// Wall-time limit in minutes
    #[arg(long, value_name = "M")]
    pub budget_minutes: Option<f64>,
    /// CPU-time limit in minutes (the agents' processes and the commands they run)
    #[arg(long, value_name = "C")]
    pub budget_cpu_minutes: Option<f64>,
}

impl BudgetArgs {
    pub fn any(&self) -> bool {
        self.budget_usd.is_some()
            || self.budget_tokens.is_some()
            || self.budget_minutes.is_some()
            || self.budget_cpu_minutes.is_some()
    }

    pub fn to_set(&self, agent: Option<String>) -> BudgetSet {
        BudgetSet {
            agent,
            usd: self.budget_usd,
            tokens: self.budget_tokens,
            minutes: self.budget_minutes,
            cpu_minutes: self.budget_cpu_minutes,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

pub fn run(home: &BatonHome, cmd: PolicyCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        PolicyCommand::Show { session, json } => {
            let read = client.policy_show(&session)?;
            if json {
                output::json(&read);
            } else {
                policy_print(&read);
            }
            Ok(())
        }
        PolicyCommand::Edit { session } => edit(&client, &session),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "(none)".into() } else { items.join(", ") }
}

fn policy_print(read: &PolicyRead) {
    let p = &read.policy;
    println!("file:             {}", read.path);
    println!("allowed tools:    {}", list(&p.allow_tools));
    println!("denied tools:     {}", list(&p.deny_tools));
    println!("denied commands:  {}", list(&p.deny_commands));
    println!("environment:      {}", list(&p.env_allow));
    let sandbox = match p.sandbox {
        Some(true) => "on",
        Some(false) => "off",
        None => "Baton's default",
    };
    println!("sandbox:          {sandbox}");
}

/// The editor's command: `$VISUAL`, `$EDITOR`, else `vi`; its words split on spaces (never
/// run through a shell).
fn editor_command() -> Vec<String> {
    let chosen = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    chosen.split_whitespace().map(str::to_owned).collect()
}

fn io(context: &str) -> impl FnOnce(std::io::Error) -> DaemonError + '_ {
    move |source| DaemonError::Io { context: context.to_owned(), source }
}

/// Edits a copy of the file and hands it to the daemon, which checks it before it replaces the
/// file: a bad edit never reaches the session, and is offered again with the error.
fn edit(client: &DaemonClient, session: &str) -> Result<(), DaemonError> {
    let read = client.policy_show(session)?;
    let dir = tempfile::tempdir().map_err(io("cannot make a folder for the edit"))?;
    let copy = dir.path().join("policy.toml");
    std::fs::write(&copy, &read.text).map_err(io("cannot write the copy to edit"))?;
    let editor = editor_command();
    loop {
        let status = std::process::Command::new(&editor[0])
            .args(&editor[1..])
            .arg(&copy)
            .status()
            .map_err(io("cannot start the editor (set $EDITOR)"))?;
        if !status.success() {
            println!("the editor exited with {status}; the policy was not changed");
            return Ok(());
        }
        let text = std::fs::read_to_string(&copy).map_err(io("cannot read the edited copy"))?;
        if text == read.text {
            println!("no change");
            return Ok(());
        }
        match client.policy_write(session, &PolicyWrite { text }) {
            Ok(now) => {
                println!("saved {}", now.path);
                policy_print(&now);
                return Ok(());
            }
            Err(e) => {
                eprintln!("error: {e}");
                eprintln!("the policy file was not changed");
                if !ask_again()? {
                    return Err(e);
                }
            }
        }
    }
}

/// "Edit again?" on a terminal (yes by default); never off one.
fn ask_again() -> Result<bool, DaemonError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(false);
    }
    eprint!("edit again? [Y/n] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(io("cannot read the answer"))?;
    Ok(!matches!(answer.trim().to_lowercase().as_str(), "n" | "no"))
}

/// `session set S --budget-* --sandbox`: the parts the policy and budgets hold.
pub fn session_set(
    client: &DaemonClient,
    session: &str,
    budget: &BudgetArgs,
    sandbox: Option<Switch>,
) -> Result<(), DaemonError> {
    if let Some(sandbox) = sandbox {
        let read = client.policy_update(session, &PolicyUpdate { sandbox: Some(matches!(sandbox, Switch::On)) })?;
        println!("sandbox:        {}", if read.policy.sandbox == Some(true) { "on" } else { "off" });
    }
    if budget.any() {
        let budgets = client.budget_set(session, &budget.to_set(None))?;
        println!("budget:         {}", limits_said(&budgets.session));
    }
    Ok(())
}

/// Sets an agent's budget (after `agent spawn`, or `agent budget`).
pub fn agent_budget_set(
    client: &DaemonClient,
    session: &str,
    agent: &str,
    budget: &BudgetArgs,
) -> Result<SessionBudgets, DaemonError> {
    client.budget_set(session, &budget.to_set(Some(agent.to_owned())))
}

fn limits_said(s: &BudgetStatus) -> String {
    let l = &s.limits;
    let mut parts = Vec::new();
    if let Some(v) = l.usd {
        parts.push(format!("${:.2} of ${v:.2}", s.used.usd));
    }
    if let Some(v) = l.tokens {
        parts.push(format!("{} of {v} tokens", s.used.tokens));
    }
    if let Some(v) = l.minutes {
        parts.push(format!("{:.1} of {v} min", s.used.minutes));
    }
    if let Some(v) = l.cpu_minutes {
        parts.push(format!("{:.1} of {v} CPU min", s.used.cpu_minutes));
    }
    let mut said = if parts.is_empty() { "no limit".into() } else { parts.join(", ") };
    if let Some(over) = &s.over {
        said.push_str(&format!("  OVER: {over}"));
    } else if let Some(near) = &s.near {
        said.push_str(&format!("  near: {near}"));
    }
    said
}

/// `baton budget --session S`: the session's budget and each agent's, with their use.
pub fn show(home: &BatonHome, session: &str, json: bool) -> Result<(), DaemonError> {
    let budgets = super::client(home)?.budget_show(session)?;
    if json {
        output::json(&budgets);
        return Ok(());
    }
    println!("session {}: {}", budgets.session.name, limits_said(&budgets.session));
    let rows: Vec<Vec<String>> = budgets.agents.iter().map(|a| vec![a.name.clone(), limits_said(a)]).collect();
    if !rows.is_empty() {
        output::table(&["AGENT", "BUDGET"], &rows);
    }
    Ok(())
}

/// `baton agent budget AGENT --budget-*`.
pub fn agent_budget(home: &BatonHome, agent: &str, budget: &BudgetArgs) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    let a = client.agent_get(agent)?;
    let budgets = agent_budget_set(&client, &a.session_id, &a.id, budget)?;
    if let Some(s) = budgets.agents.iter().find(|s| s.owner_id == a.id) {
        println!("{}: {}", a.name, limits_said(s));
    }
    Ok(())
}

/// `baton resume AGENT`: continues an agent a budget paused, once it is raised.
pub fn resume(home: &BatonHome, agent: &str) -> Result<(), DaemonError> {
    let a = super::client(home)?.agent_resume(agent)?;
    println!("resumed {} ({})", a.name, a.state.as_str());
    Ok(())
}
