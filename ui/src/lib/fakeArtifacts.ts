// Artifacts as FakeBackend keeps them: the one-line summary the engine makes from a text
// (`summary_line` in `artifact.rs`), and search by substring standing in for SQLite FTS5, with
// a snippet of the body around the first match, the matched words between `[` and `]` as the
// daemon sends them.

import type { Artifact } from "../bindings/Artifact";
import type { ArtifactHit } from "../bindings/ArtifactHit";

/** One line of `text` for display: its first line with words (headings unmarked), cut at `max`. */
export function summaryLine(text: string, max: number): string {
  const line =
    text
      .split("\n")
      .map((l) => l.trim().replace(/^#+/, "").trim())
      .find((l) => /[\p{L}\p{N}]/u.test(l)) ?? "";
  const chars = [...line];
  if (chars.length <= max) return line;
  return `${chars.slice(0, Math.max(0, max - 1)).join("").trimEnd()}…`;
}

/** The words of a search, as the daemon splits them (on white space); empty when there are none. */
export function searchWords(query: string): string[] {
  return query.split(/\s+/).filter((w) => w !== "");
}

/** The artifacts that hold every word (case-insensitive) in their title, summary or body. */
export function artifactSearch(artifacts: readonly Artifact[], words: readonly string[], limit: number): ArtifactHit[] {
  const lower = words.map((w) => w.toLowerCase());
  const hits: ArtifactHit[] = [];
  for (const a of artifacts) {
    const text = `${a.title}\n${a.summary}\n${a.body}`.toLowerCase();
    if (!lower.every((w) => text.includes(w))) continue;
    hits.push({ artifact: { ...a, body: "" }, snippet: snippet(a.body, lower) });
    if (hits.length >= limit) break;
  }
  return hits;
}

/** About a dozen words of `body` around the first match, matches bracketed, cuts marked `…`. */
function snippet(body: string, words: readonly string[], around = 12): string {
  const tokens = body.split(/\s+/).filter((t) => t !== "");
  const hit = (t: string) => words.some((w) => t.toLowerCase().includes(w));
  const first = Math.max(0, tokens.findIndex(hit));
  const start = Math.max(0, first - Math.floor(around / 3));
  const shown = tokens.slice(start, start + around).map((t) => (hit(t) ? bracket(t, words) : t));
  return `${start > 0 ? "…" : ""}${shown.join(" ")}${start + around < tokens.length ? "…" : ""}`;
}

/** The matched parts of one token between brackets ("retryPolicy" for "retry": "[retry]Policy"). */
function bracket(token: string, words: readonly string[]): string {
  const lower = token.toLowerCase();
  const marks = new Array<boolean>(token.length).fill(false);
  for (const w of words) {
    for (let at = lower.indexOf(w); at >= 0 && w !== ""; at = lower.indexOf(w, at + w.length)) {
      for (let i = at; i < at + w.length; i++) marks[i] = true;
    }
  }
  let out = "";
  for (let i = 0; i < token.length; i++) {
    if (marks[i] && !marks[i - 1]) out += "[";
    out += token[i];
    if (marks[i] && !marks[i + 1]) out += "]";
  }
  return out;
}
