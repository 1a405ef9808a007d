// The agents of one session, each agent's events and the files changed in its worktree, merged
// from the daemon's list, replies to this window's calls and the event stream, in whatever
// order they arrive.
//
// Events are many (a lane may hold 100,000): they live in plain arrays (`EventRows`) and each
// feed has one reactive `version` that is bumped once per batch, so Svelte tracks a number, not
// every event object.

import type { Agent } from "../bindings/Agent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { ChangedFile } from "../bindings/ChangedFile";
import type { EngineEvent } from "../bindings/EngineEvent";
import { AGENT_EVENTS_LIMIT, BackendError, type Backend } from "./backend";
import { EventRows } from "./eventRows";
import { parseTimestamp } from "./time";

/** One agent's history: loaded once from the daemon, then kept up from the stream. */
export class AgentFeed {
  readonly events = new EventRows();
  /** Bumped whenever `events.rows` changed. */
  version = $state(0);
  /** True until the first page of the history is in. */
  loading = $state(true);
  /** Events before the first one held exist: the lane reads them as the user scrolls up. */
  hasOlder = $state(false);
  /** An older page is being read. */
  olderLoading = $state(false);
  error = $state.raw<BackendError | null>(null);

  private readonly backend: Backend;
  private readonly pageSize: number;
  private fetching = false;
  /** Live records that came while the history was being fetched. */
  private held: AgentEventRecord[] = [];
  private closed = false;

  constructor(backend: Backend, readonly agentId: string, pageSize = AGENT_EVENTS_LIMIT) {
    this.backend = backend;
    this.pageSize = pageSize;
  }

  /** Live records for this agent. A missing seq means records were lost: fetch from there. */
  receive(records: readonly AgentEventRecord[]): void {
    if (this.closed || records.length === 0) return;
    if (this.fetching) {
      this.held.push(...records);
      return;
    }
    const complete = this.events.append(records);
    this.version++;
    if (!complete) void this.catchUp();
  }

  /**
   * Reads the history: the first time its last page (a lane opens on its newest events, however
   * long the history; older pages come with `loadOlder`), then after the last seq shown, page
   * by page, then what came meanwhile.
   */
  async catchUp(): Promise<void> {
    if (this.fetching || this.closed) return;
    this.fetching = true;
    try {
      if (this.events.lastSeq === 0) {
        // A screenful is enough to show at once; the rest comes as the user scrolls up.
        const limit = Math.min(this.pageSize, TAIL_PAGE);
        const tail = await this.backend.agentEvents(this.agentId, { before: HISTORY_END, limit });
        if (this.closed) return;
        this.events.append(tail, true);
        this.hasOlder = this.events.firstSeq > 1;
        this.version++;
        this.loading = false;
      }
      for (;;) {
        const page = await this.backend.agentEvents(this.agentId, { after: this.events.lastSeq, limit: this.pageSize });
        if (this.closed) return;
        this.events.append(page, true);
        this.version++;
        this.loading = false;
        if (page.length >= this.pageSize) continue;
        const held = this.held.sort((a, b) => a.seq - b.seq);
        this.held = [];
        const complete = this.events.append(held);
        if (held.length > 0) this.version++;
        if (complete) break;
      }
      this.error = null;
    } catch (err) {
      if (!this.closed) this.error = BackendError.from(err);
      this.loading = false;
    } finally {
      this.fetching = false;
    }
  }

  /** Reads the page before the first event held and puts it in front. */
  async loadOlder(): Promise<void> {
    if (!this.hasOlder || this.olderLoading || this.closed) return;
    this.olderLoading = true;
    try {
      const page = await this.backend.agentEvents(this.agentId, { before: this.events.firstSeq, limit: this.pageSize });
      if (this.closed) return;
      this.events.prepend(page);
      this.hasOlder = page.length > 0 && this.events.firstSeq > 1;
      this.version++;
      this.error = null;
    } catch (err) {
      if (!this.closed) this.error = BackendError.from(err);
    } finally {
      this.olderLoading = false;
    }
  }

  close(): void {
    this.closed = true;
  }
}

/** A seq past any history's end: `before` it is the history's last page. */
const HISTORY_END = Number.MAX_SAFE_INTEGER;
/** The first page read of a history, from its end: many screens, a fraction of a full page. */
const TAIL_PAGE = 1_000;

/**
 * The files changed in one agent's worktree: read once, then replaced by each `agent_changes`
 * event (the daemon sends the whole list whenever it changes).
 */
export class AgentChanges {
  /** `null` until first known. */
  files = $state.raw<ChangedFile[] | null>(null);
  error = $state.raw<BackendError | null>(null);

  private readonly backend: Backend;
  /** Lists heard from the stream: a read answered after a newer event is stale. */
  private heard = 0;
  private closed = false;

  constructor(backend: Backend, readonly agentId: string) {
    this.backend = backend;
  }

  receive(files: ChangedFile[]): void {
    if (this.closed) return;
    this.heard++;
    this.files = files;
    this.error = null;
  }

  async load(): Promise<void> {
    const heard = this.heard;
    try {
      const files = await this.backend.agentChanges(this.agentId);
      if (this.closed || this.heard !== heard) return;
      this.files = files;
      this.error = null;
    } catch (err) {
      if (!this.closed) this.error = BackendError.from(err);
    }
  }

  close(): void {
    this.closed = true;
  }
}

export class SessionAgents {
  /** Oldest first: a lane keeps its place as others are added. Archived (removed) agents are not here. */
  agents = $state.raw<Agent[]>([]);
  /** Agents the user removed: archived, their history and cost kept (`archivedAt` set), oldest first. */
  archived = $state.raw<Agent[]>([]);
  private readonly byId = new Map<string, Agent>();
  private readonly archivedById = new Map<string, Agent>();
  private readonly feeds = new Map<string, AgentFeed>();
  private readonly changeLists = new Map<string, AgentChanges>();
  /** Agents removed: a late reply or event about one must not bring its lane back. */
  private readonly removed = new Set<string>();
  private readonly backend: Backend;

  constructor(backend: Backend, readonly sessionId: string) {
    this.backend = backend;
  }

  feed(agentId: string): AgentFeed | undefined {
    return this.feeds.get(agentId);
  }

  /** The live changed files of an agent with a worktree of its own. */
  changes(agentId: string): AgentChanges | undefined {
    return this.changeLists.get(agentId);
  }

  /** Every agent of the session, archived ones included: what its total cost adds up. */
  get all(): Agent[] {
    return [...this.agents, ...this.archived];
  }

  /** The newer `updatedAt` wins, so a stale reply never undoes an event. */
  upsert(agent: Agent): void {
    if (agent.sessionId !== this.sessionId) return;
    if (agent.archivedAt !== null) {
      // Removed here or by another client: its lane goes, the agent stays listed as archived.
      this.archivedById.set(agent.id, agent);
      this.archived = [...this.archivedById.values()].sort(byCreation);
      this.remove(agent.id);
      return;
    }
    if (this.removed.has(agent.id)) return;
    const known = this.byId.get(agent.id);
    if (known && time(known.updatedAt) > time(agent.updatedAt)) return;
    this.byId.set(agent.id, agent);
    if (!this.feeds.has(agent.id)) {
      const feed = new AgentFeed(this.backend, agent.id);
      this.feeds.set(agent.id, feed);
      void feed.catchUp();
    }
    if (agent.worktree) {
      let changes = this.changeLists.get(agent.id);
      if (!changes) {
        changes = new AgentChanges(this.backend, agent.id);
        this.changeLists.set(agent.id, changes);
        if (!agent.worktree.removedAt) void changes.load();
      }
      // A removed worktree has no folder, so nothing uncommitted; its branch keeps the work.
      if (agent.worktree.removedAt && changes.files?.length !== 0) changes.receive([]);
    }
    this.sort();
  }

  /** The agent is gone (removed here or by another client): its lane goes too. */
  remove(agentId: string): void {
    this.removed.add(agentId);
    this.feeds.get(agentId)?.close();
    this.feeds.delete(agentId);
    this.changeLists.get(agentId)?.close();
    this.changeLists.delete(agentId);
    if (this.byId.delete(agentId)) this.sort();
  }

  /** Reads the list again, and each history and changed-file list (after a reconnect). */
  async load(): Promise<void> {
    const agents = await this.backend.agentList({ session: this.sessionId });
    for (const agent of agents) this.upsert(agent);
    for (const feed of this.feeds.values()) void feed.catchUp();
    for (const [id, changes] of this.changeLists) {
      if (!this.byId.get(id)?.worktree?.removedAt) void changes.load();
    }
  }

  apply(events: readonly EngineEvent[]): void {
    // Records grouped per agent, so a batch of a thousand bumps each lane once.
    const records = new Map<string, AgentEventRecord[]>();
    for (const event of events) {
      if (event.type === "agent_updated") {
        this.upsert(event.agent);
      } else if (event.type === "agent_removed") {
        records.delete(event.agentId);
        this.remove(event.agentId);
      } else if (event.type === "agent_changes") {
        // An agent not known here: another session's, or its read on arrival will see this.
        this.changeLists.get(event.agentId)?.receive(event.files);
      } else if (event.type === "agent_event") {
        // An agent not (yet) known here is another session's, or its `agent_updated` is on its
        // way; its feed then reads the history, these records included.
        if (!this.feeds.has(event.record.agentId)) continue;
        const list = records.get(event.record.agentId);
        if (list) list.push(event.record);
        else records.set(event.record.agentId, [event.record]);
      }
    }
    for (const [agentId, list] of records) this.feeds.get(agentId)?.receive(list);
  }

  close(): void {
    for (const feed of this.feeds.values()) feed.close();
    for (const changes of this.changeLists.values()) changes.close();
  }

  private sort(): void {
    this.agents = [...this.byId.values()].sort(byCreation);
  }
}

function byCreation(a: Agent, b: Agent): number {
  return time(a.createdAt) - time(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function time(rfc3339: string): number {
  const t = parseTimestamp(rfc3339);
  return Number.isNaN(t) ? 0 : t;
}
