//! A `command` agent's process in a pseudo-terminal: any program, run as in a terminal (job
//! control, progress bars, colours, cursor movement), its screen kept by the engine's terminals
//! so the UI shows it live in a terminal view and the user can type into it.
//!
//! The log stays the record, with the supervisor's guarantees: the terminal hands every chunk of
//! output to this supervisor in order (and waits when it falls behind), which cuts it into lines
//! (a line ends at `\n`; the `\r`s of a progress bar stay inside it, so a replay redraws the bar)
//! and hands them to the recorder, which appends each to the log before it is parsed. Stop is
//! SIGINT (as Ctrl-C), then SIGTERM, then SIGKILL to the terminal's session.

use std::sync::Arc;

use rustix::process::Signal;
use tokio::sync::{Mutex, mpsc, watch};
use tokio::time::Instant;

use super::log::{LINE_MAX, Note, Stream, line_bound};
use super::supervisor::{
    AgentRecorder, AgentRuntime, Control, DRAIN_GRACE, ProcessEnd, ProcessPlan, Record, RunningProcess,
    SHUTDOWN_NOTICE, STOP_GRACE, process_end, process_started,
};
use crate::engine::EngineState;
use crate::terminal::{PtyExit, PtySpec, Terminal, TerminalKind};

/// The size an agent's terminal starts with; a viewer resizes it to its own.
pub(crate) const COLS: u16 = 120;
pub(crate) const ROWS: u16 = 32;
/// Chunks of output that may wait for the supervisor before the terminal's reader waits.
const TAP_QUEUE: usize = 256;

/// Starts the program in a terminal and its supervisor. Call it from a blocking thread.
pub(super) fn process_start_pty(
    inner: &Arc<EngineState>,
    handle: &tokio::runtime::Handle,
    runtime: Arc<Mutex<AgentRuntime>>,
    plan: ProcessPlan,
) -> std::io::Result<RunningProcess> {
    let _enter = handle.enter();
    let agent_id = runtime.blocking_lock().agent_id.clone();
    let (tap, output) = mpsc::channel(TAP_QUEUE);
    let spec = PtySpec {
        program: plan.program.clone(),
        args: plan.args.clone(),
        cwd: plan.cwd.clone(),
        env: plan.env.clone(),
        env_clear: true,
        cols: COLS,
        rows: ROWS,
    };
    let terminal = inner.terminals.start(TerminalKind::Agent, &agent_id, spec, Some(tap))?;
    process_started(inner, &runtime, &plan, terminal.pty.pid().unwrap_or(0), false);
    let (control, control_rx) = mpsc::unbounded_channel();
    let (done_tx, done) = watch::channel(false);
    handle.spawn(supervise_pty(inner.clone(), runtime, terminal, output, plan, control_rx, done_tx));
    Ok(RunningProcess { control, done })
}

async fn supervise_pty(
    inner: Arc<EngineState>,
    runtime: Arc<Mutex<AgentRuntime>>,
    terminal: Arc<Terminal>,
    mut output: mpsc::Receiver<Vec<u8>>,
    plan: ProcessPlan,
    mut control: mpsc::UnboundedReceiver<Control>,
    done: watch::Sender<bool>,
) {
    let typist = typist_start(terminal.clone());
    for line in &plan.stdin_lines {
        type_line(&typist, line);
    }
    let recorder = AgentRecorder { inner: inner.clone(), runtime: runtime.clone() };
    let mut lines = LineCutter::default();
    let mut exit_watch = terminal.pty.exit_watch();
    let mut exit: Option<PtyExit> = None;
    let mut output_done = false;
    let mut stop_stage = 0u8;
    let far = Instant::now() + std::time::Duration::from_secs(365 * 24 * 3600);
    let mut stop_at = far;
    let mut drain_until = far;
    let mut control_open = true;
    let mut stop_requested = false;
    let mut release_requested = false;

    loop {
        if exit.is_some() && output_done {
            break;
        }
        tokio::select! {
            chunk = output.recv(), if !output_done => match chunk {
                Some(bytes) => {
                    let complete = lines.push(&bytes);
                    if !complete.is_empty() {
                        recorder.send(Record::Lines(Stream::Stdout, complete)).await;
                    }
                }
                None => output_done = true,
            },
            message = control.recv(), if control_open => match message {
                Some(Control::Stdin { notes, line }) => {
                    // Noted before it is typed, so the log has it before the program's answer.
                    for note in notes {
                        recorder.send(Record::Note(note)).await;
                    }
                    type_line(&typist, &line);
                }
                Some(Control::Input(_) | Control::Resize(..)) => {}
                // End of input, as Ctrl-D at the start of a line.
                Some(Control::CloseStdin) => {
                    let _ = typist.send(b"\x04".to_vec());
                }
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
                        terminal.pty.session_signal(Signal::INT);
                        // A paused group acts on its signals only once it runs again.
                        terminal.pty.session_signal(Signal::CONT);
                        stop_at = Instant::now() + STOP_GRACE;
                    }
                }
                None => control_open = false,
            },
            () = exited(&mut exit_watch), if exit.is_none() => {
                exit = Some(exit_watch.borrow().unwrap_or(PtyExit { code: None, signal: None }));
                // Something the program left running may hold the terminal open.
                drain_until = Instant::now() + DRAIN_GRACE;
            },
            _ = tokio::time::sleep_until(stop_at), if stop_stage > 0 && exit.is_none() => {
                let signal = if stop_stage == 1 { Signal::TERM } else { Signal::KILL };
                stop_stage += 1;
                terminal.pty.session_signal(signal);
                stop_at = Instant::now() + STOP_GRACE;
            },
            _ = tokio::time::sleep_until(drain_until), if exit.is_some() => break,
        }
    }
    // A last line without its newline is still output.
    if let Some(rest) = lines.finish() {
        recorder.send(Record::Lines(Stream::Stdout, vec![rest])).await;
    }
    // Everything the process printed is recorded before its end is.
    recorder.finish().await;
    if stop_requested || release_requested {
        // Whatever the agent left running on its terminal goes with it.
        terminal.pty.session_signal(Signal::KILL);
    }
    // Its output lives on in the log; viewers still joined get the exit.
    inner.terminals.remove(&terminal.id);
    let PtyExit { code, signal } = exit.unwrap_or(PtyExit { code: None, signal: None });
    let ending = ProcessEnd { code, signal, follow_up: plan.follow_up, stop_requested, release_requested };
    process_end(inner, runtime, ending).await;
    let _ = done.send(true);
}

async fn exited(exit: &mut watch::Receiver<Option<PtyExit>>) {
    let _ = exit.wait_for(Option::is_some).await;
}

/// Types a line and Enter (through the typist, in order).
fn type_line(typist: &mpsc::UnboundedSender<Vec<u8>>, line: &str) {
    let mut bytes = line.as_bytes().to_vec();
    bytes.push(b'\r');
    let _ = typist.send(bytes);
}

/// Types into the terminal from a task of its own, off the async runtime: a program that does
/// not read (paused by "pause all", or busy) makes the write wait once the terminal's buffer is
/// full, and only this task waits; the supervisor still handles stop and release. Ends when the
/// supervisor drops the sender, or when the program has ended.
fn typist_start(terminal: Arc<Terminal>) -> mpsc::UnboundedSender<Vec<u8>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            let terminal = terminal.clone();
            let written = tokio::task::spawn_blocking(move || terminal.pty.write(&bytes)).await;
            if !matches!(written, Ok(Ok(()))) {
                // The program is exiting: nothing more can be typed.
                tracing::debug!("a line for an agent's terminal was not written; its program has ended");
                return;
            }
        }
    });
    tx
}

/// Cuts a terminal's output into lines of at most [`LINE_MAX`] bytes (longer ones are cut with a
/// marker). A terminal ends lines with `\r\n`: the `\r` goes; any other `\r` stays in the line.
#[derive(Default)]
pub(crate) struct LineCutter {
    buf: Vec<u8>,
    dropped: usize,
}

impl LineCutter {
    /// The lines `bytes` completes.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            let (text, ends) = match piece.strip_suffix(b"\n") {
                // The terminal's `\r` before it is part of the line end, not of the line.
                Some(text) => (text.strip_suffix(b"\r").unwrap_or(text), true),
                None => (piece, false),
            };
            let room = LINE_MAX.saturating_sub(self.buf.len());
            let keep = text.len().min(room);
            self.buf.extend_from_slice(&text[..keep]);
            self.dropped += text.len() - keep;
            if ends {
                lines.push(self.take());
            }
        }
        lines
    }

    /// What is left of an unfinished line.
    pub(crate) fn finish(&mut self) -> Option<String> {
        (!self.buf.is_empty() || self.dropped > 0).then(|| self.take())
    }

    fn take(&mut self) -> String {
        let mut bytes = std::mem::take(&mut self.buf);
        // A `\r\n` split between two chunks.
        if self.dropped == 0 && bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let dropped = std::mem::take(&mut self.dropped);
        line_bound(String::from_utf8_lossy(&bytes).into_owned(), dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::LineCutter;

    #[test]
    fn lines_are_cut_at_newlines_and_keep_a_progress_bars_returns() {
        let mut cut = LineCutter::default();
        assert_eq!(cut.push(b"one\r\ntw"), ["one"]);
        assert_eq!(cut.push(b"o\r\n\r[#  ] 33%\r[## ] 66"), ["two"]);
        assert_eq!(cut.push(b"%\r\n"), ["\r[#  ] 33%\r[## ] 66%"]);
        assert_eq!(cut.push(b"no end"), Vec::<String>::new());
        assert_eq!(cut.finish().as_deref(), Some("no end"));
        assert_eq!(cut.finish(), None);
    }
}
