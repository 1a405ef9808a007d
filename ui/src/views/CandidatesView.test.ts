import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { bestOfRun, sessionMake, useDaemon } from "../test/daemon";
import CandidatesView from "./CandidatesView.svelte";

const d = useDaemon({ fakeClaude: true });

describe("CandidatesView", () => {
  it("shows each candidate's check, diff and score, the winner and why; the user picks another", async () => {
    const name = d.unique("best");
    const s = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name);
    const pick = await bestOfRun(d.daemon, s.id);
    expect(pick.state).toBe("done");
    const onClose = vi.fn();
    render(CandidatesView, { backend: d.backend, task: await d.backend.taskGet(pick.id), onClose });

    expect((await screen.findByTestId("candidates-winner")).textContent).toBe("impl-3");
    expect(screen.getByTestId("candidates-reasons").textContent).toContain("impl-3 names its test");
    const cards = screen.getAllByTestId("candidate");
    expect(cards.map((c) => [c.dataset.name, c.dataset.passed, c.dataset.chosen])).toEqual([
      ["impl-1", "true", "false"],
      ["impl-2", "false", "false"],
      ["impl-3", "true", "true"],
    ]);
    const failed = within(cards[1]!);
    expect(failed.getByTestId("candidate-check").textContent).toContain("exit 1");
    expect(failed.getByTestId("candidate-output").textContent).toContain("greeting test broke");
    expect(within(cards[2]!).getByTestId("candidate-score").textContent).toContain("9");
    expect(within(cards[0]!).getByTestId("candidate-diff").textContent).toContain("work-1.txt");

    await fireEvent.click(within(cards[0]!).getByTestId("candidate-pick"));
    await waitFor(() => expect(screen.getByTestId("candidates-winner").textContent).toBe("impl-1"));
    expect(screen.getByTestId("candidates-summary").textContent).toContain("(user)");
    const task = await d.backend.taskGet(pick.id);
    expect(task.outcome).toContain("impl-1 chosen (user)");
  });
});
