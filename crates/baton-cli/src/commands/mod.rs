pub mod agent;
pub mod branch;
pub mod coordinate;
pub mod daemon;
pub mod health;
pub mod install;
pub mod mcp;
pub mod policy;
pub mod report;
pub mod session;
pub mod settings;
pub mod task;
pub mod wizard;
pub mod work;

use baton_core::BatonHome;
use baton_daemon::DaemonError;
use baton_daemon::client::{DaemonClient, baton_bin_find, daemon_ensure};

/// The daemon of `home`, started from this very binary when none runs.
pub fn client(home: &BatonHome) -> Result<DaemonClient, DaemonError> {
    let bin = std::env::current_exe().unwrap_or_else(|_| baton_bin_find());
    daemon_ensure(home, &bin)
}
