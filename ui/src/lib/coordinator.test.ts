import { describe, expect, it, vi } from "vitest";
import type { Criteria } from "../bindings/Criteria";
import type { Cycle } from "../bindings/Cycle";
import { session } from "../views/fixtures";
import type { Backend } from "./backend";
import { criteriaChecks, cycleActivity, runLabel, SessionCoordinator } from "./coordinator.svelte";
import { FakeBackend } from "./fakeBackend";
import { summaryEmpty } from "./fakeCoordinator";

function cycle(n: number, summary: Partial<Cycle["summary"]> = {}): Cycle {
  return { n, startedAt: `2026-11-01T10:00:0${n}Z`, durationMs: 12, summary: { ...summaryEmpty(), ...summary } };
}

const cycleEvent = (sessionId: string, c: Cycle) => ({ type: "coordinator_cycle" as const, sessionId: sessionId, cycle: c });

describe("SessionCoordinator", () => {
  it("reads the status, then follows the session's cycles, the newest one winning", async () => {
    const backend = new FakeBackend({ sessions: [session("s1", "pay")], cycles: { s1: [cycle(1), cycle(2)] } });
    const store = new SessionCoordinator(backend, "s1");
    await store.load();
    expect(store.loaded).toBe(true);
    expect(store.cycles).toBe(2);
    expect(store.last?.n).toBe(2);

    store.apply([cycleEvent("s2", cycle(9)), cycleEvent("s1", cycle(3)), { type: "context_updated", sessionId: "s1" }]);
    expect(store.cycles).toBe(3);
    expect(store.last?.n).toBe(3);

    // A reply read before the last cycle does not take it back.
    store.statusApply({ sessionId: "s1", state: "running", cycles: 2, last: cycle(2) });
    expect(store.cycles).toBe(3);
    expect(store.last?.n).toBe(3);
    // Nor does an event that arrives late.
    store.apply([cycleEvent("s1", cycle(1))]);
    expect(store.last?.n).toBe(3);
  });

  it("keeps a failed read in `error`, and a later read clears it", async () => {
    const coordinatorStatus = vi.fn<Backend["coordinatorStatus"]>()
      .mockRejectedValueOnce({ code: "not_found", message: "The daemon has no coordinator: update it." })
      .mockResolvedValueOnce({ sessionId: "s1", state: "off", cycles: 4, last: cycle(4) });
    const store = new SessionCoordinator({ coordinatorStatus } as unknown as Backend, "s1");
    await store.load();
    expect(store.error?.message).toBe("The daemon has no coordinator: update it.");
    expect(store.loaded).toBe(true);
    await store.load();
    expect(store.error).toBeNull();
    expect(store.cycles).toBe(4);
  });

  it("ignores everything once closed", async () => {
    const store = new SessionCoordinator(new FakeBackend({ sessions: [session("s1", "pay")], cycles: { s1: [cycle(1)] } }), "s1");
    store.close();
    await store.load();
    store.apply([cycleEvent("s1", cycle(2))]);
    expect(store.cycles).toBe(0);
    expect(store.last).toBeNull();
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
