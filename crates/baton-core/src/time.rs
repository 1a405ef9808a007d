//! Time as the store keeps it (milliseconds since the epoch) and as clients see it (RFC 3339).

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Milliseconds since the epoch as an RFC 3339 UTC string with millisecond precision.
pub fn ms_to_rfc3339(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => format!("{ts:.3}"),
        Err(_) => String::from("invalid-time"),
    }
}

/// An RFC 3339 time back to milliseconds since the epoch.
pub fn rfc3339_to_ms(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}
