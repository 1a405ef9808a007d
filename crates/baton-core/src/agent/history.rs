//! An agent's history read from its log at any place, without decoding it from the start each
//! time. Decoding is stateful (a parser remembers tool calls, the turn's cost...), so each agent
//! keeps seek points: every [`SEEK_EVERY`] events, the offset of a line, the number of events
//! before it and a copy of the decoder there. A page of the history (the newest events for a lane
//! opened on a long history, or the page before one already shown) then decodes at most
//! [`SEEK_EVERY`] events more than it returns. A log is only appended to, so a point stays true
//! for the agent's life; the first read of an agent walks its log once to lay them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::event::AgentEvent;
use super::log::{AgentEventRecord, EventDecoder, LogEntry};
use super::protocol::CliKind;

/// Events between two seek points: what a page decodes at most beyond what it returns.
const SEEK_EVERY: u64 = 2_000;

/// A line of the log where decoding can start.
struct Point {
    /// Byte offset of the line.
    offset: u64,
    /// Events decoded before this line.
    seq: u64,
    decoder: EventDecoder,
}

impl Point {
    fn start(cli: CliKind) -> Self {
        Self { offset: 0, seq: 0, decoder: EventDecoder::new(cli) }
    }

    fn copy(&self) -> Self {
        Self { offset: self.offset, seq: self.seq, decoder: self.decoder.snapshot() }
    }
}

/// One agent's seek points, and how far its log has been read (the start of the first line not
/// read whole).
struct Table {
    points: Vec<Point>,
    end: Point,
}

/// The seek points of every agent read so far.
#[derive(Default)]
pub(crate) struct Histories {
    tables: Mutex<HashMap<String, Arc<Mutex<Table>>>>,
}

/// Which events of a history: after a seq, or the newest ones before a seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    /// Events after this seq (exclusive), oldest first.
    After(u64),
    /// The newest events after `after` and before `before` (both exclusive), oldest first.
    Before { after: u64, before: u64 },
}

impl Histories {
    /// Up to `limit` events of the agent's history, oldest first.
    pub(crate) fn page(
        &self,
        agent_id: &str,
        cli: CliKind,
        path: &Path,
        page: Page,
        limit: usize,
    ) -> std::io::Result<Vec<AgentEventRecord>> {
        let table = self.table(agent_id, cli);
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        let (after, before) = match page {
            Page::After(after) => (after, u64::MAX),
            Page::Before { after, before } => {
                // How many events there are is known once the log is read to its end.
                let mut end = table.end.copy();
                walk(path, &mut end, &mut table.points, |_| true)?;
                table.end = end;
                let upper = before.min(table.end.seq + 1);
                (after.max(upper.saturating_sub(limit as u64 + 1)), upper)
            }
        };
        let mut out = Vec::new();
        if limit == 0 || after.saturating_add(1) >= before {
            return Ok(out);
        }
        // The last point from which the first wanted event is still ahead.
        let from = match table.points.iter().rev().find(|p| p.seq <= after) {
            Some(p) => p.copy(),
            None => Point::start(cli),
        };
        let mut at = from;
        walk(path, &mut at, &mut table.points, |record| {
            if record.seq >= before {
                return false;
            }
            if record.seq > after {
                out.push(AgentEventRecord { agent_id: agent_id.to_owned(), ..record });
            }
            out.len() < limit
        })?;
        if at.offset > table.end.offset {
            table.end = at;
        }
        Ok(out)
    }

    /// How many events the agent's log holds.
    pub(crate) fn count(&self, agent_id: &str, cli: CliKind, path: &Path) -> std::io::Result<u64> {
        let before = Page::Before { after: 0, before: u64::MAX };
        // A page of none reads the log to its end and decodes nothing more.
        self.page(agent_id, cli, path, before, 0)?;
        let table = self.table(agent_id, cli);
        let table = table.lock().unwrap_or_else(|p| p.into_inner());
        Ok(table.end.seq)
    }

    fn table(&self, agent_id: &str, cli: CliKind) -> Arc<Mutex<Table>> {
        let mut tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        tables
            .entry(agent_id.to_owned())
            .or_insert_with(|| Arc::new(Mutex::new(Table { points: Vec::new(), end: Point::start(cli) })))
            .clone()
    }
}

impl crate::engine::Engine {
    /// Reads the logs of the agents in use once, in the background, so that the seek points are
    /// laid before a lane first asks for a page (the first read of a long log walks all of it).
    /// Nothing waits for it; a read meanwhile lays the points itself.
    pub(crate) fn histories_warm(&self) {
        let Ok(agents) = self.agent_list_select(None, false) else { return };
        let histories = self.inner.histories.clone();
        let logs: Vec<(String, CliKind, std::path::PathBuf)> =
            agents.into_iter().map(|a| (a.id, a.cli, std::path::PathBuf::from(a.log_path))).collect();
        let warm = std::thread::Builder::new().name("baton-history".into()).spawn(move || {
            for (id, cli, path) in logs {
                if let Err(e) = histories.count(&id, cli, &path) {
                    tracing::debug!(agent = %id, "cannot read the agent's log ahead: {e}");
                }
            }
        });
        if let Err(e) = warm {
            tracing::warn!("the agents' histories are read on first use: {e}");
        }
    }
}

/// Decodes the log from `at` on, giving each event to `visit` until it returns false or the log
/// ends. `at` moves past each whole line read; points are laid past the last one on the way. A
/// line not ended yet (a write in progress) is decoded by a copy of the decoder, and a page
/// stops before it (its events are counted once the line is whole).
fn walk(
    path: &Path,
    at: &mut Point,
    points: &mut Vec<Point>,
    mut visit: impl FnMut(AgentEventRecord) -> bool,
) -> std::io::Result<()> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    file.seek(SeekFrom::Start(at.offset))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        let next_point = points.last().map_or(SEEK_EVERY, |p| p.seq + SEEK_EVERY);
        if at.seq >= next_point && points.last().is_none_or(|p| p.offset < at.offset) {
            points.push(at.copy());
        }
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let whole = line.last() == Some(&b'\n');
        let text = if whole { &line[..line.len() - 1] } else { &line[..] };
        // A line still being written is decoded by a copy: `at` stays before it.
        let mut cut = (!whole).then(|| at.decoder.snapshot());
        let decoder = cut.as_mut().unwrap_or(&mut at.decoder);
        let (ts, events) = match serde_json::from_slice::<LogEntry>(text) {
            Ok(entry) => (entry.ts, decoder.decode(&entry)),
            Err(_) => (0, vec![AgentEvent::Raw { line: String::from_utf8_lossy(text).into_owned() }]),
        };
        let first = at.seq;
        let count = events.len() as u64;
        let mut go_on = true;
        for (i, event) in events.into_iter().enumerate() {
            let record = AgentEventRecord { agent_id: String::new(), seq: first + i as u64 + 1, ts, event };
            if !visit(record) {
                go_on = false;
                break;
            }
        }
        if !whole {
            return Ok(());
        }
        // `at.decoder` is past this line, so `at` must be too, even if `visit` did not take every
        // event of it.
        at.offset += line.len() as u64;
        at.seq = first + count;
        if !go_on {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::agent::log::{LogWriter, Note, Stream, log_replay};

    /// A Claude log of `turns` turns, each a recorded transcript with a subagent (parser state
    /// that spans lines: tool calls, tasks) and a message from the user between them.
    fn claude_log(path: &Path, turns: usize) {
        let transcript = include_str!("../../tests/fixtures/transcripts/claude_subagent.jsonl");
        let mut log = LogWriter::open(path).unwrap();
        let note = |n: &Note| LogEntry { ts: 1, stream: Stream::Baton, line: serde_json::to_string(n).unwrap() };
        log.append_all(&[note(&Note::ProcessStarted { pid: 1, program: "claude".into(), args: vec![] })]).unwrap();
        for turn in 0..turns {
            let mut entries = vec![note(&Note::UserMessage { text: format!("turn {turn}"), from: None, sent: None })];
            entries.extend(transcript.lines().map(|l| LogEntry {
                ts: turn as i64,
                stream: Stream::Stdout,
                line: l.into(),
            }));
            log.append_all(&entries).unwrap();
        }
    }

    /// The transcript's first line: Claude's `system/init`, a session started.
    fn first_line() -> &'static str {
        include_str!("../../tests/fixtures/transcripts/claude_subagent.jsonl").lines().next().unwrap()
    }

    fn replay(path: &Path) -> Vec<AgentEventRecord> {
        log_replay("a", CliKind::Claude, path, 0, usize::MAX).unwrap()
    }

    #[test]
    fn every_page_is_what_a_replay_from_the_start_gives() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.jsonl");
        claude_log(&path, 400);
        let all = replay(&path);
        let n = all.len() as u64;
        assert!(n > 3 * SEEK_EVERY, "the log crosses several seek points ({n} events)");
        let histories = Histories::default();

        // The tail first, as a lane opens, then the pages before it down to the first event.
        let mut before = u64::MAX;
        let mut pages = Vec::new();
        loop {
            let page = histories.page("a", CliKind::Claude, &path, Page::Before { after: 0, before }, 1_500).unwrap();
            if page.is_empty() {
                break;
            }
            before = page[0].seq;
            pages.push(page);
        }
        let read: Vec<AgentEventRecord> = pages.into_iter().rev().flatten().collect();
        assert_eq!(read, all);

        // Pages after a seq, from anywhere, including from past the seek points laid.
        for after in [0, 1, SEEK_EVERY - 1, SEEK_EVERY, 2 * SEEK_EVERY + 7, n - 3, n] {
            let page = histories.page("a", CliKind::Claude, &path, Page::After(after), 2_500).unwrap();
            let want: Vec<_> = all.iter().filter(|r| r.seq > after).take(2_500).cloned().collect();
            assert_eq!(page, want, "after {after}");
        }
        // Between two seqs: the newest ones.
        let page = histories.page("a", CliKind::Claude, &path, Page::Before { after: 10, before: 20 }, 5).unwrap();
        assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![15, 16, 17, 18, 19]);
        assert_eq!(histories.count("a", CliKind::Claude, &path).unwrap(), n);
    }

    #[test]
    fn a_line_being_written_is_read_once_it_is_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.jsonl");
        claude_log(&path, 3);
        let histories = Histories::default();
        let tail = |h: &Histories| {
            h.page("a", CliKind::Claude, &path, Page::Before { after: 0, before: u64::MAX }, 100_000).unwrap()
        };
        assert_eq!(tail(&histories), replay(&path));

        // Half a line (a write in progress): not part of the history yet.
        let whole_before = replay(&path);
        let line = serde_json::to_vec(&LogEntry { ts: 9, stream: Stream::Stdout, line: first_line().into() }).unwrap();
        let mut file = File::options().append(true).open(&path).unwrap();
        file.write_all(&line[..10]).unwrap();
        assert_eq!(tail(&histories), whole_before);
        file.write_all(&line[10..]).unwrap();
        file.write_all(b"\n").unwrap();
        let whole = tail(&histories);
        assert_eq!(whole, replay(&path));
        assert!(
            matches!(whole.last().unwrap().event, AgentEvent::SessionStarted { .. }),
            "the whole line is decoded afresh"
        );
        // And another reader of the same log agrees.
        assert_eq!(tail(&Histories::default()), whole);
    }

    #[test]
    fn a_missing_log_is_an_empty_history() {
        let histories = Histories::default();
        let path = Path::new("/nonexistent/a.jsonl");
        assert!(
            histories
                .page("a", CliKind::Claude, path, Page::Before { after: 0, before: u64::MAX }, 10)
                .unwrap()
                .is_empty()
        );
        assert_eq!(histories.count("a", CliKind::Claude, path).unwrap(), 0);
    }
}
