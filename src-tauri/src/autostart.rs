//! Start at login, in the tray. The `startAtLogin` setting decides; tauri-plugin-autostart
//! writes or removes the login entry (`~/.config/autostart/Baton.desktop`), which starts the
//! app with [`TRAY_ARG`] so that its window stays hidden until opened from the tray.

use baton_core::settings::Settings;
use baton_core::{ApiError, BatonHome, ErrorCode};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::ManagerExt;

/// The argument the login entry starts the app with.
pub const TRAY_ARG: &str = "--tray";

pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new().app_name("Baton").arg(TRAY_ARG).build()
}

/// Whether this launch is the login entry's: the window waits in the tray.
pub fn started_in_tray() -> bool {
    std::env::args().skip(1).any(|a| a == TRAY_ARG)
}

/// Makes the login entry match the setting of `home`; answers whether it is now on. An entry
/// that is on is written anew, so that it starts the app from where it is now installed.
pub fn autostart_sync<R: Runtime>(app: &AppHandle<R>, home: &BatonHome) -> Result<bool, ApiError> {
    let wanted =
        Settings::load(&home.settings_file()).map_err(|e| ApiError::new(e.code(), e.to_string()))?.start_at_login;
    let manager = app.autolaunch();
    let failed = |e: tauri_plugin_autostart::Error| {
        ApiError::new(ErrorCode::Io, format!("cannot change the login entry in ~/.config/autostart: {e}"))
    };
    if wanted {
        manager.enable().map_err(failed)?;
    } else if manager.is_enabled().map_err(failed)? {
        manager.disable().map_err(failed)?;
    }
    Ok(wanted)
}

/// At startup, the entry follows the setting, so a change made in `settings.json` by hand or
/// with the CLI applies at the next start. Only over the default home: the login entry starts
/// the app over that one, and an app run over another home (a test, a second profile) must not
/// remove the user's entry.
pub fn autostart_startup<R: Runtime>(app: &AppHandle<R>, home: &BatonHome) {
    if std::env::var_os("BATON_HOME").is_some_and(|v| !v.is_empty()) {
        return;
    }
    if let Err(e) = autostart_sync(app, home) {
        tracing::warn!("start at login: {}", e.message);
    }
}

/// Called by the Settings view after it saved `startAtLogin`: the entry follows at once.
#[tauri::command]
pub async fn autostart_apply(app: AppHandle, shell: tauri::State<'_, crate::Shell>) -> Result<bool, ApiError> {
    let home = shell.home.clone();
    tauri::async_runtime::spawn_blocking(move || autostart_sync(&app, &home))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
}

/// Hides the main window of a launch at login, when the tray is there to open it from: our icon
/// exists and a tray host shows it. Without a host (GNOME without its AppIndicator extension) the
/// icon would be invisible, and so would the app: the window shows instead.
pub fn window_start_hidden<R: Runtime>(app: &AppHandle<R>) {
    if !started_in_tray() || app.tray_by_id("baton").is_none() {
        return;
    }
    if !crate::tray_host::tray_host_present() {
        tracing::info!("started for the tray, but no tray host runs: showing the window");
        return;
    }
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }
}
