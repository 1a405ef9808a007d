//! Shared by the stream targets: the input is an agent's output, one line per line, through the
//! same decoder as the live supervisor. Any input must decode without a panic, and every event
//! must serialise (it goes to clients as JSON).

use baton_core::agent::log::{EventDecoder, LogEntry, Stream};
use baton_core::agent::protocol::CliKind;

pub fn decode_all(cli: CliKind, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut decoder = EventDecoder::new(cli);
    for (i, line) in text.lines().enumerate() {
        // Now and then a line on stderr, as real CLIs mix them.
        let stream = if line.len() % 7 == 3 { Stream::Stderr } else { Stream::Stdout };
        let entry = LogEntry { ts: i as i64, stream, line: line.to_owned() };
        for event in decoder.decode(&entry) {
            serde_json::to_string(&event).expect("every event serialises");
        }
    }
}
