import { describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { AgentWorktree } from "../bindings/AgentWorktree";
import type { ChangedFile } from "../bindings/ChangedFile";
import { AgentChanges, AgentFeed, SessionAgents } from "./agents.svelte";
import { agentEnded, agentUntil, commandSpawn, sessionMake, subscribed, useDaemon } from "../test/daemon";
import type { Backend } from "./backend";

const d = useDaemon();

/** A backend whose calls are answered by the test's stubs (for the stores' ordering rules). */
function stubBackend(calls: Partial<Record<keyof Backend, unknown>>): Backend {
  return calls as unknown as Backend;
}

function rec(seq: number, text = `line ${seq}`, agentId = "a1"): AgentEventRecord {
  return { agentId, seq, ts: seq, event: { kind: "text", text, delta: false } };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A backend whose history calls the test answers by hand. */
function historyBackend() {
  const calls: { after: number; before?: number; limit: number; answer: (records: AgentEventRecord[]) => void }[] = [];
  const backend = {
    agentEvents: vi.fn((_id: string, q: { after?: number; before?: number; limit?: number }) => {
      const d = deferred<AgentEventRecord[]>();
      calls.push({ after: q.after ?? 0, before: q.before, limit: q.limit ?? 10_000, answer: d.resolve });
      return d.promise;
    }),
  } as unknown as Backend;
  return { backend, calls };
}

const texts = (feed: AgentFeed) => feed.events.rows.map((r) => (r.event.kind === "text" ? r.event.text : "?"));
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("AgentFeed", () => {
  it("reads the history's last page first, then what came after it, then appends live records without duplicates", async () => {
    const { backend, calls } = historyBackend();
    const feed = new AgentFeed(backend, "a1", 2);
    const done = feed.catchUp();
    expect(feed.loading).toBe(true);

    expect(calls[0]).toMatchObject({ before: Number.MAX_SAFE_INTEGER, limit: 2 });
    calls[0]!.answer([rec(1), rec(2)]);
    await flush();
    expect(calls[1]).toMatchObject({ after: 2, limit: 2 });
    calls[1]!.answer([rec(3)]);
    await done;

    expect(feed.loading).toBe(false);
    expect(texts(feed)).toEqual(["line 1", "line 2", "line 3"]);
    const version = feed.version;

    feed.receive([rec(3), rec(4), rec(5)]);
    expect(texts(feed)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
    expect(feed.version).toBe(version + 1);
    expect(calls).toHaveLength(2);
  });

  it("holds live records that come during the fetch and applies them after it", async () => {
    const { backend, calls } = historyBackend();
    const feed = new AgentFeed(backend, "a1");
    const done = feed.catchUp();

    // The stream is ahead of the history read: 3 and 4 arrive first, 2 overlaps.
    feed.receive([rec(3), rec(4)]);
    feed.receive([rec(2)]);
    expect(feed.events.rows).toHaveLength(0);
    calls[0]!.answer([rec(1), rec(2), rec(3)]);
    await flush();
    calls[1]!.answer([]);
    await done;

    expect(texts(feed)).toEqual(["line 1", "line 2", "line 3", "line 4"]);
    expect(calls).toHaveLength(2);
  });

  it("opens on the newest page of a long history and puts older pages in front on demand", async () => {
    const { backend, calls } = historyBackend();
    const feed = new AgentFeed(backend, "a1", 3);
    const done = feed.catchUp();
    calls[0]!.answer([rec(5), rec(6), rec(7)]);
    await flush();
    calls[1]!.answer([]);
    await done;
    expect(texts(feed)).toEqual(["line 5", "line 6", "line 7"]);
    expect(feed.hasOlder).toBe(true);

    const older = feed.loadOlder();
    expect(feed.olderLoading).toBe(true);
    void feed.loadOlder(); // one read at a time
    expect(calls[2]).toMatchObject({ before: 5, limit: 3 });
    expect(calls).toHaveLength(3);
    calls[2]!.answer([rec(2), rec(3), rec(4)]);
    await older;
    expect(texts(feed)).toEqual(["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]);
    expect(feed.hasOlder).toBe(true);

    const first = feed.loadOlder();
    calls[3]!.answer([rec(1)]);
    await first;
    expect(texts(feed)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]);
    expect(feed.hasOlder).toBe(false);
    await feed.loadOlder();
    expect(calls).toHaveLength(4);

    // Live records still go at the end.
    feed.receive([rec(8)]);
    expect(texts(feed).at(-1)).toBe("line 8");
  });

  it("fetches from the last seq when a live record skips some", async () => {
    const { backend, calls } = historyBackend();
    const feed = new AgentFeed(backend, "a1");
    const first = feed.catchUp();
    calls[0]!.answer([rec(1)]);
    await flush();
    calls[1]!.answer([]);
    await first;

    feed.receive([rec(2), rec(5)]);
    expect(texts(feed)).toEqual(["line 1", "line 2"]);
    expect(calls[2]).toMatchObject({ after: 2 });
    calls[2]!.answer([rec(3), rec(4), rec(5), rec(6)]);
    await flush();

    expect(texts(feed)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]);
  });

  it("reports a failed read and retries from where it stopped", async () => {
    const backend = stubBackend({ agentEvents: vi.fn().mockResolvedValue([]).mockRejectedValueOnce(new Error("boom")).mockResolvedValueOnce([rec(1)]) });
    const feed = new AgentFeed(backend, "a1");

    await feed.catchUp();
    expect(feed.error?.message).toBe("boom");
    expect(feed.loading).toBe(false);

    await feed.catchUp();
    expect(feed.error).toBeNull();
    expect(texts(feed)).toEqual(["line 1"]);
  });
});

describe("SessionAgents", () => {
  it("loads a session's agents and follows them from the daemon: state, history, changed files", async () => {
    const api = d.daemon.api;
    const session = await sessionMake(api, d.daemon.repoMake("pay"), "pay");
    const other = await sessionMake(api, d.daemon.repoMake("web"), "web");
    const first = await commandSpawn(api, session.id, ["sh", "-c", "echo one"], "first");
    await agentUntil(api, first.id, agentEnded);
    const store = new SessionAgents(d.backend, session.id);
    await store.load();
    expect(store.agents.map((a) => [a.name, a.state])).toEqual([["first", "exited"]]);
    // Its history: a notice (its worktree), its line, its exit.
    await vi.waitFor(() => expect(texts(store.feed(first.id)!)).toEqual(["?", "one", "?"]));

    const unsubscribe = await subscribed(d.backend, (events) => store.apply(events));
    try {
      // Its lines and its uncommitted file arrive as events.
      const second = await commandSpawn(api, session.id, ["sh", "-c", "echo two; echo x > new.txt"], "second");
      await commandSpawn(api, other.id, ["true"], "elsewhere");
      await vi.waitFor(() => expect(store.agents.map((a) => [a.name, a.state])).toEqual([["first", "exited"], ["second", "exited"]]));
      await vi.waitFor(() => expect(texts(store.feed(second.id)!)).toContain("two"));
      await vi.waitFor(() => expect(store.changes(second.id)?.files).toEqual([{ path: "new.txt", status: "untracked" }]));

      await d.backend.agentRemove(second.id, { force: true });
      await vi.waitFor(() => expect(store.agents.map((a) => a.name)).toEqual(["first"]));
      expect(store.feed(second.id)).toBeUndefined();
      // Removed is archived: its lane goes, the agent stays known (its cost is the session's).
      expect(store.archived.map((a) => [a.name, a.archivedAt !== null])).toEqual([["second", true]]);
      expect(store.all.map((a) => a.name)).toEqual(["first", "second"]);
    } finally {
      unsubscribe();
    }
  });

  function agent(id: string, sessionId: string, updatedAt: string, overrides: Partial<Agent> = {}): Agent {
    return {
      id,
      sessionId,
      name: id,
      cli: "claude",
      model: null,
      state: "running",
      cwd: "/",
      command: [],
      prompt: "",
      cliSessionId: null,
      pid: null,
      exitCode: null,
      allowedTools: [],
      turns: 0,
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0,
      costIsEstimate: false,
      logPath: "",
      lastEventAt: null,
      createdAt: "2026-11-21T10:00:00Z",
      updatedAt,
      pending: [],
      worktree: null,
      taskId: null,
      role: null,
      paused: false,
      releasedAt: null,
      archivedAt: null,
      interruptedAt: null,
      queuedMessages: 0,
      external: false,
      ...overrides,
    };
  }

  it("keeps this session's agents only, the newest update winning, and routes their events", async () => {
    const backend = stubBackend({ agentEvents: vi.fn().mockResolvedValue([]) });
    const store = new SessionAgents(backend, "s1");

    store.apply([
      { type: "agent_updated", agent: agent("a1", "s1", "2026-11-21T10:00:02Z", { state: "waiting" }) },
      { type: "agent_updated", agent: agent("x1", "other", "2026-11-21T10:00:02Z") },
      { type: "agent_updated", agent: agent("a1", "s1", "2026-11-21T10:00:01Z", { state: "running" }) },
    ]);
    expect(store.agents.map((a) => [a.id, a.state])).toEqual([["a1", "waiting"]]);
    await flush();

    const feed = store.feed("a1")!;
    const version = feed.version;
    store.apply([
      { type: "agent_event", record: rec(1, "one") },
      { type: "agent_event", record: rec(1, "other's", "x1") },
      { type: "agent_event", record: rec(2, "two") },
    ]);
    expect(texts(feed)).toEqual(["one", "two"]);
    expect(feed.version).toBe(version + 1);
    expect(store.feed("x1")).toBeUndefined();
  });

  const WORKTREE: AgentWorktree = {
    path: "/wt/a1",
    branch: "baton/s/a1",
    baseRef: "main",
    baseCommit: "0".repeat(40),
    mergedInto: null,
    mergedTip: null,
    mergedAt: null,
    removedAt: null,
    branchDeletedAt: null,
  };
  const modified = (path: string): ChangedFile => ({ path, status: "modified" });

  it("reads an agent's changed files when it arrives, then keeps them from agent_changes events", async () => {
    const read = vi.fn().mockResolvedValue([modified("a.ts")]);
    const backend = stubBackend({ agentEvents: vi.fn().mockResolvedValue([]), agentChanges: read });
    const store = new SessionAgents(backend, "s1");

    store.apply([
      { type: "agent_updated", agent: agent("a1", "s1", "2026-11-21T10:00:01Z", { worktree: WORKTREE }) },
      { type: "agent_updated", agent: agent("a2", "s1", "2026-11-21T10:00:01Z") },
    ]);
    await flush();
    expect(read).toHaveBeenCalledTimes(1);
    expect(read).toHaveBeenCalledWith("a1");
    expect(store.changes("a1")!.files).toEqual([modified("a.ts")]);
    // No worktree of its own: nothing to list.
    expect(store.changes("a2")).toBeUndefined();

    store.apply([
      { type: "agent_changes", agentId: "a1", files: [modified("a.ts"), { path: "b.ts", status: "untracked" }] },
      { type: "agent_changes", agentId: "elsewhere", files: [modified("x.ts")] },
    ]);
    expect(store.changes("a1")!.files!.map((f) => f.path)).toEqual(["a.ts", "b.ts"]);
    expect(store.changes("elsewhere")).toBeUndefined();
  });

  it("drops a read of the changes answered after a newer event", async () => {
    const answer = deferred<ChangedFile[]>();
    const backend = { agentChanges: vi.fn(() => answer.promise) } as unknown as Backend;
    const changes = new AgentChanges(backend, "a1");
    const loading = changes.load();

    changes.receive([modified("new.ts")]);
    answer.resolve([modified("old.ts")]);
    await loading;

    expect(changes.files).toEqual([modified("new.ts")]);
  });

  it("keeps a failed read's error until the list is known", async () => {
    const backend = { agentChanges: vi.fn().mockRejectedValueOnce({ code: "io", message: "disk gone" }).mockResolvedValueOnce([]) } as unknown as Backend;
    const changes = new AgentChanges(backend, "a1");

    await changes.load();
    expect(changes.error).toMatchObject({ code: "io", message: "disk gone" });
    expect(changes.files).toBeNull();
    await changes.load();
    expect(changes.error).toBeNull();
    expect(changes.files).toEqual([]);
  });

  it("shows nothing uncommitted once the worktree folder is removed", async () => {
    const backend = stubBackend({ agentEvents: vi.fn().mockResolvedValue([]), agentChanges: vi.fn().mockResolvedValue([modified("a.ts")]) });
    const store = new SessionAgents(backend, "s1");
    store.upsert(agent("a1", "s1", "2026-11-21T10:00:01Z", { worktree: WORKTREE }));
    await flush();
    expect(store.changes("a1")!.files).toHaveLength(1);

    store.upsert(agent("a1", "s1", "2026-11-21T10:00:02Z", { worktree: { ...WORKTREE, removedAt: "2026-11-21T10:00:02Z" } }));
    expect(store.changes("a1")!.files).toEqual([]);
  });

  it("drops a removed agent with its history and changes, and does not bring it back", async () => {
    const backend = stubBackend({ agentEvents: vi.fn().mockResolvedValue([]), agentChanges: vi.fn().mockResolvedValue([]) });
    const store = new SessionAgents(backend, "s1");
    const a1 = agent("a1", "s1", "2026-11-21T10:00:01Z", { worktree: WORKTREE });
    store.apply([
      { type: "agent_updated", agent: a1 },
      { type: "agent_updated", agent: agent("a2", "s1", "2026-11-21T10:00:01Z") },
    ]);
    const feed = store.feed("a1")!;
    await flush();

    store.apply([
      { type: "agent_event", record: rec(1, "last words") },
      { type: "agent_removed", agentId: "a1" },
    ]);
    expect(store.agents.map((a) => a.id)).toEqual(["a2"]);
    expect(store.feed("a1")).toBeUndefined();
    expect(store.changes("a1")).toBeUndefined();
    // Its feed is closed: a record that straggles in changes nothing.
    feed.receive([rec(2, "late")]);
    expect(texts(feed)).toEqual([]);

    // A late event or reply about it (the stop that came before the removal) is ignored.
    store.apply([{ type: "agent_updated", agent: { ...a1, updatedAt: "2026-11-21T10:00:09Z", state: "stopped" } }]);
    store.upsert({ ...a1, updatedAt: "2026-11-21T10:00:09Z" });
    expect(store.agents.map((a) => a.id)).toEqual(["a2"]);
  });
});
