// New work: one wizard as the window holds it while the user answers and edits, and a session's
// drafts. Every rule is the engine's (which question comes next, what an answer may be, what a
// valid plan is); this state only calls its operations, keeps what they answered, and follows
// the `wizard_updated` events another window or the CLI may cause.

import type { CliKind } from "../bindings/CliKind";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { PatternInfo } from "../bindings/PatternInfo";
import type { Task } from "../bindings/Task";
import type { Wizard } from "../bindings/Wizard";
import type { WizardLaunched } from "../bindings/WizardLaunched";
import type { WizardPlan } from "../bindings/WizardPlan";
import { BackendError, type Backend } from "./backend";
import { parseTimestamp } from "./time";

/** The newer of two states of a wizard (from a reply or an event, either may come first). */
function newer(known: Wizard | null, next: Wizard): Wizard {
  if (known && known.id === next.id && parseTimestamp(known.updatedAt) > parseTimestamp(next.updatedAt)) return known;
  return next;
}

/** One wizard, from its start (or its id) to its launch. */
export class WizardFlow {
  wizard = $state.raw<Wizard | null>(null);
  /** A call is under way: the controls wait for it. */
  busy = $state(false);
  /** What the engine refused last (an answer, a plan, a launch); cleared by the next call. */
  error = $state.raw<BackendError | null>(null);

  constructor(private readonly backend: Backend) {}

  private async call<T>(run: () => Promise<T>): Promise<T | null> {
    this.busy = true;
    this.error = null;
    try {
      return await run();
    } catch (err) {
      this.error = BackendError.from(err);
      return null;
    } finally {
      this.busy = false;
    }
  }

  private async change(run: () => Promise<Wizard>): Promise<Wizard | null> {
    const next = await this.call(run);
    if (next) this.wizard = newer(this.wizard, next);
    return next;
  }

  /** With `planner`, a planner agent of that CLI asks the questions (the agent-assisted engine). */
  start(session: string, goal: string, planner: CliKind | null = null): Promise<Wizard | null> {
    const engine = planner ? ("agent" as const) : null;
    return this.change(() => this.backend.wizardStart({ session, goal, engine, ...(planner ? { cli: planner } : {}) }));
  }

  open(id: string): Promise<Wizard | null> {
    return this.change(() => this.backend.wizardGet(id));
  }

  /** Labels of the options chosen, or the text or number typed; none takes the recommended. */
  answer(answers: string[]): Promise<Wizard | null> {
    const id = this.wizard?.id;
    return id ? this.change(() => this.backend.wizardAnswer(id, { answers })) : Promise.resolve(null);
  }

  back(): Promise<Wizard | null> {
    const id = this.wizard?.id;
    return id ? this.change(() => this.backend.wizardBack(id)) : Promise.resolve(null);
  }

  /** Replaces the plan; a refusal names the field (`error.field`) and keeps the plan as it was. */
  planSet(plan: WizardPlan): Promise<Wizard | null> {
    const id = this.wizard?.id;
    return id ? this.change(() => this.backend.wizardPlanSet(id, { plan })) : Promise.resolve(null);
  }

  async launch(run: boolean): Promise<WizardLaunched | null> {
    const id = this.wizard?.id;
    if (!id) return null;
    const launched = await this.call(() => this.backend.wizardLaunch(id, { run }));
    if (launched) this.wizard = newer(this.wizard, launched.wizard);
    return launched;
  }

  discard(): Promise<Wizard | null> {
    const id = this.wizard?.id;
    return id ? this.change(() => this.backend.wizardDiscard(id)) : Promise.resolve(null);
  }

  savePattern(name: string): Promise<PatternInfo | null> {
    const id = this.wizard?.id;
    return id ? this.call(() => this.backend.wizardSavePattern(id, { name })) : Promise.resolve(null);
  }

  apply(events: readonly EngineEvent[]): void {
    // While a call of this window is under way its reply brings the change: the question
    // changes once, with the controls ready for the next answer.
    if (this.busy) return;
    for (const e of events) {
      if (e.type === "wizard_updated" && e.wizard.id === this.wizard?.id) this.wizard = newer(this.wizard, e.wizard);
    }
  }
}

/** A session's wizards still being answered or edited, newest first; live from the events. */
export class SessionDrafts {
  drafts = $state.raw<Wizard[]>([]);
  error = $state.raw<BackendError | null>(null);

  constructor(
    private readonly backend: Backend,
    readonly sessionId: string,
  ) {}

  async load(): Promise<void> {
    try {
      const all = await this.backend.wizardList({ session: this.sessionId });
      this.drafts = all.filter((w) => w.state === "draft");
      this.error = null;
    } catch (err) {
      this.error = BackendError.from(err);
    }
  }

  async discard(id: string): Promise<void> {
    try {
      this.apply([{ type: "wizard_updated", wizard: await this.backend.wizardDiscard(id) }]);
      this.error = null;
    } catch (err) {
      this.error = BackendError.from(err);
    }
  }

  apply(events: readonly EngineEvent[]): void {
    let next: Wizard[] | null = null;
    for (const e of events) {
      if (e.type !== "wizard_updated" || e.wizard.sessionId !== this.sessionId) continue;
      const list: Wizard[] = (next ?? this.drafts).filter((w) => w.id !== e.wizard.id);
      const known = (next ?? this.drafts).find((w) => w.id === e.wizard.id) ?? null;
      const wizard = newer(known, e.wizard);
      if (wizard.state === "draft") list.push(wizard);
      next = list.sort((a, b) => parseTimestamp(b.createdAt) - parseTimestamp(a.createdAt));
    }
    if (next) this.drafts = next;
  }
}

/** What a draft is at, in a few words: "question 2 of at most 5", or "plan to edit". */
export function draftProgress(w: Wizard): string {
  if (w.question) return `question ${w.question.position} of at most ${w.question.atMost}`;
  return w.plan ? "plan ready to edit" : "";
}

/**
 * The plan's tasks as the task graph draws them (`TaskGraph.svelte`): not started, each
 * dependency waiting. Ids are the tasks' names (unique in a plan); a dependency on a name the
 * plan lacks is left out (the engine names it as an error).
 */
export function planGraphTasks(plan: WizardPlan, sessionId: string): Task[] {
  const names = new Set(plan.tasks.map((t) => t.name));
  return plan.tasks.map((t) => {
    const agent = plan.agents.find((a) => a.role === t.role);
    const deps = [
      ...t.after.map((n) => ({ taskId: n, kind: "after" as const })),
      ...t.ifSucceeded.map((n) => ({ taskId: n, kind: "if_succeeded" as const })),
      ...t.ifFailed.map((n) => ({ taskId: n, kind: "if_failed" as const })),
    ]
      .filter((d) => names.has(d.taskId))
      .map((d) => ({ ...d, holds: "waiting" as const }));
    return {
      id: t.name,
      sessionId,
      name: t.name,
      title: t.title,
      prompt: t.prompt,
      sentPrompt: null,
      role: t.role,
      cli: agent?.cli ?? null,
      model: agent?.model ?? null,
      state: "pending",
      deps,
      agentId: null,
      summary: null,
      outcome: null,
      reason: null,
      attempts: 0,
      reviews: t.reviews,
      maxRounds: t.maxRounds ?? 3,
      rounds: 0,
      pattern: null,
      parentId: null,
      createdAt: "",
      updatedAt: "",
    };
  });
}
