// A session's context as the UI shows it: objectives, pending and answered decisions, insights
// (and the rest of the session's status), read from the daemon and read again on each
// `context_updated` event of the session and after a reconnect. Replies to this window's own
// changes show at once; the read that follows the change's event confirms them. Reads may come
// back out of order: only the answer to the latest one is kept.

import type { Decision } from "../bindings/Decision";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { Insight } from "../bindings/Insight";
import type { Objective } from "../bindings/Objective";
import type { SessionStatus } from "../bindings/SessionStatus";
import { BackendError, type Backend } from "./backend";

export class SessionContext {
  status = $state.raw<SessionStatus | null>(null);
  /** Why the context could not be read (e.g. a daemon without it). */
  error = $state.raw<BackendError | null>(null);

  readonly objectives: Objective[] = $derived(this.status?.objectives ?? []);
  readonly decisions: Decision[] = $derived(this.status?.decisions ?? []);
  readonly insights: Insight[] = $derived(this.status?.insights ?? []);
  /** Questions the session waits on: the coordinator cannot complete while there are any. */
  readonly pending: number = $derived(this.decisions.filter((d) => d.state === "pending").length);

  private readonly backend: Backend;
  private closed = false;
  /** The number of the latest read; older answers are dropped. */
  private reads = 0;

  constructor(backend: Backend, readonly sessionId: string) {
    this.backend = backend;
  }

  /** True once a read has answered (with the status or an error). */
  get loaded(): boolean {
    return this.status !== null || this.error !== null;
  }

  async load(): Promise<void> {
    const read = ++this.reads;
    try {
      const status = await this.backend.sessionStatus(this.sessionId);
      if (this.closed || read !== this.reads) return;
      this.status = status;
      this.error = null;
    } catch (err) {
      if (!this.closed && read === this.reads) this.error = BackendError.from(err);
    }
  }

  apply(events: readonly EngineEvent[]): void {
    if (events.some((e) => e.type === "context_updated" && e.sessionId === this.sessionId)) void this.load();
  }

  /** An objective from a reply: added, or its state changed. */
  objectiveApply(objective: Objective): void {
    this.listApply("objectives", objective);
  }

  decisionApply(decision: Decision): void {
    this.listApply("decisions", decision);
  }

  insightApply(insight: Insight): void {
    this.listApply("insights", insight);
  }

  close(): void {
    this.closed = true;
  }

  private listApply<K extends "objectives" | "decisions" | "insights">(key: K, item: SessionStatus[K][number]): void {
    if (this.closed || !this.status) return;
    const list = this.status[key] as { id: string }[];
    const i = list.findIndex((x) => x.id === item.id);
    const next = i < 0 ? [...list, item] : list.map((x, j) => (j === i ? item : x));
    this.status = { ...this.status, [key]: next };
  }
}
