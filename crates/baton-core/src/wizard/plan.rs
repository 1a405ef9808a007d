//! The plan a wizard proposes and the user edits: agents (a role each, with its CLI, model and
//! instructions), tasks (a graph over those roles), how many agents run at once, whether approved
//! work merges by itself, and the pattern it came from. It is checked with the rules templates
//! follow (the graph's rules from `task::graph`, the placeholders of `pattern`), each error naming
//! the field (`tasks[2].after: unknown task "x"`), and it becomes a template to launch or to save.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::protocol::CliKind;
use crate::pattern::{Role, Template, TemplateTask, placeholders};
use crate::task::graph::{GraphError, graph_check};

/// Placeholders a plan's prompt may hold besides the names of the tasks it runs after; the
/// coordinator fills them when the task starts.
const PLAN_PLACEHOLDERS: &[&str] = &["goal", "diff", "findings"];

/// What the wizard proposes; the user may edit it before launching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardPlan {
    /// One per role.
    pub agents: Vec<PlanAgent>,
    /// In an order where each task comes after those it depends on, or any order.
    pub tasks: Vec<PlanTask>,
    /// How many agents may work at once (the session's `maxAgents`).
    pub concurrency: u32,
    /// Merge a reviewed task's work once its reviewer approves (the session's `autoMerge`).
    #[serde(default)]
    pub auto_merge: bool,
    /// Where the plan comes from, e.g. `guided`.
    #[serde(default)]
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanAgent {
    pub role: String,
    /// `claude`, `codex` or `gemini` [default: the session's].
    #[serde(default)]
    pub cli: Option<CliKind>,
    #[serde(default)]
    pub model: Option<String>,
    /// Put before the prompt of each of the role's tasks.
    #[serde(default)]
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanTask {
    /// Unique in the plan.
    pub name: String,
    pub title: String,
    pub prompt: String,
    /// One of the agents' roles.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub if_succeeded: Vec<String>,
    #[serde(default)]
    pub if_failed: Vec<String>,
    /// The task whose work this one reviews (also among `after`).
    #[serde(default)]
    pub reviews: Option<String>,
    /// How many review rounds at most [default: 3].
    #[serde(default)]
    pub max_rounds: Option<u32>,
}

impl PlanTask {
    pub(crate) fn deps(&self) -> impl Iterator<Item = &String> {
        self.after.iter().chain(&self.if_succeeded).chain(&self.if_failed)
    }
}

/// What is wrong with a plan, and where: `field` is the path of the input at fault
/// (`tasks[2].role`, `agents[0].cli`, `concurrency`, or `tasks` for the graph as a whole), so an
/// editor can show the message beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFault {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for PlanFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn fault(field: impl Into<String>, message: impl Into<String>) -> PlanFault {
    PlanFault { field: field.into(), message: message.into() }
}

/// Checks a plan; `Err` names the field and says what is wrong (`tasks[2].after: unknown task
/// "x"`). See [`plan_fault`].
pub fn plan_check(plan: &WizardPlan, literal: &[String]) -> Result<(), String> {
    plan_fault(plan, literal).map_err(|f| f.to_string())
}

/// Checks a plan; `Err` names the field apart from what is wrong. `literal` are words in braces
/// the user's own answers brought into the prompts (`{curly}` in an answer is text, not a typo).
pub fn plan_fault(plan: &WizardPlan, literal: &[String]) -> Result<(), PlanFault> {
    let mut roles: Vec<&str> = Vec::new();
    for (i, a) in plan.agents.iter().enumerate() {
        let at = format!("agents[{i}]");
        if a.role.trim().is_empty() {
            return Err(fault(format!("{at}.role"), "empty; name the role (e.g. implementer)"));
        }
        crate::names::name_check("role", &a.role).map_err(|e| fault(format!("{at}.role"), e.to_string()))?;
        if roles.contains(&a.role.as_str()) {
            return Err(fault(format!("{at}.role"), format!("{:?} is declared twice; one agent per role", a.role)));
        }
        if a.cli == Some(CliKind::Command) {
            return Err(fault(format!("{at}.cli"), "use claude, codex or gemini"));
        }
        roles.push(&a.role);
    }
    if plan.tasks.is_empty() {
        return Err(fault("tasks", "the plan has no tasks; add at least one"));
    }
    if plan.concurrency == 0 {
        return Err(fault("concurrency", "at least 1 agent must be allowed to work"));
    }
    let names: Vec<&str> = plan.tasks.iter().map(|t| t.name.as_str()).collect();
    for (i, t) in plan.tasks.iter().enumerate() {
        let at = format!("tasks[{i}]");
        if t.name.trim().is_empty() {
            return Err(fault(format!("{at}.name"), "empty; give the task a short name"));
        }
        crate::names::name_check("task name", &t.name).map_err(|e| fault(format!("{at}.name"), e.to_string()))?;
        if names[..i].contains(&t.name.as_str()) {
            return Err(fault(format!("{at}.name"), format!("{:?} names two tasks; task names must differ", t.name)));
        }
        if t.title.trim().is_empty() {
            return Err(fault(format!("{at}.title"), "empty; say what the task is"));
        }
        if t.prompt.trim().is_empty() {
            return Err(fault(format!("{at}.prompt"), "empty; say what the agent should do"));
        }
        if let Some(role) = &t.role
            && !roles.contains(&role.as_str())
        {
            return Err(fault(
                format!("{at}.role"),
                format!("unknown role {role:?}; the agents' roles are {}", list(&roles)),
            ));
        }
        for (field, deps) in [("after", &t.after), ("ifSucceeded", &t.if_succeeded), ("ifFailed", &t.if_failed)] {
            for d in deps {
                if !names.contains(&d.as_str()) {
                    return Err(fault(format!("{at}.{field}"), format!("unknown task {d:?}")));
                }
            }
        }
        let deps: Vec<&String> = t.deps().collect();
        if let Some(d) = deps.iter().enumerate().find(|(j, d)| deps[..*j].contains(d)).map(|(_, d)| d) {
            return Err(fault(at.clone(), format!("{d:?} is named twice among its dependencies")));
        }
        if let Some(r) = &t.reviews {
            if !names.contains(&r.as_str()) {
                return Err(fault(format!("{at}.reviews"), format!("unknown task {r:?}")));
            }
            if !t.after.contains(r) {
                return Err(fault(
                    format!("{at}.reviews"),
                    format!("it reviews {r:?} but does not run after it; add {r:?} to after"),
                ));
            }
        }
        if t.max_rounds == Some(0) {
            return Err(fault(format!("{at}.maxRounds"), "at least 1"));
        }
        let upstream = upstream(plan, &t.name);
        for (field, text) in [("title", &t.title), ("prompt", &t.prompt)] {
            for p in placeholders(text) {
                if !PLAN_PLACEHOLDERS.contains(&p.as_str()) && !upstream.contains(&p) && !literal.contains(&p) {
                    return Err(fault(
                        format!("{at}.{field}"),
                        format!(
                            "unknown placeholder {{{p}}}; known ones are {{goal}}, {{diff}}, {{findings}} and the names of tasks it runs after"
                        ),
                    ));
                }
            }
        }
    }
    let nodes: Vec<(String, Vec<String>)> =
        plan.tasks.iter().map(|t| (t.name.clone(), t.deps().cloned().collect())).collect();
    graph_check(&nodes, &[]).map_err(|e| match e {
        GraphError::Cycle(_) => fault("tasks", e.to_string()),
        GraphError::Unknown { task, dependency } => {
            fault("tasks", format!("{task:?} depends on unknown task {dependency:?}"))
        }
    })
}

fn list(items: &[&str]) -> String {
    if items.is_empty() { "none (add one under agents)".into() } else { items.join(", ") }
}

/// The names of the tasks `name` runs after, directly or not.
fn upstream(plan: &WizardPlan, name: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut queue = vec![name.to_owned()];
    while let Some(n) = queue.pop() {
        let Some(t) = plan.tasks.iter().find(|t| t.name == n) else { continue };
        for d in t.deps() {
            if !found.contains(d) {
                found.push(d.clone());
                queue.push(d.clone());
            }
        }
    }
    found
}

/// The plan as a template (a checked plan makes a valid one).
pub fn plan_template(plan: &WizardPlan, name: &str, description: &str) -> Template {
    Template {
        name: name.to_owned(),
        description: description.to_owned(),
        roles: plan
            .agents
            .iter()
            .map(|a| {
                let role = Role {
                    cli: a.cli.map(|c| c.as_str().to_owned()),
                    model: a.model.clone(),
                    prompt: a.instructions.clone(),
                    read_only: false,
                };
                (a.role.clone(), role)
            })
            .collect::<BTreeMap<_, _>>(),
        tasks: plan
            .tasks
            .iter()
            .map(|t| TemplateTask {
                name: t.name.clone(),
                title: t.title.clone(),
                prompt: t.prompt.clone(),
                role: t.role.clone(),
                after: t.after.clone(),
                if_succeeded: t.if_succeeded.clone(),
                if_failed: t.if_failed.clone(),
                reviews: t.reviews.clone(),
                max_rounds: t.max_rounds,
                ..TemplateTask::default()
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> WizardPlan {
        let task = |name: &str, after: &[&str]| PlanTask {
            name: name.into(),
            title: format!("Do {name}"),
            prompt: "p".into(),
            role: Some("dev".into()),
            after: after.iter().map(|s| (*s).to_owned()).collect(),
            if_succeeded: vec![],
            if_failed: vec![],
            reviews: None,
            max_rounds: None,
        };
        WizardPlan {
            agents: vec![PlanAgent { role: "dev".into(), cli: Some(CliKind::Claude), model: None, instructions: None }],
            tasks: vec![task("a", &[]), task("b", &["a"]), task("c", &["b"])],
            concurrency: 2,
            auto_merge: false,
            pattern: None,
        }
    }

    #[test]
    fn a_good_plan_passes_and_each_fault_names_its_field() {
        plan_check(&plan(), &[]).unwrap();
        type Change = Box<dyn Fn(&mut WizardPlan)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|p| p.tasks[2].after = vec!["x".into()]), "tasks[2].after: unknown task \"x\""),
            (Box::new(|p| p.tasks[0].after = vec!["c".into()]), "cycle: a -> c -> b -> a"),
            (Box::new(|p| p.tasks[1].role = Some("qa".into())), "tasks[1].role: unknown role \"qa\""),
            (Box::new(|p| p.tasks[1].prompt = " ".into()), "tasks[1].prompt: empty"),
            (Box::new(|p| p.tasks[1].name = "a".into()), "tasks[1].name: \"a\" names two tasks"),
            (Box::new(|p| p.tasks[2].reviews = Some("a".into())), "tasks[2].reviews"),
            (Box::new(|p| p.tasks[2].prompt = "use {zz}".into()), "tasks[2].prompt: unknown placeholder {zz}"),
            (Box::new(|p| p.agents[0].cli = Some(CliKind::Command)), "agents[0].cli"),
            (Box::new(|p| p.concurrency = 0), "concurrency"),
            (Box::new(|p| p.tasks.clear()), "no tasks"),
        ];
        for (change, want) in cases {
            let mut p = plan();
            change(&mut p);
            let err = plan_check(&p, &[]).unwrap_err();
            assert!(err.contains(want), "{want:?} in {err:?}");
            // The field stands apart from the message, as the start of the whole text.
            let fault = plan_fault(&p, &[]).unwrap_err();
            assert!(err.starts_with(&format!("{}: ", fault.field)), "{fault:?}");
            assert!(!fault.message.starts_with(&fault.field), "{fault:?}");
        }
        let mut p = plan();
        p.tasks[1].role = Some("qa".into());
        assert_eq!(plan_fault(&p, &[]).unwrap_err().field, "tasks[1].role");
        p = plan();
        p.tasks[0].after = vec!["c".into()];
        assert_eq!(plan_fault(&p, &[]).unwrap_err().field, "tasks");
        let mut p = plan();
        p.tasks[2].prompt = "review {a} then {diff}".into();
        plan_check(&p, &[]).unwrap();
        p.tasks[2].prompt = "keep the {legacy} flag".into();
        plan_check(&p, &["legacy".to_owned()]).unwrap();
    }
}
