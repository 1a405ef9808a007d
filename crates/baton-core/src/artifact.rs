//! Artifacts: the detailed work a task leaves (the agent's final result, files it names, its
//! diff, a reviewer's verdict), each with a one-line summary for display. The summary says what
//! the artifact is; the body holds the detail, once. Searchable with SQLite FTS5.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::{ids, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// The agent's final answer (markdown).
    Markdown,
    /// A file of the worktree that the result names.
    File,
    /// The worktree's diff against its base.
    Diff,
    /// A reviewer's verdict (JSON).
    Verdict,
    Json,
    /// Text kept as it was (e.g. an answer that was not the verdict asked for).
    Text,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::File => "file",
            Self::Diff => "diff",
            Self::Verdict => "verdict",
            Self::Json => "json",
            Self::Text => "text",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "file" => Self::File,
            "diff" => Self::Diff,
            "verdict" => Self::Verdict,
            "json" => Self::Json,
            "text" => Self::Text,
            _ => Self::Markdown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub id: String,
    pub session_id: String,
    pub task_id: Option<String>,
    pub agent_id: Option<String>,
    pub kind: ArtifactKind,
    pub title: String,
    /// One line, for display.
    pub summary: String,
    /// The detail; empty in lists (`baton artifact show` has it).
    pub body: String,
    /// For a file: its path in the worktree.
    pub path: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// A search hit: the artifact (without its body) and where the words matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactHit {
    pub artifact: Artifact,
    /// Text around the match, the matched words between `[` and `]`.
    pub snippet: String,
}

/// What a new artifact holds.
pub(crate) struct ArtifactNew<'a> {
    pub session_id: &'a str,
    pub task_id: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    pub kind: ArtifactKind,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub path: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("no artifact has the id {0:?}; `baton artifact list --session S` lists them")]
    NotFound(String),
    #[error("the search is empty; give words to look for")]
    EmptyQuery,
    #[error("{0}")]
    Invalid(String),
}

impl ArtifactError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::EmptyQuery | Self::Invalid(_) => ErrorCode::InvalidInput,
        }
    }
}

const COLUMNS: &str = "id, session_id, task_id, agent_id, kind, title, summary, path, created_at, body";

fn from_row(row: &Row<'_>, with_body: bool) -> rusqlite::Result<Artifact> {
    Ok(Artifact {
        id: row.get(0)?,
        session_id: row.get(1)?,
        task_id: row.get(2)?,
        agent_id: row.get(3)?,
        kind: ArtifactKind::parse(&row.get::<_, String>(4)?),
        title: row.get(5)?,
        summary: row.get(6)?,
        path: row.get(7)?,
        created_at: time::ms_to_rfc3339(row.get(8)?),
        body: if with_body { row.get(9)? } else { String::new() },
    })
}

pub(crate) fn artifact_insert(conn: &Connection, new: &ArtifactNew<'_>) -> Result<String> {
    let id = ids::new_id("art");
    conn.execute(
        "INSERT INTO artifacts (id, session_id, task_id, agent_id, kind, title, summary, body, path, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            new.session_id,
            new.task_id,
            new.agent_id,
            new.kind.as_str(),
            new.title,
            new.summary,
            new.body,
            new.path,
            time::now_ms()
        ],
    )?;
    Ok(id)
}

/// A task's artifacts with their bodies, oldest first.
pub(crate) fn artifacts_of_task(conn: &Connection, task_id: &str) -> Result<Vec<Artifact>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM artifacts WHERE task_id = ?1 ORDER BY created_at, rowid"))?;
    let rows = stmt.query_map([task_id], |r| from_row(r, true))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A session's artifacts with their bodies, oldest first (for export).
pub(crate) fn artifacts_of_session(conn: &Connection, session_id: &str) -> Result<Vec<Artifact>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM artifacts WHERE session_id = ?1 ORDER BY created_at, rowid"))?;
    let rows = stmt.query_map([session_id], |r| from_row(r, true))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One line of `text` for display: its first line with words, cut at `max` characters.
pub fn summary_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| l.chars().any(char::is_alphanumeric))
        .unwrap_or("");
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// FTS5 query syntax from what a user typed: each word quoted (so `-`, `:` or `"` in it are
/// plain text), all words required.
fn fts_query(text: &str) -> String {
    text.split_whitespace().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

impl Engine {
    /// A session's artifacts (newest first), or one task's; without bodies.
    pub fn artifact_list(&self, session: &str, task: Option<&str>) -> Result<Vec<Artifact>> {
        let session = self.session_get(session)?;
        let task_id = match task {
            Some(t) => Some(crate::task::task_get(&self.inner.store.conn(), Some(&session.id), t)?.id),
            None => None,
        };
        let conn = self.inner.store.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM artifacts WHERE session_id = ?1 AND (?2 IS NULL OR task_id = ?2) \
             ORDER BY created_at DESC, rowid DESC"
        ))?;
        let rows = stmt
            .query_map(params![session.id, task_id], |r| from_row(r, false))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Keeps a piece of work given by an agent or the user (a finding, a plan, a report).
    pub fn artifact_add(&self, req: &crate::api::ArtifactCreate) -> Result<Artifact> {
        let session = self.session_get(&req.session)?;
        if req.title.trim().is_empty() {
            return Err(ArtifactError::Invalid("the title is empty; give the artifact a title".into()).into());
        }
        let task_id = match req.task.as_deref() {
            Some(t) => Some(crate::task::task_get(&self.inner.store.conn(), Some(&session.id), t)?.id),
            None => None,
        };
        let agent_id = match req.agent.as_deref() {
            Some(a) => {
                let agent = self.agent_get(a)?;
                if agent.session_id != session.id {
                    return Err(ArtifactError::Invalid(format!(
                        "agent {} is not of session {}; an artifact belongs to one session",
                        agent.name, session.name
                    ))
                    .into());
                }
                Some(agent.id)
            }
            None => None,
        };
        let id = self.write(|tx| {
            artifact_insert(
                tx,
                &ArtifactNew {
                    session_id: &session.id,
                    task_id: task_id.as_deref(),
                    agent_id: agent_id.as_deref(),
                    kind: req.kind.unwrap_or(ArtifactKind::Markdown),
                    title: req.title.trim(),
                    summary: &summary_line(&req.body, 120),
                    body: &req.body,
                    path: req.path.as_deref(),
                },
            )
        })?;
        self.artifact_get(&id)
    }

    pub fn artifact_get(&self, id: &str) -> Result<Artifact> {
        let conn = self.inner.store.conn();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM artifacts WHERE id = ?1"))?;
        stmt.query_row([id], |r| from_row(r, true))
            .optional()?
            .ok_or_else(|| ArtifactError::NotFound(id.to_owned()).into())
    }

    /// Full-text search over titles, summaries and bodies, best matches first; within one
    /// session, or all.
    pub fn artifact_search(&self, query: &str, session: Option<&str>, limit: usize) -> Result<Vec<ArtifactHit>> {
        if query.trim().is_empty() {
            return Err(ArtifactError::EmptyQuery.into());
        }
        let session_id = match session {
            Some(s) => Some(self.session_get(s)?.id),
            None => None,
        };
        let conn = self.inner.store.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT a.id, a.session_id, a.task_id, a.agent_id, a.kind, a.title, a.summary, a.path, a.created_at, \
             a.body, snippet(artifacts_fts, 2, '[', ']', '…', 12) \
             FROM artifacts_fts JOIN artifacts a ON a.rowid = artifacts_fts.rowid \
             WHERE artifacts_fts MATCH ?1 AND (?2 IS NULL OR a.session_id = ?2) ORDER BY rank LIMIT ?3",
        )?;
        let hits = stmt
            .query_map(params![fts_query(query), session_id, limit as i64], |r| {
                Ok(ArtifactHit { artifact: from_row(r, false)?, snippet: r.get(10)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_one_line_of_words() {
        assert_eq!(summary_line("\n# Spec: add a flag\n\nDetails...", 80), "Spec: add a flag");
        assert_eq!(summary_line("---\n\nok", 80), "ok");
        assert_eq!(summary_line("abcdefghij", 5), "abcd…");
        assert_eq!(summary_line("", 5), "");
    }

    #[test]
    fn search_words_are_quoted() {
        assert_eq!(fts_query("main.rs  foo-bar"), "\"main.rs\" \"foo-bar\"");
        assert_eq!(fts_query("say \"hi\""), "\"say\" \"\"\"hi\"\"\"");
    }
}
