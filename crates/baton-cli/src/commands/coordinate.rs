//! The coordinator's commands: `run`, `status --session`, objectives, insights, decisions,
//! artifacts, context export and import, and `task retry`.

use std::time::{Duration, Instant};

use baton_core::api::{ArtifactListQuery, ArtifactSearchQuery, ContextText, CyclesQuery, ObjectiveUpdate};
use baton_core::context::{ContextDoc, ContextImport, DecisionState, ObjectiveState, SessionStatus};
use baton_core::coordinator::Cycle;
use baton_core::session::CoordinatorState;
use baton_core::{ApiError, BatonHome, ErrorCode};
use baton_daemon::DaemonError;
use clap::Subcommand;

use crate::output;

/// `baton run`: starts (or resumes) the coordinator; with `--wait`, prints what each cycle did
/// until the criteria hold. Exit code with --wait: 0 complete, 6 timed out.
pub fn run(home: &BatonHome, session: &str, wait: bool, timeout: Option<u64>) -> Result<u8, DaemonError> {
    let client = super::client(home)?;
    let status = client.coordinator_run(session)?;
    println!("coordinator of {} is running ({} cycles so far)", session, status.cycles);
    if !wait {
        println!("`baton status --session {session}` shows its progress; `baton pause --session {session}` stops it");
        return Ok(0);
    }
    let deadline = timeout.map(|s| Instant::now() + Duration::from_secs(s));
    let mut seen = status.cycles;
    loop {
        let cycles = client.coordinator_cycles(session, &CyclesQuery { limit: Some(50) })?;
        let from = seen;
        for c in cycles.iter().rev().filter(|c| c.n > from) {
            if let Some(line) = cycle_line(c) {
                println!("{line}");
            }
            seen = c.n;
        }
        let status = client.coordinator_status(session)?;
        match status.state {
            CoordinatorState::Complete => {
                println!("complete after {} cycles", status.cycles);
                return Ok(0);
            }
            CoordinatorState::Off => {
                println!("the coordinator was paused");
                return Ok(0);
            }
            CoordinatorState::Running => {}
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            let unmet = status.last.map(|c| c.summary.criteria.unmet.join("; ")).unwrap_or_default();
            eprintln!("timed out; the coordinator goes on. Not yet: {unmet}");
            return Ok(6);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// What a cycle did, in one line; `None` for a cycle that only watched.
fn cycle_line(c: &Cycle) -> Option<String> {
    let s = &c.summary;
    let mut parts = Vec::new();
    for (word, list) in [
        ("started", &s.started),
        ("finished", &s.finished),
        ("sent back", &s.sent_back),
        ("blocked", &s.blocked),
        ("stalled", &s.stalled),
    ] {
        if !list.is_empty() {
            parts.push(format!("{word} {}", list.join(", ")));
        }
    }
    parts.extend(s.notes.iter().cloned());
    (!parts.is_empty()).then(|| format!("cycle {}: {}", c.n, parts.join("; ")))
}

pub fn pause(home: &BatonHome, session: &str) -> Result<(), DaemonError> {
    let status = super::client(home)?.coordinator_pause(session)?;
    println!("coordinator paused after {} cycles; running agents go on, ready tasks wait", status.cycles);
    Ok(())
}

pub fn status(home: &BatonHome, session: &str, json: bool) -> Result<(), DaemonError> {
    let st = super::client(home)?.session_status(session)?;
    if json {
        output::json(&st);
        return Ok(());
    }
    print_status(&st);
    Ok(())
}

fn print_status(st: &SessionStatus) {
    let c = &st.coordinator;
    println!("session:     {} ({})", st.session.name, st.session.id);
    let last = c.last.as_ref().map_or("never".to_owned(), |l| output::time_short(&l.started_at));
    println!("coordinator: {}, {} cycles, last {last} UTC", c.state.as_str(), c.cycles);
    if let Some(l) = &c.last {
        let cr = &l.summary.criteria;
        let mark = |b: bool| if b { "yes" } else { "no" };
        println!(
            "criteria:    tasks ended {}, outputs parsed {}, no blockers {}, no idle work {}",
            mark(cr.tasks_ended),
            mark(cr.outputs_parsed),
            mark(cr.no_blockers),
            mark(cr.no_idle_with_work)
        );
        for u in &cr.unmet {
            println!("             - {u}");
        }
    }
    let counts: Vec<String> = st.tasks.iter().map(|c| format!("{} {}", c.count, c.state.as_str())).collect();
    println!("tasks:       {}", if counts.is_empty() { "none".into() } else { counts.join(", ") });
    let estimate = if st.cost_is_estimate { "~" } else { "" };
    println!(
        "cost:        {estimate}${:.4} ({} tokens in, {} out); {} artifacts",
        st.cost_usd, st.input_tokens, st.output_tokens, st.artifacts
    );
    if !st.objectives.is_empty() {
        println!("\nobjectives:");
        for o in &st.objectives {
            println!("  [{}] {} ({})", if o.state == ObjectiveState::Done { "x" } else { " " }, o.text, o.id);
        }
    }
    let decided: Vec<_> = st.decisions.iter().filter(|d| d.state == DecisionState::Decided).collect();
    if !decided.is_empty() {
        println!("\ndecisions:");
        for d in decided {
            println!("  {} {}", d.question, d.answer.as_deref().unwrap_or(""));
        }
    }
    let pending: Vec<_> = st.decisions.iter().filter(|d| d.state == DecisionState::Pending).collect();
    if !pending.is_empty() {
        println!("\ndecisions pending:");
        for d in pending {
            println!("  {} ({})", d.question, d.id);
        }
    }
    if !st.insights.is_empty() {
        println!("\ninsights:");
        for i in &st.insights {
            println!("  - {}", i.text);
        }
    }
    if !st.agents.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = st
            .agents
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.cli.as_str().into(),
                    a.role.clone().unwrap_or_else(|| "-".into()),
                    a.state.as_str().into(),
                    a.task.clone().unwrap_or_else(|| "-".into()),
                    format!("${:.4}", a.cost_usd),
                ]
            })
            .collect();
        output::table(&["AGENT", "CLI", "ROLE", "STATE", "TASK", "COST"], &rows);
    }
}

#[derive(Subcommand)]
pub enum ObjectiveCommand {
    /// Record an objective of the session
    Add {
        #[arg(long)]
        session: String,
        text: String,
    },
    /// Mark an objective done (or dropped, or open again)
    Set {
        #[arg(long)]
        session: String,
        id: String,
        #[arg(value_enum)]
        state: ObjectiveStateArg,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ObjectiveStateArg {
    Open,
    Done,
    Dropped,
}

pub fn objective(home: &BatonHome, cmd: ObjectiveCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        ObjectiveCommand::Add { session, text } => {
            println!("{}", client.objective_add(&session, &ContextText { text })?.id)
        }
        ObjectiveCommand::Set { session, id, state } => {
            let state = match state {
                ObjectiveStateArg::Open => ObjectiveState::Open,
                ObjectiveStateArg::Done => ObjectiveState::Done,
                ObjectiveStateArg::Dropped => ObjectiveState::Dropped,
            };
            let o = client.objective_set(&session, &id, &ObjectiveUpdate { state })?;
            println!("{} is {}", o.id, o.state.as_str());
        }
    }
    Ok(())
}

pub fn insight(home: &BatonHome, session: &str, text: &str) -> Result<(), DaemonError> {
    println!("{}", super::client(home)?.insight_add(session, &ContextText { text: text.to_owned() })?.id);
    Ok(())
}

#[derive(Subcommand)]
pub enum DecisionCommand {
    /// Record a question the session waits on (the coordinator is not complete while it is open)
    Add {
        #[arg(long)]
        session: String,
        question: String,
    },
    /// Answer a pending decision
    Answer {
        #[arg(long)]
        session: String,
        id: String,
        answer: String,
    },
}

pub fn decision(home: &BatonHome, cmd: DecisionCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        DecisionCommand::Add { session, question } => {
            println!("{}", client.decision_add(&session, &ContextText { text: question })?.id)
        }
        DecisionCommand::Answer { session, id, answer } => {
            let d = client.decision_answer(&session, &id, &ContextText { text: answer })?;
            println!("{} is {}", d.id, d.state.as_str());
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum ArtifactCommand {
    /// A session's artifacts, newest first (or one task's)
    List {
        #[arg(long)]
        session: String,
        #[arg(long)]
        task: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One artifact in full
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over artifacts (all words must match)
    Search {
        query: String,
        #[arg(long)]
        session: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn artifact(home: &BatonHome, cmd: ArtifactCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        ArtifactCommand::List { session, task, json } => {
            let list = client.artifact_list(&ArtifactListQuery { session, task })?;
            if json {
                output::json(&list);
            } else if list.is_empty() {
                println!("no artifacts yet; tasks leave them when they finish");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|a| vec![a.id.clone(), a.kind.as_str().into(), a.title.clone(), a.summary.clone()])
                    .collect();
                output::table(&["ID", "KIND", "TITLE", "SUMMARY"], &rows);
            }
        }
        ArtifactCommand::Show { id, json } => {
            let a = client.artifact_get(&id)?;
            if json {
                output::json(&a);
            } else {
                println!("{} ({}, {})\n{}\n", a.title, a.kind.as_str(), a.id, a.summary);
                println!("{}", a.body);
            }
        }
        ArtifactCommand::Search { query, session, json } => {
            let hits = client.artifact_search(&ArtifactSearchQuery { q: query.clone(), session, limit: None })?;
            if json {
                output::json(&hits);
            } else if hits.is_empty() {
                println!("nothing matches {query:?}");
            } else {
                for h in hits {
                    println!(
                        "{}  {}  {}\n    {}",
                        h.artifact.id,
                        h.artifact.kind.as_str(),
                        h.artifact.title,
                        h.snippet
                    );
                }
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum ContextCommand {
    /// Print a session's context (objectives, decisions, insights, tasks, artifacts, agents) as JSON
    Export {
        #[arg(long)]
        session: String,
        /// Write to this file instead of standard output
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Make a new session from an exported context; prints its id
    Import {
        /// The exported JSON file (`-` for standard input)
        file: std::path::PathBuf,
        /// The new session's repository [default: the exported one]
        #[arg(long)]
        repo: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn context(home: &BatonHome, cmd: ContextCommand) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        ContextCommand::Export { session, output } => {
            let doc = client.context_export(&session)?;
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            match output {
                Some(path) => {
                    std::fs::write(&path, text + "\n").map_err(|source| DaemonError::Io {
                        context: format!("cannot write {}", path.display()),
                        source,
                    })?;
                    println!("wrote {}", path.display());
                }
                None => println!("{text}"),
            }
        }
        ContextCommand::Import { file, repo, name } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
            } else {
                std::fs::read_to_string(&file)
            }
            .map_err(|source| DaemonError::Io { context: format!("cannot read {}", file.display()), source })?;
            let doc: ContextDoc = serde_json::from_str(&text).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "{} is not a context export ({e}); make one with `baton context export --session S`",
                        file.display()
                    ),
                )
            })?;
            let repo = repo.map(|r| std::path::absolute(&r).map(|p| p.to_string_lossy().into_owned()).unwrap_or(r));
            let s = client.context_import(&ContextImport { doc, repo, name })?;
            println!("{}", s.id);
        }
    }
    Ok(())
}

pub fn retry(home: &BatonHome, task: &str) -> Result<(), DaemonError> {
    let t = super::client(home)?.task_retry(task)?;
    println!(
        "{} is {} again; the coordinator starts it (`baton run --session {}` if it is not running)",
        t.name,
        t.state.as_str(),
        t.session_id
    );
    Ok(())
}
