//! What is installed: each agent CLI (the configured binary or its usual name on PATH, where it
//! resolves and what `--version` says) and the editors that can open a worktree (GUI editors on
//! PATH or in JetBrains Toolbox's scripts folder; terminal editors only when a terminal emulator
//! exists to run them in). Programs are run directly, never through a shell, in their own process
//! group, and killed when they do not answer in time.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Lookup, Settings};
use crate::agent::protocol::CliKind;

/// How long `CLI --version` may take (a Node CLI's first start can be slow).
const VERSION_WAIT: Duration = Duration::from_secs(10);

/// One agent CLI as this machine has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CliDetection {
    pub cli: CliKind,
    /// What Baton runs: the configured binary, or the CLI's usual name looked up on PATH.
    pub program: String,
    /// `program` comes from `clis.<cli>.binary`.
    pub configured: bool,
    /// Where `program` resolves, when it does.
    #[ts(optional)]
    pub path: Option<String>,
    /// The first line `--version` printed.
    #[ts(optional)]
    pub version: Option<String>,
    /// Why it cannot be used, and what to do.
    #[ts(optional)]
    pub problem: Option<String>,
    /// The command that installs it.
    pub install: String,
}

/// An editor found on this machine, as it would be set in `editor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditorChoice {
    /// Its usual command (`code`, `nvim`): what `editor.program` is set to.
    pub program: String,
    /// Its name for people.
    pub name: String,
    /// Where the command resolves.
    pub path: String,
    /// It runs in a terminal emulator.
    pub terminal: bool,
}

/// The editors found, and the terminal emulator terminal editors would run in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditorsDetected {
    pub editors: Vec<EditorChoice>,
    /// The terminal emulator's command, when one exists.
    #[ts(optional)]
    pub terminal: Option<String>,
}

/// Each CLI (or only `only`) with the settings in `settings`.
pub fn cli_detect(settings: &Settings, only: Option<CliKind>, lookup: &Lookup) -> Vec<CliDetection> {
    [CliKind::Claude, CliKind::Codex, CliKind::Gemini]
        .into_iter()
        .filter(|c| only.is_none_or(|o| o == *c))
        .map(|cli| cli_detect_one(settings, cli, lookup))
        .collect()
}

fn cli_detect_one(settings: &Settings, cli: CliKind, lookup: &Lookup) -> CliDetection {
    let (usual, package) = cli.default_binary().unwrap_or(("", ""));
    let config = settings.clis.for_cli(cli).cloned().unwrap_or_default();
    let program = config.binary.clone().unwrap_or_else(|| PathBuf::from(usual));
    let install = format!("npm install -g {package}");
    let mut found = CliDetection {
        cli,
        program: program.to_string_lossy().into_owned(),
        configured: config.binary.is_some(),
        path: None,
        version: None,
        problem: None,
        install: install.clone(),
    };
    let name = cli.as_str();
    let Some(path) = lookup.find(&program) else {
        found.problem = Some(if found.configured {
            format!(
                "{} (set as clis.{name}.binary) does not exist or is not executable; fix the binary, clear it to use `{usual}` on PATH, or install it with `{install}`",
                program.display()
            )
        } else {
            format!("`{usual}` is not on PATH; install it with `{install}`, or set the full path of its binary")
        });
        return found;
    };
    found.path = Some(path.to_string_lossy().into_owned());
    match output_within(Command::new(&path).arg("--version").envs(&config.env), VERSION_WAIT) {
        Ok(out) if out.success => {
            found.version = first_line(&out.stdout).or_else(|| first_line(&out.stderr));
        }
        Ok(out) => {
            let why = first_line(&out.stderr).or_else(|| first_line(&out.stdout)).unwrap_or_default();
            found.problem = Some(format!(
                "`{} --version` failed ({}){}; check that it is the {name} CLI",
                path.display(),
                out.status,
                if why.is_empty() { String::new() } else { format!(": {why}") }
            ));
        }
        Err(why) => found.problem = Some(format!("`{} --version` {why}", path.display())),
    }
    found
}

fn first_line(text: &str) -> Option<String> {
    text.lines().map(str::trim).find(|l| !l.is_empty()).map(|l| l.chars().take(200).collect())
}

pub(super) struct Output {
    pub success: bool,
    pub status: String,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` (stdin closed, own process group) and collects its output, or kills the
/// group when it has not ended within `wait`.
pub(super) fn output_within(command: &mut Command, wait: Duration) -> Result<Output, String> {
    use std::os::unix::process::CommandExt;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    // Each pipe is read on a thread that sends what it read; a pipe some detached grandchild
    // keeps open is given up on rather than waited for.
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.by_ref().take(64 * 1024).read_to_end(&mut bytes);
            }
            let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
        });
        rx
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + wait;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                crate::agent::supervisor::group_signal(Some(child.id()), rustix::process::Signal::KILL);
                let _ = child.wait();
                return Err(format!("did not answer within {} s and was stopped", wait.as_secs()));
            }
        }
    };
    // Whatever the group's other processes still hold open is theirs: end them so the pipes close.
    crate::agent::supervisor::group_signal(Some(child.id()), rustix::process::Signal::KILL);
    let collect = |rx: std::sync::mpsc::Receiver<String>| rx.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
    Ok(Output {
        success: status.success(),
        status: status.to_string(),
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// GUI editors by their usual command, in the order they are offered.
const GUI_EDITORS: &[(&str, &str)] = &[
    ("code", "Visual Studio Code"),
    ("code-insiders", "Visual Studio Code Insiders"),
    ("codium", "VSCodium"),
    ("cursor", "Cursor"),
    ("windsurf", "Windsurf"),
    ("zed", "Zed"),
    ("zeditor", "Zed"),
    ("subl", "Sublime Text"),
    ("idea", "IntelliJ IDEA"),
    ("pycharm", "PyCharm"),
    ("webstorm", "WebStorm"),
    ("goland", "GoLand"),
    ("clion", "CLion"),
    ("rustrover", "RustRover"),
    ("phpstorm", "PhpStorm"),
    ("rider", "Rider"),
    ("fleet", "Fleet"),
    ("kate", "Kate"),
    ("gnome-text-editor", "GNOME Text Editor"),
];

/// Editors that need a terminal.
const TERMINAL_EDITORS: &[(&str, &str)] = &[
    ("nvim", "Neovim"),
    ("vim", "Vim"),
    ("hx", "Helix"),
    ("helix", "Helix"),
    ("emacs", "Emacs"),
    ("nano", "nano"),
    ("micro", "micro"),
];

/// Terminal emulators, with the arguments that come before the program they are to run.
pub(super) const TERMINALS: &[(&str, &[&str])] = &[
    ("x-terminal-emulator", &["-e"]),
    ("gnome-terminal", &["--"]),
    ("konsole", &["-e"]),
    ("xfce4-terminal", &["-x"]),
    ("kitty", &[]),
    ("alacritty", &["-e"]),
    ("wezterm", &["start", "--"]),
    ("foot", &[]),
    ("ptyxis", &["--"]),
    ("tilix", &["-e"]),
    ("xterm", &["-e"]),
];

/// The first terminal emulator found: its path and the arguments before the program.
pub(super) fn terminal_find(lookup: &Lookup) -> Option<(PathBuf, &'static [&'static str])> {
    TERMINALS.iter().find_map(|(name, args)| lookup.find(Path::new(name)).map(|p| (p, *args)))
}

/// The editors on this machine: GUI ones first, then terminal ones when a terminal exists.
pub fn editors_detect(lookup: &Lookup) -> EditorsDetected {
    let terminal = terminal_find(lookup);
    let mut editors: Vec<EditorChoice> = Vec::new();
    let lists = [(GUI_EDITORS, false), (TERMINAL_EDITORS, true)];
    for (list, in_terminal) in lists {
        if in_terminal && terminal.is_none() {
            continue;
        }
        for (program, name) in list {
            let Some(path) = editor_find(program, lookup) else { continue };
            // `zed` and `zeditor`, `hx` and `helix`: the same editor once.
            if editors.iter().any(|e| e.name == *name) {
                continue;
            }
            editors.push(EditorChoice {
                program: (*program).to_owned(),
                name: (*name).to_owned(),
                path: path.to_string_lossy().into_owned(),
                terminal: in_terminal,
            });
        }
    }
    EditorsDetected { editors, terminal: terminal.map(|(p, _)| p.to_string_lossy().into_owned()) }
}

/// `program` on PATH, or among JetBrains Toolbox's launchers (which it does not put on PATH).
pub(super) fn editor_find(program: &str, lookup: &Lookup) -> Option<PathBuf> {
    lookup.find(Path::new(program)).or_else(|| {
        let script = lookup.home.as_ref()?.join(".local/share/JetBrains/Toolbox/scripts").join(program);
        lookup.find(&script)
    })
}
