import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import { BackendError, sessionChange } from "../lib/backend";
import { sessionMake, taskAdd, until, useDaemon } from "../test/daemon";
import SessionView from "./SessionView.svelte";

const d = useDaemon({ fakeClaude: true });

afterEach(async () => {
  vi.restoreAllMocks();
});

/** A new session cycling every second, its tasks added through the daemon. */
async function sessionNew(): Promise<Session> {
  const name = d.unique("pay");
  return sessionMake(d.daemon.api, d.daemon.repoMake(name), name, { cycleSecs: 1 });
}

async function renderSession(session: Session): Promise<void> {
  render(SessionView, { backend: d.backend, sessionId: session.id });
  await screen.findByTestId("coordinator-bar");
  await waitFor(() => expect(screen.getByTestId("session-name").textContent).toBe(session.name));
}

const bar = () => screen.getByTestId("coordinator-bar");
const button = (id: string) => screen.getByTestId(id) as HTMLButtonElement;
const checks = () => Object.fromEntries(screen.getAllByTestId("criterion").map((c) => [c.dataset.key, c.dataset.ok]));
const cycleCount = () => Number.parseInt(screen.queryByTestId("coordinator-cycle-count")?.textContent ?? "0", 10);

describe("Coordinator bar", () => {
  it("starts off: Run, no cycle yet, the criteria not checked, and ready tasks said to wait for Run", async () => {
    const session = await sessionNew();
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "build it", name: "build" });
    await renderSession(session);
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
    const session = await sessionNew();
    // The build's agent holds its turn until the test ends: it stays running.
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "HOLD: build it", name: "build" });
    await taskAdd(d.daemon.api, session.id, { title: "Ship", prompt: "ship it", name: "ship", after: ["build"] });
    await renderSession(session);
    const run = vi.spyOn(d.backend, "coordinatorRun");

    await fireEvent.click(button("coordinator-run"));
    expect(run).toHaveBeenCalledWith(session.id);
    await waitFor(() => expect(bar().dataset.state).toBe("running"));
    expect(screen.getByTestId("coordinator-state").textContent).toBe("Running");
    expect(button("coordinator-run").disabled).toBe(true);
    // Once the daemon answered Run (its events may come first).
    await waitFor(() => expect(button("coordinator-pause").disabled).toBe(false));

    // The first cycle starts the build; the next ones (at once, as its agent starts) see it running.
    await waitFor(() => expect(screen.getByTestId("coordinator-activity").textContent).toMatch(/started build|1 running/), { timeout: 5_000 });
    expect(screen.getByTestId("coordinator-cycles").textContent).toMatch(/cycle \d+\s+at .+ · \d+ ms/);
    await waitFor(() => expect(checks()).toEqual({ tasksEnded: "false", outputsParsed: "true", noBlockers: "true", noIdleWithWork: "true" }), { timeout: 5_000 });
    await waitFor(
      () =>
        expect(within(screen.getByTestId("criteria-unmet")).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
          "2 task(s) not done: build is running, ship is pending",
        ]),
      { timeout: 5_000 },
    );
    expect(screen.queryByTestId("coordinator-off-note")).toBeNull();
    const seen = cycleCount();
    await waitFor(() => expect(cycleCount()).toBeGreaterThan(seen), { timeout: 5_000 });

    await fireEvent.click(button("coordinator-pause"));
    await waitFor(() => expect(bar().dataset.state).toBe("off"));
    expect(button("coordinator-run").textContent!.trim()).toBe("Resume");
    expect((await d.backend.sessionGet(session.id)).coordinator).toBe("off");
    const build = (await d.backend.taskList({ session: session.id }))[0]!;
    await d.backend.agentStop(build.agentId!);
  });

  it("shows progress as tasks done of those to run, no crosses while work goes on, red only for a failure", async () => {
    const session = await sessionNew();
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "HOLD: build it", name: "build" });
    await taskAdd(d.daemon.api, session.id, { title: "Ship", prompt: "ship it", name: "ship", after: ["build"] });
    await taskAdd(d.daemon.api, session.id, { title: "Lint", prompt: "FAIL: lint", name: "lint" });
    await renderSession(session);
    // The same two lines in every state: nothing below the bar moves.
    const shape = () => [...bar().children].map((c) => c.className.replace(/\s*svelte-\w+/g, ""));
    const off = shape();
    expect(off).toEqual(["coordinator-main", "coordinator-detail"]);
    await waitFor(() => expect(screen.getByTestId("coordinator-progress-line").textContent).toBe("0 of 3 tasks done"));
    expect(within(bar()).getByRole("progressbar").getAttribute("aria-valuemax")).toBe("3");

    await fireEvent.click(button("coordinator-run"));
    await waitFor(() => expect(screen.getByTestId("coordinator-progress-running").textContent).toMatch(/[12] running/), { timeout: 5_000 });
    expect(shape()).toEqual(off);
    // Unmet criteria while work goes on are pending, not crosses.
    await waitFor(() => expect(screen.getAllByTestId("criterion").some((c) => c.dataset.ok === "false")).toBe(true), { timeout: 5_000 });
    expect(bar().textContent).not.toContain("✗");
    expect(bar().querySelector(".criterion.unmet")).toBeNull();

    // The lint fails: that, and only that, is red.
    await waitFor(() => expect(screen.getByTestId("coordinator-progress-failed").textContent).toBe("✗ 1 failed"), { timeout: 10_000 });
    expect(screen.getByTestId("coordinator-progress-line").textContent).toBe("0 of 3 tasks done");
    expect(shape()).toEqual(off);
    await d.backend.coordinatorPause(session.id);
    const build = (await d.backend.taskList({ session: session.id })).find((t) => t.name === "build")!;
    await d.backend.agentStop(build.agentId!);
  });

  it("says when the work is complete: every criterion holds", async () => {
    const session = await sessionNew();
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "build it", name: "build" });
    await d.backend.taskComplete("build", { state: "done", outcome: null });
    await renderSession(session);
    await fireEvent.click(button("coordinator-run"));
    await waitFor(() => expect(bar().dataset.state).toBe("complete"), { timeout: 5_000 });
    expect(screen.getByTestId("coordinator-state").textContent).toBe("Complete");
    expect(checks()).toEqual({ tasksEnded: "true", outputsParsed: "true", noBlockers: "true", noIdleWithWork: "true" });
    expect(screen.getByTestId("coordinator-complete").textContent).toContain("the work is complete");
    expect(screen.queryByTestId("criteria-unmet")).toBeNull();
    await waitFor(() => expect(button("coordinator-run").textContent!.trim()).toBe("Resume"));
  });

  it("follows a run started by another client", async () => {
    const session = await sessionNew();
    await renderSession(session);
    await d.backend.coordinatorRun(session.name);
    await waitFor(() => expect(bar().dataset.state).toBe("running"));
    await waitFor(() => expect(cycleCount()).toBeGreaterThanOrEqual(1), { timeout: 5_000 });
    expect(within(screen.getByTestId("criteria-unmet")).getByRole("listitem").textContent).toBe("no tasks yet");
    await d.backend.coordinatorPause(session.id);
  });

  it("shows why Run was refused, and leaves the state as it was", async () => {
    // The daemon's refusal, as it words it, for a session archived since the page read it.
    const archived = await sessionNew();
    await d.backend.sessionUpdate(archived.id, sessionChange({ archived: true }));
    const refusal = await d.backend.coordinatorRun(archived.id).catch((err: unknown) => BackendError.from(err));
    expect(refusal).toBeInstanceOf(BackendError);

    const session = await sessionNew();
    await renderSession(session);
    vi.spyOn(d.backend, "coordinatorRun").mockRejectedValueOnce(refusal);
    await fireEvent.click(button("coordinator-run"));
    const error = await screen.findByTestId("coordinator-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain((refusal as BackendError).message.replace(/`/g, ""));
    expect(bar().dataset.state).toBe("off");
    expect(button("coordinator-run").disabled).toBe(false);
  });

  it("reads the cycles run before it was shown", async () => {
    const session = await sessionNew();
    await d.backend.coordinatorRun(session.id);
    await until(async () => (await d.backend.coordinatorStatus(session.id)).cycles >= 2, { what: "two cycles ran" });
    await renderSession(session);
    await waitFor(() => expect(cycleCount()).toBeGreaterThanOrEqual(2));
    expect(bar().dataset.state).toBe("running");
    await d.backend.coordinatorPause(session.id);
  });
});
