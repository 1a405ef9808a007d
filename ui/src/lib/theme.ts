// The app's colours: the system's, or always light or dark, as chosen in Settings (`theme` in
// settings.json). `data-theme` on the root element selects app.css's palette; "system" (or no
// attribute) follows `prefers-color-scheme`.

import type { Theme } from "../bindings/Theme";
import type { Backend } from "./backend";

/** Shows the app in `theme` at once. */
export function themeApply(theme: Theme, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = theme;
}

/** Applies the saved theme (when the window starts); a settings file that cannot be read leaves the system's. */
export async function themeLoad(backend: Backend): Promise<void> {
  try {
    themeApply((await backend.settingsGet()).settings.theme);
  } catch {
    themeApply("system");
  }
}
