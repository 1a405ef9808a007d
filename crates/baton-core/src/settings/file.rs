//! Changing `settings.json` from the API: a JSON merge patch (RFC 7396: a value sets, `null`
//! removes, back to the default) applied to the file as it is, so whatever the change does not
//! name stays as the user wrote it (fields left at their defaults stay absent). The result is
//! checked with the rules of a read before anything is written, and written atomically (a
//! temporary file in the same folder, renamed over), so the CLI and daemon never read half a file.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::{Settings, SettingsError};

/// Applies `patch` to the settings at `path` and answers the settings now in effect. Refused,
/// changing nothing, when the patch is not an object, the file as it is does not parse, or the
/// result breaks a rule (the error names the field), even one it did not touch.
pub fn settings_update(path: &Path, patch: &Value) -> Result<Settings, SettingsError> {
    if !patch.is_object() {
        return Err(SettingsError::Rejected {
            field: String::new(),
            message: "a change is a JSON object of the fields to set, like {\"theme\": \"dark\"}".into(),
        });
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| unwritable(path, &e))?;
    // Two changes at once must not both start from the same file and lose one of them.
    let _lock = DirLock::take(dir).map_err(|e| unwritable(path, &e))?;
    let mut doc = match std::fs::read_to_string(path) {
        // Not JSON at all: say so with its line, as a read would, rather than overwrite it. A
        // file that is JSON but breaks a rule may be mended by this very change.
        Ok(text) => serde_json::from_str(&text).map_err(|e| SettingsError::Invalid {
            path: path.to_owned(),
            at: Some((e.line(), e.column())),
            field: String::new(),
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Object(Default::default()),
        Err(e) => return Err(SettingsError::Unreadable { path: path.to_owned(), detail: e.to_string() }),
    };
    json_patch::merge(&mut doc, patch);
    prune_emptied(&mut doc, patch);
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| unwritable(path, &e))?;
    text.push('\n');
    let settings =
        Settings::parse(&text).map_err(|(_, (field, message))| SettingsError::Rejected { field, message })?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| unwritable(path, &e))?;
    tmp.write_all(text.as_bytes()).and_then(|()| tmp.as_file().sync_all()).map_err(|e| unwritable(path, &e))?;
    tmp.persist(path).map_err(|e| unwritable(path, &e.error))?;
    Ok(settings)
}

/// Removes the objects a patch emptied (`{"clis": {"claude": {"binary": null}}}` leaves no
/// `"claude": {}` behind); objects the patch did not reach stay as written.
fn prune_emptied(doc: &mut Value, patch: &Value) {
    let (Some(doc), Some(patch)) = (doc.as_object_mut(), patch.as_object()) else { return };
    for (key, change) in patch {
        if !change.is_object() {
            continue;
        }
        if let Some(inner) = doc.get_mut(key) {
            prune_emptied(inner, change);
            if inner.as_object().is_some_and(|o| o.is_empty()) {
                doc.remove(key);
            }
        }
    }
}

fn unwritable(path: &Path, e: &dyn std::fmt::Display) -> SettingsError {
    SettingsError::Unwritable { path: path.to_owned(), detail: e.to_string() }
}

/// An exclusive `flock` on the settings' folder, released when dropped (or when the process
/// ends): changes to the file happen one at a time, across processes too.
struct DirLock(std::fs::File);

impl DirLock {
    fn take(dir: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(dir)?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(Self(file))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(&self.0, rustix::fs::FlockOperation::Unlock);
    }
}
