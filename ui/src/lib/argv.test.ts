import { describe, expect, it } from "vitest";
import { ArgsError, splitArgs } from "./argv";

describe("splitArgs", () => {
  it("splits on runs of spaces and tabs", () => {
    expect(splitArgs("  npm   test\t-- --watch ")).toEqual(["npm", "test", "--", "--watch"]);
    expect(splitArgs("   ")).toEqual([]);
  });

  it("keeps quoted words whole, single quotes literally", () => {
    expect(splitArgs(`grep -r 'a "b" c' "d e"`)).toEqual(["grep", "-r", 'a "b" c', "d e"]);
    expect(splitArgs(`echo 'it\\s'`)).toEqual(["echo", "it\\s"]);
  });

  it("joins quoted and unquoted parts of one word, and keeps empty quotes as an argument", () => {
    expect(splitArgs(`--name="my app" x''y ""`)).toEqual(["--name=my app", "xy", ""]);
  });

  it("unescapes \\\" and \\\\ inside double quotes and any character outside", () => {
    expect(splitArgs(`say "a \\"b\\" \\\\ \\n" c\\ d`)).toEqual(["say", 'a "b" \\ \\n', "c d"]);
  });

  it("refuses an unclosed quote with a message that says what to do", () => {
    expect(() => splitArgs(`echo "oops`)).toThrow(ArgsError);
    expect(() => splitArgs(`echo 'oops`)).toThrow(/unclosed single quote/);
  });
});
