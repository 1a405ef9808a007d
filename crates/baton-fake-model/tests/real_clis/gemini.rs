//! Gemini CLI 0.61.0 against the fake Gemini API.

use std::process::Command;

use baton_fake_model::{AgentCli, FakeModel, RecordedRequest, Scenario, Step, cli_setup};
use serde_json::{Value, json};

use crate::support::{Workspace, run};

const KEY: &str = "gemini-test-key";

/// `gemini -m gemini-2.5-pro -p PROMPT --output-format stream-json --approval-mode auto_edit <rest>`.
fn gemini(fake: &FakeModel, ws: &Workspace, prompt: &str, rest: &[&str]) -> Command {
    let mut command = cli_setup(AgentCli::Gemini, &fake.url(), KEY, &ws.home).command();
    command.args(["-p", prompt, "--output-format", "stream-json", "--approval-mode", "auto_edit"]);
    command.args(rest).current_dir(&ws.repo);
    command
}

fn turns(fake: &FakeModel) -> Vec<RecordedRequest> {
    fake.requests(KEY).into_iter().filter(RecordedRequest::is_model_turn).collect()
}

fn declared_tools(request: &RecordedRequest) -> Vec<String> {
    request.body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["functionDeclarations"].as_array().cloned().unwrap_or_default())
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn gemini_writes_a_file_then_resumes_the_session() {
    let ws = Workspace::new();
    let hello = ws.repo.join("hello.txt");
    let scenario = Scenario::new([
        Step::tool_call("write_file", json!({"file_path": hello, "content": "hello from fake model\n"}))
            .with_text("I'll create the file."),
        Step::text("Created hello.txt."),
        Step::tool_call("read_file", json!({"file_path": hello})),
        Step::text("Second turn: read hello.txt back."),
    ]);
    let fake = FakeModel::start([(KEY.to_owned(), scenario)]);

    let first = run("gemini", gemini(&fake, &ws, "create hello.txt", &[]));
    assert!(first.status.success(), "{}", first.transcript());
    assert_eq!(std::fs::read_to_string(&hello).unwrap(), "hello from fake model\n");
    let init = first.one("init");
    assert_eq!(init["model"], "gemini-2.5-pro");
    let session_id = init["session_id"].as_str().unwrap().to_owned();
    let tool_use = first.one("tool_use");
    assert_eq!(tool_use["tool_name"], "write_file");
    let tool_result = first.one("tool_result");
    assert_eq!(tool_result["tool_id"], tool_use["tool_id"]);
    assert_eq!(tool_result["status"], "success");
    let result = first.one("result");
    assert_eq!(result["status"], "success");
    assert_eq!(result["stats"]["tool_calls"], 1);
    assert!(result["stats"]["input_tokens"].as_u64().unwrap() > 0);

    // What Gemini sent: only streamGenerateContent (no routing request, thanks to -m), the key in
    // x-goog-api-key, the write tool declared in auto_edit, the function response coming back.
    let sent = turns(&fake);
    assert_eq!(sent.len(), 2);
    assert_eq!(fake.all_requests().len(), 2, "no other requests");
    for request in &sent {
        assert_eq!(request.path, "/v1beta/models/gemini-2.5-pro:streamGenerateContent");
        assert_eq!(request.query.as_deref(), Some("alt=sse"));
        assert_eq!(request.headers.get("x-goog-api-key").map(String::as_str), Some(KEY));
        assert!(declared_tools(request).contains(&"write_file".to_owned()));
    }
    let contents = sent[1].body["contents"].as_array().unwrap();
    let response = contents.last().unwrap()["parts"][0]["functionResponse"].clone();
    assert_eq!(response["name"], "write_file", "{contents:#?}");
    assert!(response["response"].to_string().contains("Successfully created"), "{response}");

    let second = run("gemini", gemini(&fake, &ws, "now read it back", &["--resume", &session_id]));
    assert!(second.status.success(), "{}", second.transcript());
    assert_eq!(second.one("init")["session_id"], session_id.as_str());
    assert_eq!(second.one("tool_use")["tool_name"], "read_file");
    assert_eq!(second.one("tool_result")["status"], "success");
    assert_eq!(second.one("result")["status"], "success");
    let text: String = second
        .of_type("message")
        .into_iter()
        .filter(|m| m["role"] == "assistant")
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Second turn: read hello.txt back.");
    let history = turns(&fake)[2].body["contents"].to_string();
    assert!(
        history.contains("create hello.txt")
            && history.contains("Created hello.txt.")
            && history.contains("now read it back")
    );
}

#[test]
fn gemini_auto_edit_leaves_run_shell_command_unregistered() {
    let ws = Workspace::new();
    let scenario = Scenario::new([
        Step::tool_call("run_shell_command", json!({"command": "touch x"})).with_text("I'll run touch."),
        Step::text("I could not run it."),
    ]);
    let fake = FakeModel::start([(KEY.to_owned(), scenario)]);
    let done = run("gemini", gemini(&fake, &ws, "create x", &[]));

    // auto_edit does not offer the shell tool at all, so the call is refused as an unknown tool
    // (not as a denied permission), the turn goes on, and the run still counts as a success.
    assert!(done.status.success(), "{}", done.transcript());
    assert!(!ws.repo.join("x").exists());
    assert!(!declared_tools(&turns(&fake)[0]).contains(&"run_shell_command".to_owned()));
    let tool_use = done.one("tool_use");
    assert_eq!(tool_use["tool_name"], "run_shell_command");
    assert_eq!(tool_use["parameters"], json!({"command": "touch x"}));
    let tool_result = done.one("tool_result");
    assert_eq!(tool_result["tool_id"], tool_use["tool_id"]);
    assert_eq!(tool_result["status"], "error");
    assert_eq!(tool_result["error"]["type"], "tool_not_registered", "{tool_result}");
    assert!(tool_result["error"]["message"].as_str().unwrap().contains("Tool \"run_shell_command\" not found"));
    assert_eq!(done.one("result")["status"], "success");
    // The refusal went back to the model as the function's response.
    let contents = turns(&fake)[1].body["contents"].clone();
    let response: &Value = &contents.as_array().unwrap().last().unwrap()["parts"][0]["functionResponse"];
    assert_eq!(response["name"], "run_shell_command");
    assert!(response.to_string().contains("not found"), "{response}");
}

#[test]
fn gemini_reports_an_api_error_as_an_error_result() {
    let ws = Workspace::new();
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::error(400, "fake bad request")]))]);
    let done = run("gemini", gemini(&fake, &ws, "create hello.txt", &[]));

    // The exit code is the HTTP status modulo 256 (400 -> 144).
    assert_eq!(done.status.code(), Some(144), "{}", done.transcript());
    let result = done.one("result");
    assert_eq!(result["status"], "error");
    assert!(result["error"]["message"].as_str().unwrap().contains("fake bad request"), "{result}");
    assert_eq!(turns(&fake).len(), 1, "maxAttempts 1: no retry");
}
