#![no_main]

#[path = "stream.rs"]
mod stream;

libfuzzer_sys::fuzz_target!(|data: &[u8]| stream::decode_all(baton_core::agent::protocol::CliKind::Gemini, data));
