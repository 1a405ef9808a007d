//! Baton's desktop shell. Thin on purpose: the UI talks to the daemon's HTTP API itself; this
//! process only finds or starts the daemon (`daemon_connect`, with the bundled `baton` sidecar),
//! and owns what is native: the window (its size and position remembered, one window per Baton
//! home), the tray, the folder dialog and the start at login.

mod autostart;
mod follow;
mod sidecar;
mod tray;
mod tray_host;

use baton_core::api::DaemonConnection;
use baton_core::{ApiError, BatonHome, ErrorCode};
use baton_daemon::client::daemon_ensure_with;
use tauri::Manager;

struct Shell {
    home: BatonHome,
}

/// Finds the daemon of this app's `BATON_HOME`, starting it if none runs, and tells the UI how
/// to reach it.
#[tauri::command]
async fn daemon_connect(app: tauri::AppHandle, shell: tauri::State<'_, Shell>) -> Result<DaemonConnection, ApiError> {
    let home = shell.home.clone();
    let client =
        tauri::async_runtime::spawn_blocking(move || daemon_ensure_with(&home, || sidecar::baton_command(&app)))
            .await
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
            .map_err(|e| e.to_api())?;
    let info = client.info();
    Ok(DaemonConnection { url: info.url(), token: info.token.clone() })
}

/// Without a GPU, WebKit's accelerated compositing runs on Mesa's software renderer, which maps
/// LLVM into the page process and costs ~80 MiB for nothing a list-and-text UI needs (see
/// docs/perf.md). Turn it off there, unless the user chose otherwise.
fn webkit_compositing_configure() {
    let has_gpu = std::fs::read_dir("/dev/dri")
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false);
    if !has_gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: called first thing in main, before any other thread exists to read the environment.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        }
    }
}

/// The name under which the running window is found by a second launch: one per Baton home, so a
/// second launch over the same home focuses the open window, while another home (a test, a second
/// profile) gets its own window and daemon.
fn instance_id(home: &BatonHome) -> String {
    format!("dev.baton.desktop.h{:016x}", fnv1a(home.root().as_os_str().as_encoded_bytes()))
}

/// A hash that stays the same across builds (std's `DefaultHasher` does not promise that, and two
/// builds of Baton must agree on the name to find each other).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The window's size and position live with the rest of the home's state; the plugin joins this
/// absolute path onto its config folder, which leaves it as is.
fn window_state_file(home: &BatonHome) -> String {
    home.root().join("window-state.json").to_string_lossy().into_owned()
}

/// The plugin writes the window's state to disk only when the app exits normally; an app ended by
/// a signal (a session logging out, a test driver) would lose it. So it is also written half a
/// second after the window last moved or changed size.
fn window_state_keep(window: &tauri::Window, event: &tauri::WindowEvent) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};
    static CHANGES: AtomicU64 = AtomicU64::new(0);
    if !matches!(event, tauri::WindowEvent::Moved(_) | tauri::WindowEvent::Resized(_)) {
        return;
    }
    let change = CHANGES.fetch_add(1, Ordering::Relaxed) + 1;
    let app = window.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if CHANGES.load(Ordering::Relaxed) == change
            && let Err(e) = app.save_window_state(StateFlags::all())
        {
            tracing::warn!("cannot save the window's size and position: {e}");
        }
    });
}

fn main() {
    webkit_compositing_configure();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("BATON_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "error: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); on a machine without one, run \
             `xvfb-run -a {}` (Debian package xvfb)",
            std::env::args().next().unwrap_or_else(|| "baton-desktop".into())
        );
        std::process::exit(2);
    }
    let home = match BatonHome::resolve(None) {
        Ok(home) => home,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        // First, so that a second launch hands over to the running window before anything else
        // of this process starts.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance_id(&home))
                .callback(|app, _argv, _cwd| tray::window_show(app))
                .build(),
        )
        .plugin(tauri_plugin_window_state::Builder::new().with_filename(window_state_file(&home)).build())
        .on_window_event(|window, event| {
            window_state_keep(window, event);
            tray::window_close_to_tray(window, event);
        })
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_shell::init())
        .plugin(autostart::plugin())
        .manage(Shell { home: home.clone() })
        .invoke_handler(tauri::generate_handler![daemon_connect, autostart::autostart_apply])
        .setup(move |app| {
            autostart::autostart_startup(app.handle(), &home);
            tray::tray_install(app.handle(), home);
            autostart::window_start_hidden(app.handle());
            Ok(())
        })
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("error: the Baton window could not run: {e}");
        std::process::exit(1);
    }
}
