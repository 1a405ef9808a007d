// The last few lines of an agent's history, as the overview's cards show them: what it said,
// the tools it used, what it printed (each line once). Reads only the last rows, so a card costs the same for an
// agent of ten events as for one of 100,000.

import type { EventRow } from "./eventRows";
import { toolSummary } from "./format";

/** A row as one line, or null for rows a glance does not need (usage, checkpoints...). */
export function rowLine(row: EventRow): string | null {
  const e = row.event;
  switch (e.kind) {
    case "text":
      return lastNonEmpty(e.text);
    case "user_text":
      return `${e.from ? `from ${e.from}` : "you"}: ${lastNonEmpty(e.text) ?? ""}`;
    case "message_sent":
      return `to ${e.to}: ${lastNonEmpty(e.text) ?? ""}`;
    case "tool_call":
      return `${e.name} ${toolSummary(e.input, 80)}`;
    case "tool_result":
      return e.is_error ? `✗ ${lastNonEmpty(e.output) ?? "tool failed"}` : null;
    case "file_change":
      return `${e.change} ${e.path}`;
    case "command":
      return `$ ${e.command}${e.exit_code !== null ? ` (exit ${e.exit_code})` : ""}`;
    case "permission_denied":
      return `waits for permission: ${e.tool}`;
    case "policy_denied":
      return `denied by policy: ${e.command ?? e.tool} (${e.rule})`;
    case "turn_completed":
      // The turn's answer; it often repeats the last text, which `lastLines` shows once.
      return e.is_error ? `✗ ${lastNonEmpty(e.result ?? "") ?? "turn failed"}` : lastNonEmpty(e.result ?? "");
    case "error":
      return `✗ ${e.message}`;
    case "stderr":
    case "raw":
      return lastNonEmpty(e.line);
    case "notice":
      // Where it works, what setup printed: not what the agent is doing.
      return null;
    case "exited":
      return e.code === null ? "exited" : `exited with code ${e.code}`;
    default:
      return null;
  }
}

/** Up to `count` lines from the end of `rows`, oldest first. */
export function lastLines(rows: readonly EventRow[], count = 4): string[] {
  const lines: string[] = [];
  for (let i = rows.length - 1; i >= 0 && lines.length < count; i--) {
    const line = rowLine(rows[i]!);
    if (line !== null && line.trim() !== "" && !lines.includes(line)) lines.push(line);
  }
  return lines.reverse();
}

function lastNonEmpty(text: string): string | null {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.length > 0 ? lines[lines.length - 1]!.trim() : null;
}
