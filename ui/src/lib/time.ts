// The engine sends RFC 3339 timestamps, possibly with nanoseconds ("...:05.123456789Z").
// Not every web view's Date parses more than three fractional digits, so cut them first.

/** Milliseconds since the epoch, or NaN when the text is not a timestamp. */
export function parseTimestamp(rfc3339: string): number {
  return Date.parse(rfc3339.replace(/(\.\d{3})\d+/, "$1"));
}

/** Local date and time, e.g. "21 Nov 2026, 20:05"; the text itself when it cannot be read. */
export function formatLocalDateTime(rfc3339: string): string {
  const t = parseTimestamp(rfc3339);
  if (Number.isNaN(t)) return rfc3339;
  return new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
