use crate::support::{Home, s};

#[test]
fn help_and_version() {
    let h = Home::new();
    let help = h.ok(&["--help"]);
    for word in ["daemon", "session", "--home"] {
        assert!(help.contains(word), "help mentions {word}: {help}");
    }
    assert_eq!(h.ok(&["--version"]).trim(), format!("baton {}", env!("CARGO_PKG_VERSION")));
    let usage = h.baton(&["session", "frobnicate"]);
    assert_eq!(usage.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn new_list_show_rename_archive() {
    let h = Home::new();
    let repo = h.repo("my repo");
    assert!(h.ok(&["session", "list"]).contains("no sessions yet"));

    let id = h.ok(&["session", "new", "--repo", s(&repo), "--name", "feature"]).trim().to_owned();
    assert!(id.starts_with("ses_"), "{id}");
    // A relative path is taken from where the command runs.
    let id2 = h.ok(&["session", "new", "--repo", "my repo"]).trim().to_owned();

    let list: serde_json::Value = serde_json::from_str(&h.ok(&["session", "list", "--json"])).unwrap();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["my repo", "feature"], "newest first, default name from the folder");
    assert_eq!(list[1]["repo"], repo.canonicalize().unwrap().to_str().unwrap());
    assert_eq!(list[1]["baseBranch"], "main");

    let table = h.ok(&["session", "list"]);
    assert!(table.starts_with("ID "), "{table}");
    assert!(table.contains(&id) && table.contains(&id2));

    let shown: serde_json::Value = serde_json::from_str(&h.ok(&["session", "show", "feature", "--json"])).unwrap();
    assert_eq!(shown["id"], id.as_str());
    assert!(h.ok(&["session", "show", &id]).contains("base branch: main"));

    h.ok(&["session", "rename", &id, "renamed"]);
    h.ok(&["session", "archive", "renamed"]);
    let active = h.ok(&["session", "list", "--json"]);
    assert!(!active.contains("renamed"), "archived sessions are hidden: {active}");
    let all = h.ok(&["session", "list", "--all", "--json"]);
    assert!(all.contains("\"renamed\"") && all.contains("\"archived\""), "{all}");
    h.ok(&["session", "unarchive", "renamed"]);
    assert!(h.ok(&["session", "list"]).contains("renamed"));
}

#[test]
fn bad_input_gets_one_clear_line() {
    let h = Home::new();
    let plain = h.tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    assert!(h.err(&["session", "new", "--repo", s(&plain)]).contains("is not a git repository; run `git init`"));
    assert!(h.err(&["session", "new", "--repo", "/does/not/exist"]).contains("does not exist"));
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "x"]);
    assert!(
        h.err(&["session", "new", "--repo", s(&repo), "--name", "x"]).contains("already exists; choose another name")
    );
    assert!(h.err(&["session", "show", "nope"]).contains("no session has the id or name"));
    assert!(h.err(&["session", "rename", "x", " "]).contains("it is empty"));
    // Nothing half-made: still exactly one session.
    let list: serde_json::Value = serde_json::from_str(&h.ok(&["session", "list", "--all", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn a_reader_that_closes_early_ends_the_command_quietly() {
    let h = Home::new();
    let repo = h.repo("r");
    for n in 0..40 {
        h.ok(&["session", "new", "--repo", s(&repo), "--name", &format!("session-{n}")]);
    }
    // `baton session list | head -1`: the reader takes one line and closes the pipe.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["session", "list"])
        .env("BATON_HOME", &h.home)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no backtrace: {}", String::from_utf8_lossy(&out.stderr));
}
