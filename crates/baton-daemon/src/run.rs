//! Running the daemon in the foreground: take the home's lock, open the engine, bind
//! 127.0.0.1, publish the daemon file, serve until asked to stop, then clean up.

use std::fs::{File, TryLockError};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use baton_core::{BatonHome, Engine, ids, time};
use tokio::sync::watch;

use crate::DaemonError;
use crate::daemon_file::{DaemonInfo, daemon_file_read, daemon_file_remove_if_ours, daemon_file_write};
use crate::server::{ServerState, router};

/// How long running agents get to stop when the daemon stops (each gets SIGINT, SIGTERM, SIGKILL).
const AGENTS_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(12);

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Port to bind on 127.0.0.1; 0 (the default) picks a free one.
    pub port: u16,
    /// The `baton` program whose `shim` mode runs agents' processes, so they outlive this
    /// daemon (`baton_core::agent::shim`); without it the daemon runs them itself.
    pub shim: Option<std::path::PathBuf>,
}

/// Holds the home's lock for as long as it lives. The OS releases it when the process dies, so
/// a crashed daemon never blocks the next one.
pub struct HomeLock {
    _file: File,
}

/// Takes the lock that makes this process the only daemon of `home`.
pub fn home_lock(home: &BatonHome) -> Result<HomeLock, DaemonError> {
    home.ensure().map_err(DaemonError::io(format!("cannot create {}", home.root().display())))?;
    let path = home.daemon_lock();
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(DaemonError::io(format!("cannot open {}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(HomeLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(match daemon_file_read(&home.daemon_file()) {
            Some(info) => DaemonError::AlreadyRunning { home: home.root().to_owned(), info },
            None => DaemonError::Starting(home.root().to_owned()),
        }),
        Err(TryLockError::Error(e)) => Err(DaemonError::io(format!("cannot lock {}", path.display()))(e)),
    }
}

/// Runs the daemon until SIGINT, SIGTERM or `POST /api/daemon/stop`. Blocks the calling thread.
pub fn daemon_run(home: BatonHome, options: RunOptions) -> Result<(), DaemonError> {
    let lock = home_lock(&home)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("baton-daemon")
        .build()
        .map_err(DaemonError::io("cannot start the async runtime"))?;
    // Opened inside the runtime: agents' supervisors run on it.
    let engine = {
        let _enter = runtime.enter();
        let engine = Engine::open(home.clone())?;
        if let Some(shim) = &options.shim {
            engine.shim_program_set(shim);
        }
        Arc::new(engine)
    };
    let result = runtime.block_on(serve(home.clone(), engine, options));
    drop(lock);
    result
}

async fn serve(home: BatonHome, engine: Arc<Engine>, options: RunOptions) -> Result<(), DaemonError> {
    let addr = SocketAddr::from(([127, 0, 0, 1], options.port));
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(DaemonError::io(format!("cannot listen on {addr}")))?;
    let port = listener.local_addr().map_err(DaemonError::io("cannot read the bound address"))?.port();
    // Without TCP_NODELAY a response written in two parts (an MCP call's event stream: its
    // headers at once, the tool's answer when ready) waits ~40 ms for the client's delayed ACK
    // before its second part leaves (Nagle's algorithm); see docs/perf.md, MCP tool calls.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY on a connection: {e}");
        }
    });
    let pid = std::process::id();
    let info = DaemonInfo {
        port,
        pid,
        version: baton_core::VERSION.into(),
        token: ids::new_token().map_err(DaemonError::io("cannot make a token"))?,
        started_at: time::ms_to_rfc3339(time::now_ms()),
    };
    let (shutdown, mut stop) = watch::channel(false);
    engine.api_url_set(&info.url());
    let state = Arc::new(ServerState {
        engine: engine.clone(),
        token: info.token.clone(),
        pid,
        started_at: info.started_at.clone(),
        shutdown: shutdown.clone(),
    });
    // Published last: a client that reads the file can connect at once.
    let file = home.daemon_file();
    daemon_file_write(&file, &info).map_err(DaemonError::io(format!("cannot write {}", file.display())))?;
    tracing::info!(home = %home.root().display(), port, pid, "daemon listening");

    tokio::spawn(signals_watch(shutdown));
    tokio::spawn(worktrees_collect(engine.clone()));
    tokio::spawn(crate::notify::daemon_notify(engine.clone(), home.clone()));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stop| *stop).await;
        })
        .await;
    // Agents are stopped cleanly (their records say so) before the daemon goes.
    engine.agents_shutdown(AGENTS_STOP_WAIT).await;
    // Users' shells end with the daemon too: hung up, then terminated, then killed.
    engine.terminals_shutdown().await;
    engine.close();
    daemon_file_remove_if_ours(&file, pid);
    tracing::info!("daemon stopped");
    served.map_err(DaemonError::io("the HTTP server failed"))
}

/// How often finished agents' worktrees past their retention are collected.
const GC_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Collects worktrees on the retention policy, a minute after the start and then hourly, so a
/// long-running daemon does not fill the disk. What it keeps (uncommitted work, unmerged
/// branches) it keeps; the log says what it removed.
async fn worktrees_collect(engine: Arc<Engine>) {
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    let mut every = tokio::time::interval(GC_EVERY);
    loop {
        every.tick().await;
        let engine = engine.clone();
        match tokio::task::spawn_blocking(move || engine.worktrees_gc(false)).await {
            Ok(Ok(report)) if !report.removed.is_empty() || !report.branches_deleted.is_empty() => {
                tracing::info!(
                    removed = report.removed.len(),
                    kept = report.kept.len(),
                    branches_deleted = report.branches_deleted.len(),
                    freed_bytes = report.disk_bytes_before.saturating_sub(report.disk_bytes_after),
                    "collected finished agents' worktrees"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("cannot collect worktrees: {e}"),
            Err(e) => tracing::warn!("the worktree collection task failed: {e}"),
        }
    }
}

/// SIGINT and SIGTERM stop the daemon; SIGHUP (the terminal that started it closed) does not.
async fn signals_watch(shutdown: watch::Sender<bool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) =
        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()), signal(SignalKind::hangup()))
    else {
        tracing::warn!("cannot install signal handlers; stop the daemon with `baton daemon stop`");
        return;
    };
    loop {
        tokio::select! {
            _ = int.recv() => break,
            _ = term.recv() => break,
            _ = hup.recv() => continue,
        }
    }
    tracing::info!("stop signal received");
    let _ = shutdown.send(true);
}
