// What only the desktop shell can do, with what a plain browser does instead.
//
// This module and backend.ts are the only ones that import @tauri-apps; views ask here
// whether a native feature exists (`canPickFolder`) and hide the control when it does not.

import { isTauri } from "@tauri-apps/api/core";
import { open } from "@tauri-apps/plugin-dialog";

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
