// A session's coordinator as the UI follows it: how many cycles ran and the last one (with the
// completion criteria it checked), from the daemon's status, the replies to Run and Pause, and
// `coordinator_cycle` events, in whatever order they arrive: the cycle with the higher number
// wins, so a stale reply never hides a newer cycle. Whether it runs is the session's own
// `coordinator` field, which the session view already follows (newest `updatedAt` wins).
// Task progress ("3 of 5 tasks done") is counted by the daemon: its status is read again when a
// task of the session changes (one read at a time; changes during a read ask for one more).

import type { CoordinatorState } from "../bindings/CoordinatorState";
import type { CoordinatorStatus } from "../bindings/CoordinatorStatus";
import type { Criteria } from "../bindings/Criteria";
import type { Cycle } from "../bindings/Cycle";
import type { CycleSummary } from "../bindings/CycleSummary";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { TaskProgress } from "../bindings/TaskProgress";
import { BackendError, type Backend } from "./backend";

export class SessionCoordinator {
  /** Cycles run so far. */
  cycles = $state(0);
  last = $state.raw<Cycle | null>(null);
  /** The session's tasks by state, as the daemon counted them; null before the first read. */
  progress = $state.raw<TaskProgress | null>(null);
  /** True once the status has been read. */
  loaded = $state(false);
  /** Why the status could not be read (e.g. a daemon without a coordinator). */
  error = $state.raw<BackendError | null>(null);

  private readonly backend: Backend;
  private closed = false;
  /** A read is under way; `again`: tasks changed during it, read once more after it. */
  private reading: Promise<void> | null = null;
  private again = false;

  constructor(backend: Backend, readonly sessionId: string) {
    this.backend = backend;
  }

  async load(): Promise<void> {
    try {
      const status = await this.backend.coordinatorStatus(this.sessionId);
      if (this.closed) return;
      this.statusApply(status);
      this.error = null;
    } catch (err) {
      if (!this.closed) this.error = BackendError.from(err);
    } finally {
      if (!this.closed) this.loaded = true;
    }
  }

  /** A status from the daemon (a read, or the reply to Run or Pause). */
  statusApply(status: CoordinatorStatus): void {
    if (this.closed || status.sessionId !== this.sessionId) return;
    this.cycles = Math.max(this.cycles, status.cycles);
    if (status.last) this.cycleApply(status.last);
    this.progress = status.progress;
  }

  apply(events: readonly EngineEvent[]): void {
    let tasksChanged = false;
    for (const e of events) {
      if (e.type === "coordinator_cycle" && e.sessionId === this.sessionId) this.cycleApply(e.cycle);
      if (e.type === "task_updated" && e.task.sessionId === this.sessionId) tasksChanged = true;
    }
    if (tasksChanged) void this.refresh();
  }

  /** Reads the status again (the progress changed); one read at a time. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        await this.load();
      } while (this.again && !this.closed);
      this.reading = null;
    })();
    return this.reading;
  }

  close(): void {
    this.closed = true;
  }

  private cycleApply(cycle: Cycle): void {
    if (this.closed) return;
    this.cycles = Math.max(this.cycles, cycle.n);
    if (!this.last || cycle.n > this.last.n) this.last = cycle;
  }
}

/** The four completion criteria in the order the bar shows them, with what each means. */
export const CRITERIA = [
  { key: "tasksEnded", label: "Tasks ended", help: "Every task is done or cancelled" },
  { key: "outputsParsed", label: "Outputs parsed", help: "No finished work still awaits its review's verdict" },
  { key: "noBlockers", label: "No blockers", help: "No task blocked, no agent waiting for approval, no decision pending" },
  { key: "noIdleWithWork", label: "No idle agent with work", help: "No ready task left while there is room to start it" },
] as const satisfies readonly { key: keyof Criteria; label: string; help: string }[];

/** Each criterion as held or not; `null` before any cycle has checked them. */
export function criteriaChecks(criteria: Criteria | null): { key: string; label: string; help: string; ok: boolean | null }[] {
  return CRITERIA.map((c) => ({ ...c, ok: criteria === null ? null : criteria[c.key] }));
}

/** What one cycle saw and did, as short phrases ("started spec", "2 running", a note...). */
export function cycleActivity(summary: CycleSummary): string[] {
  const names = (list: readonly string[]) => list.join(", ");
  const out: string[] = [];
  if (summary.started.length > 0) out.push(`started ${names(summary.started)}`);
  if (summary.finished.length > 0) out.push(`finished ${names(summary.finished)}`);
  if (summary.sentBack.length > 0) out.push(`sent back ${names(summary.sentBack)}`);
  if (summary.blocked.length > 0) out.push(`blocked ${names(summary.blocked)}`);
  if (summary.running.length > 0) out.push(`${summary.running.length} running`);
  if (summary.stalled.length > 0) out.push(`stalled: ${names(summary.stalled)}`);
  if (summary.waiting.length > 0) out.push(`waiting for approval: ${names(summary.waiting)}`);
  if (summary.idle.length > 0) out.push(`idle: ${names(summary.idle)}`);
  out.push(...summary.notes);
  return out;
}

/** "3 of 5 tasks done", or "No tasks yet". */
export function progressLine(p: TaskProgress): string {
  if (p.total === 0) return p.cancelled > 0 ? `${p.cancelled} cancelled, none to run` : "No tasks yet";
  return `${p.done} of ${p.total} ${p.total === 1 ? "task" : "tasks"} done`;
}

/** What the button that starts the coordinator says: Resume after a pause or completion, else Run. */
export function runLabel(state: CoordinatorState, cycles: number): "Run" | "Resume" {
  return state === "complete" || (state === "off" && cycles > 0) ? "Resume" : "Run";
}
