//! The tray icon and the notifications. The icon's colour is the worst state (green all well,
//! amber something needs you, red something failed; grey while no daemon answers), its tooltip and the menu's first line say
//! "3 working, 1 needs you, $2.14 today" (StatusNotifierItem hosts on Linux show no tooltip),
//! and the menu lists every agent or task that needs the user: a click opens the app at it.
//! What it shows is the engine's attention summary, followed through the daemon's events
//! (`follow.rs`). Closing the window leaves the app in the tray when the settings say so (and a
//! tray is there to bring it back). A machine without a tray host (or without the appindicator
//! library, where tray-icon panics rather than erring) still gets the window and notifications.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::mpsc::Sender;

use baton_core::BatonHome;
use baton_core::attention::{AttentionLevel, AttentionSummary, INBOX_ROUTE};
use baton_core::notify::Notification;
use baton_core::settings::Settings;
use baton_daemon::client::daemon_find;
use baton_daemon::notify::{AppPresence, app_presence_hold, notification_show};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::follow::{Shell, Signal, follow_start};

/// A menu entry longer than this is cut (menus do not wrap).
const LABEL_MAX: usize = 80;

/// What the menu's actions and the window's close need.
struct TrayControl {
    home: BatonHome,
    /// Whether a tray icon is there to bring a hidden window back.
    present: bool,
    signals: Mutex<Option<Sender<Signal>>>,
    /// Tells the daemon this app sends the notifications.
    _presence: Option<AppPresence>,
}

pub fn tray_install(app: &AppHandle, home: BatonHome) {
    let tray = match std::panic::catch_unwind(AssertUnwindSafe(|| tray_build(app))) {
        Ok(Ok(tray)) => Some(tray),
        Ok(Err(e)) => {
            tracing::warn!("no tray icon: {e}; the window works without it");
            None
        }
        Err(_) => {
            tracing::warn!("no tray icon: the tray library is missing (install libayatana-appindicator3-1)");
            None
        }
    };
    let presence = app_presence_hold(&home).unwrap_or_else(|e| {
        tracing::warn!("cannot tell the daemon the app runs ({e}); it may notify as well");
        None
    });
    app.manage(TrayControl {
        home: home.clone(),
        present: tray.is_some(),
        signals: Mutex::new(None),
        _presence: presence,
    });
    match follow_start(home, TrayShell { app: app.clone(), tray }) {
        Ok(signals) => *locked(&app.state::<TrayControl>().signals) = Some(signals),
        Err(e) => tracing::warn!("the tray cannot follow the daemon: {e}"),
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The icon of the worst state; grey (`None`) while no daemon answers.
fn icon(level: Option<AttentionLevel>) -> Image<'static> {
    match level {
        Some(AttentionLevel::Well) => tauri::include_image!("../icons/tray-well.png"),
        Some(AttentionLevel::NeedsYou) => tauri::include_image!("../icons/tray-needs-you.png"),
        Some(AttentionLevel::Failed) => tauri::include_image!("../icons/tray-failed.png"),
        None => tauri::include_image!("../icons/tray-off.png"),
    }
}

fn tray_build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    TrayIconBuilder::with_id("baton")
        .icon(icon(None))
        .tooltip("Baton")
        .menu(&menu_build(app, None)?)
        .on_menu_event(|app, event| menu_pick(app, event.id.as_ref()))
        .build(app)
}

/// The menu for `summary` (`None`: no daemon runs).
fn menu_build(app: &AppHandle, summary: Option<&AttentionSummary>) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    let item = |id: &str, label: &str, enabled: bool| MenuItem::with_id(app, id, label, enabled, None::<&str>);
    let status = summary.map_or("Baton: the daemon is not running", |s| s.line.as_str());
    menu.append(&item("status", status, false)?)?;
    menu.append(&item("open", "Open Baton", true)?)?;
    if let Some(s) = summary.filter(|s| !s.entries.is_empty()) {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for (i, entry) in s.entries.iter().enumerate() {
            let mark = if entry.level == AttentionLevel::Failed { "✗ " } else { "● " };
            menu.append(&item(
                &format!("goto:{i}:{}", entry.route),
                &label_cut(&format!("{mark}{}", entry.label)),
                true,
            )?)?;
        }
        if s.more > 0 {
            menu.append(&item(&format!("goto:more:{INBOX_ROUTE}"), &format!("{} more in the inbox…", s.more), true)?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    let paused = summary.is_some_and(|s| s.paused_all);
    menu.append(&item("pause", "Pause all", summary.is_some() && !paused)?)?;
    menu.append(&item("resume", if paused { "Resume all (everything is paused)" } else { "Resume all" }, paused)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&item("quit", "Quit (agents keep running in the daemon)", true)?)?;
    Ok(menu)
}

fn label_cut(label: &str) -> String {
    if label.chars().count() <= LABEL_MAX {
        return label.to_owned();
    }
    let mut cut: String = label.chars().take(LABEL_MAX - 1).collect();
    cut.push('…');
    cut
}

fn menu_pick(app: &AppHandle, id: &str) {
    match id {
        "open" => window_show(app),
        "quit" => app.exit(0),
        "pause" | "resume" => pause_all(app, id == "pause"),
        _ => {
            if let Some(route) = id.strip_prefix("goto:").and_then(|rest| rest.split_once(':')).map(|(_, r)| r) {
                route_open(app, route);
            }
        }
    }
}

/// "Pause all" or "resume all", off the main thread; the tray is read again after.
fn pause_all(app: &AppHandle, pause: bool) {
    let control = app.state::<TrayControl>();
    let home = control.home.clone();
    let signals = locked(&control.signals).clone();
    std::thread::spawn(move || {
        let done = match daemon_find(&home) {
            Ok(Some(client)) if pause => client.agents_pause_all().map(drop),
            Ok(Some(client)) => client.agents_resume_all().map(drop),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = done {
            tracing::warn!("the tray could not {} all agents: {e}", if pause { "pause" } else { "resume" });
        }
        if let Some(signals) = signals {
            let _ = signals.send(Signal::Refresh);
        }
    });
}

/// Brings the main window to the front: from the tray, or when Baton is launched a second time.
pub fn window_show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Shows the window at one of the app's addresses (`#/session/ID/agent/AGENT`, `#/inbox`).
fn route_open(app: &AppHandle, route: &str) {
    window_show(app);
    let Some(window) = app.get_webview_window("main") else { return };
    match serde_json::to_string(route) {
        Ok(quoted) => {
            if let Err(e) = window.eval(format!("window.location.hash = {quoted}")) {
                tracing::warn!("cannot open {route} in the window: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot open {route}: {e}"),
    }
}

/// Closing the window hides it when the settings keep the app in the tray, and a tray is there
/// to bring it back: our icon, and a tray host that shows it. Without a host the app would run
/// on unseen, so closing quits as it does with the setting off.
pub fn window_close_to_tray(window: &tauri::Window, event: &tauri::WindowEvent) {
    let tauri::WindowEvent::CloseRequested { api, .. } = event else { return };
    let Some(control) = window.app_handle().try_state::<TrayControl>() else { return };
    let keep = Settings::load(&control.home.settings_file()).map_or(true, |s| s.close_to_tray);
    if !(control.present && keep) {
        return;
    }
    if !crate::tray_host::tray_host_present() {
        tracing::info!("no tray host shows the icon to open the window from: closing quits");
        return;
    }
    api.prevent_close();
    let _ = window.hide();
}

struct TrayShell {
    app: AppHandle,
    tray: Option<TrayIcon>,
}

impl Shell for TrayShell {
    fn show(&mut self, summary: Option<&AttentionSummary>) {
        let Some(tray) = &self.tray else { return };
        let level = summary.map(|s| s.level);
        let line = summary.map_or("Baton: the daemon is not running", |s| s.line.as_str());
        let shown = tray
            .set_icon(Some(icon(level)))
            .and_then(|()| tray.set_tooltip(Some(line)))
            .and_then(|()| menu_build(&self.app, summary))
            .and_then(|menu| tray.set_menu(Some(menu)));
        match shown {
            Ok(()) => tracing::debug!(?level, line, "tray shown"),
            Err(e) => tracing::warn!("cannot update the tray: {e}"),
        }
    }

    fn notify(&mut self, notification: Notification) {
        let app = self.app.clone();
        let route = notification.route.clone();
        if let Err(e) = notification_show(&notification, Some(Box::new(move || route_open(&app, &route)))) {
            tracing::warn!("{e}");
        }
    }
}
