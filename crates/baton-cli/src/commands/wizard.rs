//! `baton wizard`: the guided dialogue from a goal to a launched plan. `start` prints the first
//! question, `answer` the next one or the plan; `plan -o` and `edit --plan` round-trip the plan
//! through a JSON file; `launch` adds it to the session. `baton wizard` alone on a terminal
//! asks everything in turn (numbers pick options, Enter takes the recommended one). With
//! `--engine agent` a planner agent asks the questions: `start` and `answer` wait for its reply.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::wizard::plan::WizardPlan;
use baton_core::wizard::questions::QuestionKind;
use baton_core::wizard::{
    Wizard, WizardEngine, WizardLaunch, WizardListQuery, WizardPatternSave, WizardPlanSet, WizardQuestion, WizardReply,
    WizardStart,
};
use baton_core::{ApiError, BatonHome, ErrorCode};
use baton_daemon::DaemonError;
use baton_daemon::client::DaemonClient;
use clap::{Args, Subcommand, ValueEnum};

use crate::output;

#[derive(Args)]
pub struct WizardArgs {
    /// For the interactive dialogue: the session (id or name) [default: the one of this folder's repository]
    #[arg(long)]
    session: Option<String>,
    /// For the interactive dialogue: who asks the questions
    #[arg(long, value_enum, default_value = "guided")]
    engine: Engine,
    /// For the interactive dialogue with --engine agent: the planner's CLI
    #[arg(long, value_enum)]
    cli: Option<Planner>,
    #[command(subcommand)]
    cmd: Option<WizardCommand>,
}

#[derive(Subcommand)]
pub enum WizardCommand {
    /// Start a wizard for a goal; prints its id and the first question
    Start {
        #[arg(long)]
        session: String,
        /// What you want done
        #[arg(long)]
        goal: String,
        /// Who asks the questions: the guided question graph, or a planner agent
        #[arg(long, value_enum, default_value = "guided")]
        engine: Engine,
        /// The planner's CLI, with --engine agent [default: settings' wizard.planner, else claude]
        #[arg(long, value_enum)]
        cli: Option<Planner>,
        #[arg(long)]
        json: bool,
    },
    /// Answer the current question: an option's label or number (several for a several/folders
    /// question), a text or a number; none takes the recommended answer. Prints the next question or the plan
    Answer {
        wizard: String,
        answers: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Go back to the question answered last
    Back {
        wizard: String,
        #[arg(long)]
        json: bool,
    },
    /// The wizard: its goal, the repository's facts, the answers and the next question or the plan
    Show {
        wizard: String,
        #[arg(long)]
        json: bool,
    },
    /// The wizard's plan; -o writes it as JSON to edit and give back with `edit --plan`
    Plan {
        wizard: String,
        #[arg(long)]
        json: bool,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Replace the plan with an edited one (JSON, as `plan -o` writes it); it is checked first
    Edit {
        wizard: String,
        #[arg(long, value_name = "FILE")]
        plan: PathBuf,
    },
    /// Add the plan's tasks, the goal as an objective and the answers as decisions to the session
    Launch {
        wizard: String,
        /// Then start the session's coordinator
        #[arg(long)]
        run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Discard a draft
    Discard { wizard: String },
    /// A session's wizards, newest first
    List {
        #[arg(long)]
        session: String,
        #[arg(long)]
        json: bool,
    },
    /// Save the plan as a pattern ($BATON_HOME/templates/NAME.toml) for `baton pattern run`
    Save { wizard: String, name: String },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Engine {
    Guided,
    Agent,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Planner {
    Claude,
    Codex,
    Gemini,
}

impl From<Planner> for CliKind {
    fn from(p: Planner) -> Self {
        match p {
            Planner::Claude => CliKind::Claude,
            Planner::Codex => CliKind::Codex,
            Planner::Gemini => CliKind::Gemini,
        }
    }
}

fn engine_of(e: Engine) -> WizardEngine {
    match e {
        Engine::Guided => WizardEngine::Guided,
        Engine::Agent => WizardEngine::Agent,
    }
}

/// How long `start` and `answer` wait for the planner's reply.
const PLANNER_WAIT: Duration = Duration::from_secs(600);

/// The wizard once its planner has replied (a question, the plan, or the guided engine taking
/// over); at once when it has no planner thinking.
fn planner_wait(client: &DaemonClient, mut w: Wizard) -> Result<Wizard, DaemonError> {
    let deadline = Instant::now() + PLANNER_WAIT;
    let mut said = false;
    while w.planner.as_ref().is_some_and(|p| p.thinking) && Instant::now() < deadline {
        if !said {
            let p = w.planner.as_ref().map(|p| p.agent_name.clone()).unwrap_or_default();
            eprintln!("the planner ({p}) is thinking; `baton logs {p}` shows its work");
            said = true;
        }
        std::thread::sleep(Duration::from_millis(200));
        w = client.wizard_get(&w.id)?;
    }
    Ok(w)
}

/// Runs a wizard command; returns the exit code.
pub fn run(home: &BatonHome, args: WizardArgs) -> Result<u8, DaemonError> {
    let Some(cmd) = args.cmd else {
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "error: `baton wizard` alone asks on a terminal; otherwise use `baton wizard start --session S --goal TEXT`"
            );
            return Ok(2);
        }
        return interactive(home, args.session, engine_of(args.engine), args.cli.map(Into::into));
    };
    let client = super::client(home)?;
    match cmd {
        WizardCommand::Start { session, goal, engine, cli, json } => {
            let engine = Some(engine_of(engine));
            let w = client.wizard_start(&WizardStart { session, goal, engine, cli: cli.map(Into::into) })?;
            let w = planner_wait(&client, w)?;
            if json {
                output::json(&w);
            } else {
                println!("{}", w.id);
                print_facts(&w);
                print_next(&w);
            }
        }
        WizardCommand::Answer { wizard, answers, json } => {
            let w = client.wizard_answer(&wizard, &WizardReply { answers })?;
            let w = planner_wait(&client, w)?;
            show(&w, json, false);
        }
        WizardCommand::Back { wizard, json } => show(&client.wizard_back(&wizard)?, json, false),
        WizardCommand::Show { wizard, json } => show(&client.wizard_get(&wizard)?, json, true),
        WizardCommand::Plan { wizard, json, output: file } => {
            let w = client.wizard_get(&wizard)?;
            let Some(plan) = &w.plan else {
                return Err(usage_free(format!(
                    "wizard {} has questions left; answer them first (`baton wizard show {}`)",
                    w.id, w.id
                )));
            };
            match file {
                Some(path) => {
                    let text = serde_json::to_string_pretty(plan).unwrap_or_default() + "\n";
                    std::fs::write(&path, text).map_err(|e| {
                        usage_free(format!("cannot write {}: {e}; choose a writable path", path.display()))
                    })?;
                    println!(
                        "wrote {}; give it back with `baton wizard edit {} --plan {}`",
                        path.display(),
                        w.id,
                        path.display()
                    );
                }
                None if json => output::json(plan),
                None => print_plan(&w.id, plan),
            }
        }
        WizardCommand::Edit { wizard, plan } => {
            let plan = plan_read(&plan)?;
            let w = client.wizard_plan_set(&wizard, &WizardPlanSet { plan })?;
            println!("plan of {} updated", w.id);
            if let Some(plan) = &w.plan {
                print_plan(&w.id, plan);
            }
        }
        WizardCommand::Launch { wizard, run, json } => {
            let launched = client.wizard_launch(&wizard, &WizardLaunch { run })?;
            if json {
                output::json(&launched);
            } else {
                for t in &launched.tasks {
                    println!("{}  {}  {}", t.id, t.name, t.state.as_str());
                }
                let session = &launched.wizard.session_id;
                if launched.running {
                    println!("launched; the coordinator runs: `baton status --session {session}` shows its progress");
                } else if let Some(e) = &launched.run_error {
                    eprintln!("launched, but the coordinator did not start: {e}");
                    eprintln!("start it with `baton run --session {session}`");
                } else {
                    println!("launched; start it with `baton run --session {session}`");
                }
            }
        }
        WizardCommand::Discard { wizard } => {
            let w = client.wizard_discard(&wizard)?;
            println!("{} is {}", w.id, w.state.as_str());
        }
        WizardCommand::List { session, json } => {
            let list = client.wizard_list(&WizardListQuery { session })?;
            if json {
                output::json(&list);
            } else if list.is_empty() {
                println!("no wizards yet; start one with `baton wizard start --session S --goal TEXT`");
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|w| {
                        let at = match (&w.question, &w.plan) {
                            (Some(q), _) => format!("question {}", q.position),
                            (None, Some(_)) => "plan".into(),
                            (None, None) if w.planner.as_ref().is_some_and(|p| p.thinking) => "planner thinking".into(),
                            (None, None) => "-".into(),
                        };
                        vec![
                            w.id.clone(),
                            w.state.as_str().into(),
                            at,
                            output::time_short(&w.updated_at),
                            w.goal.clone(),
                        ]
                    })
                    .collect();
                output::table(&["WIZARD", "STATE", "AT", "UPDATED", "GOAL"], &rows);
            }
        }
        WizardCommand::Save { wizard, name } => {
            let p = client.wizard_save_pattern(&wizard, &WizardPatternSave { name })?;
            println!(
                "saved pattern {} ({}); run it with `baton pattern run {} --session S --goal TEXT`",
                p.name, p.source, p.name
            );
        }
    }
    Ok(0)
}

/// An error of the command itself (not the daemon's), printed as one line.
fn usage_free(message: String) -> DaemonError {
    DaemonError::Api(ApiError::new(ErrorCode::InvalidInput, message))
}

fn plan_read(path: &Path) -> Result<WizardPlan, DaemonError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage_free(format!("cannot read {}: {e}; check the path", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| usage_free(format!("{}, line {}, column {}: {e}", path.display(), e.line(), e.column())))
}

fn show(w: &Wizard, json: bool, facts: bool) {
    if json {
        output::json(w);
        return;
    }
    if facts {
        println!("wizard {} ({}): {}", w.id, w.state.as_str(), w.goal);
        if let Some(p) = &w.planner {
            println!(
                "planner: agent {} ({}), at most {} questions; engine now {}",
                p.agent_name,
                p.cli.as_str(),
                p.max_questions,
                w.engine.as_str()
            );
        }
        print_facts(w);
        for a in &w.answers {
            let how = if a.auto { " (from the repository)" } else { "" };
            println!("  {} {}{how}", a.text, a.values.join(", "));
        }
    }
    print_next(w);
}

fn print_facts(w: &Wizard) {
    let f = &w.facts;
    let langs: Vec<String> = f.languages.iter().take(4).map(|l| format!("{} {}", l.language, l.files)).collect();
    println!(
        "repository: {} files ({}), branch {}, {} uncommitted",
        f.files,
        if langs.is_empty() { "no known language".into() } else { langs.join(", ") },
        f.branch.as_deref().unwrap_or("(detached)"),
        f.uncommitted
    );
    if f.partial {
        println!("(counted the first {} files only: a large folder that .gitignore should name?)", f.files);
    }
    let tests = f.test_commands();
    if !tests.is_empty() {
        println!("tests: {}", tests.join("; "));
    }
}

fn print_next(w: &Wizard) {
    if let Some(note) = &w.note {
        println!("\nnote: {note}");
    }
    match (&w.question, &w.plan) {
        (Some(q), _) => {
            print_question(q);
            let several = matches!(q.kind, QuestionKind::Several | QuestionKind::Folders);
            println!(
                "answer with `baton wizard answer {} {}` (nothing takes the recommended one)",
                w.id,
                if several { "ANSWER..." } else { "ANSWER" }
            );
        }
        (None, Some(plan)) => print_plan(&w.id, plan),
        (None, None) => {
            if let Some(p) = w.planner.as_ref().filter(|p| p.thinking) {
                println!(
                    "\nthe planner ({}) is still thinking; `baton wizard show {}` shows its next question",
                    p.agent_name, w.id
                );
            }
        }
    }
}

fn print_question(q: &WizardQuestion) {
    println!("\nquestion {} of at most {}: {}", q.position, q.at_most, q.text);
    println!("  why: {}", q.why);
    for (i, o) in q.options.iter().enumerate() {
        let detail = o.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
        let mark = if o.recommended { "  [recommended]" } else { "" };
        println!("  {}. {}{detail}{mark}", i + 1, o.label);
    }
    match q.kind {
        QuestionKind::Several | QuestionKind::Folders => println!("  (one or more)"),
        QuestionKind::Text | QuestionKind::Number => {
            if let Some(d) = &q.default {
                println!("  [default: {d}]");
            }
        }
        QuestionKind::One => {}
    }
}

fn print_plan(id: &str, plan: &WizardPlan) {
    println!(
        "\nplan ({}): {} agents, {} tasks, at most {} at once, {}",
        plan.pattern.as_deref().unwrap_or("edited"),
        plan.agents.len(),
        plan.tasks.len(),
        plan.concurrency,
        if plan.auto_merge { "approved work merges by itself" } else { "you merge approved work" }
    );
    let rows: Vec<Vec<String>> = plan
        .agents
        .iter()
        .map(|a| {
            vec![
                a.role.clone(),
                a.cli.map_or("(session's)".into(), |c| c.as_str().to_owned()),
                a.model.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::table(&["ROLE", "CLI", "MODEL"], &rows);
    println!();
    let rows: Vec<Vec<String>> = plan
        .tasks
        .iter()
        .map(|t| {
            let mut after: Vec<String> = t.after.clone();
            after.extend(t.if_succeeded.iter().map(|d| format!("{d} succeeded")));
            after.extend(t.if_failed.iter().map(|d| format!("{d} failed")));
            vec![
                t.name.clone(),
                t.role.clone().unwrap_or_else(|| "-".into()),
                if after.is_empty() { "-".into() } else { after.join(", ") },
                t.title.clone(),
            ]
        })
        .collect();
    output::table(&["TASK", "ROLE", "AFTER", "TITLE"], &rows);
    println!(
        "\nlaunch with `baton wizard launch {id} [--run]`; edit with `baton wizard plan {id} -o plan.json`, then `baton wizard edit {id} --plan plan.json`"
    );
}

/// The dialogue on a terminal: the session, the goal, each question, the plan, then launch.
fn interactive(
    home: &BatonHome,
    session: Option<String>,
    engine: WizardEngine,
    cli: Option<CliKind>,
) -> Result<u8, DaemonError> {
    let client = super::client(home)?;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |prompt: &str| -> Option<String> {
        print!("{prompt}");
        let _ = std::io::stdout().flush();
        lines.next().and_then(Result::ok).map(|l| l.trim().to_owned())
    };
    let session = match session.or_else(|| session_here(&client)) {
        Some(s) => s,
        None => {
            let Some(s) =
                ask("session (id or name; `baton session new --repo PATH` makes one): ").filter(|s| !s.is_empty())
            else {
                return Ok(1);
            };
            s
        }
    };
    let mut w = loop {
        let Some(goal) = ask("what do you want done? ") else { return Ok(1) };
        match client.wizard_start(&WizardStart { session: session.clone(), goal, engine: Some(engine), cli }) {
            Ok(w) => break planner_wait(&client, w)?,
            Err(e) => eprintln!("{e}"),
        }
    };
    println!("wizard {}", w.id);
    print_facts(&w);
    let mut noted = false;
    while let Some(q) = w.question.clone() {
        if let Some(note) = w.note.as_ref().filter(|_| !noted) {
            println!("\nnote: {note}");
            noted = true;
        }
        print_question(&q);
        let Some(line) = ask("> (Enter: recommended, `back`: previous) ") else { return Ok(1) };
        let result = if line == "back" {
            client.wizard_back(&w.id)
        } else {
            client.wizard_answer(&w.id, &WizardReply { answers: words(&q, &line) })
        };
        match result {
            Ok(next) => w = planner_wait(&client, next)?,
            Err(e) => eprintln!("{e}"),
        }
    }
    if let Some(plan) = &w.plan {
        print_plan(&w.id, plan);
    }
    let Some(yes) = ask("launch it now? [y/N/run] ") else { return Ok(0) };
    let run = yes.eq_ignore_ascii_case("run");
    if run || yes.eq_ignore_ascii_case("y") || yes.eq_ignore_ascii_case("yes") {
        let launched = client.wizard_launch(&w.id, &WizardLaunch { run })?;
        println!(
            "launched {} tasks{}",
            launched.tasks.len(),
            if launched.running { "; the coordinator runs" } else { "" }
        );
        if let Some(e) = &launched.run_error {
            eprintln!(
                "the coordinator did not start: {e}; start it with `baton run --session {}`",
                launched.wizard.session_id
            );
        }
    } else {
        println!("kept as a draft: `baton wizard launch {}` launches it later", w.id);
    }
    Ok(0)
}

/// A typed line as answers: numbers and commas pick several options; otherwise the line is one answer.
fn words(q: &WizardQuestion, line: &str) -> Vec<String> {
    let several = matches!(q.kind, QuestionKind::Several | QuestionKind::Folders);
    let parts: Vec<&str> = line.split([' ', ',']).filter(|p| !p.is_empty()).collect();
    if line.is_empty() {
        Vec::new()
    } else if several && parts.iter().all(|p| p.parse::<u32>().is_ok() || q.options.iter().any(|o| o.label == *p)) {
        parts.into_iter().map(str::to_owned).collect()
    } else {
        vec![line.to_owned()]
    }
}

/// The session whose repository holds the current folder, when there is exactly one.
fn session_here(client: &DaemonClient) -> Option<String> {
    let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
    let sessions = client.session_list().ok()?;
    let mut here = sessions
        .into_iter()
        .filter(|s| s.state == baton_core::session::SessionState::Active && cwd.starts_with(&s.repo));
    let first = here.next()?;
    here.next().is_none().then_some(first.name)
}
