// What the window has open over its views: asked for by a shortcut or the command palette,
// shown by the view that owns it (the New agent dialog belongs to the session shown).

class WindowUi {
  /** The command palette (Ctrl+K). */
  palette = $state(false);
  /** The keyboard help (`?`). */
  help = $state(false);
  /** The New agent dialog of the session shown. */
  newAgent = $state(false);
}

export const ui = new WindowUi();
