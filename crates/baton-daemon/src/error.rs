use std::path::PathBuf;

use baton_core::{ApiError, ErrorCode};

use crate::daemon_file::DaemonInfo;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(
        "a Baton daemon already runs for {home} (pid {pid}, port {port}); use it, or stop it with `baton daemon stop`",
        home = .home.display(), pid = .info.pid, port = .info.port
    )]
    AlreadyRunning { home: PathBuf, info: DaemonInfo },
    #[error("another Baton daemon is starting for {0}; try again in a moment")]
    Starting(PathBuf),
    #[error("the Baton daemon for {home} is not answering ({detail}); start it with `baton daemon`", home = .home.display())]
    Unreachable { home: PathBuf, detail: String },
    #[error("the Baton daemon did not start: {0}")]
    StartFailed(String),
    #[error(transparent)]
    Engine(#[from] baton_core::Error),
    /// An error the daemon answered with.
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

impl DaemonError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AlreadyRunning { .. } | Self::Starting(_) => ErrorCode::DaemonRunning,
            Self::Unreachable { .. } | Self::StartFailed(_) => ErrorCode::DaemonUnreachable,
            Self::Engine(e) => e.code(),
            Self::Api(e) => e.code,
            Self::Io { .. } => ErrorCode::Io,
        }
    }

    pub fn to_api(&self) -> ApiError {
        match self {
            Self::Api(e) => e.clone(),
            Self::Engine(e) => e.to_api(),
            other => ApiError::new(other.code(), other.to_string()),
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
