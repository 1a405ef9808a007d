#![no_main]
//! Any template file is read or refused with an error that names the file.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = baton_core::pattern::template_parse("fuzz.toml", text) {
        assert!(e.to_string().contains("fuzz.toml"), "{e}");
    }
});
