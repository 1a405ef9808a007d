//! The coordinator's part of the HTTP API: run and pause a session's coordinator, its cycles
//! and status, objectives, insights and decisions, artifacts, context export and import, and
//! retrying a blocked task.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::api::{ContextText, ObjectiveState};
use baton_core::artifact::{Artifact, ArtifactHit};
use baton_core::context::{ContextDoc, ContextImport, Decision, Insight, Objective, SessionStatus};
use baton_core::coordinator::{CoordinatorStatus, Cycle};
use baton_core::session::Session;
use baton_core::task::Task;

use crate::server::{Answer, Shared, blocking, body_parse};

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/sessions/{id}/run", post(run))
        .route("/api/sessions/{id}/pause", post(pause))
        .route("/api/sessions/{id}/coordinator", get(coordinator))
        .route("/api/sessions/{id}/cycles", get(cycles))
        .route("/api/sessions/{id}/status", get(status))
        .route("/api/sessions/{id}/objectives", post(objective_add))
        .route("/api/sessions/{id}/objectives/{oid}", post(objective_set))
        .route("/api/sessions/{id}/insights", post(insight_add))
        .route("/api/sessions/{id}/decisions", post(decision_add))
        .route("/api/sessions/{id}/decisions/{did}/answer", post(decision_decide))
        .route("/api/sessions/{id}/context", get(context_export))
        .route("/api/context/import", post(context_import))
        .route("/api/artifacts", get(artifact_list))
        .route("/api/artifacts/search", get(artifact_search))
        .route("/api/artifacts/{id}", get(artifact_get))
        .route("/api/tasks/{id}/retry", post(task_retry))
}

async fn run(State(state): State<Shared>, Path(id): Path<String>) -> Answer<CoordinatorStatus> {
    Ok(Json(blocking(&state, move |e| e.coordinator_start(&id)).await?))
}

async fn pause(State(state): State<Shared>, Path(id): Path<String>) -> Answer<CoordinatorStatus> {
    Ok(Json(blocking(&state, move |e| e.coordinator_stop(&id)).await?))
}

async fn coordinator(State(state): State<Shared>, Path(id): Path<String>) -> Answer<CoordinatorStatus> {
    Ok(Json(blocking(&state, move |e| e.coordinator_status(&id)).await?))
}

#[derive(serde::Deserialize)]
struct LimitQuery {
    #[serde(default)]
    limit: Option<usize>,
}

async fn cycles(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Answer<Vec<Cycle>> {
    let limit = q.limit.unwrap_or(50).min(10_000);
    Ok(Json(blocking(&state, move |e| e.coordinator_cycles(&id, limit)).await?))
}

async fn status(State(state): State<Shared>, Path(id): Path<String>) -> Answer<SessionStatus> {
    Ok(Json(blocking(&state, move |e| e.session_status(&id)).await?))
}

async fn objective_add(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<Objective> {
    let req: ContextText = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.objective_add(&id, &req.text)).await?))
}

async fn objective_set(
    State(state): State<Shared>,
    Path((id, oid)): Path<(String, String)>,
    body: Bytes,
) -> Answer<Objective> {
    let req: ObjectiveState = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.objective_set(&id, &oid, &req.state)).await?))
}

async fn insight_add(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<Insight> {
    let req: ContextText = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.insight_add(&id, &req.text)).await?))
}

async fn decision_add(State(state): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer<Decision> {
    let req: ContextText = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.decision_add(&id, &req.text)).await?))
}

async fn decision_decide(
    State(state): State<Shared>,
    Path((id, did)): Path<(String, String)>,
    body: Bytes,
) -> Answer<Decision> {
    let req: ContextText = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.decision_decide(&id, &did, &req.text)).await?))
}

async fn context_export(State(state): State<Shared>, Path(id): Path<String>) -> Answer<ContextDoc> {
    Ok(Json(blocking(&state, move |e| e.context_export(&id)).await?))
}

async fn context_import(State(state): State<Shared>, body: Bytes) -> Answer<Session> {
    let req: ContextImport = body_parse(&body)?;
    Ok(Json(blocking(&state, move |e| e.context_import(&req)).await?))
}

#[derive(serde::Deserialize)]
struct ArtifactQuery {
    session: String,
    #[serde(default)]
    task: Option<String>,
}

async fn artifact_list(State(state): State<Shared>, Query(q): Query<ArtifactQuery>) -> Answer<Vec<Artifact>> {
    Ok(Json(blocking(&state, move |e| e.artifact_list(&q.session, q.task.as_deref())).await?))
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    q: String,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

async fn artifact_search(State(state): State<Shared>, Query(q): Query<SearchQuery>) -> Answer<Vec<ArtifactHit>> {
    let limit = q.limit.unwrap_or(50).min(1000);
    Ok(Json(blocking(&state, move |e| e.artifact_search(&q.q, q.session.as_deref(), limit)).await?))
}

async fn artifact_get(State(state): State<Shared>, Path(id): Path<String>) -> Answer<Artifact> {
    Ok(Json(blocking(&state, move |e| e.artifact_get(&id)).await?))
}

async fn task_retry(State(state): State<Shared>, Path(id): Path<String>) -> Answer<Task> {
    Ok(Json(blocking(&state, move |e| e.task_retry(&id)).await?))
}
