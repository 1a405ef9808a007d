//! `baton settings`: show, set, unset and detect, against a real daemon and settings file.

use std::os::unix::fs::PermissionsExt;

use crate::support::{Home, s};

#[test]
fn settings_are_shown_set_unset_and_detected_from_the_command_line() {
    let h = Home::new();
    let shown = h.ok(&["settings"]);
    assert!(shown.contains("settings.json (not written yet: every setting is its default)"), "{shown}");
    assert!(shown.contains("worktrees.retentionDays") && shown.contains("`claude` on PATH"), "{shown}");

    // A fake Claude outside PATH, set as the binary: detect runs it and shows its version.
    let fake = h.home.parent().unwrap().join("my-claude");
    std::fs::write(&fake, "#!/bin/sh\necho '3.0.0 (Claude Code)'\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    h.ok(&["settings", "set", "clis.claude.binary", s(&fake)]);
    h.ok(&["settings", "set", "clis.claude.args", r#"["--debug", "x y"]"#]);
    h.ok(&["settings", "set", "worktrees.retentionDays", "2.5"]);
    h.ok(&["settings", "set", "theme", "light"]);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(h.home.join("settings.json")).unwrap()).unwrap();
    assert_eq!(
        file,
        serde_json::json!({
            "clis": { "claude": { "binary": s(&fake), "args": ["--debug", "x y"] } },
            "worktrees": { "retentionDays": 2.5 },
            "theme": "light"
        })
    );
    let detect = h.ok(&["settings", "detect"]);
    assert!(detect.contains(s(&fake)) && detect.contains("3.0.0 (Claude Code)"), "{detect}");
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["settings", "detect", "--json"])).unwrap();
    assert_eq!(json["clis"][0]["version"], "3.0.0 (Claude Code)");

    // Refused, naming the field, and nothing changes; a negative number is a value, not an option.
    let err = h.err(&["settings", "set", "clis.claude.binray", "/x"]);
    assert!(err.contains("clis.claude.binray: unknown field `binray`") && err.contains("not changed"), "{err}");
    let err = h.err(&["settings", "set", "worktrees.retentionDays", "-1"]);
    assert!(err.contains("worktrees.retentionDays: must be a number, 0 or more"), "{err}");

    h.ok(&["settings", "unset", "clis.claude"]);
    h.ok(&["settings", "unset", "theme"]);
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["settings", "--json"])).unwrap();
    assert_eq!(json["settings"]["clis"]["claude"], serde_json::json!({ "args": [], "env": {} }));
    assert_eq!(json["settings"]["theme"], "system");
    assert_eq!(json["settings"]["worktrees"]["retentionDays"], 2.5);
}
