//! Every operation of the API, declared once (in `table.rs`): its name, resource group, HTTP
//! method and path, path parameters, query, request body and answer types, status and error
//! codes, and the engine call it makes. From that one declaration come the axum routes, the
//! Rust client's methods ([`crate::client::DaemonClient`]), the TypeScript client (`ui/src/lib/api.ts`)
//! and the OpenAPI document (`GET /api/openapi.json`, committed as `docs/openapi.json`).
//! Adding an operation means adding its declaration and its engine body.

pub mod openapi;
mod table;
pub mod typescript;

use axum::body::Bytes;
use axum::extract::RawPathParams;
use axum::extract::rejection::RawPathParamsRejection;
use baton_core::{ApiError, ErrorCode};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::server::Failure;
pub use table::specs;
pub(crate) use table::{op_call, routes};

/// What a declaration says about an operation, for the generators (OpenAPI, TypeScript).
pub struct OpSpec {
    /// snake_case, unique: the Rust client's method, `operationId`; camelCase in TypeScript.
    pub name: &'static str,
    /// The resource group (an OpenAPI tag).
    pub group: &'static str,
    pub method: &'static str,
    /// With `{param}` placeholders.
    pub path: &'static str,
    pub doc: &'static [&'static str],
    pub status: u16,
    /// Codes beyond those every operation may answer (`invalid_input`, `unauthorized`,
    /// `not_found`, `internal`).
    pub errors: &'static [ErrorCode],
    pub path_params: fn(&mut SchemaGenerator) -> Vec<(&'static str, Schema)>,
    pub query: Option<fn(&mut SchemaGenerator) -> Schema>,
    pub body: Option<fn(&mut SchemaGenerator) -> Schema>,
    pub answer: fn(&mut SchemaGenerator) -> Schema,
    pub ts: fn(&ts_rs::Config) -> TsSignature,
}

impl OpSpec {
    /// Every code this operation may answer with: the common ones (a bad request, a wrong
    /// token, something named that does not exist, a failure) and its own.
    pub fn error_codes(&self) -> Vec<ErrorCode> {
        let mut codes =
            vec![ErrorCode::InvalidInput, ErrorCode::Unauthorized, ErrorCode::NotFound, ErrorCode::Internal];
        for c in self.errors {
            if !codes.contains(c) {
                codes.push(*c);
            }
        }
        codes
    }
}

/// The TypeScript names of an operation's types, and the declared types they need imported.
pub struct TsSignature {
    pub path_params: Vec<(&'static str, String)>,
    pub query: Option<String>,
    pub body: Option<String>,
    pub answer: String,
    pub imports: Vec<String>,
}

/// The TypeScript name of `T` and, when it is a declared (exported) type, its own name and its
/// dependencies' names, for imports.
pub(crate) fn ts_type<T: ts_rs::TS + 'static + ?Sized>(cfg: &ts_rs::Config, imports: &mut Vec<String>) -> String {
    struct Names<'a>(&'a ts_rs::Config, &'a mut Vec<String>);
    impl ts_rs::TypeVisitor for Names<'_> {
        fn visit<U: ts_rs::TS + 'static + ?Sized>(&mut self) {
            if let Some(d) = ts_rs::Dependency::from_ty::<U>(self.0) {
                self.1.push(d.ts_name);
            }
        }
    }
    if let Some(own) = ts_rs::Dependency::from_ty::<T>(cfg) {
        imports.push(own.ts_name);
    }
    // `Vec<Session>` names `Session` as a generic argument, not as a dependency.
    T::visit_generics(&mut Names(cfg, imports));
    imports.extend(T::dependencies(cfg).into_iter().map(|d| d.ts_name));
    T::name(cfg)
}

pub(crate) fn schema_of<T: JsonSchema + ?Sized>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The status an error code answers with, for every shell speaking HTTP.
pub fn status_of(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::NotFound | ErrorCode::PathNotFound => 404,
        ErrorCode::InvalidInput
        | ErrorCode::NotAGitRepo
        | ErrorCode::BareRepo
        | ErrorCode::CliMissing
        | ErrorCode::NoRemote
        | ErrorCode::GhUnavailable
        | ErrorCode::InvalidSettings => 400,
        ErrorCode::DuplicateName
        | ErrorCode::DaemonRunning
        | ErrorCode::MergeConflict
        | ErrorCode::DirtyCheckout
        | ErrorCode::AgentBusy
        | ErrorCode::AgentsWorking
        | ErrorCode::OverBudget => 409,
        ErrorCode::Unauthorized => 401,
        ErrorCode::DaemonUnreachable => 503,
        ErrorCode::DatabaseTooNew
        | ErrorCode::DatabaseCorrupt
        | ErrorCode::DatabaseUnreadable
        | ErrorCode::Io
        | ErrorCode::SpawnFailed
        | ErrorCode::Internal => 500,
    }
}

fn invalid(message: String) -> Failure {
    Failure(ApiError::new(ErrorCode::InvalidInput, message))
}

/// One path parameter, decoded and parsed.
pub(crate) fn path_param<T: std::str::FromStr>(
    raw: &Result<RawPathParams, RawPathParamsRejection>,
    name: &str,
) -> Result<T, Failure> {
    let raw = raw.as_ref().map_err(|e| invalid(format!("the request path is not valid: {e}")))?;
    let value = raw
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .ok_or_else(|| invalid(format!("the path has no `{name}`")))?;
    value.parse().map_err(|_| invalid(format!("`{value}` is not a valid `{name}` in the path")))
}

/// The query string as `T`, without the `token` (which authenticates, see the guard). Unknown
/// parameters are refused, so a misspelt one is not silently ignored.
pub(crate) fn query_parse<T: DeserializeOwned>(query: Option<&str>) -> Result<T, Failure> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| invalid(format!("the query string is not valid: {e}")))?;
    let kept: Vec<_> = pairs.into_iter().filter(|(k, _)| k != "token").collect();
    let text =
        serde_urlencoded::to_string(&kept).map_err(|e| invalid(format!("the query string is not valid: {e}")))?;
    serde_urlencoded::from_str(&text).map_err(|e| invalid(format!("the query string is not valid: {e}")))
}

/// The body's bytes, or why they could not be read (too large, cut off) as `{code, message}`.
pub(crate) fn body_read(bytes: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Result<Bytes, Failure> {
    bytes.map_err(|e| {
        invalid(format!(
            "the request body could not be read ({e}); bodies are JSON of at most {} MiB",
            BODY_MAX / (1024 * 1024)
        ))
    })
}

/// The largest request body (a context document with its artifacts can be large).
pub const BODY_MAX: usize = 64 * 1024 * 1024;

/// The body as `T`: a JSON object (an empty body counts as `{}`). Unknown fields are refused by
/// the request types themselves.
pub(crate) fn body_parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Failure> {
    let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| invalid(format!("the request body is not valid JSON: {e}")))?
    };
    if !value.is_object() {
        return Err(invalid("the request body must be a JSON object".into()));
    }
    serde_json::from_value(value).map_err(|e| invalid(format!("the request body is not valid: {e}")))
}

/// A client-side query string from a query type (its `None` fields left out).
pub(crate) fn query_string<T: Serialize>(query: &T) -> String {
    serde_urlencoded::to_string(query).unwrap_or_default()
}

/// `path` with each `{name}` replaced by its percent-encoded value.
pub(crate) fn path_fill(path: &str, params: &[(&str, String)]) -> String {
    let mut out = path.to_owned();
    for (name, value) in params {
        out = out.replace(&format!("{{{name}}}"), &percent_encode(value));
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether an optional part of a declaration (a query or a body type) is there.
macro_rules! declared {
    () => {
        false
    };
    ($t:ty) => {
        true
    };
}
pub(crate) use declared;

/// Refuses a query string (beyond the token) on an operation that takes none.
pub(crate) fn query_none(query: Option<&str>) -> Result<(), Failure> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    match pairs.iter().find(|(k, _)| k != "token") {
        Some((k, _)) => Err(invalid(format!("this operation takes no query parameter; `{k}` is not one"))),
        None => Ok(()),
    }
}

/// Refuses a body on an operation that takes none (empty, or `{}`, is fine).
pub(crate) fn body_none(body: &Bytes) -> Result<(), Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(o)) if o.is_empty() => Ok(()),
        _ => Err(invalid("this operation takes no request body; send none".into())),
    }
}

/// A path parameter from a JSON object of arguments (a string, or a number for numeric ones).
pub(crate) fn json_path_param<T: std::str::FromStr>(
    args: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<T, Failure> {
    let text = match args.remove(name) {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(other) => return Err(invalid(format!("`{name}` must be a string, not {other}"))),
        None => return Err(invalid(format!("`{name}` is missing"))),
    };
    text.parse().map_err(|_| invalid(format!("`{text}` is not a valid `{name}`")))
}

/// The rest of the arguments as an operation's query or body type (which refuses unknown fields).
pub(crate) fn json_parse<T: DeserializeOwned>(rest: serde_json::Value) -> Result<T, Failure> {
    serde_json::from_value(rest).map_err(|e| invalid(format!("the arguments are not valid: {e}")))
}

/// Refuses arguments an operation does not take.
pub(crate) fn json_none(rest: &serde_json::Value) -> Result<(), Failure> {
    match rest.as_object().and_then(|o| o.keys().next()) {
        Some(k) => Err(invalid(format!("this operation takes no argument `{k}`"))),
        None => Ok(()),
    }
}

pub(crate) fn json_answer<T: Serialize>(out: &T) -> Result<serde_json::Value, Failure> {
    serde_json::to_value(out)
        .map_err(|e| Failure(ApiError::new(ErrorCode::Internal, format!("cannot encode the answer: {e}"))))
}

/// Declares operations; see `table.rs`. Each yields an axum handler, a [`crate::client::DaemonClient`]
/// method, and an [`OpSpec`].
macro_rules! operations {
    ($(
        $group:literal {$(
            $(#[doc = $doc:literal])*
            $name:ident: $method:ident $path:literal
                $(path($($p:ident: $pt:ty),+))?
                $(query($qv:ident: $q:ty))?
                $(body($bv:ident: $b:ty))?
                -> $status:literal $answer:ty
                $(, errors($($err:ident),*))?
                => |$s:ident| $run:expr;
        )*}
    )*) => {
        /// Every operation, in declaration order.
        pub fn specs() -> Vec<$crate::ops::OpSpec> {
            vec![$($(
                $crate::ops::OpSpec {
                    name: stringify!($name),
                    group: $group,
                    method: stringify!($method),
                    path: $path,
                    doc: &[$($doc),*],
                    status: $status,
                    errors: &[$($(baton_core::ErrorCode::$err),*)?],
                    path_params: |_g| vec![$($((stringify!($p), $crate::ops::schema_of::<$pt>(_g))),+)?],
                    query: None$(.or(Some(|g| $crate::ops::schema_of::<$q>(g))))?,
                    body: None$(.or(Some(|g| $crate::ops::schema_of::<$b>(g))))?,
                    answer: |g| $crate::ops::schema_of::<$answer>(g),
                    ts: |cfg| {
                        let mut imports = Vec::new();
                        let path_params = vec![$($((stringify!($p), $crate::ops::ts_type::<$pt>(cfg, &mut imports))),+)?];
                        let query = None$(.or(Some($crate::ops::ts_type::<$q>(cfg, &mut imports))))?;
                        let body = None$(.or(Some($crate::ops::ts_type::<$b>(cfg, &mut imports))))?;
                        let answer = $crate::ops::ts_type::<$answer>(cfg, &mut imports);
                        $crate::ops::TsSignature { path_params, query, body, answer, imports }
                    },
                },
            )*)*]
        }

        /// The axum routes of every operation.
        pub(crate) fn routes() -> axum::Router<$crate::server::Shared> {
            let router = axum::Router::new();
            $($(
                let router = router.route($path, axum::routing::on(axum::routing::MethodFilter::$method, handlers::$name));
            )*)*
            router
        }

        mod handlers {
            #[allow(clippy::wildcard_imports)]
            use super::*;
            use axum::response::IntoResponse;

            $($(
                pub(super) async fn $name(
                    axum::extract::State(state): axum::extract::State<$crate::server::Shared>,
                    _raw: Result<axum::extract::RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
                    _uri: axum::http::Uri,
                    _bytes: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
                ) -> axum::response::Response {
                    let answer = async move {
                        let _bytes = $crate::ops::body_read(_bytes)?;
                        $($(let $p: $pt = $crate::ops::path_param(&_raw, stringify!($p))?;)+)?
                        // An operation that takes no query or no body refuses one, rather than
                        // ignoring what a client meant to say.
                        if !$crate::ops::declared!($($q)?) {
                            $crate::ops::query_none(_uri.query())?;
                        }
                        if !$crate::ops::declared!($($b)?) {
                            $crate::ops::body_none(&_bytes)?;
                        }
                        $(let $qv: $q = $crate::ops::query_parse(_uri.query())?;)?
                        $(let $bv: $b = $crate::ops::body_parse(&_bytes)?;)?
                        let out: $answer = $crate::server::blocking(&state, move |$s| $run).await?;
                        let status = axum::http::StatusCode::from_u16($status)
                            .unwrap_or(axum::http::StatusCode::OK);
                        Ok::<_, $crate::server::Failure>((status, axum::Json(out)).into_response())
                    };
                    answer.await.unwrap_or_else(IntoResponse::into_response)
                }
            )*)*
        }

        /// Runs an operation by name, its path parameters, query and body given together as
        /// one JSON object (how an MCP tool call names them): the same checks and engine call
        /// as its HTTP route.
        pub(crate) async fn op_call(
            state: &$crate::server::Shared,
            name: &str,
            args: serde_json::Map<String, serde_json::Value>,
        ) -> Result<serde_json::Value, $crate::server::Failure> {
            #[allow(unused_mut)]
            let mut _args = args;
            match name {
                $($(
                    stringify!($name) => {
                        $($(let $p: $pt = $crate::ops::json_path_param(&mut _args, stringify!($p))?;)+)?
                        let _rest = serde_json::Value::Object(_args);
                        if !$crate::ops::declared!($($q)?) && !$crate::ops::declared!($($b)?) {
                            $crate::ops::json_none(&_rest)?;
                        }
                        $(let $qv: $q = $crate::ops::json_parse(_rest.clone())?;)?
                        $(let $bv: $b = $crate::ops::json_parse(_rest.clone())?;)?
                        let out: $answer = $crate::server::blocking(state, move |$s| $run).await?;
                        $crate::ops::json_answer(&out)
                    }
                )*)*
                _ => Err($crate::server::Failure(baton_core::ApiError::new(
                    baton_core::ErrorCode::NotFound,
                    format!("no operation is named {name:?}"),
                ))),
            }
        }

        impl $crate::client::DaemonClient {$($(
            $(#[doc = $doc])*
            pub fn $name(
                &self
                $($(, $p: impl std::fmt::Display)+)?
                $(, $qv: &$q)?
                $(, $bv: &$b)?
            ) -> Result<$answer, $crate::DaemonError> {
                let params: &[(&str, String)] = &[$($((stringify!($p), $p.to_string())),+)?];
                let path = $crate::ops::path_fill($path, params);
                let query: Option<String> = None$(.or(Some($crate::ops::query_string($qv))))?;
                let body: Option<serde_json::Value> = None$(.or(Some(serde_json::to_value($bv).unwrap_or_default())))?;
                self.call(stringify!($method), &path, query.as_deref(), body.as_ref())
            }
        )*)*}
    };
}
pub(crate) use operations;
