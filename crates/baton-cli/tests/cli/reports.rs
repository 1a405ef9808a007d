//! `baton report` over a session run to completion by a stand-in Claude
//! (`tests/fixtures/fake-claude`).

use std::path::Path;

use crate::support::{Home, s};

#[test]
fn a_finished_session_is_reported_as_markdown_or_html_and_bad_requests_say_what_to_do() {
    let h = Home::new();
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    std::fs::create_dir_all(&h.home).unwrap();
    let settings = serde_json::json!({"clis": {"claude": {"binary": fake, "env": {"FAKE_DIR": h.tmp.path()}}}});
    std::fs::write(h.home.join("settings.json"), settings.to_string()).unwrap();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    h.ok(&["session", "set", "work", "--cycle-secs", "1"]);
    h.ok(&["objective", "add", "--session", "work", "Lex the config"]);
    h.ok(&["task", "add", "--session", "work", "--title", "Lexer", "--prompt", "write the lexer", "--name", "lex"]);
    let done = h.ok(&["run", "--session", "work", "--wait", "--timeout", "30"]);
    assert!(done.contains("complete after"), "{done}");

    let md = h.ok(&["report", "--session", "work"]);
    assert!(md.starts_with("# Report: work\n"), "{md}");
    for want in [
        "**Complete:",
        "- [ ] Lex the config",
        "| lex | Lexer | done |",
        "## Cost by CLI",
        "| claude | 1 |",
        "lex: result",
    ] {
        assert!(md.contains(want), "{want:?} in {md}");
    }

    // The format follows the file's extension unless given.
    let file = h.tmp.path().join("report.html");
    let said = h.ok(&["report", "--session", "work", "-o", s(&file)]);
    assert!(said.contains("html report"), "{said}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg class=\"timeline\""), "{html}");
    let file = h.tmp.path().join("report.txt");
    h.ok(&["report", "--session", "work", "--format", "md", "-o", s(&file)]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), md);

    let out = h.baton(&["report", "--session", "work", "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2), "a bad format is a usage error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("possible values: md, html"), "{stderr}");
    let missing = h.tmp.path().join("no such folder").join("r.md");
    assert!(h.err(&["report", "--session", "work", "-o", s(&missing)]).contains("does not exist"));
    assert!(h.err(&["report", "--session", "nope"]).contains("no session"));
}
