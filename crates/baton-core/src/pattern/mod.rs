//! Patterns are data: a TOML template declares roles, prompts and a task graph with
//! placeholders. The shipped templates (`templates/` in the repository) are built in; a user's
//! own go in `$BATON_HOME/templates/NAME.toml` and win over a built-in of the same name.
//!
//! Loading checks everything a run would trip on, naming the file, line and field: unknown
//! fields (a typo never silently does nothing), unknown roles, dependencies and placeholders,
//! and cycles. Running a pattern adds its tasks to a session's graph with `{goal}` filled in;
//! the placeholders that need earlier tasks' results stay for the coordinator to fill when the
//! task starts: `{NAME}` (the result of the earlier task NAME, e.g. `{spec}`), `{diff}` and
//! `{findings}` (see `coordinator::handoff`).
//!
//! The language (`template.rs`), a run's tasks (`expand.rs`: fan-out, gather, `--set`) and a
//! template's graph for display (`graph.rs`) live apart; selection, votes and delegation are
//! the coordinator's (`coordinator/select.rs`, `coordinator/delegate.rs`).

mod expand;
mod graph;
mod template;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use expand::sets_apply;
pub(crate) use expand::template_insert;
pub use graph::{PatternEdge, PatternGraph, PatternNode, graph_text};
pub use template::{
    DelegateSpec, FAN_OUT_MAX, GateSpec, Role, SelectSpec, Template, TemplateTask, VoteSpec, template_parse,
};
pub(crate) use template::{line_column, placeholders};

use crate::agent::protocol::CliKind;
use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::task::Task;

/// Templates shipped with Baton: (file name, text).
const BUILT_IN: &[(&str, &str)] = &[
    ("tri-agent.toml", include_str!("../../../../templates/tri-agent.toml")),
    ("research-synthesis.toml", include_str!("../../../../templates/research-synthesis.toml")),
    ("pipeline.toml", include_str!("../../../../templates/pipeline.toml")),
    ("hierarchical.toml", include_str!("../../../../templates/hierarchical.toml")),
    ("consensus.toml", include_str!("../../../../templates/consensus.toml")),
    ("best-of-n.toml", include_str!("../../../../templates/best-of-n.toml")),
];

/// What a task does beyond working, from its template: kept with the task for the coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum TaskPattern {
    /// Chooses one of the tasks it runs after (the candidates): a check in each worktree, then a
    /// judge (its own agent) among those that passed, or the smallest diff.
    #[serde(rename_all = "camelCase")]
    Select { command: Option<String>, judge: bool, timeout_secs: u32 },
    /// Counts the JSON choices of the tasks it runs after; a tie goes to its agent (the judge).
    #[serde(rename_all = "camelCase")]
    Vote { choices: Vec<String>, judge: bool },
    /// A check run in its worktree when its agent is done: failing it fails the task.
    #[serde(rename_all = "camelCase")]
    Gate { command: String, timeout_secs: u32 },
    /// Its agent may add sub-tasks for itself (`task_add` over MCP) with these roles, `depth`
    /// levels deep and `count` in all.
    #[serde(rename_all = "camelCase")]
    Delegate { roles: Vec<DelegateRole>, depth: u32, count: u32 },
}

/// A role a delegating task may give its sub-tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DelegateRole {
    pub name: String,
    pub cli: Option<CliKind>,
    pub model: Option<String>,
    pub prompt: Option<String>,
    /// Its sub-tasks' agents only read (the role's `read_only`).
    #[serde(default)]
    pub read_only: bool,
}

/// A template as listed to users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatternInfo {
    pub name: String,
    pub description: String,
    /// Where it comes from: `built-in`, or the file.
    pub source: String,
    pub roles: Vec<String>,
    pub tasks: Vec<String>,
    /// What is wrong with the file, when it is broken (it cannot run until fixed).
    pub error: Option<String>,
}

/// `POST /api/patterns/{name}/run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatternRun {
    /// Session id or name.
    pub session: String,
    /// What the user wants done.
    pub goal: String,
    /// Changes to the template for this run: `count=3`, `TASK.count=3`, `clis=claude,codex`.
    #[serde(default)]
    #[ts(optional)]
    pub set: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error("{file}, line {line}, column {column}: {message}")]
    Invalid { file: String, line: usize, column: usize, message: String },
    #[error("{file}: {message}")]
    Rule { file: String, message: String },
    #[error("no pattern named {0:?}; `baton pattern list` shows them")]
    NotFound(String),
    #[error("the goal is empty; say what the pattern should achieve")]
    EmptyGoal,
    #[error("cannot read {path}: {detail}")]
    Unreadable { path: String, detail: String },
}

impl PatternError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Unreadable { .. } => ErrorCode::Io,
            Self::Invalid { .. } | Self::Rule { .. } | Self::EmptyGoal => ErrorCode::InvalidInput,
        }
    }
}

/// The `.toml` files of a folder of user templates, sorted; none when it does not exist.
pub(crate) fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => {
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect()
        }
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// A template file as found: its source (`built-in` or the path) and the template, or what is
/// wrong with it.
struct Found {
    source: String,
    /// The file's name without `.toml`: what names a broken template.
    stem: String,
    parsed: std::result::Result<Template, PatternError>,
}

impl Engine {
    /// Every template: the user's (`$BATON_HOME/templates/*.toml`) and the built-in ones they do
    /// not replace. A broken file is listed with its error; the others work.
    pub fn pattern_list(&self) -> Result<Vec<PatternInfo>> {
        Ok(self
            .templates()
            .into_iter()
            .map(|f| match f.parsed {
                Ok(t) => info(&t, f.source),
                Err(e) => PatternInfo {
                    name: f.stem,
                    description: String::new(),
                    source: f.source,
                    roles: vec![],
                    tasks: vec![],
                    error: Some(e.to_string()),
                },
            })
            .collect())
    }

    /// A pattern's graph, with `--set` changes applied: its tasks (fan-outs as one node with
    /// their count) and dependencies.
    pub fn pattern_show(&self, name: &str, sets: &[String]) -> Result<PatternGraph> {
        let (source, template) = self.template_find(name, sets)?;
        Ok(graph::graph_of(&template, source))
    }

    /// Adds a pattern's tasks to a session's graph, with `{goal}` filled in, and records the goal
    /// as an objective of the session. Task names get a suffix when the pattern ran in the
    /// session before.
    pub fn pattern_run(&self, name: &str, req: &PatternRun) -> Result<Vec<Task>> {
        if req.goal.trim().is_empty() {
            return Err(PatternError::EmptyGoal.into());
        }
        crate::names::name_check("pattern name", name)?;
        let (_, template) = self.template_find(name, req.set.as_deref().unwrap_or_default())?;
        let session = self.session_get(&req.session)?;
        if session.state == crate::session::SessionState::Archived {
            return Err(crate::task::TaskError::Invalid(format!(
                "session {} is archived; unarchive it before adding work to it",
                session.name
            ))
            .into());
        }
        // All the pattern's tasks or none: a running coordinator never sees half a graph.
        self.write(|tx| {
            let tasks = template_insert(tx, &session.id, &template, req.goal.trim())?;
            // The context says what the tasks are for.
            crate::context::objective_insert(
                tx,
                &session.id,
                &format!("{} ({name})", req.goal.trim()),
                crate::context::ObjectiveState::Open,
            )?;
            Ok(tasks)
        })
    }

    /// The template named `name`, `sets` applied; a broken file of that name is its error.
    fn template_find(&self, name: &str, sets: &[String]) -> Result<(String, Template)> {
        let found = self.templates();
        let f = found
            .into_iter()
            .find(|f| f.parsed.as_ref().map_or(f.stem == name, |t| t.name == name))
            .ok_or_else(|| PatternError::NotFound(name.to_owned()))?;
        let mut template = f.parsed?;
        let file =
            if f.source == "built-in" { format!("templates/{}.toml (built-in)", f.stem) } else { f.source.clone() };
        sets_apply(&file, &mut template, sets)?;
        Ok((f.source, template))
    }

    /// The user's templates, then the built-in ones they do not replace (by name, or by file
    /// name for a broken file).
    fn templates(&self) -> Vec<Found> {
        let mut list: Vec<Found> = Vec::new();
        for path in toml_files(&self.home().root().join("templates")) {
            let source = path.display().to_string();
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| PatternError::Unreadable { path: source.clone(), detail: e.to_string() })
                .and_then(|text| template_parse(&source, &text));
            list.push(Found { source, stem, parsed });
        }
        for (file, text) in BUILT_IN {
            let stem = file.trim_end_matches(".toml").to_owned();
            let parsed = template_parse(&format!("templates/{file}"), text);
            let name = parsed.as_ref().map(|t| t.name.clone()).unwrap_or_else(|_| stem.clone());
            let replaced = list.iter().any(|f| f.parsed.as_ref().map_or(f.stem == name, |t| t.name == name));
            if !replaced {
                list.push(Found { source: "built-in".into(), stem, parsed });
            }
        }
        list
    }
}

fn info(t: &Template, source: String) -> PatternInfo {
    PatternInfo {
        name: t.name.clone(),
        description: t.description.clone(),
        source,
        roles: t.roles.keys().cloned().collect(),
        tasks: t.tasks.iter().map(|t| t.name.clone()).collect(),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_load() {
        for (file, text) in BUILT_IN {
            let t = template_parse(file, text).unwrap();
            assert!(!t.tasks.is_empty());
            assert!(!t.description.is_empty(), "{file} has no description");
            assert!(text.starts_with("# "), "{file} has no header saying when to use it");
        }
    }
}
