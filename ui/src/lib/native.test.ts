import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { useDaemon } from "../test/daemon";
import { canOpenPaths, canPickFolder, openFolder, openInEditor, pickFolder } from "./native";

const d = useDaemon();

afterEach(() => {
  clearMocks();
  vi.unstubAllGlobals();
});

describe("pickFolder", () => {
  it("is unavailable in a plain browser", async () => {
    expect(canPickFolder()).toBe(false);
    await expect(pickFolder()).resolves.toBeNull();
  });

  it("opens the native directory chooser inside Tauri", async () => {
    vi.stubGlobal("isTauri", true);
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return "/home/dev/src/app";
    });

    expect(canPickFolder()).toBe(true);
    await expect(pickFolder()).resolves.toBe("/home/dev/src/app");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.cmd).toBe("plugin:dialog|open");
    expect(calls[0]!.args).toMatchObject({
      options: { directory: true, multiple: false, title: "Choose a git repository" },
    });
  });

  it("returns null when the user cancels", async () => {
    vi.stubGlobal("isTauri", true);
    mockIPC(() => null);

    await expect(pickFolder()).resolves.toBeNull();
  });
});

describe("openFolder", () => {
  it("explains, outside the desktop app, that it needs it and where the folder is", async () => {
    expect(canOpenPaths()).toBe(false);
    await expect(openFolder("/wt/architect")).rejects.toThrow(
      "Opening a folder needs the Baton desktop app; in a browser, go to `/wt/architect` yourself.",
    );
  });

  it("asks the opener plugin inside Tauri for the folder as is", async () => {
    vi.stubGlobal("isTauri", true);
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return null;
    });

    await openFolder("/wt/architect");

    expect(calls).toEqual([{ cmd: "plugin:opener|open_path", args: { path: "/wt/architect" } }]);
  });

  it("says what failed when the plugin refuses", async () => {
    vi.stubGlobal("isTauri", true);
    mockIPC(() => {
      throw "Not allowed to open path /wt/x.";
    });

    await expect(openFolder("/wt/x")).rejects.toThrow("Baton could not open the folder `/wt/x`: Not allowed to open path /wt/x");
  });
});

describe("openInEditor", () => {
  it("has the daemon start the editor set in Settings, with the folder", async () => {
    const root = join(d.daemon.home, "..", "editor-test");
    const folder = join(root, "worktree");
    mkdirSync(folder, { recursive: true });
    const record = join(root, "opened");
    const editor = join(root, "fake-editor");
    writeFileSync(editor, `#!/bin/sh\nprintf '%s\\n' "$PWD" "$@" > '${record}.tmp' && mv '${record}.tmp' '${record}'\n`);
    chmodSync(editor, 0o755);
    await d.backend.settingsUpdate({ patch: { editor: { program: editor, args: ["--new-window"], terminal: false } } });

    await openInEditor(folder, d.backend);

    await vi.waitFor(() => expect(existsSync(record)).toBe(true));
    expect(readFileSync(record, "utf8")).toBe(`${folder}\n--new-window\n${folder}\n`);
  });

  it("fails with the daemon's advice when the editor is not there", async () => {
    await d.backend.settingsUpdate({ patch: { editor: { program: "no-such-editor-here", args: [], terminal: false } } });
    await expect(openInEditor(d.daemon.home, d.backend)).rejects.toThrow(/`no-such-editor-here` is not on PATH.*Settings/);
  });

  it("without a backend, connects as the window does: in a plain page that says where the daemon is needed", async () => {
    await expect(openInEditor("/wt/architect")).rejects.toThrow(/does not know where the Baton daemon is/);
  });
});
