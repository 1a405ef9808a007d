//! The real `baton` binary, run as a user would, each test with its own `BATON_HOME`.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod agents;
mod coordinate;
mod daemon;
mod environment;
mod faults;
mod health;
mod install;
mod policy;
mod reports;
mod session;
mod settings;
mod support;
mod survival;
mod tasks;
mod wizard;
mod worktrees;
