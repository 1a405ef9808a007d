//! Requests are strict: unknown fields, a body that is not an object, a bad path or query, and
//! names with control characters or of a megabyte are refused with `{code, message}` before
//! anything happens, and the user's checkout is never touched by a misspelt request.

use baton_core::agent::AgentSpawn;
use baton_core::agent::protocol::CliKind;
use baton_core::session::SessionCreate;

use crate::support::{TestDaemon, http, repo_new};

/// Sends a raw request; returns the status and the JSON body.
fn send(d: &TestDaemon, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    let response = http()
        .run(
            ureq::http::Request::builder()
                .method(method)
                .uri(d.url(path))
                .header("Authorization", format!("Bearer {}", d.token()))
                .header("Content-Type", "application/json")
                .body(body.to_owned())
                .unwrap(),
        )
        .unwrap();
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string().unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {status} {text}"));
    (status, json)
}

fn git(repo: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").args(args).current_dir(repo).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn a_misspelt_or_malformed_merge_request_merges_nothing() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "r");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let agent = d
        .client
        .agent_spawn(&AgentSpawn {
            session: "s".into(),
            cli: CliKind::Command,
            prompt: String::new(),
            name: Some("w".into()),
            model: None,
            allow_tools: vec![],
            program: vec![
                "sh".into(),
                "-c".into(),
                "echo work > work.txt && git add work.txt && git commit -qm work".into(),
            ],
            cwd: None,
        })
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while d.client.agent_get(&agent.id).unwrap().state.is_active() {
        assert!(std::time::Instant::now() < deadline, "the agent never ended");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let before = git(&repo, &["rev-parse", "HEAD"]);

    for body in [r#"{"dry_run": true}"#, "[]", "[true]", "\"x\"", "12", "{not json"] {
        let (status, json) = send(&d, "POST", &format!("/api/agents/{}/merge", agent.id), body);
        assert_eq!(status, 400, "{body}: {json}");
        assert_eq!(json["code"], "invalid_input", "{body}: {json}");
        assert_eq!(git(&repo, &["rev-parse", "HEAD"]), before, "{body} merged");
    }
    let (_, json) = send(&d, "POST", &format!("/api/agents/{}/merge", agent.id), r#"{"dry_run": true}"#);
    assert!(json["message"].as_str().unwrap().contains("dry_run"), "the unknown field is named: {json}");

    let nul = send(&d, "POST", &format!("/api/agents/{}/merge", agent.id), r#"{"into": "main\u0000x"}"#);
    assert_eq!((nul.0, nul.1["code"].as_str()), (400, Some("invalid_input")), "{}", nul.1);
    let huge = format!(r#"{{"into": "{}"}}"#, "b".repeat(1_500_000));
    let long = send(&d, "POST", &format!("/api/agents/{}/merge", agent.id), &huge);
    assert_eq!((long.0, long.1["code"].as_str()), (400, Some("invalid_input")), "{}", long.1);
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), before);

    // A real dry run still works, and says what would happen.
    let (status, json) = send(&d, "POST", &format!("/api/agents/{}/merge", agent.id), r#"{"dryRun": true}"#);
    assert_eq!(status, 200, "{json}");
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), before);
}

#[test]
fn path_query_and_method_errors_are_coded_json() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "r");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    for (method, path, status, code) in [
        ("POST", "/api/agents/x/checkpoints/notanumber/restore", 400, "invalid_input"),
        ("POST", "/api/agents/x/checkpoints/-1/restore", 400, "invalid_input"),
        ("GET", "/api/agents/x/events?after=soon", 400, "invalid_input"),
        ("GET", "/api/agents?sesion=s", 400, "invalid_input"),
        ("GET", "/api/tasks", 400, "invalid_input"),
        ("GET", "/api/artifacts/search", 400, "invalid_input"),
        ("GET", "/api/sessions/s/cycles?limit=-3", 400, "invalid_input"),
        ("DELETE", "/api/sessions/s", 405, "invalid_input"),
        ("PUT", "/api/agents", 405, "invalid_input"),
        ("GET", "/api/nothing/here", 404, "not_found"),
        ("GET", "/api/agents/%00", 404, "not_found"),
    ] {
        let (got, json) = send(&d, method, path, "");
        assert_eq!((got, json["code"].as_str().unwrap()), (status, code), "{method} {path}: {json}");
        assert!(!json["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn names_with_control_characters_or_too_long_are_refused() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "r");
    let repo = repo.to_string_lossy();
    let long = "n".repeat(300);
    for name in ["a\u{0}b", "line\nbreak", long.as_str()] {
        let body = serde_json::json!({"repo": repo, "name": name}).to_string();
        let (status, json) = send(&d, "POST", "/api/sessions", &body);
        assert_eq!((status, json["code"].as_str().unwrap()), (400, "invalid_input"), "{json}");
    }
    let (status, json) =
        send(&d, "POST", "/api/sessions", &serde_json::json!({"repo": repo, "name": "ok"}).to_string());
    assert_eq!(status, 201, "{json}");
    for body in [
        serde_json::json!({"session": "ok", "cli": "command", "prompt": "", "program": ["true"], "name": "a\u{7}"}),
        serde_json::json!({"session": "ok", "cli": "command", "prompt": "", "program": ["true"], "name": long}),
        serde_json::json!({"session": "ok", "cli": "command", "prompt": "", "program": ["true"], "nmae": "x"}),
    ] {
        let (status, json) = send(&d, "POST", "/api/agents", &body.to_string());
        assert_eq!((status, json["code"].as_str().unwrap()), (400, "invalid_input"), "{body}: {json}");
    }
    assert!(d.client.agent_list(&Default::default()).unwrap().is_empty(), "no agent was made");
}

#[test]
fn large_bodies_are_read_and_too_large_ones_refused_with_a_coded_error() {
    let d = TestDaemon::start();
    // A context document with its artifacts is often over the usual 2 MiB.
    let big = serde_json::json!({"repo": "x".repeat(3 * 1024 * 1024)}).to_string();
    let (status, json) = send(&d, "POST", "/api/sessions", &big);
    assert_eq!((status, json["code"].as_str().unwrap()), (404, "path_not_found"), "read and judged: {}", status);
    let huge = format!(r#"{{"repo": "{}"}}"#, "x".repeat(65 * 1024 * 1024));
    let (status, json) = send(&d, "POST", "/api/sessions", &huge);
    assert_eq!((status, json["code"].as_str().unwrap()), (400, "invalid_input"));
    assert!(json["message"].as_str().unwrap().contains("64 MiB"), "{json}");
}

#[test]
fn operations_without_a_query_or_body_refuse_one_and_nul_bytes_never_reach_a_process() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "r");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let (status, json) = send(&d, "GET", "/api/sessions?bogus=1", "");
    assert_eq!((status, json["code"].as_str().unwrap()), (400, "invalid_input"), "{json}");
    assert!(json["message"].as_str().unwrap().contains("bogus"));
    let (status, json) = send(&d, "POST", "/api/sessions/s/pause", "[1]");
    assert_eq!((status, json["code"].as_str().unwrap()), (400, "invalid_input"), "{json}");
    assert_eq!(send(&d, "POST", "/api/sessions/s/pause", "{}").0, 200, "an empty object is no body");
    assert_eq!(
        send(&d, "GET", &format!("/api/sessions?token={}", d.token()), "").0,
        200,
        "the token is not a parameter"
    );

    for body in [
        serde_json::json!({"session": "s", "cli": "command", "prompt": "", "program": ["echo", "a\u{0}b"]}),
        serde_json::json!({"session": "s", "cli": "codex", "prompt": "do\u{0}it"}),
    ] {
        let (status, json) = send(&d, "POST", "/api/agents", &body.to_string());
        assert_eq!((status, json["code"].as_str().unwrap()), (400, "invalid_input"), "{body}: {json}");
        assert!(json["message"].as_str().unwrap().contains("NUL byte"), "{json}");
    }
    assert!(d.client.agent_list(&Default::default()).unwrap().is_empty(), "no agent was recorded");
}
