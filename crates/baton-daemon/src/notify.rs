//! Desktop notifications (the freedesktop notification service on D-Bus, through
//! `notify-rust`), sent by the desktop app, or by the daemon itself while the app is not
//! running (`notifications.whenAppClosed`). What to tell is decided by
//! `baton_core::notify::Notifier`, the same rules for both.
//!
//! The app says it runs by holding an exclusive lock on `$BATON_HOME/desktop.lock` for its
//! whole life; the daemon notifies only when it can take that lock itself. The OS drops the
//! lock when the app ends however it ends, so a crashed app never silences the daemon, and a
//! running one is never notified twice.

use std::fs::{File, TryLockError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_core::events::EngineEvent;
use baton_core::notify::{Notification, Notifier};
use baton_core::settings::Settings;
use baton_core::{BatonHome, Engine, time};
use tokio::sync::broadcast::error::RecvError;

/// Held by the desktop app while it runs; dropped (or the process gone), the daemon notifies.
pub struct AppPresence {
    _file: File,
}

fn presence_file(home: &BatonHome) -> std::io::Result<File> {
    home.ensure()?;
    File::options().create(true).truncate(false).write(true).open(home.root().join("desktop.lock"))
}

/// Marks the desktop app of `home` as running (it sends the notifications), for as long as the
/// returned value lives. `None` when another app of this home already holds it.
pub fn app_presence_hold(home: &BatonHome) -> std::io::Result<Option<AppPresence>> {
    let file = presence_file(home)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(AppPresence { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Whether a desktop app of `home` runs (holds its presence).
pub fn app_present(home: &BatonHome) -> bool {
    let Ok(file) = presence_file(home) else { return false };
    // Taken (and released as `file` drops) when no app holds it.
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

/// Shows `n` through the session's notification service. `on_click` runs when the user clicks
/// it, where the service supports that (a thread waits for the click until it is closed).
pub fn notification_show(n: &Notification, on_click: Option<Box<dyn FnOnce() + Send>>) -> Result<(), String> {
    let mut note = notify_rust::Notification::new();
    note.appname("Baton").summary(&n.title).body(&markup_escape(&n.body));
    if on_click.is_some() {
        note.action("default", "Open");
    }
    let handle = note.show().map_err(|e| format!("cannot show a notification: {e}"))?;
    if let Some(click) = on_click {
        std::thread::Builder::new()
            .name("notification-click".into())
            .spawn(move || {
                handle.wait_for_action(|action| {
                    if action == "default" {
                        click();
                    }
                });
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Bodies may be read as markup by the service: what agents wrote is shown as text.
fn markup_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The events the notification rules read.
pub fn notify_relevant(event: &EngineEvent) -> bool {
    matches!(
        event,
        EngineEvent::AgentUpdated { .. }
            | EngineEvent::AgentRemoved { .. }
            | EngineEvent::TaskUpdated { .. }
            | EngineEvent::SessionCreated { .. }
            | EngineEvent::SessionUpdated { .. }
            | EngineEvent::AlertUpdated { .. }
    )
}

/// The settings, read again at most once a second (events come in bursts).
pub struct SettingsCache {
    path: std::path::PathBuf,
    read: Option<(Instant, Settings)>,
}

impl SettingsCache {
    pub fn new(home: &BatonHome) -> Self {
        Self { path: home.settings_file(), read: None }
    }

    pub fn get(&mut self) -> &Settings {
        let fresh = self.read.as_ref().is_some_and(|(at, _)| at.elapsed() < Duration::from_secs(1));
        if !fresh {
            // A broken file is reported where it is edited; meanwhile notifications go on as default.
            let settings = Settings::load(&self.path).unwrap_or_default();
            self.read = Some((Instant::now(), settings));
        }
        &self.read.get_or_insert_with(|| (Instant::now(), Settings::default())).1
    }
}

/// The daemon's own notifications, while no desktop app runs and the settings ask for them.
pub(crate) async fn daemon_notify(engine: Arc<Engine>, home: BatonHome) {
    let mut events = engine.events().subscribe();
    let mut notifier = Notifier::new(time::now_ms());
    let mut settings = SettingsCache::new(&home);
    loop {
        let wait = notifier.due_at().map(|at| Duration::from_millis(u64::try_from(at - time::now_ms()).unwrap_or(0)));
        tokio::select! {
            received = events.recv() => match received {
                Ok(event) if notify_relevant(&event) => {
                    let s = &settings.get().notifications;
                    if s.enabled && s.when_app_closed {
                        let s = s.clone();
                        notifier.observe(&event, &s, time::now_ms());
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
            () = async { tokio::time::sleep(wait.unwrap_or_default()).await }, if wait.is_some() => {}
        }
        let Some(notification) = notifier.take(time::now_ms()) else { continue };
        let home = home.clone();
        tokio::task::spawn_blocking(move || {
            if app_present(&home) {
                return;
            }
            if let Err(e) = notification_show(&notification, None) {
                tracing::warn!("{e}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_is_present_while_it_holds_its_lock() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = BatonHome::at(tmp.path().join("home"));
        assert!(!app_present(&home));
        let held = app_presence_hold(&home).expect("lock").expect("free");
        assert!(app_present(&home));
        assert!(app_presence_hold(&home).expect("lock").is_none(), "one app per home");
        drop(held);
        assert!(!app_present(&home));
    }

    #[test]
    fn bodies_are_text_not_markup() {
        assert_eq!(markup_escape("a <b> & c"), "a &lt;b&gt; &amp; c");
    }
}
