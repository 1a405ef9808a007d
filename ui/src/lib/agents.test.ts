import { describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import { AgentFeed, SessionAgents } from "./agents.svelte";
import { FakeBackend, type Backend } from "./backend";

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
  const calls: { after: number; limit: number; answer: (records: AgentEventRecord[]) => void }[] = [];
  const backend = {
    agentEvents: vi.fn((_id: string, after = 0, limit = 10_000) => {
      const d = deferred<AgentEventRecord[]>();
      calls.push({ after, limit, answer: d.resolve });
      return d.promise;
    }),
  } as unknown as Backend;
  return { backend, calls };
}

const texts = (feed: AgentFeed) => feed.events.rows.map((r) => (r.event.kind === "text" ? r.event.text : "?"));
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("AgentFeed", () => {
  it("reads the history page by page, then appends live records without duplicates", async () => {
    const { backend, calls } = historyBackend();
    const feed = new AgentFeed(backend, "a1", 2);
    const done = feed.catchUp();
    expect(feed.loading).toBe(true);

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
    await done;

    expect(texts(feed)).toEqual(["line 1", "line 2", "line 3", "line 4"]);
    expect(calls).toHaveLength(1);
  });

  it("fetches from the last seq when a live record skips some", async () => {
    const { backend, calls } = historyBackend();
    const feed = new AgentFeed(backend, "a1");
    const first = feed.catchUp();
    calls[0]!.answer([rec(1)]);
    await first;

    feed.receive([rec(2), rec(5)]);
    expect(texts(feed)).toEqual(["line 1", "line 2"]);
    expect(calls[1]).toMatchObject({ after: 2 });
    calls[1]!.answer([rec(3), rec(4), rec(5), rec(6)]);
    await flush();

    expect(texts(feed)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]);
  });

  it("reports a failed read and retries from where it stopped", async () => {
    const backend = new FakeBackend();
    vi.spyOn(backend, "agentEvents")
      .mockRejectedValueOnce(new Error("boom"))
      .mockResolvedValueOnce([rec(1)]);
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
      ...overrides,
    };
  }

  it("keeps this session's agents only, the newest update winning, and routes their events", async () => {
    const backend = new FakeBackend();
    vi.spyOn(backend, "agentEvents").mockResolvedValue([]);
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
});
