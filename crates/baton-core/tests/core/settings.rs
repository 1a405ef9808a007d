//! settings.json through the engine and its file functions: changes that keep what they do not
//! touch, refusals that name the field and change nothing, and detection of CLIs and editors
//! with fake programs on a PATH made by the test.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use baton_core::agent::protocol::CliKind;
use baton_core::settings::{
    EditorSettings, Lookup, Settings, Theme, cli_detect, editor_open, editors_detect, settings_update,
};
use baton_core::{BatonHome, Engine, ErrorCode};
use serde_json::json;

/// An executable shell script `name` in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn lookup(dir: &Path) -> Lookup {
    Lookup { path: dir.as_os_str().to_owned(), home: None }
}

#[test]
fn an_update_keeps_the_fields_it_does_not_touch_and_writes_what_it_sets() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = Engine::open(BatonHome::at(tmp.path().join("home"))).unwrap();
    let path = engine.settings_read().unwrap().path;
    let written = json!({
        "clis": { "codex": { "binary": "/opt/codex", "args": ["-c", "x"], "env": { "A": "b" } } },
        "health": { "memoryMaxMb": 2048 }
    });
    std::fs::write(&path, serde_json::to_string_pretty(&written).unwrap()).unwrap();

    let read =
        engine.settings_update(&json!({ "clis": { "claude": { "binary": "/opt/claude" } }, "theme": "dark" })).unwrap();
    assert_eq!(read.settings.theme, Theme::Dark);
    assert_eq!(read.settings.clis.claude.binary.as_deref(), Some(Path::new("/opt/claude")));
    assert_eq!(read.settings.health.memory_max_mb, 2048);
    let on_disk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        on_disk,
        json!({
            "clis": {
                "claude": { "binary": "/opt/claude" },
                "codex": { "binary": "/opt/codex", "args": ["-c", "x"], "env": { "A": "b" } }
            },
            "health": { "memoryMaxMb": 2048 },
            "theme": "dark"
        }),
        "defaults are not written out and other fields stay as written"
    );
    // What the engine reads at its next use is the new file.
    assert_eq!(engine.settings_read().unwrap().settings, read.settings);

    // `null` goes back to the default and leaves no empty object behind.
    engine.settings_update(&json!({ "clis": { "claude": { "binary": null } }, "theme": null })).unwrap();
    let on_disk: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(on_disk["clis"].get("claude"), None);
    assert_eq!(on_disk.get("theme"), None);
    assert_eq!(on_disk["clis"]["codex"]["env"]["A"], "b");
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(tmp.path().join("home"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("settings") || n.starts_with(".tmp"))
        .collect();
    assert_eq!(names, vec!["settings.json"]);
}

#[test]
fn a_bad_change_names_the_field_and_leaves_the_file_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("settings.json");
    let before = "{\n  \"worktrees\": { \"retentionDays\": 3 }\n}\n";
    std::fs::write(&path, before).unwrap();
    let cases = [
        (json!({ "clis": { "claude": { "binray": "/x" } } }), "clis.claude.binray: unknown field `binray`"),
        (json!({ "worktrees": { "retentionDays": -1 } }), "worktrees.retentionDays: must be a number, 0 or more"),
        (json!({ "theme": "purple" }), "theme: unknown variant `purple`"),
        (json!({ "notifications": "yes" }), "notifications: invalid type"),
        (json!({ "editor": { "program": " " } }), "editor.program: is empty"),
        (json!({ "clis": { "gemini": { "env": { "A=B": "c" } } } }), "clis.gemini.env: `A=B` is not a variable name"),
        (json!({ "wizard": { "maxQuestions": 0 } }), "wizard.maxQuestions: must be a whole number from 1 to 20"),
        (json!({ "wizard": { "planner": "command" } }), "wizard.planner: must be claude, codex or gemini"),
        (json!({ "wizard": { "planner": "cursor" } }), "wizard.planner: unknown variant `cursor`"),
        (json!({ "agents": { "sandbox": "on" } }), "agents.sandbox: unknown variant `on`, expected `auto` or `off`"),
        (json!("dark"), "a change is a JSON object"),
    ];
    for (patch, expected) in cases {
        let err = settings_update(&path, &patch).unwrap_err();
        assert!(err.to_string().contains(expected), "{patch}: {err}");
        assert_eq!(baton_core::Error::from(err).code(), ErrorCode::InvalidInput);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "{patch} changed the file");
    }
    // A file that is not JSON is not overwritten: the error names its line, as a read's does.
    std::fs::write(&path, "{\n  \"theme\": \"dark\",,\n}").unwrap();
    let err = settings_update(&path, &json!({ "theme": "light" })).unwrap_err();
    assert!(err.to_string().contains("settings.json, line 2"), "{err}");
    assert_eq!(baton_core::Error::from(err).code(), ErrorCode::InvalidSettings);
    // A rule broken by hand is mended by the change that fixes it.
    std::fs::write(&path, r#"{"worktrees": {"retentionDays": -2}}"#).unwrap();
    assert!(Settings::load(&path).unwrap_err().to_string().contains("worktrees.retentionDays: must be a number"));
    let fixed = settings_update(&path, &json!({ "worktrees": { "retentionDays": 0 } })).unwrap();
    assert_eq!(fixed.worktrees.retention_days, 0.0);
    // The wizard's planner: a field left out takes its default.
    let set = settings_update(&path, &json!({ "wizard": { "planner": "gemini" } })).unwrap();
    let wizard = set.wizard.unwrap();
    assert_eq!((wizard.planner, wizard.max_questions), (baton_core::agent::protocol::CliKind::Gemini, 5));
    // The sandbox: on where it works unless turned off.
    assert_eq!(set.agents.sandbox, baton_core::settings::SandboxSetting::Auto);
    let set = settings_update(&path, &json!({ "agents": { "sandbox": "off" } })).unwrap();
    assert_eq!(set.agents.sandbox, baton_core::settings::SandboxSetting::Off);
}

#[test]
fn a_typo_in_the_new_fields_names_the_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("settings.json");
    std::fs::write(&path, "{\n  \"editor\": {\n    \"programme\": \"zed\"\n  }\n}\n").unwrap();
    let msg = Settings::load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("settings.json, line 3") && msg.contains("editor.programme: unknown field `programme`"),
        "{msg}"
    );
    std::fs::write(&path, "{\"theme\": \"dark\",\n \"notification\": false}").unwrap();
    let msg = Settings::load(&path).unwrap_err().to_string();
    assert!(msg.contains("line 2") && msg.contains("unknown field `notification`"), "{msg}");
}

#[test]
fn clis_are_detected_on_the_path_with_their_version() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    script(&bin, "claude", "echo \"2.1.0 (Claude Code)\"");
    script(&bin, "gemini", "echo 'gemini: broken install' >&2; exit 3");
    let elsewhere = script(tmp.path(), "my-codex", "echo \"codex-cli $CODEX_FLAVOUR\"");
    let settings: Settings = serde_json::from_value(json!({
        "clis": { "codex": { "binary": elsewhere, "env": { "CODEX_FLAVOUR": "0.9-test" } } }
    }))
    .unwrap();

    let found = cli_detect(&settings, None, &lookup(&bin));
    let [claude, codex, gemini] = found.as_slice() else { panic!("three CLIs: {found:?}") };
    assert_eq!(claude.cli, CliKind::Claude);
    assert_eq!(claude.path.as_deref(), Some(bin.join("claude").to_str().unwrap()));
    assert_eq!(claude.version.as_deref(), Some("2.1.0 (Claude Code)"));
    assert!(!claude.configured && claude.problem.is_none());
    // The configured binary, run with the configured environment.
    assert!(codex.configured);
    assert_eq!(codex.version.as_deref(), Some("codex-cli 0.9-test"));
    let problem = gemini.problem.as_deref().unwrap();
    assert!(problem.contains("exit status: 3") && problem.contains("gemini: broken install"), "{problem}");

    // Not found: what to do.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let found = cli_detect(&Settings::default(), Some(CliKind::Claude), &lookup(&empty));
    assert_eq!(found.len(), 1);
    let problem = found[0].problem.as_deref().unwrap();
    assert!(
        problem.contains("`claude` is not on PATH") && problem.contains("npm install -g @anthropic-ai/claude-code")
    );
    assert_eq!(found[0].install, "npm install -g @anthropic-ai/claude-code");
    let missing: Settings =
        serde_json::from_value(json!({ "clis": { "claude": { "binary": "/nowhere/claude" } } })).unwrap();
    let found = cli_detect(&missing, Some(CliKind::Claude), &lookup(&bin));
    assert!(
        found[0].problem.as_deref().unwrap().contains("/nowhere/claude (set as clis.claude.binary) does not exist")
    );
}

#[test]
fn editors_are_detected_and_terminal_ones_only_with_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for name in ["cursor", "zed", "zeditor", "nvim"] {
        script(&bin, name, "exit 0");
    }
    let found = editors_detect(&lookup(&bin));
    let programs: Vec<&str> = found.editors.iter().map(|e| e.program.as_str()).collect();
    assert_eq!(programs, ["cursor", "zed"], "one Zed, and no vim without a terminal");
    assert_eq!(found.terminal, None);

    let xterm = script(&bin, "xterm", "exit 0");
    let found = editors_detect(&lookup(&bin));
    let nvim = found.editors.iter().find(|e| e.program == "nvim").unwrap();
    assert!(nvim.terminal && nvim.name == "Neovim");
    assert_eq!(found.terminal.as_deref(), Some(xterm.to_str().unwrap()));

    // JetBrains Toolbox's launchers are found though not on PATH.
    let home = tmp.path().join("home");
    let scripts = home.join(".local/share/JetBrains/Toolbox/scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    script(&scripts, "idea", "exit 0");
    let found = editors_detect(&Lookup { path: bin.as_os_str().to_owned(), home: Some(home) });
    assert!(found.editors.iter().any(|e| e.program == "idea" && e.name == "IntelliJ IDEA" && !e.terminal));
}

/// Waits (bounded) for `path` to be written by a started program.
fn read_when_written(path: &Path) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("{} was never written", path.display());
}

#[test]
fn the_editor_opens_the_folder_directly_or_in_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    let folder = tmp.path().join("worktree with space");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&folder).unwrap();
    let record = tmp.path().join("record");
    let recorder =
        format!("printf '%s|' \"$PWD\" \"$@\" > '{0}.tmp'; echo >> '{0}.tmp'; mv '{0}.tmp' '{0}'", record.display());
    let zed = script(&bin, "zed", &recorder);
    script(&bin, "nvim", "exit 0");

    // Nothing set: the first GUI editor found, the folder as its argument and working folder.
    let opened = editor_open(&Settings::default(), &folder, &lookup(&bin)).unwrap();
    assert_eq!(opened.command, [zed.to_str().unwrap(), folder.to_str().unwrap()]);
    let f = folder.to_str().unwrap();
    assert_eq!(read_when_written(&record), format!("{f}|{f}|\n"));
    std::fs::remove_file(&record).unwrap();

    // A terminal editor inside the terminal emulator, with the editor's arguments.
    let xterm = script(&bin, "xterm", &recorder);
    let settings = Settings {
        editor: Some(EditorSettings { program: "nvim".into(), args: vec!["-R".into()], terminal: true }),
        ..Settings::default()
    };
    editor_open(&settings, &folder, &lookup(&bin)).unwrap();
    let nvim = bin.join("nvim");
    assert_eq!(read_when_written(&record), format!("{f}|-e|{}|-R|{f}|\n", nvim.display()));
    std::fs::remove_file(&xterm).unwrap();

    // What goes wrong says what to do.
    let err = editor_open(&settings, &folder, &lookup(&bin)).unwrap_err().to_string();
    assert!(err.contains("no terminal emulator was found"), "{err}");
    script(&bin, "failing", "exit 4");
    let failing = Settings {
        editor: Some(EditorSettings { program: "failing".into(), args: vec![], terminal: false }),
        ..Settings::default()
    };
    let err = editor_open(&failing, &folder, &lookup(&bin)).unwrap_err().to_string();
    assert!(err.contains("ended at once (exit status: 4)"), "{err}");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = editor_open(&Settings::default(), &folder, &lookup(&empty)).unwrap_err().to_string();
    assert!(err.contains("no editor is set and none was found"), "{err}");
    let err = editor_open(&failing, &tmp.path().join("gone"), &lookup(&bin)).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
}
