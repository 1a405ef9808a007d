//! The OpenAPI document and the TypeScript client are made from the operations' declarations;
//! the committed copies must match, and the document must describe every route the daemon
//! answers (and nothing it does not).

use std::path::Path;

use crate::support::{TestDaemon, http};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn fresh_or_update(rel: &str, fresh: &str) {
    let path = root().join(rel);
    if std::env::var_os("BATON_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{rel} is stale: run `make bindings` (BATON_UPDATE_BINDINGS=1 cargo test -p baton-daemon --test daemon generated) and commit"
    );
}

#[test]
fn generated_openapi_and_typescript_client_are_fresh() {
    let doc = serde_json::to_string_pretty(&baton_daemon::ops::openapi::document()).unwrap() + "\n";
    fresh_or_update("docs/openapi.json", &doc);
    fresh_or_update("ui/src/lib/api.ts", &baton_daemon::ops::typescript::client());
}

#[test]
fn the_openapi_document_matches_the_router() {
    let d = TestDaemon::start();
    let served: serde_json::Value = http()
        .get(&d.url("/api/openapi.json"))
        .header("Authorization", &format!("Bearer {}", d.token()))
        .call()
        .unwrap()
        .into_body()
        .read_json()
        .unwrap();
    assert_eq!(served, baton_daemon::ops::openapi::document());
    let paths = served["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented += 1;
            if path == "/api/daemon/stop" || path == "/api/events" {
                continue; // stops the daemon; streams forever (both covered by their own tests)
            }
            // Every placeholder filled with something no record has: the route must exist
            // (a refusal with a code of the operation's own), not fall through to "no such route".
            let concrete = path.replace("{n}", "1").replace(['{', '}'], "");
            let request = http().run(
                ureq::http::Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(d.url(&concrete))
                    .header("Authorization", format!("Bearer {}", d.token()))
                    .header("Content-Type", "application/json")
                    .body(if method == "get" || method == "delete" { String::new() } else { "{}".into() })
                    .unwrap(),
            );
            let response = request.unwrap();
            let status = response.status().as_u16();
            let body = response.into_body().read_to_string().unwrap();
            assert!(
                !body.contains("no such API route") && !body.contains("does not take that method"),
                "{method} {path} is documented but not routed: {status} {body}"
            );
            let declared = item[method]["responses"].as_object().unwrap();
            assert!(
                declared.contains_key(&status.to_string()),
                "{method} {path} answered {status}, which its document does not declare: {body}"
            );
        }
    }
    let declared_ops = baton_daemon::ops::specs().len();
    assert_eq!(
        documented,
        declared_ops + 3,
        "every operation, plus the event stream, the terminal socket and the document itself"
    );
}
