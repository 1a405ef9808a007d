//! The real agent CLIs (pinned, installed in tests/agent-clis) run through the daemon against
//! the project's fake model server: files really written, events, cost and state right,
//! follow-ups, permission recovery, resume after a daemon restart, abort of the whole group.

use std::path::Path;
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentEvent, AgentSpawn, AgentState};
use baton_core::session::SessionCreate;
use baton_fake_model::{AgentCli, FakeModel, Scenario, Step, cli_bin, cli_setup};
use serde_json::json;

use crate::support::{TestDaemon, group_gone, repo_new};

pub(crate) const KEY: &str = "baton-test-key";

/// Points the daemon's settings for `cli` at the installed CLI and the fake server.
pub(crate) fn settings_write(d: &TestDaemon, cli: AgentCli, fake: &FakeModel) {
    let setup = cli_setup(cli, &fake.url(), KEY, &d.tmp.path().join(format!("{}-home", cli.name())));
    let env: serde_json::Map<String, serde_json::Value> =
        setup.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let settings = json!({ "clis": { cli.name(): { "binary": cli_bin(cli), "args": setup.args, "env": env } } });
    std::fs::write(d.home.settings_file(), settings.to_string()).unwrap();
}

pub(crate) fn session(d: &TestDaemon) -> (String, std::path::PathBuf) {
    let repo = repo_new(d.tmp.path(), "repo");
    let id = d
        .client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap()
        .id;
    (id, repo.canonicalize().unwrap())
}

/// Where the agent `name` of [`session`]'s repository works: its own worktree, known before it
/// starts so the model's scripted tool calls can name files in it.
pub(crate) fn worktree(d: &TestDaemon, name: &str) -> std::path::PathBuf {
    d.home.worktrees_dir().join("repo").join(name)
}

pub(crate) fn spawn(d: &TestDaemon, session: &str, cli: CliKind, prompt: &str) -> Agent {
    d.client
        .agent_spawn(&AgentSpawn {
            session: session.into(),
            cli,
            prompt: prompt.into(),
            name: None,
            model: None,
            allow_tools: vec![],
            program: vec![],
            cwd: None,
        })
        .unwrap()
}

pub(crate) fn until(d: &TestDaemon, id: &str, what: &str, done: impl Fn(&Agent) -> bool) -> Agent {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let a = d.client.agent_get(id).unwrap();
        if done(&a) {
            return a;
        }
        if Instant::now() > deadline {
            let events = d
                .client
                .agent_events(
                    id,
                    &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
                )
                .unwrap();
            panic!("agent never {what}; state {:?}; events: {events:#?}", a.state);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn turn_done(turns: u32) -> impl Fn(&Agent) -> bool {
    move |a: &Agent| a.turns >= turns && !a.state.is_active()
}

pub(crate) fn events(d: &TestDaemon, id: &str) -> Vec<AgentEvent> {
    d.client
        .agent_events(
            id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(10_000), ..Default::default() },
        )
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect()
}

fn write_step(tool: &str, path: &Path, content: &str) -> Step {
    let input = match tool {
        "Write" | "write_file" => json!({"file_path": path, "content": content}),
        _ => unreachable!(),
    };
    Step::tool_call(tool, input).with_text("I'll create the file.")
}

#[test]
fn claude_writes_answers_a_follow_up_and_reports_cost() {
    let d = TestDaemon::start();
    let (s, repo) = session(&d);
    let work = worktree(&d, "claude-1");
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            write_step("Write", &work.join("hello.txt"), "hello from claude\n"),
            Step::text("Created hello.txt."),
            Step::text("Second answer."),
        ]),
    )]);
    settings_write(&d, AgentCli::Claude, &fake);
    let a = spawn(&d, &s, CliKind::Claude, "create hello.txt");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    assert_eq!(a.state, AgentState::Waiting, "claude keeps its stdin open for follow-ups");
    assert_eq!(Path::new(&a.cwd), work, "the agent works in its own worktree");
    assert_eq!(std::fs::read_to_string(work.join("hello.txt")).unwrap(), "hello from claude\n");
    assert!(!repo.join("hello.txt").exists(), "the user's checkout is untouched");
    assert!(a.cost_usd > 0.0 && !a.cost_is_estimate, "claude reports its cost: {a:?}");
    assert!(a.usage.input > 0);
    let session_id = a.cli_session_id.clone().expect("claude reports its session");
    let ev = events(&d, &a.id);
    assert!(ev.contains(&AgentEvent::UserText { text: "create hello.txt".into(), from: None }));
    assert!(ev.iter().any(|e| matches!(e, AgentEvent::ToolCall { name, .. } if name == "Write")));
    assert!(ev.iter().any(|e| matches!(e, AgentEvent::FileChange { path, .. } if path.ends_with("hello.txt"))));
    assert!(ev.iter().any(|e| matches!(e, AgentEvent::TurnCompleted { is_error: false, .. })));

    // A follow-up on stdin, in the same process and session.
    let pid = a.pid;
    d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "and now?".into(), from: None }).unwrap();
    let a = until(&d, &a.id, "finished the second turn", turn_done(2));
    assert_eq!(a.state, AgentState::Waiting);
    assert_eq!(a.pid, pid, "the same process took the follow-up");
    assert_eq!(a.cli_session_id.as_deref(), Some(session_id.as_str()));
    assert!(events(&d, &a.id).contains(&AgentEvent::Text { text: "Second answer.".into(), delta: false }));

    // What it wrote merges back into the user's checkout; the turn left a checkpoint.
    // Saved off the runtime once the turn has ended: wait for it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut checkpoints = d.client.agent_checkpoints(&a.id).unwrap();
    while checkpoints.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        checkpoints = d.client.agent_checkpoints(&a.id).unwrap();
    }
    assert!(!checkpoints.is_empty(), "a checkpoint after the turn that wrote hello.txt");
    let merged = d.client.agent_merge(&a.id, &Default::default()).unwrap();
    assert!(merged.ok, "{merged:?}");
    assert_eq!(std::fs::read_to_string(repo.join("hello.txt")).unwrap(), "hello from claude\n");
}

#[test]
fn claude_permission_asked_before_a_daemon_restart_is_approved_after_it() {
    let d = TestDaemon::start();
    let (s, repo) = session(&d);
    // Not a plain file command: acceptEdits lets Claude run `touch` and the like unasked.
    let command = "python3 -c \"open('approved.txt', 'w').write('ok')\"";
    let touch = Step::tool_call("Bash", json!({"command": command, "description": "make a file"}));
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([touch.clone(), touch, Step::text("Ran it.")]))]);
    settings_write(&d, AgentCli::Claude, &fake);
    let a = spawn(&d, &s, CliKind::Claude, "make approved.txt with the shell");
    // Asked in its turn, through Baton's MCP server (`mcp_agents.rs` answers it live).
    let a = until(&d, &a.id, "asked for permission", |a| a.state == AgentState::NeedsInput);
    assert_eq!(a.pending.len(), 1, "{:?}", a.pending);
    assert_eq!(a.pending[0].tool, "Bash");
    assert_eq!(a.pending[0].input["command"], command);
    let work = Path::new(&a.cwd).to_owned();
    assert!(!work.join("approved.txt").exists());
    let err =
        d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "hello".into(), from: None }).unwrap_err();
    assert!(err.to_string().contains("approve"), "{err}");

    // The daemon stops with the question open: the turn is gone, the request stays, and an
    // approval resumes the session with the tool allowed (the deny-then-resume path).
    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    let a = d.client.agent_get(&a.id).unwrap();
    assert_eq!(a.pending.iter().map(|p| p.tool.as_str()).collect::<Vec<_>>(), ["Bash"], "the question survives");
    let a =
        d.client.agent_approve(&a.id, &baton_core::api::AgentApprove { tool: "Bash".into(), always: false }).unwrap();
    assert!(a.pending.is_empty());
    let a = until(&d, &a.id, "ran the approved tool", |a| a.turns >= 1 && !a.state.is_active());
    assert_eq!(a.state, AgentState::Waiting, "{:?}", events(&d, &a.id));
    assert!(work.join("approved.txt").exists(), "the approved command ran");
    assert!(!repo.join("approved.txt").exists(), "in the agent's worktree, not the user's checkout");
}

#[test]
fn claude_resumes_its_session_after_a_daemon_restart() {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let fake =
        FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text("First."), Step::text("After the restart.")]))]);
    settings_write(&d, AgentCli::Claude, &fake);
    let a = spawn(&d, &s, CliKind::Claude, "hello");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    let session_id = a.cli_session_id.clone().unwrap();

    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    assert_eq!(d.client.agent_get(&a.id).unwrap().state, AgentState::Stopped);
    d.client
        .agent_send(&a.id, &baton_core::api::AgentMessage { text: "are you still there?".into(), from: None })
        .unwrap();
    let a = until(&d, &a.id, "answered after the restart", turn_done(2));
    assert_eq!(a.cli_session_id.as_deref(), Some(session_id.as_str()), "the same CLI session continued");
    let texts: Vec<AgentEvent> = events(&d, &a.id);
    assert!(texts.contains(&AgentEvent::Text { text: "First.".into(), delta: false }), "history kept");
    assert!(texts.contains(&AgentEvent::Text { text: "After the restart.".into(), delta: false }));
    // The resumed request carried the earlier conversation.
    let last = fake.requests(KEY).into_iter().rfind(|r| r.is_model_turn()).unwrap();
    assert!(last.body.to_string().contains("First."), "history resent on resume");
}

#[test]
fn claude_abort_mid_turn_kills_its_process_group() {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text("slow").with_delay_ms(60_000)]))]);
    settings_write(&d, AgentCli::Claude, &fake);
    let a = spawn(&d, &s, CliKind::Claude, "take your time");
    let a = until(&d, &a.id, "started its session", |a| a.cli_session_id.is_some());
    let pid = a.pid.unwrap();
    let a = d.client.agent_stop(&a.id).unwrap();
    assert_eq!(a.state, AgentState::Stopped);
    assert!(group_gone(pid), "processes of the agent's group are left");
}

#[test]
fn codex_runs_a_command_and_resumes_for_a_follow_up() {
    let d = TestDaemon::start();
    let (s, repo) = session(&d);
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::tool_call("exec_command", json!({"cmd": "printf 'hello from codex\\n' > hello.txt"}))
                .with_text("Creating it."),
            Step::text("Created hello.txt."),
            Step::text("Still here."),
        ]),
    )]);
    settings_write(&d, AgentCli::Codex, &fake);
    let a = spawn(&d, &s, CliKind::Codex, "create hello.txt");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    assert_eq!(a.state, AgentState::Waiting, "{:?}", events(&d, &a.id));
    assert_eq!(std::fs::read_to_string(Path::new(&a.cwd).join("hello.txt")).unwrap(), "hello from codex\n");
    assert!(!repo.join("hello.txt").exists(), "the user's checkout is untouched");
    assert!(a.cost_is_estimate && a.cost_usd > 0.0, "codex cost is estimated from tokens: {a:?}");
    let thread = a.cli_session_id.clone().expect("thread id");

    d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "again".into(), from: None }).unwrap();
    let a = until(&d, &a.id, "finished the follow-up", turn_done(2));
    assert_eq!(a.state, AgentState::Waiting);
    assert_eq!(a.cli_session_id.as_deref(), Some(thread.as_str()));
    assert!(events(&d, &a.id).contains(&AgentEvent::Text { text: "Still here.".into(), delta: false }));
}

#[test]
fn gemini_writes_a_file_and_resumes_for_a_follow_up() {
    let d = TestDaemon::start();
    let (s, repo) = session(&d);
    let work = worktree(&d, "gemini-1");
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            write_step("write_file", &work.join("hello.txt"), "hello from gemini\n"),
            Step::text("Created hello.txt."),
            Step::text("Still here."),
        ]),
    )]);
    settings_write(&d, AgentCli::Gemini, &fake);
    let a = spawn(&d, &s, CliKind::Gemini, "create hello.txt");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    assert_eq!(a.state, AgentState::Waiting, "{:?}", events(&d, &a.id));
    assert_eq!(Path::new(&a.cwd), work, "the agent works in its own worktree");
    assert_eq!(std::fs::read_to_string(work.join("hello.txt")).unwrap(), "hello from gemini\n");
    assert!(!repo.join("hello.txt").exists(), "the user's checkout is untouched");
    assert!(a.cost_is_estimate && a.cost_usd > 0.0, "{a:?}");
    let ev = events(&d, &a.id);
    assert_eq!(
        ev.iter().filter(|e| matches!(e, AgentEvent::UserText { .. })).count(),
        1,
        "the prompt is shown once: {ev:?}"
    );

    d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "again".into(), from: None }).unwrap();
    let a = until(&d, &a.id, "finished the follow-up", turn_done(2));
    assert_eq!(a.state, AgentState::Waiting);
    assert!(
        events(&d, &a.id).iter().any(|e| matches!(e, AgentEvent::Text { text, .. } if text.contains("Still here")))
    );
}

#[test]
fn gemini_unregistered_shell_is_approved_then_runs() {
    let d = TestDaemon::start();
    let (s, repo) = session(&d);
    let shell = Step::tool_call("run_shell_command", json!({"command": "touch approved.txt"}));
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([shell.clone(), Step::text("I cannot run shell commands."), shell, Step::text("Ran it.")]),
    )]);
    settings_write(&d, AgentCli::Gemini, &fake);
    let a = spawn(&d, &s, CliKind::Gemini, "make approved.txt with the shell");
    let a = until(&d, &a.id, "asked for permission", |a| a.state == AgentState::NeedsInput);
    assert_eq!(a.pending.len(), 1, "{:?}", a.pending);
    assert_eq!(a.pending[0].tool, "run_shell_command");
    let work = Path::new(&a.cwd).to_owned();
    assert!(!work.join("approved.txt").exists());

    d.client
        .agent_approve(&a.id, &baton_core::api::AgentApprove { tool: "run_shell_command".into(), always: true })
        .unwrap();
    let a = until(&d, &a.id, "ran the approved tool", |a| a.turns >= 2 && !a.state.is_active());
    assert_eq!(a.state, AgentState::Waiting, "{:?}", events(&d, &a.id));
    assert!(work.join("approved.txt").exists(), "the approved command ran: {:?}", events(&d, &a.id));
    assert!(!repo.join("approved.txt").exists(), "in the agent's worktree, not the user's checkout");
}

/// Codex and Gemini relaunch for every turn: after a daemon restart a message resumes the same
/// CLI session, with its history.
fn resumes_after_restart(cli: AgentCli, kind: CliKind) {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let fake =
        FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text("First."), Step::text("After the restart.")]))]);
    settings_write(&d, cli, &fake);
    let a = spawn(&d, &s, kind, "hello");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    let session_id = a.cli_session_id.clone().unwrap();

    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "still there?".into(), from: None }).unwrap();
    let a = until(&d, &a.id, "answered after the restart", turn_done(2));
    assert_eq!(a.state, AgentState::Waiting);
    assert_eq!(a.cli_session_id.as_deref(), Some(session_id.as_str()), "the same CLI session continued");
    assert!(
        events(&d, &a.id)
            .iter()
            .any(|e| matches!(e, AgentEvent::Text { text, .. } if text.contains("After the restart")))
    );
    let last = fake.requests(KEY).into_iter().rfind(|r| r.is_model_turn()).unwrap();
    assert!(last.body.to_string().contains("First."), "history resent on resume");
}

#[test]
fn codex_resumes_its_session_after_a_daemon_restart() {
    resumes_after_restart(AgentCli::Codex, CliKind::Codex);
}

#[test]
fn gemini_resumes_its_session_after_a_daemon_restart() {
    resumes_after_restart(AgentCli::Gemini, CliKind::Gemini);
}

#[test]
fn codex_sandbox_refusal_is_approved_then_runs() {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    // Outside every root the sandbox lets Codex write (the workspace, /tmp, $TMPDIR).
    let outside = std::path::PathBuf::from(format!("/var/tmp/baton-codex-sandbox-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&outside);
    // Slow enough that Codex reports the refused command (it drops fast ones, a known bug).
    let command = format!("sleep 1; echo hi > {}", outside.display());
    let write = Step::tool_call("exec_command", json!({ "cmd": command }));
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([write.clone(), Step::text("The sandbox stopped me."), write, Step::text("Done.")]),
    )]);
    settings_write(&d, AgentCli::Codex, &fake);
    // Codex's own sandbox is what this is about: Baton's would refuse the approved write too.
    let file = d.home.settings_file();
    let mut settings: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    settings["agents"] = json!({ "sandbox": "off" });
    std::fs::write(&file, settings.to_string()).unwrap();
    let a = spawn(&d, &s, CliKind::Codex, "write outside.txt next to the repository");
    let a = until(&d, &a.id, "asked for permission", |a| a.state == AgentState::NeedsInput);
    assert_eq!(a.pending[0].tool, "danger-full-access", "{:?}", a.pending);
    assert!(!outside.exists());
    d.client
        .agent_approve(&a.id, &baton_core::api::AgentApprove { tool: "danger-full-access".into(), always: false })
        .unwrap();
    let a = until(&d, &a.id, "ran with full access", |a| a.turns >= 2 && !a.state.is_active());
    assert_eq!(a.state, AgentState::Waiting, "{:?}", events(&d, &a.id));
    assert!(outside.exists(), "the approved command wrote outside the workspace");
    std::fs::remove_file(&outside).unwrap();
}

/// [`settings_write`] for Claude, with the health settings on top.
fn settings_write_health(d: &TestDaemon, fake: &FakeModel, health: serde_json::Value) {
    settings_write(d, AgentCli::Claude, fake);
    let path = d.home.settings_file();
    let mut settings: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    settings["health"] = health;
    std::fs::write(&path, settings.to_string()).unwrap();
}

#[test]
fn claude_idle_is_released_and_a_message_resumes_its_session_with_its_history() {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([Step::text("First."), Step::text("Still here.")]))]);
    settings_write_health(&d, &fake, json!({"sampleSecs": 0.5, "idleReleaseSecs": 3}));
    let a = spawn(&d, &s, CliKind::Claude, "hello");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    assert_eq!(a.state, AgentState::Waiting);
    let session_id = a.cli_session_id.clone().unwrap();
    let pid = a.pid.expect("a waiting claude keeps its process");
    // Its memory while it waits, as the sampler saw it.
    let query = baton_core::api::HealthAgentsQuery { session: Some("s".into()) };
    let deadline = Instant::now() + Duration::from_secs(30);
    let waiting_rss = loop {
        let report = d.client.health_agents(&query).unwrap();
        let rss = report.agents.iter().find(|h| h.agent_id == a.id).and_then(|h| h.sample.as_ref()?.rss_bytes);
        if let Some(rss) = rss.filter(|_| d.client.agent_get(&a.id).unwrap().pid.is_some()) {
            break rss;
        }
        assert!(Instant::now() < deadline, "never sampled");
        std::thread::sleep(Duration::from_millis(100));
    };
    let a = until(&d, &a.id, "released", |a| a.released_at.is_some() && a.pid.is_none());
    assert_eq!(a.state, AgentState::Waiting, "released, neither failed nor stopped");
    assert!(group_gone(pid), "its process group is gone");
    println!("a waiting Claude Code process group: {} MB resident before its release, none after", waiting_rss >> 20);
    let notes: Vec<AgentEvent> = events(&d, &a.id);
    assert!(notes.iter().any(|e| matches!(e, AgentEvent::Notice { message } if message.contains("(released)"))));

    d.client
        .agent_send(&a.id, &baton_core::api::AgentMessage { text: "are you still there?".into(), from: None })
        .unwrap();
    let a = until(&d, &a.id, "answered after its release", turn_done(2));
    assert_eq!(a.cli_session_id.as_deref(), Some(session_id.as_str()), "the same CLI session continued");
    let last = fake.requests(KEY).into_iter().rfind(|r| r.is_model_turn()).unwrap();
    assert!(last.body.to_string().contains("First."), "the model sees the history");
}

/// Measured, not checked (docs/perf.md, "Idle agents"): ten real Claude Code agents waiting for
/// their next message, their process groups' memory as the sampler sees it, then after their
/// release. Run on demand: `cargo nextest run -p baton-daemon --run-ignored only -E
/// 'test(ten_waiting)' --no-capture`.
#[test]
#[ignore = "a measurement: ten real Claude Code processes, about 2 GB"]
fn ten_waiting_claude_agents_memory_before_and_after_their_release() {
    const N: usize = 10;
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new((0..N).map(|_| Step::text("Ready."))))]);
    settings_write_health(&d, &fake, json!({"sampleSecs": 1, "idleReleaseSecs": 30}));
    let agents: Vec<Agent> = (0..N).map(|i| spawn(&d, &s, CliKind::Claude, &format!("agent {i}: say ready"))).collect();
    let agents: Vec<Agent> = agents.iter().map(|a| until(&d, &a.id, "finished its turn", turn_done(1))).collect();
    let query = baton_core::api::HealthAgentsQuery { session: Some("s".into()) };
    // Each one's group as the sampler last saw it, once every one has a sample with its process.
    let deadline = Instant::now() + Duration::from_secs(60);
    let before: u64 = loop {
        let report = d.client.health_agents(&query).unwrap();
        let rss: Vec<u64> = agents
            .iter()
            .filter_map(|a| report.agents.iter().find(|h| h.agent_id == a.id)?.sample.as_ref()?.rss_bytes)
            .collect();
        let live = agents.iter().all(|a| d.client.agent_get(&a.id).unwrap().pid.is_some());
        if rss.len() == N && live {
            break rss.iter().sum();
        }
        assert!(Instant::now() < deadline, "never sampled all {N}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let pids: Vec<u32> = agents.iter().filter_map(|a| d.client.agent_get(&a.id).unwrap().pid).collect();
    for a in &agents {
        until(&d, &a.id, "released", |a| a.released_at.is_some() && a.pid.is_none());
    }
    let left = pids.iter().filter(|p| !group_gone(**p)).count();
    println!(
        "{N} waiting Claude Code agents: {} MB resident before their release ({} MB each on average), {left} process groups left after",
        before >> 20,
        (before / N as u64) >> 20
    );
    assert_eq!(left, 0);
}

#[test]
fn claude_repeating_the_same_tool_call_raises_looping() {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let readme = worktree(&d, "claude-1").join("README.md");
    let read = || Step::tool_call("Read", json!({"file_path": readme})).with_text("Let me read it again.");
    let fake = FakeModel::start([(KEY.to_owned(), Scenario::new([read(), read(), read(), Step::text("Done.")]))]);
    settings_write_health(&d, &fake, json!({"sampleSecs": 0.5}));
    let a = spawn(&d, &s, CliKind::Claude, "read the readme");
    let deadline = Instant::now() + Duration::from_secs(60);
    let alert = loop {
        let alerts = d
            .client
            .alert_list(&baton_core::api::AlertListQuery { session: Some("s".into()), all: Some(true) })
            .unwrap();
        if let Some(alert) = alerts.into_iter().find(|x| x.kind == baton_core::health::AlertKind::Looping) {
            break alert;
        }
        assert!(Instant::now() < deadline, "never looping; events: {:#?}", events(&d, &a.id));
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(alert.agent_id.as_deref(), Some(a.id.as_str()));
    assert!(alert.message.contains("3 times in a row: Read"), "{}", alert.message);
}

#[test]
fn claude_interrupted_by_a_forced_daemon_stop_is_resumed_after_the_restart() {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([Step::text("slow").with_delay_ms(60_000), Step::text("Continued after the restart.")]),
    )]);
    settings_write(&d, AgentCli::Claude, &fake);
    let a = spawn(&d, &s, CliKind::Claude, "hello");
    let a = until(&d, &a.id, "asked the model", |a| {
        a.cli_session_id.is_some() && fake.requests(KEY).iter().any(|r| r.is_model_turn())
    });
    assert_eq!(a.state, AgentState::Running);
    let err = d.client.daemon_stop_ask(false).unwrap_err();
    assert!(err.to_string().contains(&a.name) && err.to_string().contains("--force"), "{err}");

    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    let interrupted = d.client.agents_interrupted().unwrap();
    assert_eq!(interrupted.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [a.id.as_str()]);
    // The CLI's own marker of the SIGINT is never shown as if the user had typed it.
    let before = events(&d, &a.id);
    assert!(
        !before.iter().any(|e| matches!(e, AgentEvent::UserText { text, .. } if text.contains("Request interrupted"))),
        "{before:#?}"
    );
    assert!(
        before.iter().any(|e| matches!(e, AgentEvent::Notice { message } if message.starts_with("Stopped by Baton"))),
        "{before:#?}"
    );

    let r = d.client.agents_interrupted_resume().unwrap();
    assert_eq!(r.resumed.len(), 1, "{r:?}");
    assert!(d.client.agents_interrupted().unwrap().is_empty(), "resumed, no longer listed");
    let resumed = until(&d, &a.id, "continued after the restart", |a| {
        !a.state.is_active()
            && events(&d, &a.id)
                .iter()
                .any(|e| matches!(e, AgentEvent::Text { text, .. } if text.contains("Continued after the restart")))
    });
    assert_eq!(resumed.cli_session_id, a.cli_session_id, "its own CLI session continued");
}

/// Messages to a working Claude wait for its turn's end and go together; a message from another
/// agent shows in both lanes; a promoted Claude reads the coordinator's instructions and is told,
/// once, that a task finished.
#[test]
fn claude_takes_kept_messages_after_its_turn_and_coordinates_when_promoted() {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::text("Hello, I lead."),
            Step::text("Working on it.").with_delay_ms(3000),
            Step::text("Got both notes."),
            Step::text("I coordinate this session now."),
            Step::text("Task one is finished."),
            Step::text("Noted: t1 is done."),
        ]),
    )]);
    settings_write(&d, AgentCli::Claude, &fake);
    let spawn_named = |name: &str, prompt: &str| {
        d.client
            .agent_spawn(&AgentSpawn {
                session: s.clone(),
                cli: CliKind::Claude,
                prompt: prompt.into(),
                name: Some(name.into()),
                model: None,
                allow_tools: vec![],
                program: vec![],
                cwd: None,
            })
            .unwrap()
    };
    let lead = spawn_named("lead", "hello");
    until(&d, &lead.id, "answered", turn_done(1));
    let worker = spawn_named("worker", "work");
    until(&d, &worker.id, "began its turn", |_| fake.requests(KEY).iter().filter(|r| r.is_model_turn()).count() >= 2);

    let msg = |text: &str, from: Option<&str>| baton_core::api::AgentMessage {
        text: text.into(),
        from: from.map(Into::into),
    };
    assert_eq!(d.client.agent_send(&worker.id, &msg("first, from the lead", Some("lead"))).unwrap().queued_messages, 1);
    assert_eq!(d.client.agent_send(&worker.id, &msg("second, from the user", None)).unwrap().queued_messages, 2);
    let w = until(&d, &worker.id, "answered the kept messages", turn_done(2));
    assert_eq!((w.turns, w.queued_messages, w.state), (2, 0, AgentState::Waiting), "both in one turn");
    let ev = events(&d, &worker.id);
    assert!(ev.contains(&AgentEvent::UserText { text: "first, from the lead".into(), from: Some("lead".into()) }));
    assert!(ev.contains(&AgentEvent::UserText { text: "second, from the user".into(), from: None }));
    assert!(ev.contains(&AgentEvent::Text { text: "Got both notes.".into(), delta: false }));
    let last = fake.requests(KEY).into_iter().rfind(|r| r.is_model_turn()).unwrap().body.to_string();
    let (first, second) = (last.find("first, from the lead").unwrap(), last.find("second, from the user").unwrap());
    assert!(first < second, "one request, in order");
    assert!(last.contains("Message from lead, another agent of your Baton session"));
    assert!(
        events(&d, &lead.id)
            .contains(&AgentEvent::MessageSent { to: "worker".into(), text: "first, from the lead".into() })
    );

    let p = d.client.coordinator_promote(&lead.id).unwrap();
    assert_eq!(p.session.coordinator_agent.as_deref(), Some(lead.id.as_str()));
    until(&d, &lead.id, "read its instructions", turn_done(2));
    let told = |part: &str| {
        events(&d, &lead.id)
            .iter()
            .filter(|e| matches!(e, AgentEvent::UserText { text, .. } if text.contains(part)))
            .count()
    };
    assert_eq!(told("Delegate, never implement"), 1);
    d.client
        .task_add(&baton_core::task::TaskCreate {
            session: s.clone(),
            title: "Task one".into(),
            prompt: "do t1".into(),
            name: Some("t1".into()),
            ..Default::default()
        })
        .unwrap();
    let lead = until(&d, &lead.id, "was told t1 is done", |a| a.turns >= 3 && a.state == AgentState::Waiting);
    assert_eq!(told("task t1 is done"), 1, "{:#?}", events(&d, &lead.id));
    assert!(events(&d, &lead.id).contains(&AgentEvent::Text { text: "Noted: t1 is done.".into(), delta: false }));
    assert_eq!(d.client.coordinator_demote(&lead.id).unwrap().coordinator_agent, None);
}
