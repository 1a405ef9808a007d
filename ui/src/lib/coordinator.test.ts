import { describe, expect, it, vi } from "vitest";
import type { Criteria } from "../bindings/Criteria";
import type { Cycle } from "../bindings/Cycle";
import type { CycleSummary } from "../bindings/CycleSummary";
import { sessionMake, subscribed, until, useDaemon } from "../test/daemon";
import type { Backend } from "./backend";
import type { TaskProgress } from "../bindings/TaskProgress";
import { criteriaChecks, cycleActivity, progressLine, runLabel, SessionCoordinator } from "./coordinator.svelte";
import { taskAdd } from "../test/daemon";

const d = useDaemon();

/** A cycle that saw and did nothing, its criteria unknown: the base the tests' cycles change. */
function summaryEmpty(): CycleSummary {
  return {
    started: [],
    finished: [],
    sentBack: [],
    blocked: [],
    running: [],
    idle: [],
    stalled: [],
    waiting: [],
    notes: [],
    criteria: { tasksEnded: false, outputsParsed: false, noBlockers: false, noIdleWithWork: false, complete: false, unmet: [] },
  };
}

function cycle(n: number, summary: Partial<Cycle["summary"]> = {}): Cycle {
  return { n, startedAt: `2026-11-01T10:00:0${n}Z`, durationMs: 12, summary: { ...summaryEmpty(), ...summary } };
}

const NO_TASKS: TaskProgress = { total: 0, done: 0, running: 0, failed: 0, blocked: 0, cancelled: 0 };

const cycleEvent = (sessionId: string, c: Cycle) => ({ type: "coordinator_cycle" as const, sessionId: sessionId, cycle: c });

describe("SessionCoordinator", () => {
  it("reads the status, then follows the session's cycles from the daemon", async () => {
    // A session without tasks: its coordinator cycles every second and never completes.
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake("pay"), "pay", { cycleSecs: 1 });
    await d.backend.coordinatorRun(session.id);
    await until(async () => (await d.backend.coordinatorStatus(session.id)).cycles >= 1, { what: "a first cycle" });
    const store = new SessionCoordinator(d.backend, session.id);
    await store.load();
    expect(store.loaded).toBe(true);
    const read = store.cycles;
    expect(read).toBeGreaterThanOrEqual(1);
    expect(store.last?.n).toBe(read);
    expect(store.last?.summary.criteria.unmet).toEqual(["no tasks yet"]);

    const unsubscribe = await subscribed(d.backend, (events) => store.apply(events));
    try {
      await vi.waitFor(() => expect(store.cycles).toBeGreaterThan(read), { timeout: 5_000 });
      expect(store.last?.n).toBe(store.cycles);
    } finally {
      unsubscribe();
      await d.backend.coordinatorPause(session.id);
    }
  });

  it("keeps the newest cycle, whatever order replies and events come in", () => {
    const store = new SessionCoordinator({} as Backend, "s1");
    store.apply([cycleEvent("s2", cycle(9)), cycleEvent("s1", cycle(3)), { type: "context_updated", sessionId: "s1" }]);
    expect(store.cycles).toBe(3);
    expect(store.last?.n).toBe(3);

    // A reply read before the last cycle does not take it back.
    store.statusApply({ sessionId: "s1", state: "running", cycles: 2, last: cycle(2), progress: NO_TASKS });
    expect(store.cycles).toBe(3);
    expect(store.last?.n).toBe(3);
    // Nor does an event that arrives late.
    store.apply([cycleEvent("s1", cycle(1))]);
    expect(store.last?.n).toBe(3);
  });

  it("keeps a failed read in `error`, and a later read clears it", async () => {
    const coordinatorStatus = vi.fn<Backend["coordinatorStatus"]>()
      .mockRejectedValueOnce({ code: "not_found", message: "The daemon has no coordinator: update it." })
      .mockResolvedValueOnce({ sessionId: "s1", state: "off", cycles: 4, last: cycle(4), progress: NO_TASKS });
    const store = new SessionCoordinator({ coordinatorStatus } as unknown as Backend, "s1");
    await store.load();
    expect(store.error?.message).toBe("The daemon has no coordinator: update it.");
    expect(store.loaded).toBe(true);
    await store.load();
    expect(store.error).toBeNull();
    expect(store.cycles).toBe(4);
  });

  it("ignores everything once closed", async () => {
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake("closed"), "closed");
    await d.backend.coordinatorRun(session.id);
    await until(async () => (await d.backend.coordinatorStatus(session.id)).cycles >= 1, { what: "a first cycle" });
    await d.backend.coordinatorPause(session.id);
    const store = new SessionCoordinator(d.backend, session.id);
    store.close();
    await store.load();
    store.apply([cycleEvent(session.id, cycle(2))]);
    expect(store.cycles).toBe(0);
    expect(store.last).toBeNull();
  });
});

describe("task progress", () => {
  it("is read from the daemon, and again when a task of the session changes", async () => {
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake("progress"), "progress");
    const store = new SessionCoordinator(d.backend, session.id);
    await store.load();
    expect(store.progress).toEqual(NO_TASKS);

    const build = await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "b", name: "build" });
    await taskAdd(d.daemon.api, session.id, { title: "Ship", prompt: "s", name: "ship", after: ["build"] });
    const done = await d.backend.taskComplete(build.id, { state: "done", outcome: null });
    // Another session's task changes nothing; this session's asks for a read.
    store.apply([{ type: "task_updated", task: { ...done, sessionId: "elsewhere" } }]);
    expect(store.progress).toEqual(NO_TASKS);
    store.apply([{ type: "task_updated", task: done }]);
    await until(async () => store.progress?.done === 1, { what: "the progress was read again" });
    expect(store.progress).toEqual({ ...NO_TASKS, total: 2, done: 1 });
    store.close();
  });

  it("says how many tasks are done of those that will run", () => {
    expect(progressLine(NO_TASKS)).toBe("No tasks yet");
    expect(progressLine({ ...NO_TASKS, total: 5, done: 3, running: 1, failed: 1 })).toBe("3 of 5 tasks done");
    expect(progressLine({ ...NO_TASKS, total: 1, done: 0 })).toBe("0 of 1 task done");
    expect(progressLine({ ...NO_TASKS, cancelled: 2 })).toBe("2 cancelled, none to run");
  });
});

describe("criteria and cycles in words", () => {
  const criteria: Criteria = {
    tasksEnded: false,
    outputsParsed: true,
    noBlockers: false,
    noIdleWithWork: true,
    complete: false,
    unmet: ["1 task(s) not done: a is running", "blocked: b"],
  };

  it("lists the four criteria in order, unknown before any cycle", () => {
    expect(criteriaChecks(criteria).map((c) => [c.label, c.ok])).toEqual([
      ["Tasks ended", false],
      ["Outputs parsed", true],
      ["No blockers", false],
      ["No idle agent with work", true],
    ]);
    expect(criteriaChecks(null).map((c) => c.ok)).toEqual([null, null, null, null]);
  });

  it("says what a cycle saw and did, skipping what did not happen", () => {
    expect(cycleActivity(summaryEmpty())).toEqual([]);
    expect(
      cycleActivity({
        ...summaryEmpty(),
        started: ["spec", "docs"],
        sentBack: ["implement"],
        running: ["architect", "writer"],
        stalled: ["tests"],
        idle: ["reviewer"],
        notes: ["auto-merge refused: main moved"],
      }),
    ).toEqual(["started spec, docs", "sent back implement", "2 running", "stalled: tests", "idle: reviewer", "auto-merge refused: main moved"]);
  });

  it("offers Run at first and Resume after a pause or a completion", () => {
    expect(runLabel("off", 0)).toBe("Run");
    expect(runLabel("off", 3)).toBe("Resume");
    expect(runLabel("complete", 3)).toBe("Resume");
    expect(runLabel("running", 3)).toBe("Run");
  });
});
