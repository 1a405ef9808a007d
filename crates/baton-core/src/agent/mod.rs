//! Agents: one CLI process (or a series of them, one per turn, for CLIs that resume) working in
//! a session, its normalised events, its log and its record in the store.

mod branch;
pub mod budget;
pub(crate) mod changes;
mod environment;
pub mod event;
pub(crate) mod history;
pub(crate) mod index;
mod lifecycle;
pub mod log;
mod mcp_link;
pub(crate) mod message;
pub(crate) mod naming;
pub(crate) mod permission_live;
pub mod protocol;
mod reattach;
pub mod record;
pub mod sandbox;
pub mod shim;
pub(crate) mod supervisor;
mod terminal;
mod wait;
pub(crate) mod workspace;

pub use event::AgentEvent;
pub use lifecycle::{InterruptedResume, ResumeFailure};
pub use log::AgentEventRecord;
pub use mcp_link::McpCaller;
pub use message::InboxMessage;
pub use permission_live::PermissionAsk;
pub use record::{Agent, AgentSpawn, AgentState, AgentWorktree, PermissionRequest};
pub use workspace::{GcEntry, GcReport};
