//! The HTTP server: routes of the three APIs, the per-key script cursors, the request record.
//!
//! It runs on its own thread with its own single-threaded tokio runtime, so synchronous tests
//! and async ones alike can start it, and it stops when the [`FakeModel`] handle is dropped.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

use crate::scenario::{Scenario, ScenarioError, Step};
use crate::sse::{Reply, Turn};
use crate::{anthropic, gemini, openai};

/// Which provider API a request was made to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Anthropic,
    OpenAi,
    Gemini,
    /// Anything else: the `HEAD /` probe, unknown paths (answered 404).
    Other,
}

/// One request as the server saw it, for tests to assert what a CLI sent.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub api: Api,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The API key, from whichever header or query parameter the provider uses.
    pub key: Option<String>,
    /// The request headers, names in lower case (a repeated header keeps its last value).
    pub headers: BTreeMap<String, String>,
    /// The body as JSON; a body that is not JSON is kept as a string, an empty one as null.
    pub body: Value,
    /// The index of the scenario step that answered (past the last step: the closing "done");
    /// `None` for requests that no step answered (probes, token counts, unknown keys, 404s).
    pub step: Option<usize>,
    pub status: u16,
}

impl RecordedRequest {
    /// Whether this request was a model turn answered from the scenario.
    pub fn is_model_turn(&self) -> bool {
        self.step.is_some()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("scenario for API key `{key}` is invalid: {source}")]
    Scenario { key: String, source: ScenarioError },
    #[error("the default scenario is invalid: {0}")]
    DefaultScenario(ScenarioError),
    #[error("cannot listen on 127.0.0.1:{port}: {source} (pass port 0 for a free port)")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot open the request record {path}: {source}")]
    Record { path: PathBuf, source: std::io::Error },
    #[error("cannot start the server thread: {0}")]
    Thread(std::io::Error),
}

/// Settings for [`FakeModel`]; `FakeModel::builder()` makes one.
#[derive(Debug, Default)]
pub struct FakeModelBuilder {
    scenarios: Vec<(String, Scenario)>,
    default: Option<Scenario>,
    port: u16,
    record_to: Option<PathBuf>,
}

impl FakeModelBuilder {
    /// The script for requests carrying this API key (a later one for the same key wins).
    pub fn scenario(mut self, key: impl Into<String>, scenario: Scenario) -> Self {
        self.scenarios.push((key.into(), scenario));
        self
    }

    /// The script for any other key (each such key still gets its own cursor). Without it an
    /// unknown key is answered 401.
    pub fn default_scenario(mut self, scenario: Scenario) -> Self {
        self.default = Some(scenario);
        self
    }

    /// The port on 127.0.0.1; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Also append every request, as one JSON line, to this file.
    pub fn record_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.record_to = Some(path.into());
        self
    }

    pub fn start(self) -> Result<FakeModel, StartError> {
        for (key, scenario) in &self.scenarios {
            scenario.validate().map_err(|source| StartError::Scenario { key: key.clone(), source })?;
        }
        if let Some(default) = &self.default {
            default.validate().map_err(StartError::DefaultScenario)?;
        }
        let record = match &self.record_to {
            None => None,
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| StartError::Record { path: path.clone(), source })?,
            )),
        };
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| StartError::Bind { port: self.port, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { port: self.port, source })?;

        let shared = Arc::new(Shared {
            scenarios: self.scenarios.into_iter().collect(),
            default: self.default,
            state: Mutex::new(Cursors::default()),
            record,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let app = router(shared.clone());
        let thread = std::thread::Builder::new()
            .name(format!("fake-model-{}", addr.port()))
            .spawn(move || serve(listener, app, shutdown_rx))
            .map_err(StartError::Thread)?;
        Ok(FakeModel { addr, shared, shutdown, thread: Some(thread) })
    }
}

/// A running fake model server on 127.0.0.1. Dropping it stops the server.
pub struct FakeModel {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeModel {
    /// Starts a server on a free port with one scenario per API key.
    ///
    /// # Panics
    /// When a scenario is invalid or no port can be had (a test cannot go on then); use
    /// [`FakeModel::builder`] to get the error instead.
    pub fn start(scenarios: impl IntoIterator<Item = (String, Scenario)>) -> FakeModel {
        let builder = scenarios.into_iter().fold(FakeModel::builder(), |b, (key, s)| b.scenario(key, s));
        match builder.start() {
            Ok(fake) => fake,
            Err(error) => panic!("fake model server did not start: {error}"),
        }
    }

    pub fn builder() -> FakeModelBuilder {
        FakeModelBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash and without `/v1`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests made with this API key, in arrival order.
    pub fn requests(&self, key: &str) -> Vec<RecordedRequest> {
        self.shared.lock().requests.iter().filter(|r| r.key.as_deref() == Some(key)).cloned().collect()
    }

    /// Every request, in arrival order.
    pub fn all_requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true); // Fails only when the server thread is already gone.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join(); // A panic on that thread already failed whatever used it.
        }
    }
}

/// How long in-flight answers may take to finish once the handle is dropped; then they are cut.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "fake model server: no tokio runtime");
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!(%error, "fake model server: listener unusable");
                return;
            }
        };
        let mut graceful = shutdown.clone();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = graceful.wait_for(|stop| *stop).await;
        });
        tokio::select! {
            result = server => if let Err(error) = result {
                tracing::error!(%error, "fake model server stopped");
            },
            _ = async {
                let _ = shutdown.wait_for(|stop| *stop).await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {}
        }
    });
    // Dropping the runtime here cancels any answer still streaming.
}

#[derive(Default)]
struct Cursors {
    next_step: HashMap<String, usize>,
    requests: Vec<RecordedRequest>,
}

struct Shared {
    scenarios: HashMap<String, Scenario>,
    default: Option<Scenario>,
    state: Mutex<Cursors>,
    record: Option<Mutex<std::fs::File>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Cursors> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next step for this key, advancing its cursor unless `consumed` says the answer leaves
    /// the step for the next request too; `None` when no scenario answers it.
    fn next_step(&self, key: Option<&str>, consumed: impl FnOnce(&Step) -> bool) -> Option<(usize, Step)> {
        let key = key.unwrap_or_default();
        let scenario = self.scenarios.get(key).or(self.default.as_ref())?;
        let mut state = self.lock();
        let cursor = state.next_step.entry(key.to_owned()).or_default();
        let index = *cursor;
        let step = scenario.step(index);
        if consumed(&step) {
            *cursor += 1;
        }
        Some((index, step))
    }

    fn record(&self, request: RecordedRequest) {
        if let Some(file) = &self.record {
            let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(error) = serde_json::to_writer(&mut *file, &request)
                .map_err(std::io::Error::from)
                .and_then(|()| file.write_all(b"\n"))
            {
                tracing::warn!(%error, "fake model server: cannot append to the request record");
            }
        }
        self.lock().requests.push(request);
    }

    fn known_keys(&self) -> String {
        let mut keys: Vec<&str> = self.scenarios.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys.join(", ")
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", any(probe))
        .route("/v1/messages", post(anthropic_messages))
        .route("/v1/messages/count_tokens", post(anthropic_count_tokens))
        .route("/v1/responses", post(openai_responses))
        .route("/v1beta/models/{model_action}", post(gemini_models))
        .fallback(not_found)
        // Codex and Claude resend the whole history each turn; no cap on request size.
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// What every handler learns from the request.
struct Incoming {
    method: Method,
    path: String,
    query: Option<String>,
    key: Option<String>,
    headers: BTreeMap<String, String>,
    body: Value,
    body_len: usize,
}

impl Incoming {
    fn new(method: Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Incoming {
        let query = uri.query().map(str::to_owned);
        let body_json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
        };
        Incoming {
            method,
            path: uri.path().to_owned(),
            key: api_key(headers, query.as_deref()),
            headers: headers
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect(),
            query,
            body: body_json,
            body_len: body.len(),
        }
    }

    fn recorded(&self, api: Api, step: Option<usize>, status: StatusCode) -> RecordedRequest {
        RecordedRequest {
            api,
            method: self.method.to_string(),
            path: self.path.clone(),
            query: self.query.clone(),
            key: self.key.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            step,
            status: status.as_u16(),
        }
    }
}

/// The key from wherever the provider puts it: Anthropic `x-api-key` (or a bearer token),
/// OpenAI `Authorization: Bearer`, Gemini `x-goog-api-key` or `?key=`.
fn api_key(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    if let Some(key) = header("x-api-key").or_else(|| header("x-goog-api-key")) {
        return Some(key.to_owned());
    }
    if let Some(auth) = header("authorization") {
        let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")).unwrap_or(auth);
        return Some(token.trim().to_owned());
    }
    query?.split('&').find_map(|pair| pair.strip_prefix("key=")).filter(|k| !k.is_empty()).map(str::to_owned)
}

async fn probe(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap) -> StatusCode {
    // Claude Code sends `HEAD /` before its first request, to check the base URL answers.
    let incoming = Incoming::new(method, &uri, &headers, &Bytes::new());
    shared.record(incoming.recorded(Api::Other, None, StatusCode::OK));
    StatusCode::OK
}

async fn not_found(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = Incoming::new(method, &uri, &headers, &body);
    shared.record(incoming.recorded(Api::Other, None, StatusCode::NOT_FOUND));
    let message = format!(
        "fake model: no route for {} {} (it serves POST /v1/messages, POST /v1/responses, POST /v1beta/models/MODEL:streamGenerateContent)",
        incoming.method, incoming.path
    );
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"error": {"message": message}}))).into_response()
}

async fn anthropic_count_tokens(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = Incoming::new(Method::POST, &uri, &headers, &body);
    shared.record(incoming.recorded(Api::Anthropic, None, StatusCode::OK));
    let turn = Turn::new("", incoming.body_len);
    axum::Json(serde_json::json!({"input_tokens": turn.input_tokens})).into_response()
}

async fn anthropic_messages(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let incoming = Incoming::new(Method::POST, &uri, &headers, &body);
    let model = incoming.body.get("model").and_then(Value::as_str).unwrap_or("claude-fake").to_owned();
    let streaming = incoming.body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let turn = Turn::new(model, incoming.body_len);
    answer(&shared, incoming, Api::Anthropic, every_step, |step| {
        if streaming {
            Answer::Stream(anthropic::stream(step, &turn))
        } else {
            Answer::Json(anthropic::message(step, &turn))
        }
    })
    .await
}

async fn openai_responses(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let incoming = Incoming::new(Method::POST, &uri, &headers, &body);
    let model = incoming.body.get("model").and_then(Value::as_str).unwrap_or("gpt-fake").to_owned();
    let streaming = incoming.body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let turn = Turn::new(model, incoming.body_len);
    let request = incoming.body.clone();
    let consumed = |step: &Step| openai::step_consumed(step, &request);
    answer(&shared, incoming, Api::OpenAi, consumed, |step| {
        let (reply, completed) = openai::stream(step, &turn, &request);
        if streaming { Answer::Stream(reply) } else { Answer::Json(completed) }
    })
    .await
}

async fn gemini_models(
    State(shared): State<Arc<Shared>>,
    Path(model_action): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = Incoming::new(Method::POST, &uri, &headers, &body);
    let (model, action) = model_action.split_once(':').unwrap_or((&model_action, ""));
    let turn = Turn::new(model, incoming.body_len);
    match action {
        "streamGenerateContent" => {
            answer(&shared, incoming, Api::Gemini, every_step, |step| Answer::Stream(gemini::stream(step, &turn))).await
        }
        "generateContent" => {
            answer(&shared, incoming, Api::Gemini, every_step, |step| Answer::Json(gemini::response(step, &turn))).await
        }
        "countTokens" => {
            shared.record(incoming.recorded(Api::Gemini, None, StatusCode::OK));
            axum::Json(serde_json::json!({"totalTokens": turn.input_tokens})).into_response()
        }
        _ => not_found(State(shared), Method::POST, uri, headers, body).await,
    }
}

enum Answer {
    Stream(Reply),
    Json(Value),
}

/// Every answer uses its step up (all but a Codex tool search, see [`crate::deferred`]).
fn every_step(_: &Step) -> bool {
    true
}

/// Takes the key's next step and answers it in the API's shape.
async fn answer(
    shared: &Shared,
    incoming: Incoming,
    api: Api,
    consumed: impl FnOnce(&Step) -> bool,
    build: impl FnOnce(&Step) -> Answer,
) -> Response {
    let error_body = |status: u16, message: &str| match api {
        Api::Anthropic => anthropic::error_body(status, message),
        Api::OpenAi => openai::error_body(status, message),
        Api::Gemini | Api::Other => gemini::error_body(status, message),
    };
    let Some((index, step)) = shared.next_step(incoming.key.as_deref(), consumed) else {
        let message = format!(
            "fake model: no scenario for API key {:?} and no default scenario (keys with a scenario: {})",
            incoming.key.as_deref().unwrap_or("<none sent>"),
            shared.known_keys()
        );
        shared.record(incoming.recorded(api, None, StatusCode::UNAUTHORIZED));
        return json_response(api, StatusCode::UNAUTHORIZED, &error_body(401, &message));
    };
    let delay = Duration::from_millis(step.delay_ms.unwrap_or(0));

    if let Some(error) = &step.error {
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        shared.record(incoming.recorded(api, Some(index), status));
        tokio::time::sleep(delay).await;
        return json_response(api, status, &error_body(error.status, &error.message));
    }

    shared.record(incoming.recorded(api, Some(index), StatusCode::OK));
    match build(&step) {
        Answer::Json(value) => {
            tokio::time::sleep(delay).await;
            json_response(api, StatusCode::OK, &value)
        }
        Answer::Stream(reply) => sse_response(api, reply, delay),
    }
}

fn request_id_header(api: Api) -> Option<(&'static str, String)> {
    let turn = Turn::new("", 0);
    match api {
        Api::Anthropic => Some(("request-id", turn.id("req_fake_"))),
        Api::OpenAi => Some(("x-request-id", turn.id("req_fake_"))),
        Api::Gemini | Api::Other => None,
    }
}

fn with_request_id(api: Api, mut response: Response) -> Response {
    if let Some((name, id)) = request_id_header(api)
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        response.headers_mut().insert(name, value);
    }
    response
}

fn json_response(api: Api, status: StatusCode, body: &Value) -> Response {
    with_request_id(api, (status, axum::Json(body.clone())).into_response())
}

/// Streams `head` at once, then after `delay` the rest, as one `text/event-stream` body.
fn sse_response(api: Api, reply: Reply, delay: Duration) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, Infallible>>(16);
    tokio::spawn(async move {
        for event in reply.head {
            if tx.send(Ok(event)).await.is_err() {
                return; // The client went away.
            }
        }
        tokio::time::sleep(delay).await;
        for event in reply.rest {
            if tx.send(Ok(event)).await.is_err() {
                return;
            }
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_request_id(api, response)
}
