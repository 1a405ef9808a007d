use std::time::Duration;

use baton_core::BatonHome;
use baton_daemon::DaemonError;
use baton_daemon::client::{daemon_find, daemon_start};
use baton_daemon::run::{RunOptions, daemon_run, home_lock};
use clap::{Args, Subcommand};

use crate::output;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DaemonArgs {
    /// Run in this process, logging to stderr, until SIGINT or SIGTERM
    #[arg(long)]
    foreground: bool,
    /// Port on 127.0.0.1 [default: a free one]
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[command(subcommand)]
    command: Option<DaemonCommand>,
}

#[derive(Subcommand)]
enum DaemonCommand {
    /// Stop the running daemon (refused while agents work, unless --force)
    Stop {
        /// Stop even while agents work: their turns are interrupted, and the next daemon lists
        /// them to resume (`baton agent interrupted`, or the app's banner)
        #[arg(long)]
        force: bool,
    },
    /// Show whether a daemon runs, with its pid, port and version
    Status {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(home: &BatonHome, args: DaemonArgs) -> Result<(), DaemonError> {
    match args.command {
        Some(DaemonCommand::Stop { force }) => stop(home, force),
        Some(DaemonCommand::Status { json }) => status(home, json),
        None if args.foreground => foreground(home, args.port),
        None => background(home),
    }
}

fn foreground(home: &BatonHome, port: u16) -> Result<(), DaemonError> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("BATON_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        // A log that cannot be written (a full disk) is lost, never a panic in the thread that
        // logged (its default is to report the failure with `eprintln!`, which panics).
        .log_internal_errors(false)
        .init();
    // Agents run under shims of this very program, so they outlive this daemon. `BATON_SHIM=off`
    // runs them in the daemon itself, as before shims (for measuring the difference).
    let shim = std::env::var("BATON_SHIM").map_or(true, |v| v != "off");
    daemon_run(home.clone(), RunOptions { port, shim: shim.then(std::env::current_exe).and_then(Result::ok) })
}

fn background(home: &BatonHome) -> Result<(), DaemonError> {
    // Refuse exactly as a second foreground daemon would, naming the one that runs.
    drop(home_lock(home)?);
    let bin =
        std::env::current_exe().map_err(|e| DaemonError::StartFailed(format!("cannot find this program: {e}")))?;
    let client = daemon_start(home, &bin)?;
    let info = client.info();
    println!(
        "Baton daemon started for {} (pid {}, {}); logs in {}",
        home.root().display(),
        info.pid,
        info.url(),
        home.daemon_log().display()
    );
    Ok(())
}

fn stop(home: &BatonHome, force: bool) -> Result<(), DaemonError> {
    match daemon_find(home)? {
        Some(client) => {
            client.daemon_stop_wait(Duration::from_secs(30), force)?;
            println!("Baton daemon stopped (pid {})", client.info().pid);
        }
        None => println!("no Baton daemon runs for {}", home.root().display()),
    }
    Ok(())
}

fn status(home: &BatonHome, json: bool) -> Result<(), DaemonError> {
    let health = match daemon_find(home)? {
        Some(client) => Some((client.health()?, client.info().url())),
        None => None,
    };
    if json {
        output::json(&serde_json::json!({
            "running": health.is_some(),
            "home": home.root(),
            "daemon": health.as_ref().map(|(h, url)| serde_json::json!({ "health": h, "url": url })),
        }));
    } else {
        match health {
            Some((h, url)) => println!(
                "running: pid {}, {url}, version {}, {} active sessions, since {}",
                h.pid,
                h.version,
                h.sessions,
                output::time_short(&h.started_at)
            ),
            None => println!("not running for {}; start it with `baton daemon`", home.root().display()),
        }
    }
    Ok(())
}
