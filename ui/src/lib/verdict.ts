// A reviewer's verdict, read the way the engine reads it (`coordinator/verdict.rs`): the first
// JSON object with a `verdict` in the text (models wrap JSON in prose or a code fence), or why
// there is none. The artifact viewer reads verdict artifacts with it; the fake backend reads its
// fake reviewers' answers with it.

import type { Finding } from "../bindings/Finding";
import type { Verdict } from "../bindings/Verdict";

export type VerdictRead = { ok: true; verdict: Verdict } | { ok: false; reason: string };

/** The verdict in `text`, or the reason there is none (worded as the engine words it). */
export function verdictParse(text: string): VerdictRead {
  let reason = "it contains no JSON object";
  for (let start = text.indexOf("{"); start >= 0; start = text.indexOf("{", start + 1)) {
    const value = firstJsonObject(text.slice(start));
    if (value === undefined || typeof value !== "object" || value === null || !("verdict" in value)) continue;
    const read = verdictFrom(value as Record<string, unknown>);
    if (read.ok) return read;
    reason = read.reason;
  }
  return { ok: false, reason };
}

/** One line: the verdict and its findings counted by severity ("changes requested: 2 findings (1 error, 1 note)"). */
export function verdictSummary(v: Verdict): string {
  const word = v.verdict === "approve" ? "approved" : "changes requested";
  if (v.findings.length === 0) return `${word}, no findings`;
  const counts = new Map<string, number>();
  for (const f of v.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const parts = [...counts].map(([severity, n]) => `${n} ${severity}`);
  return `${word}: ${v.findings.length} finding${v.findings.length === 1 ? "" : "s"} (${parts.join(", ")})`;
}

/** Findings as a markdown list, as the engine sends them back to the implementer. */
export function findingsMarkdown(findings: readonly Finding[]): string {
  return findings
    .map((f) => {
      const place = f.file !== null && f.line !== null ? `${f.file}:${f.line}: ` : f.file !== null ? `${f.file}: ` : "";
      return `- [${f.severity}] ${place}${f.message.trim()}`;
    })
    .join("\n");
}

function verdictFrom(value: Record<string, unknown>): VerdictRead {
  const kind = value.verdict;
  if (kind !== "approve" && kind !== "request_changes") {
    return { ok: false, reason: `its JSON verdict is not valid: unknown verdict ${JSON.stringify(kind)}` };
  }
  const raw = value.findings ?? [];
  if (!Array.isArray(raw)) return { ok: false, reason: "its JSON verdict is not valid: findings is not a list" };
  const findings: Finding[] = [];
  for (const f of raw) {
    if (typeof f !== "object" || f === null || typeof (f as { message?: unknown }).message !== "string") {
      return { ok: false, reason: "its JSON verdict is not valid: a finding has no message" };
    }
    const { file, line, severity, message } = f as Record<string, unknown>;
    findings.push({
      file: typeof file === "string" ? file : null,
      line: typeof line === "number" && Number.isInteger(line) && line >= 0 ? line : null,
      severity: typeof severity === "string" ? severity : "note",
      message: message as string,
    });
  }
  if (kind === "request_changes" && findings.length === 0) {
    return { ok: false, reason: "it requests changes but lists no findings" };
  }
  return { ok: true, verdict: { verdict: kind, findings } };
}

/** The JSON value that starts `text` (which begins with `{`), ignoring what follows it. */
function firstJsonObject(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === "{") {
      depth++;
    } else if (c === "}" && --depth === 0) {
      try {
        return JSON.parse(text.slice(0, i + 1));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
