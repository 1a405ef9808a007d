// The Health view and Home's scores against a real daemon sampling every quarter second: a
// `command` agent busy in a loop shows a CPU series and, silent, raises a stalled alert, which
// Acknowledge takes off the open list; Home shows the score the engine computed.

import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { commandSpawn, sessionMake, until, useDaemon } from "../test/daemon";
import HealthView from "./HealthView.svelte";
import Home from "./Home.svelte";

const d = useDaemon({ settings: { health: { sampleSecs: 0.25 } } });

/** A session whose agents stall after a second of silence, with an agent burning a core. */
async function busySession() {
  const session = await sessionMake(d.daemon.api, d.daemon.repoMake(d.unique("busy")), d.unique("busy"), { stallSecs: 1 });
  const agent = await commandSpawn(d.daemon.api, session.id, ["bash", "-c", "while :; do :; done"], "burner");
  return { session, agent };
}

describe("HealthView", () => {
  it("charts a busy agent's CPU, and an acknowledged alert leaves the open list", async () => {
    const { session, agent } = await busySession();
    render(HealthView, { backend: d.backend, sessionId: session.id, coordinatorCycles: 0 });

    const card = await waitFor(() => screen.getByTestId("health-agent"), { timeout: 10_000 });
    expect(card.dataset.agent).toBe("burner");
    // Samples arrive tick after tick: the CPU chart gets a series, and the agent is seen using CPU
    // (how much depends on what else the machine runs; the engine's own test weighs it).
    await waitFor(
      () => expect(Number(within(card).getByTestId("health-cpu-chart").dataset.points)).toBeGreaterThanOrEqual(3),
      { timeout: 10_000 },
    );
    await waitFor(() => expect(within(card).getByText(/^CPU \d+%$/).textContent).toMatch(/^CPU [1-9]\d*%$/), {
      timeout: 10_000,
    });
    expect(Number(screen.getByTestId("health-sampler-ticks").textContent!.split(" ")[0])).toBeGreaterThan(0);

    // Silent for over a second while running: stalled, with its deduction named on the card.
    const alert = await waitFor(
      () => screen.getAllByTestId("health-alert").find((a) => a.dataset.kind === "stalled") ?? Promise.reject(new Error("no stalled alert yet")),
      { timeout: 15_000 },
    );
    expect(alert.textContent).toContain("burner");
    await waitFor(() => expect(within(card).getByTestId("health-deductions").textContent).toContain("stalled"));
    await fireEvent.click(within(alert).getByTestId("health-alert-ack"));
    await waitFor(() => expect(screen.queryAllByTestId("health-alert").filter((a) => a.dataset.kind === "stalled")).toHaveLength(0));
    const open = await d.backend.alertList({ session: session.id });
    expect(open.filter((a) => a.kind === "stalled")).toHaveLength(0);
    const all = await d.backend.alertList({ session: session.id, all: true });
    expect(all.find((a) => a.kind === "stalled")?.acknowledgedAt).not.toBeNull();

    await d.backend.agentStop(agent.id);
  }, 40_000);

  it("pauses and resumes everything, showing the paused state", async () => {
    const { session, agent } = await busySession();
    render(HealthView, { backend: d.backend, sessionId: session.id, coordinatorCycles: 3 });
    expect((await screen.findByTestId("health-coordinator-cycles", {}, { timeout: 10_000 })).textContent).toBe("3 cycles");
    await fireEvent.click(await screen.findByTestId("health-pause-all"));
    await screen.findByTestId("health-paused");
    await waitFor(() => expect(screen.getByTestId("health-agent-paused")).toBeTruthy());
    expect((await d.backend.healthAgents({})).pausedAll).toBe(true);
    await fireEvent.click(screen.getByTestId("health-resume-all"));
    await screen.findByTestId("health-pause-all");
    expect((await d.backend.healthAgents({})).pausedAll).toBe(false);
    await d.backend.agentStop(agent.id);
  }, 30_000);
});

describe("Home", () => {
  it("shows each session's score as the engine computed it", async () => {
    const { session, agent } = await busySession();
    render(Home, { backend: d.backend });
    const row = await waitFor(() => {
      const r = screen.getAllByTestId("session-row").find((x) => x.dataset.sessionName === session.name);
      return r ?? Promise.reject(new Error("no row yet"));
    });
    // Stalled after a second: the score falls, and Home follows the engine's number.
    const engine = await until(async () => (await d.backend.healthSessions()).find((s) => s.sessionId === session.id && s.score < 100), {
      timeoutMs: 15_000,
    });
    await waitFor(() => expect(within(row).getByTestId("session-score").textContent).toBe(`health ${engine.score}/100`), { timeout: 10_000 });
    expect(within(row).getByTestId("session-score").getAttribute("href")).toBe(`#/session/${session.id}/health`);
    await d.backend.agentStop(agent.id);
  }, 40_000);
});
