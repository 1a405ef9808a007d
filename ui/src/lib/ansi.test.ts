import { describe, expect, it } from "vitest";
import { ansiClasses, parseAnsi, stripAnsi, type AnsiSpan } from "./ansi";

const E = "\x1b";

/** Spans as [text, classes] pairs, to compare at a glance. */
function styled(line: string): [string, string][] {
  return parseAnsi(line).map((s: AnsiSpan) => [s.text, ansiClasses(s)]);
}

describe("parseAnsi", () => {
  it("keeps plain text as one unstyled span", () => {
    expect(styled("hello world")).toEqual([["hello world", ""]]);
    expect(parseAnsi("")).toEqual([]);
  });

  it("colours 30–37 and resets with 39 and 0", () => {
    expect(styled(`a${E}[31mred${E}[39mb${E}[32mgreen${E}[0mc`)).toEqual([
      ["a", ""],
      ["red", "ansi-fg-1"],
      ["b", ""],
      ["green", "ansi-fg-2"],
      ["c", ""],
    ]);
  });

  it("maps bright 90–97 to palette 8–15 and backgrounds 40–47 / 100–107", () => {
    expect(styled(`${E}[90mdim${E}[97mwhite${E}[41;104mbg`)).toEqual([
      ["dim", "ansi-fg-8"],
      ["white", "ansi-fg-15"],
      ["bg", "ansi-fg-15 ansi-bg-12"],
    ]);
  });

  it("combines bold with colour in one sequence, and 22 ends bold", () => {
    expect(styled(`${E}[1;33mwarn${E}[22m plain yellow${E}[m`)).toEqual([
      ["warn", "ansi-fg-3 ansi-bold"],
      [" plain yellow", "ansi-fg-3"],
    ]);
  });

  it("treats an empty SGR as a reset", () => {
    expect(styled(`${E}[1mB${E}[mN`)).toEqual([
      ["B", "ansi-bold"],
      ["N", ""],
    ]);
  });

  it("reads 256-colour and truecolour as CSS colours, palette indexes below 16", () => {
    const spans = parseAnsi(`${E}[38;5;196mx${E}[38;5;9my${E}[38;2;10;20;300mz${E}[48;5;240mw`);
    expect(spans.map((s) => [s.text, s.fg, s.bg])).toEqual([
      ["x", "rgb(255, 0, 0)", null],
      ["y", 9, null],
      ["z", "rgb(10, 20, 255)", null],
      ["w", "rgb(10, 20, 255)", "rgb(88, 88, 88)"],
    ]);
  });

  it("strips other escapes: cursor moves, erase, OSC titles and links, lone ESC", () => {
    const line = `${E}[2K${E}[1G${E}]0;title${E}\\${E}]8;;http://x${E}\\link${E}]8;;${E}\\ ${E}[?25lok${E}7${E}`;
    expect(styled(line)).toEqual([["link ok", ""]]);
    expect(styled(`${E}]0;title\x07x`)).toEqual([["x", ""]]);
  });

  it("merges adjacent spans of the same style and drops empty ones", () => {
    expect(styled(`${E}[31ma${E}[31mb${E}[32m${E}[31mc`)).toEqual([["abc", "ansi-fg-1"]]);
  });

  it("shows what a terminal shows after carriage returns, and drops control characters", () => {
    expect(styled("progress 10%\rprogress 100%")).toEqual([["progress 100%", ""]]);
    expect(styled("line\r")).toEqual([["line", ""]]);
    expect(styled("a\x07b\tc\x00")).toEqual([["ab\tc", ""]]);
  });

  it("ignores attributes it does not render without losing the text", () => {
    expect(styled(`${E}[5;7;3;4mx${E}[23;24my`)).toEqual([
      ["x", "ansi-italic ansi-underline"],
      ["y", ""],
    ]);
  });
});

describe("stripAnsi", () => {
  it("leaves only the text", () => {
    expect(stripAnsi(`${E}[1;32m✓${E}[0m passed ${E}[90m(3)${E}[0m`)).toBe("✓ passed (3)");
  });
});
