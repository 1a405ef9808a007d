//! The template language: roles, and tasks with dependencies, placeholders and the pattern
//! forms (fan-out, select, vote, delegate). Parsing checks everything a run would trip on,
//! naming the file, line and field: unknown fields (a typo never silently does nothing),
//! unknown roles, dependencies and placeholders, cycles, and each form's rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PatternError;
use crate::agent::protocol::CliKind;
use crate::task::graph::graph_check;

/// Placeholders a template may use besides the names of tasks its task runs after.
pub(crate) const PLACEHOLDERS: &[&str] = &["goal", "diff", "findings"];

/// At most this many siblings from one fan-out (each is an agent in its own worktree).
pub const FAN_OUT_MAX: u32 = 16;

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
    /// Its agents only read: started with their CLI's read-only tools and modes (researchers,
    /// reviewers that vote), whatever the prompt says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Fan-out: the task becomes this many siblings (`NAME-1`...), each on its own agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Fan-out over CLIs: one sibling per CLI listed (`count` is then their number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clis: Vec<String>,
    /// Select: the task chooses one of the siblings of the fan-out it runs after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<SelectSpec>,
    /// Vote: the task counts the JSON choices of the siblings of the fan-out it runs after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<VoteSpec>,
    /// Delegate: the task's agent may add sub-tasks for itself through Baton's MCP tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegate: Option<DelegateSpec>,
    /// Gate: a check run in the task's worktree when its agent is done; failing it fails the task
    /// (what runs after it is cancelled, saying why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// Runs with `sh -c` in the task's worktree; exit code 0 passes.
    pub command: String,
    /// A check running longer than this fails [default: 600].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectSpec {
    /// Runs in each candidate's worktree (`sh -c`); exit code 0 passes. None: all pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The role whose agent judges among the passing candidates. None: the smallest diff wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    /// A check running longer than this fails [default: 600].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteSpec {
    /// The choices a voter may answer with.
    pub choices: Vec<String>,
    /// The role whose agent breaks a tie. None: a tie blocks the task for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateSpec {
    /// The roles sub-tasks may take.
    pub roles: Vec<String>,
    /// How deep sub-tasks may delegate in turn [default: 1: sub-tasks do not delegate].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    /// How many sub-tasks the lead may add in all [default: 4].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl TemplateTask {
    /// How many siblings the task becomes: `None` when it does not fan out.
    pub fn fan_out(&self) -> Option<u32> {
        if !self.clis.is_empty() { Some(self.clis.len() as u32) } else { self.count }
    }

    /// Every task it depends on, of any kind.
    pub fn deps(&self) -> impl Iterator<Item = &String> {
        self.after.iter().chain(&self.if_succeeded).chain(&self.if_failed)
    }
}

/// Parses and checks a template; `file` names it in errors.
pub fn template_parse(file: &str, text: &str) -> Result<Template, PatternError> {
    let template: Template = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |span| line_column(text, span.start));
        PatternError::Invalid { file: file.to_owned(), line, column, message: e.message().trim().to_owned() }
    })?;
    template_check(file, &template)?;
    Ok(template)
}

/// The rules a parsed template must follow (also after `--set` changed it).
pub(crate) fn template_check(file: &str, template: &Template) -> Result<(), PatternError> {
    let rule = |message: String| PatternError::Rule { file: file.to_owned(), message };
    if template.tasks.is_empty() {
        return Err(rule("the template has no tasks; add at least one [[tasks]]".into()));
    }
    let role_known = |t: &TemplateTask, field: &str, role: &str| {
        if template.roles.contains_key(role) {
            Ok(())
        } else {
            Err(rule(format!("task {:?} has {field} {role:?}, which no [roles.{role}] declares", t.name)))
        }
    };
    for t in &template.tasks {
        if let Some(role) = &t.role {
            role_known(t, "role", role)?;
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
        forms_check(template, t).map_err(rule)?;
        if let Some(s) = &t.select
            && let Some(judge) = &s.judge
        {
            role_known(t, "select.judge", judge)?;
        }
        if let Some(v) = &t.vote
            && let Some(judge) = &v.judge
        {
            role_known(t, "vote.judge", judge)?;
        }
        if let Some(d) = &t.delegate {
            for r in &d.roles {
                role_known(t, "delegate.roles entry", r)?;
            }
        }
        for cli in &t.clis {
            cli_check(cli).map_err(|e| rule(format!("task {:?}: clis has {cli:?}; {e}", t.name)))?;
        }
        let upstream = upstream(template, &t.name);
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
        if let Some(cli) = &role.cli {
            cli_check(cli).map_err(|e| rule(format!("role {name:?} has cli {cli:?}; {e}")))?;
        }
    }
    let nodes: Vec<(String, Vec<String>)> =
        template.tasks.iter().map(|t| (t.name.clone(), t.deps().cloned().collect())).collect();
    let mut names: Vec<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(rule(format!("two tasks are named {:?}; task names must differ", w[0])));
    }
    graph_check(&nodes, &[]).map_err(|e| rule(e.to_string()))?;
    Ok(())
}

fn cli_check(cli: &str) -> Result<(), String> {
    match CliKind::parse(cli) {
        Some(c) if c != CliKind::Command => Ok(()),
        _ => Err("use claude, codex or gemini".into()),
    }
}

/// The rules of fan-out, select, vote and delegate on one task.
fn forms_check(template: &Template, t: &TemplateTask) -> Result<(), String> {
    let name = &t.name;
    if !t.clis.is_empty() && t.count.is_some_and(|c| c as usize != t.clis.len()) {
        return Err(format!(
            "task {name:?} has count = {} but lists {} clis; give one of them (the clis say how many)",
            t.count.unwrap_or(0),
            t.clis.len()
        ));
    }
    if let Some(n) = t.fan_out() {
        if n == 0 {
            return Err(format!("task {name:?} fans out to 0 tasks; count must be at least 1"));
        }
        if n > FAN_OUT_MAX {
            return Err(format!("task {name:?} fans out to {n} tasks; at most {FAN_OUT_MAX}"));
        }
        if t.reviews.is_some() || t.select.is_some() || t.vote.is_some() || t.delegate.is_some() || t.gate.is_some() {
            return Err(format!(
                "task {name:?} fans out and also reviews, selects, votes, gates or delegates; a fan-out's siblings only work"
            ));
        }
    }
    let forms = [t.select.is_some(), t.vote.is_some(), t.delegate.is_some(), t.reviews.is_some(), t.gate.is_some()];
    if forms.iter().filter(|f| **f).count() > 1 {
        return Err(format!("task {name:?} has more than one of select, vote, delegate, gate and reviews; keep one"));
    }
    if let Some(g) = &t.gate
        && (g.command.trim().is_empty() || g.timeout_secs == Some(0))
    {
        return Err(format!("task {name:?} has a gate with an empty command or timeout_secs = 0"));
    }
    if t.select.is_some() || t.vote.is_some() {
        let what = if t.select.is_some() { "select" } else { "vote" };
        if t.role.is_some() {
            return Err(format!(
                "task {name:?} has {what} and a role; its agent is the judge: name its role as {what}.judge"
            ));
        }
        let fanned: Vec<&String> =
            t.after.iter().filter(|d| template.tasks.iter().any(|o| &o.name == *d && o.fan_out().is_some())).collect();
        if fanned.len() != 1 || t.after.len() != 1 || !t.if_succeeded.is_empty() || !t.if_failed.is_empty() {
            return Err(format!(
                "task {name:?} has {what} but no candidates: it must run `after` exactly one fan-out task \
                 (one with count or clis), and nothing else"
            ));
        }
    }
    if let Some(s) = &t.select
        && s.timeout_secs == Some(0)
    {
        return Err(format!("task {name:?} has select.timeout_secs = 0; at least 1"));
    }
    if let Some(v) = &t.vote
        && v.choices.len() < 2
    {
        return Err(format!("task {name:?} has vote.choices with fewer than two choices; list at least two"));
    }
    if let Some(d) = &t.delegate {
        if d.roles.is_empty() {
            return Err(format!("task {name:?} delegates to no role; list delegate.roles"));
        }
        if d.depth == Some(0) || d.count == Some(0) {
            return Err(format!("task {name:?} has delegate depth or count 0; at least 1"));
        }
    }
    Ok(())
}

/// The names of the tasks `name` runs after, directly or not.
fn upstream(template: &Template, name: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut queue = vec![name.to_owned()];
    while let Some(n) = queue.pop() {
        let Some(t) = template.tasks.iter().find(|t| t.name == n) else { continue };
        for d in t.deps() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_names_file_line_and_field() {
        let text = "name = \"x\"\n\n[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"p\"\nafterr = [\"b\"]\n";
        let err = template_parse("mine.toml", text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("mine.toml, line 7"), "{msg}");
        assert!(msg.contains("afterr"), "{msg}");
        // A typo inside a pattern form names its field too.
        let text = "name = \"x\"\n[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"p\"\ncount = 2\n\
                    [[tasks]]\nname = \"b\"\ntitle = \"t\"\nprompt = \"p\"\nafter = [\"a\"]\nselect = { comand = \"x\" }\n";
        let msg = template_parse("mine.toml", text).unwrap_err().to_string();
        assert!(msg.starts_with("mine.toml, line 12"), "{msg}");
        assert!(msg.contains("comand"), "{msg}");
    }

    #[test]
    fn rules_are_checked_with_what_to_fix() {
        let base = "name = \"x\"\n[roles.dev]\ncli = \"claude\"\n";
        let task = |extra: &str| format!("{base}[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"p\"\n{extra}\n");
        let fan = |extra: &str| {
            format!("{}[[tasks]]\nname = \"b\"\ntitle = \"t\"\nprompt = \"p\"\n{extra}\n", task("count = 3"))
        };
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
            (task("count = 0"), "fans out to 0 tasks"),
            (task("count = 99"), "at most 16"),
            (task("clis = [\"claude\", \"vim\"]"), "clis has \"vim\""),
            (task("clis = [\"claude\"]\ncount = 2"), "lists 1 clis"),
            (task("select = { command = \"true\" }"), "has select but no candidates"),
            (fan("select = { command = \"true\" }"), "has select but no candidates"),
            (fan("after = [\"a\"]\nselect = { judge = \"boss\" }"), "select.judge \"boss\""),
            (fan("after = [\"a\"]\nvote = { choices = [\"yes\"] }"), "fewer than two choices"),
            (fan("after = [\"a\"]\nvote = { choices = [\"y\", \"n\"] }\nselect = {}"), "more than one"),
            (task("delegate = { roles = [] }"), "delegates to no role"),
            (task("delegate = { roles = [\"dev\"], depth = 0 }"), "depth or count 0"),
            (task("delegate = { roles = [\"qa\"] }"), "delegate.roles entry \"qa\""),
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
