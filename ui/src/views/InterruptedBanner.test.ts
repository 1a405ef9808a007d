import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { tick } from "svelte";
import { describe, expect, it, vi } from "vitest";
import { HttpBackend } from "../lib/backend";
import { agentUntil, claudeSpawn, commandSpawn, sessionMake, useDaemon } from "../test/daemon";
import InterruptedBanner from "./InterruptedBanner.svelte";

// A daemon per test: each one stops it with agents at work and starts it again.
const d = useDaemon({ perTest: true, fakeClaude: true });

const text = (testid: string) => screen.getByTestId(testid).textContent!.replace(/\s+/g, " ").trim();

/** The daemon after a forced stop, as the window sees it once it reconnects. */
async function restarted(): Promise<HttpBackend> {
  await d.daemon.restart();
  return new HttpBackend({ url: d.daemon.url, token: d.daemon.token });
}

describe("InterruptedBanner", () => {
  it("shows nothing when no agent was interrupted", async () => {
    const asked = vi.spyOn(d.backend, "agentsInterrupted");
    render(InterruptedBanner, { backend: d.backend });
    // The answer came (empty), and nothing shows.
    // Asked at once, and again when its stream opened: both answers empty, and nothing shows.
    await waitFor(() => expect(asked).toHaveBeenCalledTimes(2));
    for (const r of asked.mock.results) expect(await r.value).toEqual([]);
    await tick();
    expect(screen.queryByTestId("interrupted-banner")).toBeNull();
  });

  it("names the agents a forced stop interrupted, and Resume all continues their conversations", async () => {
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake("pay"), "pay");
    const held = await claudeSpawn(d.daemon.api, session.id, "HOLD until released, then fix the retry", "fixer");
    const before = await agentUntil(d.daemon.api, held.id, (a) => a.state === "running" && a.cliSessionId !== null);
    const backend = await restarted();

    render(InterruptedBanner, { backend });
    await screen.findByTestId("interrupted-banner");
    expect(text("interrupted-text")).toBe(
      "The daemon stopped while an agent was working: fixer was stopped in the middle of a turn. Resume all continues each one's own conversation.",
    );

    await fireEvent.click(screen.getByTestId("interrupted-resume"));
    await waitFor(() => expect(screen.queryByTestId("interrupted-banner")).toBeNull());
    // Its next turn continued its own CLI session.
    const resumed = await agentUntil(d.daemon.api, held.id, (a) => a.turns >= 1 && a.state === "waiting");
    expect(resumed.cliSessionId).toBe(before.cliSessionId);
    expect(resumed.interruptedAt).toBeNull();
    expect(await backend.agentsInterrupted()).toEqual([]);
  });

  it("drops an agent resumed another way, by a message", async () => {
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake("api"), "api");
    const held = await claudeSpawn(d.daemon.api, session.id, "HOLD for now", "mender");
    await agentUntil(d.daemon.api, held.id, (a) => a.state === "running" && a.cliSessionId !== null);
    const backend = await restarted();

    render(InterruptedBanner, { backend });
    await screen.findByTestId("interrupted-banner");
    await backend.agentSend(held.id, { text: "carry on" });
    await waitFor(() => expect(screen.queryByTestId("interrupted-banner")).toBeNull());
  });

  it("says why an agent could not resume, and Dismiss forgets the list", async () => {
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake("web"), "web");
    const a = await commandSpawn(d.daemon.api, session.id, ["sleep", "300"], "sleeper");
    const b = await commandSpawn(d.daemon.api, session.id, ["sleep", "300"], "watcher");
    await agentUntil(d.daemon.api, a.id, (x) => x.state === "running");
    await agentUntil(d.daemon.api, b.id, (x) => x.state === "running");
    const backend = await restarted();

    render(InterruptedBanner, { backend });
    await screen.findByTestId("interrupted-banner");
    expect(text("interrupted-names")).toBe("sleeper and watcher");

    // A program that ended cannot be resumed: the banner stays, with the daemon's reason.
    await fireEvent.click(screen.getByTestId("interrupted-resume"));
    const failed = await screen.findByTestId("interrupted-failed");
    expect(failed.textContent).toContain("sleeper: agent sleeper is stopped and cannot take a message: its program has ended; spawn a new agent");
    expect(text("interrupted-names")).toBe("sleeper and watcher");

    await fireEvent.click(screen.getByTestId("interrupted-dismiss"));
    await waitFor(() => expect(screen.queryByTestId("interrupted-banner")).toBeNull());
    expect(await backend.agentsInterrupted()).toEqual([]);
    expect((await backend.agentGet(a.id)).state).toBe("stopped");
  });
});
