#![no_main]
//! Any settings file is read or refused with an error that names the file.

use std::path::Path;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = baton_core::settings::Settings::from_text(Path::new("settings.json"), text) {
        assert!(e.to_string().contains("settings.json"), "{e}");
    }
});
