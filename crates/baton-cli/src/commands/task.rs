//! Task commands: add tasks to a session's graph, list them, complete them.

use baton_core::BatonHome;
use baton_core::agent::protocol::CliKind;
use baton_core::api::{PatternShowQuery, TaskListQuery};
use baton_core::coordinator::{Selection, TaskPick};
use baton_core::task::{DepKind, Task, TaskComplete, TaskCreate, TaskState};
use baton_daemon::DaemonError;
use clap::{Args, Subcommand, ValueEnum};

use super::agent::Cli;
use crate::output;

#[derive(Subcommand)]
pub enum TaskCommand {
    /// Add a task to a session's graph; prints its id
    Add(Box<AddArgs>),
    /// A session's tasks with their states and dependencies
    List {
        #[arg(long)]
        session: String,
        #[arg(long)]
        json: bool,
    },
    /// Start a blocked or failed task again (its previous agent resumes when it can)
    Retry { task: String },
    /// What a select or vote task chose among: checks, diffs, votes, the judge's scores and reasons
    Candidates {
        task: String,
        #[arg(long)]
        json: bool,
    },
    /// Pick a candidate of a select task (or a vote's choice) instead of the one chosen
    Pick { task: String, candidate: String },
}

#[derive(Args)]
pub struct AddArgs {
    /// The session (id or name)
    #[arg(long)]
    session: String,
    #[arg(long)]
    title: String,
    /// What the agent working on it should do
    #[arg(long)]
    prompt: String,
    /// Unique in the session [default: from the title]
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    role: Option<String>,
    #[arg(long, value_enum)]
    cli: Option<Cli>,
    #[arg(long)]
    model: Option<String>,
    /// Run after this task succeeds (repeatable: after all of them)
    #[arg(long = "after", value_name = "TASK")]
    after: Vec<String>,
    /// Run only if this task succeeds
    #[arg(long = "if-succeeded", value_name = "TASK")]
    if_succeeded: Vec<String>,
    /// Run only if this task fails
    #[arg(long = "if-failed", value_name = "TASK")]
    if_failed: Vec<String>,
    /// Review this task's work (it must also be an --after): a verdict asking for changes sends it back
    #[arg(long, value_name = "TASK")]
    reviews: Option<String>,
    /// At most this many review rounds [default: 3]
    #[arg(long)]
    max_rounds: Option<u32>,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Outcome {
    Done,
    Failed,
}

pub fn run(home: &BatonHome, cmd: TaskCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        TaskCommand::Add(a) => {
            let task = client.task_add(&TaskCreate {
                session: a.session,
                title: a.title,
                prompt: a.prompt,
                name: a.name,
                role: a.role,
                cli: a.cli.map(CliKind::from),
                model: a.model,
                after: a.after,
                if_succeeded: a.if_succeeded,
                if_failed: a.if_failed,
                reviews: a.reviews,
                max_rounds: a.max_rounds,
                parent: None,
            })?;
            if a.json {
                output::json(&task);
            } else {
                println!("{}", task.id);
            }
        }
        TaskCommand::Retry { task } => super::coordinate::retry(home, &task)?,
        TaskCommand::Candidates { task, json } => {
            let sel = client.task_candidates(&task)?;
            if json {
                output::json(&sel);
            } else {
                selection_print(&sel);
            }
        }
        TaskCommand::Pick { task, candidate } => {
            let sel = client.task_pick(&task, &TaskPick { candidate })?;
            selection_print(&sel);
        }
        TaskCommand::List { session, json } => {
            let tasks = client.task_list(&TaskListQuery { session: session.clone() })?;
            if json {
                output::json(&tasks);
            } else if tasks.is_empty() {
                println!("no tasks yet; add one with `baton task add --session {session} --title T --prompt P`");
            } else {
                let name_of = |id: &str| tasks.iter().find(|t| t.id == id).map_or(id.to_owned(), |t| t.name.clone());
                let rows: Vec<Vec<String>> = tasks
                    .iter()
                    .map(|t| {
                        let deps: Vec<String> = t
                            .deps
                            .iter()
                            .map(|d| match d.kind {
                                DepKind::After => name_of(&d.task_id),
                                DepKind::IfSucceeded => format!("{} succeeded", name_of(&d.task_id)),
                                DepKind::IfFailed => format!("{} failed", name_of(&d.task_id)),
                            })
                            .collect();
                        vec![
                            t.name.clone(),
                            t.state.as_str().into(),
                            if deps.is_empty() { "-".into() } else { deps.join(", ") },
                            detail(t),
                        ]
                    })
                    .collect();
                output::table(&["TASK", "STATE", "AFTER", "DETAIL"], &rows);
            }
        }
    }
    Ok(())
}

fn detail(t: &Task) -> String {
    t.reason.clone().or_else(|| t.summary.clone()).or_else(|| t.outcome.clone()).unwrap_or_else(|| t.title.clone())
}

#[derive(Subcommand)]
pub enum PatternCommand {
    /// The patterns (templates) Baton knows: built-in and $BATON_HOME/templates/*.toml
    List {
        #[arg(long)]
        json: bool,
    },
    /// A pattern's graph: its tasks, fan-outs and dependencies
    Show {
        name: String,
        /// A change as `run` takes it (e.g. count=3); repeatable
        #[arg(long = "set")]
        set: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add a pattern's tasks to a session's graph, for a goal
    Run {
        name: String,
        #[arg(long)]
        session: String,
        /// What the pattern should achieve
        #[arg(long)]
        goal: String,
        /// Change the template for this run: count=N (every fan-out), TASK.count=N, clis=claude,codex; repeatable
        #[arg(long = "set")]
        set: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn pattern(home: &BatonHome, cmd: PatternCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        PatternCommand::List { json } => {
            let list = client.pattern_list()?;
            if json {
                output::json(&list);
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|p| match &p.error {
                        Some(e) => vec![p.name.clone(), "(broken)".into(), p.source.clone(), format!("error: {e}")],
                        None => vec![p.name.clone(), p.tasks.join(" -> "), p.source.clone(), p.description.clone()],
                    })
                    .collect();
                output::table(&["PATTERN", "TASKS", "FROM", "WHAT"], &rows);
            }
        }
        PatternCommand::Show { name, set, json } => {
            let q = PatternShowQuery { set: (!set.is_empty()).then(|| set.join(" ")) };
            let graph = client.pattern_show(&name, &q)?;
            if json {
                output::json(&graph);
            } else {
                print!("{}", baton_core::pattern::graph_text(&graph));
            }
        }
        PatternCommand::Run { name, session, goal, set, json } => {
            let set = (!set.is_empty()).then_some(set);
            let tasks = client.pattern_run(&name, &baton_core::pattern::PatternRun { session, goal, set })?;
            if json {
                output::json(&tasks);
            } else {
                for t in &tasks {
                    println!("{}  {}  {}", t.id, t.name, t.state.as_str());
                }
            }
        }
    }
    Ok(())
}

fn selection_print(sel: &Selection) {
    let winner = sel.winner.as_deref().unwrap_or("(none yet)");
    let by = sel.decided_by.as_deref().map_or(String::new(), |b| format!(" ({b})"));
    println!("{} [{}] {}: winner {winner}{by}", sel.task_name, sel.form, sel.state.as_str());
    if let Some(c) = &sel.command {
        println!("check: {c}");
    }
    if let Some(r) = &sel.reasons {
        println!("reasons: {r}");
    }
    for t in &sel.tally {
        println!("  {}: {} vote(s)", t.choice, t.votes);
    }
    let rows: Vec<Vec<String>> = sel
        .candidates
        .iter()
        .map(|c| {
            vec![
                format!("{}{}", if c.chosen { "* " } else { "  " }, c.name),
                c.cli.map_or("-".into(), |x| x.as_str().to_owned()),
                if sel.form == "vote" {
                    c.choice.clone().unwrap_or_else(|| "(no valid choice)".into())
                } else if c.passed {
                    "passed".into()
                } else {
                    c.exit_code.map_or("not run".into(), |e| format!("failed (exit {e})"))
                },
                c.duration_ms.map_or("-".into(), |d| format!("{:.1}s", d as f64 / 1000.0)),
                format!("+{} -{}", c.additions, c.deletions),
                c.score.map_or("-".into(), |s| format!("{s}")),
            ]
        })
        .collect();
    output::table(&["CANDIDATE", "CLI", "RESULT", "CHECK TIME", "DIFF", "SCORE"], &rows);
}

pub fn complete(home: &BatonHome, task: &str, outcome: Outcome, note: Option<String>) -> Result<(), DaemonError> {
    let state = match outcome {
        Outcome::Done => TaskState::Done,
        Outcome::Failed => TaskState::Failed,
    };
    let t = super::client(home)?.task_complete(task, &TaskComplete { state, outcome: note })?;
    println!("{} is {}", t.name, t.state.as_str());
    Ok(())
}
