//! Integration tests of the engine against real git repositories and real SQLite files.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod agents;
mod atomic;
mod attention;
mod bindings;
mod branches;
mod coordinator;
mod gc_properties;
mod health;
mod inbox;
mod merges;
mod messages;
mod patterns;
mod protocols;
mod reports;
mod sessions;
mod settings;
mod store;
mod support;
mod tasks;
mod terminal;
mod wizard;
mod worktrees;
