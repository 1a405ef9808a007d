//! `baton policy show/edit`, `session set --sandbox --budget-*`, `agent budget` and `resume`,
//! as a user runs them: the policy file edited in `$EDITOR` and checked on save, its
//! environment allowlist reaching the session's agents only.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Home, s};

/// `baton` with a secret in its environment (the daemon it starts inherits it) and `EDITOR`.
fn baton(h: &Home, editor: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args(args)
        .env("BATON_HOME", &h.home)
        .env("AWS_SECRET_ACCESS_KEY", "aws-secret")
        .env_remove("VISUAL")
        .current_dir(h.tmp.path());
    if let Some(e) = editor {
        cmd.env("EDITOR", e);
    }
    cmd.output().unwrap()
}

fn ok(h: &Home, args: &[&str]) -> String {
    let out = baton(h, None, args);
    assert!(out.status.success(), "baton {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// An "editor" that replaces the file it is given with `text`.
fn editor_writing(h: &Home, name: &str, text: &str) -> std::path::PathBuf {
    let content = h.tmp.path().join(format!("{name}.toml"));
    std::fs::write(&content, text).unwrap();
    let script = h.tmp.path().join(format!("{name}.sh"));
    std::fs::write(&script, format!("#!/bin/sh\ncp '{}' \"$1\"\n", content.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

#[test]
fn the_policy_is_shown_edited_and_checked_and_its_environment_reaches_the_sessions_agents() {
    let h = Home::new();
    // Unconfined: the agents write what they got to the test's folder, which a sandbox refuses.
    std::fs::create_dir_all(&h.home).unwrap();
    std::fs::write(h.home.join("settings.json"), r#"{"agents": {"sandbox": "off"}}"#).unwrap();
    let repo = h.repo("repo");
    ok(&h, &["session", "new", "--repo", s(&repo), "--name", "open"]);
    ok(&h, &["session", "new", "--repo", s(&repo), "--name", "closed"]);
    let shown = ok(&h, &["policy", "show", "--session", "open"]);
    assert!(shown.contains("denied commands:  git push*, rm -rf /*"), "{shown}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&h, &["policy", "show", "--session", "open", "--json"])).unwrap();
    let path = json["path"].as_str().unwrap().to_owned();
    let before = std::fs::read_to_string(&path).unwrap();

    // A typo is refused with its line and the field meant; the file stays as it was.
    let bad = editor_writing(&h, "bad", "env_alow = [\"AWS_*\"]\n");
    let out = baton(&h, Some(&bad), &["policy", "edit", "--session", "open"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("line 1") && stderr.contains("did you mean `env_allow`?"), "{stderr}");
    assert!(stderr.contains("the policy file was not changed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    let good = editor_writing(&h, "good", "env_allow = [\"AWS_*\"]\ndeny_commands = [\"git push*\"]\n");
    let out = baton(&h, Some(&good), &["policy", "edit", "--session", "open"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("environment:      AWS_*"));

    // The allowlist reaches the agents of that session only.
    let spawn_env = |session: &str, file: &Path| {
        let script = format!("env > '{}'; sleep 30", file.display());
        ok(&h, &["agent", "spawn", "--session", session, "--cli", "command", "--", "sh", "-c", &script]);
        crate::environment::env_of(file)
    };
    let open = spawn_env("open", &h.tmp.path().join("open.env"));
    assert!(open.iter().any(|n| n == "AWS_SECRET_ACCESS_KEY"), "allowed by the session's policy: {open:?}");
    let closed = spawn_env("closed", &h.tmp.path().join("closed.env"));
    assert!(!closed.iter().any(|n| n == "AWS_SECRET_ACCESS_KEY"), "not another session's: {closed:?}");

    // Sandbox and budgets from `session set`; the comments of the file are kept.
    let set =
        ok(&h, &["session", "set", "closed", "--sandbox", "off", "--budget-usd", "2.5", "--budget-minutes", "30"]);
    assert!(set.contains("sandbox:        off") && set.contains("of $2.50") && set.contains("of 30 min"), "{set}");
    assert!(ok(&h, &["policy", "show", "--session", "closed"]).contains("sandbox:          off"));
    let closed_path =
        serde_json::from_str::<serde_json::Value>(&ok(&h, &["policy", "show", "--session", "closed", "--json"]))
            .unwrap()["path"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(std::fs::read_to_string(closed_path).unwrap().contains("# Tools agents may never use"));
    let budget: serde_json::Value =
        serde_json::from_str(&ok(&h, &["budget", "--session", "closed", "--json"])).unwrap();
    assert_eq!(budget["session"]["limits"]["usd"], 2.5);
    assert_eq!(budget["session"]["limits"]["minutes"], 30.0);

    // A negative limit is refused; resuming an agent no budget paused says what resumes it.
    let out = baton(&h, None, &["session", "set", "closed", "--budget-usd=-1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 or more"), "{out:?}");
    let agent = ok(&h, &["list", "--session", "closed", "--json"]);
    let name = serde_json::from_str::<serde_json::Value>(&agent).unwrap()[0]["name"].as_str().unwrap().to_owned();
    let out = baton(&h, None, &["resume", &name]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not paused by a budget"), "{out:?}");
}
