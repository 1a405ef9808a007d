//! How a report writes numbers and times, the same in Markdown and HTML.

use super::model::Spend;

/// A length of time, coarse enough to read: `0.4s`, `45s`, `3m 05s`, `2h 07m`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if (100..10_000).contains(&ms) && ms % 1000 != 0 {
        // Tenths, rounded down like the rest, so a short run does not read as all "0s".
        return format!("{}.{}s", ms / 1000, (ms % 1000) / 100);
    }
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A time relative to the session's start: `+3m 05s`.
pub fn offset(at: i64, start: i64) -> String {
    format!("+{}", duration(at - start))
}

/// `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `$1.25`, or `~$1.25` when part of it is an estimate.
pub fn cost(s: &Spend) -> String {
    format!("{}${:.2}", if s.estimate { "~" } else { "" }, s.cost_usd.max(0.0))
}

/// Input and output tokens, and the cache's when there were any: `1,200 in / 340 out`.
pub fn tokens(s: &Spend) -> String {
    let u = &s.usage;
    let mut out = format!("{} in / {} out", count(u.input), count(u.output));
    if u.cache_read + u.cache_write > 0 {
        out.push_str(&format!(" / {} cached", count(u.cache_read + u.cache_write)));
    }
    out
}

/// Text for HTML: the five characters that could change its meaning, escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for one Markdown table cell or list item: one line, no column breaks.
pub fn cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_read_as_people_write_them() {
        assert_eq!(duration(45_900), "45s");
        assert_eq!(duration(450), "0.4s");
        assert_eq!(duration(40), "0s");
        assert_eq!(duration(3_000), "3s");
        assert_eq!(duration(1_999), "1.9s");
        assert_eq!(duration(185_000), "3m 05s");
        assert_eq!(duration(7_620_000), "2h 07m");
        assert_eq!(offset(1_000, 61_000 - 60_000), "+0s");
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(123), "123");
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }
}
