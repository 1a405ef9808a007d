//! One program in a pseudo-terminal (portable-pty): started from an argv (never a shell string)
//! as the leader of its own session, so it has job control and its own process groups; its
//! output is kept in a bounded scrollback and fanned out to any number of viewers; input and
//! resize go to the terminal; stop hangs up the session, then terminates, then kills it.
//!
//! Two threads per terminal, since a PTY's master is a blocking file: one reads the output, one
//! waits for the exit. A viewer that attaches takes the scrollback and a live receiver under the
//! same lock the reader appends under, so it misses nothing and sees nothing twice.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::{broadcast, mpsc, watch};

/// What the terminal keeps for a viewer that attaches late: enough to redraw the screen and a
/// good stretch of history, bounded so a chatty program cannot grow the daemon.
pub const SCROLLBACK_MAX: usize = 1024 * 1024;
/// Chunks a viewer may fall behind before it must re-attach (it then gets the scrollback anew).
const VIEWER_QUEUE: usize = 1024;
/// How long each stop signal gets before the next, harder one.
pub const STOP_GRACE: Duration = Duration::from_secs(3);

/// What to start.
#[derive(Debug, Clone)]
pub struct PtySpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// Added to the daemon's environment (which the program inherits), or with `env_clear` the
    /// whole of it (an agent's program: `agent/environment.rs`).
    pub env: Vec<(String, String)>,
    pub env_clear: bool,
    pub cols: u16,
    pub rows: u16,
}

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtyExit {
    pub code: Option<i64>,
    pub signal: Option<i64>,
}

/// Output so far and the live feed, under one lock.
struct Output {
    scrollback: VecDeque<u8>,
    feed: broadcast::Sender<Arc<[u8]>>,
    /// The reader reached the end (every holder of the terminal closed it).
    closed: bool,
}

/// Where input and resizes go: the terminal's master here, or the shim that holds it.
enum End {
    Local { master: Mutex<Box<dyn MasterPty + Send>>, writer: Mutex<Box<dyn Write + Send>> },
    Remote(Box<dyn Fn(RemoteOp) -> std::io::Result<()> + Send + Sync>),
}

/// What a terminal held by an agent's shim is asked to do.
pub enum RemoteOp {
    Input(Vec<u8>),
    Resize(u16, u16),
}

/// Feeds a terminal held by an agent's shim with what the shim sends.
pub struct RemoteFeed {
    output: Arc<Mutex<Output>>,
    exit: watch::Sender<Option<PtyExit>>,
}

impl RemoteFeed {
    pub fn output(&self, chunk: &[u8]) {
        output_push(&self.output, chunk);
    }

    pub fn end(&self, exit: PtyExit) {
        output_close(&self.output);
        let _ = self.exit.send(Some(exit));
    }
}

pub struct Pty {
    pid: Option<u32>,
    end: End,
    output: Arc<Mutex<Output>>,
    exit: watch::Receiver<Option<PtyExit>>,
    size: Mutex<(u16, u16)>,
}

/// What a viewer gets on attaching: the screen so far, then every later chunk.
pub struct Attached {
    pub scrollback: Vec<u8>,
    /// `None` once the output has ended: the scrollback is all there is.
    pub live: Option<broadcast::Receiver<Arc<[u8]>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn size_check(cols: u16, rows: u16) -> std::io::Result<()> {
    if cols == 0 || rows == 0 || cols > 1000 || rows > 1000 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("a terminal of {cols}x{rows} is not possible; give 1 to 1000 columns and rows"),
        ));
    }
    Ok(())
}

impl Pty {
    /// Starts the program. `tap`, when given, receives every chunk of output in order (the
    /// reader waits when it is full, so whatever records the output is never outrun); it is
    /// closed when the output ends.
    pub fn spawn(spec: &PtySpec, tap: Option<mpsc::Sender<Vec<u8>>>) -> std::io::Result<Self> {
        size_check(spec.cols, spec.rows)?;
        let pair = native_pty_system()
            .openpty(PtySize { rows: spec.rows, cols: spec.cols, pixel_width: 0, pixel_height: 0 })
            .map_err(pty_error)?;
        let mut command = CommandBuilder::new(&spec.program);
        command.args(&spec.args);
        command.cwd(&spec.cwd);
        if spec.env_clear {
            command.env_clear();
        }
        command.env("TERM", "xterm-256color");
        command.env("COLORTERM", "truecolor");
        for (key, value) in &spec.env {
            command.env(key, value);
        }
        let mut child = pair.slave.spawn_command(command).map_err(pty_error)?;
        // Only the program holds the terminal's other end: its output ends when it (and whatever
        // it left running on the terminal) is gone.
        drop(pair.slave);
        let pid = child.process_id();
        let reader = pair.master.try_clone_reader().map_err(pty_error)?;
        let writer = pair.master.take_writer().map_err(pty_error)?;
        let (feed, _) = broadcast::channel(VIEWER_QUEUE);
        let output = Arc::new(Mutex::new(Output { scrollback: VecDeque::new(), feed, closed: false }));
        let (exit_tx, exit) = watch::channel(None);

        let read_into = output.clone();
        std::thread::Builder::new()
            .name("baton-pty-read".into())
            .spawn(move || output_read(reader, &read_into, tap))?;
        std::thread::Builder::new().name("baton-pty-wait".into()).spawn(move || {
            // portable-pty's unix child is a std child: its status keeps the signal's number.
            let plain: &mut dyn portable_pty::Child = &mut *child;
            let status = match plain.downcast_mut::<std::process::Child>() {
                Some(std_child) => std_child.wait().map(|s| {
                    use std::os::unix::process::ExitStatusExt;
                    PtyExit { code: s.code().map(i64::from), signal: s.signal().map(i64::from) }
                }),
                None => child.wait().map(|s| PtyExit {
                    code: if s.signal().is_none() { Some(i64::from(s.exit_code())) } else { None },
                    signal: None,
                }),
            };
            let exit = status.unwrap_or(PtyExit { code: None, signal: None });
            let _ = exit_tx.send(Some(exit));
        })?;
        Ok(Self {
            pid,
            end: End::Local { master: Mutex::new(pair.master), writer: Mutex::new(writer) },
            output,
            exit,
            size: Mutex::new((spec.cols, spec.rows)),
        })
    }

    /// A terminal whose program runs under an agent's shim (which holds the master and so
    /// outlives the daemon): its output comes from the shim through the feed; input and
    /// resizes go to it through `remote`.
    pub fn remote(
        pid: u32,
        cols: u16,
        rows: u16,
        remote: Box<dyn Fn(RemoteOp) -> std::io::Result<()> + Send + Sync>,
    ) -> (Self, RemoteFeed) {
        let (feed, _) = broadcast::channel(VIEWER_QUEUE);
        let output = Arc::new(Mutex::new(Output { scrollback: VecDeque::new(), feed, closed: false }));
        let (exit_tx, exit) = watch::channel(None);
        let pty = Self {
            pid: Some(pid),
            end: End::Remote(remote),
            output: output.clone(),
            exit,
            size: Mutex::new((cols, rows)),
        };
        (pty, RemoteFeed { output, exit: exit_tx })
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    pub fn size(&self) -> (u16, u16) {
        *lock(&self.size)
    }

    pub fn exit(&self) -> Option<PtyExit> {
        *self.exit.borrow()
    }

    /// A receiver that sees the exit (already set when the program has ended).
    pub fn exit_watch(&self) -> watch::Receiver<Option<PtyExit>> {
        self.exit.clone()
    }

    /// Types into the terminal, as a keyboard would.
    pub fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        match &self.end {
            End::Local { writer, .. } => {
                let mut writer = lock(writer);
                writer.write_all(bytes)?;
                writer.flush()
            }
            End::Remote(remote) => remote(RemoteOp::Input(bytes.to_vec())),
        }
    }

    /// Changes the terminal's size; the program gets SIGWINCH.
    pub fn resize(&self, cols: u16, rows: u16) -> std::io::Result<()> {
        size_check(cols, rows)?;
        match &self.end {
            End::Local { master, .. } => {
                lock(master).resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).map_err(pty_error)?;
            }
            End::Remote(remote) => remote(RemoteOp::Resize(cols, rows))?,
        }
        *lock(&self.size) = (cols, rows);
        Ok(())
    }

    /// The scrollback and, while output goes on, a live feed of what follows it.
    pub fn attach(&self) -> Attached {
        let output = lock(&self.output);
        let scrollback = output.scrollback.iter().copied().collect();
        let live = (!output.closed).then(|| output.feed.subscribe());
        Attached { scrollback, live }
    }

    /// Ends the program and everything it started on the terminal: SIGHUP (the terminal went
    /// away: an interactive shell ignores SIGTERM but passes a hangup to its jobs), then SIGTERM,
    /// then SIGKILL to every process of its session, [`STOP_GRACE`] apart, and finally SIGKILL
    /// to whatever of the session is left.
    pub async fn stop(&self) {
        let mut exit = self.exit.clone();
        for signal in [rustix::process::Signal::HUP, rustix::process::Signal::TERM] {
            if exit.borrow().is_some() {
                break;
            }
            self.session_signal(signal);
            self.session_signal(rustix::process::Signal::CONT);
            let _ = tokio::time::timeout(STOP_GRACE, exit.wait_for(Option::is_some)).await;
        }
        self.session_signal(rustix::process::Signal::KILL);
        let _ = exit.wait_for(Option::is_some).await;
    }

    /// Signals every process in the program's session (its own group and any job groups a
    /// shell made), found through /proc since a session cannot be signalled as one.
    pub fn session_signal(&self, signal: rustix::process::Signal) {
        let Some(sid) = self.pid.and_then(|p| i32::try_from(p).ok()) else { return };
        for pid in session_members(sid) {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, signal);
            }
        }
    }
}

impl Drop for Pty {
    /// A terminal never outlives its handle (the daemon stopping, a test ending).
    fn drop(&mut self) {
        // A shim's terminal is the shim's to end: it outlives the daemon on purpose.
        if self.exit.borrow().is_none() && matches!(self.end, End::Local { .. }) {
            self.session_signal(rustix::process::Signal::KILL);
        }
    }
}

/// The processes whose session is `sid` (the leader included, while it lives).
fn session_members(sid: i32) -> Vec<i32> {
    let mut members = vec![sid];
    if let Ok(all) = procfs::process::all_processes() {
        for process in all.flatten() {
            if let Ok(stat) = process.stat()
                && stat.session == sid
                && stat.pid != sid
            {
                members.push(stat.pid);
            }
        }
    }
    members
}

fn output_read(mut reader: Box<dyn Read + Send>, output: &Mutex<Output>, mut tap: Option<mpsc::Sender<Vec<u8>>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Linux answers EIO once the last holder of the terminal's other end closed it.
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if let Some(to) = &tap
            && to.blocking_send(chunk.to_vec()).is_err()
        {
            // The recorder stopped listening (its process ended and the rest was drained).
            tap = None;
        }
        output_push(output, chunk);
    }
    output_close(output);
}

fn output_push(output: &Mutex<Output>, chunk: &[u8]) {
    let mut out = lock(output);
    out.scrollback.extend(chunk);
    let excess = out.scrollback.len().saturating_sub(SCROLLBACK_MAX);
    if excess > 0 {
        out.scrollback.drain(..excess);
    }
    let _ = out.feed.send(Arc::from(chunk));
}

fn output_close(output: &Mutex<Output>) {
    let mut out = lock(output);
    out.closed = true;
    // Replacing the sender ends every viewer's feed; new viewers get the scrollback alone.
    out.feed = broadcast::channel(1).0;
}

/// portable-pty reports errors as `anyhow::Error`; only their text is kept.
fn pty_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}
