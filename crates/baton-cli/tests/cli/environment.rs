//! Agents do not see the daemon's secrets: only the basics, their own CLI's provider variables,
//! Baton's, and what `agents.envAllow` lists.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::Home;

/// Runs `baton` with secrets in its environment: the daemon it starts inherits them.
fn baton_with_secrets(h: &Home, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("BATON_HOME", &h.home)
        .env("AWS_SECRET_ACCESS_KEY", "aws-secret")
        .env("GITHUB_TOKEN", "gh-secret")
        .env("ANTHROPIC_API_KEY", "anthropic-key")
        .env("OPENAI_API_KEY", "openai-key")
        .current_dir(h.tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "baton {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The names of the variables an agent wrote (`env > FILE`) once it has written them.
pub(crate) fn env_of(file: &Path) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(file)
            && text.contains("PATH=")
        {
            return text.lines().filter_map(|l| l.split_once('=').map(|(k, _)| k.to_owned())).collect();
        }
        assert!(Instant::now() < deadline, "the agent never wrote its environment to {}", file.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn agents_get_the_basics_and_their_own_provider_keys_not_the_daemons_secrets() {
    let h = Home::new();
    let repo = h.repo("repo");
    // A stand-in for the claude CLI that writes what it was given.
    let claude_env = h.tmp.path().join("claude.env");
    let claude = h.tmp.path().join("claude-env.sh");
    std::fs::write(&claude, format!("#!/bin/sh\nenv > '{}'\n", claude_env.display())).unwrap();
    std::fs::set_permissions(&claude, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Unconfined: the agents write what they got to the test's folder, which a sandbox refuses.
    let settings = serde_json::json!({
        "agents": {"sandbox": "off"},
        "clis": {"claude": {"binary": claude, "env": {"FROM_SETTINGS": "yes"}}}
    });
    std::fs::create_dir_all(&h.home).unwrap();
    std::fs::write(h.home.join("settings.json"), settings.to_string()).unwrap();

    baton_with_secrets(&h, &["session", "new", "--repo", repo.to_str().unwrap(), "--name", "s"]);
    let command_env = h.tmp.path().join("command.env");
    let script = format!("env > '{}'; sleep 30", command_env.display());
    baton_with_secrets(&h, &["agent", "spawn", "--session", "s", "--cli", "command", "--", "sh", "-c", &script]);
    let names = env_of(&command_env);
    for kept in ["PATH", "HOME", "BATON_SESSION", "BATON_AGENT", "BATON_MCP_TOKEN"] {
        assert!(names.iter().any(|n| n == kept), "{kept} is kept: {names:?}");
    }
    for secret in ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"] {
        assert!(!names.iter().any(|n| n == secret), "{secret} does not reach a program agent: {names:?}");
    }

    baton_with_secrets(&h, &["agent", "spawn", "--session", "s", "--cli", "claude", "--prompt", "hi"]);
    let names = env_of(&claude_env);
    assert!(names.iter().any(|n| n == "ANTHROPIC_API_KEY"), "Claude keeps its own key: {names:?}");
    assert!(names.iter().any(|n| n == "FROM_SETTINGS"), "and what its settings give it");
    for secret in ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "OPENAI_API_KEY"] {
        assert!(!names.iter().any(|n| n == secret), "{secret} does not reach Claude: {names:?}");
    }

    // The user lets one through.
    h.ok(&["settings", "set", "agents.envAllow", r#"["GITHUB_*"]"#]);
    std::fs::remove_file(&claude_env).unwrap();
    baton_with_secrets(&h, &["agent", "spawn", "--session", "s", "--cli", "claude", "--prompt", "again"]);
    let names = env_of(&claude_env);
    assert!(names.iter().any(|n| n == "GITHUB_TOKEN"), "allowed by the settings: {names:?}");
    assert!(!names.iter().any(|n| n == "AWS_SECRET_ACCESS_KEY"));
}
