// @vitest-environment jsdom
// jsdom: DOMPurify sanitises only there (see markdown.test.ts).

import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { AgentEvent } from "../bindings/AgentEvent";
import { EventRows } from "../lib/eventRows";
import { agentUntil, claudeSpawn, sessionMake, useDaemon } from "../test/daemon";
import EventRow from "./EventRow.svelte";

// The stand-in Claude: SUBAGENT answers in markdown and hands a search to a subagent, its lines
// carrying `parent_tool_use_id` as Claude Code prints them.
const d = useDaemon({ fakeClaude: true });

/** A finished agent's history as the lane builds it, from the real daemon. */
async function subagentRun(): Promise<{ agent: Agent; rows: EventRows }> {
  const name = d.unique("sub");
  const session = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name);
  const spawned = await claudeSpawn(d.daemon.api, session.id, "SUBAGENT: list the files", name);
  const agent = await agentUntil(d.daemon.api, spawned.id, (a: Agent) => a.turns === 1 && a.state === "waiting");
  const rows = new EventRows();
  rows.append(await d.backend.agentEvents(agent.id, {}), true);
  return { agent, rows };
}

function renderRows(rows: EventRows, root: string | null): HTMLElement {
  const list = document.createElement("div");
  document.body.append(list);
  for (const row of rows.rows) render(EventRow, { target: list, props: { row, expanded: false, onToggle: () => {}, root } });
  return list;
}

describe("EventRow on an agent that used a subagent", () => {
  it("folds the subagent's steps under the Task call that started it", async () => {
    const { agent, rows } = await subagentRun();
    const list = renderRows(rows, agent.cwd);
    const top = [...list.querySelectorAll<HTMLElement>(":scope > [data-testid=event-row]")];
    const tools = top.filter((r) => r.dataset.kind === "tool_call").map((r) => r.querySelector(".tool-name")!.textContent);
    // The subagent's Bash and Read are not the agent's own calls.
    expect(tools).toEqual(["Task", "Write"]);

    const fold = within(list).getByTestId("subagent-fold");
    expect(fold.textContent).toContain("Subagent · 7 steps");
    expect(fold.getAttribute("aria-expanded")).toBe("false");
    expect(within(list).queryByTestId("subagent-rows")).toBeNull();

    await fireEvent.click(fold);
    const nested = within(list).getByTestId("subagent-rows");
    const kinds = within(nested).getAllByTestId("event-row").map((r) => r.dataset.kind);
    // Its lifecycle line (task_started) too: kept, under the call, as every line is.
    expect(kinds).toEqual(["raw", "user_text", "tool_call", "command", "tool_result", "tool_call", "tool_result"]);
    expect(nested.textContent).toContain("List the files of the repository.");
    // The lifecycle line reads as words; the line itself is in the tooltip.
    const step = within(nested).getByTestId("subagent-step");
    expect(step.textContent).toBe("subagent started: List the files");
    expect(step.getAttribute("title")).toContain('"subtype":"task_started"');
    // Paths inside the subagent's work are relative to the worktree too.
    expect(nested.textContent).toContain("README.md");
    expect(nested.textContent).not.toContain(agent.cwd);
  });

  it("renders the assistant's text as sanitised markdown", async () => {
    const { agent, rows } = await subagentRun();
    const list = renderRows(rows, agent.cwd);
    const texts = within(list).getAllByTestId("assistant-markdown");
    expect(texts[0]!.querySelector("h2")?.textContent).toBe("Plan");
    expect(texts[0]!.querySelector("strong")?.textContent).toBe("subagent");
    expect([...texts[0]!.querySelectorAll("ol li")].map((li) => li.textContent)).toEqual(["read README.md", "write the notes"]);
    expect(texts[1]!.querySelector("table td")?.textContent).toBe("README.md");
  });

  it("shows paths under the worktree relative to it, the full path in the tooltip", async () => {
    const { agent, rows } = await subagentRun();
    const list = renderRows(rows, agent.cwd);
    const write = [...list.querySelectorAll<HTMLElement>("[data-kind=tool_call]")].find((r) => r.textContent?.includes("Write"))!;
    const summary = write.querySelector(".ev-summary")!;
    expect(summary.textContent).toBe("notes.md");
    expect(summary.getAttribute("title")).toBe(`${agent.cwd}/notes.md`);
    const result = [...list.querySelectorAll<HTMLElement>("[data-kind=tool_result]")].find((r) => r.textContent?.includes("File created"))!;
    expect(result.querySelector(".ev-summary")!.textContent).toBe("File created successfully at: notes.md");
    expect(result.querySelector(".ev-summary")!.getAttribute("title")).toContain(`${agent.cwd}/notes.md`);
  });
});

describe("EventRow keeps agents' markdown safe", () => {
  it("drops scripts, handlers, images and frames from the assistant's text", () => {
    const event: AgentEvent = {
      kind: "text",
      text: 'Hi <script>window.x=1</script><img src="http://x/y.png" onerror="alert(1)"> <iframe src="http://x"></iframe>[a](javascript:alert(1)) <b onclick="x()">b</b>',
      delta: false,
    };
    render(EventRow, { row: { key: 1, ts: 1, event }, expanded: false, onToggle: () => {} });
    const text = screen.getByTestId("assistant-markdown");
    expect(text.querySelector("script, img, iframe, [onclick], [onerror]")).toBeNull();
    expect(text.querySelector("a")?.getAttribute("href") ?? null).toBeNull();
    expect(text.textContent).toContain("Hi");
  });

  it("shows a subagent's event whose call is not among the rows as its own row, marked", () => {
    const event: AgentEvent = { kind: "nested", parent_tool_use_id: "toolu_gone", event: { kind: "user_text", text: "from below" } };
    render(EventRow, { row: { key: 7, ts: 1, event }, expanded: false, onToggle: () => {} });
    const row = screen.getByTestId("event-row");
    expect(row.dataset).toMatchObject({ kind: "user_text", nested: "toolu_gone" });
    expect(row.textContent).toContain("subagent");
    expect(row.textContent).toContain("from below");
  });
});
