//! Session reports: what a session set out to do and what came of it, as one document a user
//! can keep or send (Markdown, or a self-contained HTML page with an SVG timeline). Read from
//! the store only; no time of the reading enters the document, so the same session always gives
//! the same report (snapshot tests compare it byte for byte).

mod format;
mod html;
mod markdown;
mod model;
mod timeline;

use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::engine::Engine;
use crate::error::{ErrorCode, Result};

pub use model::ReportData;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// Markdown.
    #[default]
    Md,
    /// One HTML file: inline styles, an inline SVG timeline, nothing fetched from the network.
    Html,
}

impl ReportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md => "md",
            Self::Html => "html",
        }
    }

    /// `md`/`markdown` or `html`, as a user types it.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Self::Md),
            "html" | "htm" => Some(Self::Html),
            _ => None,
        }
    }
}

/// A session's report: the document is `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub format: ReportFormat,
    /// "Report: <session>", the document's own title.
    pub title: String,
    pub text: String,
}

/// `POST /api/sessions/{id}/report`: write the report to a file the user chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportSave {
    /// An absolute path; an existing file is replaced.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub format: Option<ReportFormat>,
}

/// Where a report was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportSaved {
    pub path: String,
    pub format: ReportFormat,
    #[ts(type = "number")]
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the report's path {0:?} is not absolute; give the full path of the file to write")]
    PathRelative(String),
    #[error("the folder {0:?} does not exist; choose a folder that does")]
    FolderMissing(String),
    /// The path cannot be written by anyone's fault but the request's: no permission, a folder,
    /// a read-only disk, a name the system refuses.
    #[error("cannot write the report to {path:?}: {detail}; choose a file you may write")]
    Refused { path: String, detail: String },
    #[error("cannot write the report to {path:?}: {detail}")]
    Write { path: String, detail: String },
}

impl ReportError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::PathRelative(_) | Self::Refused { .. } => ErrorCode::InvalidInput,
            Self::FolderMissing(_) => ErrorCode::PathNotFound,
            Self::Write { .. } => ErrorCode::Io,
        }
    }
}

/// The document of `data` in `format`.
pub fn report_render(data: &ReportData, format: ReportFormat) -> Report {
    let title = format!("Report: {}", data.session.name);
    let text = match format {
        ReportFormat::Md => markdown::render(data),
        ReportFormat::Html => html::render(data),
    };
    Report { format, title, text }
}

/// Writes `text` to `path` in full or not at all (a temporary file beside it, then a rename),
/// so a failed write never leaves half a report where the user looks for one.
pub fn report_write(path: &Path, text: &str) -> Result<(), ReportError> {
    let shown = path.display().to_string();
    if !path.is_absolute() {
        return Err(ReportError::PathRelative(shown));
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    if !dir.is_dir() {
        return Err(ReportError::FolderMissing(dir.display().to_string()));
    }
    let failed = |e: std::io::Error| {
        use std::io::ErrorKind::*;
        let (path, detail) = (shown.clone(), e.to_string());
        match e.kind() {
            PermissionDenied | IsADirectory | ReadOnlyFilesystem | InvalidInput | InvalidFilename => {
                ReportError::Refused { path, detail }
            }
            _ => ReportError::Write { path, detail },
        }
    };
    if path.is_dir() {
        return Err(ReportError::Refused { path: shown.clone(), detail: "it is a folder".into() });
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

impl Engine {
    /// The report of a session (id or name), as Markdown or HTML.
    pub fn session_report(&self, session: &str, format: ReportFormat) -> Result<Report> {
        let data = self.report_data(session)?;
        Ok(report_render(&data, format))
    }

    /// Writes the report of a session to `path` (absolute; replaced when it exists).
    pub fn session_report_save(&self, session: &str, req: &ReportSave) -> Result<ReportSaved> {
        let format = req.format.unwrap_or_default();
        let report = self.session_report(session, format)?;
        report_write(Path::new(&req.path), &report.text)?;
        Ok(ReportSaved { path: req.path.clone(), format, bytes: report.text.len() as u64 })
    }
}
