//! Agents connected to Baton's MCP server: the real CLIs, against the fake model server, call
//! Baton's tools with their own tokens, confined to their session.

use baton_core::BatonHome;
use baton_core::agent::protocol::CliKind;
use baton_core::agent::{AgentEvent, AgentState};
use baton_fake_model::{AgentCli, FakeModel, Scenario, Step};
use serde_json::json;

use crate::real_clis::{KEY, events, session, settings_write, spawn, turn_done, until, worktree};
use crate::support::TestDaemon;

/// A daemon whose home has no ancestor writable by others: Gemini reads a settings file only
/// from such a place (it skips one under `/tmp`), as the default home is.
fn daemon_in_private_dir() -> TestDaemon {
    let base = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(base).unwrap();
    let tmp = tempfile::tempdir_in(base).unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    TestDaemon::start_in(tmp, home)
}

/// The agent calls `insight_add` through Baton's MCP server with the tool name its CLI gives
/// it; the insight lands in the agent's session. Returns the fake model, for what the CLI sent.
fn insight_through_mcp(cli: AgentCli, kind: CliKind, tool: &str) -> FakeModel {
    let d = daemon_in_private_dir();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::tool_call(tool, json!({"text": "The parser is the bottleneck."})).with_text("Noting it."),
            Step::text("Noted."),
        ]),
    )]);
    settings_write(&d, cli, &fake);
    let a = spawn(&d, &s, kind, "note what you found");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    let ev = events(&d, &a.id);
    assert_eq!(a.state, AgentState::Waiting, "{ev:#?}");
    let status = d.client.session_status(&s).unwrap();
    assert!(
        status.insights.iter().any(|i| i.text == "The parser is the bottleneck."),
        "the insight is in the session: {status:#?}\n{ev:#?}"
    );
    assert!(
        ev.iter().any(|e| matches!(e, AgentEvent::ToolCall { name, .. } if name.contains("insight_add"))),
        "{ev:#?}"
    );
    fake
}

#[test]
fn claude_keeps_an_insight_through_baton_tools() {
    insight_through_mcp(AgentCli::Claude, CliKind::Claude, "mcp__baton__insight_add");
}

#[test]
fn codex_keeps_an_insight_through_baton_tools() {
    // Codex defers MCP tools: the fake model searches for the tool, then calls it by namespace.
    let fake = insight_through_mcp(AgentCli::Codex, CliKind::Codex, "mcp__baton__insight_add");
    let requests = fake.requests(KEY);
    let history = requests.last().and_then(|r| r.body["input"].as_array()).cloned().unwrap_or_default();
    let found = history.iter().find(|i| i["type"] == "tool_search_output").expect("Codex answered the search");
    assert_eq!(found["tools"][0]["name"], "mcp__baton", "{found:#}");
    let call = history.iter().find(|i| i["type"] == "function_call").expect("the call is in the history");
    assert_eq!((&call["namespace"], &call["name"]), (&json!("mcp__baton"), &json!("insight_add")));
}

#[test]
fn gemini_keeps_an_insight_through_baton_tools() {
    insight_through_mcp(AgentCli::Gemini, CliKind::Gemini, "mcp_baton_insight_add");
}

/// Claude asks Baton for a permission in its turn: the agent needs input, the answer goes back
/// into the same turn (same process, one turn, no resumption).
fn claude_permission_live(approve: bool) {
    let d = TestDaemon::start();
    let (s, _repo) = session(&d);
    let work = worktree(&d, "claude-1");
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::tool_call("Bash", json!({"command": "python3 -c \"open('live.txt', 'w').write('live\\n')\"", "description": "write a file"}))
                .with_text("I'll run it."),
            Step::text("Finished."),
        ]),
    )]);
    settings_write(&d, AgentCli::Claude, &fake);
    let a = spawn(&d, &s, CliKind::Claude, "write live.txt with bash");
    let a = until(&d, &a.id, "asked for Bash", |a| a.state == AgentState::NeedsInput);
    assert_eq!(a.pending.iter().map(|p| p.tool.as_str()).collect::<Vec<_>>(), ["Bash"]);
    assert_eq!(a.turns, 0, "asked inside its first turn");
    let pid = a.pid;
    let req = baton_core::api::AgentApprove { tool: "Bash".into(), always: false };
    let answered =
        if approve { d.client.agent_approve(&a.id, &req) } else { d.client.agent_deny(&a.id, &req) }.unwrap();
    assert!(answered.pending.is_empty(), "{answered:?}");
    let a = until(&d, &a.id, "finished its turn", turn_done(1));
    let ev = events(&d, &a.id);
    assert_eq!(a.state, AgentState::Waiting, "the turn went on to its end: {ev:#?}");
    assert_eq!(a.turns, 1, "no second turn: nothing was resumed");
    assert_eq!(a.pid, pid, "the same process");
    assert!(!ev.iter().any(|e| matches!(e, AgentEvent::PermissionDenied { .. })) || !approve, "{ev:#?}");
    assert!(a.pending.is_empty(), "nothing left to answer: {a:?}");
    if approve {
        assert_eq!(std::fs::read_to_string(work.join("live.txt")).unwrap(), "live\n");
    } else {
        assert!(!work.join("live.txt").exists(), "a denied command does not run");
    }
}

#[test]
fn claude_permission_approved_in_its_turn() {
    claude_permission_live(true);
}

#[test]
fn claude_permission_denied_in_its_turn() {
    claude_permission_live(false);
}

/// Settings for several CLIs at once, each with its own API key (so each has its own script).
fn settings_write_each(d: &TestDaemon, each: &[(AgentCli, &FakeModel, &str)]) {
    let mut clis = serde_json::Map::new();
    for (cli, fake, key) in each {
        let setup =
            baton_fake_model::cli_setup(*cli, &fake.url(), key, &d.tmp.path().join(format!("{}-home", cli.name())));
        let env: serde_json::Map<String, serde_json::Value> =
            setup.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        clis.insert(
            cli.name().into(),
            json!({ "binary": baton_fake_model::cli_bin(*cli), "args": setup.args, "env": env }),
        );
    }
    std::fs::write(d.home.settings_file(), json!({ "clis": clis }).to_string()).unwrap();
}

/// The real Claude Code, promoted, plans two tasks through Baton's tools; Baton's loop runs them
/// on Gemini workers one after the other and tells the coordinator each one finishing; it
/// checks the session's status through its tools and finds the work complete.
#[test]
fn a_promoted_claude_plans_through_baton_tools_and_is_told_as_work_finishes() {
    const WORKERS: &str = "baton-test-workers";
    let d = daemon_in_private_dir();
    let (s, _repo) = session(&d);
    let fake = FakeModel::start([
        (
            KEY.to_owned(),
            Scenario::new([
                Step::text("Ready."),
                // Its instructions: it plans.
                Step::tool_call(
                    "mcp__baton__task_add",
                    json!({"title": "Write the parser", "name": "parser", "prompt": "write it", "cli": "gemini"}),
                ),
                Step::tool_call(
                    "mcp__baton__task_add",
                    json!({"title": "Test the parser", "name": "tests", "prompt": "test it", "cli": "gemini", "after": ["parser"]}),
                ),
                Step::text("Planned two tasks."),
                // Each time it is told of a change, it checks the session's status.
                Step::tool_call("mcp__baton__session_status", json!({})),
                Step::text("Noted."),
                Step::tool_call("mcp__baton__session_status", json!({})),
                Step::text("Every task is done and the criteria hold."),
            ]),
        ),
        (WORKERS.to_owned(), Scenario::new([Step::text("The parser is written."), Step::text("The tests pass.")])),
    ]);
    settings_write_each(&d, &[(AgentCli::Claude, &fake, KEY), (AgentCli::Gemini, &fake, WORKERS)]);
    let lead = spawn(&d, &s, CliKind::Claude, "hello");
    until(&d, &lead.id, "answered", turn_done(1));
    d.client.coordinator_promote(&lead.id).unwrap();

    // Its tools added the tasks; Baton's loop runs them, in order, on Gemini workers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let tasks = loop {
        let tasks = d.client.task_list(&baton_core::api::TaskListQuery { session: s.clone() }).unwrap();
        if tasks.len() == 2 && tasks.iter().all(|t| t.state == baton_core::task::TaskState::Done) {
            break tasks;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the tasks never finished: {tasks:#?}\n{:#?}",
            events(&d, &lead.id)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(tasks.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["parser", "tests"]);
    // Told of each, once, in its own conversation.
    let told = |part: &str| {
        events(&d, &lead.id)
            .iter()
            .filter(|e| matches!(e, AgentEvent::UserText { text, .. } if text.contains(part)))
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while told("task tests is done") == 0 {
        assert!(std::time::Instant::now() < deadline, "never told: {:#?}", events(&d, &lead.id));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(told("task parser is done"), 1, "{:#?}", events(&d, &lead.id));
    // It checked the criteria through its tools, and found the work complete.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let complete = events(&d, &lead.id).iter().any(|e| {
            matches!(e, AgentEvent::ToolResult { output, is_error: false, .. }
                if output.contains("\"criteria\"") && output.contains("\"complete\": true"))
        });
        if complete {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never saw the work complete: {:#?}", events(&d, &lead.id));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let agents =
        d.client.agent_list(&baton_core::api::AgentListQuery { session: Some(s.clone()), archived: None }).unwrap();
    assert!(agents.iter().filter(|a| a.cli == CliKind::Gemini).count() >= 1, "the workers were Gemini agents");
}
