import { describe, expect, it } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { Session } from "../bindings/Session";
import { agent } from "../views/fixtures";
import type { Backend } from "./backend";
import { Workspace } from "./workspace.svelte";

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A backend whose list reads the test answers by hand (the ordering rules, not the engine's). */
function listsBackend() {
  const sessions = deferred<Session[]>();
  const agents = deferred<Agent[]>();
  const backend = {
    sessionList: () => sessions.promise,
    agentList: () => agents.promise,
    inbox: async () => [],
  } as unknown as Backend;
  return { backend, sessions, agents };
}

const session = (id: string, updatedAt: string): Session =>
  ({ id, name: id, repo: "/r", state: "active", createdAt: updatedAt, updatedAt }) as unknown as Session;

describe("Workspace", () => {
  it("keeps what the stream said while the lists were being read, when it is newer", async () => {
    const { backend, sessions, agents } = listsBackend();
    const ws = new Workspace(backend);
    const loading = ws.load();
    // The read was answered before these events, which the stream delivers first.
    const asking = agent("a1", "s1", { state: "needs_input", updatedAt: "2026-12-07T10:00:02Z" });
    const born = agent("a2", "s1", { state: "running", updatedAt: "2026-12-07T10:00:03Z" });
    ws.apply([
      { type: "agent_updated", agent: asking },
      { type: "agent_updated", agent: born },
    ]);
    sessions.resolve([session("s1", "2026-12-07T10:00:00Z")]);
    agents.resolve([agent("a1", "s1", { state: "running", updatedAt: "2026-12-07T10:00:01Z" })]);
    await loading;
    expect(ws.agent("a1")?.state).toBe("needs_input");
    expect(ws.agentsOf("s1").map((a) => a.id)).toEqual(["a1", "a2"]);
  });

  it("takes the read when it is the newer", async () => {
    const { backend, sessions, agents } = listsBackend();
    const ws = new Workspace(backend);
    ws.apply([{ type: "agent_updated", agent: agent("a1", "s1", { state: "needs_input", updatedAt: "2026-12-07T10:00:01Z" }) }]);
    const loading = ws.load();
    sessions.resolve([session("s1", "2026-12-07T10:00:00Z")]);
    agents.resolve([agent("a1", "s1", { state: "running", updatedAt: "2026-12-07T10:00:05Z" })]);
    await loading;
    expect(ws.agent("a1")?.state).toBe("running");
  });
});
