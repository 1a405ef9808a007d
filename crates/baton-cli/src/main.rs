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
    /// The process that runs one agent's process for the daemon (started by the daemon only)
    #[command(hide = true)]
    Shim {
        /// The agent's folder: its socket and exit file
        #[arg(long)]
        dir: PathBuf,
    },
    /// Create, list, show, rename and archive sessions (a repository plus its orchestration)
    #[command(subcommand)]
    Session(commands::session::SessionCommand),
    /// Start agents
    #[command(subcommand)]
    Agent(AgentCommand),
    /// A session's policy file: allowed and denied tools, denied commands, environment, sandbox
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// A session's budget and its agents': limits and use so far (`session set --budget-*`
    /// and `agent budget` set them)
    Budget {
        #[arg(long)]
        session: String,
        #[arg(long)]
        json: bool,
    },
    /// Show settings.json as in effect (agent CLIs, editor, retention, theme, notifications);
    /// set or unset one; detect the installed CLIs and editors
    #[command(args_conflicts_with_subcommands = true)]
    Settings {
        #[command(subcommand)]
        cmd: Option<commands::settings::SettingsCommand>,
        #[arg(long)]
        json: bool,
    },
    /// Add and list the tasks of a session's graph
    #[command(subcommand)]
    Task(commands::task::TaskCommand),
    /// From a goal to a launched plan: a few questions about the work, a plan to edit, then
    /// launch. Alone on a terminal it asks interactively
    Wizard(commands::wizard::WizardArgs),
    /// List patterns and add one's tasks to a session
    #[command(subcommand)]
    Pattern(commands::task::PatternCommand),
    /// Complete a task as done or failed; the tasks that depend on it move on
    Complete {
        task: String,
        #[arg(value_enum)]
        outcome: commands::task::Outcome,
        /// What came of it
        #[arg(long)]
        note: Option<String>,
    },
    /// List agents
    List {
        /// Only this session's agents (id or name)
        #[arg(long)]
        session: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// An agent's state, CLI, model, directory, tokens, cost and pending requests; or with
    /// --session, the session's objectives, tasks by state, agents, cycles and cost
    Status {
        #[arg(required_unless_present = "session")]
        agent: Option<String>,
        #[arg(long, conflicts_with = "agent")]
        session: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Start (or resume) a session's coordinator: it starts ready tasks, watches agents, hands
    /// results on, until every task is done. Exit code with --wait: 0 complete, 6 timed out
    Run {
        #[arg(long)]
        session: String,
        /// Print what each cycle does until the session's work is complete
        #[arg(long)]
        wait: bool,
        #[arg(long, value_name = "SECONDS", requires = "wait")]
        timeout: Option<u64>,
    },
    /// Pause a session's coordinator (running agents go on; ready tasks wait), or with --all
    /// every running agent (SIGSTOP to its process group) and every coordinator's starts
    Pause {
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        session: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Continue an agent a budget paused, once its budget is raised; or, with --all, every
    /// agent paused by `pause --all` (coordinators start tasks again)
    Resume {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        agent: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Each agent's CPU, memory, threads and health score (0-100, with what took points off)
    Health {
        /// One session's agents (id or name) [default: every live agent]
        #[arg(long)]
        session: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Open alerts (needs input, stalled, crashed, looping, high memory, escape, ref moved), each with the way on
    #[command(args_conflicts_with_subcommands = true)]
    Alerts {
        #[command(subcommand)]
        cmd: Option<AlertsCommand>,
        #[arg(long)]
        session: Option<String>,
        /// Resolved and acknowledged ones too
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// A live full-screen view of agents (state, CPU, memory, last line, cost), alerts and
    /// cycles, redrawn as things change; q quits
    Monitor {
        #[arg(long)]
        session: Option<String>,
    },
    /// Register Baton's MCP server with your own Claude Code, Codex or Gemini CLI and add a
    /// `/become-orchestrator` command that makes a conversation the repository session's coordinator
    Install {
        #[arg(value_enum)]
        cli: commands::install::Target,
        /// In the repository of the current folder (the default)
        #[arg(long, conflicts_with = "user")]
        project: bool,
        /// In your home folder, for every repository
        #[arg(long)]
        user: bool,
    },
    /// Remove what `baton install` wrote (only files carrying Baton's marker, and the `baton`
    /// server entry while it runs `baton mcp`)
    Uninstall {
        /// One CLI [default: all three]
        #[arg(value_enum)]
        cli: Option<commands::install::Target>,
        #[arg(long, conflicts_with = "user")]
        project: bool,
        #[arg(long)]
        user: bool,
    },
    /// Baton's MCP server over stdio, for any MCP client (e.g. `claude mcp add baton -- baton mcp`):
    /// the session's tasks, agents, artifacts and context as tools
    Mcp {
        /// The session calls default to [default: BATON_SESSION, else the newest active session of
        /// the repository of the current directory]
        #[arg(long)]
        session: Option<String>,
    },
    /// Record and complete a session's objectives
    #[command(subcommand)]
    Objective(commands::coordinate::ObjectiveCommand),
    /// Record a key insight of a session
    Insight {
        #[command(subcommand)]
        cmd: InsightCommand,
    },
    /// Record and answer the decisions a session waits on
    #[command(subcommand)]
    Decision(commands::coordinate::DecisionCommand),
    /// List, show and search the artifacts tasks left
    #[command(subcommand)]
    Artifact(commands::coordinate::ArtifactCommand),
    /// A session's report: goal, outcome, timeline, cost per agent, task and CLI, reviews,
    /// decisions, insights, artifacts, merges and alerts, as Markdown or one HTML file
    Report(commands::report::ReportArgs),
    /// Export a session's context as JSON, or import one as a new session
    #[command(subcommand)]
    Context(commands::coordinate::ContextCommand),
    /// An agent's events (its log); -f follows new ones until the agent ends
    Logs {
        agent: String,
        #[arg(short, long)]
        follow: bool,
        /// One JSON event per line
        #[arg(long)]
        json: bool,
    },
    /// Send an agent a message (a follow-up in its own session): at once if it waits, else when
    /// its current turn ends
    Send {
        agent: String,
        text: String,
        /// From another agent of the same session (id or name): both lanes show it
        #[arg(long)]
        from: Option<String>,
    },
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
    /// What an agent changed (commits and uncommitted work) against its base branch
    Diff {
        agent: String,
        /// Files and line counts only
        #[arg(long)]
        stat: bool,
        #[arg(long)]
        json: bool,
    },
    /// Merge an agent's work into a branch; checks for conflicts first and changes nothing if
    /// any. Exit code 1 when it cannot merge (also with --dry-run)
    Merge {
        agent: String,
        /// The branch to merge into [default: the session's base branch]
        #[arg(long)]
        into: Option<String>,
        #[arg(long, value_enum, default_value = "squash")]
        strategy: commands::work::Strategy,
        /// Only check: list conflicts and what would land, change nothing
        #[arg(long)]
        dry_run: bool,
        /// The squash or merge commit's message [default: the agent's task title, then its result
        /// and review; `--dry-run` shows it]
        #[arg(long, short = 'm')]
        message: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Bring the session's base branch into an agent's branch, in its worktree; on conflicts the
    /// worktree is left mid-update: resolve there and continue with git, or `--abort`. Exit code 1
    /// on conflicts
    Update {
        agent: String,
        /// Rebase (the agent's commits replayed on the base) or merge (one merge commit, the
        /// agent's commits kept as they are: better once the branch is pushed)
        #[arg(long, value_enum, default_value = "rebase")]
        mode: commands::branch::Mode,
        /// Abandon an update stopped on conflicts, putting the branch back as it was
        #[arg(long, conflicts_with = "mode")]
        abort: bool,
        #[arg(long)]
        json: bool,
    },
    /// Push an agent's branch to the repository's remote; with --pr, open a pull request into the
    /// session's base branch with the GitHub CLI (`gh`, installed and logged in)
    Push {
        agent: String,
        /// The remote [default: origin, or the only remote]
        #[arg(long)]
        remote: Option<String>,
        /// Also open a pull request
        #[arg(long)]
        pr: bool,
        /// The pull request's title [default: the agent's task title]
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The checkpoints saved of an agent's worktree (one after each turn that changed it)
    Checkpoints {
        agent: String,
        #[arg(long)]
        json: bool,
    },
    /// Bring back a checkpoint in the agent's worktree (the current state is saved first)
    Restore { agent: String, checkpoint: u32 },
    /// Remove worktrees of finished agents past their retention, and merged branches; never
    /// uncommitted work or unmerged branches
    Gc {
        /// Say what would be removed, remove nothing
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Acknowledge an alert: it leaves the open list (it still resolves by itself)
    Ack { id: String },
}

#[derive(Subcommand)]
enum InsightCommand {
    /// Record an insight; prints its id
    Add {
        #[arg(long)]
        session: String,
        text: String,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Start an agent; prints its id and returns while it works
    Spawn(commands::agent::SpawnArgs),
    /// Archive an agent: stop it and remove its worktree (its branch stays); its history and
    /// cost are kept (`baton list` shows it as archived, `baton logs` reads it)
    Rm {
        agent: String,
        /// Even when its worktree holds uncommitted work (lost)
        #[arg(long)]
        force: bool,
    },
    /// The agents the last `baton daemon stop --force` (or a daemon that died) interrupted in a
    /// turn; --resume continues each one's session, --dismiss forgets the list
    Interrupted {
        #[arg(long, conflicts_with = "dismiss")]
        resume: bool,
        #[arg(long)]
        dismiss: bool,
        #[arg(long)]
        json: bool,
    },
    /// Make the agent's conversation its session's coordinator (replacing any other): it is sent
    /// the coordinator's instructions, then what changes after each cycle of Baton's loop
    Promote { agent: String },
    /// End the agent's role as its session's coordinator
    Demote { agent: String },
    /// Set an agent's budget (`0` removes a limit); `baton resume AGENT` continues one it paused
    Budget {
        agent: String,
        #[command(flatten)]
        budget: commands::policy::BudgetArgs,
    },
}

fn install_scope(user: bool) -> commands::install::Scope {
    if user { commands::install::Scope::User } else { commands::install::Scope::Project }
}

fn main() -> ExitCode {
    output::closed_pipe_quiet();
    let cli = Cli::parse();
    let home = match baton_core::BatonHome::resolve(cli.home) {
        Ok(home) => home,
        Err(e) => return output::fail(&e.to_string()),
    };
    use baton_core::worktree::publish::PushRequest;
    use commands::{agent, branch, work};
    let result = match cli.command {
        Command::Daemon(args) => commands::daemon::run(&home, args).map(|()| 0),
        Command::Shim { dir } => return ExitCode::from(baton_core::agent::shim::process::shim_main(&dir) as u8),
        Command::Session(cmd) => commands::session::run(&home, cmd).map(|()| 0),
        Command::Task(cmd) => commands::task::run(&home, cmd).map(|()| 0),
        Command::Wizard(args) => commands::wizard::run(&home, args),
        Command::Pattern(cmd) => commands::task::pattern(&home, cmd).map(|()| 0),
        Command::Complete { task, outcome, note } => commands::task::complete(&home, &task, outcome, note).map(|()| 0),
        Command::Agent(AgentCommand::Spawn(args)) => agent::spawn(&home, args).map(|()| 0),
        Command::List { session, json } => agent::list(&home, session, json).map(|()| 0),
        Command::Status { session: Some(session), json, .. } => {
            commands::coordinate::status(&home, &session, json).map(|()| 0)
        }
        Command::Status { agent, json, .. } => agent::status(&home, &agent.unwrap_or_default(), json).map(|()| 0),
        Command::Run { session, wait, timeout } => commands::coordinate::run(&home, &session, wait, timeout),
        Command::Pause { all: true, .. } => commands::health::pause_all(&home).map(|()| 0),
        Command::Pause { session, .. } => commands::coordinate::pause(&home, &session.unwrap_or_default()).map(|()| 0),
        Command::Resume { all: true, .. } => commands::health::resume_all(&home).map(|()| 0),
        Command::Resume { agent, .. } => commands::policy::resume(&home, &agent.unwrap_or_default()).map(|()| 0),
        Command::Policy(cmd) => commands::policy::run(&home, cmd).map(|()| 0),
        Command::Budget { session, json } => commands::policy::show(&home, &session, json).map(|()| 0),
        Command::Agent(AgentCommand::Budget { agent, budget }) => {
            commands::policy::agent_budget(&home, &agent, &budget).map(|()| 0)
        }
        Command::Health { session, json } => commands::health::health(&home, session, json).map(|()| 0),
        Command::Alerts { cmd: Some(AlertsCommand::Ack { id }), .. } => {
            commands::health::alert_ack(&home, &id).map(|()| 0)
        }
        Command::Alerts { cmd: None, session, all, json } => {
            commands::health::alerts(&home, session, all, json).map(|()| 0)
        }
        Command::Monitor { session } => commands::health::monitor(&home, session).map(|()| 0),
        Command::Install { cli, user, .. } => commands::install::install(cli, install_scope(user)).map(|()| 0),
        Command::Uninstall { cli, user, .. } => commands::install::uninstall(cli, install_scope(user)).map(|()| 0),
        Command::Mcp { session } => commands::mcp::serve(&home, session),
        Command::Objective(cmd) => commands::coordinate::objective(&home, cmd).map(|()| 0),
        Command::Insight { cmd: InsightCommand::Add { session, text } } => {
            commands::coordinate::insight(&home, &session, &text).map(|()| 0)
        }
        Command::Decision(cmd) => commands::coordinate::decision(&home, cmd).map(|()| 0),
        Command::Artifact(cmd) => commands::coordinate::artifact(&home, cmd).map(|()| 0),
        Command::Report(args) => commands::report::run(&home, args).map(|()| 0),
        Command::Context(cmd) => commands::coordinate::context(&home, cmd).map(|()| 0),
        Command::Logs { agent, follow, json } => agent::logs(&home, &agent, follow, json).map(|()| 0),
        Command::Send { agent, text, from } => agent::send(&home, &agent, &text, from).map(|()| 0),
        Command::Approve { agent, tool, always } => agent::approve(&home, &agent, &tool, always).map(|()| 0),
        Command::Deny { agent, tool } => agent::deny(&home, &agent, &tool).map(|()| 0),
        Command::Wait { agent, timeout } => agent::wait(&home, &agent, timeout),
        Command::Abort { agent } => agent::abort(&home, &agent).map(|()| 0),
        Command::Agent(AgentCommand::Rm { agent, force }) => work::remove(&home, &agent, force).map(|()| 0),
        Command::Agent(AgentCommand::Promote { agent }) => agent::promote(&home, &agent).map(|()| 0),
        Command::Agent(AgentCommand::Demote { agent }) => agent::demote(&home, &agent).map(|()| 0),
        Command::Agent(AgentCommand::Interrupted { resume, dismiss, json }) => {
            agent::interrupted(&home, resume, dismiss, json)
        }
        Command::Diff { agent, stat, json } => work::diff(&home, &agent, stat, json).map(|()| 0),
        Command::Merge { agent, into, strategy, dry_run, message, json } => {
            work::merge(&home, &agent, work::MergeArgs { into, strategy, dry_run, message }, json)
        }
        Command::Update { agent, mode, abort, json } => branch::update(&home, &agent, mode, abort, json),
        Command::Push { agent, remote, pr, title, json } => {
            branch::push(&home, &agent, PushRequest { remote, pull_request: pr, title, body: None }, json).map(|()| 0)
        }
        Command::Checkpoints { agent, json } => work::checkpoints(&home, &agent, json).map(|()| 0),
        Command::Restore { agent, checkpoint } => work::restore(&home, &agent, checkpoint).map(|()| 0),
        Command::Gc { dry_run, json } => work::gc(&home, dry_run, json).map(|()| 0),
        Command::Settings { cmd, json } => commands::settings::run(&home, cmd, json).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => output::fail(&e.to_string()),
    }
}
