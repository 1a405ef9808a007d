//! Agents' worktrees over the HTTP API: live changed files pushed to clients, diff, merge with
//! its refusals as 409s with stable codes, checkpoints, removal and disk usage.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use baton_core::ErrorCode;
use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentSpawn};
use baton_core::events::EngineEvent;
use baton_core::session::SessionCreate;
use baton_core::worktree::merge::{MergeRequest, MergeStrategy};
use baton_daemon::DaemonError;

use crate::support::{TestDaemon, http, repo_new};

fn spawn(d: &TestDaemon, name: &str, script: &str) -> Agent {
    d.client
        .agent_spawn(&AgentSpawn {
            session: "s".into(),
            cli: CliKind::Command,
            prompt: String::new(),
            name: Some(name.into()),
            model: None,
            allow_tools: vec![],
            program: vec!["bash".into(), "-c".into(), script.into()],
            cwd: None,
        })
        .unwrap()
}

fn ended(d: &TestDaemon, id: &str) -> Agent {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let a = d.client.agent_get(id).unwrap();
        if !a.state.is_active() {
            return a;
        }
        assert!(Instant::now() < deadline, "agent {} never ended", a.name);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn code(e: DaemonError) -> ErrorCode {
    match e {
        DaemonError::Api(api) => api.code,
        other => panic!("not an API error: {other}"),
    }
}

#[test]
fn changed_files_are_pushed_live_as_the_agent_writes() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "repo");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let client = d.client.clone();
    std::thread::spawn(move || {
        let _ = client.events_follow(|batch| {
            for e in batch {
                if let EngineEvent::AgentChanges { files, .. } = e {
                    let _ = tx.send(files.into_iter().map(|f| (f.path, f.status)).collect::<Vec<_>>());
                }
            }
            true
        });
    });
    std::thread::sleep(Duration::from_millis(300));
    // Writes one file, waits, writes in a new folder, then waits for a message on stdin.
    let a = spawn(
        &d,
        "writer",
        "printf 'x\\n' > one.txt; sleep 1; mkdir -p deep/er; printf 'y\\n' > deep/er/two.txt; read l",
    );
    let want =
        vec![("deep/er/two.txt".to_owned(), "untracked".to_owned()), ("one.txt".to_owned(), "untracked".to_owned())];
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    while seen != want {
        let left = deadline.saturating_duration_since(Instant::now());
        seen = rx.recv_timeout(left).unwrap_or_else(|_| panic!("never pushed {want:?}; last {seen:?}"));
        seen.sort();
    }
    assert_eq!(d.client.agent_changes(&a.id).unwrap().len(), 2);
    d.client.agent_stop(&a.id).unwrap();
}

#[test]
fn merge_refusals_are_conflicts_with_stable_codes_and_work_is_diffed_and_removed() {
    let d = TestDaemon::start();
    let repo = repo_new(d.tmp.path(), "repo");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let a = spawn(&d, "alice", "printf 'alice\\n' > f.txt");
    let b = spawn(&d, "bob", "printf 'bob\\n' > f.txt");
    let busy = spawn(&d, "busy", "printf 'z\\n' > z.txt; sleep 30");
    ended(&d, &a.id);
    ended(&d, &b.id);

    let diff = d.client.agent_diff(&a.id, &baton_core::api::AgentDiffQuery { patch: Some(true) }).unwrap();
    assert_eq!(diff.files.len(), 1);
    assert!(diff.patch.unwrap().contains("+alice"));
    assert!(
        d.client.agent_diff(&a.id, &baton_core::api::AgentDiffQuery { patch: Some(false) }).unwrap().patch.is_none(),
        "stats only"
    );

    let merged = d.client.agent_merge(&a.id, &MergeRequest::default()).unwrap();
    assert!(merged.ok && merged.commit.is_some(), "{merged:?}");
    let conflict = d.client.agent_merge(&b.id, &MergeRequest::default()).unwrap_err();
    assert_eq!(code(conflict), ErrorCode::MergeConflict);
    assert_eq!(code(d.client.agent_merge(&busy.id, &MergeRequest::default()).unwrap_err()), ErrorCode::AgentBusy);
    // The user's own work in progress, staged in their checkout.
    std::fs::write(repo.join("README.md"), "mine\n").unwrap();
    let staged = std::process::Command::new("git").arg("-C").arg(&repo).args(["add", "README.md"]).status().unwrap();
    assert!(staged.success());
    let dirty = d
        .client
        .agent_merge(
            &busy.id,
            &MergeRequest { strategy: MergeStrategy::Merge, dry_run: true, into: None, message: None },
        )
        .unwrap();
    assert!(!dirty.ok && dirty.refusal.is_some());
    d.client.agent_stop(&busy.id).unwrap();
    assert_eq!(code(d.client.agent_merge(&busy.id, &MergeRequest::default()).unwrap_err()), ErrorCode::DirtyCheckout);

    // The HTTP status of a refusal is 409, with the `{code, message}` body.
    let raw = http()
        .post(&d.url(&format!("/api/agents/{}/merge", b.id)))
        .header("Authorization", &format!("Bearer {}", d.token()))
        .send_json(serde_json::json!({"strategy": "rebase"}))
        .unwrap();
    assert_eq!(raw.status(), 409);
    let body: serde_json::Value = raw.into_body().read_json().unwrap();
    assert_eq!(body["code"], "dirty_checkout", "the dirty checkout is checked first: {body}");
    let bad = http()
        .post(&d.url(&format!("/api/agents/{}/merge", b.id)))
        .header("Authorization", &format!("Bearer {}", d.token()))
        .send_json(serde_json::json!({"strategy": "octopus"}))
        .unwrap();
    assert_eq!(bad.status(), 400);

    assert!(d.client.worktrees_usage().unwrap().disk_bytes > 0);
    let checkpoints = d.client.agent_checkpoints(&b.id).unwrap();
    assert!(checkpoints.len() <= 1);
    let removed = d.client.agent_remove(&b.id, &baton_core::api::AgentRemoveQuery { force: Some(true) }).unwrap();
    assert!(!Path::new(&removed.worktree.unwrap().path).exists());
    // Archived, not deleted: still there to read.
    assert!(d.client.agent_get(&b.id).unwrap().archived_at.is_some());
}
