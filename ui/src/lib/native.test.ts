import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { canOpenPaths, canPickFolder, editorProgram, openFolder, openInEditor, pickFolder } from "./native";

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

describe("openFolder and openInEditor", () => {
  it("explain, outside the desktop app, that they need it and where the folder is", async () => {
    expect(canOpenPaths()).toBe(false);
    await expect(openFolder("/wt/architect")).rejects.toThrow(
      "Opening a folder needs the Baton desktop app; in a browser, go to `/wt/architect` yourself.",
    );
    await expect(openInEditor("/wt/architect")).rejects.toThrow(/needs the Baton desktop app.*`\/wt\/architect`/);
  });

  it("ask the opener plugin inside Tauri: the folder as is, the editor by its program", async () => {
    vi.stubGlobal("isTauri", true);
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return null;
    });

    await openFolder("/wt/architect");
    await openInEditor("/wt/architect");

    expect(calls).toEqual([
      { cmd: "plugin:opener|open_path", args: { path: "/wt/architect" } },
      { cmd: "plugin:opener|open_path", args: { path: "/wt/architect", with: editorProgram() } },
    ]);
  });

  it("say what failed when the plugin refuses", async () => {
    vi.stubGlobal("isTauri", true);
    mockIPC(() => {
      throw "Not allowed to open path /wt/x.";
    });

    await expect(openFolder("/wt/x")).rejects.toThrow("Baton could not open the folder `/wt/x`: Not allowed to open path /wt/x");
    await expect(openInEditor("/wt/x")).rejects.toThrow(/Install VS Code/);
  });

  it("names the editor as the platform's opener wants it", () => {
    expect(editorProgram("Mozilla/5.0 (X11; Linux x86_64)")).toBe("code");
    expect(editorProgram("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")).toBe("code");
    expect(editorProgram("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)")).toBe("Visual Studio Code");
  });
});
