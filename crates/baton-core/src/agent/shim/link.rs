//! The daemon's side of a shim: starts one (and waits for its word that the agent runs), or
//! reattaches to one a previous daemon started; then supervises the agent through it. New
//! lines are not read from the agent here: the shim says the log grew, and the recorder
//! decodes the log from where it stopped (`AgentRuntime::catch_up`), so lines written while no
//! daemon listened are decoded by the next one, once each.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{Mutex, mpsc, watch};

use super::{
    FRAME_IN, FRAME_JSON, FRAME_OUT, ShimExit, ShimMsg, ShimOrder, ShimReady, ShimSpec, exit_path, exit_read, frame,
    frame_json, frame_read, socket_path,
};
use crate::agent::log::Note;
use crate::agent::protocol::FollowUp;
use crate::agent::supervisor::{
    AgentRecorder, AgentRuntime, Control, ProcessEnd, ProcessPlan, Record, RunningProcess, SHUTDOWN_NOTICE,
    group_signal, process_end, process_started,
};
use crate::engine::EngineState;
use crate::terminal::{Pty, PtyExit, PtySpec, RemoteFeed, RemoteOp, TerminalKind};

/// What the lane says when the shim went away without the agent's exit.
const SHIM_LOST: &str =
    "the agent's shim ended unexpectedly, so its process could no longer be followed; it was stopped";

/// Starts the plan's process under a shim (`shim` is the `baton` program). Call it from a
/// blocking thread: it returns once the agent runs, or with the reason it could not start.
pub(crate) fn process_start(
    inner: &Arc<EngineState>,
    handle: &tokio::runtime::Handle,
    runtime: Arc<Mutex<AgentRuntime>>,
    plan: ProcessPlan,
    shim: &Path,
) -> std::io::Result<RunningProcess> {
    let _enter = handle.enter();
    let (agent_id, log) = {
        let rt = runtime.blocking_lock();
        (rt.agent_id.clone(), rt.log_path().to_owned())
    };
    let dir = super::agent_dir(&inner.home, &agent_id);
    std::fs::create_dir_all(&dir)?;
    let spec = ShimSpec {
        program: plan.program.clone(),
        args: plan.args.clone(),
        env: plan.env.clone(),
        cwd: plan.cwd.clone(),
        terminal: plan.terminal.then_some((crate::agent::terminal::COLS, crate::agent::terminal::ROWS)),
        stdin_lines: plan.stdin_lines.clone(),
        stdin_open: plan.stdin_open,
        log,
        notes: plan.first_notes.clone(),
    };
    let stderr = std::fs::File::options()
        .create(true)
        .append(true)
        .open(dir.join("shim.log"))
        .map(std::process::Stdio::from)
        .unwrap_or_else(|_| std::process::Stdio::null());
    let mut child = tokio::process::Command::new(shim)
        .arg("shim")
        .arg("--dir")
        .arg(&dir)
        // Nothing of the daemon's environment: the agent's own is in the spec.
        .env_clear()
        .env("BATON_HOME", inner.home.root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(false)
        .spawn()
        .map_err(|e| std::io::Error::other(format!("cannot start the shim {}: {e}", shim.display())))?;
    let ready = ready_read(&mut child, &spec);
    // Reaped while this daemon lives; after it, by whoever adopts the shim.
    handle.spawn(async move {
        let _ = child.wait().await;
    });
    let pid = match ready? {
        ShimReady::Started { pid } => pid,
        ShimReady::Failed { message } => return Err(std::io::Error::other(message)),
    };
    let stream = std::os::unix::net::UnixStream::connect(socket_path(&dir))?;
    stream.set_nonblocking(true)?;
    let stream = UnixStream::from_std(stream)?;
    let screen = plan.terminal.then(|| PtySpec {
        program: plan.program.clone(),
        args: plan.args.clone(),
        cwd: plan.cwd.clone(),
        // The environment stays with the shim (it holds the agent's token).
        env: Vec::new(),
        env_clear: true,
        cols: crate::agent::terminal::COLS,
        rows: crate::agent::terminal::ROWS,
    });
    process_started(inner, &runtime, &plan, pid, true);
    Ok(supervise_start(inner, handle, (runtime, &agent_id), stream, plan.follow_up, pid, dir, screen))
}

/// Hands the spec to the shim and reads its one line back.
fn ready_read(child: &mut tokio::process::Child, spec: &ShimSpec) -> std::io::Result<ShimReady> {
    let stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("the shim has no stdin"))?;
    let mut stdin = std::fs::File::from(stdin.into_owned_fd()?);
    stdin.write_all(&serde_json::to_vec(spec).map_err(std::io::Error::other)?)?;
    drop(stdin);
    let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("the shim has no stdout"))?;
    let mut line = String::new();
    BufReader::new(std::fs::File::from(stdout.into_owned_fd()?)).read_line(&mut line)?;
    serde_json::from_str(line.trim()).map_err(|_| {
        std::io::Error::other("the shim ended before it started the agent (see shim.log in the agent's folder)")
    })
}

/// Reattaches to the shim a previous daemon started for `agent_id`, if it still answers.
pub(crate) fn reattach(
    inner: &Arc<EngineState>,
    handle: &tokio::runtime::Handle,
    runtime: Arc<Mutex<AgentRuntime>>,
    agent: &crate::agent::record::Agent,
    pid: u32,
) -> Option<RunningProcess> {
    let agent_id = agent.id.as_str();
    let follow_up = agent.cli.protocol().follow_up();
    let screen = (agent.cli == crate::agent::protocol::CliKind::Command).then(|| PtySpec {
        program: agent.command.first().map(PathBuf::from).unwrap_or_default(),
        args: agent.command.iter().skip(1).cloned().collect(),
        cwd: PathBuf::from(&agent.cwd),
        env: Vec::new(),
        env_clear: true,
        cols: crate::agent::terminal::COLS,
        rows: crate::agent::terminal::ROWS,
    });
    let _enter = handle.enter();
    let dir = super::agent_dir(&inner.home, agent_id);
    let stream = std::os::unix::net::UnixStream::connect(socket_path(&dir)).ok()?;
    stream.set_nonblocking(true).ok()?;
    let stream = UnixStream::from_std(stream).ok()?;
    // Lines written while no daemon listened.
    queue_catch_up(inner, &runtime);
    Some(supervise_start(inner, handle, (runtime, agent_id), stream, follow_up, pid, dir, screen))
}

/// The exit a shim left in its file (it ended while no daemon listened).
pub(crate) fn exit_left(home: &crate::BatonHome, agent_id: &str) -> Option<ShimExit> {
    exit_read(&super::agent_dir(home, agent_id))
}

pub(crate) fn exit_forget(home: &crate::BatonHome, agent_id: &str) {
    let _ = std::fs::remove_file(exit_path(&super::agent_dir(home, agent_id)));
}

fn queue_catch_up(inner: &Arc<EngineState>, runtime: &Arc<Mutex<AgentRuntime>>) {
    let recorder = AgentRecorder { inner: inner.clone(), runtime: runtime.clone() };
    recorder.send_now(Record::CatchUp);
}

/// Starts the supervision; a `command` agent's terminal (`screen`) is kept by the engine's
/// terminals, fed from the shim, so viewers see it and type into it as into one of the daemon's.
#[allow(clippy::too_many_arguments)]
fn supervise_start(
    inner: &Arc<EngineState>,
    handle: &tokio::runtime::Handle,
    (runtime, agent_id): (Arc<Mutex<AgentRuntime>>, &str),
    stream: UnixStream,
    follow_up: FollowUp,
    pid: u32,
    dir: PathBuf,
    screen: Option<PtySpec>,
) -> RunningProcess {
    let (control, control_rx) = mpsc::unbounded_channel();
    let (done_tx, done) = watch::channel(false);
    let screen = screen.map(|spec| {
        let to = control.clone();
        let remote = Box::new(move |op: RemoteOp| {
            let sent = match op {
                RemoteOp::Input(bytes) => to.send(Control::Input(bytes)),
                RemoteOp::Resize(cols, rows) => to.send(Control::Resize(cols, rows)),
            };
            sent.map_err(|_| std::io::Error::other("the agent's program has ended"))
        });
        let (pty, feed) = Pty::remote(pid, spec.cols, spec.rows, remote);
        let terminal = inner.terminals.insert(TerminalKind::Agent, agent_id, spec, pty);
        (terminal.id.clone(), feed)
    });
    handle.spawn(supervise(inner.clone(), runtime, stream, (follow_up, pid, dir), screen, control_rx, done_tx));
    RunningProcess { control, done }
}

async fn supervise(
    inner: Arc<EngineState>,
    runtime: Arc<Mutex<AgentRuntime>>,
    stream: UnixStream,
    (follow_up, pid, dir): (FollowUp, u32, PathBuf),
    screen: Option<(String, RemoteFeed)>,
    mut control: mpsc::UnboundedReceiver<Control>,
    done: watch::Sender<bool>,
) {
    let queued = runtime.lock().await.catch_up_queued.clone();
    let recorder = AgentRecorder { inner: inner.clone(), runtime: runtime.clone() };
    let (mut reader, mut writer) = stream.into_split();
    let mut control_open = true;
    let mut stop_requested = false;
    let mut release_requested = false;
    let exit: Option<ShimExit> = loop {
        tokio::select! {
            received = frame_read(&mut reader) => match received {
                Ok((FRAME_JSON, payload)) => match serde_json::from_slice::<ShimMsg>(&payload) {
                    Ok(ShimMsg::Lines) => if !queued.swap(true, Ordering::SeqCst) {
                        recorder.send(Record::CatchUp).await;
                    },
                    Ok(ShimMsg::Exit { exit }) => break Some(exit),
                    Ok(ShimMsg::Hello { .. }) | Err(_) => {}
                },
                Ok((FRAME_OUT, chunk)) => if let Some((_, feed)) = &screen {
                    feed.output(&chunk);
                },
                Ok(_) => {}
                // The shim is gone without a word: its exit file may still say how it ended.
                Err(_) => break exit_read(&dir),
            },
            message = control.recv(), if control_open => match message {
                Some(Control::Stdin { notes, line }) => {
                    // In the log before the agent can answer it.
                    for note in notes {
                        recorder.send(Record::Note(note)).await;
                    }
                    recorder.flush().await;
                    order(&mut writer, &ShimOrder::Stdin { line }).await;
                }
                Some(Control::CloseStdin) => order(&mut writer, &ShimOrder::CloseStdin).await,
                Some(Control::Input(bytes)) => {
                    let _ = writer.write_all(&frame(FRAME_IN, &bytes)).await;
                }
                Some(Control::Resize(cols, rows)) => order(&mut writer, &ShimOrder::Resize { cols, rows }).await,
                Some(stop @ (Control::Stop | Control::Shutdown | Control::Release)) => {
                    let release = matches!(stop, Control::Release);
                    if release { release_requested = true } else { stop_requested = true }
                    if matches!(stop, Control::Shutdown) {
                        recorder.send(Record::Note(Note::Notice { message: SHUTDOWN_NOTICE.into() })).await;
                    }
                    order(&mut writer, &ShimOrder::Stop { release }).await;
                }
                None => control_open = false,
            },
        }
    };
    // Everything the process printed is decoded before its end is recorded.
    recorder.send(Record::CatchUp).await;
    let lost = exit.is_none();
    if lost {
        recorder.send(Record::Note(Note::Error { message: SHIM_LOST.into() })).await;
        group_signal(Some(pid), rustix::process::Signal::KILL);
    }
    recorder.finish().await;
    let exit = exit.unwrap_or(ShimExit { code: None, signal: None, stopped: false, released: false });
    if let Some((id, feed)) = &screen {
        // Its output lives on in the log; viewers still joined get the exit.
        feed.end(PtyExit { code: exit.code, signal: exit.signal });
        inner.terminals.remove(id);
    }
    let ending = ProcessEnd {
        code: exit.code,
        signal: exit.signal,
        follow_up,
        stop_requested: stop_requested || exit.stopped,
        release_requested: release_requested || exit.released,
    };
    process_end(inner, runtime, ending).await;
    order(&mut writer, &ShimOrder::Done).await;
    let _ = std::fs::remove_file(exit_path(&dir));
    let _ = done.send(true);
}

async fn order(writer: &mut OwnedWriteHalf, order: &ShimOrder) {
    // A shim that is gone has its end read by the loop; nothing to do here.
    let _ = writer.write_all(&frame_json(order)).await;
}
