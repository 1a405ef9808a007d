// A session's artifacts as the Artifacts tab lists them: all of them (newest first) while the
// search box is empty, else the daemon's full-text hits for the words typed, asked for once the
// typing pauses. Answers may come back out of order: only the one to the latest question is
// kept. Listed artifacts have no body; the viewer reads the one opened (`artifactGet`).

import type { Artifact } from "../bindings/Artifact";
import { BackendError, type Backend } from "./backend";

/** How long typing must pause before the search is sent. */
export const SEARCH_DEBOUNCE_MS = 250;

/** One row of the list: the artifact, and where the words matched (search only). */
export type ArtifactRow = { artifact: Artifact; snippet: string | null };

export class SessionArtifacts {
  /** What the search box holds. */
  query = $state("");
  rows = $state.raw<ArtifactRow[]>([]);
  /** True once a list or search has answered. */
  loaded = $state(false);
  /** A question is on its way (the list shown is the previous answer). */
  busy = $state(false);
  error = $state.raw<BackendError | null>(null);
  /** The words the rows answer (empty: the whole list). */
  shownQuery = $state("");

  private readonly backend: Backend;
  private closed = false;
  private asks = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(backend: Backend, readonly sessionId: string) {
    this.backend = backend;
  }

  /** The box changed: search once typing pauses (an emptied box lists everything at once). */
  queryChange(query: string): void {
    this.query = query;
    clearTimeout(this.timer);
    if (query.trim() === "") void this.refresh();
    else this.timer = setTimeout(() => void this.refresh(), SEARCH_DEBOUNCE_MS);
  }

  /** Asks now for what the box says (first, after a reconnect, when new artifacts may exist). */
  async refresh(): Promise<void> {
    clearTimeout(this.timer);
    const ask = ++this.asks;
    const words = this.query.trim();
    this.busy = true;
    try {
      const rows: ArtifactRow[] =
        words === ""
          ? (await this.backend.artifactList({ session: this.sessionId })).map((artifact) => ({ artifact, snippet: null }))
          : (await this.backend.artifactSearch({ q: words, session: this.sessionId })).map((h) => ({ artifact: h.artifact, snippet: h.snippet }));
      if (this.closed || ask !== this.asks) return;
      this.rows = rows;
      this.shownQuery = words;
      this.error = null;
    } catch (err) {
      if (this.closed || ask !== this.asks) return;
      this.error = BackendError.from(err);
    } finally {
      if (!this.closed && ask === this.asks) {
        this.busy = false;
        this.loaded = true;
      }
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

/** A search snippet in parts, the matched words (between `[` and `]`) marked as hits. */
export function snippetParts(snippet: string): { text: string; hit: boolean }[] {
  const parts: { text: string; hit: boolean }[] = [];
  const re = /\[([^\[\]]*)\]/g;
  let at = 0;
  for (let m = re.exec(snippet); m; m = re.exec(snippet)) {
    if (m.index > at) parts.push({ text: snippet.slice(at, m.index), hit: false });
    if (m[1] !== "") parts.push({ text: m[1]!, hit: true });
    at = m.index + m[0].length;
  }
  if (at < snippet.length) parts.push({ text: snippet.slice(at), hit: false });
  return parts;
}
