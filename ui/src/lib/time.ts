// The engine sends RFC 3339 timestamps, possibly with nanoseconds ("...:05.123456789Z").
// Not every web view's Date parses more than three fractional digits, so cut them first.

/** Milliseconds since the epoch, or NaN when the text is not a timestamp. */
export function parseTimestamp(rfc3339: string): number {
  return Date.parse(rfc3339.replace(/(\.\d{3})\d+/, "$1"));
}

/**
 * Local date and time as two parts ("Nov 21, 2026" and "7:12 PM" in en-US), so a narrow
 * column can break between them; `null` when the text cannot be read.
 */
export function localDateTimeParts(rfc3339: string): { date: string; time: string } | null {
  const t = parseTimestamp(rfc3339);
  if (Number.isNaN(t)) return null;
  const at = new Date(t);
  return {
    date: at.toLocaleDateString(undefined, { dateStyle: "medium" }),
    time: at.toLocaleTimeString(undefined, { timeStyle: "short" }),
  };
}
