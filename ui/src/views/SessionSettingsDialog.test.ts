import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import { daemonUnreachable, sessionChange } from "../lib/backend";
import { sessionMake, useDaemon } from "../test/daemon";
import SessionSettingsDialog from "./SessionSettingsDialog.svelte";

const d = useDaemon();

/** The dialog on a new session "pay…" whose settings were set to `settings` through the daemon. */
async function setup(settings: Partial<Session["settings"]> = {}) {
  const name = d.unique("pay");
  const s = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name, Object.keys(settings).length > 0 ? settings : undefined);
  const backend = d.backend;
  const update = vi.spyOn(backend, "sessionUpdate");
  const onSaved = vi.fn<(s: Session) => void>();
  const onClose = vi.fn();
  render(SessionSettingsDialog, { backend, session: s, onSaved, onClose });
  return { backend, session: s, update, onSaved, onClose };
}

/** A session's settings as the daemon has them for a new session, with `overrides`. */
function settingsOf(overrides: Partial<Session["settings"]>): Session["settings"] {
  return {
    allowTools: [],
    branchPattern: null,
    setupCommand: null,
    maxAgents: null,
    defaultCli: null,
    autoMerge: false,
    cycleSecs: null,
    stallSecs: null,
    ...overrides,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

const branchInput = () => screen.getByTestId("settings-branch-pattern") as HTMLInputElement;
const setupInput = () => screen.getByTestId("settings-setup-command") as HTMLInputElement;

async function type(input: HTMLInputElement, value: string): Promise<void> {
  await fireEvent.input(input, { target: { value } });
}

describe("SessionSettingsDialog", () => {
  it("is filled with the session's settings, with the defaults as placeholders", async () => {
    const { session } = await setup({ branchPattern: "agents/{session}-{agent}", setupCommand: "npm ci" });
    expect(branchInput().value).toBe("agents/{session}-{agent}");
    expect(setupInput().value).toBe("npm ci");
    expect(screen.getByTestId("session-settings-dialog").textContent).toContain(`Settings of ${session.name}`);
  });

  it("shows empty fields for unset settings, the default pattern as placeholder", async () => {
    await setup();
    expect(branchInput().value).toBe("");
    expect(branchInput().placeholder).toBe("baton/{session}/{agent}");
    expect(setupInput().value).toBe("");
    expect(setupInput().placeholder).toBe("e.g. npm ci");
  });

  it("saves what changed: a new command, and an emptied pattern as \"\" (which clears it)", async () => {
    const { backend, session, update, onSaved, onClose } = await setup({ branchPattern: "agents/{agent}", setupCommand: "npm ci" });

    await type(branchInput(), "  ");
    await type(setupInput(), " pnpm install ");
    await fireEvent.click(screen.getByTestId("settings-save"));

    expect(update).toHaveBeenCalledExactlyOnceWith(session.id, sessionChange({ branchPattern: "", setupCommand: "pnpm install" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const saved = onSaved.mock.calls[0]![0];
    expect(saved.settings).toEqual(settingsOf({ setupCommand: "pnpm install" }));
    expect((await backend.sessionGet(session.id)).settings).toEqual(saved.settings);
  });

  it("leaves a field that was not touched as it is (null), so another client's change stands", async () => {
    const { session, update, onClose } = await setup({ branchPattern: "agents/{agent}" });

    await type(setupInput(), "make deps");
    await fireEvent.submit(setupInput().form!);

    expect(update).toHaveBeenCalledExactlyOnceWith(session.id, { name: null, archived: null, branchPattern: null, setupCommand: "make deps", maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it("closes without a call when nothing changed", async () => {
    const { update, onSaved, onClose } = await setup({ setupCommand: "npm ci" });
    await type(setupInput(), "npm ci ");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect(onClose).toHaveBeenCalled();
    expect(update).not.toHaveBeenCalled();
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("shows the daemon's error in the dialog and keeps the input, then saves on retry", async () => {
    const { update, onSaved, onClose } = await setup();
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
    const { update, onClose } = await setup();
    await type(setupInput(), "npm ci");
    await fireEvent.click(screen.getByTestId("settings-cancel"));
    expect(onClose).toHaveBeenCalled();
    expect(update).not.toHaveBeenCalled();
  });

  it("shows the coordinator's settings, defaults as placeholders, and saves only the ones changed", async () => {
    const { session, update, onSaved, onClose } = await setup({ maxAgents: 2, defaultCli: "codex" });
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
      session.id,
      sessionChange({ maxAgents: 4, stallSecs: 120, defaultCli: "gemini", autoMerge: true }),
    );
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(onSaved.mock.calls[0]![0].settings).toEqual(
      settingsOf({ maxAgents: 4, stallSecs: 120, defaultCli: "gemini", autoMerge: true }),
    );
  });

  it("refuses a number that is not a whole number of at least 1, naming the field", async () => {
    const { update, onClose } = await setup();
    const cycle = screen.getByTestId("settings-cycleSecs") as HTMLInputElement;
    await type(cycle, "0.5");
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect((await screen.findByTestId("settings-error")).textContent).toBe('Cycle: give a whole number of at least 1 (not "0.5").');
    expect(cycle.getAttribute("aria-invalid")).toBe("true");
    expect(update).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });
});
