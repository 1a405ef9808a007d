//! Baton's engine. It owns the store, the sessions and the event bus; the shells (daemon HTTP
//! API, CLI, desktop app) hold one [`Engine`] and call its methods. Nothing here knows of Tauri
//! or HTTP, so every shell gets the same behaviour and the same errors.

pub mod agent;
pub mod api;
pub mod artifact;
pub mod attention;
pub mod bindings;
pub mod context;
pub mod coordinator;
pub mod engine;
pub mod error;
pub mod events;
pub mod git;
pub mod health;
pub mod home;
pub mod ids;
pub mod inbox;
pub mod names;
pub mod notify;
pub mod pattern;
pub mod policy;
pub mod pricing;
pub mod report;
pub mod session;
pub mod settings;
pub mod store;
pub mod task;
pub mod terminal;
pub mod time;
pub mod wizard;
pub mod worktree;

pub use engine::Engine;
pub use error::{ApiError, Error, ErrorCode, Result};
pub use home::BatonHome;

/// The version of this build, shown by every shell and written to the daemon file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
