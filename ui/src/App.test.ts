import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import type { Session } from "./bindings/Session";
import { BackendError, type Backend } from "./lib/backend";
import { FakeBackend } from "./lib/fakeBackend";
import { router } from "./lib/route.svelte";
import { settings } from "./views/fixtures";

function session(id: string, name: string): Session {
  const at = "2026-11-01T09:00:00Z";
  return { id, name, repo: `/src/${name}`, baseBranch: "main", state: "active", settings: settings(), parentSessionId: null, coordinator: "off", createdAt: at, updatedAt: at };
}

function rowNames(): (string | undefined)[] {
  return screen.queryAllByTestId("session-row").map((r) => r.dataset.sessionName);
}

function statusState(): string | undefined {
  return screen.getByTestId("daemon-status").dataset.state;
}

/** Run what is due in `ms` of fake time, with the promises in between. */
async function advance(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** The daemon of `backend` went away: its stream drops and it no longer answers. */
function daemonGone(backend: FakeBackend): void {
  vi.spyOn(backend, "health").mockRejectedValue(
    new BackendError("daemon_unreachable", "The Baton daemon is not answering."),
  );
  backend.setConnected(false);
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("App", () => {
  afterEach(() => {
    router.go({ view: "home" });
  });

  it("opens a session from its name, and Back returns to the list", async () => {
    const backend = new FakeBackend({ sessions: [session("s-1", "alpha"), session("s-2", "beta")] });
    render(App, { connect: async () => backend });
    await waitFor(() => expect(rowNames().sort()).toEqual(["alpha", "beta"]));

    const open = screen
      .getAllByTestId("session-open")
      .find((a) => a.textContent === "beta") as HTMLAnchorElement;
    expect(open.getAttribute("href")).toBe("#/session/s-2");
    await fireEvent.click(open);

    const view = await screen.findByTestId("session-view");
    expect(window.location.hash).toBe("#/session/s-2");
    await waitFor(() => expect(screen.getByTestId("session-name").textContent).toBe("beta"));
    expect(screen.queryByTestId("session-list")).toBeNull();
    expect(view.dataset.sessionId).toBe("s-2");

    await fireEvent.click(screen.getByTestId("back-home"));
    await screen.findByTestId("session-list");
    expect(window.location.hash).toBe("#/");
    expect(screen.queryByTestId("session-view")).toBeNull();
    expect(rowNames()).toHaveLength(2);
  });

  it("shows the session the address names at start, and follows the browser's Back", async () => {
    window.location.hash = "#/session/s-1";
    await new Promise((r) => setTimeout(r, 0));
    render(App, { connect: async () => new FakeBackend({ sessions: [session("s-1", "alpha")] }) });

    await waitFor(() => expect(screen.getByTestId("session-name").textContent).toBe("alpha"));

    window.location.hash = "#/";
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    await screen.findByTestId("session-list");
  });

  it("shows the daemon's status and version above the sessions", async () => {
    const backend = new FakeBackend({ version: "1.2.3" });
    render(App, { connect: async () => backend });

    const status = screen.getByTestId("daemon-status");
    await waitFor(() => expect(status.dataset.state).toBe("connected"));
    expect(status.textContent).toContain("connected");
    expect(status.textContent).toContain("1.2.3");
    expect(screen.getByText("Baton")).toBeTruthy();
    await screen.findByTestId("empty-state");

    backend.setConnected(false);
    await waitFor(() => expect(status.dataset.state).toBe("disconnected"));
    expect(status.textContent).toContain("disconnected");
  });

  it("explains a failed connection on the whole page and retries", async () => {
    const connect = vi
      .fn<() => Promise<Backend>>()
      .mockRejectedValueOnce(
        new BackendError("daemon_unreachable", "The Baton daemon is not answering. Run `baton daemon`."),
      )
      .mockResolvedValueOnce(new FakeBackend());
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

  it("fails the same way when the daemon answers connect but not health", async () => {
    const backend = new FakeBackend();
    backend.health = () => Promise.reject(new BackendError("unauthorized", "The token is wrong."));
    render(App, { connect: async () => backend });

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("refused");
    expect(alert.textContent).toContain("The token is wrong.");
  });

  describe("when the daemon goes away", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("reconnects through connect(), swaps the backend and keeps the form's input", async () => {
      vi.useFakeTimers();
      const first = new FakeBackend({ sessions: [session("a-1", "from-first")] });
      const second = new FakeBackend({ sessions: [session("b-1", "from-second")], version: "2.0.0" });
      const restarted = deferred<Backend>();
      const connect = vi
        .fn<() => Promise<Backend>>()
        .mockResolvedValueOnce(first)
        .mockReturnValueOnce(restarted.promise);
      render(App, { connect });
      await advance();
      expect(statusState()).toBe("connected");
      expect(rowNames()).toEqual(["from-first"]);
      await fireEvent.input(screen.getByTestId("new-session-repo"), { target: { value: "/src/typed" } });

      daemonGone(first);
      await advance();
      expect(statusState()).toBe("disconnected");

      // Not yet: a short drop is left to the event stream.
      await advance(1_900);
      expect(connect).toHaveBeenCalledTimes(1);
      expect(screen.queryByTestId("reconnecting-banner")).toBeNull();

      await advance(100);
      expect(first.health).toHaveBeenCalled();
      expect(connect).toHaveBeenCalledTimes(2);
      const status = screen.getByTestId("daemon-status");
      expect(status.dataset.state).toBe("reconnecting");
      expect(status.textContent).toContain("reconnecting…");
      expect(screen.getByTestId("reconnecting-banner").textContent).toContain(
        "Reconnecting to the Baton daemon…",
      );
      // The last known list stays while reconnecting.
      expect(rowNames()).toEqual(["from-first"]);

      restarted.resolve(second);
      await advance();
      expect(rowNames()).toEqual(["from-second"]);
      expect(statusState()).toBe("connected");
      expect(screen.getByTestId("daemon-status").textContent).toContain("2.0.0");
      expect(screen.queryByTestId("reconnecting-banner")).toBeNull();
      expect((screen.getByTestId("new-session-repo") as HTMLInputElement).value).toBe("/src/typed");

      // The old backend's stream was unsubscribed: its status no longer reaches the window.
      first.setConnected(true);
      first.setConnected(false);
      await advance(20_000);
      expect(statusState()).toBe("connected");
      expect(connect).toHaveBeenCalledTimes(2);

      // New sessions are created on the new daemon.
      await fireEvent.click(screen.getByTestId("new-session-create"));
      await advance();
      expect(rowNames().sort()).toEqual(["from-second", "typed"]);
      expect(await second.sessionList()).toHaveLength(2);
    });

    it("retries connect() with backoff and keeps the last list meanwhile", async () => {
      vi.useFakeTimers();
      const first = new FakeBackend({ sessions: [session("a-1", "from-first")] });
      const second = new FakeBackend({ sessions: [session("b-1", "from-second")] });
      const connect = vi
        .fn<() => Promise<Backend>>()
        .mockResolvedValueOnce(first)
        .mockRejectedValueOnce(new BackendError("daemon_unreachable", "Baton could not start its daemon."))
        .mockRejectedValueOnce(new BackendError("daemon_unreachable", "Still no daemon."))
        .mockResolvedValueOnce(second);
      render(App, { connect });
      await advance();
      expect(rowNames()).toEqual(["from-first"]);

      daemonGone(first);
      await advance(2_000);
      expect(connect).toHaveBeenCalledTimes(2);
      expect(statusState()).toBe("reconnecting");
      expect(screen.getByTestId("reconnecting-banner").textContent).toContain(
        "Baton could not start its daemon.",
      );
      // No full-page failure, and the list is still there.
      expect(screen.queryByRole("alert")).toBeNull();
      expect(rowNames()).toEqual(["from-first"]);

      await advance(3_900);
      expect(connect).toHaveBeenCalledTimes(2);
      await advance(100);
      expect(connect).toHaveBeenCalledTimes(3);
      expect(screen.getByTestId("reconnecting-banner").textContent).toContain("Still no daemon.");
      expect(rowNames()).toEqual(["from-first"]);

      await advance(7_900);
      expect(connect).toHaveBeenCalledTimes(3);
      await advance(100);
      expect(connect).toHaveBeenCalledTimes(4);
      expect(rowNames()).toEqual(["from-second"]);
      expect(statusState()).toBe("connected");
      expect(screen.queryByTestId("reconnecting-banner")).toBeNull();
    });

    it("does not reconnect when the daemon still answers after a brief drop", async () => {
      vi.useFakeTimers();
      const backend = new FakeBackend({ sessions: [session("a-1", "from-first")] });
      const health = vi.spyOn(backend, "health");
      const connect = vi.fn<() => Promise<Backend>>().mockResolvedValue(backend);
      render(App, { connect });
      await advance();
      expect(statusState()).toBe("connected");

      // Back within the grace period: not even a health check.
      health.mockClear();
      backend.setConnected(false);
      await advance(1_000);
      backend.setConnected(true);
      await advance(30_000);
      expect(statusState()).toBe("connected");
      expect(connect).toHaveBeenCalledTimes(1);
      expect(health).toHaveBeenCalledTimes(1); // the usual re-read after the stream came back

      // Down for longer, but the daemon answers: the stream will come back by itself.
      health.mockClear();
      backend.setConnected(false);
      await advance(2_500);
      expect(health).toHaveBeenCalledTimes(1);
      expect(connect).toHaveBeenCalledTimes(1);
      expect(statusState()).toBe("disconnected");
      expect(screen.queryByTestId("reconnecting-banner")).toBeNull();

      backend.setConnected(true);
      await advance();
      expect(statusState()).toBe("connected");
      expect(connect).toHaveBeenCalledTimes(1);
      expect(rowNames()).toEqual(["from-first"]);
    });
  });
});
