import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { Session } from "../bindings/Session";
import type { Task } from "../bindings/Task";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { BackendError, connectBackend, HttpBackend, sessionChange } from "./backend";
import { parsePatch } from "./diff";
import { FakeBackend } from "./fakeBackend";
import { settings } from "../views/fixtures";

const CONN = { url: "http://127.0.0.1:4321/", token: "s3cret" };

function session(overrides: Partial<Session> = {}): Session {
  return {
    id: "0193a5b2-0000-7000-8000-000000000001",
    name: "alpha",
    repo: "/src/alpha",
    baseBranch: "main",
    state: "active",
    settings: settings(), parentSessionId: null, coordinator: "off",
    createdAt: "2026-11-21T10:00:00Z",
    updatedAt: "2026-11-21T10:00:00Z",
    ...overrides,
  };
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

async function caught(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BackendError);
    return err as BackendError;
  }
  throw new Error("expected the call to fail");
}

describe("HttpBackend requests", () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;

  beforeEach(() => {
    fetchMock = vi.fn<typeof fetch>();
    vi.stubGlobal("fetch", fetchMock);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function lastCall(): { url: string; init: RequestInit; headers: Record<string, string> } {
    const [url, init] = fetchMock.mock.calls.at(-1)!;
    return { url: String(url), init: init!, headers: init!.headers as Record<string, string> };
  }

  it("gets health with the bearer token", async () => {
    const health = { version: "0.1.0", pid: 42, home: "/h", startedAt: "2026-11-21T10:00:00Z", sessions: 3 };
    fetchMock.mockResolvedValue(jsonResponse(200, health));

    await expect(new HttpBackend(CONN).health()).resolves.toEqual(health);

    const { url, init, headers } = lastCall();
    expect(url).toBe("http://127.0.0.1:4321/api/health");
    expect(init.method).toBe("GET");
    expect(headers.Authorization).toBe("Bearer s3cret");
    expect(init.body).toBeUndefined();
  });

  it("lists sessions", async () => {
    const list = [session(), session({ id: "b", name: "beta", state: "archived" })];
    fetchMock.mockResolvedValue(jsonResponse(200, list));

    await expect(new HttpBackend(CONN).sessionList()).resolves.toEqual(list);
    expect(lastCall().url).toBe("http://127.0.0.1:4321/api/sessions");
    expect(lastCall().init.method).toBe("GET");
  });

  it("creates a session with a JSON body and accepts 201", async () => {
    const created = session();
    fetchMock.mockResolvedValue(jsonResponse(201, created));

    const result = await new HttpBackend(CONN).sessionCreate({ repo: "/src/alpha", name: null, parent: null });

    expect(result).toEqual(created);
    const { url, init, headers } = lastCall();
    expect(url).toBe("http://127.0.0.1:4321/api/sessions");
    expect(init.method).toBe("POST");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(headers.Authorization).toBe("Bearer s3cret");
    expect(JSON.parse(init.body as string)).toEqual({ repo: "/src/alpha", name: null, parent: null });
  });

  it("encodes the id or name in the path", async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, session({ name: "a b/c?" })));

    await new HttpBackend(CONN).sessionGet("a b/c?");

    expect(lastCall().url).toBe("http://127.0.0.1:4321/api/sessions/a%20b%2Fc%3F");
  });

  it("patches a session", async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, session({ state: "archived" })));

    await new HttpBackend(CONN).sessionUpdate("id-1", { name: null, archived: true, branchPattern: null, setupCommand: null, maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });

    const { url, init } = lastCall();
    expect(url).toBe("http://127.0.0.1:4321/api/sessions/id-1");
    expect(init.method).toBe("PATCH");
    expect(JSON.parse(init.body as string)).toEqual({ name: null, archived: true, branchPattern: null, setupCommand: null, maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });
  });

  it("turns an ApiError body into a BackendError with its code and message", async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(400, { code: "not_a_git_repo", message: "/tmp is not a git repository" }),
    );

    const err = await caught(new HttpBackend(CONN).sessionCreate({ repo: "/tmp", name: null, parent: null }));

    expect(err.code).toBe("not_a_git_repo");
    expect(err.message).toBe("/tmp is not a git repository");
  });

  it("keeps the message of a code this UI does not know, as internal", async () => {
    fetchMock.mockResolvedValue(jsonResponse(409, { code: "from_the_future", message: "later" }));

    const err = await caught(new HttpBackend(CONN).sessionList());

    expect(err.code).toBe("internal");
    expect(err.message).toBe("later");
  });

  it("names the status when an error has no JSON body", async () => {
    fetchMock.mockResolvedValue(new Response("nope", { status: 401, statusText: "Unauthorized" }));

    const err = await caught(new HttpBackend(CONN).sessionList());

    expect(err.code).toBe("unauthorized");
    expect(err.message).toContain("401");
  });

  it("reports a network failure as daemon_unreachable, telling how to start it", async () => {
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));

    const err = await caught(new HttpBackend(CONN).health());

    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("baton daemon");
    expect(err.message).toContain("http://127.0.0.1:4321");
  });

  it("rejects a success whose body is not JSON", async () => {
    fetchMock.mockResolvedValue(new Response("<html>", { status: 200 }));

    const err = await caught(new HttpBackend(CONN).health());

    expect(err.code).toBe("internal");
  });

  describe("agents", () => {
    const agent = { id: "ag/1", name: "architect" } as unknown as Agent;

    async function call(
      run: (b: HttpBackend) => Promise<unknown>,
      status = 200,
    ): Promise<{ url: string; method: string | undefined; body: unknown; headers: Record<string, string> }> {
      fetchMock.mockImplementation(async () => jsonResponse(status, agent));
      await run(new HttpBackend(CONN));
      const { url, init, headers } = lastCall();
      return {
        url: url.replace("http://127.0.0.1:4321", ""),
        method: init.method,
        body: init.body === undefined ? undefined : JSON.parse(init.body as string),
        headers,
      };
    }

    it("spawns with the whole request as the body (201)", async () => {
      const req = {
        session: "payments",
        cli: "command" as const,
        prompt: "",
        name: null,
        model: null,
        allowTools: [],
        program: ["npm", "test"],
        cwd: null,
      };
      const sent = await call((b) => b.agentSpawn(req), 201);
      expect(sent.url).toBe("/api/agents");
      expect(sent.method).toBe("POST");
      expect(sent.body).toEqual(req);
      expect(sent.headers.Authorization).toBe("Bearer s3cret");
      expect(sent.headers["Content-Type"]).toBe("application/json");
    });

    it("lists the agents of a session, or of all", async () => {
      expect(await call((b) => b.agentList("my session"))).toMatchObject({
        url: "/api/agents?session=my%20session",
        method: "GET",
        body: undefined,
      });
      expect(await call((b) => b.agentList())).toMatchObject({ url: "/api/agents", method: "GET" });
    });

    it("gets one agent, its id encoded", async () => {
      expect(await call((b) => b.agentGet("ag/1"))).toMatchObject({ url: "/api/agents/ag%2F1", method: "GET" });
    });

    it("reads the history after a seq, with the default page or a given limit", async () => {
      const records: AgentEventRecord[] = [
        { agentId: "a", seq: 5, ts: 1, event: { kind: "text", text: "hi", delta: false } },
      ];
      // A Response body can be read once: a new one for each call.
      fetchMock.mockImplementation(async () => jsonResponse(200, records));
      await expect(new HttpBackend(CONN).agentEvents("a", 4)).resolves.toEqual(records);
      expect(lastCall().url).toBe("http://127.0.0.1:4321/api/agents/a/events?after=4&limit=10000");
      expect(lastCall().init.method).toBe("GET");

      await new HttpBackend(CONN).agentEvents("a", 0, 500);
      expect(lastCall().url).toBe("http://127.0.0.1:4321/api/agents/a/events?after=0&limit=500");
    });

    it("sends a message", async () => {
      expect(await call((b) => b.agentSend("a", "go on"))).toEqual(
        expect.objectContaining({ url: "/api/agents/a/messages", method: "POST", body: { text: "go on" } }),
      );
    });

    it("approves once or always, and denies with always false", async () => {
      expect(await call((b) => b.agentApprove("a", "Bash", false))).toMatchObject({
        url: "/api/agents/a/approve",
        method: "POST",
        body: { tool: "Bash", always: false },
      });
      expect((await call((b) => b.agentApprove("a", "Bash", true))).body).toEqual({ tool: "Bash", always: true });
      expect(await call((b) => b.agentDeny("a", "WebFetch"))).toMatchObject({
        url: "/api/agents/a/deny",
        method: "POST",
        body: { tool: "WebFetch", always: false },
      });
    });

    it("stops with an empty POST", async () => {
      expect(await call((b) => b.agentStop("a"))).toMatchObject({
        url: "/api/agents/a/stop",
        method: "POST",
        body: undefined,
      });
    });

    it("removes an agent with DELETE, forced only when asked", async () => {
      expect(await call((b) => b.agentRemove("ag/1"))).toMatchObject({ url: "/api/agents/ag%2F1?force=false", method: "DELETE", body: undefined });
      expect((await call((b) => b.agentRemove("a", true))).url).toBe("/api/agents/a?force=true");
    });

    it("reads changes, the diff with or without its patch, and checkpoints", async () => {
      expect(await call((b) => b.agentChanges("a"))).toMatchObject({ url: "/api/agents/a/changes", method: "GET" });
      expect(await call((b) => b.agentDiff("a"))).toMatchObject({ url: "/api/agents/a/diff?patch=true", method: "GET" });
      expect((await call((b) => b.agentDiff("a", false))).url).toBe("/api/agents/a/diff?patch=false");
      expect(await call((b) => b.agentCheckpoints("a"))).toMatchObject({ url: "/api/agents/a/checkpoints", method: "GET" });
    });

    it("restores a checkpoint, and merges with the request as the body", async () => {
      expect(await call((b) => b.agentRestore("a", 3))).toMatchObject({
        url: "/api/agents/a/checkpoints/3/restore",
        method: "POST",
        body: undefined,
      });
      const req = { into: "main", strategy: "squash" as const, dryRun: true };
      expect(await call((b) => b.agentMerge("a", req))).toMatchObject({ url: "/api/agents/a/merge", method: "POST", body: req });
    });

    it("reads the worktrees' disk use and collects garbage", async () => {
      expect(await call((b) => b.worktreesUsage())).toMatchObject({ url: "/api/worktrees", method: "GET" });
      expect(await call((b) => b.worktreesGc(true))).toMatchObject({ url: "/api/worktrees/gc", method: "POST", body: { dryRun: true } });
    });

    for (const code of ["merge_conflict", "dirty_checkout", "agent_busy"] as const) {
      it(`passes on a refused merge's ${code} (409)`, async () => {
        fetchMock.mockResolvedValue(jsonResponse(409, { code, message: `refused: ${code}` }));
        const err = await caught(new HttpBackend(CONN).agentMerge("a", { into: null, strategy: "squash", dryRun: false }));
        expect(err.code).toBe(code);
        expect(err.message).toBe(`refused: ${code}`);
      });
    }

    it("lists, adds, gets and completes tasks", async () => {
      expect(await call((b) => b.taskList("my session"))).toMatchObject({ url: "/api/tasks?session=my%20session", method: "GET", body: undefined });
      const req = {
        session: "s",
        title: "Fix it",
        prompt: "Fix the bug",
        name: null,
        role: "implementer",
        cli: "claude" as const,
        model: null,
        after: ["spec"],
        ifSucceeded: [],
        ifFailed: ["tests"],
        reviews: "spec",
        maxRounds: 2,
      };
      expect(await call((b) => b.taskAdd(req))).toMatchObject({ url: "/api/tasks", method: "POST", body: req });
      expect(await call((b) => b.taskGet("t/1"))).toMatchObject({ url: "/api/tasks/t%2F1", method: "GET", body: undefined });
      expect(await call((b) => b.taskComplete("t1", "failed", "tests still red"))).toMatchObject({
        url: "/api/tasks/t1/complete",
        method: "POST",
        body: { state: "failed", outcome: "tests still red" },
      });
      expect((await call((b) => b.taskComplete("t1", "done"))).body).toEqual({ state: "done", outcome: null });
    });

    it("lists patterns and runs one for a goal", async () => {
      expect(await call((b) => b.patternList())).toMatchObject({ url: "/api/patterns", method: "GET", body: undefined });
      expect(await call((b) => b.patternRun("tri agent", "s", "Add retries"))).toMatchObject({
        url: "/api/patterns/tri%20agent/run",
        method: "POST",
        body: { session: "s", goal: "Add retries" },
      });
    });

    it("passes on the daemon's refusal of an empty goal", async () => {
      fetchMock.mockResolvedValue(jsonResponse(400, { code: "invalid_input", message: "the goal is empty; say what the pattern should achieve" }));
      const err = await caught(new HttpBackend(CONN).patternRun("tri-agent", "s", ""));
      expect(err.code).toBe("invalid_input");
      expect(err.message).toContain("goal is empty");
    });

    it("passes on the new error codes with their message", async () => {
      fetchMock.mockResolvedValue(
        jsonResponse(400, { code: "cli_missing", message: "`codex` is not installed. Run `npm i -g @openai/codex`." }),
      );
      const err = await caught(new HttpBackend(CONN).agentGet("a"));
      expect(err.code).toBe("cli_missing");
      expect(err.message).toContain("npm i -g");
    });
  });
});

/** A stand-in for the browser's EventSource that tests drive by hand. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];

  readonly url: string;
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly listeners = new Map<string, ((e: MessageEvent) => void)[]>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (e: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }

  // Test controls.
  open(): void {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.();
  }

  fail(readyState: number): void {
    this.readyState = readyState;
    this.onerror?.();
  }

  send(type: string, data: string): void {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data }));
  }
}

describe("HttpBackend events", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("opens one stream with the token, delivers batches and reports status", () => {
    const backend = new HttpBackend(CONN);
    const batches: EngineEvent[][] = [];
    const statuses: boolean[] = [];

    const unsubscribe = backend.subscribe(
      (events) => batches.push(events),
      (connected) => statuses.push(connected),
    );
    const source = FakeEventSource.instances[0]!;
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(source.url).toBe("http://127.0.0.1:4321/api/events?token=s3cret");

    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    source.open();
    const event: EngineEvent = { type: "session_created", session: session() };
    source.send("batch", JSON.stringify([event]));
    source.send("batch", "not json");
    source.fail(FakeEventSource.CONNECTING);

    expect(batches).toEqual([[event]]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    expect(statuses).toEqual([true, false]);

    unsubscribe();
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
  });

  it("shares the stream between subscribers and closes it with the last one", () => {
    const backend = new HttpBackend(CONN);
    const first = vi.fn();
    const second = vi.fn();
    const lateStatus = vi.fn();

    const unsubscribeFirst = backend.subscribe(first);
    FakeEventSource.instances[0]!.open();
    const unsubscribeSecond = backend.subscribe(second, lateStatus);

    expect(FakeEventSource.instances).toHaveLength(1);
    expect(lateStatus).toHaveBeenCalledWith(true);
    FakeEventSource.instances[0]!.send("batch", "[]");
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);

    unsubscribeFirst();
    expect(FakeEventSource.instances[0]!.readyState).toBe(FakeEventSource.OPEN);
    unsubscribeSecond();
    expect(FakeEventSource.instances[0]!.readyState).toBe(FakeEventSource.CLOSED);
  });

  it("reports a resync from the daemon as a reconnect, so views reload", () => {
    const backend = new HttpBackend(CONN);
    const statuses: boolean[] = [];
    backend.subscribe(
      () => {},
      (c) => statuses.push(c),
    );
    FakeEventSource.instances[0]!.open();

    FakeEventSource.instances[0]!.send("resync", "12");

    expect(statuses).toEqual([true, false, true]);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it("reopens a stream the browser closed for good", () => {
    const backend = new HttpBackend(CONN);
    const statuses: boolean[] = [];
    backend.subscribe(
      () => {},
      (c) => statuses.push(c),
    );
    FakeEventSource.instances[0]!.open();

    FakeEventSource.instances[0]!.fail(FakeEventSource.CLOSED);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.instances[1]!.open();

    expect(statuses).toEqual([true, false, true]);
  });
});

describe("FakeBackend", () => {
  it("validates like the daemon", async () => {
    const fake = new FakeBackend();
    await fake.sessionCreate({ repo: "/src/one", name: "one", parent: null });

    expect((await caught(fake.sessionCreate({ repo: "  ", name: null, parent: null }))).code).toBe("invalid_input");
    expect((await caught(fake.sessionCreate({ repo: "/tmp/not-a-repo", name: null, parent: null }))).code).toBe(
      "not_a_git_repo",
    );
    expect((await caught(fake.sessionCreate({ repo: "/src/two", name: "one", parent: null }))).code).toBe(
      "duplicate_name",
    );
    expect((await caught(fake.sessionGet("nobody"))).code).toBe("not_found");
    expect((await caught(fake.sessionUpdate("nobody", { name: "x", archived: null, branchPattern: null, setupCommand: null, maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null }))).code).toBe(
      "not_found",
    );
    expect(await fake.sessionList()).toHaveLength(1);
  });

  it("names a session after its folder, uniquely, and finds it by name", async () => {
    const fake = new FakeBackend();
    const a = await fake.sessionCreate({ repo: "/src/app/", name: null, parent: null });
    const b = await fake.sessionCreate({ repo: "/other/app", name: "", parent: null });

    expect(a.name).toBe("app");
    expect(b.name).toBe("app-2");
    expect((await fake.sessionGet("app-2")).id).toBe(b.id);
    expect(b.createdAt > a.createdAt).toBe(true);
  });

  it("sends events to every subscriber", async () => {
    const fake = new FakeBackend({ eventTiming: "before-reply" });
    const seen: EngineEvent[] = [];
    const unsubscribe = fake.subscribe((events) => seen.push(...events));

    const created = await fake.sessionCreate({ repo: "/src/one", name: null, parent: null });
    const archived = await fake.sessionUpdate(created.id, { name: null, archived: true, branchPattern: null, setupCommand: null, maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });
    unsubscribe();
    await fake.sessionUpdate(created.id, { name: "renamed", archived: null, branchPattern: null, setupCommand: null, maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });

    expect(seen).toEqual([
      { type: "session_created", session: created },
      { type: "session_updated", session: archived },
    ]);
    expect(archived.state).toBe("archived");
  });
});

describe("FakeBackend tasks", () => {
  const SESSIONS = [session({ id: "s-1", name: "pay" }), session({ id: "s-2", name: "web" })];

  function taskRequest(title: string, deps: { after?: string[]; ifSucceeded?: string[]; ifFailed?: string[] } = {}) {
    return {
      session: "pay",
      title,
      prompt: `Do: ${title}`,
      name: null,
      role: null,
      cli: null,
      model: null,
      after: deps.after ?? [],
      ifSucceeded: deps.ifSucceeded ?? [],
      ifFailed: deps.ifFailed ?? [],
      reviews: null as string | null,
      maxRounds: null as number | null,
    };
  }

  /** A fake that sends events before replying, and the tasks it sent, by name, in order. */
  function fake() {
    const backend = new FakeBackend({ sessions: SESSIONS, eventTiming: "before-reply" });
    const seen: Task[] = [];
    backend.subscribe((events) => {
      for (const e of events) if (e.type === "task_updated") seen.push(e.task);
    });
    const states = async () => Object.fromEntries((await backend.taskList("pay")).map((t) => [t.name, t.state]));
    const byName = async (name: string) => (await backend.taskList("pay")).find((t) => t.name === name)!;
    return { backend, seen, states, byName };
  }

  it("adds a task ready when nothing holds it, pending behind its dependencies, named from its title", async () => {
    const { backend, seen } = fake();
    const spec = await backend.taskAdd(taskRequest("Write the spec!"));
    expect(spec).toMatchObject({ name: "write-the-spec", state: "ready", deps: [], sessionId: "s-1", attempts: 0 });
    const impl = await backend.taskAdd({ ...taskRequest("Implement"), name: "impl", role: "implementer", cli: "codex", after: ["write-the-spec"] });
    expect(impl).toMatchObject({ name: "impl", state: "pending", role: "implementer", cli: "codex", deps: [{ taskId: spec.id, kind: "after" }] });
    // The same title again gets a suffix; by id works as well as by name.
    expect((await backend.taskAdd(taskRequest("Write the spec", { after: [impl.id] }))).name).toBe("write-the-spec-2");

    expect(seen.map((t) => [t.name, t.state])).toEqual([
      ["write-the-spec", "ready"],
      ["impl", "pending"],
      ["write-the-spec-2", "pending"],
    ]);
    expect((await backend.taskGet("impl")).id).toBe(impl.id);
    expect((await backend.taskList("web"))).toEqual([]);
  });

  it("refuses what the daemon refuses, with its codes", async () => {
    const { backend } = fake();
    await backend.taskAdd({ ...taskRequest("Spec"), name: "spec" });
    const dup = await caught(backend.taskAdd({ ...taskRequest("Other"), name: "spec" }));
    expect(dup.code).toBe("duplicate_name");
    expect(dup.message).toContain('a task named "spec" already exists');
    const unknown = await caught(backend.taskAdd({ ...taskRequest("Impl"), name: "impl", after: ["nope"] }));
    expect(unknown.code).toBe("invalid_input");
    expect(unknown.message).toBe('task "impl" depends on "nope", which is not a task of this session or graph');
    // A task of another session is not a dependency here.
    const elsewhere = await backend.taskAdd({ ...taskRequest("Other"), session: "web", name: "there" });
    expect((await caught(backend.taskAdd(taskRequest("X", { after: [elsewhere.id] })))).code).toBe("invalid_input");
    expect((await caught(backend.taskAdd(taskRequest("X", { after: ["spec"], ifFailed: ["spec"] })))).message).toContain("named twice");
    expect((await caught(backend.taskAdd(taskRequest("  ")))).code).toBe("invalid_input");
    expect((await caught(backend.taskAdd({ ...taskRequest("T"), prompt: " " }))).message).toContain("prompt is empty");
    expect((await caught(backend.taskAdd({ ...taskRequest("T"), session: "nobody" }))).code).toBe("not_found");
    expect((await caught(backend.taskGet("nothing"))).code).toBe("not_found");
  });

  it("moves dependants on: after and if-succeeded become ready, if-failed is cancelled, saying why, down the chain", async () => {
    const { backend, seen, states, byName } = fake();
    await backend.taskAdd({ ...taskRequest("Build"), name: "build" });
    await backend.taskAdd({ ...taskRequest("Test"), name: "test", after: ["build"] });
    await backend.taskAdd({ ...taskRequest("Ship"), name: "ship", ifSucceeded: ["build"] });
    await backend.taskAdd({ ...taskRequest("Fix"), name: "fix", ifFailed: ["build"] });
    await backend.taskAdd({ ...taskRequest("Verify fix"), name: "verify", after: ["fix"] });
    seen.length = 0;

    const done = await backend.taskComplete("build", "done", "  built in 3s ");
    expect(done).toMatchObject({ state: "done", outcome: "built in 3s", reason: null });
    expect(await states()).toEqual({ build: "done", test: "ready", ship: "ready", fix: "cancelled", verify: "cancelled" });
    expect((await byName("fix")).reason).toBe("build succeeded; this task runs only if it fails");
    expect((await byName("verify")).reason).toBe("fix was cancelled");
    // One event per task that changed, the completed task first.
    expect(seen.map((t) => `${t.name}:${t.state}`)).toEqual(["build:done", "test:ready", "ship:ready", "fix:cancelled", "verify:cancelled"]);

    const again = await caught(backend.taskComplete("build", "failed"));
    expect(again.code).toBe("invalid_input");
    expect(again.message).toBe("task build is already done; it cannot complete again");
  });

  it("cancels the if-succeeded branch when a task fails, and readies the if-failed one", async () => {
    const { backend, states, byName } = fake();
    await backend.taskAdd({ ...taskRequest("Build"), name: "build" });
    await backend.taskAdd({ ...taskRequest("Ship"), name: "ship", ifSucceeded: ["build"] });
    await backend.taskAdd({ ...taskRequest("Test"), name: "test", after: ["build"] });
    await backend.taskAdd({ ...taskRequest("Fix"), name: "fix", ifFailed: ["build"] });

    await backend.taskComplete("build", "failed");
    expect(await states()).toEqual({ build: "failed", ship: "cancelled", test: "cancelled", fix: "ready" });
    expect((await byName("ship")).reason).toBe("build failed; this task runs only if it succeeds");
    expect((await byName("test")).reason).toBe("build failed, and this task runs after it succeeds");
    expect((await byName("build")).outcome).toBeNull();
  });

  it("readies a converging task only when all of its dependencies hold", async () => {
    const { backend, states } = fake();
    await backend.taskAdd({ ...taskRequest("A"), name: "a" });
    await backend.taskAdd({ ...taskRequest("B"), name: "b" });
    await backend.taskAdd({ ...taskRequest("Join"), name: "join", after: ["a"], ifFailed: ["b"] });

    await backend.taskComplete("a", "done");
    expect((await states()).join).toBe("pending");
    await backend.taskComplete("b", "failed");
    expect((await states()).join).toBe("ready");
  });

  it("lists the tri-agent pattern and runs it: spec -> implement -> review, the goal filled in", async () => {
    const { backend, seen } = fake();
    const [pattern] = await backend.patternList();
    expect(pattern).toMatchObject({ name: "tri-agent", source: "built-in", roles: ["architect", "implementer", "reviewer"], tasks: ["spec", "implement", "review"] });

    const empty = await caught(backend.patternRun("tri-agent", "pay", "   "));
    expect(empty.code).toBe("invalid_input");
    expect(empty.message).toBe("the goal is empty; say what the pattern should achieve");
    expect(await backend.taskList("pay")).toEqual([]);
    expect((await caught(backend.patternRun("nope", "pay", "x"))).code).toBe("not_found");

    const added = await backend.patternRun("tri-agent", "pay", " Add retries ");
    expect(added.map((t) => [t.name, t.state, t.role, t.cli])).toEqual([
      ["spec", "ready", "architect", "claude"],
      ["implement", "pending", "implementer", "claude"],
      ["review", "pending", "reviewer", "claude"],
    ]);
    expect(added[0]!.title).toBe("Specify: Add retries");
    expect(added[0]!.prompt).toMatch(/^You are the architect\.[^]*Write a specification for this goal: Add retries/);
    expect(added[1]!.deps).toEqual([{ taskId: added[0]!.id, kind: "after" }]);
    expect(added[2]!.deps).toEqual([{ taskId: added[1]!.id, kind: "after" }]);
    expect(seen.map((t) => t.name)).toEqual(["spec", "implement", "review"]);

    // Run again in the same session: the names get a suffix, the graph stays apart.
    const second = await backend.patternRun("tri-agent", "pay", "Add webhooks");
    expect(second.map((t) => t.name)).toEqual(["spec-2", "implement-2", "review-2"]);
    expect(second[1]!.deps).toEqual([{ taskId: second[0]!.id, kind: "after" }]);
  });
});

describe("connectBackend in a browser", () => {
  it("uses the daemon and token from the page address", async () => {
    const fetchMock = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(200, []));
    vi.stubGlobal("fetch", fetchMock);
    try {
      const backend = await connectBackend("?daemon=http%3A%2F%2F127.0.0.1%3A9999&token=tok");
      expect(backend).toBeInstanceOf(HttpBackend);
      await backend.sessionList();
      const [url, init] = fetchMock.mock.calls[0]!;
      expect(url).toBe("http://127.0.0.1:9999/api/sessions");
      expect((init!.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("uses the fake only when asked", async () => {
    expect(await connectBackend("?fake=1")).toBeInstanceOf(FakeBackend);
    const demo = await connectBackend("?fake=demo");
    (demo as FakeBackend).agentScriptsStop();
    const sessions = await demo.sessionList();
    expect(sessions.length).toBeGreaterThan(0);
    const agents = await demo.agentList(sessions[0]!.id);
    expect(agents.map((a) => a.state).sort()).toEqual(["needs_input", "running", "running"]);
    expect(agents.find((a) => a.cli === "command")).toBeTruthy();
  });

  it("explains how to open the page when it knows no daemon", async () => {
    const err = await caught(connectBackend(""));
    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("?daemon=");
    expect(err.message).toContain("token=");
  });

  it("asks for the token when only the address is given", async () => {
    const err = await caught(connectBackend("?daemon=http://127.0.0.1:1"));
    expect(err.code).toBe("unauthorized");
  });

  it("rejects an address that is not http", async () => {
    const err = await caught(connectBackend("?daemon=file:///etc&token=t"));
    expect(err.code).toBe("invalid_input");
  });
});

describe("connectBackend inside Tauri", () => {
  beforeEach(() => {
    vi.stubGlobal("isTauri", true);
  });

  afterEach(() => {
    clearMocks();
    vi.unstubAllGlobals();
  });

  it("asks the native shell where the daemon is", async () => {
    const commands: string[] = [];
    mockIPC((cmd) => {
      commands.push(cmd);
      return { url: "http://127.0.0.1:5555", token: "from-shell" };
    });
    const fetchMock = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(200, []));
    vi.stubGlobal("fetch", fetchMock);

    const backend = await connectBackend("?fake=1");
    await backend.sessionList();

    expect(commands).toEqual(["daemon_connect"]);
    expect(backend).toBeInstanceOf(HttpBackend);
    expect(fetchMock.mock.calls[0]![0]).toBe("http://127.0.0.1:5555/api/sessions");
  });

  it("passes on the shell's coded error", async () => {
    mockIPC(() => {
      throw { code: "database_too_new", message: "The database was written by a newer Baton." };
    });

    const err = await caught(connectBackend(""));

    expect(err.code).toBe("database_too_new");
    expect(err.message).toBe("The database was written by a newer Baton.");
  });

  it("treats a bare string error from the shell as an unreachable daemon", async () => {
    mockIPC(() => {
      throw "spawn failed: No such file or directory";
    });

    const err = await caught(connectBackend(""));

    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("spawn failed");
  });
});

describe("FakeBackend agents", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const SESSION = session({ id: "s-1", name: "pay" });

  function spawnRequest(overrides: Partial<Parameters<FakeBackend["agentSpawn"]>[0]> = {}) {
    return {
      session: "pay",
      cli: "claude" as const,
      prompt: "Make the client retry with backoff",
      name: null,
      model: null,
      allowTools: [],
      program: [],
      cwd: null,
      ...overrides,
    };
  }

  /** A fake whose agents take 10 ms a step, and everything it sends. */
  function fake() {
    vi.useFakeTimers();
    const backend = new FakeBackend({ sessions: [SESSION], agentStepMs: 10 });
    const seen: EngineEvent[] = [];
    backend.subscribe((events) => seen.push(...events));
    const records = (agentId: string) =>
      seen.flatMap((e) => (e.type === "agent_event" && e.record.agentId === agentId ? [e.record] : []));
    const updates = (agentId: string) =>
      seen.flatMap((e) => (e.type === "agent_updated" && e.agent.id === agentId ? [e.agent] : []));
    return { backend, seen, records, updates };
  }

  it("spawns an agent that works a turn, live, and keeps its history", async () => {
    const { backend, records, updates } = fake();
    const agent = await backend.agentSpawn(spawnRequest());
    expect(agent).toMatchObject({ name: "claude-1", state: "starting", sessionId: "s-1", cli: "claude" });

    await vi.advanceTimersByTimeAsync(1_000);

    const live = records(agent.id);
    expect(live.map((r) => r.seq)).toEqual(live.map((_, i) => i + 1));
    const kinds = live.map((r) => r.event.kind);
    // As the daemon does: where it works is noted before the prompt, a checkpoint after the turn.
    expect(live[0]!.event).toEqual({
      kind: "notice",
      message: expect.stringMatching(/^working in \/home\/dev\/\.baton\/worktrees\/alpha\/claude-1 on branch baton\/pay\/claude-1 \(from main at [0-9a-f]{8}\)$/),
    });
    expect(kinds[1]).toBe("user_text");
    expect(kinds).toContain("session_started");
    expect(kinds).toContain("tool_call");
    expect(kinds).toContain("file_change");
    expect(kinds.at(-2)).toBe("turn_completed");
    expect(live.at(-1)!.event).toMatchObject({ kind: "checkpoint", n: 1, message: "after turn 1" });
    expect(live.some((r) => r.event.kind === "text" && r.event.delta)).toBe(true);
    expect(updates(agent.id)[0]!.state).toBe("starting");
    const now = await backend.agentGet(agent.id);
    expect(now).toMatchObject({ state: "waiting", turns: 1, costIsEstimate: false });
    expect(now.costUsd).toBeGreaterThan(0);
    expect(now.usage.input).toBeGreaterThan(0);

    expect(await backend.agentEvents(agent.id)).toEqual(live);
    expect(await backend.agentEvents(agent.id, 3, 2)).toEqual(live.slice(3, 5));
    expect((await backend.agentList("pay")).map((a) => a.id)).toEqual([agent.id]);
    expect(await backend.agentList("s-1")).toHaveLength(1);
  });

  it("answers a message with the message, text and the end of the turn", async () => {
    const { backend, records } = fake();
    const agent = await backend.agentSpawn(spawnRequest());
    await vi.advanceTimersByTimeAsync(1_000);
    const before = records(agent.id).length;

    const sent = await backend.agentSend(agent.id, "Now document it");
    expect(sent.state).toBe("running");
    await vi.advanceTimersByTimeAsync(1_000);

    const turn = records(agent.id).slice(before);
    expect(turn[0]!.event).toEqual({ kind: "user_text", text: "Now document it" });
    expect(turn.some((r) => r.event.kind === "text")).toBe(true);
    expect(turn.at(-2)!.event.kind).toBe("turn_completed");
    expect(turn.at(-1)!.event).toMatchObject({ kind: "checkpoint", n: 2, message: "after turn 2" });
    expect((await backend.agentGet(agent.id)).turns).toBe(2);
  });

  it("needs input when denied Bash; approve resumes the turn, deny leaves it waiting", async () => {
    const { backend, records } = fake();
    const a = await backend.agentSpawn(spawnRequest({ prompt: "Run the tests", name: "a" }));
    const b = await backend.agentSpawn(spawnRequest({ prompt: "Run the tests", name: "b" }));
    await vi.advanceTimersByTimeAsync(1_000);

    for (const id of [a.id, b.id]) {
      const agent = await backend.agentGet(id);
      expect(agent.state).toBe("needs_input");
      expect(agent.pending).toEqual([expect.objectContaining({ tool: "Bash", input: expect.objectContaining({ command: "npm test" }) })]);
      expect(records(id).some((r) => r.event.kind === "permission_denied")).toBe(true);
      expect((await caught(backend.agentSend(id, "hello"))).message).toContain("approve");
    }
    expect((await caught(backend.agentApprove(a.id, "WebFetch", false))).message).toContain("pending: Bash");

    const approved = await backend.agentApprove(a.id, "Bash", false);
    expect(approved).toMatchObject({ state: "running", pending: [] });
    expect(approved.allowedTools).toContain("Bash");
    await vi.advanceTimersByTimeAsync(1_000);
    const after = records(a.id).map((r) => r.event);
    expect(after).toContainEqual(expect.objectContaining({ kind: "command", command: "npm test", exit_code: 0 }));
    expect((await backend.agentGet(a.id)).state).toBe("waiting");

    const denied = await backend.agentDeny(b.id, "Bash");
    expect(denied).toMatchObject({ state: "waiting", pending: [] });
  });

  it("approving for the session allows the tool to the session's other agents", async () => {
    const { backend } = fake();
    const a = await backend.agentSpawn(spawnRequest({ prompt: "Run the tests", name: "a" }));
    const other = await backend.agentSpawn(spawnRequest({ prompt: "Read the docs", name: "other" }));
    await vi.advanceTimersByTimeAsync(1_000);

    await backend.agentApprove(a.id, "Bash", true);
    expect((await backend.agentGet(other.id)).allowedTools).toContain("Bash");
  });

  it("runs a command as a terminal: coloured lines, then its exit", async () => {
    const { backend, records } = fake();
    const ok = await backend.agentSpawn(spawnRequest({ cli: "command", prompt: "", program: ["npm", "test"] }));
    const bad = await backend.agentSpawn(spawnRequest({ cli: "command", prompt: "", program: ["false"], name: "bad" }));
    const watch = await backend.agentSpawn(
      spawnRequest({ cli: "command", prompt: "", program: ["npm", "test", "--", "--watch"], name: "watch" }),
    );
    await vi.advanceTimersByTimeAsync(2_000);

    expect(ok.name).toBe("command-1");
    const texts = records(ok.id).filter((r) => r.event.kind === "text");
    expect(texts.some((r) => r.event.kind === "text" && r.event.text.includes("\x1b[32m"))).toBe(true);
    expect(records(ok.id).at(-1)!.event).toEqual({ kind: "exited", code: 0, signal: null });
    expect((await backend.agentGet(ok.id)).state).toBe("exited");
    expect((await backend.agentGet(bad.id)).state).toBe("failed");
    expect((await caught(backend.agentSend(ok.id, "q"))).message).toContain("spawn a new agent");

    expect((await backend.agentGet(watch.id)).state).toBe("running");
    await backend.agentSend(watch.id, "a");
    await vi.advanceTimersByTimeAsync(0);
    expect(records(watch.id).slice(-2).map((r) => r.event)).toEqual([
      { kind: "user_text", text: "a" },
      { kind: "text", text: "received: a", delta: false },
    ]);
  });

  it("stops an agent: its script ends and it exits by signal", async () => {
    const { backend, records } = fake();
    const agent = await backend.agentSpawn(spawnRequest());
    await vi.advanceTimersByTimeAsync(25);

    const stopped = await backend.agentStop(agent.id);
    await vi.advanceTimersByTimeAsync(0);
    const count = records(agent.id).length;
    await vi.advanceTimersByTimeAsync(1_000);

    expect(stopped.state).toBe("stopped");
    expect(records(agent.id)).toHaveLength(count);
    expect(records(agent.id).at(-1)!.event).toEqual({ kind: "exited", code: null, signal: 2 });
    expect((await backend.agentGet(agent.id)).state).toBe("stopped");
  });

  it("validates spawns like the daemon", async () => {
    const { backend } = fake();
    expect((await caught(backend.agentSpawn(spawnRequest({ prompt: " " })))).code).toBe("invalid_input");
    expect((await caught(backend.agentSpawn(spawnRequest({ cli: "command", program: [] })))).code).toBe(
      "invalid_input",
    );
    expect(
      (await caught(backend.agentSpawn(spawnRequest({ cli: "command", program: ["not-installed-tool"] })))).code,
    ).toBe("cli_missing");
    expect((await caught(backend.agentSpawn(spawnRequest({ session: "nope" })))).code).toBe("not_found");
    await backend.agentSpawn(spawnRequest({ name: "dup" }));
    expect((await caught(backend.agentSpawn(spawnRequest({ name: "dup" })))).code).toBe("duplicate_name");
    expect((await caught(backend.agentGet("nobody"))).code).toBe("not_found");
  });

  describe("worktrees", () => {
    /** An agent spawned, its first turn done (it edits src/client.ts), waiting. */
    async function worked(overrides: Partial<ReturnType<typeof spawnRequest>> = {}) {
      const f = fake();
      const agent = await f.backend.agentSpawn(spawnRequest(overrides));
      await vi.advanceTimersByTimeAsync(1_000);
      const changes = () =>
        f.seen.flatMap((e) => (e.type === "agent_changes" && e.agent_id === agent.id ? [e.files] : []));
      return { ...f, agent, changes };
    }

    it("gives an agent spawned without a folder its own worktree and branch", async () => {
      const { backend, agent } = await worked();
      expect(agent.worktree).toMatchObject({
        path: "/home/dev/.baton/worktrees/alpha/claude-1",
        branch: "baton/pay/claude-1",
        baseRef: "main",
        mergedInto: null,
        removedAt: null,
      });
      expect(agent.worktree!.baseCommit).toMatch(/^[0-9a-f]{40}$/);
      expect(agent.cwd).toBe(agent.worktree!.path);

      const given = await backend.agentSpawn(spawnRequest({ name: "given", cwd: "/src/alpha/sub" }));
      expect(given.worktree).toBeNull();
      expect(given.cwd).toBe("/src/alpha/sub");
      const err = await caught(backend.agentChanges(given.id));
      expect(err.code).toBe("invalid_input");
      expect(err.message).toContain("not in a worktree of its own");
    });

    it("reports the files a turn changed, live and on request, with a checkpoint after the turn", async () => {
      const { backend, agent, records, changes } = await worked();
      expect(changes().at(-1)).toEqual([{ path: "src/client.ts", status: "modified" }]);
      expect(await backend.agentChanges(agent.id)).toEqual([{ path: "src/client.ts", status: "modified" }]);

      const checkpoints = await backend.agentCheckpoints(agent.id);
      expect(checkpoints).toEqual([expect.objectContaining({ n: 1, message: "after turn 1" })]);
      const marker = records(agent.id).find((r) => r.event.kind === "checkpoint")!.event;
      expect(marker).toEqual({ kind: "checkpoint", n: 1, commit: checkpoints[0]!.commit, message: "after turn 1" });
    });

    it("diffs the work against the base with a unified patch the viewer can read", async () => {
      const { backend, agent } = await worked();
      const diff = await backend.agentDiff(agent.id);
      expect(diff).toMatchObject({ base: "main", baseCommit: agent.worktree!.baseCommit, uncommitted: 1, patchTruncated: false });
      expect(diff.files).toEqual([
        { path: "src/client.ts", oldPath: null, status: "modified", additions: 1, deletions: 0, binary: false },
      ]);
      const [file] = parsePatch(diff.patch!);
      expect(file!.path).toBe("src/client.ts");
      const added = file!.hunks.flatMap((h) => h.lines.filter((l) => l.kind === "add"));
      expect(added.map((l) => l.text)).toEqual(["// changed by claude-1 in turn 1"]);
      expect((await backend.agentDiff(agent.id, false)).patch).toBeNull();
    });

    it("restores a checkpoint, saving the state before it as a new one", async () => {
      const { backend, agent, records, changes } = await worked();
      await backend.agentSend(agent.id, "Once more");
      await vi.advanceTimersByTimeAsync(1_000);
      expect((await backend.agentCheckpoints(agent.id)).map((c) => c.message)).toEqual(["after turn 1", "after turn 2"]);
      const twoEdits = (await backend.agentDiff(agent.id)).additions;
      expect(twoEdits).toBe(2);

      const report = await backend.agentRestore(agent.id, 1);
      await vi.advanceTimersByTimeAsync(0);
      expect(report.restored).toMatchObject({ n: 1, message: "after turn 1" });
      // Equal to checkpoint 2, so nothing new to save.
      expect(report.saved).toBeNull();
      expect((await backend.agentDiff(agent.id)).additions).toBe(1);
      expect(records(agent.id).at(-1)!.event).toEqual({ kind: "notice", message: "restored checkpoint 1 (after turn 1)" });
      expect(changes().at(-1)).toEqual([{ path: "src/client.ts", status: "modified" }]);

      // Back to 2: the restored state differs from the last checkpoint, so it is saved first.
      const again = await backend.agentRestore(agent.id, 2);
      expect(again.saved).toMatchObject({ n: 3, message: "before restoring checkpoint 2" });
      expect((await backend.agentDiff(agent.id)).additions).toBe(2);
      expect((await caught(backend.agentRestore(agent.id, 9))).message).toContain("no checkpoint 9");
    });

    it("previews a merge, refuses a real one while the agent works, then merges", async () => {
      const { backend, agent, changes } = await worked();
      await backend.agentSend(agent.id, "More");
      // Running now: a dry run says why not; a real merge is refused.
      const busy = await backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: true });
      expect(busy).toMatchObject({ ok: false, dryRun: true, into: "main" });
      expect(busy.refusal).toContain("is running");
      expect((await caught(backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: false }))).code).toBe("agent_busy");
      await vi.advanceTimersByTimeAsync(1_000);

      const preview = await backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: true });
      expect(preview).toMatchObject({ ok: true, refusal: null, conflicts: [], commits: 1, uncommitted: 1, commit: null, alreadyMerged: false });
      expect(preview.files.map((f) => [f.path, f.additions])).toEqual([["src/client.ts", 2]]);

      const merged = await backend.agentMerge(agent.id, { into: "main", strategy: "merge", dryRun: false });
      await vi.advanceTimersByTimeAsync(0);
      expect(merged).toMatchObject({ ok: true, dryRun: false, commits: 2, checkoutUpdated: "/src/alpha", uncommitted: 1 });
      expect(merged.commit).toMatch(/^[0-9a-f]{40}$/);
      const after = await backend.agentGet(agent.id);
      expect(after.worktree).toMatchObject({ mergedInto: "main", mergedTip: merged.mergedTip });
      // The uncommitted work was committed for the merge: nothing is left uncommitted.
      expect(changes().at(-1)).toEqual([]);
      expect(await backend.agentMerge(agent.id, { into: "main", strategy: "squash", dryRun: true })).toMatchObject({
        ok: true,
        alreadyMerged: true,
      });
    });

    it("reports conflicts and a dirty checkout in a dry run, and refuses a real merge with their codes", async () => {
      const { backend, agent } = await worked();
      backend.branchCommit("main", ["src/client.ts"]);
      const conflict = await backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: true });
      expect(conflict).toMatchObject({ ok: false, conflicts: ["src/client.ts"] });
      expect(conflict.refusal).toContain("would conflict in src/client.ts");
      expect((await caught(backend.agentMerge(agent.id, { into: null, strategy: "rebase", dryRun: false }))).code).toBe("merge_conflict");

      backend.branchCommit("release", []);
      backend.checkoutDirty("main", ["notes.txt"]);
      expect((await backend.agentMerge(agent.id, { into: "release", strategy: "squash", dryRun: true })).ok).toBe(true);
      const dirty = await caught(backend.agentMerge(agent.id, { into: "main", strategy: "squash", dryRun: false }));
      expect(dirty.code).toBe("dirty_checkout");
      expect(dirty.message).toContain("notes.txt");
      expect((await caught(backend.agentMerge(agent.id, { into: "nope", strategy: "squash", dryRun: true }))).message).toContain(
        'no branch "nope"',
      );
    });

    it("removes an agent: refused with uncommitted work unless forced, then gone with an event", async () => {
      const { backend, agent, seen } = await worked();
      const refused = await caught(backend.agentRemove(agent.id));
      expect(refused.code).toBe("invalid_input");
      expect(refused.message).toContain("uncommitted changes (1 files)");

      const removed = await backend.agentRemove(agent.id, true);
      await vi.advanceTimersByTimeAsync(0);
      expect(removed.id).toBe(agent.id);
      expect(seen.at(-1)).toEqual({ type: "agent_removed", agent_id: agent.id });
      expect((await caught(backend.agentGet(agent.id))).code).toBe("not_found");
      expect(await backend.agentList("pay")).toEqual([]);
    });

    it("collects finished agents' clean worktrees and merged branches", async () => {
      const { backend, agent } = await worked();
      await backend.agentStop(agent.id);
      const dirty = await backend.worktreesGc(true);
      expect(dirty.kept.map((k) => k.reason)).toEqual([expect.stringContaining("1 uncommitted file(s)")]);

      await backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: false });
      expect(await backend.worktreesUsage()).toEqual({ dir: "/home/dev/.baton/worktrees", diskBytes: 48 * 1024 * 1024 });
      const preview = await backend.worktreesGc(true);
      expect(preview).toMatchObject({ dryRun: true, branchesDeleted: ["baton/pay/claude-1"] });
      expect(preview.removed.map((r) => r.agentName)).toEqual(["claude-1"]);
      expect((await backend.agentGet(agent.id)).worktree!.removedAt).toBeNull();

      await backend.worktreesGc(false);
      const after = (await backend.agentGet(agent.id)).worktree!;
      expect(after.removedAt).not.toBeNull();
      expect(after.branchDeletedAt).not.toBeNull();
      expect((await backend.worktreesUsage()).diskBytes).toBe(0);
      expect((await caught(backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: true }))).message).toContain(
        "merged and deleted",
      );
    });

    it("names branches by the session's pattern and runs its setup command first", async () => {
      const { backend } = fake();
      await backend.sessionUpdate("s-1", sessionChange({ branchPattern: "agents/{agent}", setupCommand: "npm ci" }));
      const agent = await backend.agentSpawn(spawnRequest({ name: "docs" }));
      await vi.advanceTimersByTimeAsync(1_000);
      expect(agent.worktree!.branch).toBe("agents/docs");
      const notices = (await backend.agentEvents(agent.id)).flatMap((r) => (r.event.kind === "notice" ? [r.event.message] : []));
      expect(notices.slice(0, 2)).toEqual([expect.stringContaining("on branch agents/docs"), "setup: npm ci"]);

      const cleared = await backend.sessionUpdate("s-1", sessionChange({ branchPattern: "" }));
      expect(cleared.settings).toEqual(settings({ setupCommand: "npm ci" }));
    });
  });
});
