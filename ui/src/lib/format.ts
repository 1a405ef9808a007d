// Short texts for lanes: one-line summaries of tool inputs and outputs, costs, token counts,
// durations and sizes on disk.

import type { Agent } from "../bindings/Agent";
import type { JsonValue } from "../bindings/serde_json/JsonValue";

/** The fields that say what a tool call is about, in order of preference. */
const SUMMARY_FIELDS = [
  "command",
  "file_path",
  "notebook_path",
  "pattern",
  "url",
  "query",
  "path",
  "description",
  "prompt",
];

/** One line for a tool call's input: its command, path or pattern, else compact JSON. */
export function toolSummary(input: unknown, max = 160): string {
  if (input !== null && typeof input === "object" && !Array.isArray(input)) {
    const fields = input as Record<string, unknown>;
    for (const name of SUMMARY_FIELDS) {
      const value = fields[name];
      if (typeof value === "string" && value.trim() !== "") return clip(oneLine(value), max);
    }
  }
  if (typeof input === "string") return clip(oneLine(input), max);
  return clip(JSON.stringify(input) ?? "", max);
}

/** Pretty JSON for the expanded view. */
export function prettyJson(value: JsonValue | unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value, null, 2) ?? String(value));
}

/** The first non-empty line, and whether anything else follows it. */
export function firstLine(text: string): { line: string; more: boolean } {
  const lines = text.split(/\r?\n/);
  const index = lines.findIndex((l) => l.trim() !== "");
  if (index < 0) return { line: "", more: false };
  return { line: lines[index]!, more: lines.slice(index + 1).some((l) => l.trim() !== "") };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ⏎ ").trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** "$0.42"; "~$0.42" when Baton estimated it; "<$0.01" for the smallest amounts. */
export function formatCost(usd: number, estimate = false): string {
  const approx = estimate ? "~" : "";
  if (usd > 0 && usd < 0.01) return `${approx}<$0.01`;
  return `${approx}$${usd.toFixed(2)}`;
}

/** The total of several agents: an estimate as soon as one of them is. */
export function totalCost(agents: readonly Agent[]): { usd: number; estimate: boolean } {
  let usd = 0;
  let estimate = false;
  for (const a of agents) {
    usd += a.costUsd;
    estimate ||= a.costIsEstimate;
  }
  return { usd, estimate };
}

/** 950, 12.3k, 4.1M. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 999_950) return `${trimZero((n / 1000).toFixed(1))}k`;
  return `${trimZero((n / 1_000_000).toFixed(1))}M`;
}

function trimZero(text: string): string {
  return text.endsWith(".0") ? text.slice(0, -2) : text;
}

/** 850 ms, 12.4 s, 3 min 5 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trimZero((ms / 1000).toFixed(1))} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

const BYTE_UNITS = ["KiB", "MiB", "GiB", "TiB"];

/** 512 B, 12.3 MiB, 4 GiB: binary units, as `du -h` counts. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
  let value = bytes / 1024;
  let unit = 0;
  // Past 1023.95 the one decimal would round to "1024.0": the next unit reads better.
  while (value >= 1023.95 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${trimZero(value.toFixed(1))} ${BYTE_UNITS[unit]}`;
}

/**
 * `text` with every path under `root` (an agent's worktree) written relative to it: `root/a/b`
 * becomes `a/b`, `root` alone `.`. A root of one segment or none is left alone (it would match
 * too much).
 */
export function relativePaths(text: string, root: string | null | undefined): string {
  const base = root?.replace(/\/+$/, "") ?? "";
  if (base.split("/").filter((s) => s !== "").length < 2 || !text.includes(base)) return text;
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // Only at a path's start and end: `/repo-2` is not under `/repo`.
  return text.replace(new RegExp(`(?<![\\w.-])${escaped}(?:/|(?![\\w.-]))`, "g"), (m) => (m.endsWith("/") ? "" : "."));
}
