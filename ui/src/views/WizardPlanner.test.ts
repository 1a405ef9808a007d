import { configure, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { router, sessionRoute } from "../lib/route.svelte";
import { sessionMake, useDaemon } from "../test/daemon";
import SessionView from "./SessionView.svelte";

// The `claude` CLI is the stand-in (tests/fixtures/fake-claude), which answers in prose: a planner
// that never gives the JSON the protocol asks for.
const d = useDaemon({ fakeClaude: true });

configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  router.go({ view: "home" });
});

describe("New work with a planner agent", () => {
  it("shows the planner at work with its lane, then says why the guided questions took over", async () => {
    const name = d.unique("plan");
    const repo = d.daemon.repoMake(name, { "README.md": "# Plan\n", "src/main.rs": "fn main() {}\n" });
    const session = await sessionMake(d.daemon.api, repo, name);
    router.go(sessionRoute(session.id, { wizard: { wizardId: null } }));
    render(SessionView, { backend: d.backend, sessionId: session.id });

    await fireEvent.input(await screen.findByTestId("wizard-goal-input"), { target: { value: "add a health check" } });
    const engine = screen.getByTestId("wizard-engine") as HTMLSelectElement;
    await fireEvent.change(engine, { target: { value: "claude" } });
    expect(engine.value).toBe("claude");
    await fireEvent.click(screen.getByTestId("wizard-start"));

    // The engine answers at once: the planner (a real agent of the session) thinks.
    const thinking = await screen.findByTestId("wizard-planner-thinking");
    expect(thinking.textContent).toContain("Claude Code is reading the repository");
    const link = screen.getByTestId("wizard-planner-lane") as HTMLAnchorElement;
    const planner = (await d.backend.agentList({ session: session.id })).find((a) => a.name === link.textContent!.replace(/^Watch | work$/g, ""));
    expect(planner, "the link names the session's planner agent").toBeTruthy();
    expect(link.getAttribute("href")).toBe(`#/session/${session.id}/agent/${planner!.id}`);

    // Prose twice: the note says so, and the guided questions go on from here.
    const note = await screen.findByTestId("wizard-note", {}, { timeout: 60_000 });
    expect(note.textContent).toMatch(/guided/i);
    await waitFor(() => expect(screen.getByTestId("wizard-question").dataset.questionId).toBe("done"), { timeout: 10_000 });
    expect(screen.queryByTestId("wizard-planner-thinking")).toBeNull();
  }, 90_000);
});
