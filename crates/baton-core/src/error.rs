//! The engine's error: one enum per module, gathered here, each with a stable [`ErrorCode`] so
//! clients switch on the code and never on the message. Messages say what to do.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::record::AgentError;
use crate::artifact::ArtifactError;
use crate::context::ContextError;
use crate::pattern::PatternError;
use crate::settings::SettingsError;
use crate::task::TaskError;
use crate::wizard::WizardError;
use crate::worktree::WorktreeError;
use crate::{git::GitError, session::SessionError, store::StoreError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stable, machine-readable error codes shared by the engine, the API and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    InvalidInput,
    PathNotFound,
    NotAGitRepo,
    BareRepo,
    DuplicateName,
    DatabaseTooNew,
    DatabaseCorrupt,
    DatabaseUnreadable,
    Unauthorized,
    DaemonRunning,
    DaemonUnreachable,
    CliMissing,
    SpawnFailed,
    InvalidSettings,
    /// A merge would conflict; the message lists the files.
    MergeConflict,
    /// The merge target is checked out with uncommitted changes.
    DirtyCheckout,
    /// The agent is working; wait for it or stop it first.
    AgentBusy,
    /// The repository has no remote to push to.
    NoRemote,
    /// A pull request needs the GitHub CLI (`gh`) installed and logged in.
    GhUnavailable,
    /// Agents are working; stopping the daemon would interrupt them (`force` does it anyway).
    AgentsWorking,
    /// A budget of the session or the agent is used up; raise it first.
    OverBudget,
    Io,
    Internal,
}

/// What every client receives for a failed call: `{code, message}`, and `field` when the input
/// at fault is one field of a larger one (a wizard plan's `tasks[2].role`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The path of the field the message is about; the message names it too.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Worktree(#[from] WorktreeError),
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Health(#[from] crate::health::HealthError),
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Name(#[from] crate::names::NameError),
    #[error(transparent)]
    Wizard(#[from] WizardError),
    #[error(transparent)]
    Terminal(#[from] crate::terminal::TerminalError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    #[error(transparent)]
    Budget(#[from] crate::agent::budget::BudgetError),
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Store(e) => e.code(),
            Self::Session(e) => e.code(),
            Self::Git(e) => e.code(),
            Self::Agent(e) => e.code(),
            Self::Settings(e) => e.code(),
            Self::Worktree(e) => e.code(),
            Self::Task(e) => e.code(),
            Self::Health(e) => e.code(),
            Self::Pattern(e) => e.code(),
            Self::Artifact(e) => e.code(),
            Self::Context(e) => e.code(),
            Self::Name(e) => e.code(),
            Self::Wizard(e) => e.code(),
            Self::Terminal(e) => e.code(),
            Self::Report(e) => e.code(),
            Self::Policy(e) => e.code(),
            Self::Budget(e) => e.code(),
        }
    }

    /// The field of the input at fault, when the error is about one (see [`ApiError::field`]).
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Wizard(e) => e.field(),
            Self::Policy(e) => e.field(),
            _ => None,
        }
    }

    pub fn to_api(&self) -> ApiError {
        ApiError { field: self.field().map(str::to_owned), ..ApiError::new(self.code(), self.to_string()) }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(StoreError::from(e))
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        e.to_api()
    }
}
