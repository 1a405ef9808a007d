//! A reviewer's verdict: JSON `{"verdict": "approve" | "request_changes", "findings": [...]}`.
//! Models wrap JSON in prose or a code fence; the first JSON object with a `verdict` is taken.
//! Anything else is malformed, with a reason the reviewer is told when asked again.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Approve,
    RequestChanges,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
    /// `error`, `warning` or `note`.
    #[serde(default = "severity_default")]
    pub severity: String,
    pub message: String,
}

fn severity_default() -> String {
    "note".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub verdict: VerdictKind,
    #[serde(default)]
    pub findings: Vec<Finding>,
}

/// The verdict in a reviewer's answer, or why there is none.
pub fn verdict_parse(answer: &str) -> Result<Verdict, String> {
    let mut last_error = String::from("it contains no JSON object");
    for (start, _) in answer.match_indices('{') {
        let mut stream = serde_json::Deserializer::from_str(&answer[start..]).into_iter::<serde_json::Value>();
        let Some(Ok(value)) = stream.next() else { continue };
        if value.get("verdict").is_none() {
            continue;
        }
        match serde_json::from_value::<Verdict>(value) {
            Ok(v) => {
                if v.verdict == VerdictKind::RequestChanges && v.findings.is_empty() {
                    return Err("it requests changes but lists no findings".into());
                }
                return Ok(v);
            }
            Err(e) => last_error = format!("its JSON verdict is not valid: {e}"),
        }
    }
    Err(last_error)
}

/// Findings as a markdown list, for the implementer.
pub fn findings_markdown(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let place = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!("{file}:{line}: "),
                (Some(file), None) => format!("{file}: "),
                _ => String::new(),
            };
            format!("- [{}] {place}{}", f.severity, f.message.trim())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line: the verdict and its findings counted by severity.
pub fn verdict_summary(v: &Verdict) -> String {
    let word = match v.verdict {
        VerdictKind::Approve => "approved",
        VerdictKind::RequestChanges => "changes requested",
    };
    if v.findings.is_empty() {
        return format!("{word}, no findings");
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for f in &v.findings {
        match counts.iter_mut().find(|(s, _)| *s == f.severity) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.severity.clone(), 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!(
        "{word}: {} finding{} ({})",
        v.findings.len(),
        if v.findings.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_is_found_in_prose_and_fences() {
        let v = verdict_parse("Here it is:\n```json\n{\"verdict\": \"approve\", \"findings\": []}\n```").unwrap();
        assert_eq!(v.verdict, VerdictKind::Approve);
        let v = verdict_parse(
            r#"{"verdict":"request_changes","findings":[{"file":"a.rs","line":3,"severity":"error","message":"off by one"}]}"#,
        )
        .unwrap();
        assert_eq!(v.findings[0].line, Some(3));
        assert_eq!(findings_markdown(&v.findings), "- [error] a.rs:3: off by one");
        assert_eq!(verdict_summary(&v), "changes requested: 1 finding (1 error)");
    }

    #[test]
    fn prose_and_bad_json_are_malformed_with_a_reason() {
        assert_eq!(verdict_parse("Looks good to me!").unwrap_err(), "it contains no JSON object");
        assert!(verdict_parse(r#"{"verdict": "maybe"}"#).unwrap_err().contains("not valid"));
        assert!(verdict_parse(r#"{"verdict": "request_changes"}"#).unwrap_err().contains("no findings"));
        assert!(verdict_parse(r#"{"other": 1}"#).is_err());
    }
}
