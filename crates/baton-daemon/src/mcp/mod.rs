//! Baton's MCP server (the official Rust SDK, `rmcp`): the session's tools for agents and for
//! the user's own MCP clients. Served two ways from one handler: on the daemon at `/mcp`
//! (streamable HTTP; each agent Baton starts connects there with a token of its own, scoped by
//! [`scope`]), and by `baton mcp` over stdio for any MCP client, calling the daemon's HTTP API
//! with the user's token. Each tool is an operation of `ops/table.rs`: same description, same
//! input types, same checks and errors.

mod permission;
pub(crate) mod scope;
mod tools;

use std::sync::{Arc, Mutex};

use baton_core::{ApiError, ErrorCode};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value};

use self::scope::Caller;
use self::tools::{ToolDef, defaults_fill, spec_of, tool_find};
use crate::client::DaemonClient;
use crate::server::{Failure, Shared};

/// What the server tells a client about itself when it connects.
const INSTRUCTIONS: &str = "Baton conducts AI coding agents working in parallel, each in its own git worktree, \
     under a coordinator. These tools read and steer a Baton session: its tasks, agents, artifacts and context. \
     Session arguments default to your own session.";

enum Backend {
    /// In the daemon: calls run on the engine; the caller comes with each HTTP request.
    Daemon(Shared),
    /// `baton mcp`: calls go to the daemon's HTTP API with the user's token. `session` is the
    /// session its calls default to, and `agent` the conversation it serves once that became
    /// the coordinator (`coordinator_become`; `coordinator_wait` then takes its messages).
    Client { client: Box<DaemonClient>, session: Mutex<Option<String>>, agent: Mutex<Option<String>> },
}

/// The MCP server's handler (cheap to clone: one per HTTP session or stdio connection).
#[derive(Clone)]
pub struct BatonMcp {
    backend: Arc<Backend>,
}

impl BatonMcp {
    pub(crate) fn in_daemon(state: Shared) -> Self {
        Self { backend: Arc::new(Backend::Daemon(state)) }
    }

    /// For `baton mcp`: calls the daemon of `client`; `session` is what calls default to.
    pub fn over_api(client: DaemonClient, session: Option<String>) -> Self {
        Self {
            backend: Arc::new(Backend::Client {
                client: Box::new(client),
                session: Mutex::new(session),
                agent: Mutex::new(None),
            }),
        }
    }

    /// The caller of an HTTP request (the token check set it); over stdio, the user.
    fn caller(context: &RequestContext<RoleServer>) -> Caller {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>().cloned())
            .unwrap_or(Caller::User)
    }

    async fn call(
        &self,
        def: &'static ToolDef,
        caller: Caller,
        mut args: Map<String, Value>,
    ) -> Result<Value, Failure> {
        match &*self.backend {
            Backend::Daemon(state) => {
                if let Caller::Agent(agent) = caller {
                    defaults_fill(def, &mut args, Some(&agent.session_id));
                    args = crate::server::blocking_failure(state, move |s| {
                        scope::authorize(s, &agent, def, &mut args)?;
                        Ok(args)
                    })
                    .await?;
                } else {
                    defaults_fill(def, &mut args, None);
                }
                crate::ops::op_call(state, def.op, args).await
            }
            Backend::Client { client, session, agent } => {
                let lock = |m: &Mutex<Option<String>>| m.lock().unwrap_or_else(|p| p.into_inner()).clone();
                match def.name {
                    // The repository is the one `baton mcp` runs in (the user's CLI starts it there).
                    "coordinator_become" => {
                        if let Ok(cwd) = std::env::current_dir() {
                            args.entry("repo").or_insert_with(|| Value::String(cwd.to_string_lossy().into_owned()));
                        }
                    }
                    "coordinator_wait" => {
                        if let Some(agent) = lock(agent) {
                            args.entry("id").or_insert(Value::String(agent));
                        }
                    }
                    _ => {}
                }
                defaults_fill(def, &mut args, lock(session).as_deref());
                let spec = spec_of(def).ok_or_else(|| internal(format!("no operation {}", def.op)))?;
                let (path, query, body) = tools::http_parts(spec, args);
                let (api, method) = ((**client).clone(), spec.method);
                let answer = tokio::task::spawn_blocking(move || {
                    api.call::<Value>(method, &path, query.as_deref(), body.as_ref())
                })
                .await
                .map_err(|e| internal(format!("the call failed: {e}")))?
                .map_err(|e| Failure(ApiError::new(e.code(), e.to_string())))?;
                if def.name == "coordinator_become" {
                    // From now on this connection serves that session and that conversation.
                    let id = |v: &Value| v["id"].as_str().map(str::to_owned);
                    *session.lock().unwrap_or_else(|p| p.into_inner()) = id(&answer["session"]);
                    *agent.lock().unwrap_or_else(|p| p.into_inner()) = id(&answer["agent"]);
                }
                Ok(answer)
            }
        }
    }
}

fn internal(message: String) -> Failure {
    Failure(ApiError::new(ErrorCode::Internal, message))
}

/// A tool's answer: the operation's JSON, or its error as `code: message` (an error the model
/// reads, not a protocol failure).
fn tool_result(answer: Result<Value, Failure>) -> CallToolResult {
    match answer {
        Ok(value) => {
            let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
            CallToolResult::success(vec![ContentBlock::text(text)])
        }
        Err(Failure(e)) => {
            let code = serde_json::to_value(e.code).ok().and_then(|v| v.as_str().map(str::to_owned));
            let field = e.field.as_deref().map(|f| format!(" (field `{f}`)")).unwrap_or_default();
            CallToolResult::error(vec![ContentBlock::text(format!(
                "{}: {}{field}",
                code.unwrap_or_else(|| "error".into()),
                e.message
            ))])
        }
    }
}

impl ServerHandler for BatonMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("baton", baton_core::VERSION))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        // Every tool, to workers too: a promotion makes a worker the coordinator in the middle
        // of its conversation, and CLIs read the list once, when they connect. A worker's call
        // of a coordinator's tool is refused, saying so.
        let caller = Self::caller(&context);
        let mut tools = tools::listed().to_vec();
        if matches!(caller, Caller::Agent(_)) {
            tools.push(permission::tool());
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let caller = Self::caller(&context);
        if request.name == baton_core::agent::protocol::PERMISSION_TOOL
            && let (Backend::Daemon(state), Caller::Agent(agent)) = (&*self.backend, &caller)
        {
            // Claude reads the answer from the text, as JSON.
            let answer = permission::ask(state, agent, args).await;
            return Ok(match answer {
                Ok(value) => CallToolResult::success(vec![ContentBlock::text(value.to_string())]),
                Err(failure) => tool_result(Err(failure)),
            }
            .into());
        }
        let Some(def) = tool_find(&request.name) else {
            return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "invalid_input: no tool is named {:?}; tools/list lists them",
                request.name
            ))])
            .into());
        };
        let answer = self.call(def, caller, args).await;
        Ok(tool_result(answer).into())
    }
}

/// Serves `handler` over this process's stdin and stdout until the client closes them (`baton mcp`).
pub fn stdio_serve(handler: BatonMcp) -> Result<(), crate::DaemonError> {
    use rmcp::ServiceExt;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(crate::DaemonError::io("cannot start the async runtime"))?;
    runtime.block_on(async move {
        let service = handler
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| crate::DaemonError::StartFailed(format!("the MCP client did not connect: {e}")))?;
        service
            .waiting()
            .await
            .map_err(|e| crate::DaemonError::StartFailed(format!("the MCP connection failed: {e}")))?;
        Ok(())
    })
}
