import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import { AgentFeed } from "../lib/agents.svelte";
import { agentUntil, claudeSpawn, sessionMake, useDaemon } from "../test/daemon";
import AgentLane from "./AgentLane.svelte";
import SessionBudgets from "./SessionBudgets.svelte";
import SessionPolicy from "./SessionPolicy.svelte";

// The stand-in Claude reports $0.001 and 3 + 2 tokens a turn.
const d = useDaemon({ fakeClaude: true });

afterEach(() => {
  vi.restoreAllMocks();
});

async function session(): Promise<string> {
  const name = d.unique("safe");
  return (await sessionMake(d.daemon.api, d.daemon.repoMake(name), name)).id;
}

describe("SessionPolicy", () => {
  it("shows the session's policy file and what is in effect", async () => {
    const s = await session();
    render(SessionPolicy, { backend: d.backend, sessionId: s });
    const text = (await screen.findByTestId("policy-text")) as HTMLTextAreaElement;
    expect(text.value).toContain("# This session's policy");
    expect(screen.getByTestId("policy-summary").textContent).toContain("git push*");
    expect(screen.getByTestId("policy-summary").textContent).toContain("Baton's default");
  });

  it("shows the engine's refusal of a bad file, with its line and the field meant, and keeps the old one", async () => {
    const s = await session();
    const before = (await d.backend.policyShow(s)).text;
    render(SessionPolicy, { backend: d.backend, sessionId: s });
    const text = (await screen.findByTestId("policy-text")) as HTMLTextAreaElement;
    await fireEvent.input(text, { target: { value: 'allow_tools = []\ndeny_tool = ["Bash"]\n' } });
    await fireEvent.click(screen.getByTestId("policy-save"));

    const error = await screen.findByTestId("policy-error");
    expect(error.textContent).toContain("line 2");
    expect(error.textContent).toContain("did you mean deny_tools?");
    expect(error.querySelector("code")?.textContent).toBeTruthy(); // field names set as code
    expect(text.value).toContain("deny_tool ="); // the edit is kept to be fixed
    expect((await d.backend.policyShow(s)).text).toBe(before);

    await fireEvent.input(text, { target: { value: 'deny_tools = ["WebFetch"]\nsandbox = false\n' } });
    await fireEvent.click(screen.getByTestId("policy-save"));
    await screen.findByTestId("policy-saved");
    expect(screen.queryByTestId("policy-error")).toBeNull();
    expect(screen.getByTestId("policy-summary").textContent).toContain("WebFetch");
    const now = await d.backend.policyShow(s);
    expect(now.policy.deny_tools).toEqual(["WebFetch"]);
    expect(now.policy.sandbox).toBe(false);
  });
});

describe("budgets", () => {
  it("the session's limits are set here and shown as spent of limit", async () => {
    const s = await session();
    render(SessionBudgets, { backend: d.backend, sessionId: s });
    await fireEvent.input(await screen.findByTestId("budget-usd"), { target: { value: "2" } });
    await fireEvent.input(screen.getByTestId("budget-tokens"), { target: { value: "1000" } });
    await fireEvent.click(screen.getByTestId("budget-save"));

    await waitFor(() => expect(screen.getAllByTestId("budget-bar")).toHaveLength(2));
    const bars = screen.getAllByTestId("budget-bar").map((b) => b.textContent);
    expect(bars[0]).toContain("$0.00 of $2.00");
    expect(bars[1]).toContain("0 of 1k");
    const limits = (await d.backend.budgetShow(s)).session.limits;
    expect(limits).toEqual({ usd: 2, tokens: 1000, minutes: null, cpuMinutes: null });
  });

  it("an agent over its budget shows paused with the reason; Resume is refused until the budget is raised", async () => {
    const s = await session();
    // Held until its budget is set: a budget is checked at a turn's end.
    const spawned = (await claudeSpawn(d.daemon.api, s, "HOLD, then say hello", "spender")) as Agent;
    await d.backend.budgetSet(s, { agent: spawned.id, tokens: 1 });
    d.daemon.release();
    const a = (await agentUntil(d.daemon.api, spawned.id, (x: Agent) => !!x.pausedReason, "paused by its budget")) as Agent;

    const feed = new AgentFeed(d.backend, a.id);
    await feed.catchUp();
    const onAgent = vi.fn<(agent: Agent) => void>();
    render(AgentLane, { backend: d.backend, agent: a, feed, onAgent });
    expect(screen.getByTestId("agent-paused").textContent).toContain("paused: over budget (tokens 5 of 1)");

    await fireEvent.click(screen.getByTestId("agent-resume"));
    const error = await screen.findByTestId("agent-lane-error");
    expect(error.textContent).toContain("still over budget");
    expect(onAgent).not.toHaveBeenCalled();

    // The session's settings show it over.
    render(SessionBudgets, { backend: d.backend, sessionId: s });
    const over = await screen.findByTestId("budget-over");
    expect(over.textContent).toBe("over: tokens 5 of 1");

    await d.backend.budgetSet(s, { agent: a.id, tokens: 0 });
    await fireEvent.click(screen.getByTestId("agent-resume"));
    await waitFor(() => expect(onAgent).toHaveBeenCalled());
    expect(onAgent.mock.calls[0]![0].pausedReason).toBeUndefined();
  });
});
