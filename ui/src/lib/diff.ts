// A unified git patch read into files, hunks and numbered lines, and hunks laid out side by
// side: what the diff viewer shows (an agent's diff, and diff artifacts, whose counts come
// from the patch itself). The daemon sends one patch for all of an agent's files
// (`git diff` output with `diff --git a/X b/X` headers); the viewer shows one file at a time, so
// the patch is split here and matched to the daemon's per-file stats by path.

import type { FileStat } from "../bindings/FileStat";

export type DiffLineKind = "context" | "add" | "del" | "note";

export type DiffLine = {
  kind: DiffLineKind;
  /** Without the leading ' ', '+', '-' (a note keeps its text, e.g. "\ No newline at end of file"). */
  text: string;
  oldNo: number | null;
  newNo: number | null;
};

export type Hunk = { header: string; lines: DiffLine[] };

export type PatchFile = {
  /** `null` for a file the patch adds. */
  oldPath: string | null;
  /** `null` for a file the patch deletes. */
  newPath: string | null;
  /** The path to show: the new one, else the old one. */
  path: string;
  /** The extended header lines (modes, index, rename...), as git wrote them. */
  meta: string[];
  binary: boolean;
  hunks: Hunk[];
};

export type SideRow =
  | { kind: "pair"; left: DiffLine | null; right: DiffLine | null }
  | { kind: "note"; text: string };

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Splits a patch into its files. Text before the first `diff --git` is ignored. */
export function parsePatch(patch: string): PatchFile[] {
  const files: PatchFile[] = [];
  let file: PatchFile | null = null;
  let hunk: Hunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  /** Lines the current hunk still has on each side (from its header). */
  let oldLeft = 0;
  let newLeft = 0;

  const lines = patch.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("diff --git ")) {
      const [oldPath, newPath] = gitHeaderPaths(line.slice("diff --git ".length));
      file = { oldPath, newPath, path: newPath ?? oldPath ?? "", meta: [], binary: false, hunks: [] };
      files.push(file);
      hunk = null;
      continue;
    }
    if (!file) continue;

    const inHunk = hunk !== null && (oldLeft > 0 || newLeft > 0);
    if (hunk && line.startsWith("\\")) {
      // "\ No newline at end of file" belongs to the line before it, even at a hunk's end.
      hunk.lines.push({ kind: "note", text: line, oldNo: null, newNo: null });
      continue;
    }
    if (hunk && inHunk) {
      const mark = line[0];
      const text = line.slice(1);
      if (mark === "+") {
        hunk.lines.push({ kind: "add", text, oldNo: null, newNo: newNo++ });
        newLeft--;
      } else if (mark === "-") {
        hunk.lines.push({ kind: "del", text, oldNo: oldNo++, newNo: null });
        oldLeft--;
      } else {
        // A context line; an empty one may have lost its leading space on the way.
        hunk.lines.push({ kind: "context", text: mark === " " ? text : line, oldNo: oldNo++, newNo: newNo++ });
        oldLeft--;
        newLeft--;
      }
      continue;
    }
    const header = HUNK_HEADER.exec(line);
    if (header) {
      oldNo = Number(header[1]);
      newNo = Number(header[3]);
      oldLeft = header[2] === undefined ? 1 : Number(header[2]);
      newLeft = header[4] === undefined ? 1 : Number(header[4]);
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    // The extended header: these lines name the paths better than `diff --git` can.
    file.meta.push(line);
    if (line.startsWith("--- ")) file.oldPath = patchPath(line.slice(4), "a/");
    else if (line.startsWith("+++ ")) file.newPath = patchPath(line.slice(4), "b/");
    else if (line.startsWith("rename from ")) file.oldPath = unquote(line.slice(12));
    else if (line.startsWith("rename to ")) file.newPath = unquote(line.slice(10));
    else if (line.startsWith("new file mode")) file.oldPath = null;
    else if (line.startsWith("deleted file mode")) file.newPath = null;
    else if (line.startsWith("Binary files ") || line === "GIT binary patch") file.binary = true;
    file.path = file.newPath ?? file.oldPath ?? file.path;
  }
  return files;
}

/** A file's stats as the daemon gives them, counted from its part of the patch. */
export function patchFileStat(file: PatchFile): FileStat {
  const lines = file.hunks.flatMap((h) => h.lines);
  const renamed = file.oldPath !== null && file.newPath !== null && file.oldPath !== file.newPath;
  return {
    path: file.path,
    oldPath: renamed ? file.oldPath : null,
    status: file.oldPath === null ? "added" : file.newPath === null ? "deleted" : renamed ? "renamed" : "modified",
    additions: lines.filter((l) => l.kind === "add").length,
    deletions: lines.filter((l) => l.kind === "del").length,
    binary: file.binary,
  };
}

/**
 * The two paths of `a/X b/Y`. Unquoted paths may hold spaces, so this is exact only when both
 * are the same (the usual case); renames, adds and deletes are corrected by the lines after it.
 */
function gitHeaderPaths(rest: string): [string | null, string | null] {
  if (rest.startsWith('"')) {
    const end = quotedEnd(rest);
    const oldPath = stripPrefix(unquote(rest.slice(0, end)), "a/");
    const newPath = stripPrefix(unquote(rest.slice(end + 1).trim()), "b/");
    return [oldPath, newPath];
  }
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === " " && rest.slice(2, half) === rest.slice(half + 3)) {
    const path = rest.slice(2, half);
    return [path, path];
  }
  const split = rest.indexOf(" b/");
  if (split < 0) return [stripPrefix(rest, "a/"), stripPrefix(rest, "a/")];
  return [stripPrefix(rest.slice(0, split), "a/"), rest.slice(split + 3)];
}

/** The index just past the closing quote of a C-style quoted string at the start of `text`. */
function quotedEnd(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** `a/path`, `"b/t\303\244st"` or `/dev/null` (a trailing tab follows paths with spaces). */
function patchPath(text: string, prefix: string): string | null {
  const path = unquote(text.replace(/\t$/, ""));
  if (path === "/dev/null") return null;
  return stripPrefix(path, prefix);
}

function stripPrefix(path: string, prefix: string): string {
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 };

/** Git quotes a path with unusual bytes C-style, with octal escapes for non-ASCII UTF-8. */
export function unquote(text: string): string {
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return text;
  const bytes: number[] = [];
  const body = text.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      bytes.push(...new TextEncoder().encode(c));
      continue;
    }
    const next = body[i + 1] ?? "";
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * A hunk as rows of two columns: context on both sides, and each run of deleted lines paired
 * with the added lines that follow it (a changed line reads across), the longer run's extra
 * lines facing an empty cell.
 */
export function sideBySide(hunk: Hunk): SideRow[] {
  const rows: SideRow[] = [];
  const lines = hunk.lines;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.kind === "context") {
      rows.push({ kind: "pair", left: line, right: line });
      i++;
    } else if (line.kind === "note") {
      rows.push({ kind: "note", text: line.text });
      i++;
    } else {
      const dels: DiffLine[] = [];
      const adds: DiffLine[] = [];
      const notes: string[] = [];
      while (i < lines.length && lines[i]!.kind === "del") dels.push(lines[i++]!);
      while (i < lines.length && lines[i]!.kind === "note" && adds.length === 0) notes.push(lines[i++]!.text);
      while (i < lines.length && lines[i]!.kind === "add") adds.push(lines[i++]!);
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) {
        rows.push({ kind: "pair", left: dels[k] ?? null, right: adds[k] ?? null });
      }
      for (const text of notes) rows.push({ kind: "note", text });
    }
  }
  return rows;
}

/** A comment on a line of a file's diff, to send to the agent as "path:line: text". */
export type LineComment = {
  id: number;
  path: string;
  /** The line's reference in its file's diff (see `lineRef`). */
  ref: string;
  /** The line number the agent reads: the new file's, or the old file's for a removed line. */
  line: number;
  /** For a removed line, its text: the agent's file no longer has it at that number. */
  removed: string | null;
  text: string;
  sent: boolean;
};

/**
 * A line's place in its file: `new:N` for a line of the new file (added or unchanged), `old:N`
 * for a removed one, and the number an agent is told.
 */
export function lineRef(line: DiffLine): { ref: string; no: number } {
  if (line.newNo !== null) return { ref: `new:${line.newNo}`, no: line.newNo };
  return { ref: `old:${line.oldNo ?? 0}`, no: line.oldNo ?? 0 };
}

/**
 * The message that carries comments to the agent: one "path:line: comment" line each (a
 * comment of several lines goes on, indented, under its first; one on a removed line quotes it,
 * as that number now holds another line), after a line that says what they are.
 */
export function commentsMessage(comments: readonly LineComment[]): string {
  const lines = comments.map((c) => {
    const [first, ...rest] = c.text.split("\n");
    const on = c.removed === null ? "" : `(on the removed line ${JSON.stringify(clip(c.removed.trim(), 60))}) `;
    return [`${c.path}:${c.line}: ${on}${first}`, ...rest.map((r) => `    ${r}`)].join("\n");
  });
  const head = comments.length === 1 ? "A review comment on your diff:" : "Review comments on your diff:";
  return `${head}\n\n${lines.join("\n")}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
