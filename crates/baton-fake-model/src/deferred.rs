//! Codex's deferred tools: a scripted call of a tool Codex has not offered yet becomes a tool
//! search first, then a call by namespace.
//!
//! Codex 0.169 does not put MCP tools in the request's `tools`: it lists their namespaces in a
//! developer message ("Deferred tool namespaces: - mcp__baton: ...") and offers a `tool_search`
//! tool. A model must answer with a `tool_search_call` output item (`execution:"client"`,
//! `arguments:{query, limit}`); Codex runs a BM25 search over the deferred tools' names,
//! descriptions and parameter names and sends the matches in its next request as a
//! `tool_search_output` input item (`tools:[{type:"namespace", name:"mcp__baton", description,
//! tools:[{type:"function", name:"insight_add", parameters, defer_loading:true, ...}]}]`). Only
//! then can the model call the tool, as a `function_call` with `namespace:"mcp__baton"` and
//! `name:"insight_add"`; a call named `mcp__baton__insight_add` with no namespace is refused
//! ("unsupported call"). The loaded tools stay loaded for the rest of the thread (the search
//! output stays in the history Codex resends).
//!
//! So a scenario names the tool the way every CLI's tool list reads, `mcp__baton__insight_add`,
//! and this module works out from the request alone (Codex resends the whole history) what the
//! step's answer must be: the search, or the namespaced call.

use serde_json::Value;

/// How many matches the search asks for (Codex's own default is 8).
const SEARCH_LIMIT: u64 = 8;

/// How the scripted call of `name` goes out in answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    /// Under its scripted name: offered directly, or no tool search to find it with (any other
    /// client than Codex), or searched for already without success (Codex then refuses it, and
    /// the transcript shows why).
    Direct,
    /// Not loaded yet: answer this request with a tool search, and keep the step for the next.
    Search { query: String, limit: u64 },
    /// Loaded by a search (or offered in a namespace): call it by namespace and name.
    Namespaced { namespace: String, name: String },
}

/// How the function call `name` answers `request` (a Responses API request body).
pub(crate) fn call_resolve(name: &str, request: &Value) -> Call {
    let tools = request.get("tools").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if tools.iter().any(|t| t.get("name").and_then(Value::as_str) == Some(name)) {
        return Call::Direct;
    }
    let input = request.get("input").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let searched =
        input.iter().filter(|i| type_of(i) == "tool_search_output").filter_map(|i| i.get("tools")?.as_array());
    let namespaces = tools.iter().chain(searched.flatten()).filter(|t| type_of(t) == "namespace");
    for namespace in namespaces {
        let Some(ns) = namespace.get("name").and_then(Value::as_str) else { continue };
        let members = namespace.get("tools").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for tool in members {
            let Some(tool) = tool.get("name").and_then(Value::as_str) else { continue };
            if qualified(ns, tool) == name {
                return Call::Namespaced { namespace: ns.to_owned(), name: tool.to_owned() };
            }
        }
    }
    let offers_search = tools
        .iter()
        .any(|t| type_of(t) == "tool_search" || t.get("name").and_then(Value::as_str) == Some("tool_search"));
    if !offers_search {
        return Call::Direct;
    }
    let query = search_query(name);
    let asked = input.iter().any(|i| {
        type_of(i) == "tool_search_call"
            && i.get("arguments").and_then(|a| a.get("query")).and_then(Value::as_str) == Some(query.as_str())
    });
    if asked { Call::Direct } else { Call::Search { query, limit: SEARCH_LIMIT } }
}

fn type_of(item: &Value) -> &str {
    item.get("type").and_then(Value::as_str).unwrap_or_default()
}

/// The flat name Codex gives a namespaced tool elsewhere (`mcp__baton` + `insight_add`).
fn qualified(namespace: &str, tool: &str) -> String {
    if namespace.ends_with("__") { format!("{namespace}{tool}") } else { format!("{namespace}__{tool}") }
}

/// The full name, then the tool's own name in words: BM25 over Codex's search text (which holds
/// both forms) ranks the tool first.
fn search_query(name: &str) -> String {
    let tool = name.rsplit_once("__").map_or(name, |(_, tool)| tool);
    format!("{name} {}", tool.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codex_request(input: Value) -> Value {
        json!({
            "tools": [{"type": "function", "name": "exec_command"}, {"type": "tool_search", "execution": "client"}],
            "input": input,
        })
    }

    #[test]
    fn a_deferred_tool_is_searched_for_then_called_by_namespace() {
        let first = codex_request(json!([{"type": "message", "role": "user", "content": []}]));
        let query = "mcp__baton__insight_add insight add".to_owned();
        assert_eq!(
            call_resolve("mcp__baton__insight_add", &first),
            Call::Search { query: query.clone(), limit: SEARCH_LIMIT }
        );

        let found = codex_request(json!([
            {"type": "tool_search_call", "call_id": "c1", "execution": "client", "arguments": {"query": query}},
            {"type": "tool_search_output", "call_id": "c1", "execution": "client", "status": "completed",
             "tools": [{"type": "namespace", "name": "mcp__baton", "description": "Baton",
                        "tools": [{"type": "function", "name": "insight_add"}]}]},
        ]));
        assert_eq!(
            call_resolve("mcp__baton__insight_add", &found),
            Call::Namespaced { namespace: "mcp__baton".into(), name: "insight_add".into() }
        );
        // Another deferred tool needs its own search...
        assert_eq!(
            call_resolve("mcp__baton__nothing_such", &found),
            Call::Search { query: "mcp__baton__nothing_such nothing such".into(), limit: SEARCH_LIMIT }
        );
        // ...and a search that found nothing is not repeated: the call goes out as scripted.
        let missed = codex_request(json!([
            {"type": "tool_search_call", "call_id": "c1", "execution": "client",
             "arguments": {"query": "mcp__baton__nothing_such nothing such"}},
            {"type": "tool_search_output", "call_id": "c1", "execution": "client", "status": "completed", "tools": []},
        ]));
        assert_eq!(call_resolve("mcp__baton__nothing_such", &missed), Call::Direct);
    }

    #[test]
    fn offered_tools_and_clients_without_search_are_called_directly() {
        let request = codex_request(json!([]));
        assert_eq!(call_resolve("exec_command", &request), Call::Direct);
        let no_search = json!({"tools": [{"type": "function", "name": "exec_command"}], "input": []});
        assert_eq!(call_resolve("mcp__baton__insight_add", &no_search), Call::Direct);
        assert_eq!(call_resolve("anything", &json!({})), Call::Direct);
    }
}
