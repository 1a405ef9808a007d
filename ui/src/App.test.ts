import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import type { Session } from "./bindings/Session";
import { BackendError, HttpBackend, type Backend } from "./lib/backend";
import { router } from "./lib/route.svelte";
import { type Daemon, daemonStart, sessionMake, streamCut, useDaemon } from "./test/daemon";

// A daemon per test: the window lists every session of the home.
const d = useDaemon({ perTest: true });

function rowNames(): (string | undefined)[] {
  return screen.queryAllByTestId("session-row").map((r) => r.dataset.sessionName);
}

function statusState(): string | undefined {
  return screen.getByTestId("daemon-status").dataset.state;
}

async function sessionsMake(daemon: Daemon, ...names: string[]): Promise<Session[]> {
  const made: Session[] = [];
  for (const name of names) made.push(await sessionMake(daemon.api, daemon.repoMake(name), name));
  return made;
}

function backendOf(daemon: Daemon): HttpBackend {
  return new HttpBackend({ url: daemon.url, token: daemon.token });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("App", () => {
  afterEach(() => {
    router.go({ view: "home" });
    vi.restoreAllMocks();
  });

  it("opens a session from its name, and Back returns to the list", async () => {
    const [, beta] = await sessionsMake(d.daemon, "alpha", "beta");
    render(App, { connect: async () => d.backend });
    await waitFor(() => expect(rowNames().sort()).toEqual(["alpha", "beta"]));

    const open = screen.getAllByTestId("session-open").find((a) => a.textContent === "beta") as HTMLAnchorElement;
    expect(open.getAttribute("href")).toBe(`#/session/${beta!.id}`);
    await fireEvent.click(open);

    const view = await screen.findByTestId("session-view");
    expect(window.location.hash).toBe(`#/session/${beta!.id}`);
    await waitFor(() => expect(screen.getByTestId("session-name").textContent).toBe("beta"));
    expect(screen.queryByTestId("session-list")).toBeNull();
    expect(view.dataset.sessionId).toBe(beta!.id);

    // The sidebar leads back to every session.
    await fireEvent.click(screen.getByTestId("nav-home"));
    await screen.findByTestId("session-list");
    expect(window.location.hash).toBe("#/");
    expect(screen.queryByTestId("session-view")).toBeNull();
    await waitFor(() => expect(rowNames()).toHaveLength(2));
  });

  it("shows the session the address names at start, and follows the browser's Back", async () => {
    const [alpha] = await sessionsMake(d.daemon, "alpha");
    window.location.hash = `#/session/${alpha!.id}`;
    await new Promise((r) => setTimeout(r, 0));
    render(App, { connect: async () => d.backend });

    await waitFor(() => expect(screen.getByTestId("session-name").textContent).toBe("alpha"));

    window.location.hash = "#/";
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    await screen.findByTestId("session-list");
  });

  it("shows the daemon's status and version above the sessions", async () => {
    const stream = streamCut(d.backend);
    render(App, { connect: async () => d.backend });
    const { version } = await d.backend.health();

    // Once connected it sits in the sidebar, under the app's name.
    await waitFor(() => expect(statusState()).toBe("connected"));
    const status = screen.getByTestId("daemon-status");
    expect(status.textContent).toContain("connected");
    expect(status.textContent).toContain(version);
    expect(screen.getByTestId("sidebar").textContent).toContain("Baton");
    await screen.findByTestId("empty-state");

    stream.drop();
    await waitFor(() => expect(statusState()).toBe("disconnected"));
    expect(screen.getByTestId("daemon-status").textContent).toContain("disconnected");
  });

  it("explains a failed connection on the whole page and retries", async () => {
    const connect = vi
      .fn<() => Promise<Backend>>()
      .mockRejectedValueOnce(new BackendError("daemon_unreachable", "The Baton daemon is not answering. Run `baton daemon`."))
      .mockResolvedValueOnce(d.backend);
    render(App, { connect });

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The Baton daemon is not answering.");
    expect(alert.querySelector("code")?.textContent).toBe("baton daemon");
    expect(alert.textContent).toContain("daemon_unreachable");
    expect(screen.getByTestId("daemon-status").dataset.state).toBe("disconnected");
    expect(screen.queryByTestId("session-list")).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Retry" }));

    await screen.findByTestId("session-list");
    expect(screen.queryByRole("alert")).toBeNull();
    expect(connect).toHaveBeenCalledTimes(2);
  });

  it("tries again by itself when the daemon did not answer (it may have been stopping)", async () => {
    const connect = vi
      .fn<() => Promise<Backend>>()
      .mockRejectedValueOnce(new BackendError("daemon_unreachable", "The Baton daemon is not answering."))
      .mockResolvedValueOnce(d.backend);
    render(App, { connect });

    await screen.findByRole("alert");
    expect(screen.getByTestId("failure-retrying").textContent).toContain("tries again by itself");
    // No click: the first retry comes after two seconds.
    await screen.findByTestId("session-list", undefined, { timeout: 5_000 });
    expect(connect).toHaveBeenCalledTimes(2);
  });

  it("fails the same way when the daemon answers connect but not health (a wrong token)", async () => {
    render(App, { connect: async () => new HttpBackend({ url: d.daemon.url, token: "not-the-token" }) });

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("refused");
    expect(alert.textContent).toContain("missing or wrong token");
  });

  describe("when the daemon goes away", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** App's timers are faked (to step through its waits); the daemons' answers are real. */
    function timersFake(): void {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    }

    /** Run what is due in `ms` of fake time, with the promises in between. */
    async function advance(ms = 0): Promise<void> {
      await vi.advanceTimersByTimeAsync(ms);
    }

    /** Waits, in real time (the daemon answers through real sockets), until `test` holds. */
    async function ioUntil(test: () => boolean, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`never: ${what}`);
        await new Promise((r) => setImmediate(r));
        await advance();
      }
    }

    it("reconnects through connect(), swaps the backend and keeps the form's input", async () => {
      await sessionsMake(d.daemon, "from-first");
      const second = await daemonStart();
      try {
        await sessionsMake(second, "from-second");
        const typed = second.repoMake("typed");
        const restarted = deferred<Backend>();
        const first = d.backend;
        const health = vi.spyOn(first, "health");
        const connect = vi.fn<() => Promise<Backend>>().mockResolvedValueOnce(first).mockReturnValueOnce(restarted.promise);
        timersFake();
        render(App, { connect });
        await ioUntil(() => statusState() === "connected" && rowNames().length === 1, "connected to the first daemon");
        expect(rowNames()).toEqual(["from-first"]);
        await fireEvent.input(screen.getByTestId("new-session-repo"), { target: { value: typed } });

        // The first daemon stops: its stream ends, and it no longer answers.
        await d.daemon.stop();
        await ioUntil(() => statusState() === "disconnected", "the stream dropped");

        // Not yet: a short drop is left to the event stream.
        await advance(1_900);
        expect(connect).toHaveBeenCalledTimes(1);
        expect(screen.queryByTestId("reconnecting-banner")).toBeNull();

        health.mockClear();
        await advance(100);
        await ioUntil(() => connect.mock.calls.length === 2, "connect() was called again");
        expect(health).toHaveBeenCalled();
        const status = screen.getByTestId("daemon-status");
        expect(status.dataset.state).toBe("reconnecting");
        expect(status.textContent).toContain("reconnecting…");
        expect(screen.getByTestId("reconnecting-banner").textContent).toContain("Reconnecting to the Baton daemon…");
        // The last known list stays while reconnecting.
        expect(rowNames()).toEqual(["from-first"]);

        const next = backendOf(second);
        restarted.resolve(next);
        await ioUntil(() => rowNames()[0] === "from-second" && statusState() === "connected", "the second daemon's list");
        expect(rowNames()).toEqual(["from-second"]);
        expect(screen.getByTestId("daemon-status").textContent).toContain((await next.health()).version);
        expect(screen.queryByTestId("reconnecting-banner")).toBeNull();
        expect((screen.getByTestId("new-session-repo") as HTMLInputElement).value).toBe(typed);

        // Nothing asks the old daemon any more.
        await advance(20_000);
        expect(statusState()).toBe("connected");
        expect(connect).toHaveBeenCalledTimes(2);

        // New sessions are created on the new daemon, and open once made.
        await fireEvent.click(screen.getByTestId("new-session-create"));
        await ioUntil(() => screen.queryByTestId("session-name")?.textContent === "typed", "the new session opened");
        expect((await next.sessionList()).map((s) => s.name).sort()).toEqual(["from-second", "typed"]);
      } finally {
        vi.useRealTimers();
        await second.stop();
      }
    });

    it("retries connect() with backoff and keeps the last list meanwhile", async () => {
      await sessionsMake(d.daemon, "from-first");
      const second = await daemonStart();
      try {
        await sessionsMake(second, "from-second");
        const connect = vi
          .fn<() => Promise<Backend>>()
          .mockResolvedValueOnce(d.backend)
          .mockRejectedValueOnce(new BackendError("daemon_unreachable", "Baton could not start its daemon."))
          .mockRejectedValueOnce(new BackendError("daemon_unreachable", "Still no daemon."))
          .mockResolvedValueOnce(backendOf(second));
        timersFake();
        render(App, { connect });
        await ioUntil(() => statusState() === "connected" && rowNames().length === 1, "connected to the first daemon");

        await d.daemon.stop();
        await ioUntil(() => statusState() === "disconnected", "the stream dropped");
        await advance(2_000);
        const banner = () => screen.queryByTestId("reconnecting-banner")?.textContent ?? "";
        await ioUntil(() => banner().includes("Baton could not start its daemon."), "the first retry failed");
        expect(connect).toHaveBeenCalledTimes(2);
        expect(statusState()).toBe("reconnecting");
        // No full-page failure, and the list is still there.
        expect(screen.queryByRole("alert")).toBeNull();
        expect(rowNames()).toEqual(["from-first"]);

        await advance(3_900);
        expect(connect).toHaveBeenCalledTimes(2);
        await advance(100);
        await ioUntil(() => banner().includes("Still no daemon."), "the second retry failed");
        expect(connect).toHaveBeenCalledTimes(3);
        expect(rowNames()).toEqual(["from-first"]);

        await advance(7_900);
        expect(connect).toHaveBeenCalledTimes(3);
        await advance(100);
        await ioUntil(() => rowNames()[0] === "from-second" && statusState() === "connected", "the second daemon's list");
        expect(connect).toHaveBeenCalledTimes(4);
        expect(screen.queryByTestId("reconnecting-banner")).toBeNull();
      } finally {
        vi.useRealTimers();
        await second.stop();
      }
    });

    it("does not reconnect when the daemon still answers after a brief drop", async () => {
      await sessionsMake(d.daemon, "from-first");
      const stream = streamCut(d.backend);
      const health = vi.spyOn(d.backend, "health");
      const connect = vi.fn<() => Promise<Backend>>().mockResolvedValue(d.backend);
      timersFake();
      render(App, { connect });
      await ioUntil(() => statusState() === "connected" && rowNames().length === 1, "connected");
      await ioUntil(() => health.mock.calls.length >= 2, "the health read again once the stream was live");

      // Back within the grace period: not even a health check.
      health.mockClear();
      stream.drop();
      await advance(1_000);
      stream.restore();
      await advance(30_000);
      expect(statusState()).toBe("connected");
      expect(connect).toHaveBeenCalledTimes(1);
      expect(health).toHaveBeenCalledTimes(1); // the usual re-read after the stream came back

      // Down for longer, but the daemon answers: the stream will come back by itself.
      health.mockClear();
      stream.drop();
      await advance(2_500);
      await ioUntil(() => health.mock.calls.length === 1, "the daemon's health was asked");
      await new Promise((r) => setImmediate(r));
      expect(connect).toHaveBeenCalledTimes(1);
      expect(statusState()).toBe("disconnected");
      expect(screen.queryByTestId("reconnecting-banner")).toBeNull();

      stream.restore();
      await advance();
      expect(statusState()).toBe("connected");
      expect(connect).toHaveBeenCalledTimes(1);
      expect(rowNames()).toEqual(["from-first"]);
    });
  });
});
