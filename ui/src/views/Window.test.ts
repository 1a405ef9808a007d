// The window around the views, on a real daemon with the stand-in Claude: the sidebar of
// sessions and agents, the inbox (its count in the title, answered in place), the command
// palette and the shortcuts, and Home's filter kept when coming back.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import { sessionChange } from "../lib/backend";
import { router, sessionRoute } from "../lib/route.svelte";
import { ui } from "../lib/ui.svelte";
import { agentEnded, agentUntil, claudeSpawn, commandSpawn, sessionMake, taskAdd, until, useDaemon } from "../test/daemon";

// A daemon per test: the sidebar and the inbox show the whole home.
const d = useDaemon({ fakeClaude: true, perTest: true });

afterEach(() => {
  router.go({ view: "home" });
  ui.palette = false;
  ui.help = false;
  ui.newAgent = false;
});

const sidebarAgents = () => screen.queryAllByTestId("sidebar-agent");
const sidebarAgent = (name: string) => {
  const found = sidebarAgents().find((a) => a.dataset.agentName === name);
  if (!found) throw new Error(`no ${name} in the sidebar: ${sidebarAgents().map((a) => a.dataset.agentName).join(", ")}`);
  return found;
};
const focusedName = () => screen.queryByTestId("agent-lane")?.dataset.agentName;

/** A session "web" with a program that ended and the stand-in Claude waiting for Bash; an archived one. */
async function seed() {
  const api = d.daemon.api;
  const web = await sessionMake(api, d.daemon.repoMake("web"), "web");
  const old = await sessionMake(api, d.daemon.repoMake("old"), "old");
  await d.backend.sessionUpdate(old.id, sessionChange({ archived: true }));
  const builder = await agentUntil(api, (await commandSpawn(api, web.id, ["true"], "builder")).id, agentEnded);
  const asker = await agentUntil(api, (await claudeSpawn(api, web.id, "DENY: run the tests", "asker")).id, (a) => a.state === "needs_input");
  return { web, old, builder, asker };
}

async function renderApp(): Promise<void> {
  render(App, { connect: async () => d.backend });
  await screen.findByTestId("sidebar");
}

function press(key: string, init: KeyboardEventInit = {}): void {
  window.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, ...init }));
}

describe("the sidebar", () => {
  it("marks the agent whose conversation coordinates the session, live, and in its lane", async () => {
    const api = d.daemon.api;
    const web = await sessionMake(api, d.daemon.repoMake("web"), "web");
    const lead = await agentUntil(api, (await claudeSpawn(api, web.id, "Lead", "lead")).id, (a) => a.state === "waiting");
    await agentUntil(api, (await claudeSpawn(api, web.id, "Help", "helper")).id, (a) => a.state === "waiting");
    router.go(sessionRoute(web.id, { agentId: lead.id }));
    await renderApp();
    await waitFor(() => expect(sidebarAgents()).toHaveLength(2));
    expect(screen.queryByTestId("sidebar-coordinator")).toBeNull();

    // Promoted by another client: the sidebar and the lane follow the stream.
    await d.backend.coordinatorPromote(lead.id);
    await waitFor(() => expect(within(sidebarAgent("lead")).getByTestId("sidebar-coordinator").textContent).toBe("coord"));
    expect(within(sidebarAgent("helper")).queryByTestId("sidebar-coordinator")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("agent-coordinator").textContent).toBe("Coordinator"));

    // Demoted from its lane.
    await fireEvent.click(screen.getByTestId("agent-demote"));
    await waitFor(() => expect(screen.queryByTestId("sidebar-coordinator")).toBeNull());
    expect(screen.getByTestId("agent-promote")).toBeTruthy();
  });

  it("lists the active sessions, the shown one open with its agents, dots and a badge on the one that needs the user", async () => {
    const { web, builder, asker } = await seed();
    router.go(sessionRoute(web.id));
    await renderApp();

    const sessions = () => screen.getAllByTestId("sidebar-session").map((s) => s.dataset.sessionName);
    await waitFor(() => expect(sessions()).toEqual(["web"]));
    await waitFor(() => expect(sidebarAgents().map((a) => a.dataset.agentName)).toEqual(["builder", "asker"]));
    expect(within(sidebarAgent("builder")).getByTestId("agent-dot").dataset.state).toBe("exited");
    expect(within(sidebarAgent("asker")).getByTestId("agent-dot").getAttribute("aria-label")).toBe("needs your permission");
    expect(within(sidebarAgent("asker")).getByTestId("sidebar-agent-badge").textContent).toBe("1");
    expect(within(sidebarAgent("builder")).queryByTestId("sidebar-agent-badge")).toBeNull();

    // A click puts the agent in focus, marked in the sidebar.
    await fireEvent.click(sidebarAgent("builder"));
    await waitFor(() => expect(focusedName()).toBe("builder"));
    expect(window.location.hash).toBe(`#/session/${web.id}/agent/${builder.id}`);
    expect(sidebarAgent("builder").getAttribute("aria-current")).toBe("page");

    // Home closes the session's list; its arrow opens it again.
    await fireEvent.click(screen.getByTestId("nav-home"));
    await screen.findByTestId("session-list");
    expect(sidebarAgents()).toHaveLength(0);
    await fireEvent.click(within(screen.getAllByTestId("sidebar-session")[0]!).getByRole("button"));
    expect(sidebarAgents().map((a) => a.dataset.agentId)).toEqual([builder.id, asker.id]);
    // Closed by its arrow, it opens again when shown.
    await fireEvent.click(within(screen.getAllByTestId("sidebar-session")[0]!).getByRole("button"));
    expect(sidebarAgents()).toHaveLength(0);
    await fireEvent.click(screen.getByTestId("sidebar-session-link"));
    await waitFor(() => expect(sidebarAgents()).toHaveLength(2));
  });
});

describe("the inbox", () => {
  it("counts what needs the user in the title, and approves a permission and answers a decision in place", async () => {
    const { web, asker } = await seed();
    await d.backend.decisionAdd(web.id, { text: "Postgres or SQLite?" });
    await renderApp();
    await waitFor(() => expect(document.title).toBe("(2) Baton"));
    expect(screen.getByTestId("inbox-count").textContent).toBe("2");

    await fireEvent.click(screen.getByTestId("nav-inbox"));
    expect(window.location.hash).toBe("#/inbox");
    const items = () => screen.queryAllByTestId("inbox-item");
    await waitFor(() => expect(items().map((i) => i.dataset.kind).sort()).toEqual(["decision", "permission"]));
    const permission = items().find((i) => i.dataset.kind === "permission")!;
    expect(permission.dataset.agentId).toBe(asker.id);
    expect(within(permission).getByTestId("permission-request").textContent).toContain("npm test");
    // The keyboard starts on the first item.
    expect(items()[0]!.contains(document.activeElement)).toBe(true);

    await fireEvent.click(within(permission).getByTestId("permission-approve"));
    await waitFor(() => expect(items().map((i) => i.dataset.kind)).toEqual(["decision"]));
    await waitFor(() => expect(document.title).toBe("(1) Baton"));
    await agentUntil(d.daemon.api, asker.id, (a) => a.pending.length === 0);

    const decision = items()[0]!;
    expect(within(decision).getByText("Postgres or SQLite?")).toBeTruthy();
    await fireEvent.input(within(decision).getByTestId("decision-answer-input"), { target: { value: "SQLite" } });
    await fireEvent.click(within(decision).getByTestId("decision-answer-button"));
    await screen.findByTestId("inbox-empty");
    await waitFor(() => expect(document.title).toBe("Baton"));
    expect(screen.queryByTestId("inbox-count")).toBeNull();
  });
});

describe("the inbox's approved work", () => {
  it("lists a review that approved, opens the merge dialog on it, and drops it once merged", async () => {
    const api = d.daemon.api;
    const pay = await sessionMake(api, d.daemon.repoMake("pay"), "pay", { cycleSecs: 1 });
    d.daemon.verdictsWrite([{ verdict: "approve", findings: [] }]);
    await taskAdd(api, pay.id, { title: "Implement", prompt: "Implement it", name: "implement" });
    await taskAdd(api, pay.id, { title: "Review", prompt: "Review; answer with JSON only", name: "review", after: ["implement"], reviews: "implement" });
    await d.backend.coordinatorRun(pay.id);
    await until(async () => (await d.backend.sessionGet(pay.id)).coordinator === "complete", { what: "the review approved", timeoutMs: 30_000 });
    router.go({ view: "inbox" });
    await renderApp();

    const item = await waitFor(() => {
      const found = screen.getAllByTestId("inbox-item").find((i) => i.dataset.kind === "review_to_merge");
      if (!found) throw new Error("no approved work in the inbox");
      return found;
    });
    expect(item.textContent).toContain("Implement approved: merge baton/pay/implement");
    expect(item.textContent).toContain("approved by review in round 1");
    await fireEvent.click(within(item).getByTestId("inbox-merge"));
    const dialog = await screen.findByTestId("merge-dialog");
    const confirm = within(dialog).getByTestId("merge-confirm") as HTMLButtonElement;
    await waitFor(() => expect(confirm.disabled).toBe(false), { timeout: 10_000 });
    await fireEvent.click(confirm);
    await within(dialog).findByTestId("merge-done");
    await waitFor(() => expect(screen.queryAllByTestId("inbox-item").filter((i) => i.dataset.kind === "review_to_merge")).toHaveLength(0));
  });
});

describe("the keyboard", () => {
  it("finds an agent by name in the palette, steps to the next agent, and shows the help", async () => {
    const { web } = await seed();
    router.go(sessionRoute(web.id));
    await renderApp();
    await waitFor(() => expect(sidebarAgents()).toHaveLength(2));

    press("k", { code: "KeyK", ctrlKey: true });
    const input = await screen.findByTestId("palette-input");
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: "askr" } });
    await waitFor(() => expect(screen.getAllByTestId("palette-item")[0]!.dataset.label).toBe("asker"));
    await fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(focusedName()).toBe("asker"));
    expect(screen.queryByTestId("palette")).toBeNull();

    // Alt+↓ from the last agent goes round to the first; Alt+↑ back.
    press("ArrowDown", { code: "ArrowDown", altKey: true });
    await waitFor(() => expect(focusedName()).toBe("builder"));
    press("ArrowUp", { code: "ArrowUp", altKey: true });
    await waitFor(() => expect(focusedName()).toBe("asker"));

    // The palette acts on the agent in focus: approve its pending tool.
    press("k", { code: "KeyK", ctrlKey: true });
    await fireEvent.input(await screen.findByTestId("palette-input"), { target: { value: "approve" } });
    await waitFor(() => expect(screen.getAllByTestId("palette-item")[0]!.dataset.label).toBe("Approve Bash for asker"));
    await fireEvent.keyDown(screen.getByTestId("palette-input"), { key: "Escape" });
    expect(screen.queryByTestId("palette")).toBeNull();

    // `?` outside a text field shows the keys; typed in a field it is text.
    (document.activeElement as HTMLElement | null)?.blur();
    press("?", { code: "Slash", shiftKey: true });
    expect((await screen.findByTestId("keyboard-help")).textContent).toContain("Next agent");
  });
});

describe("Home", () => {
  it("keeps Show archived when coming back from a session", async () => {
    const { web } = await seed();
    await renderApp();
    await waitFor(() => expect(screen.getAllByTestId("session-row").map((r) => r.dataset.sessionName)).toEqual(["web"]));
    await fireEvent.click(screen.getByTestId("show-archived"));
    await waitFor(() => expect(screen.getAllByTestId("session-row")).toHaveLength(2));

    router.go(sessionRoute(web.id));
    await screen.findByTestId("session-view");
    await fireEvent.click(screen.getByTestId("nav-home"));
    await screen.findByTestId("session-list");
    expect((screen.getByTestId("show-archived") as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect(screen.getAllByTestId("session-row").map((r) => r.dataset.sessionName).sort()).toEqual(["old", "web"]));
    await fireEvent.click(screen.getByTestId("show-archived"));
  });
});
