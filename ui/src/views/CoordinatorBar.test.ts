import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, type FakeBackendOptions } from "../lib/fakeBackend";
import SessionView from "./SessionView.svelte";
import { session, task } from "./fixtures";

let backends: FakeBackend[] = [];

afterEach(() => {
  for (const b of backends) {
    b.agentScriptsStop();
    b.coordinatorsStop();
  }
  backends = [];
});

/** The session view of "pay", its coordinator's cycles run by the test. */
async function renderSession(options: FakeBackendOptions = {}) {
  const backend = new FakeBackend({
    sessions: [session("s1", "pay"), session("s2", "web")],
    agents: [],
    agentStepMs: 1,
    coordinatorCycleMs: null,
    ...options,
  });
  backends.push(backend);
  render(SessionView, { backend, sessionId: "s1" });
  await screen.findByTestId("coordinator-bar");
  return backend;
}

const bar = () => screen.getByTestId("coordinator-bar");
const button = (id: string) => screen.getByTestId(id) as HTMLButtonElement;
const checks = () => Object.fromEntries(screen.getAllByTestId("criterion").map((c) => [c.dataset.key, c.dataset.ok]));

describe("Coordinator bar", () => {
  it("starts off: Run, no cycle yet, the criteria not checked, and ready tasks said to wait for Run", async () => {
    await renderSession({ tasks: [task("build", "s1", { state: "ready" })] });
    expect(bar().dataset.state).toBe("off");
    expect(screen.getByTestId("coordinator-state").textContent).toBe("Off");
    expect(button("coordinator-run").textContent!.trim()).toBe("Run");
    expect(button("coordinator-run").disabled).toBe(false);
    expect(button("coordinator-pause").disabled).toBe(true);
    expect(screen.getByTestId("coordinator-cycles").textContent).toContain("no cycle yet");
    expect(checks()).toEqual({ tasksEnded: "unknown", outputsParsed: "unknown", noBlockers: "unknown", noIdleWithWork: "unknown" });
    expect(screen.getByTestId("coordinator-off-note").textContent).toContain("Press Run");

    await fireEvent.click(screen.getByTestId("tab-tasks"));
    expect((await screen.findByTestId("tasks-ready-note")).textContent).toMatch(/it is off\. Press\s+Run\s+above to start it/);
  });

  it("runs: each cycle shows live with its criteria and what keeps them from holding; Pause stops it", async () => {
    const backend = await renderSession({ tasks: [task("build", "s1", { state: "ready" }), task("ship", "s1", {}, [["build", "after"]])] });
    const run = vi.spyOn(backend, "coordinatorRun");

    await fireEvent.click(button("coordinator-run"));
    expect(run).toHaveBeenCalledWith("s1");
    await waitFor(() => expect(bar().dataset.state).toBe("running"));
    expect(screen.getByTestId("coordinator-state").textContent).toBe("Running");
    expect(button("coordinator-run").disabled).toBe(true);
    expect(button("coordinator-pause").disabled).toBe(false);

    backend.coordinatorCycle("s1");
    await waitFor(() => expect(screen.getByTestId("coordinator-cycle-count").textContent).toBe("1"));
    expect(screen.getByTestId("coordinator-cycles").textContent).toMatch(/cycle 1\s+at .+ · \d+ ms/);
    expect(checks()).toEqual({ tasksEnded: "false", outputsParsed: "true", noBlockers: "true", noIdleWithWork: "true" });
    expect(within(screen.getByTestId("criteria-unmet")).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "2 task(s) not done: build is running, ship is pending",
    ]);
    expect(screen.getByTestId("coordinator-activity").textContent).toContain("started build");
    expect(screen.queryByTestId("coordinator-off-note")).toBeNull();

    backend.coordinatorCycle("s1");
    await waitFor(() => expect(screen.getByTestId("coordinator-cycle-count").textContent).toBe("2"));

    await fireEvent.click(button("coordinator-pause"));
    await waitFor(() => expect(bar().dataset.state).toBe("off"));
    expect(button("coordinator-run").textContent!.trim()).toBe("Resume");
    expect((await backend.sessionGet("s1")).coordinator).toBe("off");
  });

  it("says when the work is complete: every criterion holds", async () => {
    const backend = await renderSession({ tasks: [task("build", "s1", { state: "done" })] });
    await fireEvent.click(button("coordinator-run"));
    await waitFor(() => expect(bar().dataset.state).toBe("running"));
    backend.coordinatorCycle("s1");
    await waitFor(() => expect(bar().dataset.state).toBe("complete"));
    expect(screen.getByTestId("coordinator-state").textContent).toBe("Complete");
    expect(checks()).toEqual({ tasksEnded: "true", outputsParsed: "true", noBlockers: "true", noIdleWithWork: "true" });
    expect(screen.getByTestId("coordinator-complete").textContent).toContain("the work is complete");
    expect(screen.queryByTestId("criteria-unmet")).toBeNull();
    expect(button("coordinator-run").textContent!.trim()).toBe("Resume");
  });

  it("follows a run started by another client", async () => {
    const backend = await renderSession();
    await backend.coordinatorRun("pay");
    await waitFor(() => expect(bar().dataset.state).toBe("running"));
    backend.coordinatorCycle("s1");
    await waitFor(() => expect(screen.getByTestId("coordinator-cycle-count").textContent).toBe("1"));
    expect(within(screen.getByTestId("criteria-unmet")).getByRole("listitem").textContent).toBe("no tasks yet");
  });

  it("shows why Run was refused, and leaves the state as it was", async () => {
    const backend = await renderSession();
    vi.spyOn(backend, "coordinatorRun").mockRejectedValueOnce({
      code: "invalid_input",
      message: "session pay is archived; unarchive it first",
    });
    await fireEvent.click(button("coordinator-run"));
    const error = await screen.findByTestId("coordinator-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("session pay is archived; unarchive it first");
    expect(bar().dataset.state).toBe("off");
    expect(button("coordinator-run").disabled).toBe(false);
  });

  it("reads the cycles run before it was shown", async () => {
    const backend = new FakeBackend({ sessions: [session("s1", "pay")], agents: [], coordinatorCycleMs: null });
    backends.push(backend);
    await backend.coordinatorRun("s1");
    backend.coordinatorCycle("s1");
    backend.coordinatorCycle("s1");
    render(SessionView, { backend, sessionId: "s1" });
    await waitFor(() => expect(screen.getByTestId("coordinator-cycle-count").textContent).toBe("2"));
    expect(bar().dataset.state).toBe("running");
  });
});
