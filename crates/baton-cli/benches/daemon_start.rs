//! Daemon start to first answered request, measured as a client sees it.
//!
//! `cargo bench -p baton-cli --bench daemon_start` (release build). Two numbers:
//! - `foreground`: from spawning `baton daemon --foreground` to the first successful
//!   `GET /api/health` (what `daemon_find` does: read daemon.json, check the lock, call).
//! - `cli cold`: a whole `baton session list` when no daemon runs (the CLI starts the daemon in
//!   the background, waits for it, and lists), the first thing a user does.
//!
//! Results go to stdout; docs/perf.md records them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::BatonHome;
use baton_daemon::client::daemon_find;

const RUNS: usize = 20;

fn main() {
    let bin = Path::new(env!("CARGO_BIN_EXE_baton"));
    let foreground: Vec<Duration> = (0..RUNS).map(|_| foreground_once(bin)).collect();
    report("daemon start -> first answered request (foreground)", foreground);
    let cold: Vec<Duration> = (0..RUNS).map(|_| cli_cold_once(bin)).collect();
    report("`baton session list` with no daemon running (starts it)", cold);
}

fn foreground_once(bin: &Path) -> Duration {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = BatonHome::at(tmp.path());
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(["daemon", "--foreground", "--home"])
        .arg(home.root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn baton");
    let client = loop {
        if let Ok(Some(client)) = daemon_find(&home) {
            break client;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "daemon did not answer");
        std::thread::sleep(Duration::from_micros(500));
    };
    let elapsed = start.elapsed();
    client.daemon_stop_request().expect("stop");
    child.wait().expect("wait");
    elapsed
}

fn cli_cold_once(bin: &Path) -> Duration {
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = Instant::now();
    let status = Command::new(bin)
        .args(["session", "list", "--home"])
        .arg(tmp.path())
        .stdout(Stdio::null())
        .status()
        .expect("run baton");
    let elapsed = start.elapsed();
    assert!(status.success());
    let stop = Command::new(bin).args(["daemon", "stop", "--home"]).arg(tmp.path()).stdout(Stdio::null()).status();
    assert!(stop.is_ok_and(|s| s.success()));
    elapsed
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    println!(
        "{name}: n={} min={:.1}ms median={:.1}ms p95={:.1}ms max={:.1}ms",
        samples.len(),
        ms(samples[0]),
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(samples[samples.len() - 1])
    );
}
