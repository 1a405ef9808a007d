import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import type { Task } from "../bindings/Task";
import { BackendError, HttpBackend, sessionChange } from "../lib/backend";
import { GRAPH } from "../lib/taskGraph";
import {
  agentUntil,
  commandSpawn,
  daemonStart,
  sessionMake,
  streamCut,
  taskAdd,
  tasksUntil,
  taskState,
  useDaemon,
} from "../test/daemon";
import { router } from "../lib/route.svelte";
import SessionView from "./SessionView.svelte";

const d = useDaemon({ fakeClaude: true });

afterEach(() => {
  // The Tasks tab and an agent in focus are in the address: start each test from Home.
  router.go({ view: "home" });
  vi.restoreAllMocks();
});

/** A new session "payments…" (and another one), its coordinator cycling every second when run. */
async function sessionNew(): Promise<{ session: Session; other: Session }> {
  const name = d.unique("payments");
  const session = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name, { cycleSecs: 1 });
  const other = await sessionMake(d.daemon.api, d.daemon.repoMake(`${name}-web`), `${name}-web`);
  return { session, other };
}

/** The session view on its Tasks tab. */
async function renderTasks(session: Session, backend: HttpBackend = d.backend): Promise<void> {
  render(SessionView, { backend, sessionId: session.id });
  await fireEvent.click(await screen.findByTestId("tab-tasks"));
  await screen.findByTestId("tasks-panel");
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

/**
 * build, then ship if it succeeds (then announce after ship), or fix if it fails. The
 * coordinator started build on an agent "builder" (the stand-in Claude, holding its turn), and
 * was paused: build stays running.
 */
async function branches(session: Session): Promise<Task[]> {
  const api = d.daemon.api;
  await taskAdd(api, session.id, { title: "Build the release", prompt: "HOLD: Build the release", name: "build", role: "builder", cli: "claude" });
  await taskAdd(api, session.id, { title: "Ship", prompt: "Ship it", name: "ship", ifSucceeded: ["build"] });
  await taskAdd(api, session.id, { title: "Fix", prompt: "Fix it", name: "fix", ifFailed: ["build"] });
  await taskAdd(api, session.id, { title: "Announce", prompt: "Announce it", name: "announce", after: ["ship"] });
  await d.backend.coordinatorRun(session.id);
  const tasks = await tasksUntil(api, session.id, (t) => taskState(t, "build") === "running" && t[0]!.agentId !== null);
  await d.backend.coordinatorPause(session.id);
  await agentUntil(api, tasks[0]!.agentId!, (a) => a.state === "running");
  return tasks;
}

describe("Tasks tab", () => {
  it("is a tab of the session, empty at first, saying how to add tasks or run a pattern", async () => {
    const { session } = await sessionNew();
    await renderTasks(session);
    expect(screen.getByTestId("tab-tasks").getAttribute("aria-selected")).toBe("true");
    const empty = await screen.findByTestId("tasks-empty");
    await waitFor(() => expect(screen.getByTestId("tab-tasks-count").textContent).toBe("0"));
    expect(empty.textContent).toContain("No tasks yet");
    expect(empty.textContent).toContain("Run a pattern");
    expect(empty.textContent).toContain("spec → implement → review");
    expect(within(empty).getByTestId("tasks-empty-add")).toBeTruthy();
    expect(screen.queryByTestId("task-graph")).toBeNull();
    // The agents' form belongs to the other tab.
    expect(screen.queryByTestId("agent-form")).toBeNull();
  });

  it("draws the graph layered by depth, with conditional edges labelled and counts by state", async () => {
    const { session } = await sessionNew();
    await branches(session);
    await renderTasks(session);
    await waitFor(() => expect(nodes()).toHaveLength(4));

    expect(Object.fromEntries(nodes().map((n) => [n.dataset.taskName, n.dataset.depth]))).toEqual({ build: "0", ship: "1", fix: "1", announce: "2" });
    // Laid out left to right, one layer apart.
    expect(Number(node("ship").dataset.x) - Number(node("build").dataset.x)).toBe(GRAPH.nodeWidth + GRAPH.gapX);
    expect(within(node("build")).getByTestId("task-state").textContent).toBe("running");
    expect(node("build").textContent).toContain("Build the release");

    const edges = screen.getAllByTestId("task-edge");
    expect(edges.map((e) => [e.dataset.from, e.dataset.to, e.dataset.kind])).toEqual([
      ["build", "ship", "if_succeeded"],
      ["build", "fix", "if_failed"],
      ["ship", "announce", "after"],
    ]);
    expect(screen.getAllByTestId("task-edge-label").map((l) => l.textContent)).toEqual(["if succeeded", "if failed"]);
    // Pan and zoom: the controls zoom and fit the graph to the view.
    const graph = screen.getByTestId("task-graph");
    for (const control of ["zoomin", "zoomout", "fitview"]) expect(graph.querySelector(`.svelte-flow__controls-${control}`)).not.toBeNull();

    expect(screen.getByTestId("tab-tasks-count").textContent).toBe("4");
    expect(counts()).toEqual({ pending: 3, running: 1 });
    expect(screen.getByTestId("task-counts").textContent).toContain("4 tasks");
  });

  it("runs a pattern: the goal is required, then its tasks appear in the graph, ready ones said to wait", async () => {
    const { session } = await sessionNew();
    await renderTasks(session);
    const run = vi.spyOn(d.backend, "patternRun");

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
    expect(run).toHaveBeenCalledWith("tri-agent", { session: session.id, goal: "Retry failed payments" });
    await waitFor(() => expect(screen.queryByTestId("pattern-run-dialog")).toBeNull());
    await waitFor(() => expect(nodes()).toHaveLength(3));
    // The pattern's tasks share their creation time: the graph places them by depth.
    expect(Object.fromEntries(nodes().map((n) => [n.dataset.taskName, [n.dataset.depth, n.dataset.state]]))).toEqual({
      spec: ["0", "ready"],
      implement: ["1", "pending"],
      review: ["2", "pending"],
    });
    expect(node("spec").textContent).toContain("Specify: Retry failed payments");
    expect(counts()).toEqual({ pending: 2, ready: 1 });
    // The coordinator is off: a ready task is said to wait, and what to press to start it.
    const note = screen.getByTestId("tasks-ready-note");
    expect(note.dataset.coordinator).toBe("off");
    expect(note.textContent!.replace(/\s+/g, " ")).toContain("1 task is ready and waiting: the coordinator starts ready tasks on agents, and it is off. Press Run above");
  });

  it("shows the daemon's refusal of a run in the dialog and keeps the goal", async () => {
    // A pattern of the user's that is gone by the time Run is pressed.
    const file = join(d.daemon.home, "templates", "mine.toml");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'name = "mine"\n\n[[tasks]]\nname = "a"\ntitle = "A: {goal}"\nprompt = "a"\n');
    try {
      const { session } = await sessionNew();
      await renderTasks(session);
      await fireEvent.click(screen.getByTestId("tasks-run-pattern"));
      await screen.findByTestId("pattern-select");
      await fireEvent.change(screen.getByTestId("pattern-select"), { target: { value: "mine" } });
      await type("pattern-goal", "Something");
      rmSync(file);
      await fireEvent.click(screen.getByTestId("pattern-run"));
      expect((await screen.findByTestId("pattern-error")).textContent).toContain("mine");
      expect((screen.getByTestId("pattern-goal") as HTMLTextAreaElement).value).toBe("Something");
      expect(screen.getByTestId("pattern-run-dialog")).toBeTruthy();
      expect(await d.backend.taskList({ session: session.id })).toEqual([]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("follows tasks live: added and moved on by another client", async () => {
    const { session, other } = await sessionNew();
    await renderTasks(session);
    await screen.findByTestId("tasks-empty");

    // From the CLI, say.
    const api = d.daemon.api;
    const lint = await taskAdd(api, session.id, { title: "Lint", prompt: "Run the linter", name: "lint" });
    await taskAdd(api, session.id, { title: "Fmt", prompt: "Format", name: "fmt", after: ["lint"] });
    await taskAdd(api, other.id, { title: "Other", prompt: "Other", name: "other" });
    await waitFor(() => expect(nodes().map((n) => n.dataset.taskName)).toEqual(["lint", "fmt"]));
    expect(node("fmt").dataset.depth).toBe("1");
    expect(node("fmt").dataset.state).toBe("pending");

    await d.backend.taskComplete(lint.id, { state: "done", outcome: null });
    await waitFor(() => expect(node("lint").dataset.state).toBe("done"));
    await waitFor(() => expect(node("fmt").dataset.state).toBe("ready"));
    expect(screen.getByTestId("task-edge").dataset.status).toBe("met");
  });

  it("marks a task failed from its details: the if-succeeded branch is cancelled, the reason shown down the chain", async () => {
    const { session } = await sessionNew();
    const [build] = await branches(session);
    await renderTasks(session);
    const complete = vi.spyOn(d.backend, "taskComplete");
    await waitFor(() => expect(nodes()).toHaveLength(4));

    await fireEvent.click(node("build"));
    const details = screen.getByTestId("task-details");
    expect(details.dataset.taskName).toBe("build");
    expect(within(details).getByTestId("task-details-prompt").textContent).toBe("HOLD: Build the release");
    expect(within(details).getByTestId("task-details-role").textContent).toBe("builder");
    expect(within(details).getByTestId("task-details-cli").textContent).toBe("claude");
    await waitFor(() => expect(within(details).getByTestId("task-show-agent").textContent).toContain("builder"));

    await type("task-outcome-input", "compile error in client.ts");
    await fireEvent.click(within(details).getByTestId("task-mark-failed"));
    expect(complete).toHaveBeenCalledWith(build!.id, { state: "failed", outcome: "compile error in client.ts" });

    await waitFor(() => expect(node("ship").dataset.state).toBe("cancelled"));
    expect(within(node("ship")).getByTestId("task-reason").textContent).toBe("build failed; this task runs only if it succeeds");
    await waitFor(() => expect(node("announce").dataset.state).toBe("cancelled"));
    expect(within(node("announce")).getByTestId("task-reason").textContent).toBe("ship was cancelled");
    expect(node("fix").dataset.state).toBe("ready");
    expect(node("build").dataset.state).toBe("failed");
    await waitFor(() => expect(within(screen.getByTestId("task-details")).getByTestId("task-details-outcome").textContent).toContain("compile error in client.ts"));
    // Ended: no more Mark done / Mark failed.
    expect(screen.queryByTestId("task-completion")).toBeNull();
    const shipEdge = screen.getAllByTestId("task-edge").find((e) => e.dataset.to === "ship")!;
    expect(shipEdge.dataset.status).toBe("never");
    expect(counts()).toEqual({ ready: 1, failed: 1, cancelled: 2 });

    // The cancelled task's details say why; it cannot be completed.
    await fireEvent.click(node("ship"));
    const ship = screen.getByTestId("task-details");
    expect(within(ship).getByTestId("task-details-reason").textContent).toContain("Cancelled: build failed; this task runs only if it succeeds");
    expect(within(ship).getAllByTestId("task-details-dep").map((x) => x.textContent!.replace(/\s+/g, " ").trim())).toEqual(["if succeeded build failed"]);
    expect(within(ship).queryByTestId("task-completion")).toBeNull();
  });

  it("shows a started task's prompt as its agent was given it, placeholders filled, and the template apart", async () => {
    const { session } = await sessionNew();
    await taskAdd(d.daemon.api, session.id, { title: "Spec", prompt: "Write the spec", name: "spec" });
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "Build from {spec}", name: "build", after: ["spec"] });
    await renderTasks(session);
    await waitFor(() => expect(nodes()).toHaveLength(2));

    // Before it starts: the template, and what its placeholders will become.
    await fireEvent.click(node("build"));
    expect(screen.getByTestId("task-details-prompt").textContent).toBe("Build from {spec}");
    expect(screen.getByTestId("task-details-prompt-note").textContent).toContain("filled with earlier tasks' results when it starts");
    expect(screen.queryByTestId("task-details-template")).toBeNull();

    await d.backend.coordinatorRun(session.id);
    const tasks = await tasksUntil(d.daemon.api, session.id, (ts: Task[]) => taskState(ts, "build") === "done");
    const build = tasks.find((t: Task) => t.name === "build")!;
    const agent = await d.backend.agentGet(build.agentId!);
    await waitFor(() => expect(screen.getByTestId("task-details").dataset.state).toBe("done"));
    const sent = screen.getByTestId("task-details-prompt").textContent!;
    expect(sent).toBe(agent.prompt);
    expect(sent.startsWith("Build from Finished the work, turn 1")).toBe(true);
    expect(sent).not.toContain("{spec}");
    expect(screen.getByTestId("task-details").textContent).toContain("Prompt as sent");
    const template = screen.getByTestId("task-details-template");
    expect(template.textContent).toContain("Template (before its placeholders were filled)");
    expect(template.textContent).toContain("Build from {spec}");
    await d.backend.coordinatorPause(session.id);
  });

  it("marks a ready task done: its if-failed branch is cancelled", async () => {
    const { session } = await sessionNew();
    await taskAdd(d.daemon.api, session.id, { title: "Build the release", prompt: "Build", name: "build" });
    await taskAdd(d.daemon.api, session.id, { title: "Fix", prompt: "Fix it", name: "fix", ifFailed: ["build"] });
    await renderTasks(session);
    await waitFor(() => expect(nodes()).toHaveLength(2));
    await fireEvent.click(node("build"));
    expect(screen.getByTestId("task-details-note").textContent).toContain("The coordinator starts it on an agent when it runs; it is off");
    expect(screen.getByTestId("task-details-agent").textContent).toContain("none yet");

    await fireEvent.click(screen.getByTestId("task-mark-done"));
    await waitFor(() => expect(node("fix").dataset.state).toBe("cancelled"));
    expect(within(node("fix")).getByTestId("task-reason").textContent).toBe("build succeeded; this task runs only if it fails");
  });

  it("shows a refused completion in the details", async () => {
    const { session } = await sessionNew();
    await branches(session);
    await renderTasks(session);
    await waitFor(() => expect(nodes()).toHaveLength(4));
    // The daemon's refusal for a task that ended meanwhile (recorded on another session's task).
    const { session: elsewhere } = await sessionNew();
    const ended = await taskAdd(d.daemon.api, elsewhere.id, { title: "Old", prompt: "old", name: "old" });
    await d.backend.taskComplete(ended.id, { state: "done", outcome: null });
    const refusal = await d.backend.taskComplete(ended.id, { state: "done", outcome: null }).catch((err: unknown) => BackendError.from(err));
    expect(refusal).toBeInstanceOf(BackendError);
    vi.spyOn(d.backend, "taskComplete").mockRejectedValueOnce(refusal);

    await fireEvent.click(node("build"));
    await fireEvent.click(screen.getByTestId("task-mark-done"));
    expect((await screen.findByTestId("task-complete-error")).textContent).toContain("is already done; it cannot complete again");
    expect(node("build").dataset.state).toBe("running");
  });

  it("jumps from a task to its agent, put in focus and marked", async () => {
    const { session } = await sessionNew();
    const other = await commandSpawn(d.daemon.api, session.id, ["true"], "other");
    const tasks = await branches(session);
    await renderTasks(session);
    await waitFor(() => expect(nodes()).toHaveLength(4));
    await waitFor(() => expect(within(node("build")).getByTestId("task-agent").textContent).toBe("agent: builder"));

    await fireEvent.click(node("build"));
    await fireEvent.click(screen.getByTestId("task-show-agent"));

    expect(window.location.hash).toBe(`#/session/${session.id}/agent/${tasks[0]!.agentId}`);
    const lane = await screen.findByTestId("agent-lane");
    expect(lane.dataset.agentId).toBe(tasks[0]!.agentId);
    await waitFor(() => expect(lane.classList.contains("highlighted")).toBe(true));
    expect(lane.contains(document.activeElement)).toBe(true);
    expect(screen.getAllByTestId("agent-lane").map((l) => l.dataset.agentId)).not.toContain(other.id);
  });

  it("says when a task's agent is no longer in the session", async () => {
    const { session } = await sessionNew();
    const tasks = await branches(session);
    await d.backend.agentRemove(tasks[0]!.agentId!, { force: true });
    await renderTasks(session);
    await waitFor(() => expect(nodes()).toHaveLength(4));
    await fireEvent.click(node("build"));
    expect(screen.queryByTestId("task-show-agent")).toBeNull();
    expect(screen.getByTestId("task-details-agent").textContent).toContain(`removed (${tasks[0]!.agentId})`);
  });

  it("adds a task with dependencies picked from the graph, and shows the daemon's refusal inline", async () => {
    const { session } = await sessionNew();
    const byName = Object.fromEntries((await branches(session)).map((t) => [t.name, t.id]));
    await renderTasks(session);
    const add = vi.spyOn(d.backend, "taskAdd");
    await waitFor(() => expect(nodes()).toHaveLength(4));

    await fireEvent.click(screen.getByTestId("tasks-add"));
    const form = await screen.findByTestId("task-form");
    expect(within(form).getAllByTestId("task-dep").map((x) => x.dataset.taskName)).toEqual(["build", "ship", "fix", "announce"]);

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
      session: session.id,
      title: "Postmortem",
      prompt: "Write up what went wrong",
      name: null,
      role: "writer",
      cli: "gemini",
      model: null,
      after: [byName.announce],
      ifSucceeded: [],
      ifFailed: [byName.fix],
      reviews: null,
      maxRounds: null,
    });
    await waitFor(() => expect(screen.queryByTestId("task-form-dialog")).toBeNull());
    await waitFor(() => expect(node("postmortem")).toBeTruthy());
    // Converging on announce (depth 2) and fix (depth 1): after both.
    expect(node("postmortem").dataset.depth).toBe("3");
    // The new task is selected.
    expect(screen.getByTestId("task-details").dataset.taskName).toBe("postmortem");
    // The daemon lists a task's dependencies by their ids.
    expect(within(screen.getByTestId("task-details")).getAllByTestId("task-details-dep").map((x) => x.dataset.kind).sort()).toEqual(["after", "if_failed"]);
  });

  it("reads the tasks again after the stream was down", async () => {
    const { session } = await sessionNew();
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "Build", name: "build" });
    const stream = streamCut(d.backend);
    await renderTasks(session);
    await waitFor(() => expect(nodes()).toHaveLength(1));

    stream.drop();
    await d.backend.patternRun("tri-agent", { session: session.id, goal: "Missed while away" });
    await d.backend.taskComplete("build", { state: "done", outcome: null });
    expect(nodes()).toHaveLength(1);

    stream.restore();
    await waitFor(() => expect(nodes().map((n) => n.dataset.taskName).sort()).toEqual(["build", "implement", "review", "spec"]));
    expect(node("build").dataset.state).toBe("done");
  });

  it("shows why the tasks cannot be read, and retries", async () => {
    const { session } = await sessionNew();
    const list = vi.spyOn(d.backend, "taskList").mockRejectedValueOnce(new BackendError("daemon_unreachable", "The Baton daemon is not answering: start it again."));
    render(SessionView, { backend: d.backend, sessionId: session.id });
    await fireEvent.click(await screen.findByTestId("tab-tasks"));
    const error = await screen.findByTestId("tasks-error");
    expect(error.textContent).toContain("start it again");
    // The agents are fine meanwhile.
    await fireEvent.click(screen.getByTestId("tab-agents"));
    expect(await screen.findByTestId("agents-empty")).toBeTruthy();

    await fireEvent.click(screen.getByTestId("tab-tasks"));
    await fireEvent.click(within(screen.getByTestId("tasks-error")).getByText("Retry"));
    await waitFor(() => expect(screen.queryByTestId("tasks-error")).toBeNull());
    expect(list.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(screen.getByTestId("tasks-empty")).toBeTruthy();
  });

  it("retries a blocked task: it becomes ready; a refusal is shown in the details", async () => {
    const { session } = await sessionNew();
    const tasks = await branches(session);
    // Its agent stopped mid-turn: the coordinator's next cycle blocks the task.
    await d.backend.agentStop(tasks[0]!.agentId!);
    await d.backend.coordinatorRun(session.id);
    await tasksUntil(d.daemon.api, session.id, (t) => taskState(t, "build") === "blocked");
    await d.backend.coordinatorPause(session.id);
    const done = await taskAdd(d.daemon.api, session.id, { title: "Done one", prompt: "x", name: "done-one" });
    await d.backend.taskComplete(done.id, { state: "done", outcome: null });
    await renderTasks(session);
    const retry = vi.spyOn(d.backend, "taskRetry");
    await waitFor(() => expect(nodes()).toHaveLength(5));

    // Only blocked and failed tasks can be retried.
    await fireEvent.click(node("done-one"));
    expect(screen.queryByTestId("task-retry")).toBeNull();

    await fireEvent.click(node("build"));
    expect(screen.getByTestId("task-details-reason").textContent).toContain("Blocked: its agent builder was stopped");
    retry.mockRejectedValueOnce(new BackendError("daemon_unreachable", "The Baton daemon is not answering."));
    await fireEvent.click(screen.getByTestId("task-retry-button"));
    expect((await screen.findByTestId("task-retry-error")).textContent).toContain("not answering");
    expect(node("build").dataset.state).toBe("blocked");

    await fireEvent.click(screen.getByTestId("task-retry-button"));
    expect(retry).toHaveBeenLastCalledWith(tasks[0]!.id);
    await waitFor(() => expect(node("build").dataset.state).toBe("ready"));
    expect(screen.queryByTestId("task-retry")).toBeNull();
    expect(screen.getByTestId("task-details-note").textContent).toContain("The coordinator starts it on an agent when it runs");
  });

  it("adds a review: it reviews a task it runs after, with a bound on rounds", async () => {
    const { session } = await sessionNew();
    const [build] = await branches(session);
    await renderTasks(session);
    const add = vi.spyOn(d.backend, "taskAdd");
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
    await fireEvent.change(reviews, { target: { value: build!.id } });
    await type("task-max-rounds", "0");
    await fireEvent.click(screen.getByTestId("task-form-add"));
    expect((await screen.findByTestId("task-form-error")).textContent).toContain("Rounds at most: give a whole number of at least 1");
    expect(add).not.toHaveBeenCalled();

    await type("task-max-rounds", "2");
    await fireEvent.click(screen.getByTestId("task-form-add"));
    expect(add).toHaveBeenLastCalledWith(expect.objectContaining({ after: [build!.id], reviews: build!.id, maxRounds: 2 }));
    await waitFor(() => expect(node("review-the-build")).toBeTruthy());
    await waitFor(() => expect(screen.getByTestId("task-details-rounds").textContent).toBe("round 0 of 2"));
  });

  it("says ready tasks start by themselves while the coordinator runs", async () => {
    const { session } = await sessionNew();
    // At most one agent, kept busy: the ready task waits for room.
    await d.backend.sessionUpdate(session.id, sessionChange({ maxAgents: 1 }));
    await taskAdd(d.daemon.api, session.id, { title: "Hold", prompt: "HOLD: busy", name: "hold" });
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "Build", name: "build" });
    await renderTasks(session);
    expect((await screen.findByTestId("tasks-ready-note")).dataset.coordinator).toBe("off");
    await d.backend.coordinatorRun(session.id);
    await waitFor(() => expect(screen.getByTestId("tasks-ready-note").dataset.coordinator).toBe("running"));
    await waitFor(() => expect(node("hold").dataset.state).toBe("running"));
    expect(screen.getByTestId("tasks-ready-note").textContent!.replace(/\s+/g, " ")).toContain(
      "the coordinator starts ready tasks on agents as there is room (at most 1 at once)",
    );
    await fireEvent.click(node("build"));
    expect(screen.getByTestId("task-details-note").textContent).toContain("starts it on an agent as soon as there is room");
    await d.backend.coordinatorPause(session.id);
  });

  it("shows a review as it runs: what it reviews and the rounds, who reviews the work, its verdict", async () => {
    // A daemon of its own: releasing the stand-in's HOLD is for good.
    const own = await daemonStart({ fakeClaude: true });
    try {
      const backend = new HttpBackend({ url: own.url, token: own.token });
      const session = await sessionMake(own.api, own.repoMake("pay"), "pay", { cycleSecs: 1 });
      own.verdictsWrite([{ verdict: "approve", findings: [] }]);
      await taskAdd(own.api, session.id, { title: "Implement", prompt: "Implement it", name: "impl" });
      await taskAdd(own.api, session.id, { title: "Check", prompt: "HOLD, then answer with JSON only", name: "check", after: ["impl"], reviews: "impl" });
      await backend.coordinatorRun(session.id);
      await tasksUntil(own.api, session.id, (t) => taskState(t, "impl") === "review" && taskState(t, "check") === "running");
      await renderTasks(session, backend);
      await waitFor(() => expect(nodes()).toHaveLength(2));

      await fireEvent.click(node("check"));
      const reviews = screen.getByTestId("task-details-reviews");
      expect(reviews.textContent!.replace(/\s+/g, " ").trim()).toBe("reviews impl review round 0 of 3");
      expect(screen.queryByTestId("task-artifact")).toBeNull();

      await fireEvent.click(within(reviews).getByText("impl"));
      expect(screen.getByTestId("task-details").dataset.taskName).toBe("impl");
      expect(screen.getByTestId("task-details-reviewed-by").textContent!.replace(/\s+/g, " ").trim()).toBe("reviewed by check running round 0 of 3");
      expect(screen.getByTestId("task-details-note").textContent).toContain("waits for its reviewer's verdict");

      // The reviewer answers: approved. The check's artifacts are read again as it ends.
      await fireEvent.click(node("check"));
      const list = vi.spyOn(backend, "artifactList");
      own.release();
      await waitFor(() => expect(node("impl").dataset.state).toBe("done"));
      const item = await screen.findByTestId("task-artifact");
      expect(list).toHaveBeenLastCalledWith({ session: session.id, task: expect.any(String) });
      expect(item.dataset.kind).toBe("verdict");
      expect(item.textContent).toContain("check: verdict, round 1");
      expect(item.textContent).toContain("round 1: approved, no findings");

      await fireEvent.click(item);
      const dialog = await screen.findByTestId("artifact-dialog");
      expect((await within(dialog).findByTestId("verdict-kind")).textContent!.trim()).toBe("Approved");
      await fireEvent.click(within(dialog).getByTestId("modal-close"));
      expect(screen.queryByTestId("artifact-dialog")).toBeNull();
      await backend.coordinatorPause(session.id);
    } finally {
      await own.stop();
    }
  });
});
