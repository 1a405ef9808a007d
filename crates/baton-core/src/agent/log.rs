//! An agent's JSONL log: every line the agent printed (stdout and stderr), every message Baton
//! sent it, and Baton's notes on its processes, each with a timestamp, appended BEFORE anything
//! is parsed. The log is the record: [`EventDecoder`] turns it into the same events, in the same
//! order, whether it reads a live line or replays the file, so the index can always be rebuilt.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::event::AgentEvent;
use super::protocol::{CliKind, LineParser};

/// Lines longer than this are cut (with a marker) before they are logged or parsed.
pub const LINE_MAX: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
    /// Baton's own notes on the agent (process started, message sent, exited).
    Baton,
}

/// One line of the log file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Milliseconds since the epoch.
    pub ts: i64,
    pub stream: Stream,
    pub line: String,
}

/// What Baton notes in an agent's log (as the `line` of a `baton` entry, in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// A process of the agent started: the parser starts afresh.
    ProcessStarted {
        pid: u32,
        program: String,
        args: Vec<String>,
    },
    /// A message the user sent (on stdin or as a relaunch prompt); `from`: the sending agent's
    /// name, when an agent of the session sent it; `sent`: what the CLI was given, when it is
    /// not `text` (several messages delivered together, with their senders named).
    UserMessage {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent: Option<String>,
    },
    /// The agent sent a message to another agent of its session.
    MessageSent {
        to: String,
        text: String,
    },
    Exited {
        code: Option<i64>,
        signal: Option<i64>,
    },
    /// Something went wrong around the agent (could not start, log trouble...).
    Error {
        message: String,
    },
    /// What Baton did for the agent: its worktree, a setup command's output.
    Notice {
        message: String,
    },
    /// The worktree's state was saved as a checkpoint.
    Checkpoint {
        n: u32,
        commit: String,
        message: String,
    },
    /// The session's policy refused a tool use (`rule`: the line of the policy that did).
    PolicyDenied {
        tool: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
        rule: String,
    },
}

/// An event with its place in the agent's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentEventRecord {
    pub agent_id: String,
    /// 1, 2, 3... per agent, in log order.
    #[ts(type = "number")]
    pub seq: u64,
    /// Milliseconds since the epoch.
    #[ts(type = "number")]
    pub ts: i64,
    pub event: AgentEvent,
}

/// Cuts a line longer than [`LINE_MAX`] (at a character boundary) and says so at its end.
pub fn line_bound(line: String, dropped_bytes: usize) -> String {
    if dropped_bytes == 0 && line.len() <= LINE_MAX {
        return line;
    }
    let mut cut = line.len().min(LINE_MAX);
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    let total = line.len() + dropped_bytes;
    let mut out = line;
    out.truncate(cut);
    out.push_str(&format!(" …[baton: line cut at {cut} of {total} bytes]"));
    out
}

/// Appends to an agent's log. Two processes append to the same file (the agent's shim its
/// output, the daemon its notes), each batch as one write under an exclusive `flock`, so
/// records never interleave and each batch's offset is known. A write that fails (a full disk)
/// is cut back to where it began, so the file never holds half a record; the lines it carried
/// are counted and the next write that succeeds starts with a marker saying how many were
/// lost. A log deleted or replaced while it is written is noticed (its inode changed) and a new
/// file is started, with a marker.
pub struct LogWriter {
    path: PathBuf,
    file: File,
    ino: u64,
    dropped: u64,
    drop_reason: String,
    replaced: bool,
}

/// What the log says when a new file had to be started under a running agent.
pub const LOG_REPLACED: &str =
    "the agent's log was deleted or replaced while it ran; what it held before is lost, and its output goes on here";

impl LogWriter {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::options().create(true).append(true).open(path)?;
        let ino = file.metadata()?.ino();
        Ok(Self { path: path.to_owned(), file, ino, dropped: 0, drop_reason: String::new(), replaced: false })
    }

    /// Appends entries with a single write, so a crash leaves whole lines. Returns each entry's
    /// byte offset and length in the file.
    pub fn append_all(&mut self, entries: &[LogEntry]) -> std::io::Result<Vec<(u64, u64)>> {
        self.reopen_if_replaced();
        let mut bytes = Vec::new();
        let mut markers = Vec::new();
        if self.replaced {
            markers.push(LOG_REPLACED.to_owned());
        }
        if self.dropped > 0 {
            markers.push(format!(
                "{} lines of the agent's output could not be written to its log ({}) and are lost",
                self.dropped, self.drop_reason
            ));
        }
        for message in markers {
            let line = serde_json::to_string(&Note::Error { message }).map_err(std::io::Error::other)?;
            serde_json::to_writer(&mut bytes, &LogEntry { ts: crate::time::now_ms(), stream: Stream::Baton, line })
                .map_err(std::io::Error::other)?;
            bytes.push(b'\n');
        }
        let mut places = Vec::with_capacity(entries.len());
        for entry in entries {
            let start = bytes.len();
            serde_json::to_writer(&mut bytes, entry).map_err(std::io::Error::other)?;
            bytes.push(b'\n');
            places.push((start as u64, (bytes.len() - start) as u64));
        }
        match self.write_whole(&bytes) {
            Ok(at) => {
                self.dropped = 0;
                self.replaced = false;
                Ok(places.into_iter().map(|(start, len)| (at + start, len)).collect())
            }
            Err(e) => {
                self.dropped += entries.len() as u64;
                self.drop_reason = e.to_string();
                Err(e)
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Forgets `n` lines counted as dropped: their writer retries them itself.
    pub fn retried(&mut self, n: u64) {
        self.dropped = self.dropped.saturating_sub(n);
    }

    /// Writes `bytes` at the end under the lock, or nothing at all; returns where they start.
    fn write_whole(&mut self, bytes: &[u8]) -> std::io::Result<u64> {
        use rustix::fs::{FlockOperation, flock};
        flock(&self.file, FlockOperation::LockExclusive)?;
        let result = (|| {
            let at = self.file.metadata()?.len();
            if let Err(e) = self.file.write_all(bytes) {
                // Half a record would read as garbage: the file goes back to whole records.
                let _ = self.file.set_len(at);
                return Err(e);
            }
            Ok(at)
        })();
        let _ = flock(&self.file, FlockOperation::Unlock);
        result
    }

    /// A log deleted (or moved away) under a running agent: a new file at its path.
    fn reopen_if_replaced(&mut self) {
        let current = std::fs::metadata(&self.path).map(|m| m.ino()).ok();
        if current == Some(self.ino) {
            return;
        }
        if let Ok(file) = File::options().create(true).append(true).open(&self.path)
            && let Ok(meta) = file.metadata()
        {
            self.ino = meta.ino();
            self.file = file;
            self.replaced = true;
        }
    }
}

/// Reads an agent's log as it grows, record by record, from a given offset: the daemon follows
/// what the agent's shim and its own notes append. A record is taken only once its newline is
/// there (a write in progress is never read half). A log replaced under it is followed into
/// the new file, from its start.
pub struct LogFollower {
    path: PathBuf,
    file: Option<BufReader<File>>,
    ino: u64,
    offset: u64,
}

/// One record read by [`LogFollower`]: its place in the file and its bytes (without newline).
pub struct LogRecord {
    pub offset: u64,
    pub len: u64,
    pub bytes: Vec<u8>,
}

impl LogFollower {
    pub fn at(path: &Path, offset: u64) -> Self {
        Self { path: path.to_owned(), file: None, ino: 0, offset }
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The whole records after the offset, up to about `max_bytes` of them.
    pub fn read_new(&mut self, max_bytes: usize) -> std::io::Result<Vec<LogRecord>> {
        use std::io::{Seek, SeekFrom};
        if self.file.is_none() {
            let file = match File::open(&self.path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            self.ino = file.metadata()?.ino();
            let mut reader = BufReader::with_capacity(64 * 1024, file);
            reader.seek(SeekFrom::Start(self.offset))?;
            self.file = Some(reader);
        }
        let Some(reader) = self.file.as_mut() else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        let mut taken = 0usize;
        loop {
            let mut line = Vec::new();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                // The end, or a record still being written: read again from its start later.
                reader.seek(SeekFrom::Start(self.offset))?;
                break;
            }
            line.pop();
            out.push(LogRecord { offset: self.offset, len: n as u64, bytes: line });
            self.offset += n as u64;
            taken += n;
            if taken >= max_bytes {
                return Ok(out);
            }
        }
        if out.is_empty() {
            let current = std::fs::metadata(&self.path).map(|m| m.ino()).ok();
            if current.is_some() && current != Some(self.ino) {
                // A new file in its place: followed from its start.
                self.file = None;
                self.offset = 0;
                return self.read_new(max_bytes);
            }
        }
        Ok(out)
    }
}

/// A record's entry; a record that is not one (a crash cut it, or the file was written by
/// something else) is an error event that says so, never its bytes shown as output.
pub fn record_parse(bytes: &[u8]) -> Result<LogEntry, AgentEvent> {
    serde_json::from_slice::<LogEntry>(bytes).map_err(|_| AgentEvent::Error {
        message: format!("a damaged record of the agent's log ({} bytes) was skipped", bytes.len()),
    })
}

/// Turns log entries into events. Holds the current process's parser.
pub struct EventDecoder {
    cli: CliKind,
    parser: Box<dyn LineParser>,
    /// The last message Baton sent: a CLI that echoes it (Gemini) must not show it twice.
    last_user_message: Option<String>,
}

impl EventDecoder {
    pub fn new(cli: CliKind) -> Self {
        Self { cli, parser: cli.protocol().parser(), last_user_message: None }
    }

    /// A copy of the decoder as it stands (see `agent/history.rs`).
    pub fn snapshot(&self) -> Self {
        Self { cli: self.cli, parser: self.parser.snapshot(), last_user_message: self.last_user_message.clone() }
    }

    pub fn decode(&mut self, entry: &LogEntry) -> Vec<AgentEvent> {
        match entry.stream {
            Stream::Stdout => {
                let mut events = self.parser.parse(&entry.line);
                if let Some(sent) = &self.last_user_message {
                    events.retain(|e| !matches!(e, AgentEvent::UserText { text, .. } if text.trim() == sent.trim()));
                }
                events
            }
            Stream::Stderr => vec![AgentEvent::Stderr { line: entry.line.clone() }],
            Stream::Baton => match serde_json::from_str::<Note>(&entry.line) {
                Ok(Note::ProcessStarted { .. }) => {
                    self.parser = self.cli.protocol().parser();
                    self.last_user_message = None;
                    Vec::new()
                }
                Ok(Note::UserMessage { text, from, sent }) => {
                    self.last_user_message = Some(sent.unwrap_or_else(|| text.clone()));
                    vec![AgentEvent::UserText { text, from }]
                }
                Ok(Note::MessageSent { to, text }) => vec![AgentEvent::MessageSent { to, text }],
                Ok(Note::Exited { code, signal }) => vec![AgentEvent::Exited { code, signal }],
                Ok(Note::Error { message }) => vec![AgentEvent::Error { message }],
                Ok(Note::Notice { message }) => vec![AgentEvent::Notice { message }],
                Ok(Note::Checkpoint { n, commit, message }) => vec![AgentEvent::Checkpoint { n, commit, message }],
                Ok(Note::PolicyDenied { tool, command, rule }) => {
                    vec![AgentEvent::PolicyDenied { tool, command, rule }]
                }
                Err(_) => vec![AgentEvent::Raw { line: entry.line.clone() }],
            },
        }
    }
}

/// The decoder as it stands after the records before `upto`, and how many events they gave:
/// where a daemon that follows the log from `upto` on starts.
pub fn log_prefix(cli: CliKind, path: &Path, upto: u64) -> std::io::Result<(EventDecoder, u64)> {
    let mut decoder = EventDecoder::new(cli);
    let mut seq = 0u64;
    let mut follower = LogFollower::at(path, 0);
    while follower.offset() < upto {
        let records = follower.read_new(1024 * 1024)?;
        if records.is_empty() {
            break;
        }
        for record in records.into_iter().take_while(|r| r.offset < upto) {
            seq += match record_parse(&record.bytes) {
                Ok(entry) => decoder.decode(&entry).len() as u64,
                Err(_) => 1,
            };
        }
    }
    Ok((decoder, seq))
}

/// One event of a replayed log, with the place of its line in the file.
pub struct Replayed {
    pub seq: u64,
    pub ts: i64,
    pub log_offset: u64,
    pub log_len: u64,
    pub event: AgentEvent,
}

/// Walks an agent's log from the start, decoding it exactly as the live path did, and gives
/// each event to `visit` until it returns false. A missing log is an empty history; a line that
/// is not a log entry (only a crash mid-write could leave one) becomes a raw event.
pub fn log_walk(cli: CliKind, path: &Path, mut visit: impl FnMut(Replayed) -> bool) -> std::io::Result<()> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut decoder = EventDecoder::new(cli);
    let mut seq = 0u64;
    let mut offset = 0u64;
    for line in BufReader::new(file).split(b'\n') {
        let line = line?;
        let len = line.len() as u64 + 1;
        let (ts, events) = match record_parse(&line) {
            Ok(entry) => (entry.ts, decoder.decode(&entry)),
            Err(damaged) => (0, vec![damaged]),
        };
        for event in events {
            seq += 1;
            if !visit(Replayed { seq, ts, log_offset: offset, log_len: len, event }) {
                return Ok(());
            }
        }
        offset += len;
    }
    Ok(())
}

/// Replays an agent's log into its events, from `after` (exclusive) on, at most `limit` of them.
pub fn log_replay(
    agent_id: &str,
    cli: CliKind,
    path: &Path,
    after: u64,
    limit: usize,
) -> std::io::Result<Vec<AgentEventRecord>> {
    let mut out = Vec::new();
    log_walk(cli, path, |r| {
        if r.seq > after {
            out.push(AgentEventRecord { agent_id: agent_id.to_owned(), seq: r.seq, ts: r.ts, event: r.event });
        }
        out.len() < limit
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_with_a_marker_at_a_char_boundary() {
        let line = "é".repeat(LINE_MAX); // 2 bytes each: twice the bound
        let cut = line_bound(line, 0);
        assert!(cut.len() < LINE_MAX + 100);
        assert!(cut.ends_with(&format!("of {} bytes]", 2 * LINE_MAX)), "{}", &cut[cut.len() - 60..]);
        assert_eq!(line_bound("short".into(), 0), "short");
        assert!(line_bound("short".into(), 10).contains("of 15 bytes"));
    }

    #[test]
    fn replay_gives_the_events_the_live_decoder_gave() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.jsonl");
        let mut log = LogWriter::open(&path).unwrap();
        let mut live = EventDecoder::new(CliKind::Command);
        let entries = [
            LogEntry {
                ts: 1,
                stream: Stream::Baton,
                line: serde_json::to_string(&Note::ProcessStarted { pid: 1, program: "p".into(), args: vec![] })
                    .unwrap(),
            },
            LogEntry { ts: 2, stream: Stream::Stdout, line: "hello".into() },
            LogEntry { ts: 3, stream: Stream::Stderr, line: "oops".into() },
            LogEntry {
                ts: 4,
                stream: Stream::Baton,
                line: serde_json::to_string(&Note::Exited { code: Some(0), signal: None }).unwrap(),
            },
        ];
        let mut live_events = Vec::new();
        for e in &entries {
            log.append_all(std::slice::from_ref(e)).unwrap();
            live_events.extend(live.decode(e));
        }
        let replayed: Vec<AgentEvent> =
            log_replay("a", CliKind::Command, &path, 0, usize::MAX).unwrap().into_iter().map(|r| r.event).collect();
        assert_eq!(replayed, live_events);
        assert_eq!(replayed.len(), 3);
        let tail = log_replay("a", CliKind::Command, &path, 2, usize::MAX).unwrap();
        assert_eq!(tail.len(), 1);
        assert_eq!(tail[0].seq, 3);
    }

    #[test]
    fn the_follower_takes_whole_records_only_and_follows_a_new_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.jsonl");
        std::fs::write(&path, "{\"ts\":1,\"stream\":\"stdout\",\"line\":\"one\"}\n{\"ts\":2,").unwrap();
        let mut follow = LogFollower::at(&path, 0);
        let first = follow.read_new(usize::MAX).unwrap();
        assert_eq!(first.len(), 1, "the record being written is left for later");
        assert_eq!(record_parse(&first[0].bytes).unwrap().line, "one");
        let mut file = File::options().append(true).open(&path).unwrap();
        file.write_all(b"\"stream\":\"stdout\",\"line\":\"two\"}\n").unwrap();
        let second = follow.read_new(usize::MAX).unwrap();
        assert_eq!((second.len(), second[0].offset), (1, first[0].len));
        assert_eq!(record_parse(&second[0].bytes).unwrap().line, "two");
        // Deleted and written anew by the agent's writer: followed from the new file's start.
        std::fs::remove_file(&path).unwrap();
        let mut log = LogWriter::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        log.append_all(&[LogEntry { ts: 3, stream: Stream::Stdout, line: "three".into() }]).unwrap();
        let third: Vec<LogEntry> =
            follow.read_new(usize::MAX).unwrap().iter().map(|r| record_parse(&r.bytes).unwrap()).collect();
        assert_eq!(third.len(), 2, "{third:?}");
        assert!(third[0].line.contains("deleted or replaced"), "a marker first: {third:?}");
        assert_eq!(third[1].line, "three");
    }

    #[test]
    fn a_damaged_record_is_an_error_event_not_output() {
        let damaged = record_parse(b"{\"ts\":1,\"stream\":\"std").unwrap_err();
        assert!(matches!(damaged, AgentEvent::Error { message } if message.contains("damaged record")));
    }

    #[test]
    fn lines_a_full_disk_refused_are_counted_in_a_marker_before_the_next_write() {
        // /dev/full refuses every write with ENOSPC, as a full disk does.
        let Ok(mut log) = LogWriter::open(Path::new("/dev/full")) else { return };
        let entry = LogEntry { ts: 1, stream: Stream::Stdout, line: "x".into() };
        assert!(log.append_all(&[entry.clone(), entry.clone()]).is_err());
        assert_eq!(log.dropped, 2);
        // The same writer on a file with room: the marker comes first.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.jsonl");
        let mut ok = LogWriter::open(&path).unwrap();
        (ok.dropped, ok.drop_reason) = (log.dropped, log.drop_reason.clone());
        ok.append_all(&[entry]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<LogEntry> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(lines[0].line.contains("2 lines of the agent's output could not be written"), "{text}");
        assert_eq!(lines[1].line, "x");
    }
}
