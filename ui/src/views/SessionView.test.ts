import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionChange } from "../lib/backend";
import { FakeBackend, type FakeBackendOptions } from "../lib/fakeBackend";
import { router } from "../lib/route.svelte";
import SessionView from "./SessionView.svelte";
import { agent, session, task } from "./fixtures";

const SESSIONS = [session("s1", "payments", { baseBranch: "develop" }), session("s2", "website")];
const AGENTS = [
  agent("a1", "s1", { name: "architect", state: "running", costUsd: 0.5, createdAt: "2026-11-01T10:00:00Z" }),
  agent("a2", "s1", { name: "reviewer", cli: "codex", costUsd: 0.25, costIsEstimate: true, createdAt: "2026-11-01T10:05:00Z" }),
  agent("b1", "s2", { name: "elsewhere", createdAt: "2026-11-01T10:01:00Z" }),
];

let backends: FakeBackend[] = [];

async function renderSession(sessionId = "s1", options: FakeBackendOptions = {}) {
  const backend = new FakeBackend({
    sessions: SESSIONS,
    agents: AGENTS,
    agentEvents: { a1: [{ kind: "text", text: "history of a1", delta: false }] },
    agentStepMs: 1,
    ...options,
  });
  backends.push(backend);
  render(SessionView, { backend, sessionId });
  await screen.findByTestId("session-name");
  return backend;
}

function lanes(): HTMLElement[] {
  return screen.queryAllByTestId("agent-lane");
}

function lane(name: string): HTMLElement {
  const found = lanes().find((l) => l.dataset.agentName === name);
  if (!found) throw new Error(`no lane ${name}; lanes: ${lanes().map((l) => l.dataset.agentName).join(", ")}`);
  return found;
}

async function chooseCli(value: string): Promise<void> {
  await fireEvent.change(screen.getByTestId("agent-cli"), { target: { value } });
}

async function type(testId: string, value: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(testId), { target: { value } });
}

afterEach(() => {
  for (const b of backends) b.agentScriptsStop();
  backends = [];
});

describe("SessionView", () => {
  it("shows the session and one lane per agent of this session only, oldest first", async () => {
    await renderSession();

    expect(screen.getByTestId("session-name").textContent).toBe("payments");
    const view = screen.getByTestId("session-view");
    expect(view.textContent).toContain("/src/payments");
    expect(view.textContent).toContain("develop");
    await waitFor(() => expect(lanes().map((l) => l.dataset.agentName)).toEqual(["architect", "reviewer"]));
    expect(lanes().map((l) => l.dataset.agentId)).toEqual(["a1", "a2"]);
    expect(lane("architect").dataset.state).toBe("running");
    // The total is an estimate as soon as one agent's cost is.
    expect(screen.getByTestId("session-cost").textContent).toContain("2 agents · ~$0.75");
    await waitFor(() => expect(within(lane("architect")).getByText("history of a1")).toBeTruthy());
  });

  it("finds the session by name too", async () => {
    await renderSession("website");
    await waitFor(() => expect(lanes().map((l) => l.dataset.agentName)).toEqual(["elsewhere"]));
  });

  it("follows the session's agents live: state, events, new agents from other clients", async () => {
    const backend = await renderSession();
    await waitFor(() => expect(lanes()).toHaveLength(2));

    const sent = await backend.agentSend("a1", "Also the webhooks");
    expect(sent.state).toBe("running");
    await waitFor(() => expect(within(lane("architect")).getByText("Also the webhooks")).toBeTruthy());
    await waitFor(() => expect(lane("architect").dataset.state).toBe("waiting"), { timeout: 3_000 });
    const kinds = within(lane("architect"))
      .getAllByTestId("event-row")
      .map((r) => r.dataset.kind);
    expect(kinds).toContain("tool_call");
    expect(kinds.at(-1)).toBe("turn_completed");
    expect(kinds.filter((k) => k === "user_text")).toHaveLength(1);

    // Spawned by another client (the CLI): its lane appears, an agent of s2 does not.
    await backend.agentSpawn({ session: "s1", cli: "gemini", prompt: "Write docs", name: "docs", model: null, allowTools: [], program: [], cwd: null });
    await backend.agentSpawn({ session: "s2", cli: "gemini", prompt: "Other", name: "other", model: null, allowTools: [], program: [], cwd: null });
    await waitFor(() => expect(lanes().map((l) => l.dataset.agentName)).toEqual(["architect", "reviewer", "docs"]));
    await waitFor(() => expect(within(lane("docs")).getByText("Write docs")).toBeTruthy());
  });

  it("starts an agent from the form: its lane appears and fills live", async () => {
    const backend = await renderSession();
    const spawn = vi.spyOn(backend, "agentSpawn");

    await type("agent-prompt", "Run the tests please");
    await type("agent-name", "tester");
    await type("agent-tools", "Read, Grep , ");
    await fireEvent.click(screen.getByTestId("agent-spawn"));

    expect(spawn).toHaveBeenCalledWith({
      session: "s1",
      cli: "claude",
      prompt: "Run the tests please",
      name: "tester",
      model: null,
      allowTools: ["Read", "Grep"],
      program: [],
      cwd: null,
    });
    await waitFor(() => expect(lane("tester")).toBeTruthy());
    expect(lanes().filter((l) => l.dataset.agentName === "tester")).toHaveLength(1);
    expect((screen.getByTestId("agent-prompt") as HTMLTextAreaElement).value).toBe("");
    // No Bash allowed: the turn ends asking for it.
    await waitFor(() => expect(lane("tester").dataset.state).toBe("needs_input"), { timeout: 3_000 });
    expect(within(lane("tester")).getByTestId("permission-request").textContent).toContain("npm test");

    await fireEvent.click(within(lane("tester")).getByTestId("permission-approve"));
    await waitFor(() => expect(lane("tester").dataset.state).toBe("waiting"), { timeout: 3_000 });
    expect(within(lane("tester")).queryByTestId("permission-request")).toBeNull();
  });

  it("starts a command agent from its program line, split with quotes", async () => {
    const backend = await renderSession();
    const spawn = vi.spyOn(backend, "agentSpawn");

    await chooseCli("command");
    await type("agent-program", `npm test -- -t "retries on 503"`);
    await fireEvent.click(screen.getByTestId("agent-spawn"));

    expect(spawn.mock.calls[0]![0]).toMatchObject({
      cli: "command",
      program: ["npm", "test", "--", "-t", "retries on 503"],
      prompt: "",
      model: null,
      allowTools: [],
    });
    await waitFor(() => expect(lane("command-1")).toBeTruthy());
    await waitFor(() => expect(lane("command-1").dataset.state).toBe("exited"), { timeout: 3_000 });
    expect(within(lane("command-1")).getByTestId("agent-terminal").querySelector(".ansi-fg-2")).toBeTruthy();
  });

  it("shows errors inline and keeps the input", async () => {
    await renderSession();

    await fireEvent.click(screen.getByTestId("agent-spawn"));
    expect((await screen.findByTestId("agent-error")).textContent).toContain("prompt is empty");
    expect(screen.getByTestId("agent-prompt").getAttribute("aria-invalid")).toBe("true");

    await chooseCli("command");
    await type("agent-program", `echo "unclosed`);
    await fireEvent.click(screen.getByTestId("agent-spawn"));
    await waitFor(() => expect(screen.getByTestId("agent-error").textContent).toContain("unclosed double quote"));
    expect(screen.getByTestId("agent-program").getAttribute("aria-invalid")).toBe("true");

    await type("agent-program", "not-installed-tool --flag");
    await fireEvent.click(screen.getByTestId("agent-spawn"));
    await waitFor(() => expect(screen.getByTestId("agent-error").textContent).toContain("is not installed"));
    expect(screen.getByTestId("agent-error").querySelector("code")!.textContent).toBe("not-installed-tool");
    expect((screen.getByTestId("agent-program") as HTMLInputElement).value).toBe("not-installed-tool --flag");

    await chooseCli("claude");
    await type("agent-prompt", "x");
    await type("agent-name", "architect");
    await fireEvent.click(screen.getByTestId("agent-spawn"));
    await waitFor(() => expect(screen.getByTestId("agent-error").textContent).toContain("already exists"));
    expect(screen.getByTestId("agent-name").getAttribute("aria-invalid")).toBe("true");
  });

  it("explains an unknown session and goes back home", async () => {
    const backend = new FakeBackend({ sessions: SESSIONS });
    render(SessionView, { backend, sessionId: "nope" });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain('There is no session with id or name "nope"');

    const go = vi.spyOn(router, "go");
    await fireEvent.click(screen.getByTestId("back-home"));
    expect(go).toHaveBeenCalledWith({ view: "home" });
    go.mockRestore();
  });

  it("explains an empty session", async () => {
    await renderSession("s1", { agents: [] });
    expect(screen.getByTestId("agents-empty").textContent).toContain("No agents yet");
  });

  it("reads the agents and their histories again after the stream was down", async () => {
    const backend = await renderSession();
    await waitFor(() => expect(lanes()).toHaveLength(2));

    backend.setConnected(false);
    // Missed while disconnected: a new agent, and events of a1.
    await backend.agentSpawn({ session: "s1", cli: "command", prompt: "", name: "late", model: null, allowTools: [], program: ["make"], cwd: null });
    await backend.agentSend("a1", "missed message");
    await new Promise((r) => setTimeout(r, 50));
    expect(lanes()).toHaveLength(2);

    backend.setConnected(true);
    await waitFor(() => expect(lanes().map((l) => l.dataset.agentName)).toContain("late"));
    await waitFor(() => expect(within(lane("architect")).getByText("missed message")).toBeTruthy());
  });

  it("keeps a lane's changed files live from the stream, with a checkpoint after each turn", async () => {
    const backend = await renderSession();
    await waitFor(() => expect(lanes()).toHaveLength(2));

    await backend.agentSpawn({ session: "s1", cli: "claude", prompt: "Edit the client", name: "editor", model: null, allowTools: [], program: [], cwd: null });
    await waitFor(() => expect(lane("editor")).toBeTruthy());
    expect(within(lane("editor")).getByTestId("agent-branch").textContent).toContain("baton/payments/editor");
    await waitFor(() => expect(within(lane("editor")).getByTestId("tab-changes-count").textContent).toBe("1"), { timeout: 3_000 });
    await waitFor(() => expect(within(lane("editor")).getAllByTestId("checkpoint")).toHaveLength(1), { timeout: 3_000 });
    expect(within(lane("editor")).getByTestId("checkpoint").textContent).toContain("Checkpoint 1 · after turn 1");
    expect(within(lane("editor")).getAllByTestId("event-row")[0]!.dataset.kind).toBe("notice");

    await fireEvent.click(within(lane("editor")).getByTestId("tab-changes"));
    expect(within(lane("editor")).getAllByTestId("changed-file").map((f) => f.dataset.path)).toEqual(["src/client.ts"]);
  });

  it("drops a lane when its agent is removed, here or by another client", async () => {
    const backend = await renderSession();
    await waitFor(() => expect(lanes()).toHaveLength(2));

    // From the lane: reviewer has no worktree, so nothing is refused.
    await fireEvent.click(within(lane("reviewer")).getByTestId("agent-remove"));
    await fireEvent.click(within(lane("reviewer")).getByTestId("remove-confirm-button"));
    await waitFor(() => expect(lanes().map((l) => l.dataset.agentName)).toEqual(["architect"]));
    expect(screen.getByTestId("session-cost").textContent).toContain("1 agent");

    // By another client (the CLI): the event removes it.
    await backend.agentRemove("a1");
    await waitFor(() => expect(lanes()).toHaveLength(0));
    expect(screen.getByTestId("agents-empty")).toBeTruthy();
  });

  it("edits the session's settings from the header, shows them there, and new agents use them", async () => {
    const backend = await renderSession("s1", { agents: [] });
    const update = vi.spyOn(backend, "sessionUpdate");
    expect(screen.queryByTestId("session-settings-summary")).toBeNull();

    await fireEvent.click(screen.getByTestId("session-settings"));
    await type("settings-branch-pattern", "agents/{agent}");
    await type("settings-setup-command", "npm ci");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect(update).toHaveBeenCalledWith("s1", sessionChange({ branchPattern: "agents/{agent}", setupCommand: "npm ci" }));
    await waitFor(() => expect(screen.queryByTestId("session-settings-dialog")).toBeNull());
    expect(screen.getByTestId("session-setup-command").textContent!.replace(/\s+/g, " ").trim()).toBe("setup: npm ci");
    expect(screen.getByTestId("session-branch-pattern").textContent!.replace(/\s+/g, " ").trim()).toBe("branches: agents/{agent}");

    // The next agent works on a branch named by the pattern, and its lane shows the setup.
    await backend.agentSpawn({ session: "s1", cli: "claude", prompt: "Write docs", name: "docs", model: null, allowTools: [], program: [], cwd: null });
    await waitFor(() => expect(lane("docs")).toBeTruthy());
    expect(within(lane("docs")).getByTestId("agent-branch").textContent).toContain("agents/docs");
    await waitFor(() => expect(within(lane("docs")).getByText(/setup: npm ci/)).toBeTruthy());

    // Changed by another client: the header follows, and the dialog opens with the new values.
    await backend.sessionUpdate("s1", { name: null, archived: null, branchPattern: "", setupCommand: "make deps", maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });
    await waitFor(() => expect(screen.queryByTestId("session-branch-pattern")).toBeNull());
    expect(screen.getByTestId("session-setup-command").textContent).toContain("make deps");
    await fireEvent.click(screen.getByTestId("session-settings"));
    expect((screen.getByTestId("settings-branch-pattern") as HTMLInputElement).value).toBe("");
    expect((screen.getByTestId("settings-setup-command") as HTMLInputElement).value).toBe("make deps");

    // Cleared here: nothing is shown any more.
    await type("settings-setup-command", "");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect(update).toHaveBeenLastCalledWith("s1", sessionChange({ setupCommand: "" }));
    await waitFor(() => expect(screen.queryByTestId("session-settings-summary")).toBeNull());
  });

  it("lists what a coordinator cycle stored in the Artifacts tab, and counts it on the tab", async () => {
    const backend = await renderSession("s1", {
      agents: [],
      tasks: [task("build", "s1", { state: "ready" })],
      coordinatorCycleMs: null,
    });
    await fireEvent.click(screen.getByTestId("tab-artifacts"));
    await screen.findByTestId("artifacts-empty");
    expect(screen.getByTestId("tab-artifacts-count").textContent).toBe("0");

    await backend.coordinatorRun("s1");
    expect(backend.coordinatorCycle("s1").summary.started).toEqual(["build"]);
    await waitFor(async () => expect((await backend.taskList("s1"))[0]!.agentId).not.toBeNull());
    const agentId = (await backend.taskList("s1"))[0]!.agentId!;
    await waitFor(async () => expect((await backend.agentGet(agentId)).turns).toBe(1), { timeout: 3_000 });
    expect(backend.coordinatorCycle("s1").summary.finished).toEqual(["build"]);

    await waitFor(() => expect(screen.getAllByTestId("artifact-row").map((r) => r.dataset.kind)).toEqual(["diff", "markdown"]));
    await waitFor(() => expect(screen.getByTestId("tab-artifacts-count").textContent).toBe("2"));
  });
});
