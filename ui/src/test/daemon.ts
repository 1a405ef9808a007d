/// <reference types="node" />
// A real `baton daemon` for a test file: started before its tests in a temporary home, stopped
// (and its home removed) after them. Tests talk to it through `HttpBackend`, as the app does,
// and seed it through the API with the helpers of `scripts/daemon.mjs`.

import { afterAll, afterEach, beforeAll, beforeEach, vi } from "vitest";
import { type Daemon, type DaemonOptions, daemonStart } from "../../scripts/daemon.mjs";
import type { Agent } from "../bindings/Agent";
import type { EngineEvent } from "../bindings/EngineEvent";
import { HttpBackend } from "../lib/backend";

export * from "../../scripts/daemon.mjs";

export type DaemonFixture = {
  readonly daemon: Daemon;
  /** The daemon as the UI sees it. */
  readonly backend: HttpBackend;
  /** A name not used before in this file (sessions' names are unique in a home). */
  unique(prefix: string): string;
};

/**
 * One daemon for the test file (`perTest`: a new one for each test, for views that show the
 * whole home, as the session list does): call at the top level of the file.
 */
export function useDaemon(options: DaemonOptions & { perTest?: boolean } = {}): DaemonFixture {
  let daemon: Daemon | null = null;
  let backend: HttpBackend | null = null;
  let names = 0;
  const { perTest = false, ...start } = options;
  (perTest ? beforeEach : beforeAll)(async () => {
    daemon = await daemonStart(start);
    backend = new HttpBackend({ url: daemon.url, token: daemon.token });
  }, 20_000);
  (perTest ? afterEach : afterAll)(async () => {
    await daemon?.stop();
    daemon = null;
    backend = null;
  }, 30_000);
  return {
    get daemon() {
      if (!daemon) throw new Error("the daemon starts in beforeAll: use it inside a test");
      return daemon;
    },
    get backend() {
      if (!backend) throw new Error("the daemon starts in beforeAll: use it inside a test");
      return backend;
    },
    unique(prefix) {
      names += 1;
      return `${prefix}${names}`;
    },
  };
}

/**
 * Subscribes to the daemon's events, runs `action` once the stream is live, and resolves with
 * the first event that `test` accepts (with what `action` returned); fails after `timeoutMs`.
 */
export function eventAfter<R>(
  backend: HttpBackend,
  action: () => Promise<R> | R,
  test: (event: EngineEvent) => boolean,
  timeoutMs = 15_000,
): Promise<{ event: EngineEvent; result: R }> {
  return new Promise((resolve, reject) => {
    let result: { done: true; value: R } | { done: false } = { done: false };
    let found: EngineEvent | null = null;
    let started = false;
    const finish = () => {
      if (found === null || !result.done) return;
      clearTimeout(timer);
      unsubscribe();
      resolve({ event: found, result: result.value });
    };
    const fail = (err: unknown) => {
      clearTimeout(timer);
      unsubscribe();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no matching event from the daemon within ${timeoutMs} ms`)), timeoutMs);
    const unsubscribe = backend.subscribe(
      (events) => {
        if (!started || found !== null) return;
        found = events.find(test) ?? null;
        finish();
      },
      (connected) => {
        if (!connected || started) return;
        started = true;
        Promise.resolve()
          .then(action)
          .then((value) => {
            result = { done: true, value };
            finish();
          }, fail);
      },
    );
  });
}

/** Whether an agent has ended (its process is gone). */
export function agentEnded(agent: Agent): boolean {
  return agent.state === "exited" || agent.state === "failed" || agent.state === "stopped";
}

/** Subscribes to the daemon's events and resolves (with unsubscribe) once the stream is live. */
export function subscribed(backend: HttpBackend, onBatch: (events: EngineEvent[]) => void): Promise<() => void> {
  return new Promise((resolve) => {
    let live = false;
    const unsubscribe = backend.subscribe(onBatch, (connected) => {
      if (!connected || live) return;
      live = true;
      queueMicrotask(() => resolve(unsubscribe));
    });
  });
}

/**
 * Stands between the views and the daemon's event stream, to drop it as a network failure
 * would: while dropped, subscribers are told they are disconnected and miss every event; when
 * restored they are told they are connected again (and reload, as after a real reconnect).
 * Call before rendering, so the views subscribe through it.
 */
export function streamCut(backend: HttpBackend): { drop(): void; restore(): void } {
  type Subscriber = { onStatus?: (connected: boolean) => void };
  const subscribers = new Set<Subscriber>();
  let down = false;
  const subscribe = backend.subscribe.bind(backend);
  vi.spyOn(backend, "subscribe").mockImplementation((onBatch, onStatus) => {
    const subscriber: Subscriber = { onStatus };
    subscribers.add(subscriber);
    const unsubscribe = subscribe(
      (events) => {
        if (!down) onBatch(events);
      },
      (connected) => {
        if (!down) onStatus?.(connected);
      },
    );
    return () => {
      subscribers.delete(subscriber);
      unsubscribe();
    };
  });
  return {
    drop() {
      down = true;
      for (const s of [...subscribers]) s.onStatus?.(false);
    },
    restore() {
      down = false;
      for (const s of [...subscribers]) s.onStatus?.(true);
    },
  };
}
