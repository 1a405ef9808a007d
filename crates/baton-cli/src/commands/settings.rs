//! `baton settings`: show the settings in effect, change one, and find what is installed (the
//! agent CLIs with their versions, the editors). Through the daemon's settings operations, so the
//! CLI, the daemon and the desktop app read and write the one `settings.json` the same way.

use baton_core::BatonHome;
use baton_core::agent::protocol::CliKind;
use baton_core::api::{CliDetectQuery, SettingsRead, SettingsUpdate};
use baton_daemon::DaemonError;
use clap::Subcommand;
use serde_json::{Map, Value};

use crate::output;

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Set one setting: a dotted KEY (clis.claude.binary, clis.codex.args, worktrees.retentionDays,
    /// editor.program, theme, notifications) and its VALUE (JSON such as 7, true or ["-a"],
    /// else taken as a string)
    Set {
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Remove a setting from settings.json: it goes back to its default
    Unset { key: String },
    /// Find each agent CLI (where it is, its --version) and the editors on this machine
    Detect {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(home: &BatonHome, cmd: Option<SettingsCommand>, json: bool) -> Result<(), DaemonError> {
    let client = super::client(home)?;
    match cmd {
        None => show(&client.settings_get()?, json),
        Some(SettingsCommand::Set { key, value }) => {
            let value = serde_json::from_str(&value).unwrap_or(Value::String(value));
            let read = client.settings_update(&SettingsUpdate { patch: patch_at(&key, value) })?;
            show(&read, json);
        }
        Some(SettingsCommand::Unset { key }) => {
            let read = client.settings_update(&SettingsUpdate { patch: patch_at(&key, Value::Null) })?;
            show(&read, json);
        }
        Some(SettingsCommand::Detect { json }) => {
            let clis = client.settings_clis_detect(&CliDetectQuery::default())?;
            let editors = client.settings_editors_detect()?;
            if json {
                output::json(&serde_json::json!({ "clis": clis, "editors": editors }));
                return Ok(());
            }
            let rows: Vec<Vec<String>> = clis
                .iter()
                .map(|c| {
                    let found = c.path.clone().unwrap_or_else(|| "not found".into());
                    vec![
                        c.cli.as_str().to_owned(),
                        found,
                        c.version.clone().or_else(|| c.problem.clone()).unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(&["CLI", "PATH", "VERSION"], &rows);
            println!();
            let rows: Vec<Vec<String>> = editors
                .editors
                .iter()
                .map(|e| {
                    vec![
                        e.program.clone(),
                        e.name.clone(),
                        e.path.clone(),
                        if e.terminal { "terminal" } else { "" }.into(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                println!("no editor found on PATH (code, cursor, zed, idea, vim...)");
            } else {
                output::table(&["EDITOR", "NAME", "PATH", ""], &rows);
            }
            match &editors.terminal {
                Some(t) => println!("terminal editors run in {t}"),
                None => println!("no terminal emulator found: terminal editors (vim, nvim) are not offered"),
            }
        }
    }
    Ok(())
}

/// `{"a": {"b": value}}` for the key `a.b`.
fn patch_at(key: &str, value: Value) -> Value {
    key.rsplit('.').fold(value, |inner, part| {
        let mut object = Map::new();
        object.insert(part.to_owned(), inner);
        Value::Object(object)
    })
}

fn show(read: &SettingsRead, json: bool) {
    if json {
        output::json(read);
        return;
    }
    let mut rows = Vec::new();
    let effective = serde_json::to_value(&read.settings).unwrap_or_default();
    let defaults = serde_json::to_value(&read.defaults).unwrap_or_default();
    leaves("", &effective, &defaults, &mut rows);
    for kind in [CliKind::Claude, CliKind::Codex, CliKind::Gemini] {
        let cli = kind.as_str();
        if read.settings.clis.for_cli(kind).is_some_and(|c| c.binary.is_none()) {
            let at = rows.iter().position(|r| r[0].starts_with(&format!("clis.{cli}."))).unwrap_or(rows.len());
            rows.insert(at, vec![format!("clis.{cli}.binary"), format!("`{cli}` on PATH"), "default".into()]);
        }
    }
    if read.settings.editor.is_none() {
        rows.push(vec![
            "editor.program".into(),
            "the first editor found (see `baton settings detect`)".into(),
            "default".into(),
        ]);
    }
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    let state = if read.exists { "" } else { " (not written yet: every setting is its default)" };
    println!("{}{state}", read.path);
    output::table(&["KEY", "VALUE", ""], &rows);
}

/// One row per setting (`env` maps and lists shown whole), marked when it is the default.
fn leaves(prefix: &str, value: &Value, default: &Value, rows: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) if !prefix.ends_with(".env") => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                leaves(&key, v, default.get(k).unwrap_or(&Value::Null), rows);
            }
        }
        _ => {
            let shown = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            rows.push(vec![prefix.to_owned(), shown, if value == default { "default".into() } else { String::new() }]);
        }
    }
}
