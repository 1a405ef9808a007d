import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { Task } from "../bindings/Task";
import { FakeBackend } from "../lib/fakeBackend";
import { TRI_AGENT, type FakePattern } from "../lib/fakeTasks";
import PatternRunDialog from "./PatternRunDialog.svelte";
import { session } from "./fixtures";

const TRY_OR_FIX: FakePattern = {
  name: "try-or-fix",
  description: "Try a change; if it fails, a fixer takes over",
  source: "/home/dev/.baton/templates/try-or-fix.toml",
  roles: { fixer: { cli: "codex", model: null, prompt: null } },
  tasks: [
    { name: "try", title: "Try: {goal}", prompt: "Try {goal}", role: null },
    { name: "fix", title: "Fix: {goal}", prompt: "Fix {goal}", role: "fixer", ifFailed: ["try"] },
  ],
};

function setup() {
  const s = session("s1", "pay");
  const backend = new FakeBackend({ sessions: [s], patterns: [TRI_AGENT, TRY_OR_FIX] });
  const onRan = vi.fn<(tasks: Task[]) => void>();
  const onClose = vi.fn();
  render(PatternRunDialog, { backend, session: s, onRan, onClose });
  return { backend, onRan, onClose };
}

describe("PatternRunDialog", () => {
  it("describes the chosen pattern and runs it for the goal", async () => {
    const { backend, onRan, onClose } = setup();
    expect((await screen.findByTestId("pattern-tasks")).textContent).toBe("spec → implement → review");

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
    expect(tasks[1]!.deps).toEqual([{ taskId: tasks[0]!.id, kind: "if_failed" }]);
    expect(await backend.taskList("s1")).toHaveLength(2);
  });

  it("refuses an empty goal inline, without asking the daemon", async () => {
    const { backend, onRan, onClose } = setup();
    const run = vi.spyOn(backend, "patternRun");
    await screen.findByTestId("pattern-select");
    await fireEvent.click(screen.getByTestId("pattern-run"));
    const error = await screen.findByTestId("pattern-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("The goal is empty");
    expect(run).not.toHaveBeenCalled();
    expect(onRan).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });

  it("shows why the patterns cannot be listed, and retries", async () => {
    const s = session("s1", "pay");
    const backend = new FakeBackend({ sessions: [s] });
    const list = vi.spyOn(backend, "patternList").mockRejectedValueOnce({
      code: "invalid_input",
      message: "/home/dev/.baton/templates/mine.toml, line 7, column 1: unknown field `afterr`",
    });
    render(PatternRunDialog, { backend, session: s, onRan: () => {}, onClose: () => {} });
    expect((await screen.findByTestId("pattern-list-error")).textContent).toContain("unknown field");
    expect((screen.getByTestId("pattern-run") as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getByText("Retry"));
    expect((await screen.findByTestId("pattern-tasks")).textContent).toBe("spec → implement → review");
    expect(list).toHaveBeenCalledTimes(2);
  });
});
