// Types of `daemon.mjs`, for the TypeScript tests that import it.

import type { ChildProcess } from "node:child_process";
import type { Agent } from "../src/bindings/Agent";
import type { Session } from "../src/bindings/Session";
import type { SessionUpdate } from "../src/bindings/SessionUpdate";
import type { Task } from "../src/bindings/Task";
import type { TaskCreate } from "../src/bindings/TaskCreate";
import type { Verdict } from "../src/bindings/Verdict";

export const REPO_ROOT: string;
export const FAKE_CLAUDE: string;
export function batonBin(): string;

export class DaemonApiError extends Error {
  readonly code: string;
  readonly status: number;
}

export class DaemonApi {
  constructor(url: string, token: string);
  readonly url: string;
  readonly token: string;
  request<T = any>(method: string, path: string, body?: unknown): Promise<T>;
}

export type UntilOptions = {
  timeoutMs?: number;
  intervalMs?: number;
  what?: string;
  describe?: () => string | Promise<string>;
};
export function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, options?: UntilOptions): Promise<T>;

export class Daemon {
  readonly child: ChildProcess;
  readonly bin: string;
  readonly root: string;
  readonly home: string;
  readonly fakeDir: string;
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  readonly url: string;
  readonly api: DaemonApi;
  pageUrl(base?: string): string;
  repoMake(name?: string, files?: Record<string, string>): string;
  verdictsWrite(verdicts: (Verdict | string)[]): void;
  release(): void;
  /** Stops the daemon with `force` (agents at work are interrupted) and starts a new one on the same home. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export type DaemonOptions = {
  fakeClaude?: boolean;
  settings?: Record<string, unknown>;
  bin?: string;
  /** Added to the daemon's environment. */
  env?: Record<string, string>;
};
export function daemonStart(options?: DaemonOptions): Promise<Daemon>;

export function repoMake(dir: string, files?: Record<string, string>): string;
export function repoCommit(dir: string, files: Record<string, string | null>, message?: string): string;
export function repoGit(dir: string, ...args: string[]): string;

export const SESSION_UNCHANGED: SessionUpdate;
export function sessionMake(api: DaemonApi, repo: string, name: string | null, settings?: Partial<SessionUpdate>): Promise<Session>;
export function commandSpawn(api: DaemonApi, session: string, program: string[], name?: string | null): Promise<Agent>;
export function claudeSpawn(api: DaemonApi, session: string, prompt: string, name?: string | null, allowTools?: string[]): Promise<Agent>;
export function taskAdd(
  api: DaemonApi,
  session: string,
  fields: Pick<TaskCreate, "title" | "prompt"> & Partial<Omit<TaskCreate, "session">>,
): Promise<Task>;
export function agentUntil(api: DaemonApi, id: string, test: (agent: Agent) => boolean, what?: string): Promise<Agent>;
export function tasksUntil(api: DaemonApi, session: string, test: (tasks: Task[]) => boolean, what?: string): Promise<Task[]>;
export function taskState(tasks: Task[], name: string): Task["state"] | undefined;
export function triAgentRun(daemon: Daemon, session: string, goal: string): Promise<Session>;
export const BEST_OF_THREE: string;
export function bestOfRun(daemon: Daemon, session: string, goal?: string): Promise<Task>;
export function demoSeed(daemon: Daemon): Promise<{ pay: Session; web: Session; long: Session }>;
