//! A scripted fake model server on 127.0.0.1, so the real agent CLIs (Claude Code, Codex CLI,
//! Gemini CLI) run in tests with no network and no real model.
//!
//! It speaks each provider's streaming wire format as the real API does (Anthropic Messages SSE,
//! OpenAI Responses SSE, Gemini streamGenerateContent SSE) and answers each model request with
//! the next step of a [`Scenario`] chosen by the API key the CLI sends, so one server plays a
//! different script to each agent of one run. Every request is recorded for assertions.
//! Scripts name tools as each CLI lists them; where Codex defers a tool (its MCP tools, behind
//! its tool search) the server searches for it before calling it, as a model must (`src/deferred.rs`).
//!
//! ```no_run
//! use baton_fake_model::{AgentCli, FakeModel, Scenario, Step, cli_setup};
//! use serde_json::json;
//!
//! let fake = FakeModel::start([("k1".to_owned(), Scenario::new([
//!     Step::tool_call("Bash", json!({"command": "touch x"})).with_text("Touching x."),
//!     Step::text("Done."),
//! ]))]);
//! let home = tempfile::tempdir().unwrap();
//! let setup = cli_setup(AgentCli::Claude, &fake.url(), "k1", home.path());
//! let status = setup.command().args(["-p", "touch x"]).status().unwrap();
//! assert!(fake.requests("k1").iter().any(|r| r.is_model_turn()));
//! # let _ = status;
//! ```

mod anthropic;
mod cli;
mod deferred;
mod gemini;
mod openai;
mod scenario;
mod server;
mod sse;

pub use cli::{AgentCli, CODEX_MODEL, CliSetup, GEMINI_MODEL, agent_clis_dir, cli_bin, cli_setup};
pub use scenario::{DONE_TEXT, ErrorReply, Scenario, ScenarioError, Step, ToolCall};
pub use server::{Api, FakeModel, FakeModelBuilder, RecordedRequest, StartError};

#[cfg(test)]
mod wire_tests;
