//! `baton task add|list` and `baton complete`: a session's task graph from the command line.

use crate::support::{Home, s};

#[test]
fn tasks_are_added_listed_and_completed_and_their_branches_follow() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    let id = h.ok(&["task", "add", "--session", "work", "--title", "Build it", "--prompt", "build", "--name", "build"]);
    assert!(id.trim().starts_with("tsk_"), "{id}");
    h.ok(&["task", "add", "--session", "work", "--title", "Ship", "--prompt", "ship", "--if-succeeded", "build"]);
    h.ok(&[
        "task",
        "add",
        "--session",
        "work",
        "--title",
        "Fix",
        "--prompt",
        "fix",
        "--if-failed",
        "build",
        "--cli",
        "codex",
    ]);
    let err = h.err(&["task", "add", "--session", "work", "--title", "X", "--prompt", "x", "--after", "nope"]);
    assert!(err.contains("\"nope\"") && err.contains("not a task"), "{err}");

    let list = h.ok(&["task", "list", "--session", "work"]);
    assert!(list.contains("build") && list.contains("ready"), "{list}");
    assert!(list.contains("ship") && list.contains("build succeeded"), "{list}");

    assert!(h.ok(&["complete", "build", "failed", "--note", "tests are red"]).contains("build is failed"));
    let tasks: serde_json::Value =
        serde_json::from_str(&h.ok(&["task", "list", "--session", "work", "--json"])).unwrap();
    let state = |name: &str| tasks.as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["state"].clone();
    assert_eq!(state("build"), "failed");
    assert_eq!(state("fix"), "ready");
    assert_eq!(state("ship"), "cancelled");
    let list = h.ok(&["task", "list", "--session", "work"]);
    assert!(list.contains("build failed; this task runs only if it succeeds"), "{list}");
    let again = h.err(&["complete", "build", "done"]);
    assert!(again.contains("already failed"), "{again}");
}

#[test]
fn patterns_are_listed_and_run_for_a_goal() {
    let h = Home::new();
    let repo = h.repo("r");
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "work"]);
    let list = h.ok(&["pattern", "list"]);
    assert!(list.contains("tri-agent") && list.contains("spec -> implement -> review"), "{list}");
    let run = h.ok(&["pattern", "run", "tri-agent", "--session", "work", "--goal", "add a health endpoint"]);
    assert!(
        run.contains("spec") && run.contains("ready") && run.contains("implement") && run.contains("pending"),
        "{run}"
    );
    let err = h.err(&["pattern", "run", "tri-agent", "--session", "work", "--goal", ""]);
    assert!(err.contains("goal is empty"), "{err}");

    // A pattern's graph, changed as a run would be; a fan-out runs as its siblings.
    let shown = h.ok(&["pattern", "show", "best-of-n", "--set", "count=5"]);
    assert!(shown.contains("implement x5 (implementer) [fan-out]"), "{shown}");
    assert!(shown.contains("select [select] <- implement"), "{shown}");
    let run = h.ok(&["pattern", "run", "best-of-n", "--session", "work", "--goal", "greet", "--set", "count=2"]);
    assert!(run.contains("implement-1") && run.contains("implement-2") && run.contains("select"), "{run}");
    let zero = h.err(&["pattern", "show", "best-of-n", "--set", "count=0"]);
    assert!(zero.contains("templates/best-of-n.toml (built-in)") && zero.contains("0 tasks"), "{zero}");
    let candidates = h.err(&["task", "candidates", "implement-1"]);
    assert!(candidates.contains("neither selects nor votes"), "{candidates}");
}
