import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Decision } from "../bindings/Decision";
import type { Session } from "../bindings/Session";
import { sessionMake, useDaemon } from "../test/daemon";
import SessionView from "./SessionView.svelte";

const d = useDaemon();

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The session view of a new session on its Context tab, its context recorded through the
 * daemon: an open objective, a pending decision, an insight.
 */
async function renderContext(): Promise<{ session: Session; decision: Decision; other: Session }> {
  const api = d.daemon.api;
  const name = d.unique("pay");
  const session = await sessionMake(api, d.daemon.repoMake(name), name);
  const other = await sessionMake(api, d.daemon.repoMake(`${name}-web`), `${name}-web`);
  await d.backend.objectiveAdd(session.id, { text: "Retry transient failures" });
  const decision = await d.backend.decisionAdd(session.id, { text: "Refunds too?" });
  await d.backend.insightAdd(session.id, { text: "The sandbox answers 503 under load" });
  render(SessionView, { backend: d.backend, sessionId: session.id });
  await fireEvent.click(await screen.findByTestId("tab-context"));
  await screen.findByTestId("context-objectives");
  await waitFor(() => expect(objectives()).toHaveLength(1));
  return { session, decision, other };
}

const objectives = () => screen.queryAllByTestId("objective");
const objective = (text: string) => objectives().find((o) => o.textContent!.includes(text))!;
const decisions = () => screen.queryAllByTestId("decision");

async function add(testid: string, text: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(`${testid}-input`), { target: { value: text } });
  await fireEvent.click(screen.getByTestId(`${testid}-button`));
}

describe("Context tab", () => {
  it("shows the session's objectives, decisions and insights, the pending decisions counted on the tab", async () => {
    await renderContext();
    expect(objectives().map((o) => [o.dataset.state, within(o).getByTestId("objective-text").textContent])).toEqual([
      ["open", "Retry transient failures"],
    ]);
    expect(decisions().map((d) => [d.dataset.state, within(d).getByTestId("decision-question").textContent])).toEqual([
      ["pending", "Refunds too?"],
    ]);
    expect(screen.getAllByTestId("insight").map((i) => i.textContent)).toEqual([expect.stringContaining("The sandbox answers 503 under load")]);
    expect(screen.getByTestId("tab-context-pending").textContent).toBe("1");
  });

  it("adds an objective, marks it done, drops another and opens it again", async () => {
    const { session } = await renderContext();
    const set = vi.spyOn(d.backend, "objectiveSet");

    await add("objective-add", "  No retry on 4xx ");
    await waitFor(() => expect(objectives()).toHaveLength(2));
    expect((screen.getByTestId("objective-add-input") as HTMLInputElement).value).toBe("");
    expect(within(objective("4xx")).getByTestId("objective-text").textContent).toBe("No retry on 4xx");

    await fireEvent.click(within(objective("4xx")).getByTestId("objective-done"));
    await waitFor(() => expect(objective("4xx").dataset.state).toBe("done"));
    await fireEvent.click(within(objective("Retry transient")).getByTestId("objective-drop"));
    await waitFor(() => expect(objective("Retry transient").dataset.state).toBe("dropped"));
    await fireEvent.click(within(objective("Retry transient")).getByTestId("objective-reopen"));
    await waitFor(() => expect(objective("Retry transient").dataset.state).toBe("open"));
    expect(set.mock.calls.map((c) => c[2].state)).toEqual(["done", "dropped", "open"]);
    expect((await d.backend.sessionStatus(session.id)).objectives.map((o) => o.state)).toEqual(["open", "done"]);
  });

  it("asks and answers decisions: the pending count follows", async () => {
    const { session } = await renderContext();
    await add("decision-add", "Merge by squash?");
    await waitFor(() => expect(screen.getByTestId("tab-context-pending").textContent).toBe("2"));

    const refunds = decisions().find((d) => d.textContent!.includes("Refunds too?"))!;
    await fireEvent.input(within(refunds).getByTestId("decision-answer-input"), { target: { value: "Charges only" } });
    await fireEvent.click(within(refunds).getByTestId("decision-answer-button"));
    await waitFor(() => expect(screen.getByTestId("tab-context-pending").textContent).toBe("1"));
    const decided = decisions().find((d) => d.dataset.state === "decided")!;
    expect(within(decided).getByTestId("decision-answer-text").textContent).toBe("→ Charges only");
    expect((await d.backend.sessionStatus(session.id)).decisions.map((x) => [x.question, x.state])).toEqual([
      ["Refunds too?", "decided"],
      ["Merge by squash?", "pending"],
    ]);
  });

  it("adds an insight", async () => {
    await renderContext();
    await add("insight-add", "CI caches node_modules");
    await waitFor(() => expect(screen.getAllByTestId("insight")).toHaveLength(2));
    expect(screen.getAllByTestId("insight")[1]!.textContent).toContain("CI caches node_modules");
  });

  it("follows changes made by another client, and not those of other sessions", async () => {
    const { session, decision, other } = await renderContext();
    await d.backend.objectiveAdd(session.name, { text: "Document the policy" });
    await d.backend.insightAdd(other.name, { text: "Elsewhere" });
    await waitFor(() => expect(objectives()).toHaveLength(2));
    await d.backend.decisionAnswer(session.name, decision.id, { text: "Yes" });
    await waitFor(() => expect(screen.queryByTestId("tab-context-pending")).toBeNull());
    expect(screen.getAllByTestId("insight")).toHaveLength(1);
  });

  it("refuses empty text here, and shows the daemon's refusal with the text kept", async () => {
    await renderContext();
    const addObjective = vi.spyOn(d.backend, "objectiveAdd");
    await add("objective-add", "   ");
    expect((await screen.findByTestId("objective-add-error")).textContent).toContain("The text is empty");
    expect(addObjective).not.toHaveBeenCalled();

    addObjective.mockRejectedValueOnce({ code: "daemon_unreachable", message: "The Baton daemon is not answering. Start it with `baton daemon`." });
    await add("objective-add", "Ship it");
    await waitFor(() => expect(screen.getByTestId("objective-add-error").textContent).toContain("not answering"));
    expect(screen.getByTestId("objective-add-error").querySelector("code")!.textContent).toBe("baton daemon");
    expect((screen.getByTestId("objective-add-input") as HTMLInputElement).value).toBe("Ship it");

    vi.spyOn(d.backend, "objectiveSet").mockRejectedValueOnce({ code: "not_found", message: 'no objective has the id "o1" in this session' });
    await fireEvent.click(within(objective("Retry transient")).getByTestId("objective-done"));
    expect((await screen.findByTestId("objective-error")).textContent).toContain('no objective has the id "o1"');
    expect(objective("Retry transient").dataset.state).toBe("open");

    const refunds = decisions()[0]!;
    await fireEvent.click(within(refunds).getByTestId("decision-answer-button"));
    expect((await within(refunds).findByTestId("decision-answer-error")).textContent).toContain("The answer is empty");
  });

  it("shows why the context cannot be read, and retries", async () => {
    const name = d.unique("pay");
    const session = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name);
    const status = vi.spyOn(d.backend, "sessionStatus").mockRejectedValueOnce({ code: "not_found", message: "The daemon has no /status: update it." });
    render(SessionView, { backend: d.backend, sessionId: session.id });
    await fireEvent.click(await screen.findByTestId("tab-context"));
    const error = await screen.findByTestId("context-error");
    expect(error.textContent).toContain("update it");
    await fireEvent.click(within(error).getByText("Retry"));
    await screen.findByTestId("context-objectives");
    expect(screen.queryByTestId("context-error")).toBeNull();
    expect(status).toHaveBeenCalledTimes(2);
  });
});
