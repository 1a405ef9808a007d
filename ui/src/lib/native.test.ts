import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { canPickFolder, pickFolder } from "./native";

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
