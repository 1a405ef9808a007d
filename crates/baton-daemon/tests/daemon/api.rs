use std::io::{BufRead, BufReader};

use baton_core::ErrorCode;
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_daemon::DaemonError;

use crate::support::{TestDaemon, http, repo_new};

#[test]
fn requests_without_the_right_token_get_401() {
    let d = TestDaemon::start();
    let agent = http();
    let none = agent.get(&d.url("/api/sessions")).call().unwrap();
    assert_eq!(none.status(), 401);
    let body: serde_json::Value = none.into_body().read_json().unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("daemon.json"));

    let wrong = agent.get(&d.url("/api/sessions")).header("Authorization", "Bearer nope").call().unwrap();
    assert_eq!(wrong.status(), 401);
    let wrong_query = agent.get(&d.url("/api/health?token=nope")).call().unwrap();
    assert_eq!(wrong_query.status(), 401);

    let right =
        agent.get(&d.url("/api/sessions")).header("Authorization", &format!("Bearer {}", d.token())).call().unwrap();
    assert_eq!(right.status(), 200);
    let by_query = agent.get(&d.url(&format!("/api/health?token={}", d.token()))).call().unwrap();
    assert_eq!(by_query.status(), 200);
}

#[test]
fn cors_preflight_is_answered_and_responses_allow_any_origin() {
    let d = TestDaemon::start();
    let pre = http()
        .options(&d.url("/api/sessions"))
        .header("Origin", "tauri://localhost")
        .header("Access-Control-Request-Method", "POST")
        .call()
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
}

#[test]
fn sessions_over_the_api_with_coded_errors() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "r");
    let s = d
        .client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("one".into()), parent: None })
        .unwrap();
    assert_eq!(d.client.session_list().unwrap(), vec![s.clone()]);
    assert_eq!(d.client.session_get("one").unwrap(), s);

    let err = d
        .client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("one".into()), parent: None })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DuplicateName);
    let err = d
        .client
        .session_create(&SessionCreate { repo: d.tmp.path().to_string_lossy().into(), name: None, parent: None })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotAGitRepo);
    let err = d.client.session_get("missing").unwrap_err();
    assert!(matches!(err, DaemonError::Api(ref e) if e.code == ErrorCode::NotFound), "{err:?}");

    let archived = d
        .client
        .session_update(&s.id, &SessionUpdate { name: None, archived: Some(true), ..Default::default() })
        .unwrap();
    assert_eq!(archived.state, baton_core::session::SessionState::Archived);
    assert_eq!(d.client.health().unwrap().sessions, 0);
}

#[test]
fn a_malformed_body_is_invalid_input() {
    let d = TestDaemon::start();
    let res = http()
        .post(&d.url("/api/sessions"))
        .header("Authorization", &format!("Bearer {}", d.token()))
        .header("Content-Type", "application/json")
        .send("{\"repo\": 42")
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.into_body().read_json().unwrap();
    assert_eq!(body["code"], "invalid_input");
}

#[test]
fn events_stream_batches_of_engine_events() {
    let d = TestDaemon::start();
    let res = http().get(&d.url(&format!("/api/events?token={}", d.token()))).call().unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut lines = BufReader::new(res.into_body().into_reader()).lines();

    let repo = repo_new(d.tmp.path(), "r");
    let s = d
        .client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: None, parent: None })
        .unwrap();

    let mut event_name = None;
    let data = loop {
        let line = lines.next().expect("stream open").unwrap();
        if let Some(name) = line.strip_prefix("event: ") {
            event_name = Some(name.to_owned());
        }
        if let Some(data) = line.strip_prefix("data: ") {
            break data.to_owned();
        }
    };
    assert_eq!(event_name.as_deref(), Some("batch"));
    let batch: Vec<baton_core::events::EngineEvent> = serde_json::from_str(&data).unwrap();
    assert_eq!(batch, vec![baton_core::events::EngineEvent::SessionCreated { session: s }]);
}

#[test]
fn stopping_ends_open_event_streams_and_removes_the_daemon_file() {
    let d = TestDaemon::start();
    let res = http().get(&d.url(&format!("/api/events?token={}", d.token()))).call().unwrap();
    let file = d.home.daemon_file();
    assert!(file.exists());
    let reader = std::thread::spawn(move || {
        let mut body = String::new();
        // Ends (with Ok or a reset) once the daemon closes the stream.
        let _ = std::io::Read::read_to_string(&mut res.into_body().into_reader(), &mut body);
    });
    d.stop().unwrap();
    reader.join().unwrap();
    assert!(!file.exists(), "daemon file removed on stop");
}

#[test]
fn a_sessions_report_over_the_api_as_markdown_or_html_and_saved_to_a_file() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "r");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("rep".into()), parent: None })
        .unwrap();
    let auth = format!("Bearer {}", d.token());
    let get = |query: &str| {
        http().get(&d.url(&format!("/api/sessions/rep/report{query}"))).header("Authorization", &auth).call().unwrap()
    };

    let md: serde_json::Value = get("").into_body().read_json().unwrap();
    assert_eq!(md["format"], "md", "Markdown unless asked");
    assert_eq!(md["title"], "Report: rep");
    assert!(md["text"].as_str().unwrap().starts_with("# Report: rep\n"));
    let html: serde_json::Value = get("?format=html").into_body().read_json().unwrap();
    assert!(html["text"].as_str().unwrap().starts_with("<!DOCTYPE html>"));
    let bad = get("?format=pdf");
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.into_body().read_json().unwrap();
    assert_eq!(body["code"], "invalid_input");

    let path = d.tmp.path().join("rep.html");
    let saved = d
        .client
        .session_report_save(
            "rep",
            &baton_core::report::ReportSave {
                path: path.to_string_lossy().into(),
                format: Some(baton_core::report::ReportFormat::Html),
            },
        )
        .unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().len() as u64, saved.bytes);
    let err = d
        .client
        .session_report_save("rep", &baton_core::report::ReportSave { path: "/no/such/dir/r.md".into(), format: None })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PathNotFound);
}
