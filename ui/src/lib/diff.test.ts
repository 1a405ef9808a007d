import { describe, expect, it } from "vitest";
import { commentsMessage, lineRef, parsePatch, sideBySide, unquote, type DiffLine } from "./diff";

/** `git diff` output with the cases the viewer must read: edit, add, delete, rename, binary, mode. */
const PATCH = [
  "diff --git a/src/client.ts b/src/client.ts",
  "index 3b18e51..a1c2d3e 100644",
  "--- a/src/client.ts",
  "+++ b/src/client.ts",
  "@@ -1,5 +1,6 @@",
  ' import { Http } from "./http";',
  '+import { RetryPolicy } from "./retry";',
  " ",
  " export class Client {",
  "-  retry = 3;",
  "+  policy = new RetryPolicy();",
  " }",
  "@@ -40,2 +41,2 @@ export class Client {",
  "-  old()",
  "+  new()",
  " end",
  "diff --git a/src/retry.ts b/src/retry.ts",
  "new file mode 100644",
  "index 0000000..e69de29",
  "--- /dev/null",
  "+++ b/src/retry.ts",
  "@@ -0,0 +1,2 @@",
  "+export class RetryPolicy {}",
  "+// no newline",
  "\\ No newline at end of file",
  "diff --git a/old name.ts b/old name.ts",
  "deleted file mode 100644",
  "index 1111111..0000000",
  "--- a/old name.ts\t",
  "+++ /dev/null",
  "@@ -1 +0,0 @@",
  "-gone",
  "diff --git a/src/a.ts b/src/b.ts",
  "similarity index 90%",
  "rename from src/a.ts",
  "rename to src/b.ts",
  "diff --git a/logo.png b/logo.png",
  "index 1234567..89abcde 100644",
  "Binary files a/logo.png and b/logo.png differ",
  "diff --git a/run.sh b/run.sh",
  "old mode 100644",
  "new mode 100755",
  "",
].join("\n");

const texts = (lines: DiffLine[]) => lines.map((l) => `${l.kind}:${l.oldNo ?? "-"}:${l.newNo ?? "-"}:${l.text}`);

describe("parsePatch", () => {
  const files = parsePatch(PATCH);

  it("splits a patch into its files, with the paths the extended header gives", () => {
    expect(files.map((f) => [f.oldPath, f.newPath, f.path])).toEqual([
      ["src/client.ts", "src/client.ts", "src/client.ts"],
      [null, "src/retry.ts", "src/retry.ts"],
      ["old name.ts", null, "old name.ts"],
      ["src/a.ts", "src/b.ts", "src/b.ts"],
      ["logo.png", "logo.png", "logo.png"],
      ["run.sh", "run.sh", "run.sh"],
    ]);
  });

  it("numbers each line on its side, across hunks", () => {
    const [client] = files;
    expect(client!.hunks.map((h) => h.header)).toEqual(["@@ -1,5 +1,6 @@", "@@ -40,2 +41,2 @@ export class Client {"]);
    expect(texts(client!.hunks[0]!.lines)).toEqual([
      'context:1:1:import { Http } from "./http";',
      'add:-:2:import { RetryPolicy } from "./retry";',
      "context:2:3:",
      "context:3:4:export class Client {",
      "del:4:-:  retry = 3;",
      "add:-:5:  policy = new RetryPolicy();",
      "context:5:6:}",
    ]);
    expect(texts(client!.hunks[1]!.lines)).toEqual(["del:40:-:  old()", "add:-:41:  new()", "context:41:42:end"]);
  });

  it("keeps 'no newline' as a note, and reads a deleted file whose path has a space", () => {
    expect(texts(files[1]!.hunks[0]!.lines)).toEqual([
      "add:-:1:export class RetryPolicy {}",
      "add:-:2:// no newline",
      "note:-:-:\\ No newline at end of file",
    ]);
    expect(texts(files[2]!.hunks[0]!.lines)).toEqual(["del:1:-:gone"]);
  });

  it("marks binary files, and keeps mode changes as meta with no hunks", () => {
    expect(files.map((f) => f.binary)).toEqual([false, false, false, false, true, false]);
    expect(files[5]!.hunks).toEqual([]);
    expect(files[5]!.meta).toEqual(["old mode 100644", "new mode 100755"]);
    expect(files[3]!.hunks).toEqual([]);
  });

  it("does not mistake a removed line that looks like a header for one", () => {
    const [file] = parsePatch(
      ["diff --git a/x b/x", "--- a/x", "+++ b/x", "@@ -1,2 +1,1 @@", "--- a/y", " keep", ""].join("\n"),
    );
    expect(file!.oldPath).toBe("x");
    expect(texts(file!.hunks[0]!.lines)).toEqual(["del:1:-:-- a/y", "context:2:1:keep"]);
  });

  it("reads C-quoted paths (non-ASCII names) and CRLF line ends", () => {
    const [file] = parsePatch(
      [
        'diff --git "a/t\\303\\244st.md" "b/t\\303\\244st.md"',
        'new file mode 100644',
        "--- /dev/null",
        '+++ "b/t\\303\\244st.md"',
        "@@ -0,0 +1 @@",
        "+hej",
      ].join("\r\n"),
    );
    expect(file!.path).toBe("täst.md");
    expect(file!.oldPath).toBeNull();
    expect(texts(file!.hunks[0]!.lines)).toEqual(["add:-:1:hej"]);
    expect(unquote('"tab\\there \\"q\\""')).toBe('tab\there "q"');
    expect(unquote("plain")).toBe("plain");
  });

  it("ignores anything before the first file, and reads an empty patch as no files", () => {
    expect(parsePatch("")).toEqual([]);
    expect(parsePatch("warning: something\n").length).toBe(0);
  });
});

describe("sideBySide", () => {
  it("pairs each run of removed lines with the added lines after it", () => {
    const [file] = parsePatch(
      [
        "diff --git a/f b/f",
        "--- a/f",
        "+++ b/f",
        "@@ -1,7 +1,6 @@",
        " a",
        "-b",
        "-c",
        "-d",
        "+B",
        "+C",
        " e",
        "+f2",
        " g",
        "-h",
        "",
      ].join("\n"),
    );
    const rows = sideBySide(file!.hunks[0]!).map((r) =>
      r.kind === "note" ? `note ${r.text}` : `${r.left ? `${r.left.oldNo}${r.left.kind[0]}:${r.left.text}` : "·"} | ${r.right ? `${r.right.newNo}${r.right.kind[0]}:${r.right.text}` : "·"}`,
    );
    expect(rows).toEqual([
      "1c:a | 1c:a",
      "2d:b | 2a:B",
      "3d:c | 3a:C",
      "4d:d | ·",
      "5c:e | 4c:e",
      "· | 5a:f2",
      "6c:g | 6c:g",
      "7d:h | ·",
    ]);
  });

  it("keeps a 'no newline' note after the pair it belongs to", () => {
    const [file] = parsePatch(
      ["diff --git a/f b/f", "--- a/f", "+++ b/f", "@@ -1 +1 @@", "-old", "\\ No newline at end of file", "+new", ""].join("\n"),
    );
    const rows = sideBySide(file!.hunks[0]!);
    expect(rows).toEqual([
      { kind: "pair", left: expect.objectContaining({ text: "old" }), right: expect.objectContaining({ text: "new" }) },
      { kind: "note", text: "\\ No newline at end of file" },
    ]);
  });
});

describe("line comments", () => {
  const line = (kind: "add" | "del" | "context", oldNo: number | null, newNo: number | null) => ({ kind, text: "x", oldNo, newNo });

  it("place a line by the new file's number, or the old file's for a removed line", () => {
    expect(lineRef(line("add", null, 7))).toEqual({ ref: "new:7", no: 7 });
    expect(lineRef(line("context", 3, 4))).toEqual({ ref: "new:4", no: 4 });
    expect(lineRef(line("del", 5, null))).toEqual({ ref: "old:5", no: 5 });
  });

  it("go to the agent as path:line: comment, one a line, a long one indented under its first", () => {
    const c = (path: string, no: number, text: string, removed: string | null = null) => ({
      id: no,
      path,
      ref: `new:${no}`,
      line: no,
      removed,
      text,
      sent: false,
    });
    expect(commentsMessage([c("src/a.ts", 3, "Rename this")])).toBe("A review comment on your diff:\n\nsrc/a.ts:3: Rename this");
    expect(commentsMessage([c("a.rs", 1, "Two\nlines"), c("b.rs", 9, "Why?")])).toBe(
      "Review comments on your diff:\n\na.rs:1: Two\n    lines\nb.rs:9: Why?",
    );
    expect(commentsMessage([c("a.rs", 4, "Keep it", "  let x = 1;")])).toBe(
      'A review comment on your diff:\n\na.rs:4: (on the removed line "let x = 1;") Keep it',
    );
  });
});
