//! Load through the whole daemon: N agents each printing R lines a second for D seconds.
//!
//! `cargo bench -p baton-cli --bench agent_load` (defaults: 50 agents, 1,000 lines/s, 30 s;
//! override with `BATON_LOAD_AGENTS`, `BATON_LOAD_RATE`, `BATON_LOAD_SECONDS`).
//!
//! The daemon runs as its own process (`baton daemon --foreground`). Each agent is a `command`
//! agent running this very binary in emitter mode, which prints `i=<n> t=<unix ns>` lines at the
//! given rate. A client follows the daemon's server-sent events and, for every line, checks
//! that none is missing (per agent, `i` counts up by one) and measures the latency from the
//! moment the line was written to the moment its event reached the client. Reported: events
//! lost, latency p50/p99/max, the daemon's CPU (share of one core) and peak resident memory.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use baton_core::BatonHome;
use baton_core::agent::protocol::CliKind;
use baton_core::agent::{AgentEvent, AgentSpawn};
use baton_core::events::EngineEvent;
use baton_core::session::SessionCreate;
use baton_daemon::client::daemon_find;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// Emitter mode: print `rate` lines a second for `seconds`, in 10 ms slices.
fn emit(rate: u64, seconds: u64) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let start = Instant::now();
    let total = rate * seconds;
    let mut i = 0u64;
    while i < total {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64 + 1;
        while i < due.min(total) {
            let _ = writeln!(out, "i={i} t={}", now_ns());
            i += 1;
        }
        let _ = out.flush();
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn main() {
    let agents = env_or("BATON_LOAD_AGENTS", 50);
    let rate = env_or("BATON_LOAD_RATE", 1000);
    let seconds = env_or("BATON_LOAD_SECONDS", 30);
    if std::env::var_os("BATON_LOAD_EMIT").is_some() {
        emit(rate, seconds);
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_baton"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = BatonHome::at(tmp.path().join("home"));
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    assert!(Command::new("git").args(["init", "-q"]).arg(&repo).status().expect("git").success());
    let commit = ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "--allow-empty", "-m", "init"];
    assert!(Command::new("git").arg("-C").arg(&repo).args(commit).status().expect("git").success());

    let mut daemon = Command::new(bin)
        .args(["daemon", "--foreground", "--home"])
        .arg(home.root())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon");
    let client = loop {
        if let Ok(Some(c)) = daemon_find(&home) {
            break c;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let session = client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("load".into()), parent: None })
        .expect("session");

    // Follow the events before any agent starts.
    let latencies = Arc::new(Mutex::new(Vec::<u64>::with_capacity((agents * rate * seconds) as usize)));
    let next: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let gaps = Arc::new(Mutex::new(0u64));
    let follower = {
        let (latencies, next, gaps) = (latencies.clone(), next.clone(), gaps.clone());
        let follow_client = daemon_find(&home).ok().flatten().expect("client");
        let expected = agents * rate * seconds;
        std::thread::spawn(move || {
            let mut seen = 0u64;
            let _ = follow_client.events_follow(|batch| {
                let arrived = now_ns();
                for event in batch {
                    if let EngineEvent::AgentEvent { record } = event
                        && let AgentEvent::Text { text, .. } = &record.event
                        && let Some((i, t)) = parse_line(text)
                    {
                        latencies.lock().expect("lock").push(((arrived.saturating_sub(t)) / 1000) as u64);
                        let mut next = next.lock().expect("lock");
                        let want = next.entry(record.agent_id.clone()).or_insert(0);
                        if i != *want {
                            *gaps.lock().expect("lock") += i.saturating_sub(*want);
                        }
                        *want = i + 1;
                        seen += 1;
                    }
                }
                seen < expected
            });
        })
    };
    std::thread::sleep(Duration::from_millis(200));

    let cpu_start = cpu_ticks(daemon.id());
    let started = Instant::now();
    let exe = std::env::current_exe().expect("this binary");
    let mut ids = Vec::new();
    for n in 0..agents {
        let a = client
            .agent_spawn(&AgentSpawn {
                session: session.id.clone(),
                cli: CliKind::Command,
                prompt: String::new(),
                name: Some(format!("emitter-{n}")),
                model: None,
                allow_tools: vec![],
                program: vec!["env".into(), "BATON_LOAD_EMIT=1".into(), exe.to_string_lossy().into_owned()],
                cwd: None,
            })
            .expect("spawn");
        ids.push(a.id);
    }
    let mut peak_rss = 0u64;
    let deadline = started + Duration::from_secs(seconds + 60);
    while !follower.is_finished() && Instant::now() < deadline {
        peak_rss = peak_rss.max(rss_kib(daemon.id()));
        std::thread::sleep(Duration::from_millis(250));
    }
    let elapsed = started.elapsed();
    let cpu_used = cpu_ticks(daemon.id()).saturating_sub(cpu_start);
    let ticks_per_s = 100.0; // USER_HZ on Linux
    let cpu_share = cpu_used as f64 / ticks_per_s / elapsed.as_secs_f64();

    // Every line must also be in the logs (the record), whatever the stream showed.
    let mut logged = 0u64;
    for id in &ids {
        logged += client
            .agent_events(
                id,
                &baton_core::api::AgentEventsQuery { after: Some(0), limit: Some(100_000), ..Default::default() },
            )
            .expect("events")
            .iter()
            .filter(|r| matches!(&r.event, AgentEvent::Text { text, .. } if parse_line(text).is_some()))
            .count() as u64;
    }
    let _ = client.daemon_stop_request();
    let _ = daemon.wait();

    let mut lat = latencies.lock().expect("lock").clone();
    lat.sort_unstable();
    let pct = |p: f64| lat.get(((lat.len().max(1) - 1) as f64 * p) as usize).copied().unwrap_or(0) as f64 / 1000.0;
    let expected = agents * rate * seconds;
    println!("agents={agents} rate={rate}/s seconds={seconds} expected_events={expected}");
    println!(
        "logged={logged} (lost in the record: {}) streamed={} (gaps seen by the client: {})",
        expected.saturating_sub(logged),
        lat.len(),
        gaps.lock().expect("lock")
    );
    println!("latency line->SSE client: p50={:.2}ms p99={:.2}ms max={:.2}ms", pct(0.5), pct(0.99), pct(1.0));
    println!(
        "daemon: cpu={:.1}% of one core over {:.1}s, peak rss={} MiB",
        cpu_share * 100.0,
        elapsed.as_secs_f64(),
        peak_rss / 1024
    );
}

fn parse_line(text: &str) -> Option<(u64, u128)> {
    let mut parts = text.split(' ');
    let i = parts.next()?.strip_prefix("i=")?.parse().ok()?;
    let t = parts.next()?.strip_prefix("t=")?.parse().ok()?;
    Some((i, t))
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rfind(')').map(|i| &stat[i + 2..]).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok()))
        .unwrap_or(0)
}
