// The coordinator's part of the backend: the daemon routes HttpBackend calls, and how the
// in-memory fake coordinates (cycles, hand-offs, reviews, criteria), keeps a session's context
// and stores and searches artifacts.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Artifact } from "../bindings/Artifact";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { TaskCreate } from "../bindings/TaskCreate";
import { session } from "../views/fixtures";
import { BackendError, HttpBackend, sessionChange } from "./backend";
import { summaryLine } from "./fakeArtifacts";
import { FakeBackend } from "./fakeBackend";
import { verdictParse } from "./verdict";

const CONN = { url: "http://127.0.0.1:4321", token: "s3cret" };

async function caught(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BackendError);
    return err as BackendError;
  }
  throw new Error("expected the call to fail");
}

describe("HttpBackend coordinator routes", () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;

  beforeEach(() => {
    fetchMock = vi.fn<typeof fetch>(async () => new Response("{}", { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** What one call sent: path (after the daemon's address), method, JSON body, token. */
  async function sent(run: (b: HttpBackend) => Promise<unknown>) {
    await run(new HttpBackend(CONN));
    const [url, init] = fetchMock.mock.calls.at(-1)!;
    return {
      path: String(url).replace(CONN.url, ""),
      method: init!.method,
      body: init!.body === undefined ? undefined : JSON.parse(init!.body as string),
      auth: (init!.headers as Record<string, string>).Authorization,
    };
  }

  it("runs, pauses and reads the coordinator, its cycles and the session's status", async () => {
    expect(await sent((b) => b.coordinatorRun("my session"))).toEqual({
      path: "/api/sessions/my%20session/run",
      method: "POST",
      body: undefined,
      auth: "Bearer s3cret",
    });
    expect(await sent((b) => b.coordinatorPause("s1"))).toMatchObject({ path: "/api/sessions/s1/pause", method: "POST" });
    expect(await sent((b) => b.coordinatorStatus("s1"))).toMatchObject({ path: "/api/sessions/s1/coordinator", method: "GET" });
    expect(await sent((b) => b.coordinatorCycles("s1", 5))).toMatchObject({ path: "/api/sessions/s1/cycles?limit=5", method: "GET" });
    expect(await sent((b) => b.coordinatorCycles("s1"))).toMatchObject({ path: "/api/sessions/s1/cycles" });
    expect(await sent((b) => b.sessionStatus("s1"))).toMatchObject({ path: "/api/sessions/s1/status", method: "GET" });
    expect(await sent((b) => b.contextExport("s1"))).toMatchObject({ path: "/api/sessions/s1/context", method: "GET" });
  });

  it("records objectives, insights and decisions with a `text` body", async () => {
    expect(await sent((b) => b.objectiveAdd("s1", "Ship retries"))).toMatchObject({
      path: "/api/sessions/s1/objectives",
      method: "POST",
      body: { text: "Ship retries" },
    });
    expect(await sent((b) => b.objectiveSet("s1", "obj/1", "dropped"))).toMatchObject({
      path: "/api/sessions/s1/objectives/obj%2F1",
      method: "POST",
      body: { state: "dropped" },
    });
    expect(await sent((b) => b.insightAdd("s1", "503s under load"))).toMatchObject({
      path: "/api/sessions/s1/insights",
      body: { text: "503s under load" },
    });
    expect(await sent((b) => b.decisionAdd("s1", "Refunds too?"))).toMatchObject({
      path: "/api/sessions/s1/decisions",
      body: { text: "Refunds too?" },
    });
    expect(await sent((b) => b.decisionAnswer("s1", "dec-1", "Yes"))).toMatchObject({
      path: "/api/sessions/s1/decisions/dec-1/answer",
      method: "POST",
      body: { text: "Yes" },
    });
  });

  it("lists, searches and reads artifacts, and retries a task", async () => {
    expect(await sent((b) => b.artifactList("s 1"))).toMatchObject({ path: "/api/artifacts?session=s%201", method: "GET" });
    expect(await sent((b) => b.artifactList("s1", "spec"))).toMatchObject({ path: "/api/artifacts?session=s1&task=spec" });
    expect(await sent((b) => b.artifactSearch("retry & backoff", "s1"))).toMatchObject({
      path: "/api/artifacts/search?q=retry%20%26%20backoff&session=s1",
      method: "GET",
    });
    expect(await sent((b) => b.artifactSearch("retry"))).toMatchObject({ path: "/api/artifacts/search?q=retry" });
    expect(await sent((b) => b.artifactGet("art/1"))).toMatchObject({ path: "/api/artifacts/art%2F1", method: "GET" });
    expect(await sent((b) => b.taskRetry("build"))).toMatchObject({ path: "/api/tasks/build/retry", method: "POST", body: undefined });
  });

  it("passes on the daemon's refusal with its code and message", async () => {
    fetchMock.mockResolvedValue(
      new Response(JSON.stringify({ code: "invalid_input", message: "task spec is done; only a blocked or failed task is retried" }), {
        status: 400,
      }),
    );
    const err = await caught(new HttpBackend(CONN).taskRetry("spec"));
    expect(err.code).toBe("invalid_input");
    expect(err.message).toBe("task spec is done; only a blocked or failed task is retried");
  });
});

describe("FakeBackend coordinator", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A fake whose agents take 10 ms a step and whose cycles run when the test says. */
  function fake(extra: { artifacts?: Artifact[] } = {}) {
    vi.useFakeTimers();
    const backend = new FakeBackend({
      sessions: [session("s1", "pay"), session("s2", "web")],
      agentStepMs: 10,
      coordinatorCycleMs: null,
      eventTiming: "before-reply",
      ...extra,
    });
    const seen: EngineEvent[] = [];
    backend.subscribe((events) => seen.push(...events));
    const states = async () => Object.fromEntries((await backend.taskList("pay")).map((t) => [t.name, t.state]));
    /** One cycle, then time for the agents it started to work their turn. */
    const cycle = async () => {
      const c = backend.coordinatorCycle("pay");
      await vi.advanceTimersByTimeAsync(1_000);
      return c;
    };
    return { backend, seen, states, cycle };
  }

  function taskRequest(name: string, fields: Partial<TaskCreate> = {}): TaskCreate {
    return {
      session: "pay",
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

  it("runs the tri-agent pattern to completion: spec, work, changes requested once, the fix, approval", async () => {
    const { backend, seen, states, cycle } = fake();
    await backend.patternRun("tri-agent", "pay", "Add retries");
    const status = await backend.coordinatorRun("pay");
    expect(status).toEqual({ sessionId: "s1", state: "running", cycles: 0, last: null });
    expect(seen.filter((e) => e.type === "session_updated").map((e) => e.type === "session_updated" && e.session.coordinator)).toEqual(["running"]);

    // 1: the spec starts on an architect.
    expect((await cycle()).summary.started).toEqual(["spec"]);
    const architect = (await backend.agentList("pay")).find((a) => a.name === "architect")!;
    expect(architect).toMatchObject({ role: "architect", state: "waiting", turns: 1, taskId: (await backend.taskGet("spec")).id });

    // 2: the spec is done with its answer as an artifact; the implementer gets it in its prompt.
    const second = await cycle();
    expect(second.summary).toMatchObject({ finished: ["spec"], started: ["implement"] });
    const spec = await backend.artifactList("pay", "spec");
    expect(spec.map((a) => [a.kind, a.title])).toEqual([["markdown", "spec: result"]]);
    const specBody = (await backend.artifactGet(spec[0]!.id)).body;
    expect(specBody.split("\n")[0]).toBe("# Specification: Add retries");
    const implementer = (await backend.agentList("pay")).find((a) => a.name === "implementer")!;
    expect(implementer.prompt).toContain(specBody);
    expect(implementer.prompt).not.toContain("{spec}");

    // 3: the work ends in review (with its diff stored), and the reviewer starts.
    expect((await cycle()).summary).toMatchObject({ finished: ["implement"], started: ["review"] });
    expect((await backend.artifactList("pay", "implement")).map((a) => a.kind)).toEqual(["diff", "markdown"]);
    expect((await backend.taskGet("implement")).state).toBe("review");
    const reviewer = (await backend.agentList("pay")).find((a) => a.name === "reviewer")!;
    expect(reviewer.prompt).toContain("diff --git a/src/retry.ts b/src/retry.ts");

    // 4: round 1 requests changes: the work goes back to its agent with the findings.
    const fourth = await cycle();
    expect(fourth.summary.sentBack).toEqual(["implement"]);
    const verdicts = (await backend.artifactList("pay", "review")).filter((a) => a.kind === "verdict");
    expect(verdicts.map((a) => a.summary)).toEqual(["round 1: changes requested: 3 findings (1 error, 1 warning, 1 note)"]);
    const round1 = verdictParse((await backend.artifactGet(verdicts[0]!.id)).body);
    expect(round1.ok && round1.verdict.findings[0]).toMatchObject({ file: "src/client.ts", line: 42, severity: "error" });
    expect((await backend.taskGet("review")).rounds).toBe(1);
    const fixPrompt = (await backend.agentEvents(implementer.id)).filter((r) => r.event.kind === "user_text").at(-1)!.event;
    expect(fixPrompt).toMatchObject({ text: expect.stringContaining("- [error] src/client.ts:42: A 4xx answer is still retried") });

    // 5: the fix is in review again; the same reviewer is asked for round 2.
    expect((await cycle()).summary).toMatchObject({ finished: ["implement"], started: ["review"] });
    expect((await backend.agentList("pay")).filter((a) => a.role === "reviewer")).toHaveLength(1);

    // 6: approved: both done, and every criterion holds: complete.
    const last = await cycle();
    expect(last.summary.finished).toEqual(["review"]);
    expect(last.summary.criteria).toEqual({
      tasksEnded: true,
      outputsParsed: true,
      noBlockers: true,
      noIdleWithWork: true,
      complete: true,
      unmet: [],
    });
    expect(await states()).toEqual({ spec: "done", implement: "done", review: "done" });
    expect(await backend.taskGet("implement")).toMatchObject({ outcome: "approved by review in round 2", attempts: 1 });
    expect((await backend.taskGet("review")).rounds).toBe(2);
    expect((await backend.sessionGet("pay")).coordinator).toBe("complete");
    const coordinator = await backend.coordinatorStatus("pay");
    expect(coordinator).toMatchObject({ state: "complete", cycles: 6, last: { n: 6 } });
    // Each cycle went out as an event, in order; the cycles read back newest first.
    const cycles = seen.flatMap((e) => (e.type === "coordinator_cycle" ? [e.cycle.n] : []));
    expect(cycles).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await backend.coordinatorCycles("pay", 2)).map((c) => c.n)).toEqual([6, 5]);
    expect(seen.at(-1)).toMatchObject({ type: "session_updated", session: { coordinator: "complete" } });
  });

  it("starts no more tasks at once than the session allows, and says when ready ones wait", async () => {
    const { backend, cycle } = fake();
    await backend.sessionUpdate("s1", sessionChange({ maxAgents: 1 }));
    for (const name of ["a", "b"]) await backend.taskAdd(taskRequest(name));
    await backend.coordinatorRun("pay");

    const first = backend.coordinatorCycle("pay");
    expect(first.summary.started).toEqual(["a"]);
    // No room for b: that is not idle work.
    expect(first.summary.criteria).toMatchObject({ noIdleWithWork: true, complete: false });
    expect(first.summary.criteria.unmet).toEqual(["2 task(s) not done: a is running, b is ready"]);
    await vi.advanceTimersByTimeAsync(1_000);

    const second = await cycle();
    expect(second.summary).toMatchObject({ finished: ["a"], started: ["b"] });
  });

  it("does not complete while a decision is pending, and says so", async () => {
    const { backend } = fake();
    await backend.taskAdd(taskRequest("a"));
    await backend.taskComplete("a", "done");
    const question = await backend.decisionAdd("pay", "Refunds too?");
    await backend.coordinatorRun("pay");

    const blocked = backend.coordinatorCycle("pay").summary.criteria;
    expect(blocked).toMatchObject({ tasksEnded: true, noBlockers: false, complete: false, unmet: ["1 decision(s) pending"] });
    expect((await backend.sessionGet("pay")).coordinator).toBe("running");

    await backend.decisionAnswer("pay", question.id, "Charges only");
    expect(backend.coordinatorCycle("pay").summary.criteria.complete).toBe(true);
    expect((await backend.sessionGet("pay")).coordinator).toBe("complete");
  });

  it("blocks a task whose agent stopped before finishing; Retry makes it ready, and it starts again", async () => {
    const { backend, seen } = fake();
    await backend.taskAdd(taskRequest("a"));
    await backend.coordinatorRun("pay");
    backend.coordinatorCycle("pay");
    const agent = (await backend.agentList("pay"))[0]!;
    await backend.agentStop(agent.id);

    expect(backend.coordinatorCycle("pay").summary.blocked).toEqual(["a"]);
    const blocked = await backend.taskGet("a");
    expect(blocked.state).toBe("blocked");
    expect(blocked.reason).toBe(
      `its agent ${agent.name} was stopped before finishing its turn; what it did so far is in its worktree. ` +
        "`baton task retry a` starts the task again (resuming a when its CLI can)",
    );

    seen.length = 0;
    const retried = await backend.taskRetry("a");
    expect(retried).toMatchObject({ state: "ready", reason: null });
    expect(seen).toEqual([{ type: "task_updated", task: retried }]);
    const again = await caught(backend.taskRetry("a"));
    expect(again.code).toBe("invalid_input");
    expect(again.message).toBe("task a is ready; only a blocked or failed task is retried");

    expect(backend.coordinatorCycle("pay").summary.started).toEqual(["a"]);
    expect((await backend.taskGet("a")).attempts).toBe(2);
  });

  it("runs cycles by itself while running, none once paused; an archived session cannot run", async () => {
    vi.useFakeTimers();
    const backend = new FakeBackend({
      sessions: [session("s1", "pay"), session("s3", "old", { state: "archived" })],
      coordinatorCycleMs: 100,
    });
    await backend.coordinatorRun("pay");
    await vi.advanceTimersByTimeAsync(250);
    expect((await backend.coordinatorStatus("pay")).cycles).toBe(3);

    const paused = await backend.coordinatorPause("pay");
    expect(paused).toMatchObject({ state: "off", cycles: 3 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await backend.coordinatorStatus("pay")).cycles).toBe(3);
    // Nothing to do (no tasks): never complete.
    expect((await backend.coordinatorCycles("pay")).at(0)!.summary.criteria.unmet).toEqual(["no tasks yet"]);

    const refused = await caught(backend.coordinatorRun("old"));
    expect(refused.code).toBe("invalid_input");
    expect(refused.message).toBe("session old is archived; unarchive it first");
  });

  it("checks the review settings of a task as the daemon does", async () => {
    const { backend } = fake();
    await backend.taskAdd(taskRequest("build"));
    const notAfter = await caught(backend.taskAdd(taskRequest("check", { reviews: "build" })));
    expect(notAfter.message).toBe("check reviews build but does not run after it; add build to its `after` dependencies");
    const rounds = await caught(backend.taskAdd(taskRequest("check", { after: ["build"], reviews: "build", maxRounds: 0 })));
    expect(rounds.message).toBe("max rounds must be at least 1");
    const check = await backend.taskAdd(taskRequest("check", { after: ["build"], reviews: "build", maxRounds: 2 }));
    expect(check).toMatchObject({ reviews: (await backend.taskGet("build")).id, maxRounds: 2, rounds: 0 });
  });
});

describe("FakeBackend context", () => {
  function fake() {
    const backend = new FakeBackend({ sessions: [session("s1", "pay"), session("s2", "web")], eventTiming: "before-reply" });
    const seen: EngineEvent[] = [];
    backend.subscribe((events) => seen.push(...events));
    return { backend, seen };
  }

  it("records objectives, decisions and insights, each change a context_updated event of its session", async () => {
    const { backend, seen } = fake();
    const objective = await backend.objectiveAdd("pay", "  Retry transient failures ");
    expect(objective).toMatchObject({ text: "Retry transient failures", state: "open" });
    const done = await backend.objectiveSet("pay", objective.id, "done");
    expect(done.state).toBe("done");
    const decision = await backend.decisionAdd("pay", "Refunds too?");
    expect(decision).toMatchObject({ question: "Refunds too?", answer: null, state: "pending" });
    expect(await backend.decisionAnswer("pay", decision.id, "No")).toMatchObject({ answer: "No", state: "decided" });
    await backend.insightAdd("web", "The CDN caches 404s");
    expect(seen).toEqual([
      ...Array(4).fill({ type: "context_updated", session_id: "s1" }),
      { type: "context_updated", session_id: "s2" },
    ]);

    const status = await backend.sessionStatus("pay");
    expect(status.objectives).toEqual([done]);
    expect(status.decisions.map((d) => d.state)).toEqual(["decided"]);
    expect(status.insights).toEqual([]);
    expect((await backend.sessionStatus("web")).insights.map((i) => i.text)).toEqual(["The CDN caches 404s"]);
  });

  it("refuses what the daemon refuses", async () => {
    const { backend } = fake();
    const empty = await caught(backend.objectiveAdd("pay", "  "));
    expect(empty).toMatchObject({ code: "invalid_input", message: "the text is empty; say what to record" });
    const o = await backend.objectiveAdd("pay", "x");
    const state = await caught(backend.objectiveSet("pay", o.id, "finished" as "done"));
    expect(state.message).toBe('an objective is open, done or dropped, not "finished"');
    expect((await caught(backend.objectiveSet("pay", "nope", "done"))).message).toBe('no objective has the id "nope" in this session');
    expect((await caught(backend.decisionAnswer("pay", "nope", "y"))).code).toBe("not_found");
    // An objective of another session is not found here.
    expect((await caught(backend.objectiveSet("web", o.id, "done"))).code).toBe("not_found");
  });

  it("counts tasks by state and sums the agents in the status; exports the context by names", async () => {
    const { backend } = fake();
    const req = (name: string, after: string[] = []): TaskCreate => ({
      session: "pay",
      title: name,
      prompt: name,
      name,
      role: null,
      cli: null,
      model: null,
      after,
      ifSucceeded: [],
      ifFailed: [],
      reviews: null,
      maxRounds: null,
    });
    await backend.taskAdd(req("a"));
    await backend.taskAdd(req("b", ["a"]));
    await backend.taskAdd(req("c"));
    const status = await backend.sessionStatus("pay");
    expect(status.tasks).toEqual([
      { state: "ready", count: 2 },
      { state: "pending", count: 1 },
    ]);
    expect(status).toMatchObject({ artifacts: 0, costUsd: 0, coordinator: { state: "off", cycles: 0 } });

    const doc = await backend.contextExport("pay");
    expect(doc).toMatchObject({ format: 1, session: { name: "pay", repo: "/src/pay" }, cycles: 0 });
    expect(doc.tasks.map((t) => [t.name, t.after])).toEqual([
      ["a", []],
      ["b", ["a"]],
      ["c", []],
    ]);
  });
});

describe("FakeBackend artifacts", () => {
  const at = (minute: number) => `2026-11-01T10:${String(minute).padStart(2, "0")}:00Z`;
  const ARTIFACTS: Artifact[] = [
    {
      id: "a1",
      sessionId: "s1",
      taskId: "t-spec",
      agentId: null,
      kind: "markdown",
      title: "spec: result",
      summary: "Specification: retries",
      body: "# Specification\n\nRetry transient failures with exponential backoff, at most five tries; never retry a 4xx answer.",
      path: null,
      createdAt: at(1),
    },
    {
      id: "a2",
      sessionId: "s1",
      taskId: "t-impl",
      agentId: null,
      kind: "diff",
      title: "implement: diff",
      summary: "1 file changed",
      body: "diff --git a/src/retry.ts b/src/retry.ts\n+export class RetryPolicy {}",
      path: null,
      createdAt: at(2),
    },
    {
      id: "a3",
      sessionId: "s2",
      taskId: null,
      agentId: null,
      kind: "text",
      title: "notes",
      summary: "elsewhere",
      body: "Retry the CDN purge",
      path: null,
      createdAt: at(3),
    },
  ];

  function fake() {
    return new FakeBackend({ sessions: [session("s1", "pay"), session("s2", "web")], artifacts: ARTIFACTS });
  }

  it("lists a session's artifacts newest first, without bodies, or one task's", async () => {
    const backend = fake();
    const list = await backend.artifactList("pay");
    expect(list.map((a) => a.id)).toEqual(["a2", "a1"]);
    expect(list.every((a) => a.body === "")).toBe(true);
    expect((await backend.artifactList("web")).map((a) => a.id)).toEqual(["a3"]);
    expect(await backend.artifactGet("a1")).toEqual(ARTIFACTS[0]);
    const missing = await caught(backend.artifactGet("zz"));
    expect(missing).toMatchObject({ code: "not_found", message: 'no artifact has the id "zz"; `baton artifact list --session S` lists them' });
  });

  it("finds artifacts holding every word, in a session or all, with the words bracketed in a snippet", async () => {
    const backend = fake();
    const hits = await backend.artifactSearch("retry BACKOFF", "pay");
    expect(hits.map((h) => h.artifact.id)).toEqual(["a1"]);
    expect(hits[0]!.artifact.body).toBe("");
    expect(hits[0]!.snippet).toBe("# Specification [Retry] transient failures with exponential [backoff], at most five tries;…");
    // A word inside a longer one is found, and only its part is marked.
    expect((await backend.artifactSearch("retry", "pay")).map((h) => [h.artifact.id, h.snippet])).toEqual([
      ["a2", "diff --git a/src/[retry].ts b/src/[retry].ts +export class [Retry]Policy {}"],
      ["a1", expect.stringContaining("[Retry] transient")],
    ]);
    expect((await backend.artifactSearch("retry")).map((h) => h.artifact.id)).toEqual(["a3", "a2", "a1"]);
    expect(await backend.artifactSearch("rollback", "pay")).toEqual([]);
    const empty = await caught(backend.artifactSearch("   "));
    expect(empty).toMatchObject({ code: "invalid_input", message: "the search is empty; give words to look for" });
  });

  it("summarises a text as its first line with words, cut as the engine cuts it", () => {
    expect(summaryLine("\n# Spec: add a flag\n\nDetails...", 80)).toBe("Spec: add a flag");
    expect(summaryLine("---\n\nok", 80)).toBe("ok");
    expect(summaryLine("abcdefghij", 5)).toBe("abcd…");
    expect(summaryLine("", 5)).toBe("");
  });
});
