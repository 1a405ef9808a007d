//! The tray's loop against a real daemon: it shows nothing while none runs, the summary once
//! one does, follows an agent that comes to need the user (and notifies it) by its events, and
//! finds the daemon again after a restart.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use baton_core::BatonHome;
use baton_core::agent::AgentSpawn;
use baton_core::agent::protocol::CliKind;
use baton_core::attention::{AttentionLevel, AttentionSummary};
use baton_core::notify::Notification;
use baton_core::session::SessionCreate;
use baton_daemon::client::{DaemonClient, daemon_find};
use baton_daemon::run::{RunOptions, daemon_run};

use super::{Shell, follow_start};

#[derive(Debug)]
pub(crate) enum Seen {
    /// What was shown, and when (milliseconds since the epoch).
    Show(Option<AttentionSummary>, i64),
    Notify(Notification),
}

/// A shell that tells the test what it was asked to show.
pub(crate) struct Recorder(pub(crate) Sender<Seen>);

impl Shell for Recorder {
    fn show(&mut self, summary: Option<&AttentionSummary>) {
        let _ = self.0.send(Seen::Show(summary.cloned(), baton_core::time::now_ms()));
    }
    fn notify(&mut self, notification: Notification) {
        let _ = self.0.send(Seen::Notify(notification));
    }
}

/// The next thing seen that `pick` takes, within a minute.
pub(crate) fn wait_for<T>(rx: &Receiver<Seen>, what: &str, mut pick: impl FnMut(Seen) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(seen) => {
                if let Some(found) = pick(seen) {
                    return found;
                }
            }
            Err(_) => panic!("never saw {what}"),
        }
    }
}

pub(crate) fn daemon_start(home: &BatonHome) -> (JoinHandle<()>, DaemonClient) {
    let thread = {
        let home = home.clone();
        std::thread::spawn(move || daemon_run(home, RunOptions::default()).expect("daemon ran"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(client)) = daemon_find(home) {
            return (thread, client);
        }
        assert!(Instant::now() < deadline && !thread.is_finished(), "the daemon did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub(crate) fn repo_new(parent: &Path) -> PathBuf {
    let dir = parent.join("repo");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git").args(args).current_dir(&dir).status().expect("git").success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), "hello\n").expect("write");
    git(&["add", "."]);
    git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init"]);
    dir
}

/// A home whose `claude` is the scripted fake of the tests.
pub(crate) fn home_with_fake_claude(tmp: &Path) -> BatonHome {
    let home = BatonHome::at(tmp.join("home"));
    std::fs::create_dir_all(home.root()).expect("home");
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fake-claude");
    let settings = serde_json::json!({"clis": {"claude": {"binary": fake, "env": {"FAKE_DIR": tmp}}}});
    std::fs::write(home.settings_file(), settings.to_string()).expect("settings");
    home
}

pub(crate) fn asker(session: &str) -> AgentSpawn {
    AgentSpawn {
        session: session.into(),
        cli: CliKind::Claude,
        prompt: "DENY: run the tests".into(),
        name: Some("asker".into()),
        model: None,
        allow_tools: vec![],
        program: vec![],
        cwd: None,
    }
}

fn shown(seen: Seen) -> Option<Option<AttentionSummary>> {
    match seen {
        Seen::Show(summary, _) => Some(summary),
        Seen::Notify(_) => None,
    }
}

#[test]
fn the_tray_follows_the_daemon_and_finds_it_again_after_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = home_with_fake_claude(tmp.path());
    let (tx, rx) = channel();
    let _signals = follow_start(home.clone(), Recorder(tx)).expect("follow");
    assert_eq!(wait_for(&rx, "nothing shown without a daemon", shown), None);

    let (thread, client) = daemon_start(&home);
    let well = wait_for(&rx, "the daemon's summary", |s| shown(s).flatten());
    assert_eq!((well.level, well.line.as_str()), (AttentionLevel::Well, "0 working, $0.00 today"));

    let repo = repo_new(tmp.path());
    let session = client
        .session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .expect("session");
    let agent = client.agent_spawn(&asker("s")).expect("spawn");
    let asking = wait_for(&rx, "the agent that needs the user", |s| shown(s).flatten().filter(|s| s.needs_you == 1));
    assert_eq!(asking.level, AttentionLevel::NeedsYou);
    assert_eq!(asking.entries[0].label, "s: asker asks to use Bash");
    assert_eq!(asking.entries[0].route, format!("#/session/{}/agent/{}", session.id, agent.id));
    let told = wait_for(&rx, "a notification", |s| match s {
        Seen::Notify(n) => Some(n),
        Seen::Show(..) => None,
    });
    assert_eq!((told.title.as_str(), told.body.as_str()), ("asker needs you", "It asks to use Bash"));
    assert_eq!(told.route, asking.entries[0].route);

    client.daemon_stop_request().expect("stop");
    thread.join().expect("daemon thread");
    assert_eq!(wait_for(&rx, "nothing once the daemon stopped", |s| shown(s).filter(Option::is_none)), None);

    let (thread, client) = daemon_start(&home);
    let again = wait_for(&rx, "the summary of the new daemon", |s| shown(s).flatten());
    assert_eq!(again.working, 0);
    client.daemon_stop_request().expect("stop");
    thread.join().expect("daemon thread");
}
