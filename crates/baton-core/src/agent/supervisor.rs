//! One supervisor task per agent process. It owns the child (spawned without a shell, in its
//! own process group), reads stdout and stderr line by line (bounded), appends each line to the
//! agent's log BEFORE parsing it, turns it into events, applies them (state, cost, permission
//! requests), publishes them, and queues them for the index. It `select!`s over output, control
//! messages (a message for stdin, close stdin, stop) and the child's exit. Stop is SIGINT, then
//! SIGTERM, then SIGKILL to the whole group.
//!
//! The log appends and store writes block: the task hands them to the engine's recorder, one
//! writer thread for all agents (as the index has its own), so the async runtime never waits on a
//! disk or on the store's connection, and the runtime's lock is never held by an async task. One
//! shared thread rarely sleeps under load, where a thread per agent or a `spawn_blocking` per
//! burst woke a thread for every line (more than twice the daemon's CPU in the agent-load
//! benchmark). Each agent's lines are recorded in the order they were read, each appended to the
//! log before it is parsed; a full queue makes the supervisors wait, so a flood of output cannot
//! outrun the log.

use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{Mutex, mpsc, watch};
use tokio::time::Instant;

use super::event::AgentEvent;
use super::index::IndexRow;
use super::log::{EventDecoder, LINE_MAX, LogEntry, LogFollower, LogWriter, Note, Stream, line_bound};
use super::protocol::{CliKind, FollowUp};
use super::record::{self, AgentState, TokenUsage};
use crate::engine::EngineState;
use crate::events::EngineEvent;
use crate::time;

/// How long each stop signal gets before the next, harder one.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(3);
/// How long output may still arrive after the process exited (a grandchild may hold the pipe).
pub(crate) const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// What the lane says when the daemon's stop interrupts the agent's turn.
pub(crate) const SHUTDOWN_NOTICE: &str = "Stopped by Baton when the daemon stopped; after the next start, resume it (or send a message) to continue its session";

pub(crate) enum Control {
    /// A message, written to stdin as this line; `notes` say in the log what was sent (one per
    /// message delivered, with its sender).
    Stdin {
        notes: Vec<Note>,
        line: String,
    },
    /// Close stdin: a CLI reading its conversation from stdin then finishes and exits.
    CloseStdin,
    Stop,
    /// The daemon is stopping: stopped like `Stop`, and the lane says why first.
    Shutdown,
    /// End an idle process to free its memory: stopped like `Stop`, but the agent stays
    /// `waiting` (released), and a message resumes its session.
    Release,
    /// Bytes typed into a `command` agent's terminal (a shim's terminal; a terminal of the
    /// daemon's own is written directly).
    Input(Vec<u8>),
    /// A new size for a shim's terminal.
    Resize(u16, u16),
}

/// What lives across an agent's processes: its log (written and followed), its decoder and
/// its event counter.
pub(crate) struct AgentRuntime {
    pub agent_id: String,
    pub cli: CliKind,
    pub model: Option<String>,
    log: LogWriter,
    /// Reads the log from where this daemon has decoded it: the agent's shim appends its output
    /// there, the daemon its notes, and everything is decoded, applied and published from the
    /// file, in the file's order.
    follow: LogFollower,
    decoder: EventDecoder,
    seq: u64,
    /// A permission was denied during the current turn.
    turn_denied: bool,
    /// Turns ended since the recorder last looked: time for a checkpoint. Each holds one count
    /// of the agent's checkpoint in flight, released once the checkpoint is scheduled.
    turn_ends: u32,
    /// A turn ended with the agent waiting since the recorder last looked: messages kept for
    /// the turn's end go to it.
    turn_waits: bool,
    /// A catch-up is queued for the recorder (the shim's notices of new lines are folded).
    pub catch_up_queued: Arc<std::sync::atomic::AtomicBool>,
}

/// How much of the log one catch-up decodes before the next (other agents get their turn).
const CATCH_UP_BYTES: usize = 4 * 1024 * 1024;

impl AgentRuntime {
    /// `seq` continues from the events already in the log (after a daemon restart); the log is
    /// followed from its end.
    pub fn open(
        agent_id: &str,
        cli: CliKind,
        model: Option<String>,
        log_path: &std::path::Path,
        seq: u64,
    ) -> std::io::Result<Self> {
        let log = LogWriter::open(log_path)?;
        let end = std::fs::metadata(log_path)?.len();
        Ok(Self::with(agent_id, cli, model, log, LogFollower::at(log_path, end), EventDecoder::new(cli), seq))
    }

    /// The runtime of an agent whose log this daemon decodes from `offset` on (a shim that
    /// outlived the previous daemon wrote on meanwhile): what comes after is applied.
    pub fn open_at(
        agent_id: &str,
        cli: CliKind,
        model: Option<String>,
        log_path: &std::path::Path,
        offset: u64,
    ) -> std::io::Result<Self> {
        let log = LogWriter::open(log_path)?;
        let (decoder, seq) = super::log::log_prefix(cli, log_path, offset)?;
        let offset = offset.min(std::fs::metadata(log_path)?.len());
        Ok(Self::with(agent_id, cli, model, log, LogFollower::at(log_path, offset), decoder, seq))
    }

    fn with(
        agent_id: &str,
        cli: CliKind,
        model: Option<String>,
        log: LogWriter,
        follow: LogFollower,
        decoder: EventDecoder,
        seq: u64,
    ) -> Self {
        Self {
            agent_id: agent_id.to_owned(),
            cli,
            model,
            log,
            follow,
            decoder,
            seq,
            turn_denied: false,
            turn_ends: 0,
            turn_waits: false,
            catch_up_queued: Default::default(),
        }
    }

    /// Logs one entry, then decodes, applies and publishes what the log holds up to it.
    pub fn record(&mut self, inner: &EngineState, stream: Stream, line: String) -> bool {
        self.record_all(inner, stream, vec![line])
    }

    /// Logs lines that arrived together with one write, then decodes, applies and publishes
    /// their events in order. One write per read rather than per line keeps a chatty agent
    /// cheap; every line is in the log before it is parsed. False when the log refused them.
    pub fn record_all(&mut self, inner: &EngineState, stream: Stream, lines: Vec<String>) -> bool {
        let ts = time::now_ms();
        let entries: Vec<LogEntry> = lines.into_iter().map(|line| LogEntry { ts, stream, line }).collect();
        let written = match self.log.append_all(&entries) {
            Ok(_) => true,
            Err(e) => {
                // Counted, and said in the log by the next write that succeeds (disk full?).
                tracing::error!(agent = %self.agent_id, "cannot append to the agent's log: {e}");
                false
            }
        };
        self.catch_up(inner);
        written
    }

    /// Decodes, applies and publishes every record appended to the log since the last look.
    pub fn catch_up(&mut self, inner: &EngineState) {
        self.catch_up_queued.store(false, std::sync::atomic::Ordering::SeqCst);
        loop {
            let records = match self.follow.read_new(CATCH_UP_BYTES) {
                Ok(records) => records,
                Err(e) => {
                    tracing::error!(agent = %self.agent_id, "cannot read the agent's log: {e}");
                    return;
                }
            };
            if records.is_empty() {
                return;
            }
            for record in records {
                let (ts, from_agent, events) = match super::log::record_parse(&record.bytes) {
                    Ok(entry) => (entry.ts, entry.stream != Stream::Baton, self.decoder.decode(&entry)),
                    Err(damaged) => (time::now_ms(), false, vec![damaged]),
                };
                self.events_take(inner, (ts, from_agent), record.offset, record.len, events);
            }
        }
    }

    fn events_take(
        &mut self,
        inner: &EngineState,
        (ts, from_agent): (i64, bool),
        offset: u64,
        len: u64,
        events: Vec<AgentEvent>,
    ) {
        for event in events {
            self.seq += 1;
            self.apply(inner, &event);
            inner.health.event_apply(&self.agent_id, &event, ts, from_agent);
            if event.is_indexed() {
                inner.index.push(IndexRow {
                    agent_id: self.agent_id.clone(),
                    seq: self.seq,
                    ts,
                    kind: event.kind(),
                    log_offset: offset,
                    log_len: len,
                });
            }
            inner.events.publish(EngineEvent::AgentEvent {
                record: super::log::AgentEventRecord { agent_id: self.agent_id.clone(), seq: self.seq, ts, event },
            });
        }
    }

    pub fn log_path(&self) -> &std::path::Path {
        self.log.path()
    }

    /// Notes `note` in the log (and decodes it with everything before). False when the log
    /// refused it.
    pub fn note(&mut self, inner: &EngineState, note: &Note) -> bool {
        let line = serde_json::to_string(note).unwrap_or_default();
        let written = self.record(inner, Stream::Baton, line);
        // A turn our own note ends (a process that exited mid-turn) gets its checkpoint from the
        // process's end; nothing is left waiting for one.
        for _ in 0..std::mem::take(&mut self.turn_ends) {
            inner.checkpoints.end(&self.agent_id);
        }
        written
    }

    /// Notes `note`, its writer retrying it: a failure is not counted as a line lost.
    pub fn note_try(&mut self, inner: &EngineState, note: &Note) -> bool {
        let written = self.note(inner, note);
        if !written {
            self.log.retried(1);
        }
        written
    }

    /// What an event changes in the agent's record.
    fn apply(&mut self, inner: &EngineState, event: &AgentEvent) {
        // Most events (text, tool calls...) change nothing in the record: don't take the store.
        if !matches!(
            event,
            AgentEvent::SessionStarted { .. }
                | AgentEvent::PermissionDenied { .. }
                | AgentEvent::Usage { .. }
                | AgentEvent::TurnCompleted { .. }
        ) {
            return;
        }
        let conn = inner.store.conn();
        let id = self.agent_id.as_str();
        let result = match event {
            AgentEvent::SessionStarted { cli_session_id, model, .. } => {
                if self.model.is_none() {
                    self.model.clone_from(model);
                }
                record::agent_cli_session_set(&conn, id, cli_session_id, model.as_deref())
            }
            AgentEvent::PermissionDenied { tool, tool_use_id, input } => {
                crate::policy::permission_denied_in_turn(inner, &conn, id, tool, tool_use_id.as_deref(), input).map(
                    |asked| {
                        self.turn_denied |= asked;
                    },
                )
            }
            AgentEvent::Usage { input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd } => {
                let usage = TokenUsage {
                    input: *input_tokens,
                    output: *output_tokens,
                    cache_read: *cache_read_tokens,
                    cache_write: *cache_write_tokens,
                };
                let (cost, estimate) = match cost_usd {
                    Some(c) => (*c, false),
                    None => {
                        (crate::pricing::cost_estimate(self.cli, self.model.as_deref(), &usage).unwrap_or(0.0), true)
                    }
                };
                record::agent_usage_add(&conn, id, &usage, cost, estimate)
            }
            AgentEvent::TurnCompleted { .. } => {
                let state = if self.turn_denied { AgentState::NeedsInput } else { AgentState::Waiting };
                self.turn_denied = false;
                self.turn_ends += 1;
                self.turn_waits |= state == AgentState::Waiting;
                // Held from before the turn is recorded as over until its checkpoint is
                // scheduled: a message sent the moment the turn shows as over waits for it.
                inner.checkpoints.begin(id);
                record::agent_turn_count(&conn, id, time::now_ms()).and_then(|()| state_set(&conn, id, state))
            }
            _ => return,
        };
        drop(conn);
        if let Err(e) = result {
            tracing::error!(agent = %id, "cannot record {}: {e}", event.kind());
        }
        inner.agent_publish(id);
    }
}

fn state_set(conn: &rusqlite::Connection, id: &str, state: AgentState) -> crate::Result<()> {
    let pid = conn.query_row("SELECT pid FROM agents WHERE id = ?1", [id], |r| r.get::<_, Option<i64>>(0))?;
    record::agent_state_set(conn, id, state, pid.and_then(|p| u32::try_from(p).ok()), None)
}

/// The running process of an agent, as the engine sees it.
pub(crate) struct RunningProcess {
    pub control: mpsc::UnboundedSender<Control>,
    /// Becomes true when the process has ended and its final state is recorded.
    pub done: watch::Receiver<bool>,
}

/// Everything needed to start one process of an agent.
pub(crate) struct ProcessPlan {
    // `env` is the process's whole environment (the daemon's, scrubbed, and the launch's).
    pub program: std::path::PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: std::path::PathBuf,
    pub stdin_lines: Vec<String>,
    pub stdin_open: bool,
    pub follow_up: FollowUp,
    /// The messages this process is started with, noted in the log so the lane shows them.
    pub first_notes: Vec<Note>,
    /// Runs in a pseudo-terminal (a `command` agent: any program, shown as a terminal) rather
    /// than on pipes (the agent CLIs, whose output is a protocol).
    pub terminal: bool,
}

/// Starts the process (synchronously, so a failure to start is reported to the caller) and its
/// supervisor task. Call it from a blocking thread, not from async code.
pub(crate) fn process_start(
    inner: &Arc<EngineState>,
    handle: &tokio::runtime::Handle,
    runtime: Arc<Mutex<AgentRuntime>>,
    plan: ProcessPlan,
) -> std::io::Result<RunningProcess> {
    if let Some(shim) = inner.shim_program() {
        return super::shim::link::process_start(inner, handle, runtime, plan, &shim);
    }
    if plan.terminal {
        return super::terminal::process_start_pty(inner, handle, runtime, plan);
    }
    let _enter = handle.enter();
    let mut command = tokio::process::Command::new(&plan.program);
    command
        .args(&plan.args)
        .current_dir(&plan.cwd)
        // The plan's environment is the whole of it: nothing else of the daemon's leaks in.
        .env_clear()
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let child = command.spawn()?;
    let pid = child.id().unwrap_or(0);
    process_started(inner, &runtime, &plan, pid, false);
    let (control, control_rx) = mpsc::unbounded_channel();
    let (done_tx, done) = watch::channel(false);
    handle.spawn(supervise(inner.clone(), runtime, child, plan, control_rx, done_tx));
    Ok(RunningProcess { control, done })
}

/// Notes a process's start in the agent's log (with the message it starts with; `noted`: its
/// shim did) and records the agent as running it.
pub(super) fn process_started(
    inner: &Arc<EngineState>,
    runtime: &Arc<Mutex<AgentRuntime>>,
    plan: &ProcessPlan,
    pid: u32,
    noted: bool,
) {
    // Called on a blocking thread (engine methods are): the runtime may be busy for a moment
    // with a note from elsewhere (a checkpoint), so wait for it rather than fail the start.
    let agent_id = {
        let mut rt = runtime.blocking_lock();
        rt.turn_denied = false;
        if noted {
            rt.catch_up(inner);
        } else {
            let program = plan.program.to_string_lossy().into_owned();
            rt.note(inner, &Note::ProcessStarted { pid, program, args: plan.args.clone() });
            for note in &plan.first_notes {
                rt.note(inner, note);
            }
        }
        rt.agent_id.clone()
    };
    // Recorded and checked under the pause gate: while everything is paused ("pause all"),
    // a process that starts is paused at once, even one whose start crossed the pause.
    let gate = inner.health.pause_gate();
    let conn = inner.store.conn();
    let recorded = record::agent_state_set(&conn, &agent_id, AgentState::Running, Some(pid), None)
        .and_then(|()| record::agent_released_set(&conn, &agent_id, None));
    let paused = recorded.and_then(|()| {
        let pause = inner.health.paused_all();
        if pause {
            record::agent_paused_set(&conn, &agent_id, true)?;
        }
        Ok(pause)
    });
    drop(conn);
    match paused {
        Ok(true) => group_signal(Some(pid), rustix::process::Signal::STOP),
        Ok(false) => {}
        Err(e) => tracing::error!(agent = %agent_id, "cannot record the start: {e}"),
    }
    drop(gate);
    inner.agent_publish(&agent_id);
}

async fn supervise(
    inner: Arc<EngineState>,
    runtime: Arc<Mutex<AgentRuntime>>,
    mut child: Child,
    plan: ProcessPlan,
    mut control: mpsc::UnboundedReceiver<Control>,
    done: watch::Sender<bool>,
) {
    let pid = child.id();
    let mut stdin = stdin_writer(child.stdin.take());
    for line in &plan.stdin_lines {
        stdin_send(&mut stdin, line);
    }
    if !plan.stdin_open {
        // Closed once the lines above are written.
        stdin = None;
    }
    let mut out = LineReader::new(child.stdout.take());
    let mut err = LineReader::new(child.stderr.take());
    let mut exit: Option<std::io::Result<ExitStatus>> = None;
    let mut stop_stage = 0u8;
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut stop_at = far;
    let mut drain_until = far;
    let mut control_open = true;
    // The process is being stopped on request: its end is `stopped`, not a failure.
    let mut stop_requested = false;
    // The process is ended because it idled (released): the agent stays `waiting`.
    let mut release_requested = false;

    let recorder = AgentRecorder { inner: inner.clone(), runtime: runtime.clone() };

    loop {
        if exit.is_some() && out.done && err.done {
            break;
        }
        tokio::select! {
            line = out.next(), if !out.done => if let Some(line) = line {
                recorder.send(Record::Lines(Stream::Stdout, out.with_buffered(line))).await;
            },
            line = err.next(), if !err.done => if let Some(line) = line {
                recorder.send(Record::Lines(Stream::Stderr, err.with_buffered(line))).await;
            },
            message = control.recv(), if control_open => match message {
                Some(Control::Stdin { notes, line }) => {
                    // Queued before the line is written, so the log has it before the answer.
                    for note in notes {
                        recorder.send(Record::Note(note)).await;
                    }
                    stdin_send(&mut stdin, &line);
                }
                Some(Control::CloseStdin) => stdin = None,
                Some(order @ (Control::Stop | Control::Shutdown | Control::Release)) => {
                    if matches!(order, Control::Release) {
                        release_requested = true;
                    } else {
                        stop_requested = true;
                    }
                    if matches!(order, Control::Shutdown) && exit.is_none() {
                        recorder.send(Record::Note(Note::Notice { message: SHUTDOWN_NOTICE.into() })).await;
                    }
                    if exit.is_none() && stop_stage == 0 {
                        stop_stage = 1;
                        group_signal(pid, rustix::process::Signal::INT);
                        // A paused group acts on its signals only once it runs again.
                        group_signal(pid, rustix::process::Signal::CONT);
                        stop_at = Instant::now() + STOP_GRACE;
                    }
                }
                Some(Control::Input(_) | Control::Resize(..)) => {}
                None => control_open = false,
            },
            status = child.wait(), if exit.is_none() => {
                exit = Some(status);
                drain_until = Instant::now() + DRAIN_GRACE;
            },
            _ = tokio::time::sleep_until(stop_at), if stop_stage > 0 && exit.is_none() => {
                let signal = if stop_stage == 1 { rustix::process::Signal::TERM } else { rustix::process::Signal::KILL };
                stop_stage += 1;
                group_signal(pid, signal);
                stop_at = Instant::now() + STOP_GRACE;
            },
            _ = tokio::time::sleep_until(drain_until), if exit.is_some() => break,
        }
    }
    drop(stdin);
    // Everything the process printed is recorded before its end is.
    recorder.finish().await;

    if stop_requested || release_requested {
        // Whatever the agent left running in its group goes with it.
        group_signal(pid, rustix::process::Signal::KILL);
    }
    let (code, signal) = match &exit {
        Some(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            (status.code().map(i64::from), status.signal().map(i64::from))
        }
        _ => (None, None),
    };
    let ending = ProcessEnd { code, signal, follow_up: plan.follow_up, stop_requested, release_requested };
    process_end(inner, runtime, ending).await;
    let _ = done.send(true);
}

/// How a process ended, for [`process_end`].
pub(super) struct ProcessEnd {
    pub code: Option<i64>,
    pub signal: Option<i64>,
    pub follow_up: FollowUp,
    /// Stopped on request: its end is `stopped`, not a failure.
    pub stop_requested: bool,
    /// Ended because it idled: the agent stays `waiting`.
    pub release_requested: bool,
}

/// Records a process's end (after all its output): the exit note, the agent's state, and the
/// checkpoint of what it left in the worktree.
pub(super) async fn process_end(inner: Arc<EngineState>, runtime: Arc<Mutex<AgentRuntime>>, ending: ProcessEnd) {
    let ProcessEnd { code, signal, follow_up, stop_requested, release_requested } = ending;
    let ended = inner.clone();
    let runtime = runtime.clone();
    let recorded = tokio::task::spawn_blocking(move || {
        let inner = ended;
        // A full disk refuses the exit's note or its record: both are tried again until they
        // are written, so an agent never shows `running` after its process is gone.
        let mut noted = false;
        let mut attempt = 0u32;
        let rt = loop {
            let mut rt = runtime.blocking_lock();
            if !noted {
                noted = rt.note_try(&inner, &Note::Exited { code, signal });
            }
            if noted && exit_record(&inner, &rt.agent_id, code, follow_up, stop_requested, release_requested) {
                break rt;
            }
            drop(rt);
            if attempt == 0 {
                tracing::warn!("an agent's exit cannot be recorded yet (disk full?); trying again every second");
            }
            attempt += 1;
            std::thread::sleep(std::time::Duration::from_secs(1));
        };
        let id = rt.agent_id.clone();
        // Free before anyone hears of the end: a relaunch takes the runtime at once.
        drop(rt);
        // In flight before anyone hears of the end, so a message sent on seeing it waits for
        // the checkpoint of what the process left.
        inner.checkpoints.begin(&id);
        inner.agent_live_remove(&id);
        inner.agent_publish(&id);
        // What the process left in the worktree (a turn it never finished, files it wrote on exit).
        super::workspace::checkpoint_schedule(inner.clone(), id.clone());
        inner.checkpoints.end(&id);
    })
    .await;
    if let Err(e) = recorded {
        tracing::error!("an agent's end was not recorded: {e}");
    }
}

/// Records the agent's state after its process ended; false when the store refused it.
fn exit_record(
    inner: &EngineState,
    id: &str,
    code: Option<i64>,
    follow_up: FollowUp,
    stop_requested: bool,
    release_requested: bool,
) -> bool {
    let conn = inner.store.conn();
    let pending = record::permission_pending(&conn, id).map(|p| !p.is_empty()).unwrap_or(false);
    let released = release_requested && !stop_requested;
    let state = if stop_requested {
        AgentState::Stopped
    } else if released {
        AgentState::Waiting
    } else if pending {
        AgentState::NeedsInput
    } else if code == Some(0) && follow_up == FollowUp::Relaunch {
        AgentState::Waiting
    } else if code == Some(0) {
        AgentState::Exited
    } else {
        AgentState::Failed
    };
    if let Err(e) = record::agent_state_set(&conn, id, state, None, code) {
        tracing::error!(agent = %id, "cannot record the exit: {e}");
        return false;
    }
    if released && let Err(e) = record::agent_released_set(&conn, id, Some(time::now_ms())) {
        tracing::error!(agent = %id, "cannot record the release: {e}");
    }
    true
}

/// What a supervisor hands the recorder, in the order it happened.
pub(super) enum Record {
    Lines(Stream, Vec<String>),
    Note(Note),
    /// Decode what others (the agent's shim) appended to the log.
    CatchUp,
}

enum Job {
    Record {
        inner: Arc<EngineState>,
        runtime: Arc<Mutex<AgentRuntime>>,
        record: Record,
    },
    /// Answered once everything queued before it is recorded.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// How many bursts may wait for the recorder before the supervisors wait in turn.
const RECORD_QUEUE: usize = 1024;

/// The engine's writer thread for agents' output: appends each burst to its agent's log, parses,
/// publishes and indexes it. Ends when the engine is dropped.
pub(crate) struct Recorder {
    tx: mpsc::Sender<Job>,
}

impl Recorder {
    pub(crate) fn start(handle: tokio::runtime::Handle) -> std::io::Result<Self> {
        let (tx, mut rx) = mpsc::channel::<Job>(RECORD_QUEUE);
        std::thread::Builder::new().name("baton-recorder".into()).spawn(move || {
            // Checkpoints are scheduled on the runtime from here.
            let _runtime = handle.enter();
            while let Some(first) = rx.blocking_recv() {
                let mut next = Some(first);
                while let Some(job) = next {
                    // A parser bug must not end the recording of every agent: the thread goes on.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job_run(job))).is_err() {
                        tracing::error!("recording an agent's output panicked; its record may miss that burst");
                    }
                    next = rx.try_recv().ok().or_else(|| {
                        // Under load, more is about to come: waiting a moment for it costs less
                        // than sleeping and being woken for each line (futex wake-ups were most of
                        // the recorder's cost), and adds at most this to a line's latency.
                        std::thread::sleep(LINGER);
                        rx.try_recv().ok()
                    });
                }
            }
        })?;
        Ok(Self { tx })
    }
}

/// How long the recorder waits for more work before it sleeps until woken.
const LINGER: std::time::Duration = std::time::Duration::from_millis(1);

fn job_run(job: Job) {
    match job {
        Job::Record { inner, runtime, record } => {
            let mut rt = runtime.blocking_lock();
            match record {
                Record::Lines(stream, lines) => {
                    rt.record_all(&inner, stream, lines);
                }
                Record::Note(note) => {
                    rt.note(&inner, &note);
                }
                Record::CatchUp => rt.catch_up(&inner),
            }
            let ended = std::mem::take(&mut rt.turn_ends);
            crate::policy::after_record(&inner, &mut rt, ended > 0);
            if ended > 0 {
                // One checkpoint for the burst: it saves the worktree as the last turn left it.
                super::workspace::checkpoint_schedule(inner.clone(), rt.agent_id.clone());
                for _ in 0..ended {
                    inner.checkpoints.end(&rt.agent_id);
                }
            }
            if std::mem::take(&mut rt.turn_waits) {
                super::message::turn_ended(&inner, &rt.agent_id);
            }
        }
        Job::Flush(done) => {
            let _ = done.send(());
        }
    }
}

/// One supervisor's way to the recorder.
pub(super) struct AgentRecorder {
    pub inner: Arc<EngineState>,
    pub runtime: Arc<Mutex<AgentRuntime>>,
}

impl AgentRecorder {
    pub(super) async fn send(&self, record: Record) {
        let job = Job::Record { inner: self.inner.clone(), runtime: self.runtime.clone(), record };
        if let Some(recorder) = &self.inner.recorder {
            // Refused only when the engine is going away.
            let _ = recorder.tx.send(job).await;
        }
    }

    /// Queues without waiting (from outside the async runtime); refused when the queue is full.
    pub(super) fn send_now(&self, record: Record) {
        let job = Job::Record { inner: self.inner.clone(), runtime: self.runtime.clone(), record };
        if let Some(recorder) = &self.inner.recorder
            && recorder.tx.try_send(job).is_err()
        {
            tracing::warn!("the recorder's queue is full; an agent's log is decoded at its next line");
        }
    }

    /// Waits until everything sent is recorded.
    pub(super) async fn finish(self) {
        self.flush().await;
    }

    /// Waits until everything sent so far is recorded.
    pub(super) async fn flush(&self) {
        let Some(recorder) = &self.inner.recorder else { return };
        let (done, recorded) = tokio::sync::oneshot::channel();
        if recorder.tx.send(Job::Flush(done)).await.is_err() || recorded.await.is_err() {
            tracing::error!("the recorder is gone; an agent's last lines may be missing from the index");
        }
    }
}

/// Writes the child's stdin from a task of its own, line after line in order. A process that
/// does not read (paused by "pause all", or busy) fills the pipe and blocks only this task: the
/// supervisor still reads output and handles stop and release. Dropping the sender closes stdin
/// once the lines queued before are written; the task ends when the child closes its end.
pub(crate) fn stdin_writer(stdin: Option<ChildStdin>) -> Option<mpsc::UnboundedSender<Vec<u8>>> {
    let mut pipe = stdin?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if pipe.write_all(&bytes).await.is_err() || pipe.flush().await.is_err() {
                // The agent closed its stdin (it is exiting): nothing more can be sent.
                return;
            }
        }
    });
    Some(tx)
}

fn stdin_send(stdin: &mut Option<mpsc::UnboundedSender<Vec<u8>>>, line: &str) {
    if let Some(writer) = stdin {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        if writer.send(bytes).is_err() {
            *stdin = None;
        }
    }
}

pub(crate) fn group_signal(pid: Option<u32>, signal: rustix::process::Signal) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()).and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

/// Reads lines of at most [`LINE_MAX`] bytes (longer ones are cut with a marker), decoding
/// invalid UTF-8 lossily. Cancel-safe: a partial line is kept across `select!` iterations.
pub(crate) struct LineReader<R> {
    pub done: bool,
    inner: Option<BufReader<R>>,
    buf: Vec<u8>,
    dropped: usize,
}

impl<R: tokio::io::AsyncRead + Unpin> LineReader<R> {
    pub(crate) fn new(reader: Option<R>) -> Self {
        let done = reader.is_none();
        Self { inner: reader.map(|r| BufReader::with_capacity(64 * 1024, r)), buf: Vec::new(), dropped: 0, done }
    }

    pub(crate) async fn next(&mut self) -> Option<String> {
        let Some(reader) = self.inner.as_mut() else {
            self.done = true;
            return None;
        };
        loop {
            let available = match reader.fill_buf().await {
                Ok(bytes) => bytes,
                Err(_) => &[],
            };
            if available.is_empty() {
                self.done = true;
                if self.buf.is_empty() && self.dropped == 0 {
                    return None;
                }
                return Some(self.take());
            }
            let (chunk, found) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            let room = LINE_MAX.saturating_sub(self.buf.len());
            let keep = chunk.len().min(room);
            self.buf.extend_from_slice(&chunk[..keep]);
            self.dropped += chunk.len() - keep;
            let used = found.unwrap_or(chunk.len());
            reader.consume(used);
            if found.is_some() {
                return Some(self.take());
            }
        }
    }

    /// `first` and the whole lines already read into the buffer (no waiting, no I/O), so lines
    /// that arrived together are handled together.
    pub(crate) fn with_buffered(&mut self, first: String) -> Vec<String> {
        let mut lines = vec![first];
        // A partial line in hand stays for `next`, which finishes it.
        if !self.buf.is_empty() || self.dropped != 0 {
            return lines;
        }
        let Some(reader) = self.inner.as_mut() else { return lines };
        while lines.len() < 4096 {
            let buffered = reader.buffer();
            // Long lines go through `next`, which cuts them.
            let Some(end) = buffered.iter().take(LINE_MAX + 1).position(|b| *b == b'\n') else { break };
            let mut bytes = &buffered[..end];
            if bytes.last() == Some(&b'\r') {
                bytes = &bytes[..end - 1];
            }
            lines.push(String::from_utf8_lossy(bytes).into_owned());
            std::pin::Pin::new(&mut *reader).consume(end + 1);
        }
        lines
    }

    fn take(&mut self) -> String {
        let mut bytes = std::mem::take(&mut self.buf);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let dropped = std::mem::take(&mut self.dropped);
        line_bound(String::from_utf8_lossy(&bytes).into_owned(), dropped)
    }
}
