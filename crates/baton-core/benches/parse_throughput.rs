//! How fast each CLI's stdout parser turns lines into events, against the floor of just moving
//! the same bytes through a pipe.
//!
//! `cargo bench -p baton-core --bench parse_throughput` (release build). For each CLI its main
//! recorded transcript is repeated to about 50 MB and parsed line by line by one parser (as one
//! long process's stdout); printed: events/s and MB/s. The limit printed next to it is the same
//! bytes written through `cat` (spawned, fed from one thread, drained by another): an agent's
//! output can never arrive faster than a pipe carries it.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::agent::protocol::CliKind;

const TARGET_BYTES: usize = 50 << 20;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts");
    for (kind, file) in [
        (CliKind::Claude, "claude_stream.jsonl"),
        (CliKind::Codex, "codex_stream.jsonl"),
        (CliKind::Gemini, "gemini_stream.jsonl"),
    ] {
        let transcript = std::fs::read_to_string(dir.join(file)).expect("transcript");
        let data = scaled(&transcript);
        let mb = data.len() as f64 / 1e6;

        let mut parser = kind.protocol().parser();
        let (mut lines, mut events) = (0usize, 0usize);
        let start = Instant::now();
        for line in data.lines() {
            events += std::hint::black_box(parser.parse(line)).len();
            lines += 1;
        }
        let parse = start.elapsed();

        let pipe = through_cat(data.as_bytes());
        println!(
            "{:<7} {file:<20} {mb:6.1} MB {lines:>8} lines {events:>8} events | parse {:>7.3} s {:>10.0} events/s {:>7.1} MB/s | cat pipe {:>7.3} s {:>7.1} MB/s",
            kind.as_str(),
            parse.as_secs_f64(),
            events as f64 / parse.as_secs_f64(),
            mb / parse.as_secs_f64(),
            pipe.as_secs_f64(),
            mb / pipe.as_secs_f64(),
        );
    }
}

/// The transcript's lines repeated until about [`TARGET_BYTES`].
fn scaled(transcript: &str) -> String {
    let mut text = String::with_capacity(TARGET_BYTES + transcript.len());
    while text.len() < TARGET_BYTES {
        for line in transcript.lines() {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// Time to write `bytes` into `cat` and read them all back out.
fn through_cat(bytes: &[u8]) -> Duration {
    let start = Instant::now();
    let mut cat = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("spawn cat");
    let mut stdin = cat.stdin.take().expect("stdin");
    let mut stdout = cat.stdout.take().expect("stdout");
    let read = std::thread::scope(|s| {
        s.spawn(move || stdin.write_all(bytes).expect("write to cat"));
        let reader = s.spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            let mut total = 0usize;
            loop {
                match stdout.read(&mut buf).expect("read from cat") {
                    0 => break total,
                    n => total += n,
                }
            }
        });
        reader.join().expect("reader")
    });
    cat.wait().expect("wait for cat");
    assert_eq!(read, bytes.len(), "cat lost bytes");
    start.elapsed()
}
