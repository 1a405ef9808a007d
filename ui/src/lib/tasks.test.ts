import { describe, expect, it, vi } from "vitest";
import type { Task } from "../bindings/Task";
import { sessionMake, subscribed, taskAdd, useDaemon } from "../test/daemon";
import { task } from "../views/fixtures";
import type { Backend } from "./backend";
import { SessionTasks } from "./tasks.svelte";

const d = useDaemon();

/** For the merge rules, which never call the daemon. */
const NO_BACKEND = {} as Backend;

const updated = (t: Task) => ({ type: "task_updated" as const, task: t });
const names = (store: SessionTasks) => store.tasks.map((t) => `${t.name}:${t.state}`);

describe("SessionTasks", () => {
  it("loads the session's graph, then follows task_updated events of this session only", async () => {
    const api = d.daemon.api;
    const session = await sessionMake(api, d.daemon.repoMake("pay"), "pay");
    const other = await sessionMake(api, d.daemon.repoMake("web"), "web");
    await taskAdd(api, session.id, { title: "T1", prompt: "one", name: "t1" });
    await taskAdd(api, other.id, { title: "O1", prompt: "other", name: "o1" });
    const store = new SessionTasks(d.backend, session.id);
    expect(store.loaded).toBe(false);
    await store.load();
    expect(store.loaded).toBe(true);
    expect(names(store)).toEqual(["t1:ready"]);

    // Fed by the daemon's events, as the session view feeds it.
    const unsubscribe = await subscribed(d.backend, (events) => store.apply(events));
    try {
      await taskAdd(api, session.id, { title: "T2", prompt: "two", name: "t2", after: ["t1"] });
      await taskAdd(api, other.id, { title: "O2", prompt: "other", name: "o2" });
      await vi.waitFor(() => expect(names(store)).toEqual(["t1:ready", "t2:pending"]));

      // t1 done: t2 becomes ready, in two events.
      await d.backend.taskComplete("t1", { state: "done", outcome: null });
      await vi.waitFor(() => expect(names(store)).toEqual(["t1:done", "t2:ready"]));
      expect(store.get(store.tasks[1]!.id)?.deps).toEqual([{ taskId: store.tasks[0]!.id, kind: "after", holds: "met" }]);
    } finally {
      unsubscribe();
    }
  });

  it("keeps the newer state when a reply comes after the event for a later change", () => {
    const store = new SessionTasks(NO_BACKEND, "s1");
    store.apply([updated(task("t1", "s1", { state: "cancelled", reason: "a was cancelled", updatedAt: "2026-11-01T12:00:00Z" }))]);
    store.upsert(task("t1", "s1", { state: "pending", updatedAt: "2026-11-01T11:00:00Z" }));
    expect(names(store)).toEqual(["t1:cancelled"]);
    expect(store.get("t1")?.reason).toBe("a was cancelled");
  });

  it("orders tasks oldest first, whatever order they arrive in", () => {
    const store = new SessionTasks(NO_BACKEND, "s1");
    store.upsertAll([
      task("late", "s1", { createdAt: "2026-11-01T12:00:00Z" }),
      task("early", "s1", { createdAt: "2026-11-01T09:00:00Z" }),
    ]);
    expect(store.tasks.map((t) => t.id)).toEqual(["early", "late"]);
  });

  it("keeps a failed read in `error`, and a later load clears it and keeps what events brought", async () => {
    const taskList = vi.fn<Backend["taskList"]>().mockRejectedValueOnce({ code: "not_found", message: "no route /api/tasks" });
    taskList.mockResolvedValueOnce([task("t1", "s1")]);
    const store = new SessionTasks({ taskList } as unknown as Backend, "s1");

    await store.load();
    expect(store.error?.code).toBe("not_found");
    expect(store.error?.message).toBe("no route /api/tasks");
    expect(store.loaded).toBe(true);

    store.apply([updated(task("t0", "s1", { createdAt: "2026-11-01T08:00:00Z" }))]);
    await store.load();
    expect(store.error).toBeNull();
    expect(store.tasks.map((t) => t.id)).toEqual(["t0", "t1"]);
  });

  it("ignores everything once closed", async () => {
    const api = d.daemon.api;
    const session = await sessionMake(api, d.daemon.repoMake("closed"), "closed");
    await taskAdd(api, session.id, { title: "T1", prompt: "one", name: "t1" });
    const store = new SessionTasks(d.backend, session.id);
    store.close();
    await store.load();
    store.apply([updated(task("t2", session.id))]);
    expect(store.tasks).toEqual([]);
  });
});
