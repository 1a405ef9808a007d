import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, type FakeBackendOptions } from "../lib/fakeBackend";
import { GRAPH } from "../lib/taskGraph";
import SessionView from "./SessionView.svelte";
import { agent, session, task } from "./fixtures";

const SESSIONS = [session("s1", "payments"), session("s2", "website")];

let backends: FakeBackend[] = [];

afterEach(() => {
  for (const b of backends) b.agentScriptsStop();
  backends = [];
});

/** The session view on its Tasks tab. */
async function renderTasks(options: FakeBackendOptions = {}) {
  const backend = new FakeBackend({ sessions: SESSIONS, agents: [], agentStepMs: 1, ...options });
  backends.push(backend);
  render(SessionView, { backend, sessionId: "s1" });
  await fireEvent.click(await screen.findByTestId("tab-tasks"));
  await screen.findByTestId("tasks-panel");
  return backend;
}

function nodes(): HTMLElement[] {
  return screen.queryAllByTestId("task-node");
}

function node(name: string): HTMLElement {
  const found = nodes().find((n) => n.dataset.taskName === name);
  if (!found) throw new Error(`no task ${name}; tasks: ${nodes().map((n) => n.dataset.taskName).join(", ")}`);
  return found;
}

async function type(testId: string, value: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(testId), { target: { value } });
}

function counts(): Record<string, number> {
  return Object.fromEntries(
    screen.queryAllByTestId("task-count").map((c) => [c.dataset.state!, Number.parseInt(c.textContent!, 10)]),
  );
}

/** build, then ship if it succeeds (then announce after ship), or fix if it fails. */
const BRANCHES = [
  task("build", "s1", { state: "running", createdAt: "2026-11-01T10:00:00Z", prompt: "Build the release", role: "builder", cli: "codex", agentId: "a1" }),
  task("ship", "s1", { createdAt: "2026-11-01T10:01:00Z" }, [["build", "if_succeeded"]]),
  task("fix", "s1", { createdAt: "2026-11-01T10:02:00Z" }, [["build", "if_failed"]]),
  task("announce", "s1", { createdAt: "2026-11-01T10:03:00Z" }, [["ship", "after"]]),
];

describe("Tasks tab", () => {
  it("is a tab of the session, empty at first, saying how to add tasks or run a pattern", async () => {
    await renderTasks();
    expect(screen.getByTestId("tab-tasks").getAttribute("aria-selected")).toBe("true");
    expect(screen.getByTestId("tab-tasks-count").textContent).toBe("0");
    const empty = await screen.findByTestId("tasks-empty");
    expect(empty.textContent).toContain("No tasks yet");
    expect(empty.textContent).toContain("Run a pattern");
    expect(empty.textContent).toContain("spec → implement → review");
    expect(within(empty).getByTestId("tasks-empty-add")).toBeTruthy();
    expect(screen.queryByTestId("task-graph")).toBeNull();
    // The agents' form belongs to the other tab.
    expect(screen.queryByTestId("agent-form")).toBeNull();
  });

  it("draws the graph layered by depth, with conditional edges labelled and counts by state", async () => {
    await renderTasks({ tasks: BRANCHES });
    await waitFor(() => expect(nodes()).toHaveLength(4));

    expect(Object.fromEntries(nodes().map((n) => [n.dataset.taskName, n.dataset.depth]))).toEqual({ build: "0", ship: "1", fix: "1", announce: "2" });
    expect(node("ship").style.left).toBe(`${GRAPH.pad + GRAPH.nodeWidth + GRAPH.gapX}px`);
    expect(within(node("build")).getByTestId("task-state").textContent).toBe("running");
    expect(node("build").textContent).toContain("Title of build");

    const edges = screen.getAllByTestId("task-edge");
    expect(edges.map((e) => [e.dataset.from, e.dataset.to, e.dataset.kind])).toEqual([
      ["build", "ship", "if_succeeded"],
      ["build", "fix", "if_failed"],
      ["ship", "announce", "after"],
    ]);
    expect(screen.getAllByTestId("task-edge-label").map((l) => l.textContent)).toEqual(["if succeeded", "if failed"]);

    expect(screen.getByTestId("tab-tasks-count").textContent).toBe("4");
    expect(counts()).toEqual({ pending: 3, running: 1 });
    expect(screen.getByTestId("task-counts").textContent).toContain("4 tasks");
  });

  it("runs a pattern: the goal is required, then its tasks appear in the graph, ready ones said to wait", async () => {
    const backend = await renderTasks();
    const run = vi.spyOn(backend, "patternRun");

    await fireEvent.click(screen.getByTestId("tasks-run-pattern"));
    const dialog = await screen.findByTestId("pattern-run-dialog");
    await waitFor(() => expect(within(dialog).getByTestId("pattern-description").textContent).toContain("Architect writes a spec"));
    expect(within(dialog).getByTestId("pattern-tasks").textContent).toBe("spec → implement → review");

    // Empty (or blank) goal: refused here, nothing asked of the daemon.
    await type("pattern-goal", "   ");
    await fireEvent.click(screen.getByTestId("pattern-run"));
    expect((await screen.findByTestId("pattern-error")).textContent).toContain("The goal is empty");
    expect(screen.getByTestId("pattern-goal").getAttribute("aria-invalid")).toBe("true");
    expect(run).not.toHaveBeenCalled();
    expect(nodes()).toHaveLength(0);

    await type("pattern-goal", "Retry failed payments");
    await fireEvent.click(screen.getByTestId("pattern-run"));
    expect(run).toHaveBeenCalledWith("tri-agent", "s1", "Retry failed payments");
    await waitFor(() => expect(screen.queryByTestId("pattern-run-dialog")).toBeNull());
    await waitFor(() => expect(nodes()).toHaveLength(3));
    expect(nodes().map((n) => [n.dataset.taskName, n.dataset.depth, n.dataset.state])).toEqual([
      ["spec", "0", "ready"],
      ["implement", "1", "pending"],
      ["review", "2", "pending"],
    ]);
    expect(node("spec").textContent).toContain("Specify: Retry failed payments");
    expect(counts()).toEqual({ pending: 2, ready: 1 });
    // The coordinator is off: a ready task is said to wait, and what to press to start it.
    const note = screen.getByTestId("tasks-ready-note");
    expect(note.dataset.coordinator).toBe("off");
    expect(note.textContent!.replace(/\s+/g, " ")).toContain("1 task is ready and waiting: the coordinator starts ready tasks on agents, and it is off. Press Run above");
  });

  it("shows the daemon's refusal of a run in the dialog and keeps the goal", async () => {
    const backend = await renderTasks();
    vi.spyOn(backend, "patternRun").mockRejectedValueOnce({ code: "invalid_input", message: "templates/mine.toml: the template has no tasks" });
    await fireEvent.click(screen.getByTestId("tasks-run-pattern"));
    await screen.findByTestId("pattern-select");
    await type("pattern-goal", "Something");
    await fireEvent.click(screen.getByTestId("pattern-run"));
    expect((await screen.findByTestId("pattern-error")).textContent).toContain("the template has no tasks");
    expect((screen.getByTestId("pattern-goal") as HTMLTextAreaElement).value).toBe("Something");
    expect(screen.getByTestId("pattern-run-dialog")).toBeTruthy();
  });

  it("follows tasks live: added and moved on by another client", async () => {
    const backend = await renderTasks();
    await screen.findByTestId("tasks-empty");

    // From the CLI, say.
    const a = await backend.taskAdd({ session: "s1", title: "Lint", prompt: "Run the linter", name: "lint", role: null, cli: null, model: null, after: [], ifSucceeded: [], ifFailed: [], reviews: null, maxRounds: null });
    await backend.taskAdd({ session: "s1", title: "Fmt", prompt: "Format", name: "fmt", role: null, cli: null, model: null, after: ["lint"], ifSucceeded: [], ifFailed: [], reviews: null, maxRounds: null });
    await backend.taskAdd({ session: "s2", title: "Other", prompt: "Other", name: "other", role: null, cli: null, model: null, after: [], ifSucceeded: [], ifFailed: [], reviews: null, maxRounds: null });
    await waitFor(() => expect(nodes().map((n) => n.dataset.taskName)).toEqual(["lint", "fmt"]));
    expect(node("fmt").dataset.depth).toBe("1");
    expect(node("fmt").dataset.state).toBe("pending");

    await backend.taskComplete(a.id, "done");
    await waitFor(() => expect(node("lint").dataset.state).toBe("done"));
    await waitFor(() => expect(node("fmt").dataset.state).toBe("ready"));
    expect(screen.getByTestId("task-edge").dataset.status).toBe("met");
  });

  it("marks a task failed from its details: the if-succeeded branch is cancelled, the reason shown down the chain", async () => {
    const backend = await renderTasks({ tasks: BRANCHES, agents: [agent("a1", "s1", { name: "builder-agent" })] });
    const complete = vi.spyOn(backend, "taskComplete");
    await waitFor(() => expect(nodes()).toHaveLength(4));

    await fireEvent.click(node("build"));
    const details = screen.getByTestId("task-details");
    expect(details.dataset.taskName).toBe("build");
    expect(within(details).getByTestId("task-details-prompt").textContent).toBe("Build the release");
    expect(within(details).getByTestId("task-details-role").textContent).toBe("builder");
    expect(within(details).getByTestId("task-details-cli").textContent).toBe("codex");
    expect(within(details).getByTestId("task-show-agent").textContent).toContain("builder-agent");

    await type("task-outcome-input", "compile error in client.ts");
    await fireEvent.click(within(details).getByTestId("task-mark-failed"));
    expect(complete).toHaveBeenCalledWith("build", "failed", "compile error in client.ts");

    await waitFor(() => expect(node("ship").dataset.state).toBe("cancelled"));
    expect(within(node("ship")).getByTestId("task-reason").textContent).toBe("build failed; this task runs only if it succeeds");
    await waitFor(() => expect(node("announce").dataset.state).toBe("cancelled"));
    expect(within(node("announce")).getByTestId("task-reason").textContent).toBe("ship was cancelled");
    expect(node("fix").dataset.state).toBe("ready");
    expect(node("build").dataset.state).toBe("failed");
    expect(within(screen.getByTestId("task-details")).getByTestId("task-details-outcome").textContent).toContain("compile error in client.ts");
    // Ended: no more Mark done / Mark failed.
    expect(screen.queryByTestId("task-completion")).toBeNull();
    const shipEdge = screen.getAllByTestId("task-edge").find((e) => e.dataset.to === "ship")!;
    expect(shipEdge.dataset.status).toBe("never");
    expect(counts()).toEqual({ ready: 1, failed: 1, cancelled: 2 });

    // The cancelled task's details say why; it cannot be completed.
    await fireEvent.click(node("ship"));
    const ship = screen.getByTestId("task-details");
    expect(within(ship).getByTestId("task-details-reason").textContent).toContain("Cancelled: build failed; this task runs only if it succeeds");
    expect(within(ship).getAllByTestId("task-details-dep").map((d) => d.textContent!.replace(/\s+/g, " ").trim())).toEqual(["if succeeded build failed"]);
    expect(within(ship).queryByTestId("task-completion")).toBeNull();
  });

  it("marks a ready task done: its if-failed branch is cancelled", async () => {
    await renderTasks({ tasks: [{ ...BRANCHES[0]!, state: "ready", agentId: null }, BRANCHES[2]!] });
    await waitFor(() => expect(nodes()).toHaveLength(2));
    await fireEvent.click(node("build"));
    expect(screen.getByTestId("task-details-note").textContent).toContain("The coordinator starts it on an agent when it runs; it is off");
    expect(screen.getByTestId("task-details-agent").textContent).toContain("none yet");

    await fireEvent.click(screen.getByTestId("task-mark-done"));
    await waitFor(() => expect(node("fix").dataset.state).toBe("cancelled"));
    expect(within(node("fix")).getByTestId("task-reason").textContent).toBe("build succeeded; this task runs only if it fails");
  });

  it("shows a refused completion in the details", async () => {
    const backend = await renderTasks({ tasks: [{ ...BRANCHES[0]!, agentId: null }] });
    vi.spyOn(backend, "taskComplete").mockRejectedValueOnce({ code: "invalid_input", message: "task build is already done; it cannot complete again" });
    await waitFor(() => expect(nodes()).toHaveLength(1));
    await fireEvent.click(node("build"));
    await fireEvent.click(screen.getByTestId("task-mark-done"));
    expect((await screen.findByTestId("task-complete-error")).textContent).toContain("already done");
    expect(node("build").dataset.state).toBe("running");
  });

  it("jumps from a task to its agent's lane", async () => {
    await renderTasks({
      tasks: BRANCHES,
      agents: [agent("a0", "s1", { name: "other" }), agent("a1", "s1", { name: "builder-agent", createdAt: "2026-11-01T10:05:00Z" })],
    });
    await waitFor(() => expect(nodes()).toHaveLength(4));
    expect(within(node("build")).getByTestId("task-agent").textContent).toBe("agent: builder-agent");

    await fireEvent.click(node("build"));
    await fireEvent.click(screen.getByTestId("task-show-agent"));

    expect(screen.getByTestId("tab-agents").getAttribute("aria-selected")).toBe("true");
    const lanes = await screen.findAllByTestId("agent-lane");
    const lane = lanes.find((l) => l.dataset.agentId === "a1")!;
    await waitFor(() => expect(lane.classList.contains("highlighted")).toBe(true));
    expect(document.activeElement).toBe(lane);
    expect(lanes.find((l) => l.dataset.agentId === "a0")!.classList.contains("highlighted")).toBe(false);
  });

  it("says when a task's agent is no longer in the session", async () => {
    await renderTasks({ tasks: BRANCHES });
    await waitFor(() => expect(nodes()).toHaveLength(4));
    await fireEvent.click(node("build"));
    expect(screen.queryByTestId("task-show-agent")).toBeNull();
    expect(screen.getByTestId("task-details-agent").textContent).toContain("removed (a1)");
  });

  it("adds a task with dependencies picked from the graph, and shows the daemon's refusal inline", async () => {
    const backend = await renderTasks({ tasks: BRANCHES });
    const add = vi.spyOn(backend, "taskAdd");
    await waitFor(() => expect(nodes()).toHaveLength(4));

    await fireEvent.click(screen.getByTestId("tasks-add"));
    const form = await screen.findByTestId("task-form");
    expect(within(form).getAllByTestId("task-dep").map((d) => d.dataset.taskName)).toEqual(["build", "ship", "fix", "announce"]);

    // Title and prompt are required before anything is sent.
    await fireEvent.click(screen.getByTestId("task-form-add"));
    expect((await screen.findByTestId("task-form-error")).textContent).toContain("title is empty");
    expect(screen.getByTestId("task-title").getAttribute("aria-invalid")).toBe("true");
    expect(add).not.toHaveBeenCalled();

    await type("task-title", "Postmortem");
    await type("task-prompt", "Write up what went wrong");
    await type("task-name", "ship");
    await type("task-role", "writer");
    await fireEvent.change(screen.getByTestId("task-cli"), { target: { value: "gemini" } });
    const kinds = within(form).getAllByTestId("task-dep-kind");
    await fireEvent.change(kinds[2]!, { target: { value: "if_failed" } });
    await fireEvent.change(kinds[3]!, { target: { value: "after" } });
    await fireEvent.click(screen.getByTestId("task-form-add"));

    // "ship" is taken: the daemon's message, the name marked, the input kept.
    await waitFor(() => expect(screen.getByTestId("task-form-error").textContent).toContain('a task named "ship" already exists'));
    expect(screen.getByTestId("task-name").getAttribute("aria-invalid")).toBe("true");
    expect((screen.getByTestId("task-title") as HTMLInputElement).value).toBe("Postmortem");

    await type("task-name", "");
    await fireEvent.click(screen.getByTestId("task-form-add"));
    expect(add).toHaveBeenLastCalledWith({
      session: "s1",
      title: "Postmortem",
      prompt: "Write up what went wrong",
      name: null,
      role: "writer",
      cli: "gemini",
      model: null,
      after: ["announce"],
      ifSucceeded: [],
      ifFailed: ["fix"],
      reviews: null,
      maxRounds: null,
    });
    await waitFor(() => expect(screen.queryByTestId("task-form-dialog")).toBeNull());
    await waitFor(() => expect(node("postmortem")).toBeTruthy());
    // Converging on announce (depth 2) and fix (depth 1): after both.
    expect(node("postmortem").dataset.depth).toBe("3");
    // The new task is selected.
    expect(screen.getByTestId("task-details").dataset.taskName).toBe("postmortem");
    expect(within(screen.getByTestId("task-details")).getAllByTestId("task-details-dep").map((d) => d.dataset.kind)).toEqual(["after", "if_failed"]);
  });

  it("reads the tasks again after the stream was down", async () => {
    const backend = await renderTasks({ tasks: [BRANCHES[0]!] });
    await waitFor(() => expect(nodes()).toHaveLength(1));

    backend.setConnected(false);
    await backend.patternRun("tri-agent", "s1", "Missed while away");
    await backend.taskComplete("build", "done");
    await new Promise((r) => setTimeout(r, 30));
    expect(nodes()).toHaveLength(1);

    backend.setConnected(true);
    await waitFor(() => expect(nodes().map((n) => n.dataset.taskName)).toEqual(["build", "spec", "implement", "review"]));
    expect(node("build").dataset.state).toBe("done");
  });

  it("shows why the tasks cannot be read, and retries", async () => {
    const backend = new FakeBackend({ sessions: SESSIONS });
    backends.push(backend);
    const list = vi.spyOn(backend, "taskList").mockRejectedValueOnce({ code: "not_found", message: "The daemon has no /api/tasks: update it." });
    render(SessionView, { backend, sessionId: "s1" });
    await fireEvent.click(await screen.findByTestId("tab-tasks"));
    const error = await screen.findByTestId("tasks-error");
    expect(error.textContent).toContain("update it");
    // The agents are fine meanwhile.
    await fireEvent.click(screen.getByTestId("tab-agents"));
    expect(screen.getByTestId("agents-empty")).toBeTruthy();

    await fireEvent.click(screen.getByTestId("tab-tasks"));
    await fireEvent.click(within(screen.getByTestId("tasks-error")).getByText("Retry"));
    await waitFor(() => expect(screen.queryByTestId("tasks-error")).toBeNull());
    expect(list).toHaveBeenCalledTimes(2);
    expect(screen.getByTestId("tasks-empty")).toBeTruthy();
  });

  it("shows a task's review: what it reviews and the rounds, and who reviews the work", async () => {
    await renderTasks({
      tasks: [
        task("impl", "s1", { state: "review", createdAt: "2026-11-01T10:00:00Z" }),
        task("check", "s1", { reviews: "impl", rounds: 1, maxRounds: 3, createdAt: "2026-11-01T10:01:00Z" }, [["impl", "after"]]),
      ],
    });
    await waitFor(() => expect(nodes()).toHaveLength(2));
    await fireEvent.click(node("check"));
    const reviews = screen.getByTestId("task-details-reviews");
    expect(reviews.textContent!.replace(/\s+/g, " ").trim()).toBe("reviews impl review round 1 of 3");

    await fireEvent.click(within(reviews).getByText("impl"));
    expect(screen.getByTestId("task-details").dataset.taskName).toBe("impl");
    expect(screen.getByTestId("task-details-reviewed-by").textContent!.replace(/\s+/g, " ").trim()).toBe("reviewed by check pending round 1 of 3");
    expect(screen.getByTestId("task-details-note").textContent).toContain("waits for its reviewer's verdict");
  });

  it("lists a task's artifacts, opens one, and reads them again as the task moves on", async () => {
    const verdict = {
      id: "art-1",
      sessionId: "s1",
      taskId: "build",
      agentId: null,
      kind: "verdict" as const,
      title: "build: verdict, round 1",
      summary: "round 1: approved, no findings",
      body: JSON.stringify({ verdict: "approve", findings: [] }),
      path: null,
      createdAt: "2026-11-01T10:05:00Z",
    };
    const backend = await renderTasks({ tasks: [task("build", "s1", { state: "ready" })], artifacts: [verdict] });
    const list = vi.spyOn(backend, "artifactList");
    await waitFor(() => expect(nodes()).toHaveLength(1));
    await fireEvent.click(node("build"));

    const item = await screen.findByTestId("task-artifact");
    expect(item.dataset.kind).toBe("verdict");
    expect(item.textContent).toContain("build: verdict, round 1");
    expect(item.textContent).toContain("round 1: approved, no findings");
    expect(list).toHaveBeenLastCalledWith("s1", "build");

    await fireEvent.click(item);
    const dialog = await screen.findByTestId("artifact-dialog");
    expect(await within(dialog).findByTestId("verdict-kind")).toBeTruthy();
    expect(within(dialog).getByTestId("verdict-kind").textContent!.trim()).toBe("Approved");
    await fireEvent.click(within(dialog).getByTestId("modal-close"));
    expect(screen.queryByTestId("artifact-dialog")).toBeNull();

    // The task ends: its artifacts are read again.
    const calls = list.mock.calls.length;
    await fireEvent.click(screen.getByTestId("task-mark-done"));
    await waitFor(() => expect(list.mock.calls.length).toBeGreaterThan(calls));
  });

  it("retries a blocked task: it becomes ready; a refusal is shown in the details", async () => {
    const blocked = task("build", "s1", { state: "blocked", reason: "its agent builder was stopped before finishing its turn" });
    const backend = await renderTasks({ tasks: [blocked, task("done-one", "s1", { state: "done", createdAt: "2026-11-01T11:00:00Z" })] });
    const retry = vi.spyOn(backend, "taskRetry");
    await waitFor(() => expect(nodes()).toHaveLength(2));

    // Only blocked and failed tasks can be retried.
    await fireEvent.click(node("done-one"));
    expect(screen.queryByTestId("task-retry")).toBeNull();

    await fireEvent.click(node("build"));
    expect(screen.getByTestId("task-details-reason").textContent).toContain("Blocked: its agent builder was stopped");
    retry.mockRejectedValueOnce({ code: "daemon_unreachable", message: "The Baton daemon is not answering." });
    await fireEvent.click(screen.getByTestId("task-retry-button"));
    expect((await screen.findByTestId("task-retry-error")).textContent).toContain("not answering");
    expect(node("build").dataset.state).toBe("blocked");

    await fireEvent.click(screen.getByTestId("task-retry-button"));
    expect(retry).toHaveBeenLastCalledWith("build");
    await waitFor(() => expect(node("build").dataset.state).toBe("ready"));
    expect(screen.queryByTestId("task-retry")).toBeNull();
    expect(screen.getByTestId("task-details-note").textContent).toContain("The coordinator starts it on an agent when it runs");
  });

  it("adds a review: it reviews a task it runs after, with a bound on rounds", async () => {
    const backend = await renderTasks({ tasks: BRANCHES });
    const add = vi.spyOn(backend, "taskAdd");
    await waitFor(() => expect(nodes()).toHaveLength(4));
    await fireEvent.click(screen.getByTestId("tasks-add"));
    const form = await screen.findByTestId("task-form");
    // Nothing picked as "after": nothing to review.
    expect(screen.queryByTestId("task-reviews")).toBeNull();

    await type("task-title", "Review the build");
    await type("task-prompt", "Review the diff");
    await fireEvent.change(within(form).getAllByTestId("task-dep-kind")[0]!, { target: { value: "after" } });
    const reviews = screen.getByTestId("task-reviews") as HTMLSelectElement;
    expect([...reviews.options].map((o) => o.textContent)).toEqual(["— (not a review)", "build"]);
    await fireEvent.change(reviews, { target: { value: "build" } });
    await type("task-max-rounds", "0");
    await fireEvent.click(screen.getByTestId("task-form-add"));
    expect((await screen.findByTestId("task-form-error")).textContent).toContain("Rounds at most: give a whole number of at least 1");
    expect(add).not.toHaveBeenCalled();

    await type("task-max-rounds", "2");
    await fireEvent.click(screen.getByTestId("task-form-add"));
    expect(add).toHaveBeenLastCalledWith(expect.objectContaining({ after: ["build"], reviews: "build", maxRounds: 2 }));
    await waitFor(() => expect(node("review-the-build")).toBeTruthy());
    expect(screen.getByTestId("task-details-rounds").textContent).toBe("round 0 of 2");
  });

  it("says ready tasks start by themselves while the coordinator runs", async () => {
    const backend = await renderTasks({ tasks: [task("build", "s1", { state: "ready" })], coordinatorCycleMs: null });
    expect((await screen.findByTestId("tasks-ready-note")).dataset.coordinator).toBe("off");
    await backend.coordinatorRun("s1");
    await waitFor(() => expect(screen.getByTestId("tasks-ready-note").dataset.coordinator).toBe("running"));
    expect(screen.getByTestId("tasks-ready-note").textContent!.replace(/\s+/g, " ")).toContain(
      "the coordinator starts ready tasks on agents as there is room (at most 3 at once)",
    );
    await fireEvent.click(node("build"));
    expect(screen.getByTestId("task-details-note").textContent).toContain("starts it on an agent as soon as there is room");
  });
});
