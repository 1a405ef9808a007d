//! `baton wizard`: from a goal on a repository the test makes to launched tasks, with the plan
//! edited through a file on the way, and the refusals a user meets.

use std::path::PathBuf;

use crate::support::{Home, git, s};

/// Two languages in two folders, a package.json with a test script, a Cargo.toml.
fn shop(h: &Home) -> PathBuf {
    let dir = h.tmp.path().join("shop");
    for (path, text) in [
        ("package.json", r#"{"scripts": {"test": "vitest run"}}"#),
        ("web/app.ts", "export const a = 1;\n"),
        ("web/cart.ts", "export const b = 2;\n"),
        ("web/index.html", "<html></html>\n"),
        ("core/Cargo.toml", "[package]\nname = \"core\"\nversion = \"0.1.0\"\n"),
        ("core/src/lib.rs", "pub fn f() {}\n"),
    ] {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "."]);
    git(&dir, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init"]);
    dir
}

fn id_of(h: &Home, session: &str) -> String {
    let list: serde_json::Value =
        serde_json::from_str(&h.ok(&["wizard", "list", "--session", session, "--json"])).unwrap();
    list[0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_goal_becomes_launched_tasks_with_its_answers_in_the_context() {
    let h = Home::new();
    let repo = shop(&h);
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "shop"]);
    let out = h.ok(&["wizard", "start", "--session", "shop", "--goal", "add discount codes"]);
    let w = out.lines().next().unwrap().trim().to_owned();
    assert!(w.starts_with("wiz_"), "{out}");
    assert!(out.contains("question 1 of at most 7: What must be true when this is done?"), "{out}");
    assert!(out.contains("why: "), "{out}");

    let out = h.ok(&["wizard", "answer", &w, "A code takes 10% off at checkout"]);
    assert!(out.contains("1. web (TypeScript, 3 files)  [recommended]"), "{out}");
    assert!(out.contains("2. core (Rust, 2 files)"), "{out}");
    let out = h.ok(&["wizard", "answer", &w, "1", "2"]);
    assert!(out.contains("What must not break?"), "{out}");
    let out = h.ok(&["wizard", "answer", &w, "Stored data"]);
    assert!(out.contains("1. npm test (declared in package.json)  [recommended]"), "{out}");
    assert!(out.contains("cd core && cargo test"), "{out}");
    let err = h.err(&["wizard", "answer", &w, "make test"]);
    assert!(err.contains("\"make test\" is not one of the options: 1. npm test, 2. cd core && cargo test"), "{err}");
    h.ok(&["wizard", "answer", &w]); // npm test
    h.ok(&["wizard", "answer", &w, "2"]); // two at once
    let out = h.ok(&["wizard", "answer", &w, "codex, up to 3 rounds"]);
    assert!(out.contains("When the reviewer approves"), "{out}");
    let out = h.ok(&["wizard", "answer", &w, "1"]);
    assert!(out.contains("plan (guided): 3 agents, 5 tasks, at most 2 at once"), "{out}");
    assert!(out.contains("review-core"), "{out}");

    // The plan through a file: the core part and its review removed.
    let file = h.tmp.path().join("plan.json");
    h.ok(&["wizard", "plan", &w, "-o", s(&file)]);
    let mut plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    plan["tasks"].as_array_mut().unwrap().retain(|t| !t["name"].as_str().unwrap().ends_with("-core"));
    let mut broken = plan.clone();
    broken["tasks"][1]["role"] = "tester".into();
    std::fs::write(&file, serde_json::to_string(&broken).unwrap()).unwrap();
    let err = h.err(&["wizard", "edit", &w, "--plan", s(&file)]);
    assert!(err.contains("tasks[1].role: unknown role \"tester\""), "{err}");
    std::fs::write(&file, serde_json::to_string(&plan).unwrap()).unwrap();
    let out = h.ok(&["wizard", "edit", &w, "--plan", s(&file)]);
    assert!(out.contains("3 tasks") && !out.contains("review-core"), "{out}");

    let out = h.ok(&["wizard", "launch", &w]);
    assert!(out.contains("spec") && out.contains("ready") && out.contains("implement-web"), "{out}");
    let err = h.err(&["wizard", "launch", &w]);
    assert!(err.contains("is launched"), "{err}");

    let tasks = h.ok(&["task", "list", "--session", "shop"]);
    for name in ["spec", "implement-web", "review-web"] {
        assert!(tasks.contains(name), "{name} in {tasks}");
    }
    assert!(!tasks.contains("core"), "{tasks}");
    let status = h.ok(&["status", "--session", "shop"]);
    assert!(status.contains("[ ] add discount codes"), "{status}");
    assert!(status.contains("What must not break? Stored data"), "{status}");
    assert!(status.contains("Who reviews the work? Codex, up to 3 rounds"), "{status}");
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["session", "show", "shop", "--json"])).unwrap();
    assert_eq!(json["settings"]["maxAgents"], 2, "{json}");
}

#[test]
fn refusals_say_what_to_do_and_a_draft_outlives_the_daemon() {
    let h = Home::new();
    let repo = shop(&h);
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "shop"]);
    let err = h.err(&["wizard", "start", "--session", "shop", "--goal", " "]);
    assert!(err.contains("the goal is empty"), "{err}");
    let err = h.err(&["wizard", "show", "wiz_unknown"]);
    assert!(err.contains("no wizard has the id \"wiz_unknown\""), "{err}");
    // Not a terminal: the dialogue needs one, and says how to go without.
    let out = h.baton(&["wizard"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("baton wizard start --session S --goal TEXT"));

    h.ok(&["wizard", "start", "--session", "shop", "--goal", "g"]);
    let w = id_of(&h, "shop");
    h.ok(&["wizard", "answer", &w, "It works"]);
    // A draft outlives the daemon: the next command starts another, which finds it.
    h.ok(&["daemon", "stop"]);
    let out = h.ok(&["wizard", "show", &w]);
    assert!(out.contains("It works") && out.contains("question 2 of at most 7"), "{out}");
    h.ok(&["wizard", "back", &w]);
    let err = h.err(&["wizard", "plan", &w]);
    assert!(err.contains("questions left"), "{err}");
    let shown: serde_json::Value = serde_json::from_str(&h.ok(&["wizard", "show", &w, "--json"])).unwrap();
    assert_eq!(shown["question"]["id"], "done");
    assert_eq!(shown["facts"]["folders"][0]["path"], "web");
    assert!(h.ok(&["wizard", "discard", &w]).contains("discarded"));
    let err = h.err(&["wizard", "answer", &w, "x"]);
    assert!(err.contains("is discarded"), "{err}");
}

#[test]
fn the_agent_engine_names_a_bad_engine_or_cli_and_a_missing_cli() {
    let h = Home::new();
    let repo = shop(&h);
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "shop"]);
    let start = |extra: &[&str]| {
        let mut args = vec!["wizard", "start", "--session", "shop", "--goal", "add discount codes"];
        args.extend_from_slice(extra);
        h.baton(&args)
    };
    let out = start(&["--engine", "magic"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid value 'magic'") && err.contains("guided, agent"), "{err}");
    let out = start(&["--engine", "agent", "--cli", "cursor"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid value 'cursor'") && err.contains("claude, codex, gemini"), "{err}");
    let err = h.err(&["wizard", "start", "--session", "shop", "--goal", "g", "--cli", "codex"]);
    assert!(err.contains("--cli codex names the planner of the agent engine; add --engine agent"), "{err}");

    // A planner CLI that is not there: the error every spawn gives, and nothing left behind.
    std::fs::create_dir_all(&h.home).unwrap();
    std::fs::write(h.home.join("settings.json"), r#"{"clis": {"codex": {"binary": "/nowhere/codex"}}}"#).unwrap();
    let err = h.err(&["wizard", "start", "--session", "shop", "--goal", "g", "--engine", "agent", "--cli", "codex"]);
    assert!(err.contains("clis.codex.binary = /nowhere/codex) does not exist or is not executable"), "{err}");
    assert!(h.ok(&["wizard", "list", "--session", "shop"]).contains("no wizards yet"));
    let agents: serde_json::Value = serde_json::from_str(&h.ok(&["list", "--json"])).unwrap();
    assert_eq!(agents.as_array().map(Vec::len), Some(0), "{agents}");
}

/// `--engine agent` with the real Claude Code (tests/agent-clis) as the planner, its replies
/// scripted by the fake model server: `start` waits for the planner's question and prints it;
/// after two replies it cannot use, `answer` prints the note and the guided engine's question.
#[test]
fn the_agent_engine_prints_the_planners_question_then_the_guided_one_after_two_bad_replies() {
    use baton_fake_model::{AgentCli, FakeModel, Scenario, Step, cli_bin, cli_setup};
    const KEY: &str = "baton-cli-wizard";
    let h = Home::new();
    let repo = shop(&h);
    h.ok(&["session", "new", "--repo", s(&repo), "--name", "shop"]);
    let question = r#"{"question": {"text": "Which parts change?", "why": "Each part gets a builder.", "options": [{"label": "web", "recommended": true}, {"label": "core"}], "multiple": true}}"#;
    let fake = FakeModel::start([(
        KEY.to_owned(),
        Scenario::new([Step::text(question), Step::text("Let me think."), Step::text("Still thinking.")]),
    )]);
    let setup = cli_setup(AgentCli::Claude, &fake.url(), KEY, &h.tmp.path().join("claude-home"));
    let env: serde_json::Map<String, serde_json::Value> =
        setup.env.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
    let settings = serde_json::json!({
        "clis": {"claude": {"binary": cli_bin(AgentCli::Claude), "args": setup.args, "env": env}},
    });
    std::fs::create_dir_all(&h.home).unwrap();
    std::fs::write(h.home.join("settings.json"), settings.to_string()).unwrap();

    let out = h.ok(&["wizard", "start", "--session", "shop", "--goal", "add discount codes", "--engine", "agent"]);
    assert!(out.contains("question 1 of at most 5: Which parts change?"), "{out}");
    assert!(out.contains("why: Each part gets a builder.") && out.contains("1. web  [recommended]"), "{out}");
    let w = id_of(&h, "shop");
    let shown: serde_json::Value = serde_json::from_str(&h.ok(&["wizard", "show", &w, "--json"])).unwrap();
    assert_eq!((shown["engine"].as_str(), shown["planner"]["agentName"].as_str()), (Some("agent"), Some("planner")));

    let out = h.ok(&["wizard", "answer", &w, "2"]);
    assert!(out.contains("note: The planner (planner) replied twice with something Baton could not use"), "{out}");
    assert!(out.contains("question 1 of at most 7: What must be true when this is done?"), "{out}");
    let shown: serde_json::Value = serde_json::from_str(&h.ok(&["wizard", "show", &w, "--json"])).unwrap();
    assert_eq!(shown["engine"], "guided");
    assert_eq!(shown["answers"][0]["values"][0], "core", "the planner's answer is kept");
    let out = h.ok(&["wizard", "show", &w]);
    assert!(out.contains("planner: agent planner (claude), at most 5 questions; engine now guided"), "{out}");
    assert!(out.contains("Which parts change? core"), "{out}");
}
