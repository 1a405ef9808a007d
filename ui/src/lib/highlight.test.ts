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
    expect(chunks).toHaveLength(1);
    const lines = file!.hunks[0]!.lines;
    const tokens = chunks[0]!;
    expect(lines.map((l) => tokens.get(l)!.map((t) => t.text).join(""))).toEqual(["/* start", "let old = 1;", "let new = 2;", "end */"]);
    // Inside the block comment on both sides: one colour for the whole line, the comment's.
    const comment = tokens.get(lines[0]!)![0]!.style;
    expect(tokens.get(lines[1]!)!.map((t) => t.style)).toEqual([comment]);
    expect(tokens.get(lines[2]!)!.map((t) => t.style)).toEqual([comment]);
    expect(comment).toMatch(/^--shiki-light:#[0-9A-F]{6};--shiki-dark:#[0-9A-F]{6}$/);
  });

  it("stops when the view no longer wants the colours", async () => {
    const [file] = parsePatch("diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-a\n+b\n@@ -9 +9 @@\n-c\n+d\n");
    const chunks: unknown[] = [];
    await hunksHighlight("typescript", file!.hunks, (c) => chunks.push(c), () => chunks.length > 0);
    expect(chunks).toHaveLength(1);
  });
});
