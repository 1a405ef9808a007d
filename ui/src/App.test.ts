import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { BackendError, FakeBackend, type Backend } from "./lib/backend";

describe("App", () => {
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
});
