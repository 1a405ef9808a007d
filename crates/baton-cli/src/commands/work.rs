//! What agents produced, in git: diff, merge, checkpoints, restore, removal and garbage
//! collection of worktrees.

use baton_core::BatonHome;
use baton_core::agent::GcEntry;
use baton_core::api::{AgentDiffQuery, AgentRemoveQuery, WorktreesGc};
use baton_core::worktree::diff::WorktreeDiff;
use baton_core::worktree::merge::{MergeReport, MergeRequest, MergeStrategy};
use baton_daemon::DaemonError;
use clap::ValueEnum;

use crate::output;

#[derive(Clone, Copy, ValueEnum)]
pub enum Strategy {
    Squash,
    Rebase,
    Merge,
}

impl From<Strategy> for MergeStrategy {
    fn from(s: Strategy) -> Self {
        match s {
            Strategy::Squash => MergeStrategy::Squash,
            Strategy::Rebase => MergeStrategy::Rebase,
            Strategy::Merge => MergeStrategy::Merge,
        }
    }
}

pub fn diff(home: &BatonHome, agent: &str, stat: bool, json: bool) -> Result<(), DaemonError> {
    let d = super::client(home)?.agent_diff(agent, &AgentDiffQuery { patch: Some(!stat) })?;
    if json {
        output::json(&d);
    } else if stat || d.patch.is_none() {
        stat_print(&d);
    } else {
        print!("{}", d.patch.as_deref().unwrap_or_default());
        if d.patch_truncated {
            println!("[the patch was cut at 8 MiB; `baton diff {agent} --stat` lists every file]");
        }
    }
    Ok(())
}

fn stat_print(d: &WorktreeDiff) {
    if d.files.is_empty() {
        println!("no changes against {}", d.base);
        return;
    }
    let rows: Vec<Vec<String>> = d
        .files
        .iter()
        .map(|f| {
            let counts = if f.binary { "binary".to_owned() } else { format!("+{} -{}", f.additions, f.deletions) };
            let path = match &f.old_path {
                Some(old) => format!("{old} -> {}", f.path),
                None => f.path.clone(),
            };
            vec![f.status.clone(), counts, path]
        })
        .collect();
    output::table(&["STATUS", "LINES", "FILE"], &rows);
    println!(
        "{} file(s), +{} -{} against {}{}",
        d.files.len(),
        d.additions,
        d.deletions,
        d.base,
        if d.uncommitted > 0 { format!(" ({} not committed yet)", d.uncommitted) } else { String::new() }
    );
}

/// What `baton merge` was asked.
pub struct MergeArgs {
    pub into: Option<String>,
    pub strategy: Strategy,
    pub dry_run: bool,
    pub message: Option<String>,
}

pub fn merge(home: &BatonHome, agent: &str, args: MergeArgs, json: bool) -> Result<u8, DaemonError> {
    let req =
        MergeRequest { into: args.into, strategy: args.strategy.into(), dry_run: args.dry_run, message: args.message };
    let report = super::client(home)?.agent_merge(agent, &req)?;
    if json {
        output::json(&report);
    } else {
        report_print(&report);
    }
    // A dry run that finds a refusal exits 1, so scripts can check before merging.
    Ok(u8::from(!report.ok))
}

fn report_print(r: &MergeReport) {
    let strategy = r.strategy.as_str();
    if r.already_merged {
        println!("nothing to merge: {} already has all of it", r.into);
    } else if r.dry_run {
        if r.ok {
            println!(
                "would merge cleanly into {} ({strategy}): {} commit(s), {} file(s)",
                r.into,
                r.commits,
                r.files.len()
            );
        } else {
            println!("would not merge into {} ({strategy})", r.into);
        }
    } else {
        let commit = r.commit.as_deref().unwrap_or("");
        println!("merged into {} ({strategy}): {}", r.into, &commit[..commit.len().min(12)]);
    }
    for f in &r.files {
        println!("  {:<9} +{} -{}  {}", f.status, f.additions, f.deletions, f.path);
    }
    if r.uncommitted > 0 {
        let verb = if r.dry_run { "will be" } else { "were" };
        println!("{} uncommitted file(s) of the agent {verb} committed onto its branch first", r.uncommitted);
    }
    if let Some(co) = &r.checkout_updated {
        println!("updated your checkout {co}");
    }
    if r.dry_run && r.ok && !r.already_merged && r.strategy != MergeStrategy::Rebase {
        println!("commit message:");
        for line in r.message.lines() {
            println!("  {line}");
        }
    }
    for c in &r.conflicts {
        println!("  conflict: {c}");
    }
    if let Some(why) = &r.refusal {
        println!("refused: {why}");
    }
}

pub fn checkpoints(home: &BatonHome, agent: &str, json: bool) -> Result<(), DaemonError> {
    let list = super::client(home)?.agent_checkpoints(agent)?;
    if json {
        output::json(&list);
    } else if list.is_empty() {
        println!("no checkpoints yet: one is saved after each turn that changes the worktree");
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|c| {
                vec![
                    c.n.to_string(),
                    output::time_short(&c.created_at),
                    c.commit[..12.min(c.commit.len())].to_owned(),
                    c.message.clone(),
                ]
            })
            .collect();
        output::table(&["N", "SAVED (UTC)", "COMMIT", "WHAT"], &rows);
    }
    Ok(())
}

pub fn restore(home: &BatonHome, agent: &str, n: u32) -> Result<(), DaemonError> {
    let r = super::client(home)?.agent_restore(agent, n)?;
    println!("restored checkpoint {} ({})", r.restored.n, r.restored.message);
    if let Some(saved) = r.saved {
        println!("the state before it is checkpoint {}: `baton restore {agent} {}` undoes this", saved.n, saved.n);
    }
    Ok(())
}

pub fn remove(home: &BatonHome, agent: &str, force: bool) -> Result<(), DaemonError> {
    let a = super::client(home)?.agent_remove(agent, &AgentRemoveQuery { force: Some(force) })?;
    match a.worktree {
        Some(wt) => println!(
            "archived {}: its worktree {} is removed, its branch {} stays; its history (`baton logs {}`) and cost are kept",
            a.name, wt.path, wt.branch, a.name
        ),
        None => println!("archived {}: its history (`baton logs {}`) and cost are kept", a.name, a.name),
    }
    Ok(())
}

pub fn gc(home: &BatonHome, dry_run: bool, json: bool) -> Result<(), DaemonError> {
    let r = super::client(home)?.worktrees_gc(&WorktreesGc { dry_run })?;
    if json {
        output::json(&r);
        return Ok(());
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    let entries = |label: &str, list: &[GcEntry]| {
        for e in list {
            println!("{label} {} ({}): {}", e.agent_name, e.path, e.reason);
        }
    };
    entries(verb, &r.removed);
    entries("kept", &r.kept);
    for b in &r.branches_deleted {
        println!("{} branch {b} (merged)", if dry_run { "would delete" } else { "deleted" });
    }
    if r.removed.is_empty() && r.kept.is_empty() && r.branches_deleted.is_empty() {
        println!("nothing to collect");
    }
    println!("worktrees use {} (were {})", size(r.disk_bytes_after), size(r.disk_bytes_before));
    Ok(())
}

fn size(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}
