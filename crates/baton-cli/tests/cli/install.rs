//! `baton install` and `baton uninstall`: Baton's MCP server and `/become-orchestrator` in each
//! CLI's own files, next to the user's own, and only Baton's removed again.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::Home;

/// `baton` run in `dir` with `HOME` (and `CODEX_HOME`) in the test's folder and no `claude` on
/// PATH, so the documented files are written.
fn baton_in(h: &Home, dir: &Path, args: &[&str]) -> Output {
    let home = h.tmp.path().join("user-home");
    std::fs::create_dir_all(&home).unwrap();
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .current_dir(dir)
        .env("BATON_HOME", &h.home)
        .env("HOME", &home)
        .env("CODEX_HOME", home.join(".codex"))
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap()
}

fn ok(h: &Home, dir: &Path, args: &[&str]) -> String {
    let out = baton_in(h, dir, args);
    assert!(out.status.success(), "baton {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn install_claude_in_a_project_keeps_the_users_servers_and_commands_and_uninstall_removes_only_batons() {
    let h = Home::new();
    let repo = h.repo("repo");
    std::fs::write(repo.join(".mcp.json"), r#"{"mcpServers": {"mine": {"command": "my-server"}}}"#).unwrap();
    std::fs::create_dir_all(repo.join(".claude/commands")).unwrap();
    std::fs::write(repo.join(".claude/commands/review.md"), "my own command\n").unwrap();

    let out = ok(&h, &repo, &["install", "claude", "--project"]);
    assert!(out.contains("/become-orchestrator"), "{out}");
    let servers = json(&repo.join(".mcp.json"))["mcpServers"].clone();
    assert_eq!(servers["mine"]["command"], "my-server", "the user's server stays");
    assert_eq!(servers["baton"]["args"], serde_json::json!(["mcp"]));
    assert!(servers["baton"]["command"].as_str().unwrap().ends_with("/baton"));
    let command = std::fs::read_to_string(repo.join(".claude/commands/become-orchestrator.md")).unwrap();
    assert!(command.starts_with("---\n# Managed by Baton"), "{command}");
    assert!(command.contains("allowed-tools: mcp__baton\n"), "only Baton's tools: {command}");
    assert!(command.contains("argument-hint: <goal>"));
    assert!(command.contains("${CLAUDE_SESSION_ID}") && command.contains("$ARGUMENTS"));
    // A second install updates its own files.
    ok(&h, &repo, &["install", "claude"]);

    ok(&h, &repo, &["uninstall", "claude"]);
    assert!(!repo.join(".claude/commands/become-orchestrator.md").exists());
    assert_eq!(std::fs::read_to_string(repo.join(".claude/commands/review.md")).unwrap(), "my own command\n");
    let servers = json(&repo.join(".mcp.json"))["mcpServers"].clone();
    assert_eq!(servers["mine"]["command"], "my-server");
    assert!(servers.get("baton").is_none(), "{servers}");
}

#[test]
fn install_never_replaces_a_users_file_or_server_of_the_same_name() {
    let h = Home::new();
    let repo = h.repo("repo");
    std::fs::create_dir_all(repo.join(".claude/commands")).unwrap();
    std::fs::write(repo.join(".claude/commands/become-orchestrator.md"), "mine\n").unwrap();
    let out = baton_in(&h, &repo, &["install", "claude"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is yours") && err.contains("rename it"), "{err}");
    assert_eq!(std::fs::read_to_string(repo.join(".claude/commands/become-orchestrator.md")).unwrap(), "mine\n");

    std::fs::create_dir_all(repo.join(".gemini")).unwrap();
    std::fs::write(repo.join(".gemini/settings.json"), r#"{"mcpServers": {"baton": {"command": "other"}}}"#).unwrap();
    let out = baton_in(&h, &repo, &["install", "gemini"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not `baton mcp`"));
    // Uninstall leaves what is not Baton's.
    ok(&h, &repo, &["uninstall"]);
    assert_eq!(std::fs::read_to_string(repo.join(".claude/commands/become-orchestrator.md")).unwrap(), "mine\n");
    assert_eq!(json(&repo.join(".gemini/settings.json"))["mcpServers"]["baton"]["command"], "other");
}

#[test]
fn install_gemini_and_codex_write_their_own_formats() {
    let h = Home::new();
    let repo = h.repo("repo");
    ok(&h, &repo, &["install", "gemini"]);
    let command = std::fs::read_to_string(repo.join(".gemini/commands/become-orchestrator.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&command).unwrap();
    assert!(parsed["prompt"].as_str().unwrap().contains("{{args}}"));
    assert_eq!(json(&repo.join(".gemini/settings.json"))["mcpServers"]["baton"]["args"], serde_json::json!(["mcp"]));

    let codex_home = h.tmp.path().join("user-home/.codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    std::fs::write(codex_home.join("config.toml"), "# my settings\nmodel = \"gpt-5.5\"\n").unwrap();
    let out = baton_in(&h, &repo, &["install", "codex"]);
    assert_eq!(out.status.code(), Some(1), "Codex has no project scope");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--user"));
    ok(&h, &repo, &["install", "codex", "--user"]);
    let config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert!(config.starts_with("# my settings\nmodel = \"gpt-5.5\"\n"), "the user's lines stay as they were: {config}");
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    assert_eq!(parsed["mcp_servers"]["baton"]["args"].as_array().unwrap()[0].as_str(), Some("mcp"));
    assert!(codex_home.join("prompts/become-orchestrator.md").exists());
    ok(&h, &repo, &["uninstall", "codex", "--user"]);
    let config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert!(!config.contains("baton"), "{config}");
    assert!(config.contains("model = \"gpt-5.5\""));
    assert!(!codex_home.join("prompts/become-orchestrator.md").exists());
}

#[test]
fn install_in_a_project_outside_a_repository_says_what_to_do() {
    let h = Home::new();
    let dir = h.tmp.path().join("plain");
    std::fs::create_dir_all(&dir).unwrap();
    let out = baton_in(&h, &dir, &["install", "claude", "--project"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not in a git repository") && err.contains("--user"), "{err}");
}

/// The user's own Claude Code (the real one, against the fake model server), in a repository
/// where `baton install claude --project` ran: `/become-orchestrator GOAL` makes the
/// conversation the coordinator of the repository's session, and it plans through Baton's tools.
#[test]
fn become_orchestrator_in_the_users_own_claude_code_registers_it_and_it_plans() {
    use baton_fake_model::{AgentCli, FakeModel, Scenario, Step, cli_bin, cli_setup};
    use serde_json::json;
    const KEY: &str = "baton-test-key";
    let h = Home::new();
    let repo = h.repo("repo");
    ok(&h, &repo, &["install", "claude", "--project"]);
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([
            Step::tool_call(
                "mcp__baton__coordinator_become",
                json!({"goal": "Add a --verbose flag", "cli": "claude", "conversation": "conversation-1"}),
            )
            .with_text("I'll take the lead."),
            Step::tool_call("mcp__baton__task_add", json!({"title": "Add the flag", "prompt": "add --verbose"})),
            Step::text("Planned."),
        ]),
    )]);
    let setup = cli_setup(AgentCli::Claude, &fake.url(), KEY, &h.tmp.path().join("claude-home"));
    let mut claude = Command::new(cli_bin(AgentCli::Claude));
    claude
        .args(["-p", "/become-orchestrator Add a --verbose flag", "--output-format", "stream-json", "--verbose"])
        .current_dir(&repo)
        .env("BATON_HOME", &h.home)
        .stdin(std::process::Stdio::null());
    for (k, v) in &setup.env {
        claude.env(k, v);
    }
    for k in &setup.env_remove {
        claude.env_remove(k);
    }
    let out = claude.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "claude failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));

    // The command's text reached the model, with the conversation's own id in it.
    let claude_session = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["session_id"].as_str().map(str::to_owned))
        .expect("claude reports its session");
    let first = fake.requests(KEY).into_iter().find(|r| r.is_model_turn()).unwrap().body.to_string();
    assert!(first.contains("Add a --verbose flag") && first.contains(&claude_session), "{first}");
    assert!(first.contains(&format!("`conversation` \\\"{claude_session}\\\"")), "the id replaced the placeholder");

    // The session of the repository, with the conversation as its coordinator and the task it added.
    let sessions: serde_json::Value = serde_json::from_str(&h.ok(&["session", "list", "--json"])).unwrap();
    let session = &sessions.as_array().unwrap()[0];
    let status: serde_json::Value =
        serde_json::from_str(&h.ok(&["status", "--session", session["id"].as_str().unwrap(), "--json"])).unwrap();
    let coordinator = status["session"]["coordinatorAgent"].as_str().expect("a coordinator");
    let agent: serde_json::Value = serde_json::from_str(&h.ok(&["status", coordinator, "--json"])).unwrap();
    assert_eq!(agent["external"], true, "{agent}");
    assert_eq!(agent["cliSessionId"], "conversation-1");
    assert_eq!(agent["cli"], "claude");
    assert!(status["objectives"].to_string().contains("Add a --verbose flag"), "{status}");
    let tasks = h.ok(&["task", "list", "--session", session["id"].as_str().unwrap()]);
    assert!(tasks.contains("add-the-flag"), "the task it added: {tasks}");
    assert!(stdout.contains("Planned."), "{stdout}");
}
