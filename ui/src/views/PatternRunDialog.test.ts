import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Task } from "../bindings/Task";
import { sessionMake, useDaemon } from "../test/daemon";
import PatternRunDialog from "./PatternRunDialog.svelte";

const d = useDaemon();

/** A user's own pattern, as a file in the daemon's home, next to the built-in tri-agent one. */
const TRY_OR_FIX = `name = "try-or-fix"
description = "Try a change; if it fails, a fixer takes over"

[roles.fixer]
cli = "codex"

[[tasks]]
name = "try"
title = "Try: {goal}"
prompt = "Try {goal}"

[[tasks]]
name = "fix"
title = "Fix: {goal}"
prompt = "Fix {goal}"
role = "fixer"
if_failed = ["try"]
`;

beforeAll(() => {
  const dir = join(d.daemon.home, "templates");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "try-or-fix.toml"), TRY_OR_FIX);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function setup() {
  const name = d.unique("pay");
  const s = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name);
  const onRan = vi.fn<(tasks: Task[]) => void>();
  const onClose = vi.fn();
  render(PatternRunDialog, { backend: d.backend, session: s, onRan, onClose });
  return { session: s, onRan, onClose };
}

describe("PatternRunDialog", () => {
  it("describes the chosen pattern and runs it for the goal", async () => {
    const { session, onRan, onClose } = await setup();
    await screen.findByTestId("pattern-tasks");
    // The daemon lists the user's own patterns before the built-in ones; the first is chosen.
    const select = screen.getByTestId("pattern-select") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual([
      "try-or-fix",
      "tri-agent",
      "research-synthesis",
      "pipeline",
      "hierarchical",
      "consensus",
      "best-of-n",
    ]);
    await fireEvent.change(select, { target: { value: "tri-agent" } });
    expect(screen.getByTestId("pattern-tasks").textContent).toBe("spec → implement → review");
    expect(screen.getByTestId("pattern-description").textContent).toContain("Architect writes a spec");

    await fireEvent.change(screen.getByTestId("pattern-select"), { target: { value: "try-or-fix" } });
    expect(screen.getByTestId("pattern-description").textContent).toBe("Try a change; if it fails, a fixer takes over");
    expect(screen.getByTestId("pattern-tasks").textContent).toBe("try → fix");
    expect(screen.getByTestId("pattern-about").textContent).toContain("try-or-fix.toml");

    await fireEvent.input(screen.getByTestId("pattern-goal"), { target: { value: "  Bump the SDK " } });
    await fireEvent.click(screen.getByTestId("pattern-run"));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const tasks = onRan.mock.calls[0]![0];
    expect(tasks.map((t) => [t.name, t.title, t.state, t.cli])).toEqual([
      ["try", "Try: Bump the SDK", "ready", null],
      ["fix", "Fix: Bump the SDK", "pending", "codex"],
    ]);
    expect(tasks[1]!.deps).toEqual([{ taskId: tasks[0]!.id, kind: "if_failed", holds: "waiting" }]);
    expect(await d.backend.taskList({ session: session.id })).toHaveLength(2);
  });

  it("refuses an empty goal inline, without asking the daemon", async () => {
    const run = vi.spyOn(d.backend, "patternRun");
    const { onRan, onClose } = await setup();
    await screen.findByTestId("pattern-select");
    await fireEvent.click(screen.getByTestId("pattern-run"));
    const error = await screen.findByTestId("pattern-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("The goal is empty");
    expect(run).not.toHaveBeenCalled();
    expect(onRan).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });

  it("draws the chosen pattern's graph, with the fan-out count asked for, and runs it so", async () => {
    const show = vi.spyOn(d.backend, "patternShow");
    const { session, onRan } = await setup();
    await screen.findByTestId("pattern-select");
    await fireEvent.change(screen.getByTestId("pattern-select"), { target: { value: "best-of-n" } });
    await waitFor(() => expect(screen.getAllByTestId("task-node").map((n) => n.dataset.taskName)).toEqual(["implement ×3", "select"]));
    const nodes = screen.getAllByTestId("task-node");
    expect(nodes[0]!.textContent).toContain("3 agents in parallel (claude, codex, gemini)");
    expect(nodes[1]!.textContent).toContain("check `make test`, then judge: judge");
    await fireEvent.input(screen.getByTestId("pattern-count"), { target: { value: "5" } });
    await waitFor(() => expect(screen.getAllByTestId("task-node")[0]!.dataset.taskName).toBe("implement ×5"));
    expect(show).toHaveBeenLastCalledWith("best-of-n", { set: "count=5" });
    await fireEvent.input(screen.getByTestId("pattern-goal"), { target: { value: "Greet" } });
    await fireEvent.click(screen.getByTestId("pattern-run"));
    await waitFor(() => expect(onRan).toHaveBeenCalled());
    const names = onRan.mock.calls[0]![0].map((t) => t.name);
    expect(names).toEqual(["implement-1", "implement-2", "implement-3", "implement-4", "implement-5", "select"]);
    const status = await d.backend.sessionStatus(session.id);
    expect(status.objectives.map((o) => o.text)).toContain("Greet (best-of-n)");
  });

  it("lists a broken template with its error; the others still run", async () => {
    const broken = join(d.daemon.home, "templates", "mine.toml");
    writeFileSync(broken, 'name = "mine"\n\n[[tasks]]\nname = "a"\ntitle = "A"\nprompt = "a"\nafterr = []\n');
    await setup();
    const select = (await screen.findByTestId("pattern-select")) as HTMLSelectElement;
    expect([...select.options].find((o) => o.value === "mine")!.textContent).toBe("mine (broken)");
    await fireEvent.change(select, { target: { value: "mine" } });
    const error = await screen.findByTestId("pattern-broken");
    expect(error.textContent).toContain("mine.toml");
    expect(error.textContent).toContain("afterr");
    expect((screen.getByTestId("pattern-run") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.change(select, { target: { value: "tri-agent" } });
    expect((await screen.findByTestId("pattern-tasks")).textContent).toBe("spec → implement → review");
    expect((screen.getByTestId("pattern-run") as HTMLButtonElement).disabled).toBe(false);
    rmSync(broken);
  });
});
