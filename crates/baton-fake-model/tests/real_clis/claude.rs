//! Claude Code 2.1.197 against the fake Anthropic Messages API.

use std::process::Command;

use baton_fake_model::{AgentCli, FakeModel, RecordedRequest, Scenario, Step, cli_setup};
use serde_json::{Value, json};

use crate::support::{Finished, Run, Workspace, run};

const KEY: &str = "claude-test-key";

fn claude(fake: &FakeModel, ws: &Workspace) -> Command {
    let mut command = cli_setup(AgentCli::Claude, &fake.url(), KEY, &ws.home).command();
    command.current_dir(&ws.repo);
    command
}

fn user_line(text: &str) -> String {
    json!({"type": "user", "message": {"role": "user", "content": text}}).to_string()
}

/// The model turns Claude made (the `HEAD /` probe and anything else left out).
fn turns(fake: &FakeModel) -> Vec<RecordedRequest> {
    fake.requests(KEY).into_iter().filter(RecordedRequest::is_model_turn).collect()
}

/// The content blocks of the last user message of a Messages request.
fn last_user_blocks(request: &RecordedRequest) -> Vec<Value> {
    let messages = request.body["messages"].as_array().unwrap();
    let last = messages.iter().rev().find(|m| m["role"] == "user").unwrap();
    match &last["content"] {
        Value::Array(blocks) => blocks.clone(),
        text => vec![json!({"type": "text", "text": text})],
    }
}

fn write_hello(ws: &Workspace) -> Step {
    let path = ws.repo.join("hello.txt");
    Step::tool_call("Write", json!({"file_path": path, "content": "hello from fake model\n"}))
        .with_text("I'll create the file.")
}

#[test]
fn claude_writes_a_file_over_stdin_stream_json_and_reports_cost() {
    let ws = Workspace::new();
    let fake =
        FakeModel::start([(KEY.to_owned(), Scenario::new([write_hello(&ws), Step::text("Created hello.txt.")]))]);
    let mut command = claude(&fake, &ws);
    command.args([
        "-p",
        "--input-format",
        "stream-json",
        "--output-format",
        "stream-json",
        "--verbose",
        "--permission-mode",
        "acceptEdits",
    ]);
    let mut cli = Run::start("claude", command, true);
    cli.send_line(&user_line("create hello.txt"));
    let result = cli.wait_for("result", |l| l["type"] == "result");
    let done = cli.finish();

    assert!(done.status.success(), "{}", done.transcript());
    assert_eq!(std::fs::read_to_string(ws.repo.join("hello.txt")).unwrap(), "hello from fake model\n");
    assert_eq!(result["subtype"], "success", "{}", done.transcript());
    assert_eq!(result["is_error"], false);
    assert_eq!(result["result"], "Created hello.txt.");
    assert_eq!(result["num_turns"], 2);
    assert!(result["total_cost_usd"].as_f64().unwrap() > 0.0, "no cost: {result}");
    assert_eq!(result["permission_denials"], json!([]));

    let init = done.lines.iter().find(|l| l["type"] == "system" && l["subtype"] == "init").unwrap();
    assert_eq!(init["permissionMode"], "acceptEdits");
    assert_eq!(init["apiKeySource"], "ANTHROPIC_API_KEY");
    let tool_use = done
        .of_type("assistant")
        .into_iter()
        .flat_map(|l| l["message"]["content"].as_array().unwrap().clone())
        .find(|b| b["type"] == "tool_use")
        .unwrap();
    assert_eq!(tool_use["name"], "Write");

    // What Claude sent: a HEAD / probe, then one streamed request per model turn, the second
    // carrying the Write tool's result.
    let all = fake.all_requests();
    assert_eq!((all[0].method.as_str(), all[0].path.as_str()), ("HEAD", "/"));
    let turns = turns(&fake);
    assert_eq!(turns.len(), 2, "{all:#?}");
    for turn in &turns {
        assert_eq!(turn.path, "/v1/messages");
        assert_eq!(turn.query.as_deref(), Some("beta=true"));
        assert_eq!(turn.body["stream"], true);
        assert!(turn.body["tools"].as_array().unwrap().iter().any(|t| t["name"] == "Write"));
    }
    let blocks = last_user_blocks(&turns[1]);
    let tool_result = blocks.iter().find(|b| b["type"] == "tool_result").unwrap();
    assert_eq!(tool_result["tool_use_id"], tool_use["id"]);
    assert!(tool_result["content"].to_string().contains("File created successfully"), "{tool_result}");
}

#[test]
fn claude_answers_a_second_message_on_stdin_with_a_second_result() {
    let ws = Workspace::new();
    let read_back = Step::tool_call("Read", json!({"file_path": ws.repo.join("hello.txt")}));
    let scenario = Scenario::new([
        write_hello(&ws),
        Step::text("Created hello.txt."),
        read_back,
        Step::text("Second turn: I read hello.txt back."),
    ]);
    let fake = FakeModel::start([(KEY.to_owned(), scenario)]);
    let mut command = claude(&fake, &ws);
    command.args([
        "-p",
        "--input-format",
        "stream-json",
        "--output-format",
        "stream-json",
        "--verbose",
        "--permission-mode",
        "acceptEdits",
    ]);
    let mut cli = Run::start("claude", command, true);
    cli.send_line(&user_line("create hello.txt"));
    let first = cli.wait_for("first result", |l| l["type"] == "result");
    // Sent only after the first result: a message sent mid-turn joins the running turn.
    cli.send_line(&user_line("now read it back"));
    let second = cli.wait_for("second result", |l| l["type"] == "result");
    let done = cli.finish();

    assert!(done.status.success(), "{}", done.transcript());
    assert_eq!(first["result"], "Created hello.txt.");
    assert_eq!(second["result"], "Second turn: I read hello.txt back.");
    assert_eq!(first["session_id"], second["session_id"]);
    let tool_results: Vec<Value> = done
        .of_type("user")
        .into_iter()
        .flat_map(|l| l["message"]["content"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["type"] == "tool_result")
        .collect();
    assert_eq!(tool_results.len(), 2, "{}", done.transcript());
    assert!(tool_results[1]["content"].to_string().contains("hello from fake model"));

    // The second message's first request carries the whole first exchange, then the new text.
    let turns = turns(&fake);
    assert_eq!(turns.len(), 4);
    let history = turns[2].body["messages"].to_string();
    assert!(history.contains("create hello.txt") && history.contains("Created hello.txt."), "{history}");
    assert!(last_user_blocks(&turns[2]).iter().any(|b| b.to_string().contains("now read it back")));
}

#[test]
fn claude_denies_bash_in_default_mode_then_runs_it_on_resume_with_allowed_tools() {
    let ws = Workspace::new();
    let touch = || Step::tool_call("Bash", json!({"command": "touch x", "description": "Create x"}));
    let scenario = Scenario::new([
        touch().with_text("I'll create x."),
        Step::text("I was not allowed to run touch."),
        touch(),
        Step::text("Created x."),
    ]);
    let fake = FakeModel::start([(KEY.to_owned(), scenario)]);

    let mut first = claude(&fake, &ws);
    first.args(["-p", "create x", "--output-format", "stream-json", "--verbose", "--permission-mode", "default"]);
    let denied = run("claude", first);
    assert!(denied.status.success(), "{}", denied.transcript());
    assert!(!ws.repo.join("x").exists());
    let result = denied.one("result");
    // A denial is not an error of the run: success, exit 0, and the denial listed.
    assert_eq!(result["subtype"], "success");
    assert_eq!(result["is_error"], false);
    let denials = result["permission_denials"].as_array().unwrap();
    assert_eq!(denials.len(), 1, "{result}");
    assert_eq!(denials[0]["tool_name"], "Bash");
    assert_eq!(denials[0]["tool_input"]["command"], "touch x");
    let session_id = result["session_id"].as_str().unwrap().to_owned();

    let mut resumed = claude(&fake, &ws);
    resumed.args(["-p", "continue", "--output-format", "stream-json", "--verbose"]);
    resumed.args(["--resume", &session_id, "--allowedTools", "Bash"]);
    let allowed = run("claude", resumed);
    assert!(allowed.status.success(), "{}", allowed.transcript());
    assert!(ws.repo.join("x").exists(), "{}", allowed.transcript());
    let result = allowed.one("result");
    assert_eq!(result["session_id"], session_id.as_str());
    assert_eq!(result["result"], "Created x.");
    assert_eq!(result["permission_denials"], json!([]));

    // The resumed session resent the history, with the denied call's error result in it.
    let turns = turns(&fake);
    assert_eq!(turns.len(), 4);
    let history = turns[2].body["messages"].to_string();
    assert!(history.contains("touch x") && history.contains("is_error"), "{history}");
}

#[test]
fn claude_reports_an_api_error_as_an_error_result_and_exit_1() {
    let ws = Workspace::new();
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::error(400, "fake bad request")]))]);
    let mut command = claude(&fake, &ws);
    command.args(["-p", "create hello.txt", "--output-format", "stream-json", "--verbose"]);
    let done: Finished = run("claude", command);

    assert_eq!(done.status.code(), Some(1), "{}", done.transcript());
    let result = done.one("result");
    assert_eq!(result["is_error"], true);
    assert_eq!(result["api_error_status"], 400);
    assert!(result["result"].as_str().unwrap().contains("fake bad request"), "{result}");
    // A 400 is not retried.
    assert_eq!(turns(&fake).len(), 1);
}
