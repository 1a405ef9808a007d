//! The tray icon: a menu (Open, Quit) and a tooltip with a one-line status of the daemon,
//! refreshed in the background. A machine without a tray host (or without the appindicator
//! library, where tray-icon panics rather than erring) still gets the window.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use baton_core::BatonHome;
use baton_daemon::client::daemon_find;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};

const STATUS_EVERY: Duration = Duration::from_secs(5);

pub fn tray_install(app: &AppHandle, home: BatonHome) {
    match std::panic::catch_unwind(AssertUnwindSafe(|| tray_build(app))) {
        Ok(Ok(tray)) => {
            std::thread::Builder::new()
                .name("tray-status".into())
                .spawn(move || {
                    loop {
                        let _ = tray.set_tooltip(Some(status_line(&home)));
                        std::thread::sleep(STATUS_EVERY);
                    }
                })
                .map(drop)
                .unwrap_or_else(|e| tracing::warn!("no tray status updates: {e}"));
        }
        Ok(Err(e)) => tracing::warn!("no tray icon: {e}; the window works without it"),
        Err(_) => tracing::warn!("no tray icon: the tray library is missing (install libayatana-appindicator3-1)"),
    }
}

fn tray_build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let open = MenuItem::with_id(app, "open", "Open Baton", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit (agents keep running in the daemon)", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &PredefinedMenuItem::separator(app)?, &quit])?;
    let mut builder = TrayIconBuilder::with_id("baton").tooltip("Baton").menu(&menu).on_menu_event(|app, event| {
        match event.id.as_ref() {
            "open" => window_show(app),
            "quit" => app.exit(0),
            _ => {}
        }
    });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)
}

/// Brings the main window to the front: from the tray, or when Baton is launched a second time.
pub fn window_show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// One line for the tooltip, e.g. "Baton: daemon running (pid 42), 3 active sessions".
fn status_line(home: &BatonHome) -> String {
    match daemon_find(home) {
        Ok(Some(client)) => match client.health() {
            Ok(h) => format!("Baton: daemon running (pid {}), {} active sessions", h.pid, h.sessions),
            Err(e) => format!("Baton: daemon not answering: {e}"),
        },
        Ok(None) => "Baton: daemon not running".into(),
        Err(e) => format!("Baton: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use baton_core::BatonHome;
    use baton_daemon::client::daemon_find;
    use baton_daemon::run::{RunOptions, daemon_run};

    use super::status_line;

    #[test]
    fn the_tooltip_follows_the_daemon() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = BatonHome::at(tmp.path().join("home"));
        assert_eq!(status_line(&home), "Baton: daemon not running");

        let thread = {
            let home = home.clone();
            std::thread::spawn(move || daemon_run(home, RunOptions::default()))
        };
        let client = loop {
            if let Ok(Some(client)) = daemon_find(&home) {
                break client;
            }
            assert!(!thread.is_finished(), "the daemon ended early");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(
            status_line(&home),
            format!("Baton: daemon running (pid {}), 0 active sessions", std::process::id())
        );
        client.daemon_stop_request().expect("stop");
        thread.join().expect("join").expect("daemon ran");
        assert_eq!(status_line(&home), "Baton: daemon not running");
    }
}
