//! How long after an alert's condition the tray shows it (docs/perf.md, "Tray"): a silent
//! `command` agent in a session whose stall time is 3 s, started at phases spread over the
//! sampler's period, measured from the moment its silence
//! reached the stall time to the moment the tray's loop was given a summary listing it, and from
//! the alert's creation (the sampler's tick) to the tray; and an agent asking for a tool, from
//! its request to the tray. Run by hand:
//! `cargo test -p baton-desktop latency -- --ignored --nocapture`
//! (`LATENCY_SAMPLE_SECS` sets `health.sampleSecs`, default 2; `LATENCY_ROUNDS`, default 8).

use std::sync::mpsc::channel;

use baton_core::agent::AgentSpawn;
use baton_core::agent::protocol::CliKind;
use baton_core::api::HealthAgentsQuery;
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::time::rfc3339_to_ms;

use super::follow_start;

/// Longer than the default sampling period, as the stall time is (300 s by default): the sampler
/// knows the deadline a tick before it.
const STALL_SECS: u32 = 3;
use super::tests::{Recorder, Seen, asker, daemon_start, home_with_fake_claude, repo_new, wait_for};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn stats(name: &str, ms: &mut [i64]) {
    ms.sort_unstable();
    let mean = ms.iter().sum::<i64>() as f64 / ms.len() as f64;
    println!(
        "{name}: n={} min={} median={} mean={mean:.0} max={} (ms)",
        ms.len(),
        ms[0],
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );
}

#[test]
#[ignore = "a measurement for docs/perf.md, run by hand"]
fn latency_from_condition_to_tray() {
    let sample_secs: f64 = env_or("LATENCY_SAMPLE_SECS", 2.0);
    let rounds: usize = env_or("LATENCY_ROUNDS", 8);
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = home_with_fake_claude(tmp.path());
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.settings_file()).expect("settings")).expect("json");
    settings["health"] = serde_json::json!({ "sampleSecs": sample_secs });
    std::fs::write(home.settings_file(), settings.to_string()).expect("settings");
    let (thread, client) = daemon_start(&home);
    let (tx, rx) = channel();
    let _signals = follow_start(home.clone(), Recorder(tx)).expect("follow");
    let repo = repo_new(tmp.path());
    client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .expect("session");
    client
        .session_update("s", &SessionUpdate { stall_secs: Some(STALL_SECS), ..Default::default() })
        .expect("stall time");

    let (mut past_threshold, mut from_alert, mut from_request) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Started at phases spread over the sampler's period: the alert waits for the next tick,
        // so the latency depends on where the threshold falls between two.
        std::thread::sleep(std::time::Duration::from_secs_f64(sample_secs * round as f64 / rounds as f64));
        let name = format!("quiet{round}");
        let agent = client
            .agent_spawn(&AgentSpawn {
                session: "s".into(),
                cli: CliKind::Command,
                prompt: String::new(),
                name: Some(name.clone()),
                model: None,
                allow_tools: vec![],
                program: vec!["sleep".into(), "300".into()],
                cwd: None,
            })
            .expect("spawn");
        let shown_at = wait_for(&rx, "the stalled agent in the tray", |seen| match seen {
            Seen::Show(Some(s), at) if s.entries.iter().any(|e| e.label.contains(&name)) => Some(at),
            _ => None,
        });
        let report = client.health_agents(&HealthAgentsQuery { session: Some("s".into()) }).expect("health");
        let health = report.agents.iter().find(|a| a.agent_id == agent.id).expect("the agent's health");
        let last = health.last_output_at.as_deref().and_then(rfc3339_to_ms).expect("last activity");
        let alert = client
            .alert_list(&Default::default())
            .expect("alerts")
            .into_iter()
            .find(|a| a.agent_id.as_deref() == Some(agent.id.as_str()))
            .expect("the stalled alert");
        let raised = rfc3339_to_ms(&alert.created_at).expect("time");
        let threshold = last + i64::from(STALL_SECS) * 1_000;
        assert!(threshold <= raised, "the alert came before the threshold: {threshold} > {raised}");
        past_threshold.push(shown_at - threshold);
        from_alert.push(shown_at - raised);
        client.agent_stop(&agent.id).expect("stop");
        wait_for(&rx, "the tray without it", |seen| match seen {
            Seen::Show(Some(s), _) if !s.entries.iter().any(|e| e.label.contains(&name)) => Some(()),
            _ => None,
        });
    }
    for round in 0..rounds {
        let mut spawn = asker("s");
        spawn.name = Some(format!("asker{round}"));
        let agent = client.agent_spawn(&spawn).expect("spawn");
        let label = format!("asker{round} asks to use Bash");
        let shown_at = wait_for(&rx, "the asking agent in the tray", |seen| match seen {
            Seen::Show(Some(s), at) if s.entries.iter().any(|e| e.label.contains(&label)) => Some(at),
            _ => None,
        });
        let asked = client.agent_get(&agent.id).expect("agent").pending[0].created_at.clone();
        from_request.push(shown_at - rfc3339_to_ms(&asked).expect("time"));
        client.agent_stop(&agent.id).expect("stop");
    }
    println!("health.sampleSecs = {sample_secs}, stall time {STALL_SECS} s, {rounds} rounds");
    stats("stalled: threshold reached -> tray", &mut past_threshold);
    stats("stalled: alert raised -> tray", &mut from_alert);
    stats("needs input: request recorded -> tray", &mut from_request);
    client.daemon_stop_request().expect("stop");
    thread.join().expect("daemon thread");
}
