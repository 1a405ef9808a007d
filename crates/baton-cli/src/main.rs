//! `baton`: the command line over the daemon. Every command but `daemon --foreground` is a
//! client: it finds the daemon of its `BATON_HOME` (starting it when none runs) and calls the
//! local API. Exit codes: 0 ok, 1 an error (one line on stderr that says what to do), 2 usage.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "baton", version, about = "Conduct a team of AI coding agents, each in its own git worktree.")]
struct Cli {
    /// Folder holding Baton's database, logs and worktrees [default: ~/.local/share/baton]
    #[arg(long, global = true, env = "BATON_HOME", value_name = "PATH")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the daemon that owns the engine (in the background unless --foreground)
    Daemon(commands::daemon::DaemonArgs),
    /// Create, list, show, rename and archive sessions (a repository plus its orchestration)
    #[command(subcommand)]
    Session(commands::session::SessionCommand),
    /// Start agents
    #[command(subcommand)]
    Agent(AgentCommand),
    /// List agents
    List {
        /// Only this session's agents (id or name)
        #[arg(long)]
        session: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// An agent's state, CLI, model, directory, session id, tokens, cost and pending requests
    Status {
        agent: String,
        #[arg(long)]
        json: bool,
    },
    /// An agent's events (its log); -f follows new ones until the agent ends
    Logs {
        agent: String,
        #[arg(short, long)]
        follow: bool,
        /// One JSON event per line
        #[arg(long)]
        json: bool,
    },
    /// Send an agent a message (a follow-up in its own session)
    Send { agent: String, text: String },
    /// Approve a tool the agent was denied, and let it continue
    Approve {
        agent: String,
        tool: String,
        /// Allow it for every agent of the session from now on
        #[arg(long)]
        always: bool,
    },
    /// Deny a tool the agent asked for
    Deny { agent: String, tool: String },
    /// Wait until the agent's turn ends or it exits. Exit code: 0 turn done or exited,
    /// 3 needs input, 4 failed, 5 stopped, 6 timed out
    Wait {
        agent: String,
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
    },
    /// Stop an agent (SIGINT, then SIGTERM, then SIGKILL to its process group)
    Abort { agent: String },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Start an agent; prints its id and returns while it works
    Spawn(commands::agent::SpawnArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let home = match baton_core::BatonHome::resolve(cli.home) {
        Ok(home) => home,
        Err(e) => return output::fail(&e.to_string()),
    };
    use commands::agent;
    let result = match cli.command {
        Command::Daemon(args) => commands::daemon::run(&home, args).map(|()| 0),
        Command::Session(cmd) => commands::session::run(&home, cmd).map(|()| 0),
        Command::Agent(AgentCommand::Spawn(args)) => agent::spawn(&home, args).map(|()| 0),
        Command::List { session, json } => agent::list(&home, session, json).map(|()| 0),
        Command::Status { agent, json } => agent::status(&home, &agent, json).map(|()| 0),
        Command::Logs { agent, follow, json } => agent::logs(&home, &agent, follow, json).map(|()| 0),
        Command::Send { agent, text } => agent::send(&home, &agent, &text).map(|()| 0),
        Command::Approve { agent, tool, always } => agent::approve(&home, &agent, &tool, always).map(|()| 0),
        Command::Deny { agent, tool } => agent::deny(&home, &agent, &tool).map(|()| 0),
        Command::Wait { agent, timeout } => agent::wait(&home, &agent, timeout),
        Command::Abort { agent } => agent::abort(&home, &agent).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => output::fail(&e.to_string()),
    }
}
