//! Which operations are MCP tools, under what name, and what a call of each touches. The rest
//! of a tool (its description, its input schema, its checks and its engine call) is the
//! operation's own declaration in `ops/table.rs`.

use std::sync::OnceLock;

use rmcp::model::Tool;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::ops::{OpSpec, specs};

/// What a call names, for confining an agent to its own session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Nothing of a session (the pattern list).
    None,
    /// The argument names a session (id or name).
    Session(&'static str),
    /// The argument names an agent.
    Agent(&'static str),
    /// The argument names a task.
    Task(&'static str),
    /// The argument names an artifact.
    Artifact(&'static str),
}

/// What an agent that is not its session's coordinator may do with a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Worker {
    Allowed,
    /// Only on the agent's own task.
    OwnTask,
    /// Only the coordinator (or the user).
    Refused,
    /// Only as sub-tasks of the agent's own task, which its pattern must let delegate.
    Lead,
}

pub(crate) struct ToolDef {
    pub name: &'static str,
    pub op: &'static str,
    pub target: Target,
    pub worker: Worker,
}

const fn tool(name: &'static str, op: &'static str, target: Target, worker: Worker) -> ToolDef {
    ToolDef { name, op, target, worker }
}

use Target as T;
use Worker as W;

/// Baton's MCP tools. A worker reads its session, keeps artifacts and insights, completes its
/// own task and messages its teammates; a coordinator does everything within its session.
pub(crate) const TOOLS: &[ToolDef] = &[
    tool("session_status", "session_status", T::Session("id"), W::Allowed),
    tool("context_get", "context_export", T::Session("id"), W::Allowed),
    tool("report", "session_report", T::Session("id"), W::Allowed),
    tool("objective_add", "objective_add", T::Session("id"), W::Refused),
    tool("insight_add", "insight_add", T::Session("id"), W::Allowed),
    tool("decision_add", "decision_add", T::Session("id"), W::Refused),
    tool("decision_answer", "decision_answer", T::Session("id"), W::Refused),
    tool("task_list", "task_list", T::Session("session"), W::Allowed),
    tool("task_get", "task_get", T::Task("id"), W::Allowed),
    tool("task_add", "task_add", T::Session("session"), W::Lead),
    tool("task_complete", "task_complete", T::Task("id"), W::OwnTask),
    tool("task_retry", "task_retry", T::Task("id"), W::Refused),
    tool("agent_list", "agent_list", T::Session("session"), W::Allowed),
    tool("agent_spawn", "agent_spawn", T::Session("session"), W::Refused),
    tool("agent_send", "agent_send", T::Agent("id"), W::Allowed),
    tool("agent_status", "agent_get", T::Agent("id"), W::Allowed),
    tool("agent_logs", "agent_events", T::Agent("id"), W::Allowed),
    tool("agent_wait", "agent_wait", T::Agent("id"), W::Allowed),
    tool("agent_diff", "agent_diff", T::Agent("id"), W::Allowed),
    tool("agent_merge", "agent_merge", T::Agent("id"), W::Refused),
    tool("agent_stop", "agent_stop", T::Agent("id"), W::Refused),
    tool("coordinator_promote", "coordinator_promote", T::Agent("id"), W::Refused),
    tool("coordinator_demote", "coordinator_demote", T::Agent("id"), W::Refused),
    tool("coordinator_become", "coordinator_become", T::None, W::Refused),
    tool("coordinator_wait", "agent_inbox_take", T::Agent("id"), W::Refused),
    tool("artifact_search", "artifact_search", T::Session("session"), W::Allowed),
    tool("artifact_get", "artifact_get", T::Artifact("id"), W::Allowed),
    tool("artifact_add", "artifact_add", T::Session("session"), W::Allowed),
    tool("pattern_list", "pattern_list", T::None, W::Allowed),
    // Read only: no agent raises its own budget or edits its policy (`budget_set`,
    // `policy_write`, `policy_update` and `agent_resume` are the user's, never tools).
    tool("policy_show", "policy_show", T::Session("id"), W::Allowed),
    tool("budget_show", "budget_show", T::Session("id"), W::Allowed),
    tool("pattern_run", "pattern_run", T::Session("session"), W::Refused),
];

pub(crate) fn tool_find(name: &str) -> Option<&'static ToolDef> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The declaration of a tool's operation (the declarations are made once).
pub(crate) fn spec_of(def: &ToolDef) -> Option<&'static OpSpec> {
    static SPECS: OnceLock<Vec<OpSpec>> = OnceLock::new();
    SPECS.get_or_init(specs).iter().find(|s| s.name == def.op)
}

/// Every tool as clients list it: made once, on the first listing (schemas take a generator's
/// walk over the types).
pub(crate) fn listed() -> &'static [Tool] {
    static LISTED: OnceLock<Vec<Tool>> = OnceLock::new();
    LISTED.get_or_init(|| {
        TOOLS
            .iter()
            .filter_map(|def| {
                let spec = spec_of(def)?;
                Some(Tool::new(def.name, description(def, spec), input_schema(def, spec)))
            })
            .collect()
    })
}

/// The most events `agent_logs` answers when the caller gives no limit: the tail a model reads.
const LOGS_TAIL: u64 = 50;

/// Fills what a call may leave out: the session of the caller (an agent's own, or the one
/// `baton mcp` serves), and `agent_logs`'s tail.
pub(crate) fn defaults_fill(def: &ToolDef, args: &mut Map<String, Value>, session: Option<&str>) {
    if let (T::Session(key), Some(session)) = (def.target, session) {
        args.entry(key).or_insert_with(|| Value::String(session.to_owned()));
    }
    if def.name == "agent_logs" {
        if !args.contains_key("after") && !args.contains_key("before") {
            // JavaScript's largest safe integer: "the newest events", for every client.
            args.insert("before".into(), json!(9_007_199_254_740_991u64));
        }
        args.entry("limit").or_insert(json!(LOGS_TAIL));
    }
}

/// The tool's description: the operation's, and how the caller's session fills in.
pub(crate) fn description(def: &ToolDef, spec: &OpSpec) -> String {
    let mut text = spec.doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    if def.worker == W::Refused {
        text.insert_str(0, "For the session's coordinator (or the user). ");
    } else if def.worker == W::OwnTask {
        text.push_str(" A worker completes only its own task.");
    } else if def.worker == W::Lead {
        text.push_str(
            " A worker adds only sub-tasks of its own task (`parent` is set to it), when its pattern lets it \
             delegate: with one of the pattern's roles, up to its count and depth; it is told when they end.",
        );
    }
    if let T::Session(key) = def.target {
        text.push_str(&format!(" `{key}` (a session's id or name) defaults to your own session."));
    }
    if def.name == "agent_logs" {
        text.push_str(&format!(" Without `after` or `before`, the newest {LOGS_TAIL} (or `limit`) events."));
    }
    text
}

/// One object schema of the tool's arguments: the operation's path parameters, query and body
/// together, each type's schema inlined (MCP clients want one self-contained object).
pub(crate) fn input_schema(def: &ToolDef, spec: &OpSpec) -> Map<String, Value> {
    let mut generator = SchemaSettings::draft2020_12().with(|s| s.inline_subschemas = true).into_generator();
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for (name, schema) in (spec.path_params)(&mut generator) {
        let mut schema = schema.to_value();
        if let (Some(obj), Some(what)) = (schema.as_object_mut(), target_words(def.target, name)) {
            obj.insert("description".into(), Value::String(what.into()));
        }
        properties.insert(name.into(), schema);
        required.push(Value::String(name.into()));
    }
    for part in [spec.query, spec.body].into_iter().flatten() {
        let schema = part(&mut generator).to_value();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            properties.extend(props.clone());
        }
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            required.extend(req.iter().cloned());
        }
    }
    // A session that defaults to the caller's is not required.
    if let T::Session(key) = def.target {
        required.retain(|r| r.as_str() != Some(key));
    }
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), json!(false));
    out
}

fn target_words(target: Target, name: &str) -> Option<&'static str> {
    match target {
        T::Session(k) if k == name => Some("The session's id or name (defaults to your own session)."),
        T::Agent(k) if k == name => Some("The agent's id or name."),
        T::Task(k) if k == name => Some("The task's id or name."),
        T::Artifact(k) if k == name => Some("The artifact's id."),
        _ => match name {
            "did" => Some("The decision's id."),
            "oid" => Some("The objective's id."),
            "name" => Some("The pattern's name (`pattern_list` lists them)."),
            _ => None,
        },
    }
}

/// Splits a tool's arguments into the operation's path, query string and body, for a client
/// that calls the HTTP API (`baton mcp` over stdio).
pub(crate) fn http_parts(spec: &OpSpec, mut args: Map<String, Value>) -> (String, Option<String>, Option<Value>) {
    let mut path = spec.path.to_owned();
    let names: Vec<String> =
        spec.path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned())).collect();
    let mut params = Vec::new();
    for name in &names {
        let value = match args.remove(name) {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        params.push((name.as_str(), value));
    }
    path = crate::ops::path_fill(&path, &params);
    if spec.query.is_some() {
        let pairs: Vec<(String, String)> = args
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        (path, Some(serde_urlencoded::to_string(pairs).unwrap_or_default()), None)
    } else if spec.body.is_some() || !args.is_empty() {
        (path, None, Some(Value::Object(args)))
    } else {
        (path, None, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_read_their_policy_and_budget_but_never_change_them() {
        for read in ["policy_show", "budget_show"] {
            assert!(tool_find(read).is_some_and(|t| t.worker == W::Allowed), "{read}");
        }
        for user_only in ["policy_write", "policy_update", "budget_set", "agent_resume"] {
            assert!(TOOLS.iter().all(|t| t.op != user_only), "{user_only} is not a tool");
        }
    }
}
