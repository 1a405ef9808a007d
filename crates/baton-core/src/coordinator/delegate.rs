//! Delegation: a lead task's agent adds sub-tasks for itself (`task_add` over MCP, its own task
//! as the parent), with a role its pattern lists, up to the pattern's count and depth. A
//! sub-task takes its role's CLI, model and preamble and the lead's brief as context; a sub-task
//! of a lead whose depth allows more may delegate in turn. The lead's task stays running while
//! its sub-tasks work; when they have all ended, the lead is told what they left (see
//! `decide::delegate_follow`), and its next answer ends its task.

use rusqlite::params;

use crate::error::Result;
use crate::pattern::TaskPattern;
use crate::store::Tx;
use crate::task::{TaskCreate, TaskError, task_get, task_insert, task_pattern_set};

/// Adds a sub-task of `lead` (id or name) in a transaction, within what the lead's pattern
/// allows. Returns its id.
pub(crate) fn subtask_insert(tx: &mut Tx<'_>, session_id: &str, lead: &str, req: &TaskCreate) -> Result<String> {
    let lead = task_get(tx, Some(session_id), lead)?;
    if lead.session_id != session_id {
        return Err(TaskError::NotFound(lead.name).into());
    }
    let Some(TaskPattern::Delegate { roles, depth, count }) = &lead.pattern else {
        let why = if lead.parent_id.is_some() {
            format!(
                "task {} is a sub-task at its template's depth limit: it may not add sub-tasks of its own; do the work \
                 yourself or tell your lead",
                lead.name
            )
        } else {
            format!("task {} may not add sub-tasks: its pattern does not delegate", lead.name)
        };
        return Err(TaskError::Invalid(why).into());
    };
    if lead.state.is_final() {
        return Err(TaskError::Invalid(format!(
            "task {} is {}; it adds no more sub-tasks",
            lead.name,
            lead.state.as_str()
        ))
        .into());
    }
    let added: i64 = tx.query_row("SELECT count(*) FROM tasks WHERE parent_id = ?1", [&lead.id], |r| r.get(0))?;
    if added >= i64::from(*count) {
        return Err(TaskError::Invalid(format!(
            "task {} has added its {count} sub-tasks, the most its template allows; wait for them and combine their results",
            lead.name
        ))
        .into());
    }
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    let role = match req.role.as_deref() {
        Some(r) => roles.iter().find(|x| x.name == r),
        None if roles.len() == 1 => roles.first(),
        None => None,
    }
    .ok_or_else(|| {
        TaskError::Invalid(format!(
            "a sub-task of {} takes one of the roles {}; give `role`",
            lead.name,
            names.join(", ")
        ))
    })?;
    if req.after.iter().any(|a| *a == lead.name || *a == lead.id) {
        return Err(TaskError::Invalid(format!(
            "a sub-task cannot run after its lead {}: the lead waits for it",
            lead.name
        ))
        .into());
    }
    if req.reviews.is_some() || !req.if_succeeded.is_empty() || !req.if_failed.is_empty() {
        return Err(TaskError::Invalid("a sub-task runs after other sub-tasks only (`after`)".into()).into());
    }
    let prompt = match &role.prompt {
        Some(preamble) => format!("{preamble}\n\n{}", req.prompt),
        None => req.prompt.clone(),
    };
    let sub = TaskCreate {
        prompt,
        role: Some(role.name.clone()),
        cli: req.cli.or(role.cli),
        model: req.model.clone().or(role.model.clone()),
        parent: None,
        ..req.clone()
    };
    let id = task_insert(tx, session_id, &sub)?;
    tx.execute("UPDATE tasks SET parent_id = ?2 WHERE id = ?1", params![id, lead.id])?;
    if role.read_only {
        crate::task::task_read_only_set(tx, &id)?;
    }
    if *depth > 1 {
        let deeper = TaskPattern::Delegate { roles: roles.clone(), depth: depth - 1, count: *count };
        task_pattern_set(tx, &id, &deeper)?;
    }
    crate::task::task_publish_in(tx, &id)?;
    Ok(id)
}
