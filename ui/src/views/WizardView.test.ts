import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { Session } from "../bindings/Session";
import type { Wizard } from "../bindings/Wizard";
import { HttpBackend } from "../lib/backend";
import { router, sessionRoute } from "../lib/route.svelte";
import { sessionMake, useDaemon } from "../test/daemon";
import SessionView from "./SessionView.svelte";

const d = useDaemon();

// Each step is a round trip to the daemon: a loaded machine may take more than the default second.
configure({ asyncUtilTimeout: 5_000 });

afterEach(() => {
  router.go({ view: "home" });
});

/** A repository in two languages: a Rust crate `api` and a web app `web` with a test script. */
async function shop(): Promise<Session> {
  const name = d.unique("shop");
  const repo = d.daemon.repoMake(name, {
    "README.md": "# Shop\n",
    "api/Cargo.toml": '[package]\nname = "api"\nversion = "0.1.0"\nedition = "2021"\n',
    "api/src/lib.rs": "pub fn price() -> u32 { 1 }\n",
    "api/src/cart.rs": "pub fn total() -> u32 { 2 }\n",
    "api/src/order.rs": "pub fn order() {}\n",
    "web/package.json": JSON.stringify({ name: "web", scripts: { test: "node --test", build: "vite build" } }),
    "web/src/app.js": "export const app = 1;\n",
  });
  return sessionMake(d.daemon.api, repo, name);
}

async function newWork(session: Session): Promise<void> {
  router.go(sessionRoute(session.id, { wizard: { wizardId: null } }));
  render(SessionView, { backend: d.backend, sessionId: session.id });
  await screen.findByTestId("wizard-goal");
}

/** The question shown, once it is `id`. */
function asked(id: string): Promise<HTMLElement> {
  return waitFor(
    () => {
      const q = screen.getByTestId("wizard-question");
      if (q.dataset.questionId !== id) throw new Error(`question ${q.dataset.questionId} is shown, not ${id}`);
      return q;
    },
    { timeout: 5_000 },
  );
}

/** A key pressed where the keyboard is. */
async function press(key: string, init: KeyboardEventInit = {}): Promise<void> {
  await fireEvent.keyDown(document.activeElement ?? document.body, { key, ...init });
}

function labels(q: HTMLElement): string[] {
  return within(q)
    .getAllByTestId("wizard-option")
    .map((o) => o.dataset.label!);
}

function chosen(q: HTMLElement): string[] {
  return within(q)
    .getAllByTestId("wizard-option")
    .filter((o) => o.getAttribute("aria-checked") === "true")
    .map((o) => o.dataset.label!);
}

describe("New work (the wizard)", () => {
  it("asks about this repository one question at a time, by keyboard, with Back, then edits and launches the plan", async () => {
    const session = await shop();
    await newWork(session);

    // The goal: Enter starts; the address then names the wizard.
    const goal = screen.getByTestId("wizard-goal-input");
    expect(document.activeElement).toBe(goal);
    await fireEvent.input(goal, { target: { value: "add discount codes" } });
    await press("Enter");
    let q = await asked("done");
    const route = router.current;
    const wizardId = route.view === "session" ? route.wizard?.wizardId : null;
    expect(wizardId).toMatch(/^wiz/);
    expect(screen.getByTestId("wizard-progress").textContent).toBe("Question 1 of at most 7");
    expect(screen.getByTestId("wizard-why").textContent).toMatch(/Why it matters/);

    // The facts beside it: both folders with their languages, the declared commands, the branch.
    const facts = screen.getByTestId("wizard-facts");
    expect(within(facts).getByTestId("facts-folders").textContent).toMatch(/api\/.*Rust[\s\S]*web\/.*JavaScript/);
    expect(within(facts).getByTestId("facts-commands").textContent).toContain("cd web && npm test");
    expect(within(facts).getByTestId("facts-branch").textContent).toBe("main");
    expect(within(facts).queryByTestId("facts-partial")).toBeNull();

    // A text question: focus on its field, its default filled in; Enter takes it.
    const answer = within(q).getByTestId("wizard-answer-input") as HTMLTextAreaElement;
    expect(document.activeElement).toBe(answer);
    expect(answer.value).toMatch(/existing tests still pass/);
    expect(within(q).queryByTestId("wizard-back")).toBeNull();
    await press("Enter");

    // The folders question names the repository's folders, the one with most files recommended.
    q = await asked("scope");
    expect(screen.getByTestId("wizard-progress").textContent).toBe("Question 2 of at most 7");
    expect(labels(q)).toEqual(["api", "web"]);
    expect(within(q).getByTestId("wizard-recommended").closest("button")?.dataset.label).toBe("api");
    expect(chosen(q)).toEqual(["api"]);
    expect(document.activeElement?.getAttribute("data-label")).toBe("api");

    // Alt+← goes back to the first question; Enter comes again.
    await press("ArrowLeft", { altKey: true });
    q = await asked("done");
    await press("Enter");
    q = await asked("scope");

    // Number keys toggle the options of a several-choice question.
    await press("2");
    expect(chosen(q)).toEqual(["api", "web"]);
    expect(document.activeElement?.getAttribute("data-label")).toBe("web");
    await press("Enter");

    q = await asked("risks");
    expect(chosen(q)).toEqual(["Public interfaces"]);
    await press("Enter");

    // The checks offered are the commands the manifests declare.
    q = await asked("verify");
    expect(labels(q)).toEqual(["cd api && cargo test", "cd web && npm test", "No automated check"]);
    await press("2");
    expect(chosen(q)).toEqual(["cd web && npm test"]);
    await press("Enter");

    // A number question: a wrong answer is refused by the engine, shown under the field.
    q = await asked("parallelism");
    const n = within(q).getByTestId("wizard-answer-input") as HTMLInputElement;
    expect(document.activeElement).toBe(n);
    await fireEvent.input(n, { target: { value: "99" } });
    await press("Enter");
    const refused = await within(q).findByTestId("wizard-error");
    expect(refused.textContent).toMatch(/20/);
    await fireEvent.input(n, { target: { value: "2" } });
    await press("Enter");

    q = await asked("review");
    await press("2"); // Codex
    await press("Enter");
    q = await asked("merge");
    await press("Enter");

    // The plan: cards and the graph preview of its five tasks.
    const plan = await screen.findByTestId("wizard-plan", undefined, { timeout: 5_000 });
    const taskNames = () => within(plan).getAllByTestId("plan-task").map((t) => t.dataset.name);
    expect(taskNames()).toEqual(["spec", "implement-api", "implement-web", "review-api", "review-web"]);
    await waitFor(() => expect(within(plan).getAllByTestId("task-node")).toHaveLength(5));
    const reviewer = within(plan)
      .getAllByTestId("plan-agent")
      .find((a) => a.dataset.role === "reviewer")!;
    expect((within(reviewer).getByTestId("plan-agent-cli") as HTMLSelectElement).value).toBe("codex");

    // Removing a task others wait for: the engine names the field that still does, shown there.
    const card = (name: string) => within(plan).getAllByTestId("plan-task").find((t) => t.dataset.name === name)!;
    await fireEvent.click(within(card("implement-web")).getByTestId("plan-task-remove"));
    const fault = await within(card("review-web")).findByTestId("plan-error");
    expect(fault.dataset.field).toBe("tasks[3].after");
    expect(fault.textContent).toMatch(/unknown task "implement-web"/);
    expect(within(card("review-web")).getByTestId("plan-task-after").getAttribute("aria-invalid")).toBe("true");
    // The engine kept its plan: the edit was refused.
    expect((await d.backend.wizardGet(wizardId!)).plan!.tasks).toHaveLength(5);

    await fireEvent.click(within(card("review-web")).getByTestId("plan-task-remove"));
    await waitFor(() => expect(within(plan).queryByTestId("plan-error")).toBeNull());
    await fireEvent.change(within(reviewer).getByTestId("plan-agent-cli"), { target: { value: "claude" } });
    await waitFor(async () => {
      const stored = (await d.backend.wizardGet(wizardId!)).plan!;
      expect(stored.tasks.map((t) => t.name)).toEqual(["spec", "implement-api", "review-api"]);
      expect(stored.agents.find((a) => a.role === "reviewer")!.cli).toBe("claude");
    });
    expect(taskNames()).toEqual(["spec", "implement-api", "review-api"]);

    // Launch without the coordinator: the tasks are the session's, and its Tasks view shows.
    await fireEvent.click(within(plan).getByTestId("plan-run"));
    await waitFor(() => expect(within(plan).getByTestId("plan-launch").textContent).toMatch(/^\s*Launch\s*$/));
    await fireEvent.click(within(plan).getByTestId("plan-launch"));
    await waitFor(() => expect(router.current).toEqual(sessionRoute(session.id, { pane: "tasks" })), { timeout: 5_000 });
    const tasks = await d.backend.taskList({ session: session.id });
    expect(tasks.map((t) => t.name).sort()).toEqual(["implement-api", "review-api", "spec"]);
    expect(tasks.find((t) => t.name === "review-api")!.cli).toBe("claude");
    const context = await d.backend.contextExport(session.id);
    expect(context.decisions.map((x) => x.answer)).toContain("cd web && npm test");
  });

  it("lists the session's drafts to resume or discard, and saves a plan as a template", async () => {
    const session = await shop();
    const first: Wizard = await d.backend.wizardStart({ session: session.id, goal: "first goal", engine: null });
    const second: Wizard = await d.backend.wizardStart({ session: session.id, goal: "second goal", engine: null });
    await newWork(session);
    const drafts = await screen.findByTestId("wizard-drafts");
    const rows = () => within(drafts).queryAllByTestId("wizard-draft");
    expect(rows().map((r) => r.dataset.wizardId)).toEqual([second.id, first.id]);
    expect(rows()[0]!.textContent).toMatch(/second goal.*question 1 of at most 7/);

    await fireEvent.click(within(rows()[1]!).getByTestId("wizard-draft-discard"));
    await waitFor(() => expect(rows().map((r) => r.dataset.wizardId)).toEqual([second.id]));
    expect((await d.backend.wizardGet(first.id)).state).toBe("discarded");

    // Resumed where it was: answer everything (the recommended answers), then save the plan.
    await fireEvent.click(within(rows()[0]!).getByTestId("wizard-draft-resume"));
    await asked("done");
    for (let i = 0; i < 8 && !screen.queryByTestId("wizard-plan"); i++) {
      const before = screen.getByTestId("wizard-question").dataset.questionId;
      await press("Enter");
      await waitFor(() => expect(screen.queryByTestId("wizard-question")?.dataset.questionId).not.toBe(before), { timeout: 5_000 });
    }
    const plan = await screen.findByTestId("wizard-plan");
    const name = d.unique("discounts");
    await fireEvent.input(within(plan).getByTestId("plan-pattern-name"), { target: { value: name } });
    await fireEvent.click(within(plan).getByTestId("plan-save-pattern"));
    expect((await within(plan).findByTestId("plan-saved")).textContent).toContain(`baton pattern run ${name}`);
    expect((await d.backend.patternList()).map((p) => p.name)).toContain(name);
    // The same name again: the engine's refusal, shown by the buttons.
    await fireEvent.input(within(plan).getByTestId("plan-pattern-name"), { target: { value: name } });
    await fireEvent.click(within(plan).getByTestId("plan-save-pattern"));
    expect((await within(plan).findByTestId("wizard-error")).textContent).toMatch(/exists; choose another name/);
  });

  // Last: the daemon of this file is another one after it.
  it("comes back to a draft at its question after a daemon restart", async () => {
    const session = await shop();
    const w = await d.backend.wizardStart({ session: session.id, goal: "outlive a restart", engine: null });
    await d.backend.wizardAnswer(w.id, { answers: [] });
    await d.backend.wizardAnswer(w.id, { answers: ["web"] });
    await d.daemon.restart();
    const backend = new HttpBackend({ url: d.daemon.url, token: d.daemon.token });

    router.go(sessionRoute(session.id, { wizard: { wizardId: w.id } }));
    render(SessionView, { backend, sessionId: session.id });
    const q = await asked("risks");
    expect(screen.getByTestId("wizard-progress").textContent).toBe("Question 3 of at most 7");
    expect(screen.getByTestId("wizard-goal-text").textContent).toBe("outlive a restart");
    // Back goes to the answer given before the restart.
    await fireEvent.click(within(q).getByTestId("wizard-back"));
    await asked("scope");
    expect((await backend.wizardGet(w.id)).answers.map((a) => a.question)).toEqual(["done"]);
  });
});
