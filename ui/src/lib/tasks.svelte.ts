// The task graph of one session, merged from the daemon's list, replies to this window's calls
// (a task added, a pattern run, a task completed) and `task_updated` events, in whatever order
// they arrive: an upsert by id where the newer `updatedAt` wins, as for sessions and agents.
// The daemon never deletes tasks, so a reload only adds and updates.

import type { EngineEvent } from "../bindings/EngineEvent";
import type { Task } from "../bindings/Task";
import { BackendError, type Backend } from "./backend";
import { parseTimestamp } from "./time";

export class SessionTasks {
  /** Oldest first: the graph keeps its shape as tasks are added. */
  tasks = $state.raw<Task[]>([]);
  /** True once the list has been read. */
  loaded = $state(false);
  /** Why the list could not be read (the agents still work without it). */
  error = $state.raw<BackendError | null>(null);

  private readonly byId = new Map<string, Task>();
  /** When each task was first seen: the daemon lists tasks in the order they were added (and
   * announces new ones in that order), which ids made in one millisecond do not keep. */
  private readonly firstSeen = new Map<string, number>();
  private readonly backend: Backend;
  private closed = false;

  constructor(backend: Backend, readonly sessionId: string) {
    this.backend = backend;
  }

  get(id: string): Task | undefined {
    return this.byId.get(id);
  }

  /** The newer `updatedAt` wins, so a stale reply never undoes an event. */
  upsert(task: Task): void {
    this.upsertAll([task]);
  }

  /** Several at once (a pattern's tasks, a list): the graph is laid out again once. */
  upsertAll(tasks: readonly Task[]): void {
    if (this.closed) return;
    let changed = false;
    for (const task of tasks) {
      if (task.sessionId !== this.sessionId) continue;
      const known = this.byId.get(task.id);
      if (known && time(known.updatedAt) > time(task.updatedAt)) continue;
      this.byId.set(task.id, task);
      if (!this.firstSeen.has(task.id)) this.firstSeen.set(task.id, this.firstSeen.size);
      changed = true;
    }
    if (changed) this.sort();
  }

  /** Reads the list (first, and again after a reconnect). Failures are kept in `error`. */
  async load(): Promise<void> {
    try {
      const tasks = await this.backend.taskList({ session: this.sessionId });
      if (this.closed) return;
      this.upsertAll(tasks);
      this.error = null;
    } catch (err) {
      if (!this.closed) this.error = BackendError.from(err);
    } finally {
      if (!this.closed) this.loaded = true;
    }
  }

  apply(events: readonly EngineEvent[]): void {
    const tasks: Task[] = [];
    for (const event of events) if (event.type === "task_updated") tasks.push(event.task);
    if (tasks.length > 0) this.upsertAll(tasks);
  }

  close(): void {
    this.closed = true;
  }

  private sort(): void {
    this.tasks = [...this.byId.values()].sort(
      (a, b) => time(a.createdAt) - time(b.createdAt) || this.firstSeen.get(a.id)! - this.firstSeen.get(b.id)!,
    );
  }
}

function time(rfc3339: string): number {
  const t = parseTimestamp(rfc3339);
  return Number.isNaN(t) ? 0 : t;
}
