import { describe, expect, it } from "vitest";
import { findingsMarkdown, verdictParse, verdictSummary } from "./verdict";

describe("verdictParse", () => {
  it("finds the verdict in prose and code fences, as the engine does", () => {
    const fenced = verdictParse('Here it is:\n```json\n{"verdict": "approve", "findings": []}\n```');
    expect(fenced).toEqual({ ok: true, verdict: { verdict: "approve", findings: [] } });
    const v = verdictParse(
      'Some {braces} first. {"verdict":"request_changes","findings":[{"file":"a.rs","line":3,"severity":"error","message":"off by one {sic}"},{"message":"nit"}]}',
    );
    expect(v).toEqual({
      ok: true,
      verdict: {
        verdict: "request_changes",
        findings: [
          { file: "a.rs", line: 3, severity: "error", message: "off by one {sic}" },
          { file: null, line: null, severity: "note", message: "nit" },
        ],
      },
    });
  });

  it("says why there is no verdict", () => {
    expect(verdictParse("Looks good to me!")).toEqual({ ok: false, reason: "it contains no JSON object" });
    expect(verdictParse('{"other": 1}')).toEqual({ ok: false, reason: "it contains no JSON object" });
    const maybe = verdictParse('{"verdict": "maybe"}');
    expect(!maybe.ok && maybe.reason).toContain("not valid");
    expect(verdictParse('{"verdict": "request_changes"}')).toEqual({ ok: false, reason: "it requests changes but lists no findings" });
  });
});

describe("verdict in words", () => {
  it("summarises by severity and lists findings as markdown", () => {
    const findings = [
      { file: "a.rs", line: 3, severity: "error", message: " off by one " },
      { file: "b.rs", line: null, severity: "note", message: "naming" },
      { file: null, line: null, severity: "note", message: "docs" },
    ];
    expect(verdictSummary({ verdict: "request_changes", findings })).toBe("changes requested: 3 findings (1 error, 2 note)");
    expect(verdictSummary({ verdict: "approve", findings: [] })).toBe("approved, no findings");
    expect(findingsMarkdown(findings)).toBe("- [error] a.rs:3: off by one\n- [note] b.rs: naming\n- [note] docs");
  });
});
