//! The HTTP API: thin handlers over [`Engine`] methods, a token check on every request, CORS so
//! the desktop webview and a browser can call it, and server-sent events carrying batches of
//! [`EngineEvent`]s, and a WebSocket per terminal viewer (`terminal_socket.rs`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use baton_core::api::DaemonHealth;
use baton_core::events::EngineEvent;
use baton_core::{ApiError, Engine, ErrorCode};
use futures_util::Stream;
use tokio::sync::{broadcast, watch};

use crate::mcp::scope::Caller;

pub(crate) struct ServerState {
    pub engine: Arc<Engine>,
    pub token: String,
    pub pid: u32,
    pub started_at: String,
    /// Set to true to stop the server (and end every event stream).
    pub shutdown: watch::Sender<bool>,
}

pub(crate) type Shared = Arc<ServerState>;

impl std::ops::Deref for ServerState {
    type Target = Engine;

    /// Operations call the engine through the server's state (see `ops/table.rs`).
    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl ServerState {
    pub(crate) fn health(&self) -> baton_core::Result<DaemonHealth> {
        Ok(DaemonHealth {
            version: baton_core::VERSION.into(),
            pid: self.pid,
            home: self.engine.home().root().to_string_lossy().into_owned(),
            started_at: self.started_at.clone(),
            sessions: u32::try_from(self.engine.session_count()?).unwrap_or(u32::MAX),
        })
    }

    pub(crate) fn stop_request(&self) {
        tracing::info!("stop requested over the API");
        let _ = self.shutdown.send(true);
    }
}

pub(crate) fn router(state: Shared) -> Router {
    let mcp_state = state.clone();
    // No SSE priming events (events with empty data): the MCP SDK in Gemini CLI reads every
    // event's data as JSON and drops the connection on one.
    let mut sessions = rmcp::transport::streamable_http_server::session::local::LocalSessionManager::default();
    sessions.session_config.sse_retry = None;
    let mcp = rmcp::transport::streamable_http_server::StreamableHttpService::new(
        move || Ok(crate::mcp::BatonMcp::in_daemon(mcp_state.clone())),
        Arc::new(sessions),
        rmcp::transport::streamable_http_server::StreamableHttpServerConfig::default()
            .with_sse_retry(None)
            .with_cancellation_token(mcp_cancel(&state)),
    );
    Router::new()
        .merge(crate::ops::routes())
        .nest_service("/mcp", mcp)
        .route("/api/events", get(events))
        .route("/api/terminals/{id}/socket", get(crate::terminal_socket::terminal_socket))
        .route("/api/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(crate::ops::BODY_MAX))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// An [`ApiError`] as an HTTP response with the status its code implies.
pub(crate) struct Failure(pub(crate) ApiError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(crate::ops::status_of(self.0.code)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

impl From<baton_core::Error> for Failure {
    fn from(e: baton_core::Error) -> Self {
        Self(e.to_api())
    }
}

/// Runs a blocking call that answers with a [`Failure`] off the async runtime.
pub(crate) async fn blocking_failure<T, F>(state: &Shared, f: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&ServerState) -> Result<T, Failure> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .unwrap_or_else(|e| Err(Failure(ApiError::new(ErrorCode::Internal, format!("engine task failed: {e}")))))
}

/// Runs a blocking engine call off the async runtime.
pub(crate) async fn blocking<T, F>(state: &Shared, f: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&ServerState) -> baton_core::Result<T> + Send + 'static,
{
    let state = state.clone();
    match tokio::task::spawn_blocking(move || f(&state)).await {
        Ok(result) => result.map_err(Failure::from),
        Err(e) => Err(Failure(ApiError::new(ErrorCode::Internal, format!("engine task failed: {e}")))),
    }
}

/// Ends the MCP server's sessions when the daemon stops, so its streams do not hold the server open.
fn mcp_cancel(state: &Shared) -> tokio_util::sync::CancellationToken {
    let token = tokio_util::sync::CancellationToken::new();
    let (cancel, mut stop) = (token.clone(), state.shutdown.subscribe());
    tokio::spawn(async move {
        let _ = stop.wait_for(|s| *s).await;
        cancel.cancel();
    });
    token
}

/// Token check and CORS. Preflight requests carry no credentials, so they pass; everything else
/// needs `Authorization: Bearer TOKEN` (or `?token=TOKEN`, for `EventSource`, which cannot set headers).
/// The daemon's token is the user's; an agent's own token reaches only `/mcp`, as that agent.
async fn guard(State(state): State<Shared>, mut request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else if token_matches(&state.token, request.headers(), request.uri().query()) {
        request.extensions_mut().insert(Caller::User);
        next.run(request).await
    } else {
        let token = bearer(request.headers()).map(str::to_owned);
        match agent_caller(&state, token).await {
            Some(agent) if request.uri().path().starts_with("/mcp") => {
                request.extensions_mut().insert(Caller::Agent(agent));
                next.run(request).await
            }
            Some(_) => Failure(ApiError::new(
                ErrorCode::Unauthorized,
                "an agent's token reaches only Baton's MCP server (/mcp); the HTTP API takes the daemon's token",
            ))
            .into_response(),
            None => Failure(ApiError::new(
                ErrorCode::Unauthorized,
                "missing or wrong token: read it from daemon.json in BATON_HOME and send `Authorization: Bearer TOKEN`",
            ))
            .into_response(),
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    response
}

/// The agent whose own token the request carries, if any.
async fn agent_caller(state: &Shared, token: Option<String>) -> Option<baton_core::agent::McpCaller> {
    let token = token?;
    let state = state.clone();
    tokio::task::spawn_blocking(move || state.engine.mcp_caller(&token).ok().flatten()).await.ok().flatten()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

fn token_matches(token: &str, headers: &HeaderMap, query: Option<&str>) -> bool {
    let from_header = bearer(headers);
    let from_query = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")));
    from_header.or(from_query).is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn not_found() -> Failure {
    Failure(ApiError::new(ErrorCode::NotFound, "no such API route; see /api/openapi.json"))
}

async fn method_not_allowed() -> Response {
    let error =
        ApiError::new(ErrorCode::InvalidInput, "this API route does not take that method; see /api/openapi.json");
    (StatusCode::METHOD_NOT_ALLOWED, Json(error)).into_response()
}

/// The API's OpenAPI 3.1 document, made from the operations' declarations.
async fn openapi() -> Json<serde_json::Value> {
    Json(crate::ops::openapi::document())
}

/// The most events sent in one SSE message. Whatever has queued up while a message was being
/// sent goes out together, so a busy engine sends fewer, larger messages and a quiet one adds
/// no delay.
const BATCH_MAX: usize = 512;

async fn events(State(state): State<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.engine.events().subscribe();
    let shutdown = state.shutdown.subscribe();
    let stream = futures_util::stream::unfold((rx, shutdown), |(mut rx, mut shutdown)| async move {
        let event = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return None,
            received = rx.recv() => match received {
                Ok(first) => batch_event(&mut rx, first),
                // The client missed events: tell it to reload its state.
                Err(broadcast::error::RecvError::Lagged(n)) => Event::default().event("resync").data(n.to_string()),
                Err(broadcast::error::RecvError::Closed) => return None,
            },
        };
        Some((Ok(event), (rx, shutdown)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn batch_event(rx: &mut broadcast::Receiver<EngineEvent>, first: EngineEvent) -> Event {
    let mut batch = vec![first];
    while batch.len() < BATCH_MAX {
        match rx.try_recv() {
            Ok(event) => batch.push(event),
            Err(_) => break,
        }
    }
    let data = serde_json::to_string(&batch).unwrap_or_else(|_| "[]".into());
    Event::default().event("batch").data(data)
}
