// A small ANSI SGR parser for `command` agents, whose output is shown as a terminal: colour and
// weight codes become styled spans; every other escape (cursor moves, clears, titles, links) is
// stripped, since a lane is a log of lines, not a screen. Each line is parsed on its own: a
// program that sets a colour and resets it lines later is rare, and lines are rendered out of
// order by the virtual list anyway.

/** A palette index (0-15, shown with the theme's `ansi-*` classes) or a CSS colour. */
export type AnsiColor = number | string;

export type AnsiStyle = {
  fg: AnsiColor | null;
  bg: AnsiColor | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
};

export type AnsiSpan = AnsiStyle & { text: string };

const PLAIN: AnsiStyle = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ST), string commands
// (DCS, SOS, PM, APC up to ST), or ESC and one character. A lone ESC at the end matches too.
const ESCAPE =
  /\x1b(?:\[([0-?]*)[ -/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[\s\S])?|\x9b[0-?]*[ -/]*[@-~]/g;
// Other control characters a terminal would not print (tab is kept).
const CONTROL = /[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]/g;

/** The line's text in styled spans; adjacent spans with the same style are merged. */
export function parseAnsi(line: string): AnsiSpan[] {
  const spans: AnsiSpan[] = [];
  let style: AnsiStyle = PLAIN;
  let at = 0;
  const text = overwritten(line);
  const push = (chunk: string) => {
    const clean = chunk.replace(CONTROL, "");
    if (clean === "") return;
    const last = spans[spans.length - 1];
    if (last && sameStyle(last, style)) last.text += clean;
    else spans.push({ ...style, text: clean });
  };
  for (const match of text.matchAll(ESCAPE)) {
    push(text.slice(at, match.index));
    at = match.index + match[0].length;
    if (match[2] === "m" && match[0].startsWith("\x1b[")) style = applySgr(style, match[1] ?? "");
  }
  push(text.slice(at));
  return spans;
}

/** The line without any escape or control character. */
export function stripAnsi(line: string): string {
  return overwritten(line).replace(ESCAPE, "").replace(CONTROL, "");
}

/**
 * A carriage return moves back to the start of the line, so what a terminal finally shows is
 * what follows the last one (progress bars). A trailing one (CRLF output) is just dropped.
 */
function overwritten(line: string): string {
  const trimmed = line.endsWith("\r") ? line.replace(/\r+$/, "") : line;
  const cr = trimmed.lastIndexOf("\r");
  return cr < 0 ? trimmed : trimmed.slice(cr + 1);
}

function applySgr(current: AnsiStyle, params: string): AnsiStyle {
  // `ESC[m` is a reset; `:` separates sub-parameters in the ISO form of 38/48.
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  const style = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 0) Object.assign(style, PLAIN);
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 22) style.bold = style.dim = false;
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code === 39) style.fg = null;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code === 49) style.bg = null;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 38 || code === 48) {
      const [color, used] = extendedColor(codes, i + 1);
      if (color !== undefined) {
        if (code === 38) style.fg = color;
        else style.bg = color;
      }
      i += used;
    }
    // Anything else (blink, inverse, fonts...) is ignored.
  }
  return style;
}

/** `5;N` (256 colours) or `2;R;G;B` after a 38/48; returns the colour and the codes used. */
function extendedColor(codes: number[], from: number): [AnsiColor | undefined, number] {
  const mode = codes[from];
  if (mode === 5) {
    const n = codes[from + 1];
    return [n === undefined ? undefined : color256(n), 2];
  }
  if (mode === 2) {
    const [r, g, b] = [codes[from + 1], codes[from + 2], codes[from + 3]];
    if (r === undefined || g === undefined || b === undefined) return [undefined, codes.length];
    return [`rgb(${clamp(r)}, ${clamp(g)}, ${clamp(b)})`, 4];
  }
  return [undefined, 0];
}

function color256(n: number): AnsiColor {
  if (n < 16) return n;
  if (n < 232) {
    const v = n - 16;
    const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
    return `rgb(${level(Math.floor(v / 36))}, ${level(Math.floor(v / 6) % 6)}, ${level(v % 6)})`;
  }
  const gray = 8 + (Math.min(n, 255) - 232) * 10;
  return `rgb(${gray}, ${gray}, ${gray})`;
}

function clamp(n: number): number {
  return Math.max(0, Math.min(255, n));
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    a.bold === b.bold &&
    a.dim === b.dim &&
    a.italic === b.italic &&
    a.underline === b.underline
  );
}

/** CSS classes for a span: `ansi-fg-N`/`ansi-bg-N` for palette colours, and the attributes. */
export function ansiClasses(span: AnsiStyle): string {
  const classes: string[] = [];
  if (typeof span.fg === "number") classes.push(`ansi-fg-${span.fg}`);
  if (typeof span.bg === "number") classes.push(`ansi-bg-${span.bg}`);
  if (span.bold) classes.push("ansi-bold");
  if (span.dim) classes.push("ansi-dim");
  if (span.italic) classes.push("ansi-italic");
  if (span.underline) classes.push("ansi-underline");
  return classes.join(" ");
}
