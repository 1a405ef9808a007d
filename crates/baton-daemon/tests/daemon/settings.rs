//! The settings operations over HTTP: a change made through the API is what the running daemon
//! uses at its next spawn, and a bad change is refused with the field it is about.

use baton_core::ErrorCode;
use baton_core::agent::AgentSpawn;
use baton_core::agent::protocol::CliKind;
use baton_core::api::{CliDetectQuery, SettingsUpdate};
use baton_core::session::SessionCreate;
use serde_json::json;

use crate::support::{TestDaemon, repo_new};

#[test]
fn a_change_through_the_api_is_used_by_the_next_spawn_without_a_restart() {
    let d = TestDaemon::start();
    let read = d.client.settings_get().unwrap();
    assert_eq!(read.path, d.home.settings_file().to_string_lossy());
    assert!(!read.exists);

    let repo = repo_new(d.tmp.path(), "r");
    let s = d
        .client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: None, parent: None })
        .unwrap();
    let patch = json!({ "clis": { "claude": { "binary": "/nowhere/set-through-the-api" } } });
    let read = d.client.settings_update(&SettingsUpdate { patch }).unwrap();
    assert!(read.exists);
    let req = AgentSpawn {
        session: s.id.clone(),
        cli: CliKind::Claude,
        prompt: "hello".into(),
        name: None,
        model: None,
        allow_tools: vec![],
        program: vec![],
        cwd: None,
    };
    let err = d.client.agent_spawn(&req).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CliMissing);
    assert!(err.to_string().contains("/nowhere/set-through-the-api"), "{err}");
    let found = d.client.settings_clis_detect(&CliDetectQuery { cli: Some(CliKind::Claude) }).unwrap();
    assert_eq!(found.len(), 1);
    assert!(found[0].configured && found[0].path.is_none());

    let err = d
        .client
        .settings_update(&SettingsUpdate { patch: json!({ "worktrees": { "retentionDayz": 3 } }) })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("worktrees.retentionDayz: unknown field"), "{err}");
    assert_eq!(d.client.settings_get().unwrap().settings, read.settings, "nothing changed");
}
