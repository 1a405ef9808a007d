// The sessions the UI knows about, merged from three sources that can arrive in any order:
// the full list, replies to our own calls, and events from the daemon (ours and other
// clients'). Everything is an upsert by id where the newer `updatedAt` wins, so a reply and the
// event for the same change never make two rows, and a stale reply never undoes a newer event.

import type { EngineEvent } from "../bindings/EngineEvent";
import type { Session } from "../bindings/Session";
import { parseTimestamp } from "./time";

export class SessionStore {
  private byId = $state<Record<string, Session>>({});

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
    const known = this.byId[session.id];
    if (known && time(known.updatedAt) > time(session.updatedAt)) return;
    this.byId[session.id] = session;
  }

  /** Merge a full list. The daemon never deletes sessions, so nothing known is dropped. */
  merge(sessions: Session[]): void {
    for (const s of sessions) this.upsert(s);
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
