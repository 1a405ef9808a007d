//! `baton-fake-model`: the fake model server as a process, for scripts and end-to-end tests
//! that run the app rather than the library.
//!
//! Each `--scenario` file is a JSON object `{"key": "...", "steps": [...]}`; a file without
//! `key` is the default scenario, answering any other key. It prints `listening on URL` once
//! ready and serves until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use baton_fake_model::{FakeModel, Scenario, Step};
use clap::Parser;
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(version, about = "A scripted fake model server (Anthropic, OpenAI Responses, Gemini) on 127.0.0.1")]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Scenario files, `{"key": "...", "steps": [...]}`; without `key`, the default scenario.
    #[arg(long, num_args = 1.., required = true)]
    scenario: Vec<PathBuf>,
    /// Append every request as a JSON line to this file.
    #[arg(long)]
    record: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    key: Option<String>,
    steps: Vec<Step>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("baton-fake-model: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut builder = FakeModel::builder().port(args.port);
    let mut has_default = false;
    for path in &args.scenario {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: ScenarioFile = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let scenario = Scenario::new(file.steps);
        scenario.validate().map_err(|e| format!("{}: {e}", path.display()))?;
        builder = match file.key {
            Some(key) => builder.scenario(key, scenario),
            None if has_default => return Err(format!("{}: a second scenario without `key`", path.display())),
            None => {
                has_default = true;
                builder.default_scenario(scenario)
            }
        };
    }
    if let Some(record) = args.record {
        builder = builder.record_to(record);
    }
    let fake = builder.start().map_err(|e| e.to_string())?;
    println!("listening on {}", fake.url());

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok::<(), String>(())
    })?;
    drop(fake);
    Ok(())
}
