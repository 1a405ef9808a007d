// A session's health as the Health view follows it: the daemon's report (each agent's score with
// its named deductions, the session's score, "pause all", the sampler's ticks), each agent's
// samples for the charts, and the open alerts. Nothing is computed here: the engine scores. It
// is read again when the sampler says it measured (`health_sampled`, at its own rate, never
// faster) and when an alert or an agent changes; one read at a time, and a change during a read
// asks for one more. Samples are fetched from the last one held, so each tick adds its few.

import type { Alert } from "../bindings/Alert";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { HealthReport } from "../bindings/HealthReport";
import type { HealthSample } from "../bindings/HealthSample";
import type { PauseReport } from "../bindings/PauseReport";
import type { SessionHealth as SessionGlance } from "../bindings/SessionHealth";
import { BackendError, type Backend } from "./backend";

/** How far back the charts reach when the view opens (the daemon keeps every sample this long). */
export const CHART_SPAN_MS = 15 * 60 * 1000;
/** Samples held per agent at most (the span at one sample a second). */
const SAMPLES_HELD = 900;

export class SessionHealth {
  report = $state.raw<HealthReport | null>(null);
  alerts = $state.raw<Alert[]>([]);
  /** Each agent's samples, oldest first. */
  samples = $state.raw(new Map<string, HealthSample[]>());
  error = $state.raw<BackendError | null>(null);
  loaded = $state(false);

  private closed = false;
  private reading: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly backend: Backend,
    readonly sessionId: string,
  ) {}

  /** Reads everything again (one read at a time; asked during one, once more after it). */
  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        await this.read();
      } while (this.again && !this.closed);
      this.reading = null;
    })();
    return this.reading;
  }

  apply(events: readonly EngineEvent[]): void {
    if (this.closed) return;
    const relevant = events.some(
      (e) =>
        e.type === "health_sampled" ||
        (e.type === "alert_updated" && e.alert.sessionId === this.sessionId) ||
        (e.type === "agent_updated" && e.agent.sessionId === this.sessionId) ||
        (e.type === "agent_removed"),
    );
    if (relevant) void this.refresh();
  }

  async acknowledge(alert: Alert): Promise<void> {
    await this.backend.alertAcknowledge(alert.id);
    this.alerts = this.alerts.filter((a) => a.id !== alert.id);
    void this.refresh();
  }

  async pauseAll(): Promise<PauseReport> {
    const report = await this.backend.agentsPauseAll();
    void this.refresh();
    return report;
  }

  async resumeAll(): Promise<PauseReport> {
    const report = await this.backend.agentsResumeAll();
    void this.refresh();
    return report;
  }

  close(): void {
    this.closed = true;
  }

  private async read(): Promise<void> {
    try {
      const [report, alerts] = await Promise.all([
        this.backend.healthAgents({ session: this.sessionId }),
        this.backend.alertList({ session: this.sessionId }),
      ]);
      if (this.closed) return;
      const next = new Map<string, HealthSample[]>();
      await Promise.all(
        report.agents.map(async (agent) => {
          const held = this.samples.get(agent.agentId) ?? [];
          const since = held.length > 0 ? held[held.length - 1]!.ts + 1 : Date.now() - CHART_SPAN_MS;
          const fresh = await this.backend.agentSamples(agent.agentId, { since });
          const all = held.concat(fresh);
          next.set(agent.agentId, all.length > SAMPLES_HELD ? all.slice(all.length - SAMPLES_HELD) : all);
        }),
      );
      if (this.closed) return;
      this.report = report;
      this.alerts = alerts;
      this.samples = next;
      this.error = null;
    } catch (err) {
      if (!this.closed) this.error = BackendError.from(err);
    } finally {
      if (!this.closed) this.loaded = true;
    }
  }
}

/**
 * Every session's score and open alerts, as Home and the sidebar show them (the engine scores):
 * read again when the sampler measured or an alert changed, one read at a time.
 */
export class SessionScores {
  bySession = $state.raw(new Map<string, SessionGlance>());
  private closed = false;
  private reading: Promise<void> | null = null;
  private again = false;

  constructor(private readonly backend: Backend) {}

  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        try {
          const list = await this.backend.healthSessions();
          if (!this.closed) this.bySession = new Map(list.map((s) => [s.sessionId, s]));
        } catch {
          // A daemon without health (older): no scores are shown.
        }
      } while (this.again && !this.closed);
      this.reading = null;
    })();
    return this.reading;
  }

  apply(events: readonly EngineEvent[]): void {
    if (!this.closed && events.some((e) => e.type === "health_sampled" || e.type === "alert_updated")) void this.refresh();
  }

  close(): void {
    this.closed = true;
  }
}
