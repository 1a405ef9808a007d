import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import { EventRows } from "./eventRows";

function records(events: AgentEvent[], from = 1): AgentEventRecord[] {
  return events.map((event, i) => ({ agentId: "a", seq: from + i, ts: 1000 + i, event }));
}

const delta = (text: string): AgentEvent => ({ kind: "text", text, delta: true });
const whole = (text: string): AgentEvent => ({ kind: "text", text, delta: false });

describe("EventRows", () => {
  it("joins consecutive deltas into one message keyed by its first seq", () => {
    const rows = new EventRows();
    rows.append(records([{ kind: "user_text", text: "hi" }, delta("Hel"), delta("lo, "), delta("world")]));

    expect(rows.rows).toHaveLength(2);
    expect(rows.rows[1]).toEqual({ key: 2, ts: 1001, event: { kind: "text", text: "Hello, world", delta: true } });
  });

  it("replaces the joined row with a new object, so a keyed list sees the change", () => {
    const rows = new EventRows();
    rows.append(records([delta("a")]));
    const first = rows.rows[0];
    rows.append(records([delta("b")], 2));
    expect(rows.rows[0]).not.toBe(first);
    expect(rows.rows[0]!.event).toEqual({ kind: "text", text: "ab", delta: true });
  });

  it("starts a new message after anything else, and keeps whole texts apart", () => {
    const rows = new EventRows();
    rows.append(
      records([
        delta("one"),
        { kind: "tool_call", id: "t", name: "Read", input: {} },
        delta("two"),
        whole("three"),
        whole("four"),
      ]),
    );
    expect(rows.rows.map((r) => (r.event.kind === "text" ? r.event.text : r.event.kind))).toEqual([
      "one",
      "tool_call",
      "two",
      "three",
      "four",
    ]);
  });

  it("does not show a message twice when it arrives whole after its pieces", () => {
    const rows = new EventRows();
    rows.append(records([delta("I'll "), delta("look."), { kind: "raw", line: "{}" }, whole("I'll look.")]));
    expect(rows.rows.map((r) => r.event)).toEqual([whole("I'll look."), { kind: "raw", line: "{}" }]);
    expect(rows.rows[0]!.key).toBe(1);
  });

  it("keeps a message streamed before a notice open, and closes it at a checkpoint", () => {
    const rows = new EventRows();
    // A notice (setup output) may fall between the pieces and the whole message: still one message.
    rows.append(records([delta("I'll "), delta("look."), { kind: "notice", message: "setup: npm ci" }, whole("I'll look.")]));
    expect(rows.rows.map((r) => r.event.kind)).toEqual(["text", "notice"]);

    // After a checkpoint the turn is over: the same words again are a new message.
    const after = new EventRows();
    after.append(
      records([delta("Done."), { kind: "checkpoint", n: 1, commit: "abc", message: "after turn 1" }, whole("Done.")]),
    );
    expect(after.rows.map((r) => r.event.kind)).toEqual(["text", "checkpoint", "text"]);
  });

  it("skips seqs already seen and stops at a gap", () => {
    const rows = new EventRows();
    expect(rows.append(records([whole("1"), whole("2")]))).toBe(true);
    expect(rows.append(records([whole("2"), whole("3")], 2))).toBe(true);
    expect(rows.rows.map((r) => r.key)).toEqual([1, 2, 3]);

    expect(rows.append(records([whole("5")], 5))).toBe(false);
    expect(rows.lastSeq).toBe(3);
    expect(rows.rows).toHaveLength(3);

    expect(rows.append(records([whole("7")], 7), true)).toBe(true);
    expect(rows.lastSeq).toBe(7);
  });

  it("shows a command once: its end updates the row where it started", () => {
    const rows = new EventRows();
    const started: AgentEvent = { kind: "command", id: "c1", command: "make", output: null, exit_code: null, status: "started" };
    const ended: AgentEvent = { kind: "command", id: "c1", command: "make", output: "ok", exit_code: 0, status: "completed" };
    rows.append(records([started, whole("meanwhile"), ended, { ...ended, id: "c2" }]));

    expect(rows.rows.map((r) => [r.key, r.event])).toEqual([
      [1, ended],
      [2, whole("meanwhile")],
      [4, { ...ended, id: "c2" }],
    ]);
  });

  it("clears in place", () => {
    const rows = new EventRows();
    const array = rows.rows;
    rows.append(records([whole("x")]));
    rows.clear();
    expect(rows.rows).toBe(array);
    expect(array).toHaveLength(0);
    expect(rows.lastSeq).toBe(0);
  });
});

describe("EventRows with subagents", () => {
  const nested = (event: AgentEvent): AgentEvent => ({ kind: "nested", parent_tool_use_id: "task1", event });
  const task: AgentEvent = { kind: "tool_call", id: "task1", name: "Task", input: { description: "Look" } };

  it("puts a subagent's events under the call that started it, not in the lane", () => {
    const rows = new EventRows();
    rows.append(
      records([
        task,
        nested({ kind: "user_text", text: "Look around" }),
        nested({ kind: "command", id: "c", command: "ls", output: null, exit_code: null, status: "started" }),
        nested({ kind: "command", id: "c", command: "ls", output: "a", exit_code: null, status: "completed" }),
        nested(delta("Fo")),
        nested(delta("und")),
        { kind: "tool_result", id: "task1", output: "Found a", is_error: false },
      ]),
    );
    expect(rows.rows.map((r) => r.event.kind)).toEqual(["tool_call", "tool_result"]);
    const inner = rows.rows[0]!.nested!.rows;
    expect(inner.map((r) => r.key)).toEqual([2, 3, 5]);
    expect(inner[1]!.event).toMatchObject({ kind: "command", status: "completed" });
    expect(inner[2]!.event).toEqual({ kind: "text", text: "Found", delta: true });
  });

  it("replaces the call's row when its subagent adds a step, so a keyed list sees the change", () => {
    const rows = new EventRows();
    rows.append(records([task, nested(whole("one"))]));
    const before = rows.rows[0];
    rows.append(records([nested(whole("two"))], 3));
    expect(rows.rows[0]).not.toBe(before);
    expect(rows.rows[0]!.key).toBe(1);
    expect(rows.rows[0]!.nested!.rows).toHaveLength(2);
  });

  it("keeps a subagent's event whose call it never saw as a row of its own", () => {
    const rows = new EventRows();
    rows.append(records([nested(whole("orphan"))], 10), true);
    expect(rows.rows).toEqual([{ key: 10, ts: 1000, event: nested(whole("orphan")) }]);
  });

  it("forgets the calls when cleared", () => {
    const rows = new EventRows();
    rows.append(records([task]));
    rows.clear();
    rows.append(records([nested(whole("after"))], 5), true);
    expect(rows.rows[0]!.event.kind).toBe("nested");
  });
});

describe("EventRows read from the end", () => {
  const task: AgentEvent = { kind: "tool_call", id: "task1", name: "Task", input: {} };
  const history = records([
    { kind: "user_text", text: "go" },
    task,
    { kind: "nested", parent_tool_use_id: "task1", event: { kind: "user_text", text: "look" } },
    { kind: "command", id: "c", command: "ls", output: null, exit_code: null, status: "started" },
    delta("Hel"),
    delta("lo"),
    { kind: "command", id: "c", command: "ls", output: "a", exit_code: 0, status: "completed" },
    { kind: "nested", parent_tool_use_id: "task1", event: whole("found a") },
    { kind: "tool_result", id: "task1", output: "a", is_error: false },
  ]);

  it("puts older pages in front and ends with the rows a read from the start gives", () => {
    const full = new EventRows();
    full.append(history);
    // Pages split a streamed message, a command and a subagent's work across their borders.
    for (const cut of [2, 3, 5, 6, 8]) {
      const rows = new EventRows();
      rows.append(history.slice(cut), true);
      expect(rows.firstSeq).toBe(cut + 1);
      const list = rows.rows;
      rows.prepend(history.slice(0, cut));
      expect(rows.rows).toBe(list); // the same array, for the list that holds it
      expect(rows.rows).toEqual(full.rows);
      expect(rows.firstSeq).toBe(1);
      expect(rows.lastSeq).toBe(9);
    }
  });

  it("ignores records it already holds, and keeps appending after a prepend", () => {
    const rows = new EventRows();
    rows.append(history.slice(4), true);
    rows.prepend(history.slice(2, 6));
    expect(rows.firstSeq).toBe(3);
    expect(rows.rows[0]!.key).toBe(3);
    rows.append(records([whole("more")], 10));
    expect(rows.rows.at(-1)!.event).toEqual(whole("more"));
  });
});
