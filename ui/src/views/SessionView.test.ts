import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { Session } from "../bindings/Session";
import { sessionChange } from "../lib/backend";
import { formatCost } from "../lib/format";
import { router, sessionRoute } from "../lib/route.svelte";
import {
  agentEnded,
  agentUntil,
  claudeSpawn,
  commandSpawn,
  repoGit,
  sessionMake,
  streamCut,
  taskAdd,
  until,
  useDaemon,
} from "../test/daemon";
import SessionView from "./SessionView.svelte";

const d = useDaemon({ fakeClaude: true });

afterEach(() => {
  router.go({ view: "home" });
  vi.restoreAllMocks();
});

type Seeded = { session: Session; other: Session; architect: Agent; reviewer: Agent };

/**
 * A session "payments…" on branch develop with two agents, oldest first: "architect" (the
 * stand-in Claude, one turn done) and "reviewer" (a program that ended); and another session
 * with an agent of its own.
 */
async function seed(agents = true): Promise<Seeded> {
  const api = d.daemon.api;
  const name = d.unique("payments");
  const repo = d.daemon.repoMake(name);
  repoGit(repo, "checkout", "-q", "-b", "develop");
  const session = await sessionMake(api, repo, name);
  const other = await sessionMake(api, d.daemon.repoMake(`${name}-web`), `${name}-web`);
  if (!agents) return { session, other, architect: null as unknown as Agent, reviewer: null as unknown as Agent };
  const architect = await agentUntil(api, (await claudeSpawn(api, session.id, "Plan the payments", "architect")).id, (a) => a.state === "waiting");
  const reviewer = await agentUntil(api, (await commandSpawn(api, session.id, ["true"], "reviewer")).id, agentEnded);
  await agentUntil(api, (await commandSpawn(api, other.id, ["true"], "elsewhere")).id, agentEnded);
  return { session, other, architect, reviewer };
}

async function renderSession(sessionId: string): Promise<void> {
  render(SessionView, { backend: d.backend, sessionId });
  await screen.findByTestId("session-name");
}

/** The overview's cards, one per agent. */
function cards(): HTMLElement[] {
  return screen.queryAllByTestId("overview-card");
}

function cardNames(): (string | undefined)[] {
  return cards().map((c) => c.dataset.agentName);
}

/** The agent in focus, if it is `name`. */
function lane(name: string): HTMLElement {
  const shown = screen.queryByTestId("agent-lane");
  if (shown?.dataset.agentName !== name) throw new Error(`${name} is not in focus (${shown?.dataset.agentName ?? "none"} is)`);
  return shown;
}

/** Picks an agent's card in the overview: it takes the main area. */
async function focus(name: string): Promise<HTMLElement> {
  if (screen.queryByTestId("agent-lane")) await fireEvent.click(screen.getByTestId("tab-agents"));
  const card = await waitFor(() => {
    const found = cards().find((c) => c.dataset.agentName === name);
    if (!found) throw new Error(`no card ${name}; cards: ${cardNames().join(", ")}`);
    return found;
  });
  await fireEvent.click(card);
  return waitFor(() => lane(name));
}

async function newAgentOpen(): Promise<void> {
  await fireEvent.click(screen.getByTestId("new-agent"));
  await screen.findByTestId("new-agent-dialog");
}

async function chooseCli(value: string): Promise<void> {
  await fireEvent.change(screen.getByTestId("agent-cli"), { target: { value } });
}

async function type(testId: string, value: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(testId), { target: { value } });
}

describe("SessionView", () => {
  it("marks the coordinator conversation's card, live, and follows it into the lane", async () => {
    const { session, architect } = await seed();
    await renderSession(session.id);
    await waitFor(() => expect(cardNames()).toEqual(["architect", "reviewer"]));
    expect(screen.queryByTestId("overview-coordinator")).toBeNull();

    await d.backend.coordinatorPromote(architect.id);
    const badge = await screen.findByTestId("overview-coordinator");
    expect(badge.closest<HTMLElement>("[data-testid=overview-card]")!.dataset.agentName).toBe("architect");
    await focus("architect");
    expect(within(lane("architect")).getByTestId("agent-coordinator").textContent).toBe("Coordinator");
  });

  it("shows the session and a card per agent of this session only, oldest first, with its last lines", async () => {
    const { session, architect, reviewer } = await seed();
    await renderSession(session.id);

    expect(screen.getByTestId("session-name").textContent).toBe(session.name);
    const view = screen.getByTestId("session-view");
    expect(view.textContent).toContain(session.repo);
    expect(view.textContent).toContain("develop");
    await waitFor(() => expect(cardNames()).toEqual(["architect", "reviewer"]));
    expect(cards().map((c) => c.dataset.agentId)).toEqual([architect.id, reviewer.id]);
    expect(cards().map((c) => within(c).getByTestId("agent-dot").dataset.state)).toEqual(["waiting", "exited"]);
    expect(cards()[0]!.getAttribute("href")).toBe(`#/session/${session.id}/agent/${architect.id}`);
    // The stand-in Claude reports $0.001 a turn; the program costs nothing.
    expect(screen.getByTestId("session-cost").textContent).toContain(`2 agents · ${formatCost(0.001)}`);
    await waitFor(() => expect(cards()[0]!.textContent).toContain("Finished the work, turn 1"));

    // Picked, the agent takes the main area, its message box ready for the keyboard.
    await focus("architect");
    expect(window.location.hash).toBe(`#/session/${session.id}/agent/${architect.id}`);
    expect(lane("architect").dataset.state).toBe("waiting");
    expect(screen.getByTestId("tab-focus").textContent).toBe("architect");
    await waitFor(() => expect(within(lane("architect")).getByText("Plan the payments")).toBeTruthy());
    await waitFor(() => expect(document.activeElement).toBe(within(lane("architect")).getByTestId("agent-message")));
    expect(cards()).toHaveLength(0);
  });

  it("puts the agent the address names in focus, by id or name, and says when it is not there", async () => {
    const { session, reviewer } = await seed();
    router.go(sessionRoute(session.id, { agentId: reviewer.id }));
    await renderSession(session.id);
    await waitFor(() => expect(lane("reviewer").dataset.state).toBe("exited"));

    router.go(sessionRoute(session.id, { agentId: "architect" }));
    await waitFor(() => expect(lane("architect")).toBeTruthy());

    router.go(sessionRoute(session.id, { agentId: "gone" }));
    expect((await screen.findByTestId("agent-missing")).textContent).toContain("No such agent");
    await fireEvent.click(within(screen.getByTestId("agent-missing")).getByRole("button"));
    await waitFor(() => expect(cardNames()).toEqual(["architect", "reviewer"]));
    expect(window.location.hash).toBe(`#/session/${session.id}`);
  });

  it("finds the session by name too", async () => {
    const { other } = await seed();
    await renderSession(other.name);
    await waitFor(() => expect(cardNames()).toEqual(["elsewhere"]));
  });

  it("follows the session's agents live: state, events, new agents from other clients", async () => {
    const { session, other, architect } = await seed();
    await renderSession(session.id);
    await focus("architect");

    const sent = await d.backend.agentSend(architect.id, { text: "Also the webhooks" });
    expect(sent.id).toBe(architect.id);
    await waitFor(() => expect(within(lane("architect")).getByText("Also the webhooks")).toBeTruthy());
    await agentUntil(d.daemon.api, architect.id, (a) => a.turns === 2 && a.state === "waiting");
    await waitFor(() => expect(lane("architect").dataset.state).toBe("waiting"));
    await waitFor(() => {
      const kinds = within(lane("architect")).getAllByTestId("event-row").map((r) => r.dataset.kind);
      expect(kinds.filter((k) => k === "turn_completed")).toHaveLength(2);
      expect(kinds.filter((k) => k === "user_text")).toHaveLength(2);
    });

    // Spawned by another client (the CLI): its card appears, an agent of another session's does not.
    await commandSpawn(d.daemon.api, session.id, ["sh", "-c", "echo Write docs"], "docs");
    await commandSpawn(d.daemon.api, other.id, ["true"], "other");
    await fireEvent.click(screen.getByTestId("tab-agents"));
    await waitFor(() => expect(cardNames()).toEqual(["architect", "reviewer", "docs"]));
    await focus("docs");
    await waitFor(() => expect(within(lane("docs")).getByText("Write docs")).toBeTruthy());
  });

  it("starts an agent from the New agent dialog: it opens in focus and fills live", async () => {
    const { session } = await seed(false);
    await renderSession(session.id);
    const spawn = vi.spyOn(d.backend, "agentSpawn");
    await newAgentOpen();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("agent-prompt")));

    // The stand-in asks for Bash on DENY.
    await type("agent-prompt", "DENY: run the tests please");
    await type("agent-name", "tester");
    await type("agent-tools", "Read, Grep , ");
    await fireEvent.click(screen.getByTestId("agent-spawn"));

    expect(spawn).toHaveBeenCalledWith({
      session: session.id,
      cli: "claude",
      prompt: "DENY: run the tests please",
      name: "tester",
      model: null,
      allowTools: ["Read", "Grep"],
      program: [],
      cwd: null,
    });
    await waitFor(() => expect(lane("tester")).toBeTruthy());
    expect(screen.queryByTestId("new-agent-dialog")).toBeNull();
    // No Bash allowed: the turn ends asking for it.
    await waitFor(() => expect(lane("tester").dataset.state).toBe("needs_input"));
    expect(within(lane("tester")).getByTestId("permission-request").textContent).toContain("npm test");

    await fireEvent.click(within(lane("tester")).getByTestId("permission-approve"));
    await waitFor(() => expect(lane("tester").dataset.state).toBe("waiting"));
    expect(within(lane("tester")).queryByTestId("permission-request")).toBeNull();
  });

  it("starts a command agent from its program line, split with quotes", async () => {
    const { session } = await seed(false);
    await renderSession(session.id);
    const spawn = vi.spyOn(d.backend, "agentSpawn");
    await newAgentOpen();

    await chooseCli("command");
    await type("agent-program", `sh -c "printf '\\033[32m✓ retries on 503\\033[0m\\n'"`);
    await fireEvent.click(screen.getByTestId("agent-spawn"));

    expect(spawn.mock.calls[0]![0]).toMatchObject({
      cli: "command",
      program: ["sh", "-c", "printf '\\033[32m✓ retries on 503\\033[0m\\n'"],
      prompt: "",
      model: null,
      allowTools: [],
    });
    await waitFor(() => expect(lane("command-1")).toBeTruthy());
    await waitFor(() => expect(lane("command-1").dataset.state).toBe("exited"));
    await waitFor(() => expect(within(lane("command-1")).getByTestId("agent-terminal").querySelector(".xterm-fg-2")?.textContent).toBe("✓ retries on 503"));
  });

  it("shows errors inline and keeps the input", async () => {
    const { session } = await seed();
    await renderSession(session.id);
    await newAgentOpen();

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
    await waitFor(() => expect(screen.getByTestId("agent-error").textContent).toContain("cannot find the program not-installed-tool"));
    expect((screen.getByTestId("agent-program") as HTMLInputElement).value).toBe("not-installed-tool --flag");

    await chooseCli("codex");
    await type("agent-prompt", "x");
    await fireEvent.click(screen.getByTestId("agent-spawn"));
    await waitFor(() => expect(screen.getByTestId("agent-error").textContent).toContain("the codex CLI is not on PATH"));
    expect(screen.getByTestId("agent-error").querySelector("code")!.textContent).toBe("npm install -g @openai/codex");

    await chooseCli("claude");
    await type("agent-prompt", "x");
    await type("agent-name", "architect");
    await fireEvent.click(screen.getByTestId("agent-spawn"));
    await waitFor(() => expect(screen.getByTestId("agent-error").textContent).toContain("already exists"));
    expect(screen.getByTestId("agent-name").getAttribute("aria-invalid")).toBe("true");
  });

  it("explains an unknown session and goes back home", async () => {
    render(SessionView, { backend: d.backend, sessionId: "nope" });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain('no session has the id or name "nope"');

    const go = vi.spyOn(router, "go");
    await fireEvent.click(screen.getByTestId("back-home"));
    expect(go).toHaveBeenCalledWith({ view: "home" });
  });

  it("explains an empty session", async () => {
    const { session } = await seed(false);
    await renderSession(session.id);
    expect((await screen.findByTestId("agents-empty")).textContent).toContain("No agents yet");
  });

  it("reads the agents and their histories again after the stream was down", async () => {
    const { session, architect } = await seed();
    const stream = streamCut(d.backend);
    await renderSession(session.id);
    await waitFor(() => expect(cards()).toHaveLength(2));

    stream.drop();
    // Missed while disconnected: a new agent, and events of the architect.
    const late = await commandSpawn(d.daemon.api, session.id, ["true"], "late");
    await d.backend.agentSend(architect.id, { text: "missed message" });
    await agentUntil(d.daemon.api, architect.id, (a) => a.turns === 2 && a.state === "waiting");
    await agentUntil(d.daemon.api, late.id, agentEnded);
    expect(cards()).toHaveLength(2);

    stream.restore();
    await waitFor(() => expect(cardNames()).toContain("late"));
    await focus("architect");
    await waitFor(() => expect(within(lane("architect")).getByText("missed message")).toBeTruthy());
  });

  it("keeps a lane's changed files live from the stream, with a checkpoint after each turn", async () => {
    const { session } = await seed(false);
    await renderSession(session.id);
    await screen.findByTestId("agents-empty");

    // Each turn of the stand-in writes work-N.txt in its worktree.
    await claudeSpawn(d.daemon.api, session.id, "Edit the client", "editor");
    await focus("editor");
    expect(within(lane("editor")).getByTestId("agent-branch").textContent).toContain(`baton/${session.name}/editor`);
    await waitFor(() => expect(within(lane("editor")).getByTestId("tab-changes-count").textContent).toBe("1"));
    await waitFor(() => expect(within(lane("editor")).getAllByTestId("checkpoint")).toHaveLength(1));
    expect(within(lane("editor")).getByTestId("checkpoint").textContent).toContain("Checkpoint 1 · after turn 1");
    expect(within(lane("editor")).getAllByTestId("event-row")[0]!.dataset.kind).toBe("notice");

    await fireEvent.click(within(lane("editor")).getByTestId("tab-changes"));
    expect(within(lane("editor")).getAllByTestId("changed-file").map((f) => f.dataset.path)).toEqual(["work-1.txt"]);
  });

  it("drops an agent when it is removed, here or by another client", async () => {
    const { session, architect } = await seed();
    await renderSession(session.id);

    // From the agent in focus: the reviewer left nothing uncommitted, so nothing is refused;
    // the overview is shown again.
    await focus("reviewer");
    await fireEvent.click(within(lane("reviewer")).getByTestId("agent-remove"));
    await fireEvent.click(within(lane("reviewer")).getByTestId("remove-confirm-button"));
    await waitFor(() => expect(cardNames()).toEqual(["architect"]));
    expect(screen.queryByTestId("agent-lane")).toBeNull();
    expect(screen.getByTestId("session-cost").textContent).toContain("1 agent");

    // By another client (the CLI): the event removes it (its turn left a file: forced).
    await d.backend.agentRemove(architect.id, { force: true });
    await waitFor(() => expect(cards()).toHaveLength(0));
    expect(screen.getByTestId("agents-empty")).toBeTruthy();
  });

  it("opens the session's report from the header and closes it again", async () => {
    const { session } = await seed(false);
    await renderSession(session.id);
    await fireEvent.click(screen.getByTestId("session-report"));
    const frame = await screen.findByTestId("report-frame");
    expect(frame.getAttribute("srcdoc")).toContain(`<h1>Report: ${session.name}</h1>`);
    await fireEvent.click(within(screen.getByTestId("report-dialog")).getByText("Close"));
    await waitFor(() => expect(screen.queryByTestId("report-dialog")).toBeNull());
  });

  it("edits the session's settings from the header, shows them there, and new agents use them", async () => {
    const { session } = await seed(false);
    await renderSession(session.id);
    const update = vi.spyOn(d.backend, "sessionUpdate");
    expect(screen.queryByTestId("session-settings-summary")).toBeNull();

    await fireEvent.click(screen.getByTestId("session-settings"));
    await type("settings-branch-pattern", "agents/{agent}");
    await type("settings-setup-command", "echo ready");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect(update).toHaveBeenCalledWith(session.id, sessionChange({ branchPattern: "agents/{agent}", setupCommand: "echo ready" }));
    await waitFor(() => expect(screen.queryByTestId("session-settings-dialog")).toBeNull());
    expect(screen.getByTestId("session-setup-command").textContent!.replace(/\s+/g, " ").trim()).toBe("setup: echo ready");
    expect(screen.getByTestId("session-branch-pattern").textContent!.replace(/\s+/g, " ").trim()).toBe("branches: agents/{agent}");

    // The next agent works on a branch named by the pattern, and its lane shows the setup.
    await claudeSpawn(d.daemon.api, session.id, "Write docs", "docs");
    await focus("docs");
    expect(within(lane("docs")).getByTestId("agent-branch").textContent).toContain("agents/docs");
    await waitFor(() => expect(within(lane("docs")).getByText(/setup: echo ready/)).toBeTruthy());

    // Changed by another client: the header follows, and the dialog opens with the new values.
    await d.backend.sessionUpdate(session.id, sessionChange({ branchPattern: "", setupCommand: "make deps" }));
    await waitFor(() => expect(screen.queryByTestId("session-branch-pattern")).toBeNull());
    expect(screen.getByTestId("session-setup-command").textContent).toContain("make deps");
    await fireEvent.click(screen.getByTestId("session-settings"));
    expect((screen.getByTestId("settings-branch-pattern") as HTMLInputElement).value).toBe("");
    expect((screen.getByTestId("settings-setup-command") as HTMLInputElement).value).toBe("make deps");

    // Cleared here: nothing is shown any more.
    await type("settings-setup-command", "");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect(update).toHaveBeenLastCalledWith(session.id, sessionChange({ setupCommand: "" }));
    await waitFor(() => expect(screen.queryByTestId("session-settings-summary")).toBeNull());
  });

  it("lists what a coordinator cycle stored in the Artifacts tab, and counts it on the tab", async () => {
    const { session } = await seed(false);
    await d.backend.sessionUpdate(session.id, sessionChange({ cycleSecs: 1 }));
    await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "build it", name: "build" });
    await renderSession(session.id);
    await fireEvent.click(screen.getByTestId("tab-artifacts"));
    await screen.findByTestId("artifacts-empty");
    await waitFor(() => expect(screen.getByTestId("tab-artifacts-count").textContent).toBe("0"));

    await d.backend.coordinatorRun(session.id);
    await until(async () => (await d.backend.sessionGet(session.id)).coordinator === "complete", { what: "the build ran" });
    // Its answer, the file it names and its diff, newest first.
    await waitFor(() => expect(screen.getAllByTestId("artifact-row").map((r) => r.dataset.kind)).toEqual(["diff", "file", "markdown"]));
    await waitFor(() => expect(screen.getByTestId("tab-artifacts-count").textContent).toBe("3"));
  });
});
