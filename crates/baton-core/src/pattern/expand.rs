//! From a template to the tasks of one run: `--set` changes applied, each fan-out made into its
//! siblings (`NAME-1`...), each task's dependencies and placeholders pointed at the tasks of the
//! run (a task after a fan-out runs after all its siblings and its `{NAME}` stands for all their
//! results: the gather), and the tasks added to the session in one transaction.

use super::template::{Template, TemplateTask, template_check};
use super::{PatternError, TaskPattern};
use crate::agent::protocol::CliKind;
use crate::error::Result;
use crate::store::Tx;
use crate::task::{Task, TaskCreate};

/// Applies `KEY=VALUE` changes: `count=N` or `clis=a,b` change every fan-out task,
/// `TASK.count=N` or `TASK.clis=a,b` one task. A count beyond the CLIs listed cycles through
/// them. The template is checked again after.
pub fn sets_apply(file: &str, template: &mut Template, sets: &[String]) -> Result<(), PatternError> {
    let bad = |message: String| PatternError::Rule { file: file.to_owned(), message };
    for set in sets {
        let (key, value) =
            set.split_once('=').ok_or_else(|| bad(format!("--set {set:?} is not KEY=VALUE; e.g. --set count=3")))?;
        let (task, field) = match key.trim().rsplit_once('.') {
            Some((t, f)) => (Some(t.to_owned()), f.to_owned()),
            None => (None, key.trim().to_owned()),
        };
        let targets: Vec<usize> = match &task {
            Some(t) => {
                let i = template
                    .tasks
                    .iter()
                    .position(|x| &x.name == t)
                    .ok_or_else(|| bad(format!("--set {set:?}: the template has no task {t:?}")))?;
                vec![i]
            }
            None => (0..template.tasks.len()).filter(|i| template.tasks[*i].fan_out().is_some()).collect(),
        };
        if targets.is_empty() {
            return Err(bad(format!("--set {set:?}: the template has no fan-out task to change")));
        }
        let value = value.trim();
        for i in targets {
            let t = &mut template.tasks[i];
            match field.as_str() {
                "count" => {
                    let n: u32 = value
                        .parse()
                        .map_err(|_| bad(format!("--set {set:?}: count must be a whole number, not {value:?}")))?;
                    if !t.clis.is_empty() {
                        // Keeps the mix of CLIs: round-robin over the ones listed.
                        t.clis = (0..n as usize).map(|k| t.clis[k % t.clis.len()].clone()).collect();
                        t.count = None;
                        if n == 0 {
                            return Err(bad(format!("--set {set:?}: task {:?} would fan out to 0 tasks", t.name)));
                        }
                    } else {
                        t.count = Some(n);
                    }
                }
                "gate" => {
                    let g = t.gate.get_or_insert_with(Default::default);
                    g.command = value.to_owned();
                }
                "check" => match &mut t.select {
                    Some(sel) => sel.command = Some(value.to_owned()).filter(|c| !c.is_empty()),
                    None => return Err(bad(format!("--set {set:?}: task {:?} does not select", t.name))),
                },
                "clis" => {
                    t.clis = value.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
                    t.count = None;
                    if t.clis.is_empty() {
                        return Err(bad(format!("--set {set:?}: list at least one CLI")));
                    }
                }
                other => {
                    return Err(bad(format!(
                        "--set {set:?}: unknown field {other:?}; known ones are count, clis, gate (a task's gate command) and check (a select's command)"
                    )));
                }
            }
        }
    }
    template_check(file, template)
}

/// One task of a run, before it is added.
#[derive(Debug, Clone)]
pub(crate) struct Planned<'a> {
    pub name: String,
    pub task: &'a TemplateTask,
    /// The sibling's CLI, for a fan-out over CLIs.
    pub cli: Option<CliKind>,
}

/// The tasks of a run, in template order, names ending with `suffix` (before a sibling's
/// number).
pub(crate) fn plan<'a>(template: &'a Template, suffix: &str) -> Vec<Planned<'a>> {
    let mut out = Vec::new();
    for t in &template.tasks {
        match t.fan_out() {
            None => out.push(Planned { name: format!("{}{suffix}", t.name), task: t, cli: None }),
            Some(n) => {
                for i in 0..n as usize {
                    out.push(Planned {
                        name: format!("{}{suffix}-{}", t.name, i + 1),
                        task: t,
                        cli: t.clis.get(i).and_then(|c| CliKind::parse(c)),
                    });
                }
            }
        }
    }
    out
}

/// The run's names for a template task: its siblings' when it fans out.
fn names_of(planned: &[Planned<'_>], template_name: &str) -> Vec<String> {
    planned.iter().filter(|p| p.task.name == template_name).map(|p| p.name.clone()).collect()
}

/// `{NAME}` for each template task, pointed at the run's tasks: a fan-out's stands for all its
/// siblings' results, one after the other under their names.
fn placeholders_point(text: &str, template: &Template, planned: &[Planned<'_>]) -> String {
    let mut text = text.to_owned();
    for t in &template.tasks {
        let from = format!("{{{}}}", t.name);
        if !text.contains(&from) {
            continue;
        }
        let names = names_of(planned, &t.name);
        let to = match t.fan_out() {
            None => format!("{{{}}}", names[0]),
            Some(_) => names.iter().map(|n| format!("### {n}\n\n{{{n}}}")).collect::<Vec<_>>().join("\n\n"),
        };
        text = text.replace(&from, &to);
    }
    text
}

/// What the task does beyond working: select, vote or delegate, with what its agent needs.
fn pattern_of(template: &Template, t: &TemplateTask) -> Option<TaskPattern> {
    if let Some(s) = &t.select {
        return Some(TaskPattern::Select {
            command: s.command.clone(),
            judge: s.judge.is_some(),
            timeout_secs: s.timeout_secs.unwrap_or(600),
        });
    }
    if let Some(g) = &t.gate {
        return Some(TaskPattern::Gate { command: g.command.clone(), timeout_secs: g.timeout_secs.unwrap_or(600) });
    }
    if let Some(v) = &t.vote {
        return Some(TaskPattern::Vote { choices: v.choices.clone(), judge: v.judge.is_some() });
    }
    t.delegate.as_ref().map(|d| TaskPattern::Delegate {
        roles: d
            .roles
            .iter()
            .map(|r| {
                let role = template.roles.get(r);
                super::DelegateRole {
                    name: r.clone(),
                    cli: role.and_then(|x| x.cli.as_deref()).and_then(CliKind::parse),
                    model: role.and_then(|x| x.model.clone()),
                    prompt: role.and_then(|x| x.prompt.clone()),
                    read_only: role.is_some_and(|x| x.read_only),
                }
            })
            .collect(),
        depth: d.depth.unwrap_or(1),
        count: d.count.unwrap_or(4),
    })
}

/// Adds a template's tasks to a session's graph in a transaction, with `{goal}` filled in and the
/// roles' CLI, model and preamble; fan-outs become their siblings; task names get a suffix
/// (`-2`...) when taken. The graph then moves on. Returns the tasks added, as they stand after.
pub(crate) fn template_insert(tx: &mut Tx<'_>, session_id: &str, template: &Template, goal: &str) -> Result<Vec<Task>> {
    let existing = crate::task::task_list(tx, session_id)?;
    let taken = |suffix: &str| plan(template, suffix).iter().any(|p| existing.iter().any(|e| e.name == p.name));
    let mut suffix = String::new();
    let mut n = 2;
    while taken(&suffix) {
        suffix = format!("-{n}");
        n += 1;
    }
    let planned = plan(template, &suffix);
    let mut added: Vec<Task> = Vec::new();
    // Template order need not be dependency order: add each task once its dependencies are in.
    let mut pending: Vec<&Planned<'_>> = planned.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut i = 0;
        while i < pending.len() {
            let p = pending[i];
            let t = p.task;
            let deps_in = t.deps().flat_map(|d| names_of(&planned, d)).all(|d| added.iter().any(|a| a.name == d));
            if !deps_in {
                i += 1;
                continue;
            }
            // The judge of a select or vote is the task's agent.
            let role_name = t
                .role
                .clone()
                .or_else(|| t.select.as_ref().and_then(|s| s.judge.clone()))
                .or_else(|| t.vote.as_ref().and_then(|v| v.judge.clone()));
            let role = role_name.as_ref().and_then(|r| template.roles.get(r));
            let mut prompt = placeholders_point(&t.prompt.replace("{goal}", goal), template, &planned);
            if let Some(preamble) = role.and_then(|r| r.prompt.as_deref()) {
                prompt = format!("{preamble}\n\n{prompt}");
            }
            let names = |l: &[String]| l.iter().flat_map(|d| names_of(&planned, d)).collect();
            let id = crate::task::task_insert(
                tx,
                session_id,
                &TaskCreate {
                    session: session_id.to_owned(),
                    title: placeholders_point(&t.title.replace("{goal}", goal), template, &planned),
                    prompt,
                    name: Some(p.name.clone()),
                    role: role_name.clone(),
                    cli: p.cli.or_else(|| role.and_then(|r| r.cli.as_deref()).and_then(CliKind::parse)),
                    model: role.and_then(|r| r.model.clone()),
                    after: names(&t.after),
                    if_succeeded: names(&t.if_succeeded),
                    if_failed: names(&t.if_failed),
                    reviews: t.reviews.as_ref().map(|r| format!("{r}{suffix}")),
                    max_rounds: t.max_rounds,
                    parent: None,
                },
            )?;
            if let Some(pattern) = pattern_of(template, t) {
                crate::task::task_pattern_set(tx, &id, &pattern)?;
            }
            if role.is_some_and(|r| r.read_only) {
                crate::task::task_read_only_set(tx, &id)?;
            }
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

#[cfg(test)]
mod tests {
    use super::super::template::template_parse;
    use super::*;

    const FAN: &str = "name = \"x\"\n[[tasks]]\nname = \"impl\"\ntitle = \"t\"\nprompt = \"p\"\nclis = [\"claude\", \"codex\", \"gemini\"]\n\
        [[tasks]]\nname = \"pick\"\ntitle = \"t\"\nprompt = \"choose among {impl}\"\nafter = [\"impl\"]\nselect = {}\n";

    #[test]
    fn a_fan_out_becomes_siblings_and_its_gather_points_at_all() {
        let t = template_parse("x.toml", FAN).unwrap();
        let p = plan(&t, "");
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["impl-1", "impl-2", "impl-3", "pick"]);
        assert_eq!(p[1].cli, Some(CliKind::Codex));
        let text = placeholders_point("choose among {impl}", &t, &p);
        assert!(text.contains("### impl-1\n\n{impl-1}") && text.contains("{impl-3}"), "{text}");
        assert_eq!(plan(&t, "-2")[0].name, "impl-2-1");
    }

    #[test]
    fn sets_change_fan_outs_and_bad_ones_say_what_is_known() {
        let mut t = template_parse("x.toml", FAN).unwrap();
        sets_apply("x.toml", &mut t, &["count=5".into()]).unwrap();
        assert_eq!(t.tasks[0].clis, ["claude", "codex", "gemini", "claude", "codex"]);
        sets_apply("x.toml", &mut t, &["impl.clis=gemini".into()]).unwrap();
        assert_eq!(t.tasks[0].fan_out(), Some(1));
        for (set, want) in [
            ("count", "not KEY=VALUE"),
            ("count=x", "whole number"),
            ("count=0", "0 tasks"),
            ("nope.count=2", "no task \"nope\""),
            ("impl.colour=red", "unknown field \"colour\""),
            ("pick.count=0", "fans out to 0"),
        ] {
            let mut t = template_parse("x.toml", FAN).unwrap();
            let err = sets_apply("x.toml", &mut t, &[set.into()]).unwrap_err().to_string();
            assert!(err.contains(want), "{set}: {want:?} in {err:?}");
        }
    }
}
