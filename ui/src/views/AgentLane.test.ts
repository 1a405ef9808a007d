import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import { AgentChanges, AgentFeed } from "../lib/agents.svelte";
import { BackendError, type Backend } from "../lib/backend";
import { agentEnded, agentUntil, claudeSpawn, commandSpawn, repoGit, sessionMake, until, useDaemon } from "../test/daemon";
import AgentLane from "./AgentLane.svelte";
import { EVERY_KIND, agent } from "./fixtures";

const E = "\x1b";

// The stand-in Claude, and finished agents' worktrees kept 0 days (the clean-up test removes one).
const d = useDaemon({ fakeClaude: true, settings: { worktrees: { retentionDays: 0 } } });

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * How a lane draws records, each kind of event and each field: the records are given through a
 * transport stub (the lane only reads them), so kinds no stand-in prints (retries, raw lines...)
 * are shown too. What the lane does with the daemon is tested on real agents below.
 */
async function renderLane(a: Agent, events: AgentEvent[] = []) {
  const records: AgentEventRecord[] = events.map((event, i) => ({ agentId: a.id, seq: i + 1, ts: i + 1, event }));
  const backend = {
    agentEvents: async (_id: string, q: { after?: number }) => records.filter((r) => r.seq > (q.after ?? 0)),
    // No live terminal: a command agent's lane replays its recorded output.
    terminalList: async () => [],
  } as unknown as Backend;
  const feed = new AgentFeed(backend, a.id);
  await feed.catchUp();
  const onAgent = vi.fn<(agent: Agent) => void>();
  const result = render(AgentLane, { backend, agent: a, feed, onAgent });
  return { backend, feed, onAgent, ...result };
}

function rowOf(kind: string, index = 0): HTMLElement {
  const rows = screen.getAllByTestId("event-row").filter((r) => r.dataset.kind === kind);
  const row = rows[index];
  if (!row) throw new Error(`no ${kind} row #${index}`);
  return row;
}

describe("AgentLane shows records", () => {
  it("shows the agent's name, CLI, model, state, cost and tokens", async () => {
    await renderLane(agent("a1", "s1", { name: "architect", state: "running", costUsd: 0.4213, usage: { input: 48_000, output: 7_000, cacheRead: 0, cacheWrite: 0 } }));

    const lane = screen.getByTestId("agent-lane");
    expect(lane.dataset).toMatchObject({ agentId: "a1", agentName: "architect", state: "running" });
    expect(within(lane).getByRole("heading").textContent).toBe("architect");
    expect(lane.textContent).toContain("claude · claude-sonnet-4-5");
    expect(screen.getByTestId("agent-state").textContent).toBe("running");
    expect(screen.getByTestId("agent-state").classList).toContain("state-running");
    expect(screen.getByTestId("agent-cost").textContent).toContain("$0.42");
    expect(screen.getByTestId("agent-cost").textContent).toContain("55k tokens");
  });

  it("marks an estimated cost with ~", async () => {
    await renderLane(agent("a1", "s1", { cli: "codex", costUsd: 1.5, costIsEstimate: true }));
    expect(screen.getByTestId("agent-cost").textContent).toContain("~$1.50");
  });

  it("renders every kind of event readably", async () => {
    await renderLane(agent("a1", "s1"), EVERY_KIND);

    const kinds = screen.getAllByTestId("event-row").map((r) => r.dataset.kind);
    // The three deltas are one message.
    expect(kinds).toEqual([
      "session_started",
      "user_text",
      "text",
      "tool_call",
      "tool_result",
      "file_change",
      "command",
      "command",
      "permission_denied",
      "usage",
      "retry",
      "error",
      "stderr",
      "raw",
      "turn_completed",
      "exited",
    ]);
    expect(rowOf("session_started").textContent).toContain("Session started · claude-sonnet-4-5 · 2 tools");
    expect(rowOf("user_text").querySelector(".user-text")!.textContent).toContain("You");
    expect(rowOf("user_text").textContent).toContain("Fix the retry bug");
    expect(rowOf("text").textContent!.trim()).toBe("Let me look at the client.");
    expect(rowOf("tool_call").textContent).toContain("Read");
    expect(rowOf("tool_call").textContent).toContain("src/client.ts");
    expect(rowOf("tool_result").textContent).toContain("line one of the file");
    expect(rowOf("tool_result").textContent).not.toContain("line two");
    expect(rowOf("file_change").querySelector("svg.file-icon")).toBeTruthy();
    expect(rowOf("file_change").textContent).toContain("src/client.ts");
    expect(rowOf("file_change").textContent).toContain("update");
    expect(rowOf("command").textContent).toContain("$ npm test");
    expect(rowOf("command").querySelector(".exit")!.textContent).toBe("exit 0");
    expect(rowOf("command").querySelector(".exit")!.classList).toContain("ok");
    expect(rowOf("command", 1).querySelector(".exit")!.classList).toContain("bad");
    expect(rowOf("permission_denied").querySelector(".denied")!.textContent).toContain("Permission denied: Bash rm -rf build");
    expect(rowOf("usage").textContent).toContain("tokens 1.2k in · 300 out · 5k cached · $0.05");
    expect(rowOf("retry").textContent).toContain("Retrying (attempt 2/10): overloaded");
    expect(rowOf("error").querySelector(".is-error")!.textContent).toContain("The API returned 500");
    expect(rowOf("stderr").querySelector(".stderr")!.textContent).toBe("warning: deprecated flag");
    expect(rowOf("raw").querySelector(".raw.mono")!.textContent).toBe('{"type":"mystery"}');
    expect(rowOf("turn_completed").textContent).toContain("Turn completed · 12.4 s");
    expect(rowOf("exited").textContent).toContain("Exited with code 0");
  });

  it("shows a command the session's policy denied, with the rule that denied it", async () => {
    await renderLane(agent("a1", "s1"), [
      { kind: "policy_denied", tool: "Bash", command: "git push origin main", rule: 'deny_commands "git push*"' },
    ]);
    const row = screen.getByTestId("policy-denied");
    expect(row.textContent).toContain("Denied by policy: Bash git push origin main");
    expect(row.querySelector(".policy-rule")!.textContent).toBe('rule deny_commands "git push*"');
  });

  it("expands a tool call to its JSON and a tool result to its whole output", async () => {
    await renderLane(agent("a1", "s1"), EVERY_KIND);

    expect(screen.queryByTestId("event-detail")).toBeNull();
    await fireEvent.click(within(rowOf("tool_call")).getByTestId("event-toggle"));
    const json = within(rowOf("tool_call")).getByTestId("event-detail").textContent!;
    expect(JSON.parse(json)).toEqual({ file_path: "src/client.ts", limit: 40 });

    await fireEvent.click(within(rowOf("tool_result")).getByTestId("event-toggle"));
    expect(within(rowOf("tool_result")).getByTestId("event-detail").textContent).toBe(
      "line one of the file\nline two\nline three",
    );
    await fireEvent.click(within(rowOf("tool_result")).getByTestId("event-toggle"));
    expect(within(rowOf("tool_result")).queryByTestId("event-detail")).toBeNull();
  });

  it("shows a failed tool result and a stopped process as errors", async () => {
    await renderLane(agent("a1", "s1"), [
      { kind: "tool_result", id: "t", output: "denied", is_error: true },
      { kind: "turn_completed", result: null, is_error: true, subtype: "error_max_turns", duration_ms: null },
      { kind: "exited", code: null, signal: 15 },
    ]);
    expect(rowOf("tool_result").querySelector(".is-error")).toBeTruthy();
    expect(rowOf("turn_completed").textContent).toContain("Turn ended: error_max_turns");
    expect(rowOf("exited").textContent).toContain("Stopped by signal 15");
  });

  it("joins streamed text live as it arrives", async () => {
    const { feed } = await renderLane(agent("a1", "s1", { state: "running" }), [{ kind: "user_text", text: "hi" }]);

    feed.receive([
      { agentId: "a1", seq: 2, ts: 2, event: { kind: "text", text: "Hel", delta: true } },
      { agentId: "a1", seq: 3, ts: 3, event: { kind: "text", text: "lo", delta: true } },
    ]);
    await waitFor(() => expect(rowOf("text").textContent!.trim()).toBe("Hello"));
    feed.receive([{ agentId: "a1", seq: 4, ts: 4, event: { kind: "text", text: " there", delta: true } }]);
    await waitFor(() => expect(rowOf("text").textContent!.trim()).toBe("Hello there"));
    expect(screen.getAllByTestId("event-row")).toHaveLength(2);
  });

  it("shows a command agent as a terminal with ANSI colours", async () => {
    await renderLane(
      agent("t1", "s1", { cli: "command", model: null, command: ["npm", "test"], state: "running", costUsd: 0, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } }),
      [
        { kind: "text", text: `${E}[1;32m✓${E}[0m passes ${E}[90m(3ms)${E}[0m`, delta: false },
        { kind: "text", text: `${E}[31mFAIL${E}[39m ${E}[Kclient`, delta: false },
        { kind: "user_text", text: "q" },
      ],
    );

    const terminal = screen.getByTestId("agent-terminal");
    const rows = () => Array.from(terminal.querySelectorAll(".xterm-rows > div"), (row) => row.textContent);
    // Drawn by xterm.js: the escape codes are colours and erasures, not text.
    await waitFor(() => expect(rows().slice(0, 2)).toEqual(["✓ passes (3ms)", "FAIL client"]));
    // Bold green is drawn bright, as terminals do.
    expect(terminal.querySelector(".xterm-fg-10.xterm-bold")!.textContent).toBe("✓");
    expect(terminal.querySelector(".xterm-fg-8")!.textContent).toBe("(3ms)");
    expect(terminal.querySelector(".xterm-fg-1")!.textContent).toBe("FAIL");
    expect(screen.getByTestId("agent-lane").textContent).toContain("npm test");
  });

  it("shows a notice as a quiet line", async () => {
    await renderLane(agent("a1", "s1"), [{ kind: "notice", message: "setup: npm ci" }]);
    const row = rowOf("notice");
    expect(row.querySelector(".notice")!.textContent).toContain("setup: npm ci");
    expect(row.querySelector(".is-error")).toBeNull();
  });

  it("shows a checkpoint as a marker, without Restore when the agent has no worktree", async () => {
    await renderLane(agent("a1", "s1"), [{ kind: "checkpoint", n: 3, commit: "c0ffee", message: "after turn 2" }]);
    expect(within(rowOf("checkpoint")).getByTestId("checkpoint").textContent).toContain("Checkpoint 3 · after turn 2");
    expect(screen.queryByTestId("checkpoint-restore")).toBeNull();
  });
});

/** A new session "pay…" on a new repository. */
async function sessionNew() {
  const name = d.unique("pay");
  return sessionMake(d.daemon.api, d.daemon.repoMake(name), name);
}

/** The lane of a real agent, its history read from the daemon. */
async function renderLive(a: Agent, baseBranch: string | null = null) {
  const feed = new AgentFeed(d.backend, a.id);
  await feed.catchUp();
  const changes = a.worktree ? new AgentChanges(d.backend, a.id) : undefined;
  await changes?.load();
  const onAgent = vi.fn<(agent: Agent) => void>();
  const onRemoved = vi.fn<(agent: Agent) => void>();
  const result = render(AgentLane, { backend: d.backend, agent: a, feed, changes, baseBranch, onAgent, onRemoved });
  return { feed, changes, onAgent, onRemoved, ...result };
}

/** A stand-in Claude agent of a new session, once `test` holds for it. */
async function claudeAgent(prompt: string, test: (a: Agent) => boolean, name = "architect"): Promise<Agent> {
  const session = await sessionNew();
  const spawned = await claudeSpawn(d.daemon.api, session.id, prompt, name);
  return agentUntil(d.daemon.api, spawned.id, test);
}

const asking = (a: Agent) => a.state === "needs_input";

describe("AgentLane on a real agent", () => {
  it("shows the agent's name, CLI, state, cost and tokens", async () => {
    const a = await claudeAgent("Plan it", (x) => x.state === "waiting");
    await renderLive(a);
    const lane = screen.getByTestId("agent-lane");
    expect(lane.dataset).toMatchObject({ agentId: a.id, agentName: "architect", state: "waiting" });
    expect(within(lane).getByRole("heading").textContent).toBe("architect");
    expect(lane.textContent).toContain("claude");
    expect(screen.getByTestId("agent-state").textContent).toBe("waiting");
    expect(screen.getByTestId("agent-state").classList).toContain("state-waiting");
    // The stand-in reports $0.001 and 3 + 2 tokens a turn.
    expect(screen.getByTestId("agent-cost").textContent).toContain("<$0.01");
    expect(screen.getByTestId("agent-cost").textContent).toContain("5 tokens");
  });

  for (const [button, always] of [
    ["permission-approve", false],
    ["permission-approve-always", true],
  ] as const) {
    it(`${button} approves the pending tool with always=${always}`, async () => {
      const a = await claudeAgent("DENY: run the tests", asking);
      const approve = vi.spyOn(d.backend, "agentApprove");
      const { onAgent } = await renderLive(a);

      const request = screen.getByTestId("permission-request");
      expect(request.textContent).toContain("Bash");
      expect(request.textContent).toContain("npm test");
      await fireEvent.click(screen.getByTestId(button));

      expect(approve).toHaveBeenCalledWith(a.id, { tool: "Bash", always });
      await waitFor(() => expect(onAgent).toHaveBeenCalled());
      // Resumed with the tool: the reply finds its turn running, or over already (a fast CLI).
      const resumed = onAgent.mock.calls[0]![0];
      expect(resumed).toMatchObject({ id: a.id, pending: [] });
      expect(["starting", "running", "waiting"]).toContain(resumed.state);
      expect((await d.backend.sessionGet(a.sessionId)).settings.allowTools).toEqual(always ? ["Bash"] : []);
    });
  }

  it("denies the pending tool", async () => {
    const a = await claudeAgent("DENY: run the tests", asking);
    const deny = vi.spyOn(d.backend, "agentDeny");
    const { onAgent } = await renderLive(a);

    await fireEvent.click(screen.getByTestId("permission-deny"));

    expect(deny).toHaveBeenCalledWith(a.id, { tool: "Bash", always: false });
    await waitFor(() => expect(onAgent.mock.calls[0]![0]).toMatchObject({ state: "waiting", pending: [] }));
  });

  it("shows the full input of a request on demand, and the daemon's error in place", async () => {
    const a = await claudeAgent("DENY: run the tests", asking);
    // The daemon's refusal when the CLI is missing, as it words it.
    const missing = await d.backend
      .agentSpawn({ session: a.sessionId, cli: "codex", prompt: "x", name: null, model: null, allowTools: [], program: [], cwd: null })
      .catch((err: unknown) => BackendError.from(err));
    expect(missing).toMatchObject({ code: "cli_missing" });
    await renderLive(a);
    vi.spyOn(d.backend, "agentApprove").mockRejectedValue(missing);

    await fireEvent.click(screen.getByTestId("permission-input"));
    expect(screen.getByTestId("permission-request").textContent).toContain('"command": "npm test"');
    await fireEvent.click(screen.getByTestId("permission-approve"));
    const alert = await within(screen.getByTestId("permission-request")).findByRole("alert");
    expect(alert.textContent).toContain("the codex CLI is not on PATH");
    expect(alert.querySelector("code")!.textContent).toBe("npm install -g @openai/codex");
  });

  it("sends a message with the button or Enter, and clears the box", async () => {
    const a = await claudeAgent("Plan it", (x) => x.state === "waiting");
    const send = vi.spyOn(d.backend, "agentSend");
    const { onAgent } = await renderLive(a);
    const box = screen.getByTestId("agent-message") as HTMLTextAreaElement;
    const button = screen.getByTestId("agent-send") as HTMLButtonElement;
    expect(button.disabled).toBe(true);

    await fireEvent.input(box, { target: { value: "  Now the docs  " } });
    expect(button.disabled).toBe(false);
    await fireEvent.click(button);
    expect(send).toHaveBeenCalledWith(a.id, { text: "Now the docs" });
    await waitFor(() => expect(box.value).toBe(""));
    // The lane hands on the record the send returned: the agent as the message left it (running,
    // or waiting again when the stand-in's turn was over before the answer came back).
    const sent = onAgent.mock.calls[0]![0];
    expect(sent.id).toBe(a.id);
    expect(sent.updatedAt).not.toBe(a.updatedAt);

    await fireEvent.input(box, { target: { value: "line one" } });
    await fireEvent.keyDown(box, { key: "Enter", shiftKey: true });
    expect(send).toHaveBeenCalledTimes(1);
    await fireEvent.keyDown(box, { key: "Enter" });
    expect(send).toHaveBeenLastCalledWith(a.id, { text: "line one" });
    await agentUntil(d.daemon.api, a.id, (x) => x.turns === 3 && x.state === "waiting");
  });

  it("shows why a message was refused", async () => {
    // The daemon's refusal of a message to an agent waiting for a permission (sent before the
    // lane knew), as it words it.
    const waiting = await claudeAgent("DENY: run the tests", asking);
    const refusal = await d.backend.agentSend(waiting.id, { text: "hurry" }).catch((err: unknown) => BackendError.from(err));
    expect(refusal).toBeInstanceOf(BackendError);
    const a = await claudeAgent("Plan it", (x) => x.state === "waiting");
    await renderLive(a);
    vi.spyOn(d.backend, "agentSend").mockRejectedValueOnce(refusal);

    await fireEvent.input(screen.getByTestId("agent-message"), { target: { value: "hurry" } });
    await fireEvent.click(screen.getByTestId("agent-send"));
    const error = await screen.findByTestId("agent-lane-error");
    expect(error.textContent).toContain("a tool is waiting for approval");
    expect((screen.getByTestId("agent-message") as HTMLTextAreaElement).value).toBe("hurry");
  });

  it("disables the message box with a hint while a tool waits for approval", async () => {
    await renderLive(await claudeAgent("DENY: run the tests", asking));
    expect((screen.getByTestId("agent-message") as HTMLTextAreaElement).disabled).toBe(true);
    expect((screen.getByTestId("agent-send") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("agent-send-hint").textContent).toMatch(/approve or deny first/i);
  });

  for (const [state, program] of [
    ["exited", ["true"]],
    ["failed", ["false"]],
    ["stopped", ["sleep", "30"]],
  ] as const) {
    it(`disables the input of a command agent in state ${state}, and has no Stop`, async () => {
      const session = await sessionNew();
      const spawned = await commandSpawn(d.daemon.api, session.id, [...program]);
      if (state === "stopped") {
        await agentUntil(d.daemon.api, spawned.id, (a) => a.state === "running");
        await d.backend.agentStop(spawned.id);
      }
      const a = await agentUntil(d.daemon.api, spawned.id, agentEnded);
      expect(a.state).toBe(state);
      await renderLive(a);
      expect((screen.getByTestId("agent-message") as HTMLTextAreaElement).disabled).toBe(true);
      expect(screen.getByTestId("agent-send-hint").textContent).toContain("The program has ended");
      expect(screen.queryByTestId("agent-stop")).toBeNull();
    });
  }

  it("lets a stopped CLI agent take a message (it resumes)", async () => {
    const running = await claudeAgent("HOLD: plan it", (x) => x.state === "running");
    const a = await d.backend.agentStop(running.id);
    expect(a.state).toBe("stopped");
    await renderLive(a);
    expect((screen.getByTestId("agent-message") as HTMLTextAreaElement).disabled).toBe(false);
    expect(screen.queryByTestId("agent-send-hint")).toBeNull();
  });

  it("stops a running agent", async () => {
    const a = await claudeAgent("HOLD: plan it", (x) => x.state === "running");
    const stop = vi.spyOn(d.backend, "agentStop");
    const { onAgent } = await renderLive(a);

    await fireEvent.click(screen.getByTestId("agent-stop"));

    expect(stop).toHaveBeenCalledWith(a.id);
    await waitFor(() => expect(onAgent.mock.calls[0]![0].state).toBe("stopped"));
  });
});

describe("AgentLane with a worktree", () => {
  /** An agent "architect" of a new session after two turns of the stand-in: work-1.txt and work-2.txt, two checkpoints. */
  async function twoTurns(): Promise<Agent> {
    const a = await claudeAgent("Write it", (x) => x.state === "waiting" && x.turns === 1);
    // Each checkpoint is saved after its turn ends; a message sent before that skips it.
    await until(async () => (await d.backend.agentCheckpoints(a.id)).length === 1, { what: "checkpoint 1 was saved" });
    await d.backend.agentSend(a.id, { text: "Go on" });
    await agentUntil(d.daemon.api, a.id, (x) => x.state === "waiting" && x.turns === 2);
    await until(async () => (await d.backend.agentCheckpoints(a.id)).length === 2, { what: "checkpoint 2 was saved" });
    return d.backend.agentGet(a.id);
  }

  async function renderWorktreeLane(a?: Agent) {
    const agent = a ?? (await twoTurns());
    const session = await d.backend.sessionGet(agent.sessionId);
    return { agent, session, ...(await renderLive(agent, "main")) };
  }

  it("shows its branch, and a Changes tab with the live count", async () => {
    const { session, changes } = await renderWorktreeLane();
    expect(screen.getByTestId("agent-branch").textContent).toContain(`baton/${session.name}/architect`);
    expect(screen.getByTestId("tab-events").getAttribute("aria-selected")).toBe("true");
    expect(screen.getByTestId("tab-changes-count").textContent).toBe("2");

    changes!.receive([{ path: "work-1.txt", status: "untracked" }]);
    await waitFor(() => expect(screen.getByTestId("tab-changes-count").textContent).toBe("1"));
  });

  it("lists the changed files with status badges, live, and the worktree's place", async () => {
    const { agent, session, changes } = await renderWorktreeLane();
    await fireEvent.click(screen.getByTestId("agent-branch"));

    expect(screen.getByTestId("tab-changes").getAttribute("aria-selected")).toBe("true");
    expect(screen.queryByTestId("agent-events")).toBeNull();
    expect(screen.getByTestId("worktree-path").textContent).toBe(agent.worktree!.path);
    expect(screen.getByTestId("worktree-branch").textContent).toContain(`baton/${session.name}/architect`);
    const rows = () => screen.getAllByTestId("changed-file").map((li) => [li.dataset.path, li.dataset.status, li.querySelector(".file-status")!.textContent]);
    expect(rows()).toEqual([
      ["work-1.txt", "untracked", "U"],
      ["work-2.txt", "untracked", "U"],
    ]);

    changes!.receive([{ path: "README.md", status: "deleted" }]);
    await waitFor(() => expect(rows()).toEqual([["README.md", "deleted", "D"]]));
    changes!.receive([]);
    await waitFor(() => expect(screen.getByTestId("changes-empty").textContent).toContain("Nothing uncommitted"));

    await fireEvent.click(screen.getByTestId("tab-events"));
    expect(screen.getByTestId("agent-events")).toBeTruthy();
  });

  it("says outside the desktop app that opening the folder needs it, naming the folder", async () => {
    const { agent } = await renderWorktreeLane();
    await fireEvent.click(screen.getByTestId("tab-changes"));
    await fireEvent.click(screen.getByTestId("worktree-open-folder"));
    const error = await screen.findByTestId("worktree-open-error");
    expect(error.textContent).toContain("needs the Baton desktop app");
    expect(error.querySelector("code")!.textContent).toBe(agent.worktree!.path);
  });

  it("tells what is left of a removed worktree, and cannot open it", async () => {
    // Stopped with its work committed on its branch; collected (finished worktrees are kept
    // 0 days here, and its unmerged branch stays); then its branch merged into main.
    const a = await twoTurns();
    await d.backend.agentStop(a.id);
    repoGit(a.worktree!.path, "add", "-A");
    repoGit(a.worktree!.path, "commit", "-q", "-m", "The architect's work");
    const report = await d.backend.worktreesGc({ dryRun: false });
    expect(report.removed.map((e) => e.agentId)).toContain(a.id);
    expect(report.branchesDeleted).not.toContain(a.worktree!.branch);
    await d.backend.agentMerge(a.id, { into: "main", strategy: "squash", dryRun: false });
    await renderWorktreeLane(await d.backend.agentGet(a.id));
    await fireEvent.click(screen.getByTestId("tab-changes"));
    expect(screen.getByTestId("worktree-gone").textContent).toContain("folder was removed");
    expect(screen.getByTestId("worktree-merged").textContent).toContain("main");
    expect((screen.getByTestId("worktree-open-folder") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId("worktree-merge") as HTMLButtonElement).disabled).toBe(false);
    // No folder: its checkpoints cannot be restored.
    await fireEvent.click(screen.getByTestId("tab-events"));
    expect(screen.getAllByTestId("checkpoint")).toHaveLength(2);
    expect(screen.queryByTestId("checkpoint-restore")).toBeNull();
  });

  it("restores a checkpoint only after confirmation, and says what was saved", async () => {
    const { agent } = await renderWorktreeLane();
    const restore = vi.spyOn(d.backend, "agentRestore");
    const first = rowOf("checkpoint", 0);
    expect(within(first).getByTestId("checkpoint").textContent).toContain("Checkpoint 1 · after turn 1");

    await fireEvent.click(within(first).getByTestId("checkpoint-restore"));
    expect(within(rowOf("checkpoint", 0)).getByTestId("checkpoint-confirm").textContent).toContain("saved as a new checkpoint first");
    await fireEvent.click(within(rowOf("checkpoint", 0)).getByTestId("checkpoint-restore-cancel"));
    expect(restore).not.toHaveBeenCalled();
    expect(within(rowOf("checkpoint", 0)).queryByTestId("checkpoint-confirm")).toBeNull();

    await fireEvent.click(within(rowOf("checkpoint", 0)).getByTestId("checkpoint-restore"));
    await fireEvent.click(within(rowOf("checkpoint", 0)).getByTestId("checkpoint-restore-confirm"));
    expect(restore).toHaveBeenCalledWith(agent.id, 1);
    const done = await within(rowOf("checkpoint", 0)).findByTestId("checkpoint-restored");
    // The worktree equalled checkpoint 2: nothing new to save.
    expect(done.textContent!.trim()).toBe("Restored checkpoint 1.");
    expect((await d.backend.agentChanges(agent.id)).map((f) => f.path)).toEqual(["work-1.txt"]);

    // Now it differs from the last checkpoint: restoring 2 saves it first, as checkpoint 3.
    await fireEvent.click(within(rowOf("checkpoint", 1)).getByTestId("checkpoint-restore"));
    await fireEvent.click(within(rowOf("checkpoint", 1)).getByTestId("checkpoint-restore-confirm"));
    expect(restore).toHaveBeenLastCalledWith(agent.id, 2);
    const again = await within(rowOf("checkpoint", 1)).findByTestId("checkpoint-restored");
    expect(again.textContent).toContain("Restored checkpoint 2.");
    expect(again.textContent).toContain("What was there before is checkpoint 3.");
  });

  it("shows a failed restore's error in place, and lets the user try again", async () => {
    await renderWorktreeLane();
    vi.spyOn(d.backend, "agentRestore").mockRejectedValueOnce({ code: "io", message: "cannot write `work-1.txt`" });

    await fireEvent.click(within(rowOf("checkpoint", 1)).getByTestId("checkpoint-restore"));
    await fireEvent.click(within(rowOf("checkpoint", 1)).getByTestId("checkpoint-restore-confirm"));
    const error = await within(rowOf("checkpoint", 1)).findByTestId("checkpoint-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.querySelector("code")!.textContent).toBe("work-1.txt");
    expect((within(rowOf("checkpoint", 1)).getByTestId("checkpoint-restore-confirm") as HTMLButtonElement).disabled).toBe(false);
  });

  it("removes the agent after confirmation, offering force when uncommitted work refuses it", async () => {
    const { agent, session, onRemoved } = await renderWorktreeLane();
    const remove = vi.spyOn(d.backend, "agentRemove");

    await fireEvent.click(screen.getByTestId("agent-remove"));
    const confirm = screen.getByTestId("remove-confirm");
    expect(confirm.textContent).toContain(`branch baton/${session.name}/architect stays`);
    expect(screen.getByTestId("remove-uncommitted").textContent).toContain("2 uncommitted files");
    expect(remove).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId("remove-confirm-button"));
    expect(remove).toHaveBeenLastCalledWith(agent.id, { force: false });
    expect((await screen.findByTestId("remove-error")).textContent).toContain("uncommitted changes (2 files)");
    expect(onRemoved).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId("remove-force"));
    expect(remove).toHaveBeenLastCalledWith(agent.id, { force: true });
    await waitFor(() => expect(onRemoved).toHaveBeenCalledWith(expect.objectContaining({ id: agent.id })));
    // Archived: no longer in use, still listed with its history and cost.
    expect((await d.backend.agentList({ session: session.id, archived: false })).map((a) => a.id)).not.toContain(agent.id);
    expect((await d.backend.agentGet(agent.id)).archivedAt).not.toBeNull();
  });

  it("cancels a removal", async () => {
    await renderWorktreeLane();
    const remove = vi.spyOn(d.backend, "agentRemove");
    await fireEvent.click(screen.getByTestId("agent-remove"));
    await fireEvent.click(screen.getByTestId("remove-cancel"));
    expect(screen.queryByTestId("remove-confirm")).toBeNull();
    expect(remove).not.toHaveBeenCalled();
  });

  it("shows the diff as a tab, from the tab bar and from the Changes tab, and opens the merge dialog", async () => {
    await renderWorktreeLane();
    await fireEvent.click(screen.getByTestId("tab-diff"));
    expect(screen.getByTestId("tab-diff").getAttribute("aria-selected")).toBe("true");
    expect((await screen.findByTestId("diff-summary")).textContent).toMatch(/2 files/);
    await fireEvent.click(screen.getByTestId("tab-events"));
    expect(screen.queryByTestId("diff-view")).toBeNull();

    await fireEvent.click(screen.getByTestId("tab-changes"));
    await fireEvent.click(screen.getByTestId("worktree-diff"));
    expect(screen.getByTestId("tab-diff").getAttribute("aria-selected")).toBe("true");
    expect((await screen.findByTestId("diff-summary")).textContent).toMatch(/2 files/);
    await fireEvent.click(screen.getByTestId("tab-changes"));

    await fireEvent.click(screen.getByTestId("worktree-merge"));
    const dialog = await screen.findByTestId("merge-dialog");
    expect((within(dialog).getByTestId("merge-into") as HTMLInputElement).value).toBe("main");
    await fireEvent.click(within(dialog).getByTestId("modal-close"));
    expect(screen.queryByTestId("merge-dialog")).toBeNull();
  });
});

describe("AgentLane and messages between agents, and the coordinator role", () => {
  it("shows a message from another agent in both lanes, and how many wait for the turn's end", async () => {
    const builder = await claudeAgent("Build it", (x) => x.state === "waiting", "builder");
    const tester = await agentUntil(
      d.daemon.api,
      (await claudeSpawn(d.daemon.api, builder.sessionId, "Test it", "tester")).id,
      (x) => x.state === "waiting",
    );
    await d.backend.agentSend(builder.id, { text: "the API is in api.rs", from: "tester" });
    const b = await agentUntil(d.daemon.api, builder.id, (x) => x.turns === 2 && x.state === "waiting");

    const first = await renderLive(b);
    const from = screen.getByTestId("message-from");
    expect(from.textContent).toContain("From tester");
    expect(from.textContent).toContain("the API is in api.rs");
    first.unmount();

    await renderLive(await d.backend.agentGet(tester.id));
    const sent = screen.getByTestId("message-sent");
    expect(sent.textContent).toContain("Sent to builder");
    expect(sent.textContent).toContain("the API is in api.rs");
  });

  it("counts the messages kept for the end of the turn", async () => {
    await renderLane(agent("a1", "s1", { state: "running", queuedMessages: 2 }));
    expect(screen.getByTestId("agent-queued").textContent).toContain("2 queued");
    await renderLane(agent("a2", "s1", { state: "waiting" }));
    expect(screen.getAllByTestId("agent-queued")).toHaveLength(1);
  });

  it("makes the agent the session's coordinator, says whom it replaces, and demotes it", async () => {
    const lead = await claudeAgent("Lead it", (x) => x.state === "waiting", "lead");
    const other = await agentUntil(
      d.daemon.api,
      (await claudeSpawn(d.daemon.api, lead.sessionId, "Help", "helper")).id,
      (x) => x.state === "waiting",
    );
    await d.backend.coordinatorPromote(other.id);
    const onSession = vi.fn();
    const feed = new AgentFeed(d.backend, lead.id);
    await feed.catchUp();
    const lane = render(AgentLane, { backend: d.backend, agent: lead, feed, onAgent: vi.fn(), onSession, coordinator: false });
    expect(screen.queryByTestId("agent-coordinator")).toBeNull();

    await fireEvent.click(screen.getByTestId("agent-promote"));
    const note = await screen.findByTestId("agent-role-note");
    expect(note.textContent).toBe("lead now coordinates the session, in place of helper.");
    await waitFor(() => expect(onSession).toHaveBeenCalled());
    expect(onSession.mock.calls[0]![0]).toMatchObject({ id: lead.sessionId, coordinatorAgent: lead.id });
    expect((await d.backend.sessionGet(lead.sessionId)).coordinatorAgent).toBe(lead.id);

    await lane.rerender({ coordinator: true });
    expect(screen.getByTestId("agent-coordinator").textContent).toBe("Coordinator");
    await fireEvent.click(screen.getByTestId("agent-demote"));
    await waitFor(() => expect(screen.getByTestId("agent-role-note").textContent).toBe("lead no longer coordinates the session."));
    expect((await d.backend.sessionGet(lead.sessionId)).coordinatorAgent).toBeNull();
  });
});
