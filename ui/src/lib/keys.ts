// The window's keyboard: one rule for every message box, and the shortcuts shown in the
// command palette and the `?` help. Bindings are tinykeys strings ("$mod" is Ctrl, or ⌘ on a Mac).

/**
 * Every message box (a message to an agent, a new agent's prompt): Enter sends, Shift+Enter
 * starts a new line, Ctrl+Enter (⌘+Enter) sends too. A composing input method keeps its Enter.
 */
export function messageKeydown(event: KeyboardEvent, send: () => void): void {
  if (event.key !== "Enter" || event.isComposing || event.shiftKey || event.altKey) return;
  event.preventDefault();
  send();
}

export const MESSAGE_KEYS_HINT = "Enter sends · Shift+Enter new line";

export type Shortcut = { id: string; keys: string; label: string };

/** The window's shortcuts, in the order the help lists them. */
export const SHORTCUTS = {
  palette: { id: "palette", keys: "$mod+KeyK", label: "Command palette" },
  inbox: { id: "inbox", keys: "$mod+KeyI", label: "Open the inbox" },
  nextAgent: { id: "nextAgent", keys: "Alt+ArrowDown", label: "Next agent" },
  previousAgent: { id: "previousAgent", keys: "Alt+ArrowUp", label: "Previous agent" },
  overview: { id: "overview", keys: "Alt+KeyO", label: "Session overview" },
  newAgent: { id: "newAgent", keys: "Alt+KeyN", label: "New agent" },
  home: { id: "home", keys: "Alt+KeyH", label: "Home: all sessions" },
  help: { id: "help", keys: "?", label: "Keyboard help" },
} as const satisfies Record<string, Shortcut>;

const IS_MAC = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

/** A binding as the user reads it: "Ctrl+K", "⌘K", "Alt+↓". */
export function keysLabel(keys: string): string {
  return keys
    .split("+")
    .map((part) => {
      switch (part) {
        case "$mod":
          return IS_MAC ? "⌘" : "Ctrl";
        case "Alt":
          return IS_MAC ? "⌥" : "Alt";
        case "ArrowDown":
          return "↓";
        case "ArrowUp":
          return "↑";
        default:
          if (/^Key[A-Z]$/.test(part)) return part.slice(3);
          return part.length === 1 ? part.toUpperCase() : part;
      }
    })
    .join(IS_MAC ? "" : "+");
}

/** True when a key typed here is text for a field, not a shortcut (so `?` types a question mark). */
export function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}
