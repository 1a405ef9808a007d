//! Handing work from task to task: a starting task's prompt gets its placeholders filled and a
//! short note of what the tasks before it left; the full text goes in files under
//! `.baton/context/` in its worktree (ignored by git, so it is never merged).
//!
//! Placeholders: `{NAME}` is the result of the earlier task NAME (e.g. `{spec}`); `{diff}` the
//! diff of the task reviewed (else of the tasks it follows); `{findings}` the last findings of
//! the task reviewing this one.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Connection;

use crate::artifact::{Artifact, ArtifactKind, artifacts_of_task};
use crate::error::Result;
use crate::pattern::placeholders;
use crate::task::Task;

/// Where context files go in a worktree.
pub const CONTEXT_DIR: &str = ".baton/context";

/// A diff longer than this is cut in a prompt (the file has all of it).
const PROMPT_DIFF_MAX: usize = 100 * 1024;

/// The latest artifact of `kind` among a task's.
fn latest(artifacts: &[Artifact], kind: ArtifactKind) -> Option<&Artifact> {
    artifacts.iter().rev().find(|a| a.kind == kind)
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[... cut at {} KiB; the whole text is in {CONTEXT_DIR}/]", &text[..end], max / 1024)
}

/// The tasks whose work `task` receives: the ones it runs after (any condition) and the one it
/// reviews.
fn sources<'a>(task: &Task, tasks: &'a [Task]) -> Vec<&'a Task> {
    let mut found: Vec<&Task> = Vec::new();
    for id in task.deps.iter().map(|d| d.task_id.as_str()).chain(task.reviews.as_deref()) {
        if let Some(t) = tasks.iter().find(|t| t.id == id)
            && !found.iter().any(|f| f.id == t.id)
        {
            found.push(t);
        }
    }
    found
}

/// The prompt `task` starts with, and the context files to write (relative path, content).
pub(crate) fn handoff(conn: &Connection, task: &Task, tasks: &[Task]) -> Result<(String, Vec<(String, String)>)> {
    // Each earlier task's artifacts (diffs can be large) are read once, whatever uses them.
    let mut read: HashMap<String, Vec<Artifact>> = HashMap::new();
    let mut artifacts_of = |id: &str| -> Result<Vec<Artifact>> {
        if !read.contains_key(id) {
            read.insert(id.to_owned(), artifacts_of_task(conn, id)?);
        }
        Ok(read[id].clone())
    };
    let mut prompt = task.prompt.clone();
    for name in placeholders(&task.prompt) {
        let value = match name.as_str() {
            "diff" => {
                let from: Vec<&Task> = match task.reviews.as_deref().and_then(|r| tasks.iter().find(|t| t.id == r)) {
                    Some(reviewed) => vec![reviewed],
                    None => sources(task, tasks),
                };
                let mut diffs = Vec::new();
                for t in from {
                    if let Some(d) = latest(&artifacts_of(&t.id)?, ArtifactKind::Diff) {
                        diffs.push(d.body.clone());
                    }
                }
                if diffs.is_empty() { "(no changes)".to_owned() } else { cut(&diffs.join("\n"), PROMPT_DIFF_MAX) }
            }
            "findings" => findings_for(conn, task, tasks)?.unwrap_or_else(|| "(none)".into()),
            other => match tasks.iter().find(|t| t.name == other) {
                Some(t) => result_text(&artifacts_of(&t.id)?, t),
                None => continue,
            },
        };
        prompt = prompt.replace(&format!("{{{name}}}"), &value);
    }
    let mut files =
        vec![(format!("{CONTEXT_DIR}/.gitignore"), "# Baton's hand-off files: never committed\n*\n".to_owned())];
    let mut notes = Vec::new();
    for t in sources(task, tasks) {
        let artifacts = artifacts_of(&t.id)?;
        let summary = t.summary.clone().unwrap_or_else(|| t.state.as_str().to_owned());
        let mut body = format!("# {}\n\n{summary}\n\n{}\n", t.title, result_text(&artifacts, t));
        for a in artifacts.iter().filter(|a| a.kind == ArtifactKind::Verdict) {
            body.push_str(&format!("\n## {}\n\n{}\n", a.title, a.body));
        }
        files.push((format!("{CONTEXT_DIR}/{}.md", t.name), body));
        let mut note = format!("- {} ({}): {summary} (see {CONTEXT_DIR}/{}.md", t.name, t.state.as_str(), t.name);
        if let Some(d) = latest(&artifacts, ArtifactKind::Diff) {
            files.push((format!("{CONTEXT_DIR}/{}.diff", t.name), d.body.clone()));
            note.push_str(&format!(", {CONTEXT_DIR}/{}.diff", t.name));
        }
        note.push(')');
        notes.push(note);
    }
    if let Some(lead) = task.parent_id.as_deref().and_then(|id| tasks.iter().find(|t| t.id == id)) {
        // A sub-task works for its lead: it gets the lead's brief as context.
        let brief = lead.sent_prompt.clone().unwrap_or_else(|| lead.prompt.clone());
        let file = format!("{CONTEXT_DIR}/lead-{}.md", lead.name);
        files.push((file.clone(), format!("# {} (your lead)\n\n{brief}\n", lead.title)));
        prompt.push_str(&format!(
            "\n\n---\nThis is a sub-task of {} ({}), which will combine your result with others'. Its brief is in {file}.",
            lead.name, lead.title
        ));
    }
    if let Some(brief) = super::select::judge_brief(conn, task, tasks)? {
        prompt.push_str(&format!("\n\n{brief}"));
    }
    if !notes.is_empty() {
        prompt.push_str(&format!(
            "\n\n---\nWhat the tasks before this one left (full text in {CONTEXT_DIR}/ in your working folder):\n{}\n",
            notes.join("\n")
        ));
    }
    Ok((prompt, files))
}

/// The text a task's result stands for: its final answer, else its outcome or summary.
fn result_text(artifacts: &[Artifact], t: &Task) -> String {
    latest(artifacts, ArtifactKind::Markdown)
        .map(|a| a.body.clone())
        .or_else(|| t.outcome.clone())
        .or_else(|| t.summary.clone())
        .unwrap_or_else(|| format!("(task {} left no result)", t.name))
}

/// The last findings of the task reviewing `task`, as markdown.
pub(crate) fn findings_for(conn: &Connection, task: &Task, tasks: &[Task]) -> Result<Option<String>> {
    for reviewer in tasks.iter().filter(|t| t.reviews.as_deref() == Some(task.id.as_str())) {
        if let Some(v) = latest(&artifacts_of_task(conn, &reviewer.id)?, ArtifactKind::Verdict)
            && let Ok(verdict) = serde_json::from_str::<super::verdict::Verdict>(&v.body)
        {
            return Ok(Some(super::verdict::findings_markdown(&verdict.findings)));
        }
    }
    Ok(None)
}

/// Writes context files under `dir`. Failures are returned as one message (the task still
/// starts: the prompt has the gist).
pub(crate) fn files_write(dir: &Path, files: &[(String, String)]) -> std::result::Result<(), String> {
    for (rel, content) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot make {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Files of `dir` that `text` names (relative paths, or absolute ones inside `dir`), at most
/// `max`, each a regular file of at most 256 KiB outside `.baton/` and `.git/`.
pub(crate) fn files_named(dir: &Path, text: &str, max: usize) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let trim = |c: char| !(c.is_alphanumeric() || matches!(c, '.' | '/' | '_' | '-'));
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '`' | '\'' | '"' | '(' | ')' | ',' | '*')) {
        let word = word.trim_matches(trim);
        if word.is_empty() || !word.contains('.') || word.contains("..") {
            continue;
        }
        let rel = match Path::new(word).strip_prefix(dir) {
            Ok(r) => r.to_string_lossy().into_owned(),
            Err(_) if !word.starts_with('/') => word.trim_start_matches("./").to_owned(),
            Err(_) => continue,
        };
        if rel.is_empty()
            || rel.starts_with(".baton")
            || rel.starts_with(".git")
            || found.iter().any(|(p, _)| *p == rel)
        {
            continue;
        }
        let path = dir.join(&rel);
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if !meta.is_file() || meta.len() > 256 * 1024 {
            continue;
        }
        if let Ok(content) = std::fs::read_to_string(&path) {
            found.push((rel, content));
        }
        if found.len() >= max {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_files_are_found_inside_the_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("SPEC.md"), "# spec").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "fn a() {}").unwrap();
        let abs = dir.path().join("src/a.rs");
        let text = format!("I wrote `SPEC.md` and {} (see ../etc/passwd, /etc/hosts, missing.txt).", abs.display());
        let found = files_named(dir.path(), &text, 10);
        let names: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["SPEC.md", "src/a.rs"]);
        assert_eq!(found[0].1, "# spec");
    }
}
