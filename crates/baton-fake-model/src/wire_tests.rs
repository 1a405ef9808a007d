//! The server over real HTTP, without the CLIs: scripts per key, the three streams, errors,
//! delays and the request record.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Api, FakeModel, Scenario, Step};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Status and body of a POST.
fn post(url: &str, headers: &[(&str, &str)], body: &Value) -> (u16, String) {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send_json(body).unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

/// `(event name, data)` pairs of an SSE body.
fn sse(body: &str) -> Vec<(Option<String>, Value)> {
    body.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = Value::Null;
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name.to_owned());
                } else if let Some(json) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(json).unwrap();
                }
            }
            (event, data)
        })
        .collect()
}

fn anthropic(fake: &FakeModel, key: &str) -> (u16, String) {
    let body = json!({"model": "claude-opus-4-8", "stream": true, "max_tokens": 100,
                      "messages": [{"role": "user", "content": "hi"}], "thinking": {"type": "adaptive"}});
    post(&format!("{}/v1/messages?beta=true", fake.url()), &[("x-api-key", key)], &body)
}

fn openai(fake: &FakeModel, key: &str) -> (u16, String) {
    let body = json!({"model": "gpt-5.5", "stream": true, "input": []});
    post(&format!("{}/v1/responses", fake.url()), &[("authorization", &format!("Bearer {key}"))], &body)
}

fn gemini(fake: &FakeModel, key: &str) -> (u16, String) {
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    let url = format!("{}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key={key}", fake.url());
    post(&url, &[], &body)
}

/// The concatenated text deltas of an Anthropic stream.
fn anthropic_text(body: &str) -> String {
    sse(body).iter().filter_map(|(_, d)| d["delta"]["text"].as_str().map(str::to_owned)).collect()
}

#[test]
fn each_key_plays_its_own_script_with_its_own_cursor() {
    let fake = FakeModel::start([
        ("a".to_owned(), Scenario::new([Step::text("a0"), Step::text("a1")])),
        ("b".to_owned(), Scenario::new([Step::text("b0")])),
    ]);
    assert_eq!(anthropic_text(&anthropic(&fake, "a").1), "a0");
    assert_eq!(anthropic_text(&anthropic(&fake, "b").1), "b0");
    assert_eq!(anthropic_text(&anthropic(&fake, "a").1), "a1");
    // Past the last step: "done", again and again.
    assert_eq!(anthropic_text(&anthropic(&fake, "a").1), "done");
    assert_eq!(anthropic_text(&anthropic(&fake, "b").1), "done");
    assert_eq!(anthropic_text(&anthropic(&fake, "a").1), "done");

    let steps: Vec<Option<usize>> = fake.requests("a").iter().map(|r| r.step).collect();
    assert_eq!(steps, [Some(0), Some(1), Some(2), Some(3)]);
    assert_eq!(fake.requests("b").len(), 2);
}

#[test]
fn an_unknown_key_is_refused_in_the_provider_shape_unless_a_default_scenario_is_set() {
    let fake = FakeModel::start([("known".to_owned(), Scenario::new([Step::text("hi")]))]);
    let (status, body) = anthropic(&fake, "stranger");
    assert_eq!(status, 401);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "authentication_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("\"stranger\"") && message.contains("known"), "{message}");
    let (status, body) = openai(&fake, "stranger");
    assert_eq!(status, 401);
    assert!(serde_json::from_str::<Value>(&body).unwrap()["error"]["message"].is_string());
    let (status, body) = gemini(&fake, "stranger");
    assert_eq!(status, 401);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["status"], "UNAUTHENTICATED");
    assert!(fake.requests("stranger").iter().all(|r| r.status == 401 && r.step.is_none()));

    let fake = FakeModel::builder().default_scenario(Scenario::new([Step::text("anyone")])).start().unwrap();
    // Each unknown key gets the default script from its start.
    assert_eq!(anthropic_text(&anthropic(&fake, "x").1), "anyone");
    assert_eq!(anthropic_text(&anthropic(&fake, "y").1), "anyone");
    assert_eq!(anthropic_text(&anthropic(&fake, "x").1), "done");
}

#[test]
fn anthropic_stream_has_the_real_event_sequence() {
    let input = json!({"file_path": "/r/hello.txt", "content": "a longer content that is split into several deltas\n"});
    let fake = FakeModel::start([(
        "k".to_owned(),
        Scenario::new([Step::tool_call("Write", input.clone()).with_text("I'll create the file."), Step::text("ok")]),
    )]);
    let (status, body) = anthropic(&fake, "k");
    assert_eq!(status, 200);
    let events = sse(&body);
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_deref().unwrap()).collect();
    let mut expected =
        vec!["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop"];
    expected.push("content_block_start");
    let input_deltas = names.iter().filter(|n| **n == "content_block_delta").count() - 1;
    assert!(input_deltas > 1, "the tool input streams in pieces");
    expected.extend(std::iter::repeat_n("content_block_delta", input_deltas));
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, expected);
    for (name, data) in &events {
        assert_eq!(data["type"], name.as_deref().unwrap(), "the data's type names its event");
    }
    let start = &events[0].1["message"];
    assert_eq!(start["model"], "claude-opus-4-8");
    assert!(start["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(events[5].1["content_block"]["name"], "Write");
    assert!(events[5].1["content_block"]["id"].as_str().unwrap().starts_with("toolu_"));
    let json: String = events.iter().filter_map(|(_, d)| d["delta"]["partial_json"].as_str()).collect();
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), input);
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert_eq!(events.iter().filter(|(e, _)| e.as_deref() == Some("content_block_start")).count(), 2);

    // The next step ends the turn; without "stream": true it comes back as one message.
    let body = json!({"model": "m", "messages": [], "max_tokens": 10});
    let (status, body) = post(&format!("{}/v1/messages", fake.url()), &[("authorization", "Bearer k")], &body);
    assert_eq!(status, 200);
    let message: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["content"], json!([{"type": "text", "text": "ok"}]));
}

#[test]
fn openai_stream_carries_function_and_custom_tool_calls() {
    let fake = FakeModel::start([(
        "k".to_owned(),
        Scenario::new([
            Step::tool_call("exec_command", json!({"cmd": "touch x"})).with_text("Running."),
            Step::tool_call("apply_patch", json!("*** Begin Patch\n*** End Patch\n")),
        ]),
    )]);
    let (status, body) = openai(&fake, "k");
    assert_eq!(status, 200);
    let events = sse(&body);
    for (index, (name, data)) in events.iter().enumerate() {
        assert_eq!(data["type"], name.as_deref().unwrap());
        assert_eq!(data["sequence_number"], index);
    }
    assert_eq!(events[0].0.as_deref(), Some("response.created"));
    let done: Vec<&Value> = events
        .iter()
        .filter(|(e, _)| e.as_deref() == Some("response.output_item.done"))
        .map(|(_, d)| &d["item"])
        .collect();
    assert_eq!(done.len(), 2);
    assert_eq!(done[0]["type"], "message");
    assert_eq!(done[0]["content"][0]["text"], "Running.");
    assert_eq!(done[1]["type"], "function_call");
    assert_eq!(done[1]["name"], "exec_command");
    assert_eq!(
        serde_json::from_str::<Value>(done[1]["arguments"].as_str().unwrap()).unwrap(),
        json!({"cmd": "touch x"})
    );
    let (last, completed) = events.last().unwrap();
    assert_eq!(last.as_deref(), Some("response.completed"));
    assert_eq!(completed["response"]["status"], "completed");
    assert_eq!(completed["response"]["output"].as_array().unwrap().len(), 2);
    let usage = &completed["response"]["usage"];
    assert_eq!(
        usage["total_tokens"],
        usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap()
    );

    let events = sse(&openai(&fake, "k").1);
    let item = events.iter().find(|(e, _)| e.as_deref() == Some("response.output_item.done")).unwrap();
    assert_eq!(item.1["item"]["type"], "custom_tool_call");
    assert_eq!(item.1["item"]["name"], "apply_patch");
    assert_eq!(item.1["item"]["input"], "*** Begin Patch\n*** End Patch\n");
}

/// The output items of a Responses stream, from its `response.output_item.done` events.
fn openai_items(body: &str) -> Vec<Value> {
    sse(body)
        .into_iter()
        .filter(|(e, _)| e.as_deref() == Some("response.output_item.done"))
        .map(|(_, d)| d["item"].clone())
        .collect()
}

#[test]
fn a_deferred_codex_tool_is_searched_for_before_its_namespaced_call() {
    let fake = FakeModel::start([(
        "k".to_owned(),
        Scenario::new([
            Step::tool_call("mcp__baton__insight_add", json!({"text": "slow parser"})).with_text("Noting it."),
            Step::text("Noted."),
        ]),
    )]);
    let url = format!("{}/v1/responses", fake.url());
    let auth = [("authorization", "Bearer k")];
    // As Codex 0.169 asks: MCP tools deferred, the client-side tool search offered.
    let tools = json!([{"type": "function", "name": "exec_command"}, {"type": "tool_search", "execution": "client"}]);
    let mut input =
        vec![json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "note"}]})];

    let body = json!({"model": "gpt-5.5", "stream": true, "tools": tools, "input": input});
    let items = openai_items(&post(&url, &auth, &body).1);
    assert_eq!(items.len(), 1, "the search alone, the text waits for the call: {items:#?}");
    let search = &items[0];
    assert_eq!(search["type"], "tool_search_call");
    assert_eq!(search["execution"], "client");
    assert_eq!(search["arguments"]["query"], "mcp__baton__insight_add insight add");

    // Codex answers the search with the namespaces it found.
    input.push(search.clone());
    input.push(json!({"type": "tool_search_output", "call_id": search["call_id"], "execution": "client",
                      "status": "completed", "tools": [{"type": "namespace", "name": "mcp__baton",
                      "description": "Baton", "tools": [{"type": "function", "name": "insight_add"}]}]}));
    let body = json!({"model": "gpt-5.5", "stream": true, "tools": tools, "input": input});
    let items = openai_items(&post(&url, &auth, &body).1);
    assert_eq!(items[0]["content"][0]["text"], "Noting it.");
    assert_eq!(items[1]["type"], "function_call");
    assert_eq!((&items[1]["namespace"], &items[1]["name"]), (&json!("mcp__baton"), &json!("insight_add")));

    let body = json!({"model": "gpt-5.5", "stream": true, "tools": tools, "input": input});
    assert_eq!(openai_items(&post(&url, &auth, &body).1)[0]["content"][0]["text"], "Noted.");
    // The search and the call both answered step 0.
    let steps: Vec<Option<usize>> = fake.requests("k").iter().map(|r| r.step).collect();
    assert_eq!(steps, vec![Some(0), Some(0), Some(1)]);
}

#[test]
fn gemini_stream_ends_with_finish_reason_and_usage() {
    let fake = FakeModel::start([(
        "k".to_owned(),
        Scenario::new([
            Step::tool_call("write_file", json!({"file_path": "/r/a", "content": "x"})).with_text("Writing.")
        ]),
    )]);
    let (status, body) = gemini(&fake, "k");
    assert_eq!(status, 200);
    let events = sse(&body);
    assert!(events.iter().all(|(name, _)| name.is_none()), "Gemini sends bare data: events");
    let parts: Vec<Value> =
        events.iter().flat_map(|(_, d)| d["candidates"][0]["content"]["parts"].as_array().unwrap().clone()).collect();
    assert_eq!(parts.first().unwrap()["text"], "Writing.");
    assert_eq!(
        parts.last().unwrap()["functionCall"],
        json!({"name": "write_file", "args": {"file_path": "/r/a", "content": "x"}})
    );
    let last = &events.last().unwrap().1;
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["modelVersion"], "gemini-2.5-pro");
    assert!(last["usageMetadata"]["candidatesTokenCount"].as_u64().unwrap() > 0);
    assert_eq!(fake.requests("k")[0].api, Api::Gemini);
}

#[test]
fn error_steps_answer_in_each_providers_error_shape() {
    let script = || Scenario::new([Step::error(400, "fake bad request"), Step::error(503, "busy")]);
    let fake = FakeModel::start([("k".to_owned(), script())]);
    let (status, body) = anthropic(&fake, "k");
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"type": "error", "error": {"type": "invalid_request_error", "message": "fake bad request"}})
    );
    assert_eq!(anthropic(&fake, "k").0, 503);

    let fake = FakeModel::start([("k".to_owned(), script())]);
    let (status, body) = openai(&fake, "k");
    assert_eq!(status, 400);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["message"], "fake bad request");
    assert_eq!(error["error"]["type"], "invalid_request_error");

    let fake = FakeModel::start([("k".to_owned(), script())]);
    let (status, body) = gemini(&fake, "k");
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"error": {"code": 400, "message": "fake bad request", "status": "INVALID_ARGUMENT"}})
    );
    let (status, body) = gemini(&fake, "k");
    assert_eq!(status, 503);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["status"], "UNAVAILABLE");
}

#[test]
fn a_delay_holds_the_answer_back() {
    let fake = FakeModel::start([(
        "k".to_owned(),
        Scenario::new([Step::text("slow").with_delay_ms(400), Step::error(500, "slow error").with_delay_ms(400)]),
    )]);
    let started = Instant::now();
    assert_eq!(anthropic_text(&anthropic(&fake, "k").1), "slow");
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    assert_eq!(anthropic(&fake, "k").0, 500);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[test]
fn every_request_is_recorded_and_unknown_paths_are_404() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("requests.jsonl");
    let fake =
        FakeModel::builder().scenario("k", Scenario::new([Step::text("hi")])).record_to(&record).start().unwrap();
    let head = agent().head(&fake.url()).call().unwrap();
    assert_eq!(head.status(), 200);
    anthropic(&fake, "k");
    let (status, body) =
        post(&format!("{}/v1/chat/completions", fake.url()), &[("authorization", "Bearer k")], &json!({}));
    assert_eq!(status, 404);
    assert!(body.contains("no route for POST /v1/chat/completions"), "{body}");

    let all = fake.all_requests();
    let summary: Vec<(Api, &str, &str, Option<usize>, u16)> =
        all.iter().map(|r| (r.api, r.method.as_str(), r.path.as_str(), r.step, r.status)).collect();
    assert_eq!(
        summary,
        [
            (Api::Other, "HEAD", "/", None, 200),
            (Api::Anthropic, "POST", "/v1/messages", Some(0), 200),
            (Api::Other, "POST", "/v1/chat/completions", None, 404),
        ]
    );
    let turn = &all[1];
    assert_eq!(turn.key.as_deref(), Some("k"));
    assert_eq!(turn.query.as_deref(), Some("beta=true"));
    assert_eq!(turn.headers.get("x-api-key").map(String::as_str), Some("k"));
    assert_eq!(turn.body["thinking"], json!({"type": "adaptive"}));

    let lines: Vec<Value> =
        std::fs::read_to_string(&record).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["api"], "anthropic");
    assert_eq!(lines[1]["body"]["model"], "claude-opus-4-8");
}

#[test]
fn an_invalid_scenario_or_a_taken_port_is_an_error() {
    let bad = FakeModel::builder().scenario("k", Scenario::new([Step::error(200, "not an error")])).start();
    let message = bad.err().unwrap().to_string();
    assert!(message.contains("`k`") && message.contains("400..=599"), "{message}");

    let fake = FakeModel::start([]);
    let taken = FakeModel::builder().port(fake.addr().port()).start();
    assert!(taken.err().unwrap().to_string().contains("cannot listen"));
}
