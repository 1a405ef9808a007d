// An agent's history as the rows a lane shows. Records arrive in seq order from two places (the
// history endpoint and the live stream) that overlap; rows are built incrementally, so appending
// a few records to 100,000 costs a few records. Kept outside Svelte's reactivity on purpose: the
// owner bumps a version counter instead of making each event a reactive proxy.
// A subagent's events (`nested`, under the tool call that started it) are not rows of the lane:
// they become rows of their own under that call's row, folded there.

import type { AgentEvent } from "../bindings/AgentEvent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";

export type EventRow = {
  /** The seq of the row's first record: stable while the row grows, so it keys the row. */
  key: number;
  ts: number;
  /** For streamed text, the pieces joined into one `text` event (still `delta: true`). */
  event: AgentEvent;
  /** What the subagents started by this tool call did, as rows of their own. */
  nested?: EventRows;
};

/** What stops a streamed message: the turn moved on. Raw lines, stderr and notices do not. */
const ENDS_STREAM = new Set<AgentEvent["kind"]>([
  "checkpoint",
  "user_text",
  "tool_call",
  "tool_result",
  "file_change",
  "command",
  "permission_denied",
  "turn_completed",
  "error",
  "exited",
]);

export class EventRows {
  /** Mutated in place (never replaced), so a list holding it always sees the current rows. */
  readonly rows: EventRow[] = [];
  lastSeq = 0;
  /** The first seq held (0 while empty): a history read from its end starts past 1. */
  firstSeq = 0;
  /** The records the rows were built from, kept so older ones can go in front (`prepend`). */
  private records: AgentEventRecord[] = [];
  /** The row of the message being streamed (`delta` pieces), while the turn has not moved on. */
  private streamed: number | null = null;
  /** Rows of commands reported started, by command id: their end updates them in place. */
  private running = new Map<string, number>();
  /** Rows of tool calls, by call id: a subagent's events go under theirs. */
  private calls = new Map<string, number>();

  /**
   * Appends records in seq order. Seqs already seen are skipped (the history and the stream
   * overlap). A record after a missing seq is not applied: returns false, and the caller
   * fetches the history from `lastSeq`. `gapsAllowed` for pages of the history itself.
   */
  append(records: readonly AgentEventRecord[], gapsAllowed = false): boolean {
    for (const record of records) {
      if (record.seq <= this.lastSeq) continue;
      if (!gapsAllowed && record.seq !== this.lastSeq + 1) return false;
      if (this.firstSeq === 0) this.firstSeq = record.seq;
      this.lastSeq = record.seq;
      this.records.push(record);
      this.add(record);
    }
    return true;
  }

  /**
   * Puts older records (the page before `firstSeq`, in seq order) in front. The rows are built
   * again from every record, so a streamed message, a command or a subagent's call that spans
   * the two pages is one row, exactly as if the history had been read from its start.
   */
  prepend(older: readonly AgentEventRecord[]): void {
    const before = this.firstSeq === 0 ? Infinity : this.firstSeq;
    const fresh = older.filter((r) => r.seq < before);
    if (fresh.length === 0) return;
    const records = [...fresh, ...this.records];
    this.clear();
    this.append(records, true);
  }

  /** Forget everything (the agent's history is read again from the start). */
  clear(): void {
    this.rows.length = 0;
    this.lastSeq = 0;
    this.firstSeq = 0;
    this.records = [];
    this.streamed = null;
    this.running.clear();
    this.calls.clear();
  }

  private add(record: AgentEventRecord): void {
    const event = record.event;
    if (event.kind === "nested") {
      this.nestedAdd(record, event.parent_tool_use_id, event.event);
      return;
    }
    const last = this.rows.length - 1;
    if (event.kind === "text") {
      const open = this.streamed === null ? undefined : this.rows[this.streamed];
      if (event.delta && open && this.streamed === last && open.event.kind === "text") {
        // Consecutive pieces of one message: one row, replaced so the list sees it changed.
        this.rows[last] = { ...open, event: { kind: "text", text: open.event.text + event.text, delta: true } };
        return;
      }
      if (!event.delta && open && open.event.kind === "text" && open.event.text.trim() === event.text.trim()) {
        // The whole message after its pieces (Claude with partial messages): not twice.
        this.rows[this.streamed!] = { ...open, event };
        this.streamed = null;
        return;
      }
      this.rows.push({ key: record.seq, ts: record.ts, event });
      this.streamed = event.delta ? this.rows.length - 1 : null;
      return;
    }
    if (ENDS_STREAM.has(event.kind)) this.streamed = null;
    if (event.kind === "command") {
      // One row per command, as a terminal shows it: "running…", then its exit code.
      const at = this.running.get(event.id);
      if (at !== undefined && event.status !== "started") {
        this.running.delete(event.id);
        this.rows[at] = { ...this.rows[at]!, event };
        return;
      }
      if (event.status === "started") this.running.set(event.id, this.rows.length);
    }
    if (event.kind === "tool_call") this.calls.set(event.id, this.rows.length);
    this.rows.push({ key: record.seq, ts: record.ts, event });
  }

  /**
   * A subagent's event goes under the row of the call that started it (replaced, so the list
   * sees it changed). Without that row (history read from the middle), it is a row of its own,
   * still marked `nested`.
   */
  private nestedAdd(record: AgentEventRecord, parent: string, inner: AgentEvent): void {
    const at = this.calls.get(parent);
    if (at === undefined) {
      this.rows.push({ key: record.seq, ts: record.ts, event: record.event });
      return;
    }
    const row = this.rows[at]!;
    const nested = row.nested ?? new EventRows();
    nested.append([{ ...record, event: inner }], true);
    this.rows[at] = { ...row, nested };
  }
}
