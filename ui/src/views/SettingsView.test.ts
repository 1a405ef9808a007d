import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useDaemon } from "../test/daemon";
import SettingsView from "./SettingsView.svelte";

// Editors the daemon finds on its PATH: Zed, Neovim, and a terminal emulator for Neovim.
const editorsDir = mkdtempSync(join(tmpdir(), "baton-editors-"));
for (const name of ["zed", "nvim", "xterm"]) {
  writeFileSync(join(editorsDir, name), "#!/bin/sh\nexit 0\n");
  chmodSync(join(editorsDir, name), 0o755);
}

afterAll(() => rmSync(editorsDir, { recursive: true, force: true }));

// Settings are the whole home's: a daemon of its own for each test.
const d = useDaemon({ perTest: true, env: { PATH: `${editorsDir}:${process.env.PATH}` } });

const byId = <T extends HTMLElement>(id: string) => screen.getByTestId(id) as T;

/** settings.json as the daemon wrote it. */
function file(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(d.daemon.home, "settings.json"), "utf8"));
}

/** An executable script in the daemon's temporary folder. */
function script(name: string, body: string): string {
  const path = join(d.daemon.home, "..", name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Types `value` into a text field and leaves it (which saves it). */
async function enter(id: string, value: string): Promise<void> {
  const input = byId<HTMLInputElement>(id);
  await fireEvent.input(input, { target: { value } });
  await fireEvent.change(input);
}

async function shown(): Promise<void> {
  render(SettingsView, { backend: d.backend });
  await screen.findByTestId("settings-claude-binary");
}

describe("SettingsView", () => {
  it("shows the file it writes, and each CLI as the daemon finds it, with what to do when missing", async () => {
    await shown();
    expect(byId("settings-path").textContent).toBe(join(d.daemon.home, "settings.json"));
    await waitFor(() => expect(byId("settings-codex-detected").textContent).toMatch(/codex/));
    const codex = byId("settings-codex-detected").textContent ?? "";
    // Whatever this machine has: found with its path, or missing with the install command.
    expect(codex.includes("✓") || codex.includes("npm install -g @openai/codex")).toBe(true);
  });

  it("saves a CLI's program, detects it (path and version), and the daemon spawns with it", async () => {
    const fake = script("my-claude", 'echo "9.9.9 (Claude Code, fake)"');
    await shown();
    await enter("settings-claude-binary", fake);

    await waitFor(() => expect(byId("settings-claude-version").textContent).toBe("9.9.9 (Claude Code, fake)"));
    expect(byId("settings-claude-detected").textContent).toContain(fake);
    expect(file()).toEqual({ clis: { claude: { binary: fake } } });
    expect(screen.getByTestId("settings-saved-claude.binary").textContent).toBe("Saved");

    // Emptied: back to the one on PATH, and nothing left in the file.
    await enter("settings-claude-binary", "  ");
    await waitFor(() => expect(file()).toEqual({}));
  });

  it("saves arguments and environment, keeping the other CLIs' settings as written", async () => {
    writeFileSync(join(d.daemon.home, "settings.json"), JSON.stringify({ clis: { gemini: { env: { KEEP: "me" } } } }));
    await shown();
    await enter("settings-codex-args", `-c 'model="o3"' --verbose`);
    await waitFor(() => expect(file()).toMatchObject({ clis: { codex: { args: ["-c", 'model="o3"', "--verbose"] } } }));

    await enter("settings-codex-env", "A=1\nB=two words");
    await waitFor(() => expect(file()).toMatchObject({ clis: { codex: { env: { A: "1", B: "two words" } } } }));
    // A variable taken out of the list is removed.
    await enter("settings-codex-env", "B=two words");
    await waitFor(() => expect((file() as { clis: { codex: { env: object } } }).clis.codex.env).toEqual({ B: "two words" }));
    expect(file()).toMatchObject({ clis: { gemini: { env: { KEEP: "me" } } } });
  });

  it("shows a refusal beside its field and changes nothing", async () => {
    writeFileSync(join(d.daemon.home, "settings.json"), JSON.stringify({ theme: "dark" }));
    await shown();
    const before = readFileSync(join(d.daemon.home, "settings.json"), "utf8");

    await enter("settings-retention", "-3");
    const error = await screen.findByTestId("settings-error-worktrees.retentionDays");
    expect(error.textContent).toContain("worktrees.retentionDays: must be a number, 0 or more");
    expect(byId("settings-retention").getAttribute("aria-invalid")).toBe("true");

    await enter("settings-claude-env", "NOT A VARIABLE");
    expect((await screen.findByTestId("settings-error-claude.env")).textContent).toContain("Line 1 is not NAME=value.");
    expect(readFileSync(join(d.daemon.home, "settings.json"), "utf8")).toBe(before);

    // Mended, the error goes.
    await enter("settings-retention", "0.5");
    await waitFor(() => expect(file()).toEqual({ theme: "dark", worktrees: { retentionDays: 0.5 } }));
    expect(screen.queryByTestId("settings-error-worktrees.retentionDays")).toBeNull();
  });

  it("applies a theme at once and saves it; notifications too", async () => {
    await shown();
    expect(document.documentElement.dataset.theme).toBe("system");
    await fireEvent.click(byId("settings-theme-dark"));
    expect(document.documentElement.dataset.theme).toBe("dark");
    await waitFor(() => expect(file()).toEqual({ theme: "dark" }));

    await fireEvent.click(byId("settings-notifications"));
    await waitFor(() => expect(file()).toEqual({ theme: "dark", notifications: { enabled: false } }));
    expect(byId<HTMLInputElement>("settings-notify-needsInput").closest("fieldset")?.disabled).toBe(true);
    await fireEvent.click(byId("settings-notifications"));
    await fireEvent.click(byId("settings-notify-alert"));
    await waitFor(() => expect(file()).toEqual({ theme: "dark", notifications: { enabled: true, alert: false } }));
    await fireEvent.click(byId("settings-close-to-tray"));
    await waitFor(() =>
      expect(file()).toEqual({ theme: "dark", notifications: { enabled: true, alert: false }, closeToTray: false }),
    );
  });

  it("saves start at login on and off", async () => {
    await shown();
    const box = byId<HTMLInputElement>("settings-start-at-login");
    expect(box.checked).toBe(false);
    // Outside the desktop app the app's next start writes the login entry; the view says so.
    expect(screen.getByText("The desktop app applies this when it next starts.")).toBeTruthy();
    await fireEvent.click(box);
    await waitFor(() => expect(file()).toEqual({ startAtLogin: true }));
    expect(await screen.findByTestId("settings-saved-startAtLogin")).toBeTruthy();
    await fireEvent.click(box);
    await waitFor(() => expect(file()).toEqual({ startAtLogin: false }));
  });

  it("sets the editor to another command, with its arguments and in a terminal", async () => {
    await shown();
    const select = byId<HTMLSelectElement>("settings-editor");
    await waitFor(() => expect(select.options.length).toBeGreaterThanOrEqual(2));
    expect(select.value).toBe("");
    await fireEvent.change(select, { target: { value: "custom" } });
    await enter("settings-editor-program", "my-edit");
    await waitFor(() => expect(file()).toEqual({ editor: { program: "my-edit", args: [], terminal: false } }));
    await enter("settings-editor-args", "--wait");
    await fireEvent.click(byId("settings-editor-terminal"));
    await waitFor(() => expect(file()).toEqual({ editor: { program: "my-edit", args: ["--wait"], terminal: true } }));

    // Back to the first one found: the setting is removed.
    await fireEvent.change(byId("settings-editor"), { target: { value: "" } });
    await waitFor(() => expect(file()).toEqual({}));
  });

  it("offers the editors found, a terminal one in the terminal found, and saves the choice", async () => {
    await shown();
    const select = byId<HTMLSelectElement>("settings-editor");
    await waitFor(() => expect([...select.options].map((o) => o.textContent?.trim())).toContain("Zed — zed"));
    const labels = [...select.options].map((o) => o.textContent?.trim());
    expect(labels).toContain("Neovim (in a terminal) — nvim");
    expect(labels[0]).toMatch(/^The first one found \(now .+\)$/);

    await fireEvent.change(select, { target: { value: "nvim" } });
    await waitFor(() => expect(file()).toEqual({ editor: { program: "nvim", args: [], terminal: true } }));
  });

  it("shows a saved editor command with its arguments", async () => {
    writeFileSync(
      join(d.daemon.home, "settings.json"),
      JSON.stringify({ editor: { program: "my-edit", args: ["-n", "two words"], terminal: true } }),
    );
    await shown();
    await waitFor(() => expect(byId<HTMLSelectElement>("settings-editor").value).toBe("custom"));
    expect(byId<HTMLInputElement>("settings-editor-program").value).toBe("my-edit");
    expect(byId<HTMLInputElement>("settings-editor-args").value).toBe("-n 'two words'");
    expect(byId<HTMLInputElement>("settings-editor-terminal").checked).toBe(true);
  });

  it("names the line and field of a typo in the file, and shows the file again once it is fixed", async () => {
    const path = join(d.daemon.home, "settings.json");
    writeFileSync(path, '{\n  "clis": { "claude": { "binray": "/x" } }\n}\n');
    render(SettingsView, { backend: d.backend });
    const error = await screen.findByTestId("settings-load-error");
    expect(error.textContent).toContain("settings.json, line 2");
    expect(error.textContent).toContain("clis.claude.binray: unknown field binray");

    writeFileSync(path, '{ "clis": { "claude": { "binary": "/x" } } }');
    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect((await screen.findByTestId<HTMLInputElement>("settings-claude-binary")).value).toBe("/x");
  });
});
