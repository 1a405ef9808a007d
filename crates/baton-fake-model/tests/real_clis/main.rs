//! The real agent CLIs (installed at pinned versions by `npm ci` in `tests/agent-clis`) run
//! headless against the fake model server, each in a temporary git repository with a private
//! `HOME`: proof that the fake speaks each provider's stream well enough for the real client,
//! and a record of how each CLI behaves (see `tests/agent-clis/README.md`).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod claude;
mod codex;
mod gemini;
mod server_binary;
mod support;
