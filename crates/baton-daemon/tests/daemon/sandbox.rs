//! Agents confined to their worktree (bubblewrap), and where they are not, their escapes seen:
//! writes into the user's checkout and home fail in the sandbox and raise `escape` alerts
//! without it; a user's ref moved by an agent is put back with a `ref_moved` alert; an agent in
//! the sandbox still commits on its branch, and its work diffs and merges.
//!
//! Agents see the daemon's home (the test process's): files written there have unique names
//! and are removed by the test. The unconfined path is the sandbox turned off in settings.json,
//! which runs the same code as a machine without bubblewrap.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentEvent, AgentSpawn};
use baton_core::api::{AgentDiffQuery, AlertListQuery};
use baton_core::health::{Alert, AlertKind};
use baton_core::session::SessionCreate;
use baton_core::worktree::merge::MergeRequest;

use crate::support::{TestDaemon, repo_new};

/// A daemon (the sandbox off when `unconfined`) with a session `s` over a new repository.
fn daemon(unconfined: bool) -> (TestDaemon, std::path::PathBuf) {
    let d = TestDaemon::start();
    if unconfined {
        std::fs::write(d.home.settings_file(), r#"{"agents": {"sandbox": "off"}}"#).unwrap();
    }
    let repo = repo_new(d.tmp.path(), "repo");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    (d, repo.canonicalize().unwrap())
}

/// A file of the user's home no one else uses, removed when dropped.
struct HomeFile(std::path::PathBuf);

impl HomeFile {
    fn new() -> Self {
        let home = std::env::var_os("HOME").expect("HOME is set");
        let name = format!("baton-escape-test-{}-{}", std::process::id(), baton_core::ids::new_id("f"));
        Self(Path::new(&home).join(name))
    }
}

impl Drop for HomeFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn spawn(d: &TestDaemon, name: &str, script: &str) -> Agent {
    let script = format!("exec > {OUT} 2>&1; {script}");
    d.client
        .agent_spawn(&AgentSpawn {
            session: "s".into(),
            cli: CliKind::Command,
            prompt: String::new(),
            name: Some(name.into()),
            model: None,
            allow_tools: vec![],
            program: vec!["bash".into(), "-c".into(), script],
            cwd: None,
        })
        .unwrap()
}

fn ended(d: &TestDaemon, id: &str) -> Agent {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = d.client.agent_get(id).unwrap();
        if !a.state.is_active() {
            return a;
        }
        assert!(Instant::now() < deadline, "agent {} never ended", a.name);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What the agent printed: its script writes its output to `OUT` in its worktree (a command
/// agent's terminal output is not among its events), removed once read; and its lane's notices.
fn output(d: &TestDaemon, a: &Agent) -> String {
    let file = Path::new(&a.cwd).join(OUT);
    let mut out = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::remove_file(&file);
    let events = d
        .client
        .agent_events(
            &a.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap();
    for e in events {
        if let AgentEvent::Notice { message } = e.event {
            out.push_str(&message);
            out.push('\n');
        }
    }
    out
}

const OUT: &str = ".agent-output";

/// Waits until the agent has alerts of `kind` (at least `n`), and returns them.
fn alerts(d: &TestDaemon, agent: &Agent, kind: AlertKind, n: usize) -> Vec<Alert> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = d.client.alert_list(&AlertListQuery { session: Some("s".into()), all: Some(true) }).unwrap();
        let found: Vec<Alert> =
            all.into_iter().filter(|a| a.kind == kind && a.agent_id.as_deref() == Some(&agent.id)).collect();
        if found.len() >= n {
            return found;
        }
        assert!(Instant::now() < deadline, "no {kind:?} alert for {}: {found:?}", agent.name);
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn rev(repo: &Path, what: &str) -> String {
    let out = Command::new("git").arg("-C").arg(repo).args(["rev-parse", "--verify", "-q", what]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

const COMMIT: &str = "git -c user.name=a -c user.email=a@example.com commit -q";

#[test]
fn in_the_sandbox_writes_to_the_checkout_and_home_fail_and_its_own_branch_commits_diff_and_merge() {
    let (d, repo) = daemon(false);
    let home_file = HomeFile::new();
    let script = format!(
        "echo evil > {repo}/escaped.txt || echo CHECKOUT-REFUSED; \
         echo evil >> {home} || echo HOME-REFUSED; \
         git update-ref refs/heads/main HEAD 2>&1 || echo REF-REFUSED; \
         echo private > /tmp/scratch && echo TMP-WRITABLE; \
         echo work > work.txt && git add work.txt && {COMMIT} -m work && echo COMMITTED",
        repo = repo.display(),
        home = home_file.0.display()
    );
    let a = spawn(&d, "boxed", &script);
    let a = ended(&d, &a.id);
    let out = output(&d, &a);
    for said in ["CHECKOUT-REFUSED", "HOME-REFUSED", "REF-REFUSED", "TMP-WRITABLE", "COMMITTED"] {
        assert!(out.contains(said), "{said} missing from the agent's output: {out}");
    }
    assert!(out.contains("Read-only file system"), "the refusal is reported: {out}");
    assert!(!repo.join("escaped.txt").exists() && !home_file.0.exists());
    assert!(!Path::new("/tmp/scratch").exists(), "the sandbox's /tmp is its own");
    assert!(!out.contains("runs unconfined"), "{out}");

    // Its commit is on its branch: diffed, then merged into main.
    let diff = d.client.agent_diff(&a.id, &AgentDiffQuery { patch: Some(true) }).unwrap();
    assert_eq!(diff.files.len(), 1, "{diff:?}");
    assert!(diff.patch.unwrap().contains("+work"));
    let before = rev(&repo, "refs/heads/main");
    let merged = d.client.agent_merge(&a.id, &MergeRequest::default()).unwrap();
    assert!(merged.ok, "{merged:?}");
    assert_ne!(rev(&repo, "refs/heads/main"), before);
    let all = d.client.alert_list(&AlertListQuery { session: Some("s".into()), all: Some(true) }).unwrap();
    assert!(all.iter().all(|al| al.kind != AlertKind::Escape && al.kind != AlertKind::RefMoved), "{all:?}");
}

#[test]
fn unconfined_writes_to_the_checkout_and_home_raise_an_escape_alert_naming_the_files() {
    let (d, repo) = daemon(true);
    let home_file = HomeFile::new();
    let script = format!(
        "echo evil > {repo}/escaped.txt; echo evil >> {home}; echo work > work.txt; sleep 0.3",
        repo = repo.display(),
        home = home_file.0.display()
    );
    let a = spawn(&d, "loose", &script);
    ended(&d, &a.id);
    let out = output(&d, &a);
    assert!(out.contains("runs unconfined") && out.contains("turned off"), "said in the lane: {out}");
    let alert = alerts(&d, &a, AlertKind::Escape, 1).remove(0);
    for file in [repo.join("escaped.txt"), home_file.0.clone()] {
        assert!(alert.message.contains(&file.display().to_string()), "{} in {}", file.display(), alert.message);
    }
    assert!(!alert.message.contains("work.txt"), "its worktree is its own: {}", alert.message);
    assert!(alert.message.contains("agent loose"));
    // An event, not a condition: still open after the sampler ran again.
    std::thread::sleep(Duration::from_secs(3));
    let open = d.client.alert_list(&AlertListQuery { session: Some("s".into()), all: None }).unwrap();
    assert!(open.iter().any(|al| al.id == alert.id), "{open:?}");
}

#[test]
fn an_agent_moving_the_users_branch_is_caught_and_the_branch_put_back() {
    // Unconfined, where the refs folder is writable (in the sandbox the move fails, above).
    let (d, repo) = daemon(true);
    let main = rev(&repo, "refs/heads/main");
    let script = format!(
        "echo work > work.txt && git add work.txt && {COMMIT} -m work && \
         git update-ref refs/heads/main HEAD && git update-ref refs/heads/evil HEAD && git tag v-evil && echo MOVED"
    );
    let a = spawn(&d, "mover", &script);
    ended(&d, &a.id);
    let out = output(&d, &a);
    assert!(out.contains("MOVED"), "{out}");
    let found = alerts(&d, &a, AlertKind::RefMoved, 3);
    let moved = found.iter().find(|al| al.message.contains("refs/heads/main")).expect("main's alert");
    assert!(moved.message.contains("was moved") && moved.message.contains(&main[..12]), "{}", moved.message);
    assert!(moved.message.contains("put it back"), "{}", moved.message);
    assert!(moved.way_on.contains("git update-ref refs/heads/main"), "{}", moved.way_on);
    assert!(found.iter().any(|al| al.message.contains("refs/heads/evil was created")));
    assert!(found.iter().any(|al| al.message.contains("refs/tags/v-evil was created")));
    assert_eq!(rev(&repo, "refs/heads/main"), main);
    assert_eq!(rev(&repo, "refs/heads/evil"), "");
    assert_eq!(rev(&repo, "refs/tags/v-evil"), "");
    // The agent's work shows as its own again, not "no changes".
    let diff = d.client.agent_diff(&a.id, &AgentDiffQuery { patch: Some(false) }).unwrap();
    assert_eq!(diff.files.len(), 1, "{diff:?}");
}

/// The command line of the agent's process (its pid is bubblewrap's when confined).
fn cmdline(a: &Agent) -> String {
    let pid = a.pid.expect("a process");
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

#[test]
fn claude_code_runs_its_turns_confined_and_cannot_write_the_checkout() {
    use baton_fake_model::{AgentCli, FakeModel, Scenario, Step};
    use serde_json::json;

    use crate::real_clis::{KEY, session, settings_write, turn_done, until, worktree};
    let d = TestDaemon::start();
    let (s, repo) = session(&d);
    let work = worktree(&d, "claude-1");
    let command = format!("echo in > inside.txt; echo out > {}/escaped.txt || echo refused", repo.display());
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::tool_call("Bash", json!({"command": command, "description": "write two files"})),
            Step::text("Done."),
            Step::text("Still here."),
        ]),
    )]);
    settings_write(&d, AgentCli::Claude, &fake);
    let a = d
        .client
        .agent_spawn(&AgentSpawn {
            session: s.clone(),
            cli: CliKind::Claude,
            prompt: "write two files".into(),
            name: None,
            model: None,
            allow_tools: vec!["Bash".into()],
            program: vec![],
            cwd: None,
        })
        .unwrap();
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    assert!(cmdline(&a).contains("bwrap") && cmdline(&a).contains("--unshare-pid"), "{}", cmdline(&a));
    assert_eq!(std::fs::read_to_string(work.join("inside.txt")).unwrap(), "in\n");
    assert!(!repo.join("escaped.txt").exists(), "the checkout is read-only in the sandbox");
    let requests = fake.requests(KEY);
    let told = serde_json::to_string(&requests.last().unwrap().body).unwrap();
    assert!(told.contains("Read-only file system") && told.contains("refused"), "the model is told: {told}");
    // Its session is in its writable state folder: a follow-up continues it.
    d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "and now?".into(), from: None }).unwrap();
    let a = until(&d, &a.id, "finished the second turn", turn_done(2));
    assert_eq!(a.state, baton_core::agent::AgentState::Waiting);
}

#[test]
fn codex_runs_a_command_confined_and_resumes_its_session() {
    use baton_fake_model::{AgentCli, FakeModel, Scenario, Step};
    use serde_json::json;

    use crate::real_clis::{KEY, session, settings_write, turn_done, until};
    let d = TestDaemon::start();
    let (s, repo) = session(&d);
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::tool_call("exec_command", json!({"cmd": "sleep 2; printf 'from codex\\n' > inside.txt"}))
                .with_text("Writing it."),
            Step::text("Done."),
            Step::text("Again."),
        ]),
    )]);
    settings_write(&d, AgentCli::Codex, &fake);
    let a = crate::real_clis::spawn(&d, &s, CliKind::Codex, "write inside.txt");
    let running = until(&d, &a.id, "started", |a| a.pid.is_some() && a.state.is_active());
    assert!(cmdline(&running).contains("bwrap"), "{}", cmdline(&running));
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    assert_eq!(std::fs::read_to_string(Path::new(&a.cwd).join("inside.txt")).unwrap(), "from codex\n");
    assert!(!repo.join("inside.txt").exists());
    d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "again".into(), from: None }).unwrap();
    let a = until(&d, &a.id, "finished the follow-up", turn_done(2));
    assert_eq!(a.state, baton_core::agent::AgentState::Waiting);
}

#[test]
fn the_users_own_commit_on_main_during_a_confined_turn_is_kept() {
    let (d, repo) = daemon(false);
    let a = spawn(&d, "slow", "sleep 2; echo work > work.txt; echo done");
    let committed = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["-c", "user.name=u", "-c", "user.email=u@example.com"])
        .args(["commit", "-q", "--allow-empty", "-m", "mine"])
        .status()
        .unwrap();
    assert!(committed.success());
    let mine = rev(&repo, "refs/heads/main");
    let a = ended(&d, &a.id);
    assert!(output(&d, &a).contains("done"));
    // The check ran (it comes before the checkpoint of what the process left, work.txt) and
    // left main where the user put it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while d.client.agent_checkpoints(&a.id).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no checkpoint after the process's end");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(rev(&repo, "refs/heads/main"), mine);
    let all = d.client.alert_list(&AlertListQuery { session: Some("s".into()), all: Some(true) }).unwrap();
    assert!(all.iter().all(|al| al.kind != AlertKind::RefMoved), "{all:?}");
}

#[test]
fn a_confined_agent_sees_neither_the_daemons_token_nor_the_database_only_its_own_folder() {
    let (d, _repo) = daemon(false);
    let home = d.home.root().canonicalize().unwrap();
    assert!(home.join("daemon.json").is_file() && home.join("baton.db").is_file());
    let script = format!(
        "cat {home}/daemon.json || echo TOKEN-HIDDEN; \
         test -e {home}/baton.db || echo DB-HIDDEN; \
         test -d {home}/agents/$BATON_AGENT && echo OWN-FOLDER",
        home = home.display()
    );
    let a = spawn(&d, "reader", &script);
    let out = output(&d, &ended(&d, &a.id));
    for said in ["TOKEN-HIDDEN", "DB-HIDDEN", "OWN-FOLDER"] {
        assert!(out.contains(said), "{said} missing: {out}");
    }
    let token = baton_daemon::daemon_file::daemon_file_read(&home.join("daemon.json")).unwrap().token;
    assert!(!out.contains(&token), "the daemon's token leaked: {out}");
}
