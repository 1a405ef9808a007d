//! Agents through the daemon, with `command` agents (plain programs) standing in for the CLIs:
//! the supervisor, logs, stdin, stop escalation and bad programs. The real CLIs are tested in
//! `real_clis.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use baton_core::ErrorCode;
use baton_core::agent::protocol::CliKind;
use baton_core::agent::{Agent, AgentEvent, AgentSpawn, AgentState};
use baton_core::session::SessionCreate;

use crate::support::{TestDaemon, group_gone, repo_new};

fn session(d: &TestDaemon) -> String {
    let repo = repo_new(d.tmp.path(), "repo");
    d.client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap()
        .id
}

fn spawn(d: &TestDaemon, session: &str, script: &str) -> Agent {
    d.client
        .agent_spawn(&AgentSpawn {
            session: session.into(),
            cli: CliKind::Command,
            prompt: String::new(),
            name: None,
            model: None,
            allow_tools: vec![],
            program: vec!["bash".into(), "-c".into(), script.into()],
            cwd: None,
        })
        .unwrap()
}

/// Polls the agent until `done` holds (or fails after `secs`).
fn until(d: &TestDaemon, id: &str, secs: u64, done: impl Fn(&Agent) -> bool) -> Agent {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let a = d.client.agent_get(id).unwrap();
        if done(&a) {
            return a;
        }
        assert!(Instant::now() < deadline, "agent never got there; last: {:?}", a.state);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ended(a: &Agent) -> bool {
    !a.state.is_active()
}

fn texts(d: &TestDaemon, id: &str) -> Vec<String> {
    d.client
        .agent_events(
            id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(100_000), ..Default::default() },
        )
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            AgentEvent::Text { text, .. } => Some(text),
            _ => None,
        })
        .collect()
}

#[test]
fn a_command_agent_streams_its_lines_logs_them_and_ends_with_its_exit_code() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "echo one; echo two >&2; printf '\\033[31mred\\033[0m\\n'; exit 3");
    // Its own worktree, on its own branch, not the user's checkout.
    let wt = a.worktree.clone().unwrap();
    assert_eq!(a.cwd, wt.path);
    assert_eq!(Path::new(&wt.path), d.home.worktrees_dir().canonicalize().unwrap().join("repo").join(&a.name));
    assert_eq!(wt.branch, format!("baton/s/{}", a.name));
    let a = until(&d, &a.id, 10, ended);
    assert_eq!(a.state, AgentState::Failed);
    assert_eq!(a.exit_code, Some(3));
    let events: Vec<AgentEvent> = d
        .client
        .agent_events(
            &a.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert!(events.contains(&AgentEvent::Text { text: "one".into(), delta: false }));
    // It runs in a terminal: what it writes to stderr is on the screen with the rest.
    assert!(events.contains(&AgentEvent::Text { text: "two".into(), delta: false }));
    assert!(events.contains(&AgentEvent::Text { text: "\u{1b}[31mred\u{1b}[0m".into(), delta: false }), "ANSI kept");
    assert_eq!(events.last(), Some(&AgentEvent::Exited { code: Some(3), signal: None }));

    // The log holds every raw line with a timestamp.
    let log = std::fs::read_to_string(&a.log_path).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().any(|l| l["stream"] == "stdout" && l["line"] == "one"));
    assert!(lines.iter().any(|l| l["stream"] == "stdout" && l["line"] == "two"));
    assert!(lines.iter().all(|l| l["ts"].as_i64().is_some_and(|t| t > 0)));
    // Events are numbered 1, 2, 3... in log order.
    let seqs: Vec<u64> = d
        .client
        .agent_events(
            &a.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        d.client
            .agent_events(
                &a.id,
                &baton_core::api::AgentEventsQuery { after: Some(2), limit: Some(1000), ..Default::default() }
            )
            .unwrap()[0]
            .seq,
        3
    );
}

#[test]
fn a_long_history_is_read_from_its_end_page_by_page() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "for i in $(seq 1 300); do echo line $i; done");
    until(&d, &a.id, 20, |a| a.state == AgentState::Exited);
    let q = |after: Option<u64>, before: Option<u64>, limit: u64| baton_core::api::AgentEventsQuery {
        after,
        before,
        limit: Some(limit),
    };
    let all = d.client.agent_events(&a.id, &q(None, None, 100_000)).unwrap();
    let last = all.last().unwrap().seq;
    // The newest page first (a seq past the end), then each page before the first one read.
    let tail = d.client.agent_events(&a.id, &q(None, Some(9_007_199_254_740_991), 50)).unwrap();
    assert_eq!(tail.len(), 50);
    assert_eq!(tail.last().unwrap().seq, last);
    let mut read = tail;
    loop {
        let page = d.client.agent_events(&a.id, &q(None, Some(read[0].seq), 50)).unwrap();
        if page.is_empty() {
            break;
        }
        read.splice(0..0, page);
    }
    assert_eq!(read, all, "the pages put together are the whole history");
    // Between two seqs.
    let mid = d.client.agent_events(&a.id, &q(Some(100), Some(110), 1000)).unwrap();
    assert_eq!(mid.iter().map(|r| r.seq).collect::<Vec<_>>(), (101..110).collect::<Vec<_>>());
}

#[test]
fn messages_go_to_stdin_and_the_agent_env_names_its_session() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a =
        spawn(&d, &s, "echo \"session=$BATON_SESSION agent=$BATON_AGENT\"; while read l; do echo \"got: $l\"; done");
    until(&d, &a.id, 10, |_| texts(&d, &a.id).len() == 1);
    assert_eq!(texts(&d, &a.id)[0], format!("session={s} agent={}", a.id));
    d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "hello there".into(), from: None }).unwrap();
    until(&d, &a.id, 10, |_| texts(&d, &a.id).contains(&"got: hello there".to_string()));
    let events = d
        .client
        .agent_events(
            &a.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap();
    assert!(events.iter().any(|r| r.event == AgentEvent::UserText { text: "hello there".into(), from: None }));
    let a = d.client.agent_stop(&a.id).unwrap();
    assert_eq!(a.state, AgentState::Stopped);
}

#[test]
fn abort_kills_the_whole_process_group() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "sleep 300 & sleep 300 & echo started; wait");
    let a = until(&d, &a.id, 10, |_| texts(&d, &a.id).contains(&"started".to_string()));
    let pid = a.pid.expect("a running agent has a pid");
    assert!(!group_gone(pid));
    let a = d.client.agent_stop(&a.id).unwrap();
    assert_eq!(a.state, AgentState::Stopped);
    assert!(group_gone(pid), "no process of the agent's group is left");
}

#[test]
fn an_agent_that_ignores_sigint_and_sigterm_is_killed() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "trap '' INT TERM; echo ready; while true; do sleep 0.1; done");
    let a = until(&d, &a.id, 10, |_| texts(&d, &a.id).contains(&"ready".to_string()));
    let pid = a.pid.unwrap();
    let a = d.client.agent_stop(&a.id).unwrap();
    assert_eq!(a.state, AgentState::Stopped);
    assert!(group_gone(pid));
    let events = d
        .client
        .agent_events(
            &a.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap();
    assert!(events.iter().any(|r| matches!(r.event, AgentEvent::Exited { signal: Some(9), .. })), "ended by SIGKILL");
}

#[test]
fn a_20_mib_line_is_cut_with_a_marker_and_what_follows_still_arrives() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "head -c 20971520 /dev/zero | tr '\\0' a; echo; echo after");
    let a = until(&d, &a.id, 60, ended);
    assert_eq!(a.state, AgentState::Exited);
    let texts = texts(&d, &a.id);
    assert_eq!(texts.len(), 2, "the long line and `after`");
    assert!(texts[0].len() < 9 * 1024 * 1024);
    assert!(texts[0].ends_with("of 20971520 bytes]"), "{}", &texts[0][texts[0].len() - 60..]);
    assert_eq!(texts[1], "after");
}

#[test]
fn binary_garbage_and_silence_do_not_break_anything() {
    let d = TestDaemon::start();
    let s = session(&d);
    let garbage = spawn(&d, &s, "head -c 65536 /dev/urandom; echo; echo done");
    let silent = spawn(&d, &s, "sleep 300");
    let garbage = until(&d, &garbage.id, 20, ended);
    assert_eq!(garbage.state, AgentState::Exited);
    assert_eq!(texts(&d, &garbage.id).last().map(String::as_str), Some("done"));
    // The silent one is still running, and the daemon still answers.
    assert_eq!(d.client.agent_get(&silent.id).unwrap().state, AgentState::Running);
    d.client.health().unwrap();
    assert_eq!(d.client.agent_stop(&silent.id).unwrap().state, AgentState::Stopped);
}

#[test]
fn a_program_that_exits_at_once_fails_and_cannot_take_messages() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "exit 1");
    let a = until(&d, &a.id, 10, ended);
    assert_eq!(a.state, AgentState::Failed);
    let err =
        d.client.agent_send(&a.id, &baton_core::api::AgentMessage { text: "hello".into(), from: None }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("cannot take a message"), "{err}");
    let err = d
        .client
        .agent_approve(&a.id, &baton_core::api::AgentApprove { tool: "Bash".into(), always: false })
        .unwrap_err();
    assert!(err.to_string().contains("no pending permission request for \"Bash\" (nothing is pending)"), "{err}");
    let err = d.client.agent_get("agt_nope").unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[test]
fn missing_programs_and_clis_are_clear_errors_and_leave_no_agent() {
    let d = TestDaemon::start();
    let s = session(&d);
    let mut req = AgentSpawn {
        session: s.clone(),
        cli: CliKind::Command,
        prompt: String::new(),
        name: None,
        model: None,
        allow_tools: vec![],
        program: vec!["no-such-program-anywhere".into()],
        cwd: None,
    };
    let err = d.client.agent_spawn(&req).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CliMissing);

    // A CLI set to a path that does not exist: the error names the setting and the package.
    std::fs::write(d.home.settings_file(), r#"{"clis":{"claude":{"binary":"/nowhere/claude"}}}"#).unwrap();
    req.cli = CliKind::Claude;
    req.prompt = "hello".into();
    req.program = vec![];
    let err = d.client.agent_spawn(&req).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CliMissing);
    let msg = err.to_string();
    assert!(msg.contains("clis.claude.binary") && msg.contains("@anthropic-ai/claude-code"), "{msg}");

    // A typo in the settings names the file, line and field.
    std::fs::write(d.home.settings_file(), "{\"clis\": {\"claude\": {\"bin\": \"x\"}}}").unwrap();
    let err = d.client.agent_spawn(&req).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSettings);
    assert!(
        err.to_string().contains("settings.json, line 1") && err.to_string().contains("unknown field `bin`"),
        "{err}"
    );

    assert!(
        d.client
            .agent_list(&baton_core::api::AgentListQuery { session: Some(s.to_string()), archived: None })
            .unwrap()
            .is_empty()
    );
}

#[test]
fn stopping_the_daemon_stops_its_agents_and_a_new_daemon_knows_them() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "echo up; sleep 300");
    let a = until(&d, &a.id, 10, |_| texts(&d, &a.id).contains(&"up".to_string()));
    let pid = a.pid.unwrap();
    let home = d.home.clone();
    let tmp = d.stop_keep();
    assert!(group_gone(pid), "the daemon stopped its agent");
    let d2 = TestDaemon::start_in(tmp, home);
    let again = d2.client.agent_get(&a.id).unwrap();
    assert_eq!(again.state, AgentState::Stopped);
    assert_eq!(texts(&d2, &a.id), vec!["up".to_string()], "the history survives");
}

#[test]
fn stopping_the_daemon_is_refused_while_agents_work_and_forced_it_lists_them_after_the_restart() {
    let d = TestDaemon::start();
    let s = session(&d);
    let busy = spawn(&d, &s, "echo up; sleep 300");
    let done = spawn(&d, &s, "echo finished");
    until(&d, &busy.id, 10, |_| texts(&d, &busy.id).contains(&"up".to_string()));
    until(&d, &done.id, 10, ended);

    // Refused, naming the agent that works and the way to stop anyway; nothing stops.
    let err = d.client.daemon_stop_ask(false).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AgentsWorking);
    let message = err.to_string();
    assert!(message.contains(&busy.name) && message.contains("--force"), "{message}");
    assert!(!message.contains(&done.name), "{message}");
    assert_eq!(d.client.agent_get(&busy.id).unwrap().state, AgentState::Running);
    assert!(d.client.agents_interrupted().unwrap().is_empty(), "nothing is interrupted yet");

    // Forced: the next daemon lists the agent it interrupted, and only that one.
    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    let interrupted = d.client.agents_interrupted().unwrap();
    assert_eq!(interrupted.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [busy.id.as_str()]);
    assert_eq!(interrupted[0].state, AgentState::Stopped);
    // Its lane says what happened, in Baton's words.
    let events = d
        .client
        .agent_events(
            &busy.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap();
    assert!(
        events.iter().any(|r| matches!(&r.event, AgentEvent::Notice { message }
            if message.starts_with("Stopped by Baton when the daemon stopped"))),
        "{events:?}"
    );

    // A program that ended cannot be resumed: it stays listed, with the reason.
    let r = d.client.agents_interrupted_resume().unwrap();
    assert!(r.resumed.is_empty());
    assert_eq!(r.failed.len(), 1);
    assert!(r.failed[0].message.contains("spawn a new agent"), "{:?}", r.failed[0]);
    assert_eq!(d.client.agents_interrupted().unwrap().len(), 1);
    // Dismissed, the list is empty; the agent stays as it was.
    let dismissed = d.client.agents_interrupted_dismiss().unwrap();
    assert_eq!(dismissed.len(), 1);
    assert!(dismissed[0].interrupted_at.is_none());
    assert!(d.client.agents_interrupted().unwrap().is_empty());
    assert_eq!(d.client.agent_get(&busy.id).unwrap().state, AgentState::Stopped);
}

#[test]
fn removing_an_agent_archives_it_and_the_list_says_so() {
    let d = TestDaemon::start();
    let s = session(&d);
    let a = spawn(&d, &s, "echo hello");
    until(&d, &a.id, 10, ended);
    // Removed by a later daemon than the one that ran it.
    let home = d.home.clone();
    let tmp = d.stop_keep();
    let d = TestDaemon::start_in(tmp, home);
    let removed = d.client.agent_remove(&a.id, &baton_core::api::AgentRemoveQuery { force: Some(false) }).unwrap();
    assert!(removed.archived_at.is_some());
    let all =
        d.client.agent_list(&baton_core::api::AgentListQuery { session: Some(s.clone()), archived: None }).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].archived_at.is_some());
    let in_use = d
        .client
        .agent_list(&baton_core::api::AgentListQuery { session: Some(s.clone()), archived: Some(false) })
        .unwrap();
    assert!(in_use.is_empty());
    assert_eq!(texts(&d, &a.id), vec!["hello".to_string()], "its history stays readable");
    let events = d
        .client
        .agent_events(
            &a.id,
            &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(1000), ..Default::default() },
        )
        .unwrap();
    assert!(
        events.iter().any(|r| matches!(&r.event, AgentEvent::Notice { message } if message.starts_with("archived"))),
        "its lane says it was archived: {events:?}"
    );
}

#[test]
fn ten_spawns_at_once_without_names_each_get_a_name_of_their_own() {
    let d = TestDaemon::start();
    let s = session(&d);
    let agents: Vec<Agent> = std::thread::scope(|scope| {
        let spawns: Vec<_> = (0..10).map(|_| scope.spawn(|| spawn(&d, &s, "sleep 30"))).collect();
        spawns.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut names: Vec<String> = agents.iter().map(|a| a.name.clone()).collect();
    names.sort_by_key(|n| n.trim_start_matches("command-").parse::<u32>().unwrap());
    assert_eq!(names, (1..=10).map(|n| format!("command-{n}")).collect::<Vec<_>>());
    for a in &agents {
        d.client.agent_stop(&a.id).unwrap();
    }
}
