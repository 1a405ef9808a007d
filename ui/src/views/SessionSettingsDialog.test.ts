import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import { daemonUnreachable, sessionChange } from "../lib/backend";
import { FakeBackend } from "../lib/fakeBackend";
import SessionSettingsDialog from "./SessionSettingsDialog.svelte";
import { session, settings as fixtureSettings } from "./fixtures";

function setup(settings: Partial<Session["settings"]> = {}) {
  const s = session("s1", "pay", { settings: fixtureSettings(settings) });
  const backend = new FakeBackend({ sessions: [s] });
  const update = vi.spyOn(backend, "sessionUpdate");
  const onSaved = vi.fn<(s: Session) => void>();
  const onClose = vi.fn();
  render(SessionSettingsDialog, { backend, session: s, onSaved, onClose });
  return { backend, update, onSaved, onClose };
}

const branchInput = () => screen.getByTestId("settings-branch-pattern") as HTMLInputElement;
const setupInput = () => screen.getByTestId("settings-setup-command") as HTMLInputElement;

async function type(input: HTMLInputElement, value: string): Promise<void> {
  await fireEvent.input(input, { target: { value } });
}

describe("SessionSettingsDialog", () => {
  it("is filled with the session's settings, with the defaults as placeholders", () => {
    setup({ branchPattern: "agents/{session}-{agent}", setupCommand: "npm ci" });
    expect(branchInput().value).toBe("agents/{session}-{agent}");
    expect(setupInput().value).toBe("npm ci");
    expect(screen.getByTestId("session-settings-dialog").textContent).toContain("Settings of pay");
  });

  it("shows empty fields for unset settings, the default pattern as placeholder", () => {
    setup();
    expect(branchInput().value).toBe("");
    expect(branchInput().placeholder).toBe("baton/{session}/{agent}");
    expect(setupInput().value).toBe("");
    expect(setupInput().placeholder).toBe("e.g. npm ci");
  });

  it("saves what changed: a new command, and an emptied pattern as \"\" (which clears it)", async () => {
    const { backend, update, onSaved, onClose } = setup({ branchPattern: "agents/{agent}", setupCommand: "npm ci" });

    await type(branchInput(), "  ");
    await type(setupInput(), " pnpm install ");
    await fireEvent.click(screen.getByTestId("settings-save"));

    expect(update).toHaveBeenCalledExactlyOnceWith("s1", sessionChange({ branchPattern: "", setupCommand: "pnpm install" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const saved = onSaved.mock.calls[0]![0];
    expect(saved.settings).toEqual(fixtureSettings({ setupCommand: "pnpm install" }));
    expect((await backend.sessionGet("s1")).settings).toEqual(saved.settings);
  });

  it("leaves a field that was not touched as it is (null), so another client's change stands", async () => {
    const { update, onClose } = setup({ branchPattern: "agents/{agent}" });

    await type(setupInput(), "make deps");
    await fireEvent.submit(setupInput().form!);

    expect(update).toHaveBeenCalledExactlyOnceWith("s1", { name: null, archived: null, branchPattern: null, setupCommand: "make deps", maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it("closes without a call when nothing changed", async () => {
    const { update, onSaved, onClose } = setup({ setupCommand: "npm ci" });
    await type(setupInput(), "npm ci ");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect(onClose).toHaveBeenCalled();
    expect(update).not.toHaveBeenCalled();
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("shows the daemon's error in the dialog and keeps the input, then saves on retry", async () => {
    const { update, onSaved, onClose } = setup();
    update.mockRejectedValueOnce(daemonUnreachable("http://127.0.0.1:4321"));

    await type(setupInput(), "npm ci");
    await fireEvent.click(screen.getByTestId("settings-save"));

    const error = await screen.findByTestId("settings-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("The Baton daemon is not answering at http://127.0.0.1:4321");
    expect(error.querySelector("code")!.textContent).toBe("baton daemon");
    expect(setupInput().value).toBe("npm ci");
    expect(onClose).not.toHaveBeenCalled();
    expect(onSaved).not.toHaveBeenCalled();
    expect((screen.getByTestId("settings-save") as HTMLButtonElement).disabled).toBe(false);

    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(onSaved.mock.calls[0]![0].settings.setupCommand).toBe("npm ci");
  });

  it("cancels without saving", async () => {
    const { update, onClose } = setup();
    await type(setupInput(), "npm ci");
    await fireEvent.click(screen.getByTestId("settings-cancel"));
    expect(onClose).toHaveBeenCalled();
    expect(update).not.toHaveBeenCalled();
  });

  it("shows the coordinator's settings, defaults as placeholders, and saves only the ones changed", async () => {
    const { update, onSaved, onClose } = setup({ maxAgents: 2, defaultCli: "codex" });
    const field = (name: string) => screen.getByTestId(`settings-${name}`) as HTMLInputElement;
    expect(field("maxAgents").value).toBe("2");
    expect(field("cycleSecs").value).toBe("");
    expect(field("cycleSecs").placeholder).toBe("3");
    expect(field("stallSecs").placeholder).toBe("300");
    expect((screen.getByTestId("settings-defaultCli") as HTMLSelectElement).value).toBe("codex");
    expect(field("autoMerge").checked).toBe(false);

    await type(field("maxAgents"), "4");
    await type(field("stallSecs"), " 120 ");
    await fireEvent.change(screen.getByTestId("settings-defaultCli"), { target: { value: "gemini" } });
    await fireEvent.click(field("autoMerge"));
    await fireEvent.click(screen.getByTestId("settings-save"));

    expect(update).toHaveBeenCalledExactlyOnceWith(
      "s1",
      sessionChange({ maxAgents: 4, stallSecs: 120, defaultCli: "gemini", autoMerge: true }),
    );
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(onSaved.mock.calls[0]![0].settings).toEqual(
      fixtureSettings({ maxAgents: 4, stallSecs: 120, defaultCli: "gemini", autoMerge: true }),
    );
  });

  it("refuses a number that is not a whole number of at least 1, naming the field", async () => {
    const { update, onClose } = setup();
    const cycle = screen.getByTestId("settings-cycleSecs") as HTMLInputElement;
    await type(cycle, "0.5");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect((await screen.findByTestId("settings-error")).textContent).toBe('Cycle: give a whole number of at least 1 (not "0.5").');
    expect(cycle.getAttribute("aria-invalid")).toBe("true");
    expect(update).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });
});
