//! An agent's branch against its base and its remote: brought up to date from the base branch
//! (rebase or merge), and pushed, with a pull request opened by the GitHub CLI.

use baton_core::BatonHome;
use baton_core::worktree::publish::PushRequest;
use baton_core::worktree::update::{BranchStatus, UpdateMode, UpdateRequest};
use baton_daemon::DaemonError;
use clap::ValueEnum;

use crate::output;

#[derive(Clone, Copy, ValueEnum)]
pub enum Mode {
    Rebase,
    Merge,
}

impl From<Mode> for UpdateMode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Rebase => UpdateMode::Rebase,
            Mode::Merge => UpdateMode::Merge,
        }
    }
}

/// `baton update`: exit code 1 when it stopped on conflicts.
pub fn update(home: &BatonHome, agent: &str, mode: Mode, abort: bool, json: bool) -> Result<u8, DaemonError> {
    let client = super::client(home)?;
    if abort {
        let status = client.agent_update_abort(agent)?;
        if json {
            output::json(&status);
        } else {
            println!("aborted the update; {}", standing(&status));
        }
        return Ok(0);
    }
    let report = client.agent_update(agent, &UpdateRequest { mode: mode.into() })?;
    if json {
        output::json(&report);
    } else if report.up_to_date {
        println!("already up to date with {}; {}", report.status.base, standing(&report.status));
    } else if report.ok {
        println!("brought {} in ({}); {}", report.status.base, report.mode.as_str(), standing(&report.status));
    } else {
        println!("the {} stopped on conflicts in:", report.mode.as_str());
        for f in &report.conflicts {
            println!("  {f}");
        }
        println!(
            "resolve them in the agent's worktree and continue (`git {} --continue`), or `baton update {agent} --abort`",
            report.mode.as_str()
        );
    }
    Ok(u8::from(!report.ok))
}

fn standing(s: &BranchStatus) -> String {
    format!("{} is {} behind and {} ahead of {}", s.branch, s.behind, s.ahead, s.base)
}

pub fn push(home: &BatonHome, agent: &str, req: PushRequest, json: bool) -> Result<(), DaemonError> {
    let report = super::client(home)?.agent_push(agent, &req)?;
    if json {
        output::json(&report);
        return Ok(());
    }
    println!("pushed {} to {} ({})", report.branch, report.remote, &report.commit[..report.commit.len().min(12)]);
    if report.uncommitted > 0 {
        println!("{} uncommitted file(s) in the worktree were not pushed", report.uncommitted);
    }
    if let Some(url) = &report.pull_request_url {
        println!("pull request: {url}");
    }
    Ok(())
}
