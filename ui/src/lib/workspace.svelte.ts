// What the whole window shows around the view in the middle: every session with its agents
// (the sidebar, the command palette) and the inbox of what needs the user (its count in the
// window's title). Loaded from the daemon, kept up from the event stream.
//
// The inbox is the engine's (`GET /api/inbox`): it is read again after the events that may
// change it, one read at a time (events during a read ask for one more read after it).

import type { Agent } from "../bindings/Agent";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { InboxItem } from "../bindings/InboxItem";
import type { Session } from "../bindings/Session";
import { BackendError, type Backend } from "./backend";
import { parseTimestamp } from "./time";

/** An agent with a process, or one that a message can wake: it can be stopped. */
export function agentAlive(agent: Agent): boolean {
  return agent.state === "starting" || agent.state === "running" || agent.state === "waiting" || agent.state === "needs_input";
}

export class Workspace {
  /** Newest first, as the daemon lists them. */
  sessions = $state.raw<Session[]>([]);
  /** Each session's agents, oldest first (the order of the overview and of next/previous). */
  agentsBySession = $state.raw(new Map<string, Agent[]>());
  inbox = $state.raw<InboxItem[]>([]);
  loaded = $state(false);
  error = $state.raw<BackendError | null>(null);
  inboxError = $state.raw<BackendError | null>(null);

  private agents = new Map<string, Agent>();
  private readonly backend: Backend;
  private inboxReading = false;
  private inboxAgain = false;
  private closed = false;

  constructor(backend: Backend) {
    this.backend = backend;
  }

  agentsOf(sessionId: string): Agent[] {
    return this.agentsBySession.get(sessionId) ?? [];
  }

  agent(agentId: string): Agent | undefined {
    return this.agents.get(agentId);
  }

  session(sessionId: string): Session | undefined {
    return this.sessions.find((s) => s.id === sessionId || s.name === sessionId);
  }

  /** The inbox's items about one agent (permission requests, its failed task...). */
  needs(agentId: string): InboxItem[] {
    return this.inbox.filter((i) => i.agentId === agentId);
  }

  async load(): Promise<void> {
    try {
      const [sessions, agents] = await Promise.all([this.backend.sessionList(), this.backend.agentList({ archived: false })]);
      if (this.closed) return;
      // The stream runs while the lists are read: what it brought meanwhile is newer than the
      // read and stays (an agent that asked for a permission must not read as running again).
      const heardSessions = new Map(this.sessions.map((x) => [x.id, x]));
      this.sessions = sessions.map((x) => newer(heardSessions.get(x.id), x));
      for (const x of this.sessions) heardSessions.delete(x.id);
      this.sessions = [...heardSessions.values(), ...this.sessions];
      const listed = new Map(agents.map((a) => [a.id, newer(this.agents.get(a.id), a)]));
      // Agents created after the read was answered are known from the stream alone.
      for (const [id, a] of this.agents) if (!listed.has(id) && a.archivedAt === null) listed.set(id, a);
      this.agents = listed;
      this.group();
      this.error = null;
    } catch (err) {
      if (!this.closed) this.error = BackendError.from(err);
    } finally {
      this.loaded = true;
    }
    await this.inboxRefresh();
  }

  /** Reads the inbox again; a call during a read makes one more read after it. */
  async inboxRefresh(): Promise<void> {
    if (this.inboxReading) {
      this.inboxAgain = true;
      return;
    }
    this.inboxReading = true;
    try {
      do {
        this.inboxAgain = false;
        try {
          const items = await this.backend.inbox();
          if (this.closed) return;
          this.inbox = items;
          this.inboxError = null;
        } catch (err) {
          if (!this.closed) this.inboxError = BackendError.from(err);
        }
      } while (this.inboxAgain && !this.closed);
    } finally {
      this.inboxReading = false;
    }
  }

  /** Keeps an agent a reply of this window's own call returned, as an event would. */
  upsert(agent: Agent): void {
    const known = this.agents.get(agent.id);
    if (known && time(known.updatedAt) > time(agent.updatedAt)) return;
    this.agents.set(agent.id, agent);
    this.group();
  }

  sessionUpsert(session: Session): void {
    const known = this.sessions.find((s) => s.id === session.id);
    if (known && time(known.updatedAt) > time(session.updatedAt)) return;
    this.sessions = known
      ? this.sessions.map((s) => (s.id === session.id ? session : s))
      : [session, ...this.sessions];
  }

  apply(events: readonly EngineEvent[]): void {
    let agentsChanged = false;
    let inboxStale = false;
    for (const event of events) {
      switch (event.type) {
        case "session_created":
        case "session_updated":
          this.sessionUpsert(event.session);
          inboxStale ||= event.type === "session_updated";
          break;
        case "agent_updated": {
          const known = this.agents.get(event.agent.id);
          if (known && time(known.updatedAt) > time(event.agent.updatedAt)) break;
          // The inbox follows an agent's permission requests, its state and its merges.
          inboxStale ||=
            !known ||
            known.pending.length !== event.agent.pending.length ||
            known.state !== event.agent.state ||
            known.worktree?.mergedAt !== event.agent.worktree?.mergedAt;
          // A removed agent is archived: its record stays, but it has no place in the sidebar.
          if (event.agent.archivedAt !== null) this.agents.delete(event.agent.id);
          else this.agents.set(event.agent.id, event.agent);
          agentsChanged = true;
          break;
        }
        case "agent_removed":
          agentsChanged = this.agents.delete(event.agentId) || agentsChanged;
          inboxStale = true;
          break;
        case "task_updated":
        case "context_updated":
          inboxStale = true;
          break;
      }
    }
    if (agentsChanged) this.group();
    if (inboxStale) void this.inboxRefresh();
  }

  close(): void {
    this.closed = true;
  }

  private group(): void {
    const by = new Map<string, Agent[]>();
    for (const agent of this.agents.values()) {
      const list = by.get(agent.sessionId);
      if (list) list.push(agent);
      else by.set(agent.sessionId, [agent]);
    }
    for (const list of by.values()) {
      list.sort((a, b) => time(a.createdAt) - time(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    this.agentsBySession = by;
  }
}

/** The newer of what the stream said (`heard`) and what a read answered. */
function newer<T extends { updatedAt: string }>(heard: T | undefined, read: T): T {
  return heard && time(heard.updatedAt) > time(read.updatedAt) ? heard : read;
}

function time(rfc3339: string): number {
  const t = parseTimestamp(rfc3339);
  return Number.isNaN(t) ? 0 : t;
}
