//! The HTTP API: thin handlers over [`Engine`] methods, a token check on every request, CORS so
//! the desktop webview and a browser can call it, and server-sent events carrying batches of
//! [`EngineEvent`]s.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::agent::{Agent, AgentEventRecord, AgentSpawn, GcReport};
use baton_core::api::{AgentApprove, AgentMessage, DaemonHealth, WorktreesGc, WorktreesUsage};
use baton_core::events::EngineEvent;
use baton_core::pattern::{PatternInfo, PatternRun};
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::task::{Task, TaskComplete, TaskCreate};
use baton_core::worktree::ChangedFile;
use baton_core::worktree::diff::WorktreeDiff;
use baton_core::worktree::merge::{MergeReport, MergeRequest};
use baton_core::worktree::snapshot::{Checkpoint, RestoreReport};
use baton_core::{ApiError, Engine, ErrorCode};
use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch};

pub(crate) struct ServerState {
    pub engine: Arc<Engine>,
    pub token: String,
    pub pid: u32,
    pub started_at: String,
    /// Set to true to stop the server (and end every event stream).
    pub shutdown: watch::Sender<bool>,
}

pub(crate) type Shared = Arc<ServerState>;

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/sessions", get(session_list).post(session_create))
        .route("/api/sessions/{id}", get(session_get).patch(session_update))
        .route("/api/agents", get(agent_list).post(agent_spawn))
        .route("/api/agents/{id}", get(agent_get).delete(agent_remove))
        .route("/api/agents/{id}/changes", get(agent_changes))
        .route("/api/agents/{id}/diff", get(agent_diff))
        .route("/api/agents/{id}/checkpoints", get(agent_checkpoints))
        .route("/api/agents/{id}/checkpoints/{n}/restore", post(agent_restore))
        .route("/api/agents/{id}/merge", post(agent_merge))
        .route("/api/patterns", get(pattern_list))
        .route("/api/patterns/{name}/run", post(pattern_run))
        .route("/api/tasks", get(task_list).post(task_add))
        .route("/api/tasks/{id}", get(task_get))
        .route("/api/tasks/{id}/complete", post(task_complete))
        .route("/api/worktrees", get(worktrees_usage))
        .route("/api/worktrees/gc", post(worktrees_gc))
        .route("/api/agents/{id}/events", get(agent_events))
        .route("/api/agents/{id}/messages", post(agent_send))
        .route("/api/agents/{id}/approve", post(agent_approve))
        .route("/api/agents/{id}/deny", post(agent_deny))
        .route("/api/agents/{id}/stop", post(agent_stop))
        .route("/api/events", get(events))
        .route("/api/daemon/stop", post(daemon_stop))
        .merge(crate::coordination::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// An [`ApiError`] as an HTTP response with the status its code implies.
pub(crate) struct Failure(ApiError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::NotFound | ErrorCode::PathNotFound => StatusCode::NOT_FOUND,
            ErrorCode::InvalidInput
            | ErrorCode::NotAGitRepo
            | ErrorCode::BareRepo
            | ErrorCode::CliMissing
            | ErrorCode::InvalidSettings => StatusCode::BAD_REQUEST,
            ErrorCode::DuplicateName
            | ErrorCode::DaemonRunning
            | ErrorCode::MergeConflict
            | ErrorCode::DirtyCheckout
            | ErrorCode::AgentBusy => StatusCode::CONFLICT,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::DaemonUnreachable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseTooNew
            | ErrorCode::DatabaseCorrupt
            | ErrorCode::DatabaseUnreadable
            | ErrorCode::Io
            | ErrorCode::SpawnFailed
            | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(self.0)).into_response()
    }
}

impl From<baton_core::Error> for Failure {
    fn from(e: baton_core::Error) -> Self {
        Self(e.to_api())
    }
}

pub(crate) type Answer<T> = Result<Json<T>, Failure>;

/// Runs a blocking engine call off the async runtime.
pub(crate) async fn blocking<T, F>(state: &Shared, f: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&Engine) -> baton_core::Result<T> + Send + 'static,
{
    let engine = state.engine.clone();
    match tokio::task::spawn_blocking(move || f(&engine)).await {
        Ok(result) => result.map_err(Failure::from),
        Err(e) => Err(Failure(ApiError::new(ErrorCode::Internal, format!("engine task failed: {e}")))),
    }
}

/// Bodies are parsed here rather than by axum's extractor so a bad body gets our `{code, message}`.
pub(crate) fn body_parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Failure> {
    serde_json::from_slice(body)
        .map_err(|e| Failure(ApiError::new(ErrorCode::InvalidInput, format!("the request body is not valid: {e}"))))
}

/// Token check and CORS. Preflight requests carry no credentials, so they pass; everything else
/// needs `Authorization: Bearer TOKEN` (or `?token=TOKEN`, for `EventSource`, which cannot set headers).
async fn guard(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else if token_matches(&state.token, request.headers(), request.uri().query()) {
        next.run(request).await
    } else {
        Failure(ApiError::new(
            ErrorCode::Unauthorized,
            "missing or wrong token: read it from daemon.json in BATON_HOME and send `Authorization: Bearer TOKEN`",
        ))
        .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    response
}

fn token_matches(token: &str, headers: &HeaderMap, query: Option<&str>) -> bool {
    let from_header =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let from_query = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")));
    from_header.or(from_query).is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn not_found() -> Failure {
    Failure(ApiError::new(ErrorCode::NotFound, "no such API route"))
}

async fn health(State(state): State<Shared>) -> Answer<DaemonHealth> {
    let sessions = blocking(&state, |e| e.session_count()).await?;
    Ok(Json(DaemonHealth {
        version: baton_core::VERSION.into(),
        pid: state.pid,
        home: state.engine.home().root().to_string_lossy().into_owned(),
        started_at: state.started_at.clone(),
        sessions: u32::try_from(sessions).unwrap_or(u32::MAX),
    }))
}

async fn session_list(State(state): State<Shared>) -> Answer<Vec<baton_core::session::Session>> {
    Ok(Json(blocking(&state, |e| e.session_list()).await?))
}

async fn session_create(State(state): State<Shared>, body: Bytes) -> Result<Response, Failure> {
    let req: SessionCreate = body_parse(&body)?;
    let session = blocking(&state, move |e| e.session_create(&req)).await?;
    Ok((StatusCode::CREATED, Json(session)).into_response())
}

async fn session_get(State(state): State<Shared>, Path(id): Path<String>) -> Answer<baton_core::session::Session> {
    Ok(Json(blocking(&state, move |e| e.session_get(&id)).await?))
}

async fn session_update(
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer<baton_core::session::Session> {
    let update: SessionUpdate = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.session_update(&id, &update)).await?))
}

#[derive(serde::Deserialize)]
struct AgentListQuery {
    session: Option<String>,
}

async fn agent_list(State(state): State<Shared>, Query(q): Query<AgentListQuery>) -> Answer<Vec<Agent>> {
    Ok(Json(blocking(&state, move |e| e.agent_list(q.session.as_deref())).await?))
}

async fn agent_spawn(State(state): State<Shared>, body: Bytes) -> Result<Response, Failure> {
    let req: AgentSpawn = body_parse(&body)?;
    let agent = blocking(&state, move |e| e.agent_spawn(&req)).await?;
    Ok((StatusCode::CREATED, Json(agent)).into_response())
}

async fn agent_get(State(state): State<Shared>, Path(id): Path<String>) -> Answer<Agent> {
    Ok(Json(blocking(&state, move |e| e.agent_get(&id)).await?))
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
}

async fn agent_events(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Answer<Vec<AgentEventRecord>> {
    let limit = q.limit.unwrap_or(10_000).min(100_000);
    Ok(Json(blocking(&state, move |e| e.agent_events(&id, q.after, limit)).await?))
}

async fn agent_send(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<Agent> {
    let msg: AgentMessage = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.agent_send(&id, &msg.text)).await?))
}

async fn agent_approve(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<Agent> {
    let req: AgentApprove = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.agent_approve(&id, &req.tool, req.always)).await?))
}

async fn agent_deny(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<Agent> {
    let req: AgentApprove = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.agent_deny(&id, &req.tool)).await?))
}

async fn agent_stop(State(state): State<Shared>, Path(id): Path<String>) -> Answer<Agent> {
    Ok(Json(blocking(&state, move |e| e.agent_stop(&id)).await?))
}

#[derive(serde::Deserialize)]
struct RemoveQuery {
    #[serde(default)]
    force: bool,
}

async fn agent_remove(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<RemoveQuery>,
) -> Answer<Agent> {
    Ok(Json(blocking(&state, move |e| e.agent_remove(&id, q.force)).await?))
}

async fn agent_changes(State(state): State<Shared>, Path(id): Path<String>) -> Answer<Vec<ChangedFile>> {
    Ok(Json(blocking(&state, move |e| e.agent_changes(&id)).await?))
}

#[derive(serde::Deserialize)]
struct DiffQuery {
    /// `false`: files and line counts only.
    #[serde(default = "yes")]
    patch: bool,
}

fn yes() -> bool {
    true
}

async fn agent_diff(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Answer<WorktreeDiff> {
    Ok(Json(blocking(&state, move |e| e.agent_diff(&id, q.patch)).await?))
}

async fn agent_checkpoints(State(state): State<Shared>, Path(id): Path<String>) -> Answer<Vec<Checkpoint>> {
    Ok(Json(blocking(&state, move |e| e.agent_checkpoints(&id)).await?))
}

async fn agent_restore(State(state): State<Shared>, Path((id, n)): Path<(String, u32)>) -> Answer<RestoreReport> {
    Ok(Json(blocking(&state, move |e| e.agent_restore(&id, n)).await?))
}

async fn agent_merge(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<MergeReport> {
    let req: MergeRequest = if body.is_empty() { MergeRequest::default() } else { body_parse(&body)? };
    Ok(Json(blocking(&state, move |e| e.agent_merge(&id, &req)).await?))
}

async fn pattern_list(State(state): State<Shared>) -> Answer<Vec<PatternInfo>> {
    Ok(Json(blocking(&state, |e| e.pattern_list()).await?))
}

async fn pattern_run(State(state): State<Shared>, Path(name): Path<String>, body: Bytes) -> Answer<Vec<Task>> {
    let req: PatternRun = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.pattern_run(&name, &req)).await?))
}

#[derive(serde::Deserialize)]
struct TaskListQuery {
    session: String,
}

async fn task_list(State(state): State<Shared>, Query(q): Query<TaskListQuery>) -> Answer<Vec<Task>> {
    Ok(Json(blocking(&state, move |e| e.task_list(&q.session)).await?))
}

async fn task_add(State(state): State<Shared>, body: Bytes) -> Answer<Task> {
    let req: TaskCreate = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.task_add(&req)).await?))
}

async fn task_get(State(state): State<Shared>, Path(id): Path<String>) -> Answer<Task> {
    Ok(Json(blocking(&state, move |e| e.task_get(&id)).await?))
}

async fn task_complete(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<Task> {
    let req: TaskComplete = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.task_complete(&id, &req)).await?))
}

async fn worktrees_usage(State(state): State<Shared>) -> Answer<WorktreesUsage> {
    Ok(Json(
        blocking(&state, |e| {
            Ok(WorktreesUsage {
                dir: e.home().worktrees_dir().to_string_lossy().into_owned(),
                disk_bytes: e.worktrees_disk_usage(),
            })
        })
        .await?,
    ))
}

async fn worktrees_gc(State(state): State<Shared>, body: Bytes) -> Answer<GcReport> {
    let req: WorktreesGc = if body.is_empty() { WorktreesGc::default() } else { body_parse(&body)? };
    Ok(Json(blocking(&state, move |e| e.worktrees_gc(req.dry_run)).await?))
}

async fn daemon_stop(State(state): State<Shared>) -> StatusCode {
    tracing::info!("stop requested over the API");
    let _ = state.shutdown.send(true);
    StatusCode::ACCEPTED
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
