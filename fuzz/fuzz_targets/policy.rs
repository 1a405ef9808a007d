#![no_main]
//! Any policy file is read or refused; a policy read decides on any command without a panic,
//! and a command it denies is denied whatever the tool's allowance.
//! The input is the file, then a line `---`, then the command.

use baton_core::policy::{Policy, Verdict, claude_disallowed, tool_decide};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (file, command) = text.split_once("\n---\n").unwrap_or((text, "git push origin main"));
    let Ok(mut policy) = Policy::parse(file) else { return };
    let _ = claude_disallowed(&policy);
    let input = serde_json::json!({ "command": command });
    let verdict = tool_decide(&policy, "Bash", &input);
    if matches!(verdict, Verdict::Deny(_)) {
        policy.allow_tools.push("*".into());
        assert!(matches!(tool_decide(&policy, "Bash", &input), Verdict::Deny(_)), "an allowance beat a denial");
    }
});
