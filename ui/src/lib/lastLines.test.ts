import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { EventRow } from "./eventRows";
import { lastLines } from "./lastLines";

const rows = (events: AgentEvent[]): EventRow[] => events.map((event, i) => ({ key: i + 1, ts: i, event }));

describe("lastLines", () => {
  it("keeps the last lines that say something, oldest first", () => {
    const got = lastLines(
      rows([
        { kind: "user_text", text: "fix the bug" },
        { kind: "text", text: "Looking.\nFound it in main.rs", delta: false },
        { kind: "usage", input_tokens: 1, output_tokens: 2, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: null },
        { kind: "tool_call", id: "t", name: "Edit", input: { file_path: "src/main.rs" } },
        { kind: "file_change", path: "src/main.rs", change: "modified" },
        { kind: "text", text: "Fixed.", delta: false },
        { kind: "turn_completed", result: "Fixed.", is_error: false, subtype: null, duration_ms: 3 },
      ]),
      3,
    );
    // The turn's answer repeats the last text: shown once.
    expect(got).toEqual([expect.stringMatching(/^Edit .*src\/main\.rs/), "modified src/main.rs", "Fixed."]);
  });

  it("says why an agent waits or failed", () => {
    expect(
      lastLines(rows([{ kind: "permission_denied", tool: "Bash", tool_use_id: null, input: {} }, { kind: "exited", code: 2, signal: null }])),
    ).toEqual(["waits for permission: Bash", "exited with code 2"]);
    expect(lastLines([])).toEqual([]);
  });
});
