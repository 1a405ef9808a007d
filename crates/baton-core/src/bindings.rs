//! The TypeScript twins of every type that crosses to a client, generated with ts-rs into
//! `ui/src/bindings/` and committed. A test fails when the committed files are stale;
//! `BATON_UPDATE_BINDINGS=1 cargo test -p baton-core bindings` rewrites them.

use std::path::Path;

use ts_rs::{Config, ExportError, TS};

use crate::api::{DaemonConnection, DaemonHealth};
use crate::error::{ApiError, ErrorCode};
use crate::events::EngineEvent;
use crate::session::{Session, SessionCreate, SessionState, SessionUpdate};

/// Writes every binding (with its dependencies) into `dir`, one `.ts` file per type.
pub fn bindings_export(dir: &Path) -> Result<(), ExportError> {
    let cfg = Config::new().with_out_dir(dir);
    ApiError::export_all(&cfg)?;
    ErrorCode::export_all(&cfg)?;
    DaemonHealth::export_all(&cfg)?;
    DaemonConnection::export_all(&cfg)?;
    EngineEvent::export_all(&cfg)?;
    Session::export_all(&cfg)?;
    SessionState::export_all(&cfg)?;
    SessionCreate::export_all(&cfg)?;
    SessionUpdate::export_all(&cfg)?;
    Ok(())
}
