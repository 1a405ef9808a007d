// The command palette's entries: commands (some only for the agent in focus), every agent and
// every active session by name; found with a fuzzy match (fuzzysort, the matcher of Sublime
// Text's kind: letters in order, word starts weigh more), so "pay arch" finds the architect of
// "payments".

import fuzzysort from "fuzzysort";
import type { Agent } from "../bindings/Agent";
import type { AgentState } from "../bindings/AgentState";
import type { Session } from "../bindings/Session";

export type PaletteGroup = "Command" | "Agent" | "Session";

export type PaletteEntry = {
  id: string;
  group: PaletteGroup;
  label: string;
  /** Shown on the right: a shortcut, or the agent's session. */
  hint?: string;
  /** An agent's state, for its dot. */
  state?: AgentState;
  run: () => void;
};

export type PaletteActions = {
  agentFocus: (agent: Agent) => void;
  sessionOpen: (session: Session) => void;
  newAgent?: () => void;
  /** New work (the wizard) in the session shown, or from Home. */
  newWork?: () => void;
  approve?: (agent: Agent, tool: string) => void;
  stop?: (agent: Agent) => void;
  merge?: (agent: Agent) => void;
  inbox: () => void;
  /** Pause every agent and keep coordinators from starting tasks; resume them. */
  pauseAll?: () => void;
  resumeAll?: () => void;
  settings: () => void;
  home: () => void;
  help: () => void;
};

export type PaletteContext = {
  sessions: readonly Session[];
  agentsOf: (sessionId: string) => readonly Agent[];
  /** The session shown, if any: its agents come first. */
  sessionId: string | null;
  focused: Agent | null;
  /** Shortcut labels by command id. */
  keys: Partial<Record<string, string>>;
};

const LIVE: AgentState[] = ["starting", "running", "waiting", "needs_input"];

export function paletteEntries(ctx: PaletteContext, act: PaletteActions): PaletteEntry[] {
  const entries: PaletteEntry[] = [];
  const command = (id: string, label: string, run: () => void) =>
    entries.push({ id: `command:${id}`, group: "Command", label, hint: ctx.keys[id], run });

  const agent = ctx.focused;
  if (agent) {
    for (const request of agent.pending) {
      if (act.approve) command(`approve:${request.id}`, `Approve ${request.tool} for ${agent.name}`, () => act.approve!(agent, request.tool));
    }
    if (act.stop && LIVE.includes(agent.state)) command("stop", `Stop ${agent.name}`, () => act.stop!(agent));
    if (act.merge && agent.worktree && !agent.worktree.removedAt) command("merge", `Merge ${agent.name}…`, () => act.merge!(agent));
  }
  if (act.newWork) command("newWork", "New work…", act.newWork);
  if (act.newAgent) command("newAgent", "New agent…", act.newAgent);
  command("inbox", "Open inbox", act.inbox);
  if (act.pauseAll) command("pauseAll", "Pause all agents", act.pauseAll);
  if (act.resumeAll) command("resumeAll", "Resume all agents", act.resumeAll);
  command("home", "Go to all sessions", act.home);
  command("settings", "Open settings", act.settings);
  command("help", "Keyboard shortcuts", act.help);

  const active = ctx.sessions.filter((s) => s.state !== "archived" || s.id === ctx.sessionId);
  // The session shown first, then the others as listed (newest first).
  const ordered = [...active].sort((a, b) => Number(b.id === ctx.sessionId) - Number(a.id === ctx.sessionId));
  for (const session of ordered) {
    for (const a of ctx.agentsOf(session.id)) {
      entries.push({ id: `agent:${a.id}`, group: "Agent", label: a.name, hint: session.name, state: a.state, run: () => act.agentFocus(a) });
    }
  }
  for (const session of ordered) {
    entries.push({ id: `session:${session.id}`, group: "Session", label: session.name, run: () => act.sessionOpen(session) });
  }
  return entries;
}

/**
 * The entries that match `query`, best first (an agent's session name counts too); all of
 * them, in order, for an empty query.
 */
export function paletteSearch(query: string, entries: readonly PaletteEntry[], limit = 50): PaletteEntry[] {
  const q = query.trim();
  if (q === "") return entries.slice(0, limit);
  const found = fuzzysort.go(q, entries, {
    keys: ["label", (e: PaletteEntry) => (e.group === "Agent" ? `${e.hint ?? ""} ${e.label}` : "")],
    limit,
    threshold: 0.2,
  });
  // Equal matches keep the palette's own order (worker-01 before worker-02).
  const at = new Map(entries.map((e, i) => [e, i]));
  return [...found].sort((a, b) => b.score - a.score || at.get(a.obj)! - at.get(b.obj)!).map((r) => r.obj);
}
