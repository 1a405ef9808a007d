//! Agents: one CLI process (or a series of them, one per turn, for CLIs that resume) working on
//! a session's task, its normalised events, and its record in the store.

pub mod event;
pub mod protocol;
