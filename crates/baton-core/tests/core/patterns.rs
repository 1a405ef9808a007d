//! Orchestration patterns run by the coordinator over the stand-in for Claude Code (see
//! `tests/fixtures/fake-claude`): fan-out and gather, selection by checks and a judge, votes,
//! gates, and the templates folder with a broken file in it. The real CLIs run the shipped
//! templates in the daemon's tests.

use std::path::Path;
use std::time::{Duration, Instant};

use baton_core::coordinator::TaskPick;
use baton_core::error::ErrorCode;
use baton_core::pattern::PatternRun;
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::task::TaskState;
use baton_core::{BatonHome, Engine};

use crate::support::repo_new;

struct Setup {
    _runtime: tokio::runtime::Runtime,
    engine: Engine,
    _tmp: tempfile::TempDir,
    home: BatonHome,
}

/// An engine with the fake Claude answering `verdicts` (in order) to prompts saying "JSON only",
/// a session `s` on a fresh repository cycling every second, and the user templates given.
fn setup(verdicts: &[&str], templates: &[(&str, &str)]) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    let verdict_file = tmp.path().join("verdicts");
    std::fs::write(&verdict_file, verdicts.iter().map(|v| format!("{v}\n")).collect::<String>()).unwrap();
    std::fs::create_dir_all(home.root().join("templates")).unwrap();
    for (file, text) in templates {
        std::fs::write(home.root().join("templates").join(file), text).unwrap();
    }
    // Unconfined: the stand-in Claude talks with the test through files under the /tmp a
    // sandbox hides (the sandbox's own tests are in the daemon's suite).
    let settings = serde_json::json!({"agents": {"sandbox": "off"}, "clis": {"claude": {"binary": fake, "env": {
        "FAKE_VERDICTS": verdict_file, "FAKE_DIR": tmp.path()
    }}}});
    std::fs::write(home.settings_file(), settings.to_string()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let engine = {
        let _enter = rt.enter();
        Engine::open(home.clone()).unwrap()
    };
    let repo = repo_new(tmp.path(), "repo");
    engine
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    engine.session_update("s", &SessionUpdate { cycle_secs: Some(1), ..Default::default() }).unwrap();
    Setup { _runtime: rt, engine, _tmp: tmp, home }
}

fn run(e: &Engine, pattern: &str, set: &[&str]) -> Vec<baton_core::task::Task> {
    let set = (!set.is_empty()).then(|| set.iter().map(|s| (*s).to_owned()).collect());
    e.pattern_run(pattern, &PatternRun { session: "s".into(), goal: "add a greeting".into(), set }).unwrap()
}

fn until(e: &Engine, what: &str, secs: u64, done: impl Fn(&Engine) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(e) {
        if Instant::now() > deadline {
            let tasks: Vec<String> = e
                .task_list("s")
                .unwrap()
                .iter()
                .map(|t| format!("{}={} {:?} {:?}", t.name, t.state.as_str(), t.reason, t.outcome))
                .collect();
            let last = e.coordinator_cycles("s", 1).unwrap();
            panic!("never {what}; tasks {tasks:?}; last cycle {last:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn state(e: &Engine, name: &str) -> TaskState {
    e.task_get(name).unwrap().state
}

/// Three implementers and a select task whose check fails for `failing` candidates (by name).
fn best_of(check: &str, judge: bool) -> String {
    let judge_line = if judge { ", judge = \"judge\"" } else { "" };
    format!(
        "name = \"bo\"\ndescription = \"test\"\n[roles.judge]\nprompt = \"You judge.\"\n\
         [[tasks]]\nname = \"impl\"\ntitle = \"Build {{goal}}\"\nprompt = \"build {{goal}}\"\ncount = 3\n\
         [[tasks]]\nname = \"pick\"\ntitle = \"Pick\"\nafter = [\"impl\"]\nprompt = \"Pick the best of {{impl}}\"\n\
         select = {{ command = {check:?}{judge_line} }}\n"
    )
}

#[test]
fn a_broken_template_is_listed_with_its_error_and_the_others_work() {
    let good =
        "name = \"mine\"\ndescription = \"one task\"\n[[tasks]]\nname = \"a\"\ntitle = \"t\"\nprompt = \"do {goal}\"\n";
    let broken = "name = \"oops\"\n[[tasks]]\nname = \"a\"\ntitel = \"t\"\nprompt = \"p\"\n";
    let s = setup(&[], &[("mine.toml", good), ("oops.toml", broken)]);
    let e = &s.engine;
    let list = e.pattern_list().unwrap();
    let oops = list.iter().find(|p| p.name == "oops").unwrap();
    let err = oops.error.as_deref().unwrap();
    assert!(err.contains("oops.toml, line 4") && err.contains("titel"), "{err}");
    for name in ["mine", "tri-agent", "best-of-n", "research-synthesis", "pipeline", "hierarchical", "consensus"] {
        let p = list.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{name} missing from {list:?}"));
        assert_eq!(p.error, None);
        assert!(!p.description.is_empty());
    }
    // The others run; the broken one says what is wrong.
    assert_eq!(run(e, "tri-agent", &[]).len(), 3);
    assert_eq!(run(e, "mine", &[]).len(), 1);
    let refused = e.pattern_run("oops", &PatternRun { session: "s".into(), goal: "g".into(), set: None }).unwrap_err();
    assert!(refused.to_string().contains("titel"), "{refused}");
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    let _ = &s.home;
}

#[test]
fn a_run_fans_out_gathers_and_records_its_goal() {
    let s = setup(&[], &[]);
    let e = &s.engine;
    let tasks = run(e, "research-synthesis", &["count=2"]);
    let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["research-1", "research-2", "synthesis"]);
    let synthesis = &tasks[2];
    assert_eq!(synthesis.deps.len(), 2, "the gather runs after every sibling");
    assert!(synthesis.prompt.contains("### research-1\n\n{research-1}"), "{}", synthesis.prompt);
    let session = e.session_get("s").unwrap();
    let objectives = e.objectives(&session.id).unwrap();
    assert!(objectives.iter().any(|o| o.text.contains("add a greeting")), "{objectives:?}");
    // The graph as `pattern show` prints it, changes applied.
    let g = e.pattern_show("best-of-n", &["count=5".into()]).unwrap();
    assert_eq!(g.nodes[0].count, Some(5));
    assert_eq!(g.nodes[0].clis, ["claude", "codex", "gemini", "claude", "codex"]);
    assert_eq!(g.edges.len(), 1);
    // Clear errors: a fan-out of 0, an unknown pattern.
    let zero = e
        .pattern_run(
            "best-of-n",
            &PatternRun { session: "s".into(), goal: "g".into(), set: Some(vec!["count=0".into()]) },
        )
        .unwrap_err();
    assert!(zero.to_string().contains("0 tasks"), "{zero}");
    assert_eq!(e.pattern_show("nope", &[]).unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn best_of_n_checks_each_candidate_then_the_judge_asked_twice_picks_and_the_winner_merges() {
    let verdict = r#"{\"winner\":\"impl-3\",\"scores\":{\"impl-1\":6,\"impl-3\":9},\"reasons\":\"impl-3 is simpler\"}"#;
    let s = setup(
        &["I like impl-3 best.", verdict],
        &[("bo.toml", &best_of("[ \"$BATON_CANDIDATE\" != impl-2 ] || { echo 'test_greeting broke'; exit 1; }", true))],
    );
    let e = &s.engine;
    e.session_update("s", &SessionUpdate { auto_merge: Some(true), ..Default::default() }).unwrap();
    run(e, "bo", &[]);
    e.coordinator_start("s").unwrap();
    until(e, "picked", 90, |e| state(e, "pick").is_final() || state(e, "pick") == TaskState::Blocked);
    let pick = e.task_get("pick").unwrap();
    assert_eq!(pick.state, TaskState::Done, "{pick:?}");
    let outcome = pick.outcome.clone().unwrap();
    assert!(outcome.contains("impl-3 chosen (judge)") && outcome.contains("merged into"), "{outcome}");
    // The judge saw only the candidates that passed, and was asked again once.
    let sent = pick.sent_prompt.unwrap();
    assert!(sent.contains("<one of impl-1, impl-3>"), "{sent}");
    let judge = e.agent_get(pick.agent_id.as_deref().unwrap()).unwrap();
    assert_eq!(judge.turns, 2, "asked again once after the malformed verdict");
    let sel = e.task_candidates("pick").unwrap();
    assert_eq!((sel.winner.as_deref(), sel.decided_by.as_deref()), (Some("impl-3"), Some("judge")));
    assert_eq!(sel.reasons.as_deref(), Some("impl-3 is simpler"));
    let by = |n: &str| sel.candidates.iter().find(|c| c.name == n).unwrap();
    assert!(by("impl-1").passed && !by("impl-2").passed && by("impl-3").chosen);
    assert_eq!(by("impl-2").exit_code, Some(1));
    assert!(by("impl-2").check_output.as_deref().unwrap().contains("test_greeting broke"));
    assert_eq!(by("impl-3").score, Some(9.0));
    assert!(by("impl-1").diff.as_deref().unwrap().contains("work-1.txt"));
    // The winner's work is in the user's checkout.
    let repo = Path::new(&e.session_get("s").unwrap().repo).to_owned();
    assert!(repo.join("work-1.txt").exists());
    // Merged already: another pick would merge on top of it, and is refused saying so.
    let err = e.task_pick("pick", &baton_core::coordinator::TaskPick { candidate: "impl-1".into() }).unwrap_err();
    assert!(err.to_string().contains("impl-3 won and its work is merged into"), "{err}");
    assert_eq!(e.task_candidates("pick").unwrap().winner.as_deref(), Some("impl-3"), "nothing changed");
}

#[test]
fn every_candidate_failing_blocks_with_the_check_output_kept_and_the_user_picks() {
    let s = setup(&[], &[("bo.toml", &best_of("echo 'boom: 3 tests failed'; exit 2", true))]);
    let e = &s.engine;
    run(e, "bo", &[]);
    e.coordinator_start("s").unwrap();
    until(e, "blocked", 90, |e| state(e, "pick") == TaskState::Blocked);
    let pick = e.task_get("pick").unwrap();
    let reason = pick.reason.unwrap();
    assert!(reason.contains("every candidate failed its check") && reason.contains("impl-2 (exit 2"), "{reason}");
    let sel = e.task_candidates("pick").unwrap();
    assert!(sel.candidates.iter().all(|c| !c.passed && c.check_output.as_deref().unwrap().contains("boom")));
    assert!(pick.agent_id.is_none(), "no judge ran");
    // The user picks one anyway.
    let picked = e.task_pick("pick", &TaskPick { candidate: "impl-2".into() }).unwrap();
    assert_eq!((picked.winner.as_deref(), picked.decided_by.as_deref()), (Some("impl-2"), Some("user")));
    assert_eq!(state(e, "pick"), TaskState::Done);
    let bad = e.task_pick("pick", &TaskPick { candidate: "impl-9".into() }).unwrap_err();
    assert!(bad.to_string().contains("candidates are impl-1, impl-2, impl-3"), "{bad}");
}

#[test]
fn without_a_judge_the_smallest_diff_among_the_passing_wins() {
    let s = setup(&[], &[("bo.toml", &best_of("[ \"$BATON_CANDIDATE\" != impl-1 ]", false))]);
    let e = &s.engine;
    run(e, "bo", &[]);
    e.coordinator_start("s").unwrap();
    until(e, "picked", 90, |e| state(e, "pick") == TaskState::Done);
    let sel = e.task_candidates("pick").unwrap();
    assert_eq!(sel.decided_by.as_deref(), Some("smallest diff"));
    assert_eq!(sel.winner.as_deref(), Some("impl-2"), "equal diffs: the first passing one");
}

fn vote_template(count: u32) -> String {
    format!(
        "name = \"v\"\ndescription = \"test\"\n[roles.judge]\n\
         [[tasks]]\nname = \"review\"\ntitle = \"Review\"\nprompt = \"Vote on {{goal}}. JSON only\"\ncount = {count}\n\
         [[tasks]]\nname = \"decide\"\ntitle = \"Decide\"\nafter = [\"review\"]\nprompt = \"Votes: {{review}}\"\n\
         vote = {{ choices = [\"approve\", \"request_changes\"], judge = \"judge\" }}\n"
    )
}

#[test]
fn a_vote_goes_to_the_majority_and_a_tie_to_the_judge() {
    let yes = r#"{\"choice\":\"approve\",\"reasons\":\"fine\"}"#;
    let no = r#"{\"choice\":\"request_changes\",\"reasons\":\"no tests\"}"#;
    let s = setup(&[yes, no, yes], &[("v.toml", &vote_template(3))]);
    let e = &s.engine;
    run(e, "v", &[]);
    e.coordinator_start("s").unwrap();
    until(e, "decided", 60, |e| state(e, "decide") == TaskState::Done);
    let d = e.task_get("decide").unwrap();
    assert!(d.outcome.as_deref().unwrap().starts_with("approve: majority: approve 2, request_changes 1"), "{d:?}");
    assert!(d.agent_id.is_none(), "no judge needed");

    let tie = setup(&[yes, no, r#"{\"choice\":\"request_changes\"}"#], &[("v.toml", &vote_template(2))]);
    let e = &tie.engine;
    run(e, "v", &[]);
    e.coordinator_start("s").unwrap();
    until(e, "decided", 60, |e| state(e, "decide") == TaskState::Done);
    let sel = e.task_candidates("decide").unwrap();
    assert_eq!((sel.winner.as_deref(), sel.decided_by.as_deref()), (Some("request_changes"), Some("judge")));
    assert_eq!(sel.tally.iter().map(|t| t.votes).collect::<Vec<_>>(), [1, 1]);
    let sent = e.task_get("decide").unwrap().sent_prompt.unwrap();
    assert!(sent.contains("The vote is tied (approve 1, request_changes 1)"), "{sent}");
}

#[test]
fn a_failed_gate_stops_what_follows_with_the_reason() {
    let s = setup(&[], &[]);
    let e = &s.engine;
    run(e, "pipeline", &["implement.gate=echo 'lint: 2 errors'; exit 4"]);
    e.coordinator_start("s").unwrap();
    until(e, "stopped", 60, |e| state(e, "integrate") == TaskState::Cancelled);
    assert_eq!(state(e, "validate"), TaskState::Done, "its gate (`true`) passed");
    let implement = e.task_get("implement").unwrap();
    assert_eq!(implement.state, TaskState::Failed);
    assert!(implement.outcome.as_deref().unwrap().contains("exit 4): lint: 2 errors"), "{implement:?}");
    let review = e.task_get("review").unwrap();
    let reason = review.reason.unwrap();
    assert!(reason.contains("implement (its gate") && reason.contains("lint: 2 errors"), "{reason}");
}

#[test]
fn a_lead_adds_sub_tasks_within_its_limits_and_is_told_when_they_end() {
    let lead = "name = \"h\"\ndescription = \"test\"\n[roles.lead]\n[roles.researcher]\nprompt = \"You research.\"\n\
        [[tasks]]\nname = \"lead\"\nrole = \"lead\"\ntitle = \"Lead {goal}\"\nprompt = \"Lead {goal}. HOLD\"\n\
        delegate = { roles = [\"researcher\"], depth = 1, count = 2 }\n";
    let s = setup(&[], &[("h.toml", lead)]);
    let e = &s.engine;
    run(e, "h", &[]);
    e.coordinator_start("s").unwrap();
    until(e, "the lead started", 30, |e| state(e, "lead") == TaskState::Running);
    // What the lead's agent does over MCP (`task_add`, its own task set as the parent).
    let sub = |name: &str, role: Option<&str>| baton_core::task::TaskCreate {
        session: "s".into(),
        title: format!("Question {name}"),
        prompt: format!("Answer question {name}"),
        name: Some(name.into()),
        role: role.map(str::to_owned),
        parent: Some("lead".into()),
        ..Default::default()
    };
    let wrong_role = e.task_add(&sub("q0", Some("implementer"))).unwrap_err();
    assert!(wrong_role.to_string().contains("takes one of the roles researcher"), "{wrong_role}");
    let q1 = e.task_add(&sub("q1", None)).unwrap();
    assert_eq!((q1.role.as_deref(), q1.parent_id.is_some()), (Some("researcher"), true));
    assert!(q1.prompt.starts_with("You research."));
    e.task_add(&sub("q2", Some("researcher"))).unwrap();
    let over = e.task_add(&sub("q3", None)).unwrap_err();
    assert!(over.to_string().contains("has added its 2 sub-tasks"), "{over}");
    // A sub-task at the depth limit adds none of its own.
    let deeper = baton_core::task::TaskCreate { parent: Some("q1".into()), ..sub("q11", None) };
    let deep = e.task_add(&deeper).unwrap_err();
    assert!(deep.to_string().contains("depth limit"), "{deep}");
    std::fs::write(s._tmp.path().join("release"), "").unwrap();
    until(e, "the lead finished", 60, |e| state(e, "lead") == TaskState::Done);
    assert_eq!((state(e, "q1"), state(e, "q2")), (TaskState::Done, TaskState::Done));
    let q1 = e.task_get("q1").unwrap();
    assert!(q1.sent_prompt.unwrap().contains("This is a sub-task of lead"), "the lead's brief travels");
    let lead = e.task_get("lead").unwrap();
    let agent = e.agent_get(lead.agent_id.as_deref().unwrap()).unwrap();
    assert_eq!(agent.turns, 2, "told once that both ended, then it finished");
    let events = e.agent_events(&agent.id, 0, usize::MAX).unwrap();
    let told = events.iter().any(|r| format!("{:?}", r.event).contains("Your sub-tasks have ended"));
    assert!(told, "the lead was told");
}
