import { describe, expect, it, vi } from "vitest";
import type { Task } from "../bindings/Task";
import { session, task } from "../views/fixtures";
import type { Backend } from "./backend";
import { FakeBackend } from "./fakeBackend";
import { SessionTasks } from "./tasks.svelte";

const updated = (t: Task) => ({ type: "task_updated" as const, task: t });
const names = (store: SessionTasks) => store.tasks.map((t) => `${t.name}:${t.state}`);

describe("SessionTasks", () => {
  it("loads the session's graph, then follows task_updated events of this session only", async () => {
    const backend = new FakeBackend({
      sessions: [session("s1", "pay"), session("s2", "web")],
      tasks: [task("t1", "s1", { state: "ready", createdAt: "2026-11-01T10:00:00Z" }), task("o1", "s2")],
    });
    const store = new SessionTasks(backend, "s1");
    expect(store.loaded).toBe(false);
    await store.load();
    expect(store.loaded).toBe(true);
    expect(names(store)).toEqual(["t1:ready"]);

    store.apply([
      updated(task("t2", "s1", { createdAt: "2026-11-01T11:00:00Z" }, [["t1", "after"]])),
      updated(task("o2", "s2")),
      { type: "agent_removed", agentId: "whatever" },
    ]);
    expect(names(store)).toEqual(["t1:ready", "t2:pending"]);

    // t1 done: t2 becomes ready, in two events of one batch.
    store.apply([
      updated(task("t1", "s1", { state: "done", updatedAt: "2026-11-01T12:00:00Z" })),
      updated(task("t2", "s1", { state: "ready", createdAt: "2026-11-01T11:00:00Z", updatedAt: "2026-11-01T12:00:01Z" }, [["t1", "after"]])),
    ]);
    expect(names(store)).toEqual(["t1:done", "t2:ready"]);
    expect(store.get("t2")?.deps).toEqual([{ taskId: "t1", kind: "after" }]);
  });

  it("keeps the newer state when a reply comes after the event for a later change", () => {
    const store = new SessionTasks(new FakeBackend(), "s1");
    store.apply([updated(task("t1", "s1", { state: "cancelled", reason: "a was cancelled", updatedAt: "2026-11-01T12:00:00Z" }))]);
    store.upsert(task("t1", "s1", { state: "pending", updatedAt: "2026-11-01T11:00:00Z" }));
    expect(names(store)).toEqual(["t1:cancelled"]);
    expect(store.get("t1")?.reason).toBe("a was cancelled");
  });

  it("orders tasks oldest first, whatever order they arrive in", () => {
    const store = new SessionTasks(new FakeBackend(), "s1");
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
    const store = new SessionTasks(new FakeBackend({ sessions: [session("s1", "pay")], tasks: [task("t1", "s1")] }), "s1");
    store.close();
    await store.load();
    store.apply([updated(task("t2", "s1"))]);
    expect(store.tasks).toEqual([]);
  });
});
