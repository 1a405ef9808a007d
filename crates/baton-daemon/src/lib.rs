//! The daemon: one long-lived process per `BATON_HOME` that owns the engine (database, agents,
//! the coordinators' loops), so work goes on when the window closes or the CLI returns. It
//! serves a local HTTP API with server-sent events on 127.0.0.1, guarded by a token. Its
//! operations are declared once in [`ops`]; the [`client`] module is how every shell finds,
//! starts and calls it.

pub mod client;
pub mod daemon_file;
mod error;
pub mod mcp;
pub mod notify;
pub mod ops;
pub mod run;
mod server;
mod terminal_socket;

pub use error::DaemonError;
