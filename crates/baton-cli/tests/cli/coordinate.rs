//! `baton run`, `status --session`, objectives, insights, decisions, artifacts, context export
//! and import, and `task retry`, over a stand-in Claude (`tests/fixtures/fake-claude`).

use std::path::Path;

use crate::support::{Home, s};

fn with_fake_claude(h: &Home) {
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    std::fs::create_dir_all(&h.home).unwrap();
    let settings = serde_json::json!({"clis": {"claude": {"binary": fake, "env": {"FAKE_DIR": h.tmp.path()}}}});
    std::fs::write(h.home.join("settings.json"), settings.to_string()).unwrap();
}

#[test]
fn a_session_runs_to_completion_and_its_context_is_kept() {
    let h = Home::new();
    with_fake_claude(&h);
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    h.ok(&["session", "set", "work", "--cycle-secs", "1", "--max-agents", "2"]);
    h.ok(&["objective", "add", "--session", "work", "Parse the config"]);
    h.ok(&["insight", "add", "--session", "work", "--", "TOML beats YAML here"]);
    let decision = h.ok(&["decision", "add", "--session", "work", "Keep the old format?"]);
    h.ok(&["task", "add", "--session", "work", "--title", "Lexer", "--prompt", "write the lexer", "--name", "lex"]);
    h.ok(&[
        "task",
        "add",
        "--session",
        "work",
        "--title",
        "Parser",
        "--prompt",
        "parse",
        "--name",
        "parse",
        "--after",
        "lex",
    ]);

    // Not complete while a decision is open: `--wait` times out (exit 6) saying why.
    let out = h.baton(&["run", "--session", "work", "--wait", "--timeout", "8"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stdout}{stderr}");
    assert!(stdout.contains("started lex") && stdout.contains("started parse"), "{stdout}");
    assert!(stderr.contains("decision(s) pending"), "{stderr}");
    h.ok(&["decision", "answer", "--session", "work", decision.trim(), "No"]);
    let done = h.ok(&["run", "--session", "work", "--wait", "--timeout", "30"]);
    assert!(done.contains("complete after"), "{done}");

    let status = h.ok(&["status", "--session", "work"]);
    for want in ["coordinator: complete", "2 done", "Parse the config", "TOML beats YAML", "lex", "parse"] {
        assert!(status.contains(want), "{want:?} in {status}");
    }
    let list = h.ok(&["artifact", "list", "--session", "work", "--task", "lex"]);
    assert!(list.contains("lex: result") && list.contains("lex: diff"), "{list}");
    let id = list.lines().find(|l| l.contains("lex: result")).unwrap().split_whitespace().next().unwrap().to_owned();
    assert!(h.ok(&["artifact", "show", &id]).contains("Finished the work, turn 1"));
    let hits = h.ok(&["artifact", "search", "--session", "work", "work-1.txt"]);
    assert!(hits.contains("lex: result"), "{hits}");
    assert!(h.ok(&["artifact", "search", "zebra"]).contains("nothing matches"));
    assert!(h.err(&["artifact", "show", "art_nope"]).contains("no artifact"));

    let file = h.tmp.path().join("ctx.json");
    h.ok(&["context", "export", "--session", "work", "-o", s(&file)]);
    let new_id = h.ok(&["context", "import", s(&file), "--name", "again"]);
    let again = h.ok(&["status", "--session", new_id.trim()]);
    assert!(again.contains("2 done") && again.contains("Parse the config"), "{again}");
    std::fs::write(&file, "{\"not\": 1}").unwrap();
    assert!(h.err(&["context", "import", s(&file)]).contains("not a context export"));
    assert!(h.err(&["task", "retry", "lex"]).contains("only a blocked or failed task"));
}

#[test]
fn an_agent_messages_another_and_is_promoted_and_demoted() {
    let h = Home::new();
    with_fake_claude(&h);
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    for name in ["lead", "helper"] {
        h.ok(&["agent", "spawn", "--session", "work", "--cli", "claude", "--name", name, "--prompt", "hello"]);
        let out = h.baton(&["wait", name, "--timeout", "20"]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }

    assert!(h.ok(&["send", "helper", "--from", "lead", "look at api.rs"]).contains("sent to helper"));
    h.baton(&["wait", "helper", "--timeout", "20"]);
    assert!(h.ok(&["logs", "helper"]).contains("> [from lead] look at api.rs"));
    assert!(h.ok(&["logs", "lead"]).contains("[sent to helper] look at api.rs"));
    let line = h.err(&["send", "helper", "--from", "nobody", "hi"]);
    assert!(line.contains("no agent \"nobody\""), "{line}");

    assert_eq!(h.ok(&["agent", "promote", "helper"]).trim(), "helper now coordinates session work");
    assert_eq!(h.ok(&["agent", "promote", "lead"]).trim(), "lead now coordinates session work, in place of helper");
    h.baton(&["wait", "lead", "--timeout", "20"]);
    assert!(h.ok(&["logs", "lead"]).contains("Delegate, never implement"));
    assert!(
        h.ok(&["session", "show", "work"]).contains("coordinator: lead (its conversation coordinates the session)")
    );
    let line = h.err(&["agent", "demote", "helper"]);
    assert!(line.contains("its coordinator is lead"), "{line}");
    assert_eq!(h.ok(&["agent", "demote", "lead"]).trim(), "lead no longer coordinates session work");
}
