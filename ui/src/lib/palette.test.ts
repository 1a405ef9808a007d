import { describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { Session } from "../bindings/Session";
import { paletteEntries, paletteSearch, type PaletteActions } from "./palette";

const session = (id: string, name: string, state: Session["state"] = "active") => ({ id, name, state }) as Session;
const agent = (id: string, name: string, sessionId: string, extra: Partial<Agent> = {}) =>
  ({ id, name, sessionId, state: "waiting", pending: [], worktree: null, ...extra }) as Agent;

function actions(): PaletteActions {
  return {
    agentFocus: vi.fn(),
    sessionOpen: vi.fn(),
    newAgent: vi.fn(),
    approve: vi.fn(),
    stop: vi.fn(),
    merge: vi.fn(),
    inbox: vi.fn(),
    settings: vi.fn(),
    home: vi.fn(),
    help: vi.fn(),
  };
}

const sessions = [session("s1", "payments"), session("s2", "web"), session("s3", "old", "archived")];
const agents: Record<string, Agent[]> = {
  s1: [agent("a1", "architect", "s1"), agent("a2", "implementer", "s1")],
  s2: [agent("a3", "docs-writer", "s2")],
  s3: [agent("a4", "forgotten", "s3")],
};
const ctx = (focused: Agent | null = null, sessionId: string | null = "s2") => ({
  sessions,
  agentsOf: (id: string) => agents[id] ?? [],
  sessionId,
  focused,
  keys: { inbox: "Ctrl+I" },
});

describe("the command palette's entries", () => {
  it("finds an agent by a fuzzy name, and by its session's name with it", () => {
    const act = actions();
    const entries = paletteEntries(ctx(), act);
    expect(paletteSearch("impl", entries)[0]!.label).toBe("implementer");
    expect(paletteSearch("archt", entries)[0]!.label).toBe("architect");
    expect(paletteSearch("payments arch", entries)[0]!.label).toBe("architect");
    paletteSearch("docs", entries)[0]!.run();
    expect(act.agentFocus).toHaveBeenCalledWith(agents.s2![0]);
    expect(paletteSearch("zzzz", entries)).toEqual([]);
    // Equal matches keep the palette's order.
    const workers = ["worker-01", "worker-02", "worker-03", "worker-04"].map((n) => agent(n, n, "s1"));
    const crowd = paletteEntries({ ...ctx(null, "s1"), agentsOf: (id: string) => (id === "s1" ? workers : []) }, act);
    expect(paletteSearch("work", crowd).map((e) => e.label)).toEqual(["worker-01", "worker-02", "worker-03", "worker-04"]);
  });

  it("lists commands, then the shown session's agents first, and leaves archived sessions out", () => {
    const entries = paletteEntries(ctx(), actions());
    const labels = entries.map((e) => `${e.group}:${e.label}`);
    expect(labels.slice(0, 5)).toEqual([
      "Command:New agent…",
      "Command:Open inbox",
      "Command:Go to all sessions",
      "Command:Open settings",
      "Command:Keyboard shortcuts",
    ]);
    expect(labels.filter((l) => l.startsWith("Agent:"))).toEqual(["Agent:docs-writer", "Agent:architect", "Agent:implementer"]);
    expect(labels).not.toContain("Session:old");
    expect(entries.find((e) => e.label === "Open inbox")!.hint).toBe("Ctrl+I");
  });

  it("offers approve, stop and merge for the agent in focus", () => {
    const act = actions();
    const focused = agent("a1", "architect", "s1", {
      state: "needs_input",
      pending: [{ id: "p1", tool: "Bash", toolUseId: null, input: {}, createdAt: "" }],
      worktree: { path: "/w", branch: "b", baseRef: "main", baseCommit: "c", mergedInto: null, mergedTip: null, mergedAt: null, removedAt: null, branchDeletedAt: null },
    });
    const entries = paletteEntries(ctx(focused, "s1"), act);
    const labels = entries.filter((e) => e.group === "Command").map((e) => e.label);
    expect(labels.slice(0, 3)).toEqual(["Approve Bash for architect", "Stop architect", "Merge architect…"]);
    paletteSearch("approve", entries)[0]!.run();
    expect(act.approve).toHaveBeenCalledWith(focused, "Bash");
    // Ended, without a worktree: nothing to stop or merge.
    const ended = paletteEntries(ctx(agent("a2", "implementer", "s1", { state: "exited" }), "s1"), act);
    expect(ended.some((e) => e.label.startsWith("Stop") || e.label.startsWith("Merge"))).toBe(false);
  });

  it("finds New work by its name when it is offered", () => {
    const act = { ...actions(), newWork: vi.fn() };
    const entries = paletteEntries(ctx(null, "s1"), act);
    const found = paletteSearch("new work", entries)[0]!;
    expect(found.label).toBe("New work…");
    found.run();
    expect(act.newWork).toHaveBeenCalledOnce();
    expect(paletteEntries(ctx(null, "s1"), actions()).some((e) => e.label === "New work…")).toBe(false);
  });

  it("offers pause all and resume all", () => {
    const act = { ...actions(), pauseAll: vi.fn(), resumeAll: vi.fn() };
    const entries = paletteEntries(ctx(), act);
    paletteSearch("pause all", entries)[0]!.run();
    expect(act.pauseAll).toHaveBeenCalledOnce();
    paletteSearch("resume all", entries)[0]!.run();
    expect(act.resumeAll).toHaveBeenCalledOnce();
  });
});
