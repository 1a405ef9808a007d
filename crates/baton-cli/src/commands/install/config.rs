//! The `baton` MCP server entry in each CLI's configuration, next to the user's own servers:
//! added (or updated) only when absent or already Baton's, removed only while it is Baton's.

use std::path::Path;
use std::process::Command;

use baton_daemon::DaemonError;
use serde_json::{Value, json};

use super::{Changes, Places, Scope, io, refuse};

const SERVER: &str = "baton";

pub(super) fn atomic_write(path: &Path, text: &str) -> Result<(), DaemonError> {
    let tmp = path.with_extension("baton-tmp");
    std::fs::write(&tmp, text).map_err(io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io(format!("cannot write {}", path.display())))
}

/// Whether a server entry runs `baton mcp` (any baton program: it may have moved).
fn is_ours(command: Option<&str>, args: &[String]) -> bool {
    command.is_some_and(|c| Path::new(c).file_name().is_some_and(|n| n == "baton")) && args == ["mcp"]
}

fn json_entry_is_ours(entry: &Value) -> bool {
    let args: Vec<String> = entry["args"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    is_ours(entry["command"].as_str(), &args)
}

fn json_read(path: &Path) -> Result<Value, DaemonError> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(json!({})),
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            refuse(format!(
                "{} is not plain JSON ({e}); Baton edits it only when it parses: fix it, or add the `baton` MCP server by hand (command: baton, args: [\"mcp\"])",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(io(format!("cannot read {}", path.display()))(e)),
    }
}

fn json_write(path: &Path, value: &Value) -> Result<(), DaemonError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    atomic_write(path, &text)
}

/// Adds `mcpServers.baton` to a JSON settings file, keeping everything else.
fn json_server_add(path: &Path, entry: Value, changes: &mut Changes) -> Result<(), DaemonError> {
    let mut settings = json_read(path)?;
    let Some(root) = settings.as_object_mut() else {
        return Err(refuse(format!("{} does not hold a JSON object; Baton leaves it alone", path.display())));
    };
    let servers = root.entry("mcpServers").or_insert_with(|| json!({}));
    let Some(servers) = servers.as_object_mut() else {
        return Err(refuse(format!("`mcpServers` in {} is not an object; Baton leaves it alone", path.display())));
    };
    if let Some(existing) = servers.get(SERVER)
        && !json_entry_is_ours(existing)
    {
        return Err(refuse(format!(
            "{} already has an MCP server named `baton` that is not `baton mcp`; Baton leaves it alone",
            path.display()
        )));
    }
    servers.insert(SERVER.into(), entry);
    json_write(path, &settings)?;
    changes.add(format!("registered the `baton` MCP server in {}", path.display()));
    Ok(())
}

fn json_server_remove(path: &Path, changes: &mut Changes) -> Result<(), DaemonError> {
    if !path.exists() {
        return Ok(());
    }
    let mut settings = json_read(path)?;
    let Some(servers) = settings.get_mut("mcpServers").and_then(Value::as_object_mut) else { return Ok(()) };
    match servers.get(SERVER) {
        Some(entry) if json_entry_is_ours(entry) => {
            servers.remove(SERVER);
            json_write(path, &settings)?;
            changes.add(format!("removed the `baton` MCP server from {}", path.display()));
        }
        Some(_) => changes.add(format!("left the `baton` server in {} (not `baton mcp`)", path.display())),
        None => {}
    }
    Ok(())
}

/// Claude Code's documented files: `.mcp.json` of the project, `~/.claude.json` for the user.
fn claude_file(places: &Places) -> std::path::PathBuf {
    match places.scope {
        Scope::Project => places.root.join(".mcp.json"),
        Scope::User => places.home.join(".claude.json"),
    }
}

fn claude_on_path() -> bool {
    Command::new("claude").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn scope_flag(scope: Scope) -> &'static str {
    match scope {
        Scope::Project => "project",
        Scope::User => "user",
    }
}

/// Through `claude mcp add` when Claude Code is on PATH, else in its documented file.
pub(super) fn claude_server_add(places: &Places, baton: &Path, changes: &mut Changes) -> Result<(), DaemonError> {
    let file = claude_file(places);
    let existing = json_read(&file)?;
    if let Some(entry) = existing["mcpServers"].get(SERVER)
        && !json_entry_is_ours(entry)
    {
        return Err(refuse(format!(
            "{} already has an MCP server named `baton` that is not `baton mcp`; Baton leaves it alone",
            file.display()
        )));
    }
    if claude_on_path() {
        let scope = scope_flag(places.scope);
        if existing["mcpServers"].get(SERVER).is_some() {
            let _ = Command::new("claude")
                .current_dir(&places.root)
                .args(["mcp", "remove", "--scope", scope, SERVER])
                .output();
        }
        let out = Command::new("claude")
            .current_dir(&places.root)
            .args(["mcp", "add", "--scope", scope, SERVER, "--"])
            .arg(baton)
            .arg("mcp")
            .output()
            .map_err(io("cannot run `claude mcp add`".into()))?;
        if !out.status.success() {
            return Err(refuse(format!("`claude mcp add` failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        changes.add(format!("registered the `baton` MCP server with `claude mcp add --scope {scope}`"));
        return Ok(());
    }
    let entry = json!({"type": "stdio", "command": baton, "args": ["mcp"]});
    json_server_add(&file, entry, changes)
}

pub(super) fn claude_server_remove(places: &Places, changes: &mut Changes) -> Result<(), DaemonError> {
    json_server_remove(&claude_file(places), changes)
}

fn gemini_file(places: &Places) -> std::path::PathBuf {
    places.root.join(".gemini/settings.json")
}

/// `mcpServers.baton` in Gemini's settings (the project's `.gemini/settings.json`, or the user's).
pub(super) fn gemini_server_add(places: &Places, baton: &Path, changes: &mut Changes) -> Result<(), DaemonError> {
    let entry = json!({"command": baton, "args": ["mcp"]});
    json_server_add(&gemini_file(places), entry, changes)
}

pub(super) fn gemini_server_remove(places: &Places, changes: &mut Changes) -> Result<(), DaemonError> {
    json_server_remove(&gemini_file(places), changes)
}

/// `[mcp_servers.baton]` in Codex's `config.toml`, edited in place (the user's comments and
/// layout stay).
pub(super) fn codex_server_add(places: &Places, baton: &Path, changes: &mut Changes) -> Result<(), DaemonError> {
    let path = places.codex_home().join("config.toml");
    let mut doc = codex_read(&path)?;
    if let Some(entry) = doc.get("mcp_servers").and_then(|s| s.get(SERVER))
        && !toml_entry_is_ours(entry)
    {
        return Err(refuse(format!(
            "{} already has an MCP server named `baton` that is not `baton mcp`; Baton leaves it alone",
            path.display()
        )));
    }
    let servers = doc.entry("mcp_servers").or_insert_with(|| {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        toml_edit::Item::Table(t)
    });
    let Some(servers) = servers.as_table_mut() else {
        return Err(refuse(format!("`mcp_servers` in {} is not a table; Baton leaves it alone", path.display())));
    };
    let mut entry = toml_edit::Table::new();
    entry["command"] = toml_edit::value(baton.to_string_lossy().into_owned());
    let mut args = toml_edit::Array::new();
    args.push("mcp");
    entry["args"] = toml_edit::value(args);
    servers.insert(SERVER, toml_edit::Item::Table(entry));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    atomic_write(&path, &doc.to_string())?;
    changes.add(format!("registered the `baton` MCP server in {}", path.display()));
    Ok(())
}

pub(super) fn codex_server_remove(places: &Places, changes: &mut Changes) -> Result<(), DaemonError> {
    let path = places.codex_home().join("config.toml");
    if !path.exists() {
        return Ok(());
    }
    let mut doc = codex_read(&path)?;
    let Some(servers) = doc.get_mut("mcp_servers").and_then(|s| s.as_table_like_mut()) else { return Ok(()) };
    match servers.get(SERVER) {
        Some(entry) if toml_entry_is_ours(entry) => {
            servers.remove(SERVER);
            atomic_write(&path, &doc.to_string())?;
            changes.add(format!("removed the `baton` MCP server from {}", path.display()));
        }
        Some(_) => changes.add(format!("left the `baton` server in {} (not `baton mcp`)", path.display())),
        None => {}
    }
    Ok(())
}

fn codex_read(path: &Path) -> Result<toml_edit::DocumentMut, DaemonError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(format!("cannot read {}", path.display()))(e)),
    };
    text.parse().map_err(|e| refuse(format!("{} is not valid TOML ({e}); fix it, then install again", path.display())))
}

fn toml_entry_is_ours(entry: &toml_edit::Item) -> bool {
    let args: Vec<String> = entry
        .get("args")
        .and_then(|a| a.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    is_ours(entry.get("command").and_then(|c| c.as_str()), &args)
}
