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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let home = match baton_core::BatonHome::resolve(cli.home) {
        Ok(home) => home,
        Err(e) => return output::fail(&e.to_string()),
    };
    let result = match cli.command {
        Command::Daemon(args) => commands::daemon::run(&home, args),
        Command::Session(cmd) => commands::session::run(&home, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => output::fail(&e.to_string()),
    }
}
