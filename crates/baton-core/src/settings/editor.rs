//! Opening a folder in the user's editor: the one set in `editor`, or else the first GUI editor
//! found. The daemon starts it (it runs on the same machine as the desktop app): directly, never
//! through a shell, detached in its own process group, a terminal editor inside a terminal
//! emulator. A start that fails at once is reported with what to do.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::detect::{editor_find, editors_detect, terminal_find};
use super::{EditorSettings, Lookup, Settings, SettingsError};

/// How long a started editor is watched for an early failure (a launcher such as `code` hands the
/// folder to a running window and exits 0 at once; a bad argument exits non-zero as quickly).
const EARLY_EXIT_WAIT: Duration = Duration::from_millis(1500);

/// What was started to open the folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditorOpened {
    /// The program and its arguments, as run.
    pub command: Vec<String>,
}

/// Opens `folder` with the editor of `settings`.
pub fn editor_open(settings: &Settings, folder: &Path, lookup: &Lookup) -> Result<EditorOpened, SettingsError> {
    if !folder.exists() {
        return Err(SettingsError::Editor(format!("{} does not exist; nothing to open", folder.display())));
    }
    let editor = match &settings.editor {
        Some(e) => e.clone(),
        None => {
            let first = editors_detect(lookup).editors.into_iter().find(|e| !e.terminal).ok_or_else(|| {
                SettingsError::Editor(
                    "no editor is set and none was found on PATH (code, cursor, zed, idea...); choose one in Settings, or set editor.program in settings.json".into(),
                )
            })?;
            EditorSettings { program: first.program, args: Vec::new(), terminal: false }
        }
    };
    let program = editor_find(&editor.program, lookup).ok_or_else(|| {
        SettingsError::Editor(format!(
            "the editor `{}` is not on PATH; install it, or choose another in Settings",
            editor.program
        ))
    })?;
    let mut argv: Vec<PathBuf> = Vec::new();
    if editor.terminal {
        let (terminal, before) = terminal_find(lookup).ok_or_else(|| {
            SettingsError::Editor(format!(
                "`{}` runs in a terminal and no terminal emulator was found (x-terminal-emulator, gnome-terminal, konsole, xterm...); install one, or choose a graphical editor in Settings",
                editor.program
            ))
        })?;
        argv.push(terminal);
        argv.extend(before.iter().map(PathBuf::from));
    }
    argv.push(program);
    argv.extend(editor.args.iter().map(PathBuf::from));
    argv.push(folder.to_owned());
    let command: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let shown = command.join(" ");
    let cwd = if folder.is_dir() { folder } else { folder.parent().unwrap_or(Path::new("/")) };
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| SettingsError::Editor(format!("could not start `{shown}`: {e}")))?
    };
    let deadline = Instant::now() + EARLY_EXIT_WAIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(status)) => {
                return Err(SettingsError::Editor(format!(
                    "`{shown}` ended at once ({status}); check the editor in Settings, or run it in a terminal to see why"
                )));
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            // Still running: it is the editor's (or the terminal's) window. Reap it when it ends.
            Ok(None) | Err(_) => {
                std::thread::spawn(move || child.wait());
                break;
            }
        }
    }
    Ok(EditorOpened { command })
}
