import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import { agentEnded, agentUntil, commandSpawn, sessionMake, useDaemon } from "../test/daemon";
import RemoveAgent from "./RemoveAgent.svelte";

const d = useDaemon();

const text = (testid: string) => screen.getByTestId(testid).textContent!.replace(/\s+/g, " ").trim();

describe("RemoveAgent", () => {
  it("says the agent is archived, keeping its history and cost, and archives it", async () => {
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake("arch"), "arch");
    const spawned = await commandSpawn(d.daemon.api, session.id, ["sh", "-c", "echo 'the work is done'"], "worker");
    const agent = await agentUntil(d.daemon.api, spawned.id, agentEnded);
    const onRemoved = vi.fn<(agent: Agent) => void>();
    render(RemoveAgent, { backend: d.backend, agent, uncommitted: 0, onRemoved, onCancel: () => {} });

    expect(text("remove-summary")).toBe(
      `Remove worker? It is archived: its process is stopped and its worktree folder removed; branch ${agent.worktree!.branch} stays, with its commits. Its history stays readable and its cost stays in the session's total.`,
    );
    await fireEvent.click(screen.getByTestId("remove-confirm-button"));
    await waitFor(() => expect(onRemoved).toHaveBeenCalledOnce());
    const archived = onRemoved.mock.calls[0][0];
    expect(archived.archivedAt).not.toBeNull();
    expect(archived.worktree!.removedAt).not.toBeNull();

    // The daemon still lists it, flagged, with its history; hidden on request.
    const listed = await d.backend.agentList({ session: session.id });
    expect(listed.map((a) => [a.name, a.archivedAt !== null])).toEqual([["worker", true]]);
    expect(await d.backend.agentList({ session: session.id, archived: false })).toEqual([]);
    const history = await d.backend.agentEvents(agent.id, {});
    expect(history.some((r) => r.event.kind === "text" && r.event.text === "the work is done")).toBe(true);
  });
});
