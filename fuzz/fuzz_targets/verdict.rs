#![no_main]
//! Any reviewer's answer gives a verdict or a reason it is not one; a verdict summarises.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(v) = baton_core::coordinator::verdict::verdict_parse(&text) {
        let _ = baton_core::coordinator::verdict::verdict_summary(&v);
        let _ = baton_core::coordinator::verdict::findings_markdown(&v.findings);
    }
});
