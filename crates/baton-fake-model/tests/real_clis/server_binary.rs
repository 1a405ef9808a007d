//! The `baton-fake-model` binary: scenario files (keyed and default), the printed URL, the
//! request record, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[test]
fn the_binary_serves_scenario_files_until_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let keyed = dir.path().join("keyed.json");
    let default = dir.path().join("default.json");
    let record = dir.path().join("requests.jsonl");
    std::fs::write(&keyed, json!({"key": "k1", "steps": [{"text": "for k1"}]}).to_string()).unwrap();
    std::fs::write(&default, json!({"steps": [{"error": {"status": 429, "message": "slow down"}}]}).to_string())
        .unwrap();

    let mut server = Command::new(env!("CARGO_BIN_EXE_baton-fake-model"))
        .args(["--port", "0", "--record"])
        .arg(&record)
        .arg("--scenario")
        .args([&keyed, &default])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}"));

    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let request = json!({"model": "gpt-5.5", "stream": false, "input": []});
    let mut answer =
        agent.post(format!("{url}/v1/responses")).header("authorization", "Bearer k1").send_json(&request).unwrap();
    let body: Value = answer.body_mut().read_json().unwrap();
    assert_eq!(body["output"][0]["content"][0]["text"], "for k1");
    let other =
        agent.post(format!("{url}/v1/responses")).header("authorization", "Bearer k2").send_json(&request).unwrap();
    assert_eq!(other.status(), 429);

    let pid = rustix::process::Pid::from_child(&server);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = server.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let recorded: Vec<Value> =
        std::fs::read_to_string(&record).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let keys: Vec<&Value> = recorded.iter().map(|r| &r["key"]).collect();
    assert_eq!(keys, [&json!("k1"), &json!("k2")]);
}

#[test]
fn the_binary_names_the_file_of_a_bad_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"steps": [{"text": "hi", "tool": {}}]}"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_baton-fake-model")).arg("--scenario").arg(&bad).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.json") && stderr.contains("unknown field `tool`"), "{stderr}");
}
