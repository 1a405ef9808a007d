import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { agentEnded, agentUntil, commandSpawn, sessionMake, useDaemon } from "../test/daemon";
import TerminalView from "./TerminalView.svelte";

const d = useDaemon();

afterEach(() => {
  document.documentElement.style.removeProperty("--surface");
  delete document.documentElement.dataset.scheme;
});

/** A shell open in the worktree of a new agent (whose own program is done at once). */
async function shellOpen() {
  const name = d.unique("term");
  const session = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name);
  const spawned = await commandSpawn(d.daemon.api, session.id, ["true"]);
  const agent = await agentUntil(d.daemon.api, spawned.id, agentEnded);
  const terminal = await d.backend.terminalOpen({ agent: agent.id, cols: 80, rows: 24 });
  // A prompt of our own, so the screen is predictable.
  await d.backend.terminalInput(terminal.id, { data: "PS1='$ '\r" });
  return terminal;
}

/** The screen's rows, one string each. */
function rows(): string[] {
  const host = screen.getByTestId("terminal-view");
  return Array.from(host.querySelectorAll(".xterm-rows > div"), (row) => row.textContent ?? "");
}

/** Types into the terminal as the keyboard does: xterm reads keypresses from its hidden textarea. */
async function type(text: string): Promise<void> {
  const input = screen.getByTestId("terminal-view").querySelector("textarea")!;
  for (const ch of text) {
    if (ch === "\r") await fireEvent.keyDown(input, { key: "Enter", keyCode: 13 });
    else await fireEvent.keyPress(input, { key: ch, charCode: ch.charCodeAt(0), keyCode: ch.charCodeAt(0) });
  }
}

describe("TerminalView", () => {
  it("shows a shell's output and sends it what is typed", async () => {
    const terminal = await shellOpen();
    render(TerminalView, { backend: d.backend, terminalId: terminal.id, label: "shell" });
    await type("echo typed-$((6*7))\r");
    await waitFor(() => expect(rows()).toContain("typed-42"));
    // Focus is in the terminal, so the keyboard goes on working there.
    expect(document.activeElement).toBe(screen.getByTestId("terminal-view").querySelector("textarea"));
  });

  it("draws a progress bar in place, on one line", async () => {
    const terminal = await shellOpen();
    render(TerminalView, { backend: d.backend, terminalId: terminal.id, label: "shell" });
    await d.backend.terminalInput(terminal.id, {
      data: "for i in 1 2 3 4; do printf '\\r[%-4s] %d%%' $(printf '#%.0s' $(seq $i)) $((i*25)); done; echo\r",
    });
    await waitFor(() => expect(rows()).toContain("[####] 100%"));
    // Each step overwrote the one before: one line holds the bar, as it ended.
    expect(rows().filter((row) => row.startsWith("["))).toEqual(["[####] 100%"]);
  });

  it("says when the program has ended, and how", async () => {
    const terminal = await shellOpen();
    render(TerminalView, { backend: d.backend, terminalId: terminal.id, label: "shell" });
    await d.backend.terminalInput(terminal.id, { data: "exit 4\r" });
    expect((await screen.findByTestId("terminal-exit")).textContent).toBe("The program exited with code 4.");
  });

  it("replays recorded output without a live terminal", async () => {
    render(TerminalView, { backend: d.backend, terminalId: null, replay: "first\r\n\x1b[31msecond\x1b[0m\r\n", label: "log" });
    await waitFor(() => expect(rows().slice(0, 2)).toEqual(["first", "second"]));
  });

  it("takes its colours from the theme, and follows a change of theme", async () => {
    document.documentElement.style.setProperty("--surface", "#fdfdfd");
    render(TerminalView, { backend: d.backend, terminalId: null, replay: "x", label: "log" });
    // xterm paints its background on its scrolling element.
    const background = () =>
      screen.getByTestId("terminal-view").querySelector<HTMLElement>(".xterm-scrollable-element")!.style.backgroundColor;
    await waitFor(() => expect(background()).toMatch(/#fdfdfd|rgb\(253, 253, 253\)/));
    document.documentElement.style.setProperty("--surface", "#151b23");
    document.documentElement.dataset.scheme = "dark";
    await waitFor(() => expect(background()).toMatch(/#151b23|rgb\(21, 27, 35\)/));
  });

  it("says so when the terminal is gone", async () => {
    render(TerminalView, { backend: d.backend, terminalId: "term_nosuchthing", label: "shell" });
    expect((await screen.findByTestId("terminal-error")).textContent).toMatch(/daemon/i);
  });
});
