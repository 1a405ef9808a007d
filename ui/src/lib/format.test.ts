import { describe, expect, it } from "vitest";
import type { Agent } from "../bindings/Agent";
import { firstLine, formatBytes, formatCost, formatCount, formatDuration, relativePaths, toolSummary, totalCost } from "./format";

describe("format", () => {
  it("summarises a tool input by its most telling field, else compact JSON", () => {
    expect(toolSummary({ command: "npm test", description: "Run" })).toBe("npm test");
    expect(toolSummary({ file_path: "src/a.ts", content: "x" })).toBe("src/a.ts");
    expect(toolSummary({ pattern: "retry\\(", path: "src" })).toBe("retry\\(");
    expect(toolSummary({ todos: [1, 2] })).toBe('{"todos":[1,2]}');
    expect(toolSummary({ command: "a\nb" })).toBe("a ⏎ b");
    expect(toolSummary({ command: "x".repeat(300) })).toHaveLength(160);
  });

  it("takes the first non-empty line and says whether more follows", () => {
    expect(firstLine("\n  \nfirst\nsecond")).toEqual({ line: "first", more: true });
    expect(firstLine("only\n\n")).toEqual({ line: "only", more: false });
    expect(firstLine("")).toEqual({ line: "", more: false });
  });

  it("formats costs, estimates and totals", () => {
    expect(formatCost(0.4213)).toBe("$0.42");
    expect(formatCost(0.004, true)).toBe("~<$0.01");
    expect(formatCost(0)).toBe("$0.00");
    const agents = [
      { costUsd: 0.5, costIsEstimate: false },
      { costUsd: 0.25, costIsEstimate: true },
    ] as Agent[];
    expect(totalCost(agents)).toEqual({ usd: 0.75, estimate: true });
    expect(totalCost(agents.slice(0, 1))).toEqual({ usd: 0.5, estimate: false });
  });

  it("shortens counts and durations", () => {
    expect([950, 12_345, 1_000, 999_999, 4_100_000].map(formatCount)).toEqual(["950", "12.3k", "1k", "1M", "4.1M"]);
    expect([850, 12_400, 60_000, 185_000].map(formatDuration)).toEqual(["850 ms", "12.4 s", "1 min", "3 min 5 s"]);
  });

  it("formats sizes on disk in binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(12.3 * 1024 * 1024)).toBe("12.3 MiB");
    expect(formatBytes(48 * 1024 * 1024)).toBe("48 MiB");
    expect(formatBytes(1024 * 1024 - 1)).toBe("1 MiB");
    expect(formatBytes(3.5 * 1024 ** 3)).toBe("3.5 GiB");
    expect(formatBytes(2048 * 1024 ** 4)).toBe("2048 TiB");
  });
});

describe("relativePaths", () => {
  const root = "/home/dev/.baton/worktrees/s/editor";

  it("writes paths under the worktree relative to it", () => {
    expect(relativePaths(`${root}/src/main.rs`, root)).toBe("src/main.rs");
    expect(relativePaths(`File created successfully at: ${root}/hello.txt (ok)`, root)).toBe(
      "File created successfully at: hello.txt (ok)",
    );
    expect(relativePaths(`cd ${root} && ls ${root}/a ${root}/b`, `${root}/`)).toBe("cd . && ls a b");
  });

  it("leaves alone paths that only start like the worktree, and roots too short to mean anything", () => {
    expect(relativePaths(`${root}-2/x ${root}.bak`, root)).toBe(`${root}-2/x ${root}.bak`);
    expect(relativePaths("/home/x", "/home")).toBe("/home/x");
    expect(relativePaths("/a/b", null)).toBe("/a/b");
  });
});
