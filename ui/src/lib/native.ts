// What only the desktop shell can do, with what a plain browser does instead.
//
// This module and backend.ts are the only ones that import @tauri-apps; views ask here
// whether a native feature exists (`canPickFolder`) and hide the control when it does not, or
// (`openFolder`) keep the control and show the message the call fails with. Opening an editor
// is the daemon's (`openInEditor`): it knows the editor set in Settings and runs on this machine.

import { invoke, isTauri } from "@tauri-apps/api/core";
import { open, save } from "@tauri-apps/plugin-dialog";
import { openPath } from "@tauri-apps/plugin-opener";
import { connectBackend, type Backend } from "./backend";

/** A native folder chooser exists only inside the desktop app. */
export function canPickFolder(): boolean {
  return isTauri();
}

/** The folder the user chose, or `null` when they cancelled or no chooser exists here. */
export async function pickFolder(): Promise<string | null> {
  if (!canPickFolder()) return null;
  const chosen = await open({ directory: true, multiple: false, title: "Choose a git repository" });
  return typeof chosen === "string" ? chosen : null;
}

/** A native "Save as" chooser exists only inside the desktop app; a browser downloads instead. */
export function canPickSaveFile(): boolean {
  return isTauri();
}

/**
 * The file the user chose to save to (suggested: `defaultName`, filtered to `extension`), or
 * `null` when they cancelled or no chooser exists here.
 */
export async function pickSaveFile(defaultName: string, extension: string, title: string): Promise<string | null> {
  if (!canPickSaveFile()) return null;
  const chosen = await save({ defaultPath: defaultName, title, filters: [{ name: extension.toUpperCase(), extensions: [extension] }] });
  return typeof chosen === "string" ? chosen : null;
}

/** Opening folders needs the desktop app: a web page cannot start programs. */
export function canOpenPaths(): boolean {
  return isTauri();
}

/** Shows `path` in the system's file manager. Fails with a message to show the user. */
export async function openFolder(path: string): Promise<void> {
  if (!canOpenPaths()) {
    throw new Error(`Opening a folder needs the Baton desktop app; in a browser, go to \`${path}\` yourself.`);
  }
  try {
    await openPath(path);
  } catch (err) {
    throw new Error(`Baton could not open the folder \`${path}\`: ${reason(err)}`);
  }
}

/**
 * Opens `path` (a worktree) in the editor chosen in Settings (or the first one found). The
 * daemon starts it, on this same machine, so it works in a browser too. Without `backend`,
 * connects as the window does. Fails with the daemon's message, which says what to do.
 */
export async function openInEditor(path: string, backend?: Backend): Promise<void> {
  const daemon = backend ?? (await connectBackend());
  await daemon.editorOpen({ path });
}

/** Whether the desktop app can write its login entry now (a browser leaves it to the app's next start). */
export function canStartAtLogin(): boolean {
  return isTauri();
}

/**
 * Makes the desktop app's login entry follow the `startAtLogin` setting just saved; answers
 * whether it is on. Fails with the app's `{code, message}` when the entry cannot be written.
 */
export async function startAtLoginApply(): Promise<boolean> {
  return invoke<boolean>("autostart_apply");
}

function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/[.\s]+$/, "");
}

let titleRefused = false;

/**
 * The desktop window's title (the taskbar shows it), beside the page's `document.title`.
 * Needs the `core:window:allow-set-title` permission; without it the page's title is all there is.
 */
export async function windowTitleSet(title: string): Promise<void> {
  if (!isTauri() || titleRefused) return;
  const { getCurrentWindow } = await import("@tauri-apps/api/window");
  try {
    await getCurrentWindow().setTitle(title);
  } catch (err) {
    // Refused by the window's capabilities: say so once, not at every change of the count.
    titleRefused = true;
    console.warn("Baton: the window's title cannot be set:", err);
  }
}
