//! The shim process itself (`baton shim --dir DIR`, the spec on its stdin): starts the agent,
//! appends its output to the log, keeps its exit, and serves one daemon at a time over the
//! socket. Small on purpose: one thread (a current-thread runtime) and, for a terminal, the
//! two threads of its PTY.
//!
//! Output is never left unread: a log that refuses a write (a full disk) loses those lines,
//! counted, and a marker says how many once writing works again (`LogWriter`); the agent never
//! blocks on its pipe. The exit file is retried until it is written; the daemon also hears of
//! the exit on the socket, which needs no disk.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rustix::process::Signal;
use tokio::io::AsyncWriteExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{
    FRAME_IN, FRAME_JSON, FRAME_OUT, ShimExit, ShimMsg, ShimOrder, ShimReady, ShimSpec, exit_path, exit_write, frame,
    frame_json, frame_read, socket_check, socket_path,
};
use crate::agent::log::{LogEntry, LogWriter, Note, Stream};
use crate::agent::supervisor::{DRAIN_GRACE, LineReader, STOP_GRACE, group_signal, stdin_writer};
use crate::agent::terminal::LineCutter;
use crate::terminal::{Pty, PtySpec};

/// Batches of output lines that may wait for the log before the readers wait.
const LINES_QUEUE: usize = 64;
/// How long a shim whose agent ended waits for the daemon that started it to connect.
const FIRST_CLIENT_WAIT: Duration = Duration::from_secs(10);
/// How often a refused exit file is tried again.
const EXIT_RETRY: Duration = Duration::from_millis(500);

/// Runs the shim for the agent folder `dir`; returns its exit code.
pub fn shim_main(dir: &Path) -> i32 {
    // Its own session: the daemon's death, or its terminal's, leaves it be.
    let _ = rustix::process::setsid();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return ready_say(&ShimReady::Failed { message: format!("cannot start the shim's runtime: {e}") }),
    };
    runtime.block_on(run(dir))
}

fn ready_say(ready: &ShimReady) -> i32 {
    let mut out = std::io::stdout().lock();
    let line = serde_json::to_string(ready).unwrap_or_default();
    // The daemon may be gone already; nothing to do about it.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    i32::from(matches!(ready, ShimReady::Failed { .. }))
}

async fn run(dir: &Path) -> i32 {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        return ready_say(&ShimReady::Failed { message: format!("cannot read the shim's spec: {e}") });
    }
    let spec: ShimSpec = match serde_json::from_slice(&input) {
        Ok(s) => s,
        Err(e) => return ready_say(&ShimReady::Failed { message: format!("the shim's spec is not valid: {e}") }),
    };
    let shim = match Shim::start(dir, spec) {
        Ok(shim) => shim,
        Err(message) => return ready_say(&ShimReady::Failed { message }),
    };
    // For whoever looks into the agent's folder (and the fault tests): which process is its shim.
    let _ = std::fs::write(dir.join("shim.pid"), std::process::id().to_string());
    ready_say(&ShimReady::Started { pid: shim.pid });
    shim.serve().await;
    0
}

/// What the shim holds of the agent's process.
enum Agent {
    Pipes { stdin: Option<mpsc::UnboundedSender<Vec<u8>>> },
    Terminal { pty: Arc<Pty> },
}

struct Shim {
    dir: PathBuf,
    pid: u32,
    agent: Agent,
    log: LogWriter,
    listener: UnixListener,
    lines: mpsc::Receiver<(Stream, Vec<String>)>,
    exit: oneshot::Receiver<(Option<i64>, Option<i64>)>,
}

/// One daemon connected: frames for it, and its orders back (tagged with its number).
struct Client {
    n: u64,
    frames: mpsc::UnboundedSender<Vec<u8>>,
}

enum FromClient {
    Order(ShimOrder),
    Input(Vec<u8>),
    Gone(u64),
}

impl Shim {
    fn start(dir: &Path, spec: ShimSpec) -> Result<Self, String> {
        let mut log = LogWriter::open(&spec.log)
            .map_err(|e| format!("cannot open the agent's log {}: {e}", spec.log.display()))?;
        let socket = socket_path(dir);
        socket_check(&socket).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(&socket);
        let _ = std::fs::remove_file(exit_path(dir));
        let listener =
            UnixListener::bind(&socket).map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
        let (lines_tx, lines) = mpsc::channel(LINES_QUEUE);
        let (exit_tx, exit) = oneshot::channel();
        let program = spec.program.to_string_lossy().into_owned();
        let (pid, agent) = match spec.terminal {
            Some((cols, rows)) => terminal_start(&spec, cols, rows, lines_tx, exit_tx)?,
            None => pipes_start(&spec, lines_tx, exit_tx)?,
        };
        let mut notes = vec![Note::ProcessStarted { pid, program, args: spec.args.clone() }];
        notes.extend(spec.notes.iter().cloned());
        let entries: Vec<LogEntry> = notes
            .iter()
            .map(|n| LogEntry {
                ts: crate::time::now_ms(),
                stream: Stream::Baton,
                line: serde_json::to_string(n).unwrap_or_default(),
            })
            .collect();
        if let Err(e) = log.append_all(&entries) {
            let _ = std::fs::remove_file(&socket);
            group_signal(Some(pid), Signal::KILL);
            return Err(format!("cannot write the agent's log {}: {e}", spec.log.display()));
        }
        let shim = Self { dir: dir.to_owned(), pid, agent, log, listener, lines, exit };
        for line in &spec.stdin_lines {
            shim.send_line(line);
        }
        Ok(if spec.stdin_open || spec.terminal.is_some() { shim } else { shim.stdin_closed() })
    }

    fn stdin_closed(mut self) -> Self {
        if let Agent::Pipes { stdin } = &mut self.agent {
            *stdin = None;
        }
        self
    }

    fn send_line(&self, line: &str) {
        match &self.agent {
            Agent::Pipes { stdin: Some(writer) } => {
                let mut bytes = line.as_bytes().to_vec();
                bytes.push(b'\n');
                let _ = writer.send(bytes);
            }
            Agent::Pipes { stdin: None } => {}
            Agent::Terminal { pty } => {
                let mut bytes = line.as_bytes().to_vec();
                bytes.push(b'\r');
                type_into(pty, bytes);
            }
        }
    }

    fn signal(&self, signal: Signal) {
        match &self.agent {
            Agent::Pipes { .. } => group_signal(Some(self.pid), signal),
            Agent::Terminal { pty } => pty.session_signal(signal),
        }
    }

    fn hello(&self) -> Vec<u8> {
        let terminal = match &self.agent {
            Agent::Terminal { pty } => Some(pty.size()),
            Agent::Pipes { .. } => None,
        };
        frame_json(&ShimMsg::Hello { pid: self.pid, terminal })
    }

    fn append(&mut self, stream: Stream, lines: Vec<String>) -> bool {
        let ts = crate::time::now_ms();
        let entries: Vec<LogEntry> = lines.into_iter().map(|line| LogEntry { ts, stream, line }).collect();
        self.log.append_all(&entries).is_ok()
    }

    async fn serve(mut self) {
        let (from_tx, mut from) = mpsc::unbounded_channel::<FromClient>();
        let mut client: Option<Client> = None;
        let mut clients = 0u64;
        let mut exit: Option<(Option<i64>, Option<i64>)> = None;
        let mut output_done = false;
        let mut stopped = false;
        let mut released = false;
        let mut stop_stage = 0u8;
        let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
        let mut stop_at = far;
        let mut drain_until = far;
        let mut exit_rx = std::mem::replace(&mut self.exit, oneshot::channel().1);
        loop {
            if exit.is_some() && output_done {
                break;
            }
            tokio::select! {
                batch = self.lines.recv(), if !output_done => match batch {
                    Some((stream, lines)) => {
                        if self.append(stream, lines) && let Some(c) = &client {
                            let _ = c.frames.send(frame_json(&ShimMsg::Lines));
                        }
                    }
                    None => output_done = true,
                },
                accepted = self.listener.accept() => if let Ok((stream, _)) = accepted {
                    clients += 1;
                    client = Some(self.client_start(stream, clients, from_tx.clone()));
                },
                message = from.recv() => match message {
                    Some(FromClient::Order(order)) => match order {
                        ShimOrder::Stdin { line } => self.send_line(&line),
                        ShimOrder::CloseStdin => match &mut self.agent {
                            Agent::Pipes { stdin } => *stdin = None,
                            Agent::Terminal { pty } => type_into(pty, b"\x04".to_vec()),
                        },
                        ShimOrder::Stop { release } => {
                            if release { released = true } else { stopped = true }
                            if exit.is_none() && stop_stage == 0 {
                                stop_stage = 1;
                                self.signal(Signal::INT);
                                // A paused group acts on its signals only once it runs again.
                                self.signal(Signal::CONT);
                                stop_at = Instant::now() + STOP_GRACE;
                            }
                        }
                        ShimOrder::Resize { cols, rows } => if let Agent::Terminal { pty } = &self.agent {
                            let _ = pty.resize(cols, rows);
                        },
                        ShimOrder::Done => {}
                    },
                    Some(FromClient::Input(bytes)) => if let Agent::Terminal { pty } = &self.agent {
                        type_into(pty, bytes);
                    },
                    Some(FromClient::Gone(n)) if client.as_ref().is_some_and(|c| c.n == n) => client = None,
                    Some(FromClient::Gone(_)) | None => {}
                },
                status = &mut exit_rx, if exit.is_none() => {
                    exit = Some(status.unwrap_or((None, None)));
                    // Something the agent left running may hold its output open.
                    drain_until = Instant::now() + DRAIN_GRACE;
                },
                () = tokio::time::sleep_until(stop_at), if stop_stage > 0 && exit.is_none() => {
                    let signal = if stop_stage == 1 { Signal::TERM } else { Signal::KILL };
                    stop_stage += 1;
                    self.signal(signal);
                    stop_at = Instant::now() + STOP_GRACE;
                },
                () = tokio::time::sleep_until(drain_until), if exit.is_some() => break,
            }
        }
        if stopped || released {
            // Whatever the agent left running in its group goes with it.
            self.signal(Signal::KILL);
        }
        let (code, signal) = exit.unwrap_or((None, None));
        let ended = ShimExit { code, signal, stopped: stopped && !released, released };
        self.linger(ended, client, clients, from_tx, from).await;
        let _ = std::fs::remove_file(socket_path(&self.dir));
    }

    /// After the exit: keeps it in the exit file (retried until written) and tells the daemon;
    /// goes once a daemon has recorded it, or once it is on disk and no daemon listens.
    async fn linger(
        &mut self,
        ended: ShimExit,
        mut client: Option<Client>,
        mut clients: u64,
        from_tx: mpsc::UnboundedSender<FromClient>,
        mut from: mpsc::UnboundedReceiver<FromClient>,
    ) {
        let exit_frame = frame_json(&ShimMsg::Exit { exit: ended });
        if let Some(c) = &client {
            let _ = c.frames.send(exit_frame.clone());
        }
        let mut written = exit_write(&self.dir, &ended).is_ok();
        let mut retry = tokio::time::interval(EXIT_RETRY);
        // An agent that ended at once may end before the daemon that started it connected:
        // that daemon is waited for (it hears the exit from the shim, not from a file).
        let first_wait = tokio::time::Instant::now() + FIRST_CLIENT_WAIT;
        loop {
            if written && client.is_none() && (clients > 0 || tokio::time::Instant::now() >= first_wait) {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep_until(first_wait), if clients == 0 => {},
                accepted = self.listener.accept() => if let Ok((stream, _)) = accepted {
                    clients += 1;
                    let c = self.client_start(stream, clients, from_tx.clone());
                    let _ = c.frames.send(exit_frame.clone());
                    client = Some(c);
                },
                message = from.recv() => match message {
                    Some(FromClient::Order(ShimOrder::Done)) => {
                        let _ = std::fs::remove_file(exit_path(&self.dir));
                        return;
                    }
                    Some(FromClient::Gone(n)) if client.as_ref().is_some_and(|c| c.n == n) => client = None,
                    _ => {}
                },
                _ = retry.tick(), if !written => written = exit_write(&self.dir, &ended).is_ok(),
            }
        }
    }

    fn client_start(&self, stream: UnixStream, n: u64, from: mpsc::UnboundedSender<FromClient>) -> Client {
        let (frames_tx, frames) = mpsc::unbounded_channel();
        let _ = frames_tx.send(self.hello());
        let attached = match &self.agent {
            Agent::Terminal { pty } => Some(pty.attach()),
            Agent::Pipes { .. } => None,
        };
        tokio::spawn(client_serve(stream, n, frames, attached, from));
        Client { n, frames: frames_tx }
    }
}

/// Serves one connected daemon: writes the frames queued for it (and a terminal's screen,
/// then its live output), reads its orders.
async fn client_serve(
    stream: UnixStream,
    n: u64,
    mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
    attached: Option<crate::terminal::Attached>,
    from: mpsc::UnboundedSender<FromClient>,
) {
    let (mut reader, mut writer) = stream.into_split();
    let mut live = None;
    let mut hello_sent = false;
    let mut screen = None;
    if let Some(a) = attached {
        screen = Some(a.scrollback);
        live = a.live;
    }
    let read = async {
        loop {
            let Ok((kind, payload)) = frame_read(&mut reader).await else { return };
            let message = match kind {
                FRAME_JSON => match serde_json::from_slice::<ShimOrder>(&payload) {
                    Ok(order) => FromClient::Order(order),
                    Err(_) => continue,
                },
                FRAME_IN => FromClient::Input(payload),
                _ => continue,
            };
            if from.send(message).is_err() {
                return;
            }
        }
    };
    let write = async {
        loop {
            let bytes = tokio::select! {
                bytes = frames.recv() => match bytes {
                    Some(b) => b,
                    None => return,
                },
                chunk = live_next(&mut live), if live.is_some() && hello_sent => match chunk {
                    Some(c) => frame(FRAME_OUT, &c),
                    None => { live = None; continue }
                },
            };
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
            if !hello_sent {
                // The screen so far right after the hello, then what follows it.
                hello_sent = true;
                if let Some(screen) = screen.take()
                    && writer.write_all(&frame(FRAME_OUT, &screen)).await.is_err()
                {
                    return;
                }
            }
        }
    };
    tokio::select! {
        () = read => {},
        () = write => {},
    }
    let _ = from.send(FromClient::Gone(n));
}

async fn live_next(live: &mut Option<tokio::sync::broadcast::Receiver<Arc<[u8]>>>) -> Option<Arc<[u8]>> {
    let rx = live.as_mut()?;
    loop {
        match rx.recv().await {
            Ok(chunk) => return Some(chunk),
            // A daemon that fell this far behind redraws from what comes next.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        }
    }
}

/// Types into the terminal off the runtime: a program that does not read must not stop the
/// shim from reading its output.
fn type_into(pty: &Arc<Pty>, bytes: Vec<u8>) {
    let pty = pty.clone();
    tokio::task::spawn_blocking(move || {
        let _ = pty.write(&bytes);
    });
}

fn pipes_start(
    spec: &ShimSpec,
    lines: mpsc::Sender<(Stream, Vec<String>)>,
    exit: oneshot::Sender<(Option<i64>, Option<i64>)>,
) -> Result<(u32, Agent), String> {
    let mut command = tokio::process::Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let mut child = command.spawn().map_err(|e| e.to_string())?;
    let pid = child.id().unwrap_or(0);
    let stdin = stdin_writer(child.stdin.take());
    let out = child.stdout.take();
    let err = child.stderr.take();
    let to = lines.clone();
    tokio::spawn(async move {
        let mut reader = LineReader::new(out);
        while let Some(line) = reader.next().await {
            if to.send((Stream::Stdout, reader.with_buffered(line))).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        let mut reader = LineReader::new(err);
        while let Some(line) = reader.next().await {
            if lines.send((Stream::Stderr, reader.with_buffered(line))).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        use std::os::unix::process::ExitStatusExt;
        let status = child.wait().await.ok();
        let _ =
            exit.send((status.and_then(|s| s.code()).map(i64::from), status.and_then(|s| s.signal()).map(i64::from)));
    });
    Ok((pid, Agent::Pipes { stdin }))
}

fn terminal_start(
    spec: &ShimSpec,
    cols: u16,
    rows: u16,
    lines: mpsc::Sender<(Stream, Vec<String>)>,
    exit: oneshot::Sender<(Option<i64>, Option<i64>)>,
) -> Result<(u32, Agent), String> {
    let (tap, mut output) = mpsc::channel::<Vec<u8>>(256);
    let pty_spec = PtySpec {
        program: spec.program.clone(),
        args: spec.args.clone(),
        cwd: spec.cwd.clone(),
        env: spec.env.clone(),
        env_clear: true,
        cols,
        rows,
    };
    let pty = Arc::new(Pty::spawn(&pty_spec, Some(tap)).map_err(|e| e.to_string())?);
    let pid = pty.pid().unwrap_or(0);
    tokio::spawn(async move {
        let mut cutter = LineCutter::default();
        while let Some(chunk) = output.recv().await {
            let complete = cutter.push(&chunk);
            if !complete.is_empty() && lines.send((Stream::Stdout, complete)).await.is_err() {
                return;
            }
        }
        // A last line without its newline is still output.
        if let Some(rest) = cutter.finish() {
            let _ = lines.send((Stream::Stdout, vec![rest])).await;
        }
    });
    let mut watch = pty.exit_watch();
    tokio::spawn(async move {
        let _ = watch.wait_for(Option::is_some).await;
        let ended = *watch.borrow();
        let ended = ended.map_or((None, None), |e| (e.code, e.signal));
        let _ = exit.send(ended);
    });
    Ok((pid, Agent::Terminal { pty }))
}
