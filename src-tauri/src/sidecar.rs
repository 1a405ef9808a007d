//! The `baton` program the app starts its daemon with. The package bundles the CLI as the app's
//! sidecar (`bundle.externalBin`), installed beside the app (`/usr/bin/baton` next to
//! `/usr/bin/baton-desktop`); tauri-plugin-shell resolves it the same way in the build tree,
//! where cargo puts `baton` next to `baton-desktop` (`target/<profile>/`).

use std::path::Path;
use std::process::Command;

use tauri::AppHandle;
use tauri_plugin_shell::ShellExt;

/// The command that runs `baton`: `$BATON_BIN` when set (the tests point it at a build), else
/// the sidecar, else `baton` on PATH (an app built alone, without the CLI beside it).
pub fn baton_command(app: &AppHandle) -> Command {
    if let Some(bin) = std::env::var_os("BATON_BIN").filter(|v| !v.is_empty()) {
        return Command::new(bin);
    }
    match app.shell().sidecar("baton") {
        Ok(sidecar) => {
            let command = Command::from(sidecar);
            if Path::new(command.get_program()).is_file() {
                return command;
            }
            tracing::info!(
                "no sidecar at {}; starting the daemon with `baton` from PATH",
                Path::new(command.get_program()).display()
            );
        }
        Err(e) => tracing::warn!("the sidecar cannot be resolved ({e}); starting the daemon with `baton` from PATH"),
    }
    Command::new("baton")
}
