use baton_core::BatonHome;
use baton_core::api::AgentListQuery;
use baton_core::session::{Session, SessionCreate, SessionState, SessionUpdate};
use baton_daemon::DaemonError;
use clap::Subcommand;

use crate::output;

#[derive(Subcommand)]
pub enum SessionCommand {
    /// Make a session for a git repository and print its id
    New {
        /// A folder inside a git working tree
        #[arg(long, value_name = "PATH")]
        repo: String,
        /// A name for the session [default: the repository's folder name]
        #[arg(long)]
        name: Option<String>,
        /// The session whose agent makes this one [default: $BATON_SESSION, set for agents]
        #[arg(long, env = "BATON_SESSION")]
        parent: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List sessions, newest first
    List {
        /// Include archived sessions
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one session, by id or name
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Give a session a new name
    Rename { id: String, name: String },
    /// Archive a session (hidden from lists; nothing is deleted)
    Archive { id: String },
    /// Bring an archived session back
    Unarchive { id: String },
    /// Change a session's settings
    Set {
        id: String,
        /// Agents' branch names: {session} and {agent} are replaced [default: baton/{session}/{agent}];
        /// empty for the default
        #[arg(long)]
        branch_pattern: Option<String>,
        /// A shell command run in each new worktree before its agent starts (e.g. `npm ci`);
        /// empty for none
        #[arg(long)]
        setup_command: Option<String>,
        /// How many tasks the coordinator runs at once [default: 3]
        #[arg(long)]
        max_agents: Option<u32>,
        /// The CLI of tasks whose role names none [default: claude]
        #[arg(long, value_enum)]
        default_cli: Option<super::agent::Cli>,
        /// Merge a reviewed branch once its reviewer approves (otherwise the user merges)
        #[arg(long)]
        auto_merge: Option<bool>,
        /// Seconds between the coordinator's cycles [default: 3]
        #[arg(long)]
        cycle_secs: Option<u32>,
        /// A running agent silent this many seconds is stalled [default: 300]
        #[arg(long)]
        stall_secs: Option<u32>,
        #[command(flatten)]
        budget: super::policy::BudgetArgs,
        /// Run the session's agents in the sandbox (written to its policy file)
        #[arg(long, value_enum)]
        sandbox: Option<super::policy::Switch>,
    },
}

pub fn run(home: &BatonHome, cmd: SessionCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        SessionCommand::New { repo, name, parent, json } => {
            // Relative paths are relative to where the user typed the command, not to the daemon.
            let repo = std::path::absolute(&repo).map(|p| p.to_string_lossy().into_owned()).unwrap_or(repo);
            let session = client.session_create(&SessionCreate { repo, name, parent })?;
            if json {
                output::json(&session);
            } else {
                println!("{}", session.id);
            }
        }
        SessionCommand::List { all, json } => {
            let sessions: Vec<Session> =
                client.session_list()?.into_iter().filter(|s| all || s.state == SessionState::Active).collect();
            if json {
                output::json(&sessions);
            } else if sessions.is_empty() {
                println!("no sessions yet; make one with `baton session new --repo PATH`");
            } else {
                let rows: Vec<Vec<String>> = sessions
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.clone(),
                            s.name.clone(),
                            state_name(s.state).into(),
                            output::time_short(&s.created_at),
                            s.repo.clone(),
                        ]
                    })
                    .collect();
                output::table(&["ID", "NAME", "STATE", "CREATED (UTC)", "REPOSITORY"], &rows);
            }
        }
        SessionCommand::Show { id, json } => {
            let s = client.session_get(&id)?;
            if json {
                output::json(&s);
            } else {
                println!("id:          {}", s.id);
                println!("name:        {}", s.name);
                println!("state:       {}", state_name(s.state));
                println!("repository:  {}", s.repo);
                println!("base branch: {}", s.base_branch.as_deref().unwrap_or("(detached HEAD)"));
                if let Some(p) = &s.settings.branch_pattern {
                    println!("branches:    {p}");
                }
                if let Some(c) = &s.settings.setup_command {
                    println!("setup:       {c}");
                }
                println!("created:     {}", s.created_at);
                println!("updated:     {}", s.updated_at);
                let agents = client.agent_list(&AgentListQuery { session: Some(s.id.clone()), archived: None })?;
                let cost = agents.iter().fold(0.0, |sum, a| sum + a.cost_usd);
                let estimate = if agents.iter().any(|a| a.cost_is_estimate) { "~" } else { "" };
                let (tokens_in, tokens_out) =
                    agents.iter().fold((0, 0), |(i, o), a| (i + a.usage.input, o + a.usage.output));
                println!("agents:      {}", agents.len());
                println!("cost:        {estimate}${cost:.4} ({tokens_in} tokens in, {tokens_out} out)");
                if let Some(lead) = s.coordinator_agent.as_deref().and_then(|id| agents.iter().find(|a| a.id == id)) {
                    println!("coordinator: {} (its conversation coordinates the session)", lead.name);
                }
            }
        }
        SessionCommand::Set {
            id,
            branch_pattern,
            setup_command,
            max_agents,
            default_cli,
            auto_merge,
            cycle_secs,
            stall_secs,
            budget,
            sandbox,
        } => {
            super::policy::session_set(&client, &id, &budget, sandbox)?;
            let settings_given = branch_pattern.is_some()
                || setup_command.is_some()
                || max_agents.is_some()
                || default_cli.is_some()
                || auto_merge.is_some()
                || cycle_secs.is_some()
                || stall_secs.is_some();
            if !settings_given && (budget.any() || sandbox.is_some()) {
                return Ok(());
            }
            let update = SessionUpdate {
                branch_pattern,
                setup_command,
                max_agents,
                default_cli: default_cli.map(Into::into),
                auto_merge,
                cycle_secs,
                stall_secs,
                ..Default::default()
            };
            let s = client.session_update(&id, &update)?;
            let st = &s.settings;
            println!("branch pattern: {}", st.branch_pattern.as_deref().unwrap_or("baton/{session}/{agent} (default)"));
            println!("setup command:  {}", st.setup_command.as_deref().unwrap_or("(none)"));
            println!("max agents:     {}", st.max_agents());
            println!("default CLI:    {}", st.default_cli().as_str());
            println!("auto-merge:     {}", if st.auto_merge { "yes" } else { "no" });
            println!("cycle:          {} s; stalled after {} s", st.cycle().as_secs(), st.stall().as_secs());
        }
        SessionCommand::Rename { id, name } => {
            let s = client
                .session_update(&id, &SessionUpdate { name: Some(name), archived: None, ..Default::default() })?;
            println!("renamed {} to {:?}", s.id, s.name);
        }
        SessionCommand::Archive { id } => {
            let s = client
                .session_update(&id, &SessionUpdate { name: None, archived: Some(true), ..Default::default() })?;
            println!("archived {} ({})", s.id, s.name);
        }
        SessionCommand::Unarchive { id } => {
            let s = client
                .session_update(&id, &SessionUpdate { name: None, archived: Some(false), ..Default::default() })?;
            println!("unarchived {} ({})", s.id, s.name);
        }
    }
    Ok(())
}

fn state_name(state: SessionState) -> &'static str {
    match state {
        SessionState::Active => "active",
        SessionState::Archived => "archived",
    }
}
