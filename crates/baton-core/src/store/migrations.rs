//! Schema migrations, embedded from `migrations/NNNN_name.sql`. `PRAGMA user_version` holds
//! the applied version; pending migrations run in one transaction, so a failure leaves the
//! database exactly as it was.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// `(version, name, sql)`, in order. A test checks this list against the folder.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "0001_init", include_str!("../../../../migrations/0001_init.sql")),
    (2, "0002_agents_live", include_str!("../../../../migrations/0002_agents_live.sql")),
    (3, "0003_events_index_lean", include_str!("../../../../migrations/0003_events_index_lean.sql")),
    (4, "0004_agent_worktrees", include_str!("../../../../migrations/0004_agent_worktrees.sql")),
    (5, "0005_tasks_states", include_str!("../../../../migrations/0005_tasks_states.sql")),
    (6, "0006_coordinator", include_str!("../../../../migrations/0006_coordinator.sql")),
    (7, "0007_wizard", include_str!("../../../../migrations/0007_wizard.sql")),
    (8, "0008_health", include_str!("../../../../migrations/0008_health.sql")),
    (9, "0009_agents_archive", include_str!("../../../../migrations/0009_agents_archive.sql")),
    (10, "0010_task_sent_prompt", include_str!("../../../../migrations/0010_task_sent_prompt.sql")),
    (11, "0011_wizard_planner", include_str!("../../../../migrations/0011_wizard_planner.sql")),
    (12, "0012_health_pause", include_str!("../../../../migrations/0012_health_pause.sql")),
    (13, "0013_cost_quarters", include_str!("../../../../migrations/0013_cost_quarters.sql")),
    (14, "0014_mcp_tokens", include_str!("../../../../migrations/0014_mcp_tokens.sql")),
    (15, "0015_health_history", include_str!("../../../../migrations/0015_health_history.sql")),
    (16, "0016_agent_messages", include_str!("../../../../migrations/0016_agent_messages.sql")),
    (17, "0017_agents_external", include_str!("../../../../migrations/0017_agents_external.sql")),
    (18, "0018_budgets", include_str!("../../../../migrations/0018_budgets.sql")),
    (19, "0019_task_patterns", include_str!("../../../../migrations/0019_task_patterns.sql")),
    (20, "0020_tasks_read_only", include_str!("../../../../migrations/0020_tasks_read_only.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub(super) fn apply(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| super::classify(path, e))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_owned(), found, known: SCHEMA_VERSION });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // `unchecked_transaction` because we only hold `&Connection`; nothing else uses it yet.
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(|e| super::classify(path, e))?;
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        tx.execute_batch(sql).map_err(|e| StoreError::Migration { version, name, detail: e.to_string() })?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}
