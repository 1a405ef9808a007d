import { describe, expect, it } from "vitest";
import { parsePatch, type DiffLine } from "./diff";
import { hunksHighlight, languageOf, type Token } from "./highlight";

describe("highlight", () => {
  it("knows a file's language by its extension or name, and leaves others plain", () => {
    expect(languageOf("crates/core/src/lib.rs")).toBe("rust");
    expect(languageOf("ui/src/App.svelte")).toBe("svelte");
    expect(languageOf("a/b.TSX")).toBe("tsx");
    expect(languageOf("Makefile")).toBe("shellscript");
    expect(languageOf("notes.txt")).toBeNull();
    expect(languageOf(".gitignore")).toBeNull();
  });

  it("colours each side of a hunk as code: a removed line inside a comment is a comment", async () => {
    const patch = [
      "diff --git a/x.rs b/x.rs",
      "--- a/x.rs",
      "+++ b/x.rs",
      "@@ -1,3 +1,3 @@",
      " /* start",
      "-let old = 1;",
      "+let new = 2;",
      " end */",
      "",
    ].join("\n");
    const [file] = parsePatch(patch);
    const chunks: Map<DiffLine, Token[]>[] = [];
    await hunksHighlight("rust", file!.hunks, (c) => chunks.push(c), () => false);
    // One chunk for each side: the removed line, then the context and added lines.
    expect(chunks.map((c) => c.size)).toEqual([1, 3]);
    const lines = file!.hunks[0]!.lines;
    const tokens = new Map(chunks.flatMap((c) => [...c]));
    expect(lines.map((l) => tokens.get(l)!.map((t) => t.text).join(""))).toEqual(["/* start", "let old = 1;", "let new = 2;", "end */"]);
    // Inside the block comment on both sides: one colour for the whole line, the comment's.
    const comment = tokens.get(lines[0]!)![0]!.style;
    expect(tokens.get(lines[1]!)!.map((t) => t.style)).toEqual([comment]);
    expect(tokens.get(lines[2]!)!.map((t) => t.style)).toEqual([comment]);
    expect(comment).toMatch(/^--shiki-light:#[0-9A-F]{6};--shiki-dark:#[0-9A-F]{6}$/);
  });

  it("hands a long hunk over in chunks, the grammar going on across them", async () => {
    // A block comment opened on the first line and closed on the last of 450 added lines.
    const body = Array.from({ length: 448 }, (_, i) => `+ line ${i}`);
    const patch = ["diff --git a/x.rs b/x.rs", "--- /dev/null", "+++ b/x.rs", "@@ -0,0 +1,450 @@", "+/* start", ...body, "+end */ fn f() {}", ""];
    const [file] = parsePatch(patch.join("\n"));
    const chunks: Map<DiffLine, Token[]>[] = [];
    await hunksHighlight("rust", file!.hunks, (c) => chunks.push(c), () => false);
    expect(chunks.map((c) => c.size)).toEqual([200, 200, 50]);
    const lines = file!.hunks[0]!.lines;
    const all = new Map(chunks.flatMap((c) => [...c]));
    const comment = all.get(lines[0]!)![0]!.style;
    expect(all.get(lines[300]!)!.map((t) => t.style)).toEqual([comment]);
    const last = all.get(lines[449]!)!;
    expect(last[0]!.text).toBe("end */");
    expect(last[0]!.style).toBe(comment);
    expect(last.some((t) => t.text === "fn" && t.style !== comment)).toBe(true);
  });

  it("stops when the view no longer wants the colours", async () => {
    const [file] = parsePatch("diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-a\n+b\n@@ -9 +9 @@\n-c\n+d\n");
    const chunks: unknown[] = [];
    await hunksHighlight("typescript", file!.hunks, (c) => chunks.push(c), () => chunks.length > 0);
    expect(chunks).toHaveLength(1);
  });
});
