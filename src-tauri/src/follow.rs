//! Follows the daemon for the tray and the notifications: one thread reads the daemon's event
//! stream (and finds the daemon again when it restarts), another turns what it reads into what
//! the tray shows (the engine's attention summary, read again when something it counts
//! changed) and into notifications (`baton_core::notify`). No timer polls the daemon: the tray
//! changes when an event says so.
//!
//! The shell (the tray and the notification service, or a test) is behind [`Shell`], so the
//! same loop is tested and measured without a display.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use baton_core::attention::AttentionSummary;
use baton_core::events::EngineEvent;
use baton_core::notify::{Notification, Notifier};
use baton_core::{BatonHome, time};
use baton_daemon::client::{DaemonClient, daemon_find};
use baton_daemon::notify::{SettingsCache, notify_relevant};

/// How long to wait before looking for the daemon again once it is gone.
const FIND_AGAIN: Duration = Duration::from_millis(500);

/// What the loop drives.
pub trait Shell: Send + 'static {
    /// The daemon's summary, or `None` while no daemon runs (or it does not answer).
    fn show(&mut self, summary: Option<&AttentionSummary>);
    /// A notification to show (the settings allowed it).
    fn notify(&mut self, notification: Notification);
}

/// What the reader tells the worker, and what the menu asks of it.
pub enum Signal {
    /// The event stream of this daemon is open.
    Connected(DaemonClient),
    Events(Vec<EngineEvent>),
    /// Read the summary again (after "pause all" from the menu, which may change no agent).
    Refresh,
    /// The daemon went away.
    Gone,
}

/// Starts following the daemon of `home`; the sender asks for a refresh.
pub fn follow_start(home: BatonHome, shell: impl Shell) -> std::io::Result<Sender<Signal>> {
    let (tx, rx) = channel();
    let reader = tx.clone();
    let reader_home = home.clone();
    std::thread::Builder::new().name("tray-events".into()).spawn(move || events_read(&reader_home, &reader))?;
    std::thread::Builder::new().name("tray".into()).spawn(move || work(&home, &rx, shell))?;
    Ok(tx)
}

/// Reads the event stream of whichever daemon runs, for as long as the worker listens.
fn events_read(home: &BatonHome, tx: &Sender<Signal>) {
    let mut connected = true;
    loop {
        if let Ok(Some(client)) = daemon_find(home) {
            let opened = client.clone();
            let mut listening = true;
            let _ended = client.events_follow_opened(
                || {
                    listening = tx.send(Signal::Connected(opened)).is_ok();
                    connected = true;
                },
                |batch| {
                    let batch: Vec<EngineEvent> = batch.into_iter().filter(relevant).collect();
                    batch.is_empty() || tx.send(Signal::Events(batch)).is_ok()
                },
            );
            if !listening {
                return;
            }
        }
        if connected {
            connected = false;
            if tx.send(Signal::Gone).is_err() {
                return;
            }
        }
        std::thread::sleep(FIND_AGAIN);
    }
}

/// What changes the summary or the notifications (agents' own events, changed files and cycles
/// do neither, and are most of the stream).
fn relevant(event: &EngineEvent) -> bool {
    notify_relevant(event) || matches!(event, EngineEvent::ContextUpdated { .. })
}

fn work(home: &BatonHome, rx: &Receiver<Signal>, mut shell: impl Shell) {
    let mut client: Option<DaemonClient> = None;
    let mut notifier = Notifier::new(time::now_ms());
    let mut settings = SettingsCache::new(home);
    let mut shown: Option<Option<AttentionSummary>> = None;
    loop {
        let received = match notifier.due_at() {
            Some(at) => rx.recv_timeout(Duration::from_millis(u64::try_from(at - time::now_ms()).unwrap_or(0))),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let mut refresh = false;
        match received {
            Ok(Signal::Connected(c)) => {
                client = Some(c);
                refresh = true;
            }
            Ok(Signal::Events(batch)) => {
                let now = time::now_ms();
                let notifications = settings.get().notifications.clone();
                for event in &batch {
                    notifier.observe(event, &notifications, now);
                }
                refresh = true;
            }
            Ok(Signal::Refresh) => refresh = true,
            Ok(Signal::Gone) => {
                client = None;
                refresh = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if refresh {
            // Signals queued meanwhile are taken in now: one read of the summary for all of them.
            for signal in rx.try_iter() {
                match signal {
                    Signal::Connected(c) => client = Some(c),
                    Signal::Gone => client = None,
                    Signal::Events(batch) => {
                        let notifications = settings.get().notifications.clone();
                        for event in &batch {
                            notifier.observe(event, &notifications, time::now_ms());
                        }
                    }
                    Signal::Refresh => {}
                }
            }
            let summary = client.as_ref().and_then(|c| match c.attention() {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::debug!("the tray cannot read the daemon's summary: {e}");
                    None
                }
            });
            if shown.as_ref() != Some(&summary) {
                shell.show(summary.as_ref());
                shown = Some(summary);
            }
        }
        if let Some(notification) = notifier.take(time::now_ms()) {
            shell.notify(notification);
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod latency;
