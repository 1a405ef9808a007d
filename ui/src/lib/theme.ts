// The app's colours: the system's, or always light or dark, as chosen in Settings (`theme` in
// settings.json). The choice is `data-theme` on the root element; the palette shown is
// `data-scheme` ("light" or "dark"), the choice with "system" resolved and kept in step with
// `prefers-color-scheme`. app.css and the views style by `data-scheme` alone, so each palette is
// written once.

import type { Theme } from "../bindings/Theme";
import type { Backend } from "./backend";

/** The roots themed so far, each with its choice: a change of the system's scheme re-resolves them. */
const themed = new Map<HTMLElement, Theme>();
let systemDark: MediaQueryList | null | undefined;

function schemeSet(root: HTMLElement, theme: Theme): void {
  const dark = theme === "dark" || (theme === "system" && systemDark?.matches === true);
  root.dataset.scheme = dark ? "dark" : "light";
}

/** Shows the app in `theme` at once. */
export function themeApply(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (systemDark === undefined) {
    systemDark = typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    systemDark?.addEventListener?.("change", () => themed.forEach((t, r) => schemeSet(r, t)));
  }
  root.dataset.theme = theme;
  themed.set(root, theme);
  schemeSet(root, theme);
}

/** Applies the saved theme (when the window starts); a settings file that cannot be read leaves the system's. */
export async function themeLoad(backend: Backend): Promise<void> {
  try {
    themeApply((await backend.settingsGet()).settings.theme);
  } catch {
    themeApply("system");
  }
}
