// The sessions the UI knows about, merged from three sources that can arrive in any order:
// the full list, replies to our own calls, and events from the daemon (ours and other
// clients'). Everything is an upsert by id where the newer `updatedAt` wins, so a reply and the
// event for the same change never make two rows, and a stale reply never undoes a newer event.

import type { EngineEvent } from "../bindings/EngineEvent";
import type { Session } from "../bindings/Session";
import { parseTimestamp } from "./time";

export class SessionStore {
  private byId = $state<Record<string, Session>>({});
  /** After `beginReplace`: ids heard of since, which the next `merge` keeps. */
  private sinceReplace: Set<string> | null = null;

  /** Newest first; ties (same createdAt) broken by id so the order is stable. */
  readonly all: Session[] = $derived(
    Object.values(this.byId).sort(
      (a, b) => time(b.createdAt) - time(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    ),
  );

  get size(): number {
    return this.all.length;
  }

  upsert(session: Session): void {
    this.sinceReplace?.add(session.id);
    const known = this.byId[session.id];
    if (known && time(known.updatedAt) > time(session.updatedAt)) return;
    this.byId[session.id] = session;
  }

  /**
   * Merge a full list. The daemon never deletes sessions, so nothing known is dropped; except
   * after `beginReplace`, when rows this list lacks go (unless heard of since).
   */
  merge(sessions: Session[]): void {
    const keep = this.sinceReplace;
    if (keep) {
      this.sinceReplace = null;
      this.byId = Object.fromEntries(Object.entries(this.byId).filter(([id]) => keep.has(id)));
    }
    for (const s of sessions) this.upsert(s);
  }

  /**
   * The list now comes from another daemon (it restarted, maybe on another home): the next
   * `merge` replaces. Until then the rows stay shown, and what arrives meanwhile (events from the
   * new daemon) is kept, since its list may have been read before those changes.
   */
  beginReplace(): void {
    this.sinceReplace = new Set();
  }

  apply(events: EngineEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case "session_created":
        case "session_updated":
          this.upsert(event.session);
          break;
        default:
          // An event type from a newer daemon: nothing here shows it yet.
          break;
      }
    }
  }
}

function time(rfc3339: string): number {
  const t = parseTimestamp(rfc3339);
  return Number.isNaN(t) ? 0 : t;
}
