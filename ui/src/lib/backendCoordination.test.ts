// HttpBackend's coordinator, context and artifact routes against a real daemon whose Claude is
// the stand-in (`tests/fixtures/fake-claude`): the tri-agent pattern run to completion, with a
// review that requests changes once.

import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { TaskCreate } from "../bindings/TaskCreate";
import type { Verdict } from "../bindings/Verdict";
import { subscribed, tasksUntil, taskState, until, useDaemon } from "../test/daemon";
import { BackendError, sessionChange } from "./backend";

const d = useDaemon({ fakeClaude: true });

async function caught(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BackendError);
    return err as BackendError;
  }
  throw new Error("expected the call to fail");
}

async function sessionNew(name = d.unique("s")) {
  return d.backend.sessionCreate({ repo: d.daemon.repoMake(name), name, parent: null });
}

function taskRequest(session: string, name: string, fields: Partial<TaskCreate> = {}): TaskCreate {
  return {
    session,
    title: `Title of ${name}`,
    prompt: `Do ${name}`,
    name,
    role: null,
    cli: null,
    model: null,
    after: [],
    ifSucceeded: [],
    ifFailed: [],
    reviews: null,
    maxRounds: null,
    ...fields,
  };
}

describe("HttpBackend on the daemon: the coordinator", () => {
  it("runs the tri-agent pattern to completion: spec, work, changes requested once, the fix, approval", async () => {
    const s = await sessionNew("pay");
    await d.backend.sessionUpdate(s.id, sessionChange({ cycleSecs: 1 }));
    d.daemon.verdictsWrite([
      { verdict: "request_changes", findings: [{ file: "work-1.txt", line: 1, severity: "error", message: "Say what the turn did." }] },
      { verdict: "approve", findings: [] },
    ]);
    const seen: EngineEvent[] = [];
    const unsubscribe = await subscribed(d.backend, (events) => seen.push(...events));
    try {
      await d.backend.patternRun("tri-agent", { session: s.id, goal: "Add retries" });
      const status = await d.backend.coordinatorRun(s.name);
      expect(status).toMatchObject({ sessionId: s.id, state: "running" });

      await until(async () => (await d.backend.sessionGet(s.id)).coordinator === "complete", {
        timeoutMs: 60_000,
        what: "the run completed",
      });
    } finally {
      unsubscribe();
    }
    // The pattern's tasks share a creation time: listed by (time, id), not in the pattern's order.
    const tasks = Object.fromEntries((await d.backend.taskList({ session: s.id })).map((t) => [t.name, t]));
    expect(Object.fromEntries(Object.values(tasks).map((t) => [t.name, t.state]))).toEqual({ spec: "done", implement: "done", review: "done" });
    expect(tasks.implement!.outcome).toBe("approved by review in round 2");
    expect(tasks.review!.rounds).toBe(2);

    // The spec's answer is its artifact, and the implementer was given it.
    const spec = await d.backend.artifactList({ session: s.id, task: "spec" });
    expect(spec.map((a) => [a.kind, a.title])).toContainEqual(["markdown", "spec: result"]);
    const specResult = spec.find((a) => a.title === "spec: result")!;
    expect(specResult.body).toBe("");
    const specBody = (await d.backend.artifactGet(specResult.id)).body;
    expect(specBody).toContain("Finished the work, turn 1");
    const implementer = (await d.backend.agentList({ session: s.id })).find((a) => a.role === "implementer")!;
    expect(implementer.prompt).toContain(specBody);

    // Each verdict is stored parsed, with its summary; the findings went back to the implementer.
    const verdicts = (await d.backend.artifactList({ session: s.id, task: "review" })).filter((a) => a.kind === "verdict");
    expect(verdicts.map((a) => a.summary).sort()).toEqual([
      "round 1: changes requested: 1 finding (1 error)",
      "round 2: approved, no findings",
    ]);
    const round1 = verdicts.find((a) => a.summary.startsWith("round 1"))!;
    const parsed = JSON.parse((await d.backend.artifactGet(round1.id)).body) as Verdict;
    expect(parsed).toEqual({
      verdict: "request_changes",
      findings: [{ file: "work-1.txt", line: 1, severity: "error", message: "Say what the turn did." }],
    });
    const sentBack = (await d.backend.agentEvents(implementer.id, {  })).filter((r) => r.event.kind === "user_text").at(-1)!.event;
    expect(sentBack).toMatchObject({ text: expect.stringContaining("- [error] work-1.txt:1: Say what the turn did.") });

    // Every criterion holds in the last cycle; the cycles went out as events, and read back newest first.
    const coordinator = await d.backend.coordinatorStatus(s.id);
    expect(coordinator.state).toBe("complete");
    expect(coordinator.last!.summary.criteria).toEqual({
      tasksEnded: true,
      outputsParsed: true,
      noBlockers: true,
      noIdleWithWork: true,
      complete: true,
      unmet: [],
    });
    const cycles = await d.backend.coordinatorCycles(s.id, { limit: 2 });
    expect(cycles.map((c) => c.n)).toEqual([coordinator.cycles, coordinator.cycles - 1]);
    const streamed = seen.flatMap((e) => (e.type === "coordinator_cycle" && e.sessionId === s.id ? [e.cycle.n] : []));
    expect(streamed.at(-1)).toBe(coordinator.cycles);
    expect(seen.some((e) => e.type === "session_updated" && e.session.id === s.id && e.session.coordinator === "complete")).toBe(true);

    const found = await d.backend.artifactSearch({ q: "work-1.txt", session: s.id });
    expect(found.map((h) => h.artifact.title)).toContain("spec: result");
    expect(found.every((h) => h.artifact.body === "")).toBe(true);
    expect(found.find((h) => h.artifact.title === "spec: result")!.snippet).toContain("[work");
    expect(await d.backend.artifactSearch({ q: "zebra" })).toEqual([]);
  });

  it("does not complete while a decision is pending, and says so; pause stops the cycles", async () => {
    const s = await sessionNew();
    await d.backend.sessionUpdate(s.id, sessionChange({ cycleSecs: 1 }));
    await d.backend.taskAdd(taskRequest(s.id, "a"));
    await d.backend.taskComplete(`a`, { state: "done", outcome: null });
    const question = await d.backend.decisionAdd(s.id, { text: "Refunds too?" });
    await d.backend.coordinatorRun(s.id);
    const waiting = await until(async () => (await d.backend.coordinatorStatus(s.id)).last ?? undefined);
    expect(waiting.summary.criteria).toMatchObject({ complete: false, unmet: ["1 decision(s) pending"] });
    expect((await d.backend.sessionGet(s.id)).coordinator).toBe("running");

    await d.backend.decisionAnswer(s.id, question.id, { text: "Charges only" });
    await until(async () => (await d.backend.sessionGet(s.id)).coordinator === "complete", { what: "complete" });

    const paused = await d.backend.coordinatorPause(s.id);
    expect(paused.state).toBe("off");
  });

  it("blocks a task whose agent was stopped mid-turn; Retry makes it ready and it runs again", async () => {
    const s = await sessionNew();
    await d.backend.sessionUpdate(s.id, sessionChange({ cycleSecs: 1 }));
    await d.backend.taskAdd(taskRequest(s.id, "slow", { prompt: "HOLD until released" }));
    await d.backend.coordinatorRun(s.id);
    const running = await tasksUntil(d.daemon.api, s.id, (t) => taskState(t, "slow") === "running" && t[0]!.agentId !== null);
    await d.backend.agentStop(running[0]!.agentId!);
    const blocked = await tasksUntil(d.daemon.api, s.id, (t) => taskState(t, "slow") === "blocked");
    expect(blocked[0]!.reason).toContain("task retry");

    // Releasing the stand-in's HOLD is for good: no later test of this file holds a turn.
    d.daemon.release();
    const retried = await d.backend.taskRetry(blocked[0]!.id);
    expect(retried).toMatchObject({ state: "ready", reason: null });
    const again = await caught(d.backend.taskRetry("slow"));
    expect(again.code).toBe("invalid_input");
    expect(again.message).toContain("only a blocked or failed task");
    const done = await tasksUntil(d.daemon.api, s.id, (t) => taskState(t, "slow") === "done");
    expect(done[0]!.attempts).toBe(2);
    await d.backend.coordinatorPause(s.id);
  });

  it("refuses review settings the daemon does not accept, and an archived session's run", async () => {
    const s = await sessionNew();
    await d.backend.taskAdd(taskRequest(s.id, "build"));
    const notAfter = await caught(d.backend.taskAdd(taskRequest(s.id, "check", { reviews: "build" })));
    expect(notAfter.code).toBe("invalid_input");
    expect(notAfter.message).toContain("after");
    const rounds = await caught(d.backend.taskAdd(taskRequest(s.id, "check", { after: ["build"], reviews: "build", maxRounds: 0 })));
    expect(rounds.code).toBe("invalid_input");
    const check = await d.backend.taskAdd(taskRequest(s.id, "check", { after: ["build"], reviews: "build", maxRounds: 2 }));
    expect(check).toMatchObject({ reviews: (await d.backend.taskGet("build")).id, maxRounds: 2, rounds: 0 });

    await d.backend.sessionUpdate(s.id, sessionChange({ archived: true }));
    expect((await caught(d.backend.coordinatorRun(s.id))).code).toBe("invalid_input");
  });
});

describe("HttpBackend on the daemon: context", () => {
  it("records objectives, decisions and insights, each change a context_updated event of its session", async () => {
    const s = await sessionNew();
    const seen: EngineEvent[] = [];
    const unsubscribe = await subscribed(d.backend, (events) => seen.push(...events.filter((e) => e.type === "context_updated")));
    try {
      const objective = await d.backend.objectiveAdd(s.id, { text: "Retry transient failures" });
      expect(objective).toMatchObject({ text: "Retry transient failures", state: "open" });
      const done = await d.backend.objectiveSet(s.id, objective.id, { state: "done" });
      expect(done.state).toBe("done");
      const decision = await d.backend.decisionAdd(s.id, { text: "Refunds too?" });
      expect(decision).toMatchObject({ question: "Refunds too?", answer: null, state: "pending" });
      expect(await d.backend.decisionAnswer(s.id, decision.id, { text: "No" })).toMatchObject({ answer: "No", state: "decided" });
      const insight = await d.backend.insightAdd(s.id, { text: "The CDN caches 404s" });
      expect(insight.text).toBe("The CDN caches 404s");
      await until(() => seen.filter((e) => e.type === "context_updated" && e.sessionId === s.id).length >= 5, {
        what: "five context_updated events",
      });

      const status = await d.backend.sessionStatus(s.id);
      expect(status.objectives).toEqual([done]);
      expect(status.decisions.map((x) => x.state)).toEqual(["decided"]);
      expect(status.insights.map((i) => i.text)).toEqual(["The CDN caches 404s"]);
    } finally {
      unsubscribe();
    }
  });

  it("refuses what the daemon refuses", async () => {
    const s = await sessionNew();
    expect((await caught(d.backend.objectiveAdd(s.id, { text: "  " }))).code).toBe("invalid_input");
    const o = await d.backend.objectiveAdd(s.id, { text: "x" });
    expect((await caught(d.backend.objectiveSet(s.id, o.id, { state: "finished" as "done" }))).code).toBe("invalid_input");
    expect((await caught(d.backend.objectiveSet(s.id, "nope", { state: "done" }))).code).toBe("not_found");
    expect((await caught(d.backend.decisionAnswer(s.id, "nope", { text: "y" }))).code).toBe("not_found");
    const other = await sessionNew();
    expect((await caught(d.backend.objectiveSet(other.id, o.id, { state: "done" }))).code).toBe("not_found");
    expect((await caught(d.backend.artifactSearch({ q: "   " }))).code).toBe("invalid_input");
  });

  it("counts tasks by state in the status, and exports the context by names", async () => {
    const s = await sessionNew();
    await d.backend.taskAdd(taskRequest(s.id, "a"));
    await d.backend.taskAdd(taskRequest(s.id, "b", { after: ["a"] }));
    await d.backend.taskAdd(taskRequest(s.id, "c"));
    const status = await d.backend.sessionStatus(s.id);
    expect(status.tasks).toEqual(
      expect.arrayContaining([
        { state: "ready", count: 2 },
        { state: "pending", count: 1 },
      ]),
    );
    expect(status).toMatchObject({ artifacts: 0, coordinator: { state: "off", cycles: 0 } });
    // The daemon sends -0 for a session without agents: zero all the same.
    expect(status.costUsd === 0).toBe(true);

    const doc = await d.backend.contextExport(s.id);
    expect(doc).toMatchObject({ format: 1, session: { name: s.name }, cycles: 0 });
    expect(doc.tasks.map((t) => [t.name, t.after])).toEqual([
      ["a", []],
      ["b", ["a"]],
      ["c", []],
    ]);
  });
});
