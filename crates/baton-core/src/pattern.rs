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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::protocol::CliKind;
use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::store::Tx;
use crate::task::graph::graph_check;
use crate::task::{Task, TaskCreate};

/// Templates shipped with Baton: (file name, text).
const BUILT_IN: &[(&str, &str)] = &[("tri-agent.toml", include_str!("../../../templates/tri-agent.toml"))];

/// Placeholders a template may use besides the names of tasks its task runs after.
const PLACEHOLDERS: &[&str] = &["goal", "diff", "findings"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    pub tasks: Vec<TemplateTask>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// `claude`, `codex` or `gemini` [default: the session's].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Put before each prompt of the role's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateTask {
    pub name: String,
    pub title: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub if_succeeded: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub if_failed: Vec<String>,
    /// This task reviews that task's work: a verdict requesting changes sends it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<String>,
    /// How many times the reviewed task may be sent back [default: 3].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rounds: Option<u32>,
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
}

/// `POST /api/patterns/{name}/run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatternRun {
    /// Session id or name.
    pub session: String,
    /// What the user wants done.
    pub goal: String,
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

/// Parses and checks a template; `file` names it in errors.
pub fn template_parse(file: &str, text: &str) -> Result<Template, PatternError> {
    let template: Template = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |span| line_column(text, span.start));
        PatternError::Invalid { file: file.to_owned(), line, column, message: e.message().trim().to_owned() }
    })?;
    let rule = |message: String| PatternError::Rule { file: file.to_owned(), message };
    if template.tasks.is_empty() {
        return Err(rule("the template has no tasks; add at least one [[tasks]]".into()));
    }
    for t in &template.tasks {
        if let Some(role) = &t.role
            && !template.roles.contains_key(role)
        {
            return Err(rule(format!("task {:?} has role {role:?}, which no [roles.{role}] declares", t.name)));
        }
        if let Some(reviewed) = &t.reviews {
            if !template.tasks.iter().any(|o| &o.name == reviewed) {
                return Err(rule(format!(
                    "task {:?} reviews {reviewed:?}, which is not a task of the template",
                    t.name
                )));
            }
            if !t.after.contains(reviewed) {
                return Err(rule(format!(
                    "task {:?} reviews {reviewed:?} but does not run after it; add it to `after`",
                    t.name
                )));
            }
        }
        if t.max_rounds == Some(0) {
            return Err(rule(format!("task {:?} has max_rounds = 0; at least 1", t.name)));
        }
        let upstream = upstream(&template, &t.name);
        for text in [&t.title, &t.prompt] {
            for p in placeholders(text) {
                if !PLACEHOLDERS.contains(&p.as_str()) && !upstream.contains(&p) {
                    return Err(rule(format!(
                        "task {:?} uses the placeholder {{{p}}}; known ones are {} and the names of tasks it runs after",
                        t.name,
                        PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
    }
    for (name, role) in &template.roles {
        if let Some(cli) = &role.cli
            && CliKind::parse(cli).is_none_or(|c| c == CliKind::Command)
        {
            return Err(rule(format!("role {name:?} has cli {cli:?}; use claude, codex or gemini")));
        }
    }
    let nodes: Vec<(String, Vec<String>)> = template
        .tasks
        .iter()
        .map(|t| (t.name.clone(), t.after.iter().chain(&t.if_succeeded).chain(&t.if_failed).cloned().collect()))
        .collect();
    let mut names: Vec<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(rule(format!("two tasks are named {:?}; task names must differ", w[0])));
    }
    graph_check(&nodes, &[]).map_err(|e| rule(e.to_string()))?;
    Ok(template)
}

/// The names of the tasks `name` runs after, directly or not.
fn upstream(template: &Template, name: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut queue = vec![name.to_owned()];
    while let Some(n) = queue.pop() {
        let Some(t) = template.tasks.iter().find(|t| t.name == n) else { continue };
        for d in t.after.iter().chain(&t.if_succeeded).chain(&t.if_failed) {
            if !found.contains(d) {
                found.push(d.clone());
                queue.push(d.clone());
            }
        }
    }
    found
}

/// `{word}` placeholders in `text` (a `{` followed by a JSON-like `"` is not one).
pub(crate) fn placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        if !inner.is_empty() && inner.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            found.push(inner.to_owned());
        }
    }
    found
}

pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Adds a template's tasks to a session's graph in a transaction, with `{goal}` filled in and the
/// roles' CLI, model and preamble; task names get a suffix (`-2`...) when taken. The graph then
/// moves on. Returns the tasks added, as they stand after.
pub(crate) fn template_insert(tx: &mut Tx<'_>, session_id: &str, template: &Template, goal: &str) -> Result<Vec<Task>> {
    let existing = crate::task::task_list(tx, session_id)?;
    let taken =
        |suffix: &str| template.tasks.iter().any(|t| existing.iter().any(|e| e.name == format!("{}{suffix}", t.name)));
    let mut suffix = String::new();
    let mut n = 2;
    while taken(&suffix) {
        suffix = format!("-{n}");
        n += 1;
    }
    let mut added = Vec::new();
    // Template order is a valid order once the graph is acyclic: add in dependency order.
    let mut pending: Vec<&TemplateTask> = template.tasks.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut i = 0;
        while i < pending.len() {
            let t = pending[i];
            let deps_in = t
                .after
                .iter()
                .chain(&t.if_succeeded)
                .chain(&t.if_failed)
                .all(|d| added.iter().any(|a: &Task| a.name == format!("{d}{suffix}")));
            if !deps_in {
                i += 1;
                continue;
            }
            let role = t.role.as_ref().and_then(|r| template.roles.get(r));
            let mut prompt = t.prompt.replace("{goal}", goal);
            if !suffix.is_empty() {
                // `{spec}` names the task `spec` of this run: `spec-2` on a second run.
                for other in &template.tasks {
                    prompt = prompt.replace(&format!("{{{}}}", other.name), &format!("{{{}{suffix}}}", other.name));
                }
            }
            if let Some(preamble) = role.and_then(|r| r.prompt.as_deref()) {
                prompt = format!("{preamble}\n\n{prompt}");
            }
            let names = |l: &[String]| l.iter().map(|d| format!("{d}{suffix}")).collect();
            let id = crate::task::task_insert(
                tx,
                session_id,
                &TaskCreate {
                    session: session_id.to_owned(),
                    title: t.title.replace("{goal}", goal),
                    prompt,
                    name: Some(format!("{}{suffix}", t.name)),
                    role: t.role.clone(),
                    cli: role.and_then(|r| r.cli.as_deref()).and_then(CliKind::parse),
                    model: role.and_then(|r| r.model.clone()),
                    after: names(&t.after),
                    if_succeeded: names(&t.if_succeeded),
                    if_failed: names(&t.if_failed),
                    reviews: t.reviews.as_ref().map(|r| format!("{r}{suffix}")),
                    max_rounds: t.max_rounds,
                },
            )?;
            added.push(crate::task::task_get(tx, None, &id)?);
            pending.remove(i);
        }
        if pending.len() == before {
            break; // unreachable for a checked template; never loop forever
        }
    }
    crate::task::tasks_advance_in(tx, session_id)?;
    added.iter().map(|t| crate::task::task_get(tx, None, &t.id)).collect()
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

impl Engine {
    /// Every template: the user's (`$BATON_HOME/templates/*.toml`) and the built-in ones they do
    /// not replace. A broken template is an error naming it, not a silent omission.
    pub fn pattern_list(&self) -> Result<Vec<PatternInfo>> {
        Ok(self.templates()?.into_iter().map(|(source, t)| info(&t, source)).collect())
    }

    /// Adds a pattern's tasks to a session's graph, with `{goal}` filled in. Task names get a
    /// suffix when the pattern ran in the session before.
    pub fn pattern_run(&self, name: &str, req: &PatternRun) -> Result<Vec<Task>> {
        if req.goal.trim().is_empty() {
            return Err(PatternError::EmptyGoal.into());
        }
        let (_, template) = self
            .templates()?
            .into_iter()
            .find(|(_, t)| t.name == name)
            .ok_or_else(|| PatternError::NotFound(name.to_owned()))?;
        crate::names::name_check("pattern name", name)?;
        let session = self.session_get(&req.session)?;
        if session.state == crate::session::SessionState::Archived {
            return Err(crate::task::TaskError::Invalid(format!(
                "session {} is archived; unarchive it before adding work to it",
                session.name
            ))
            .into());
        }
        // All the pattern's tasks or none: a running coordinator never sees half a graph.
        self.write(|tx| template_insert(tx, &session.id, &template, req.goal.trim()))
    }

    fn templates(&self) -> Result<Vec<(String, Template)>> {
        let mut list: Vec<(String, Template)> = Vec::new();
        for path in toml_files(&self.home().root().join("templates")) {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| PatternError::Unreadable { path: path.display().to_string(), detail: e.to_string() })?;
            list.push((path.display().to_string(), template_parse(&path.display().to_string(), &text)?));
        }
        for (file, text) in BUILT_IN {
            let template = template_parse(&format!("templates/{file}"), text)?;
            if !list.iter().any(|(_, t)| t.name == template.name) {
                list.push(("built-in".into(), template));
            }
        }
        Ok(list)
    }
}

fn info(t: &Template, source: String) -> PatternInfo {
    PatternInfo {
        name: t.name.clone(),
        description: t.description.clone(),
        source,
        roles: t.roles.keys().cloned().collect(),
        tasks: t.tasks.iter().map(|t| t.name.clone()).collect(),
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
        }
    }

    #[test]
    fn a_typo_names_file_line_and_field() {
        let text = "name = \"x\"\n\n[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"p\"\nafterr = [\"b\"]\n";
        let err = template_parse("mine.toml", text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("mine.toml, line 7"), "{msg}");
        assert!(msg.contains("afterr"), "{msg}");
    }

    #[test]
    fn rules_are_checked_with_what_to_fix() {
        let base = "name = \"x\"\n[roles.dev]\ncli = \"claude\"\n";
        let task = |extra: &str| format!("{base}[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"p\"\n{extra}\n");
        let cases = [
            (task("role = \"nobody\""), "no [roles.nobody]"),
            (task("after = [\"zz\"]"), "\"zz\""),
            (task("after = [\"a\"]"), "a -> a"),
            (task("reviews = \"zz\""), "reviews \"zz\""),
            (format!("{base}[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"do {{gaol}}\"\n"), "{gaol}"),
            (task("reviews = \"a\""), "does not run after it"),
            (task("max_rounds = 0"), "max_rounds = 0"),
            (format!("{base}[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"use {{a}}\"\n"), "{a}"),
            ("name = \"x\"\ntasks = []\n".to_owned(), "no tasks"),
            (
                "name = \"x\"\n[roles.r]\ncli = \"vim\"\n[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"p\"\n"
                    .to_owned(),
                "claude, codex or gemini",
            ),
        ];
        for (text, want) in cases {
            let err = template_parse("t.toml", &text).unwrap_err().to_string();
            assert!(err.contains(want), "{want:?} in {err:?}");
        }
    }

    #[test]
    fn json_in_a_prompt_is_not_a_placeholder() {
        assert_eq!(placeholders("do {goal} with {\"verdict\": 1} and {}"), vec!["goal".to_owned()]);
    }
}
