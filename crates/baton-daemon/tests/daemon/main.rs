//! The daemon in this process (a thread) with a temporary home, called over real HTTP.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod agents;
mod api;
mod coordinator;
mod discovery;
mod generated;
mod mcp_agents;
mod patterns;
mod policy;
mod real_clis;
mod sandbox;
mod settings;
mod strict;
mod support;
mod terminals;
mod wizard_planner;
mod worktrees;
