//! The API's OpenAPI 3.1 document, made from the operations' declarations and the JSON Schemas
//! of their Rust types (schemars). Served at `GET /api/openapi.json` and committed as
//! `docs/openapi.json` (a test fails when that copy is stale).

use std::collections::BTreeMap;

use baton_core::ApiError;
use baton_core::events::EngineEvent;
use baton_core::terminal::{TerminalClientMessage, TerminalServerMessage};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::{OpSpec, specs, status_of};

pub fn document() -> Value {
    let mut generator =
        SchemaSettings::draft2020_12().with(|s| s.definitions_path = "/components/schemas".into()).into_generator();
    let error_schema = serde_json::to_value(generator.subschema_for::<ApiError>()).unwrap_or_default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for op in specs() {
        let operation = operation_object(&op, &mut generator, &error_schema);
        paths.entry(op.path.to_owned()).or_default().insert(op.method.to_lowercase(), operation);
    }
    let events = serde_json::to_value(generator.subschema_for::<Vec<EngineEvent>>()).unwrap_or_default();
    paths.entry("/api/events".into()).or_default().insert(
        "get".into(),
        json!({
            "operationId": "events",
            "tags": ["daemon"],
            "summary": "The engine's events as server-sent events: each message (`event: batch`) is a JSON array of events; `event: resync` says events were dropped and the client should reload.",
            "responses": {
                "200": {"description": "An event stream that lasts until the daemon stops.",
                        // Each `data:` line is one JSON array of events (schema in `x-data-schema`;
                        // OpenAPI 3.1 has no field for the items of a stream).
                        "content": {"text/event-stream": {"schema": {"type": "string"}, "x-data-schema": events}}},
                "401": error_response(&error_schema, "unauthorized"),
            },
        }),
    );
    let client_messages = serde_json::to_value(generator.subschema_for::<TerminalClientMessage>()).unwrap_or_default();
    let server_messages = serde_json::to_value(generator.subschema_for::<TerminalServerMessage>()).unwrap_or_default();
    paths.entry("/api/terminals/{id}/socket".into()).or_default().insert(
        "get".into(),
        json!({
            "operationId": "terminal_socket",
            "tags": ["terminals"],
            "summary": "A WebSocket joining a viewer to a terminal: output as binary frames of raw bytes (the scrollback first), input and resizes as JSON text frames (a binary frame is raw input); when the program has ended and its output is sent, an `exit` message, then the socket closes.",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {
                // OpenAPI 3.1 cannot describe a socket's messages: their schemas are in
                // `x-client-messages` and `x-server-messages`.
                "101": {"description": "Switching to the WebSocket protocol.",
                        "x-client-messages": client_messages, "x-server-messages": server_messages},
                "400": error_response(&error_schema, "invalid_input"),
                "401": error_response(&error_schema, "unauthorized"),
                "404": error_response(&error_schema, "not_found"),
            },
        }),
    );
    paths.entry("/api/openapi.json".into()).or_default().insert(
        "get".into(),
        json!({
            "operationId": "openapi",
            "tags": ["daemon"],
            "summary": "This document.",
            "responses": {
                "200": {"description": "The OpenAPI 3.1 document of the API.", "content": {"application/json": {"schema": {"type": "object"}}}},
                "401": error_response(&error_schema, "unauthorized"),
            },
        }),
    );
    let schemas: Map<String, Value> = generator.definitions().clone();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Baton",
            "version": baton_core::VERSION,
            "description": "The local HTTP API of the Baton daemon. It listens on 127.0.0.1 only; every request needs `Authorization: Bearer TOKEN` (or `?token=TOKEN`), the token being in `daemon.json` in BATON_HOME. Errors are `{code, message}`.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "security": [{"bearer": []}, {"token": []}],
        "tags": tags(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "token": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
    })
}

fn tags() -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    for op in specs() {
        if !seen.contains(&op.group) {
            seen.push(op.group);
        }
    }
    seen.into_iter().map(|name| json!({"name": name})).collect()
}

fn operation_object(op: &OpSpec, generator: &mut schemars::SchemaGenerator, error_schema: &Value) -> Value {
    let mut parameters: Vec<Value> = (op.path_params)(generator)
        .into_iter()
        .map(|(name, schema)| json!({"name": name, "in": "path", "required": true, "schema": schema}))
        .collect();
    if let Some(query) = op.query {
        let schema = serde_json::to_value(query(generator)).unwrap_or_default();
        let schema = resolve(&schema, generator);
        let required: Vec<&str> =
            schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if let Some(props) = schema["properties"].as_object() {
            for (name, prop) in props {
                parameters.push(json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": not_null(prop),
                }));
            }
        }
    }
    let mut responses = Map::new();
    let answer = serde_json::to_value((op.answer)(generator)).unwrap_or_default();
    responses.insert(
        op.status.to_string(),
        json!({"description": "Done.", "content": {"application/json": {"schema": answer}}}),
    );
    let mut by_status: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for code in op.error_codes() {
        let name = serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        by_status.entry(status_of(code)).or_default().push(name);
    }
    for (status, codes) in by_status {
        responses.insert(status.to_string(), error_response(error_schema, &codes.join(", ")));
    }
    let mut operation = json!({
        "operationId": op.name,
        "tags": [op.group],
        "summary": op.doc.first().map(|l| l.trim()).unwrap_or_default(),
        "responses": responses,
    });
    let description: Vec<&str> = op.doc.iter().map(|l| l.trim()).collect();
    if description.len() > 1 {
        operation["description"] = json!(description.join(" "));
    }
    if !parameters.is_empty() {
        operation["parameters"] = json!(parameters);
    }
    if let Some(body) = op.body {
        let schema = serde_json::to_value(body(generator)).unwrap_or_default();
        // An empty body counts as `{}`: one is required only when some field is.
        let required = resolve(&schema, generator)["required"].as_array().is_some_and(|r| !r.is_empty());
        operation["requestBody"] = json!({"required": required, "content": {"application/json": {"schema": schema}}});
    }
    operation
}

fn error_response(schema: &Value, codes: &str) -> Value {
    json!({"description": format!("Refused or failed: `{{code, message}}` with code {codes}."), "content": {"application/json": {"schema": schema}}})
}

/// The schema a `$ref` points to among the generator's definitions.
fn resolve(schema: &Value, generator: &schemars::SchemaGenerator) -> Value {
    match schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        Some(name) => generator.definitions().get(name).cloned().unwrap_or_default(),
        None => schema.clone(),
    }
}

/// A query parameter is absent rather than null: its schema without the `null` alternative.
fn not_null(schema: &Value) -> Value {
    let mut out = schema.clone();
    if let Some(types) = schema["type"].as_array() {
        let kept: Vec<&Value> = types.iter().filter(|t| t.as_str() != Some("null")).collect();
        out["type"] = if kept.len() == 1 { kept[0].clone() } else { json!(kept) };
    }
    out
}
