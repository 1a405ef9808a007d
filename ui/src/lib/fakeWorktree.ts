// The git side of FakeBackend: one agent's worktree as the few files it touched, kept at three
// points (the base commit, the agent's branch, the folder now), with checkpoints and merges.
// Enough of git's behaviour for the UI's changes list, diff viewer, restore and merge dialog to
// run without a daemon: statuses as `git status` names them, counts and a real unified patch.

import type { ChangedFile } from "../bindings/ChangedFile";
import type { Checkpoint } from "../bindings/Checkpoint";
import type { FileStat } from "../bindings/FileStat";

/** A file's text, or `null` where it does not exist. */
type Text = string | null;

/** A file an agent's worktree starts with changed (fixtures and the demo). */
export type FakeFile = {
  path: string;
  /** The text at the base commit; `null` for a file the agent added. */
  before: Text;
  /** The text now; `null` for a file the agent deleted. */
  after: Text;
  /** Already committed on the agent's branch (else uncommitted in its folder). */
  committed?: boolean;
  binary?: boolean;
};

type Saved = Checkpoint & { files: Map<string, Text> };

export class FakeWorktree {
  /** Every path touched, at the base commit, on the branch, and in the folder now. */
  private readonly base = new Map<string, Text>();
  private readonly head = new Map<string, Text>();
  private readonly work = new Map<string, Text>();
  private readonly binary = new Set<string>();
  private readonly saved: Saved[] = [];
  /** The folder's content at the last merge, to tell "already merged". */
  private merged: string | null = null;

  constructor(
    readonly baseCommit: string,
    files: readonly FakeFile[] = [],
  ) {
    for (const f of files) {
      this.base.set(f.path, f.before);
      this.work.set(f.path, f.after);
      this.head.set(f.path, f.committed ? f.after : f.before);
      if (f.binary) this.binary.add(f.path);
    }
  }

  /** What the agent did to `path` (a `file_change` event): `add`, `delete` or an edit. */
  fileChange(path: string, change: string, note: string): void {
    if (!this.base.has(path)) {
      const existed = change !== "add";
      const original = existed ? sampleText(path) : null;
      this.base.set(path, original);
      this.head.set(path, original);
      this.work.set(path, original);
    }
    const now = this.work.get(path) ?? null;
    if (change === "delete") this.work.set(path, null);
    else this.work.set(path, `${now ?? sampleText(path)}// ${note}\n`);
  }

  /** `git status`: the folder against the branch. */
  changes(): ChangedFile[] {
    const out: ChangedFile[] = [];
    for (const path of this.paths()) {
      const head = this.head.get(path) ?? null;
      const now = this.work.get(path) ?? null;
      if (head === now) continue;
      out.push({ path, status: head === null ? "untracked" : now === null ? "deleted" : "modified" });
    }
    return out;
  }

  /** The agent's work (branch and folder) against its base: per-file stats and the patch. */
  diff(withPatch: boolean): { files: FileStat[]; additions: number; deletions: number; uncommitted: number; patch: string | null } {
    const files: FileStat[] = [];
    const patches: string[] = [];
    for (const path of this.paths()) {
      const before = this.base.get(path) ?? null;
      const after = this.work.get(path) ?? null;
      if (before === after) continue;
      const binary = this.binary.has(path);
      const ops = binary ? [] : lineOps(before, after);
      files.push({
        path,
        oldPath: null,
        status: before === null ? "added" : after === null ? "deleted" : "modified",
        additions: ops.filter((o) => o.op === "+").length,
        deletions: ops.filter((o) => o.op === "-").length,
        binary,
      });
      if (withPatch) patches.push(unifiedPatch(path, before, after, binary, ops));
    }
    return {
      files,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      uncommitted: this.changes().length,
      patch: withPatch ? patches.join("") : null,
    };
  }

  checkpoints(): Checkpoint[] {
    return this.saved.map(({ files: _files, ...c }) => ({ ...c }));
  }

  /** Saves the folder as the next checkpoint, unless it equals the last one (or the base). */
  checkpointSave(message: string, createdAt: string): Checkpoint | null {
    const last = this.saved.at(-1);
    const now = this.snapshot();
    if (last ? sameFiles(last.files, now, this.base) : sameFiles(this.base, now, this.base)) return null;
    const n = this.saved.length + 1;
    const checkpoint: Saved = { n, commit: fakeSha(`${this.baseCommit}:${n}:${message}`), message, createdAt, files: now };
    this.saved.push(checkpoint);
    const { files: _files, ...shown } = checkpoint;
    return { ...shown };
  }

  /**
   * A checkpoint a fixture's history names. Its files are the work as it grew, file by file
   * (`share` of the changed files, in path order), so restoring an early one visibly undoes some.
   */
  checkpointAdd(c: Pick<Checkpoint, "n" | "commit" | "message">, createdAt: string, share: number): void {
    const changed = this.paths().filter((p) => this.base.get(p) !== this.work.get(p));
    const kept = new Set(changed.slice(0, Math.round(changed.length * share)));
    const files = new Map<string, Text>();
    for (const path of this.paths()) files.set(path, kept.has(path) ? this.work.get(path)! : (this.base.get(path) ?? null));
    this.saved.push({ n: c.n, commit: c.commit, message: c.message, createdAt, files });
  }

  /** Brings back checkpoint `n`; the state before it is saved first, so the restore can be undone. */
  restore(n: number, createdAt: string): { restored: Checkpoint; saved: Checkpoint | null } | null {
    const target = this.saved.find((c) => c.n === n);
    if (!target) return null;
    const saved = this.checkpointSave(`before restoring checkpoint ${n}`, createdAt);
    for (const path of this.paths()) {
      this.work.set(path, target.files.has(path) ? target.files.get(path)! : (this.base.get(path) ?? null));
    }
    const { files: _files, ...restored } = target;
    return { restored: { ...restored }, saved };
  }

  /** Nothing of the agent's work is missing from its last merge (or there is no work at all). */
  alreadyMerged(): boolean {
    const now = JSON.stringify([...this.snapshot()]);
    return this.diff(false).files.length === 0 || now === this.merged;
  }

  /** The paths a merge would bring into its target. */
  mergePaths(): string[] {
    return this.diff(false).files.map((f) => f.path);
  }

  /** A merge happened: the folder's work was committed on the branch, then merged. */
  mergeRecord(): void {
    for (const [path, text] of this.work) this.head.set(path, text);
    this.merged = JSON.stringify([...this.snapshot()]);
  }

  private paths(): string[] {
    return [...this.base.keys()].sort();
  }

  private snapshot(): Map<string, Text> {
    return new Map([...this.work].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

function sameFiles(a: Map<string, Text>, b: Map<string, Text>, base: Map<string, Text>): boolean {
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const left = a.has(path) ? a.get(path)! : (base.get(path) ?? null);
    const right = b.has(path) ? b.get(path)! : (base.get(path) ?? null);
    if (left !== right) return false;
  }
  return true;
}

/** Plausible content for a file the fake never saw. */
function sampleText(path: string): string {
  const name = path.split("/").pop() ?? path;
  return `// ${name}\nexport const retries = 3;\n\nexport function retry<T>(run: () => Promise<T>): Promise<T> {\n  return run();\n}\n`;
}

/** A stable 40-hex id for `seed` (FNV-1a, repeated): looks like a commit, means nothing. */
export function fakeSha(seed: string): string {
  let out = "";
  for (let round = 0; out.length < 40; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < seed.length; i++) {
      h ^= seed.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 40);
}

type Op = { op: " " | "-" | "+"; text: string };

function splitLines(text: Text): string[] {
  if (text === null || text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The lines of `before` and `after` as kept, removed and added (longest common subsequence). */
function lineOps(before: Text, after: Text): Op[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..]. Fine for the fake's small files.
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: " ", text: a[i]! });
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      ops.push({ op: "+", text: b[j++]! });
    } else {
      ops.push({ op: "-", text: a[i++]! });
    }
  }
  // git shows a changed line's removal before its addition.
  for (let k = 1; k < ops.length; k++) {
    for (let m = k; m > 0 && ops[m]!.op === "-" && ops[m - 1]!.op === "+"; m--) {
      [ops[m - 1], ops[m]] = [ops[m]!, ops[m - 1]!];
    }
  }
  return ops;
}

const CONTEXT = 3;

/** `git diff` output for one file: its header and hunks with three lines of context. */
function unifiedPatch(path: string, before: Text, after: Text, binary: boolean, ops: Op[]): string {
  const lines = [`diff --git a/${path} b/${path}`];
  if (before === null) lines.push("new file mode 100644");
  if (after === null) lines.push("deleted file mode 100644");
  lines.push(`index ${fakeSha(before ?? "").slice(0, 7)}..${fakeSha(after ?? "").slice(0, 7)}${before !== null && after !== null ? " 100644" : ""}`);
  const from = before === null ? "/dev/null" : `a/${path}`;
  const to = after === null ? "/dev/null" : `b/${path}`;
  if (binary) {
    lines.push(`Binary files ${from} and ${to} differ`);
    return `${lines.join("\n")}\n`;
  }
  lines.push(`--- ${from}`, `+++ ${to}`);

  // Indexes of changed ops, grouped into hunks when their context would touch.
  const changed = ops.flatMap((o, k) => (o.op === " " ? [] : [k]));
  const groups: [number, number][] = [];
  for (const k of changed) {
    const last = groups.at(-1);
    if (last && k - last[1] <= CONTEXT * 2 + 1) last[1] = k;
    else groups.push([k, k]);
  }
  for (const [first, lastChanged] of groups) {
    const start = Math.max(0, first - CONTEXT);
    const end = Math.min(ops.length, lastChanged + CONTEXT + 1);
    // Line numbers where the hunk starts, on each side.
    let oldLine = 1;
    let newLine = 1;
    for (const o of ops.slice(0, start)) {
      if (o.op !== "+") oldLine++;
      if (o.op !== "-") newLine++;
    }
    const body = ops.slice(start, end);
    const oldCount = body.filter((o) => o.op !== "+").length;
    const newCount = body.filter((o) => o.op !== "-").length;
    lines.push(`@@ -${oldCount === 0 ? 0 : oldLine},${oldCount} +${newCount === 0 ? 0 : newLine},${newCount} @@`);
    for (const o of body) lines.push(`${o.op}${o.text}`);
  }
  return `${lines.join("\n")}\n`;
}
