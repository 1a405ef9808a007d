//! `baton mcp`: Baton's MCP server over stdio, for any MCP client (the user's own Claude Code,
//! Codex, Gemini, an SDK). Its calls go to the daemon (started when none runs) as the user; its
//! session arguments default to `--session`, else `BATON_SESSION`, else the newest active
//! session of the repository it runs in.

use std::path::Path;
use std::time::Duration;

use baton_core::BatonHome;
use baton_daemon::DaemonError;
use baton_daemon::client::DaemonClient;
use baton_daemon::mcp::{BatonMcp, stdio_serve};

/// Longer than the longest wait a tool may ask for (`agent_wait`: 600 s).
const CALL_TIMEOUT: Duration = Duration::from_secs(660);

pub fn serve(home: &BatonHome, session: Option<String>) -> Result<u8, DaemonError> {
    let client = super::client(home)?.with_timeout(CALL_TIMEOUT);
    let session = match session.or_else(|| std::env::var("BATON_SESSION").ok().filter(|s| !s.is_empty())) {
        Some(s) => Some(client.session_get(&s)?.id),
        None => std::env::current_dir().ok().and_then(|cwd| session_of_repo(&client, &cwd)),
    };
    stdio_serve(BatonMcp::over_api(client, session))?;
    Ok(0)
}

/// The newest active session whose repository holds `dir`.
fn session_of_repo(client: &DaemonClient, dir: &Path) -> Option<String> {
    let dir = dir.canonicalize().ok()?;
    let sessions = client.session_list().ok()?;
    sessions
        .into_iter()
        .filter(|s| s.state == baton_core::session::SessionState::Active)
        .filter(|s| Path::new(&s.repo).canonicalize().is_ok_and(|repo| dir.starts_with(repo)))
        .max_by(|a, b| a.created_at.cmp(&b.created_at))
        .map(|s| s.id)
}
