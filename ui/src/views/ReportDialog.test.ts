import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import { agentEnded, agentUntil, commandSpawn, sessionMake, useDaemon } from "../test/daemon";
import ReportDialog from "./ReportDialog.svelte";

const d = useDaemon();

afterEach(() => {
  clearMocks();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** A session with an objective and one agent that ran and ended. */
async function sessionWithWork(): Promise<Session> {
  const name = d.unique("rep");
  const repo = d.daemon.repoMake(name, { "README.md": "hi\n" });
  const session = await sessionMake(d.daemon.api, repo, name);
  await d.backend.objectiveAdd(session.id, { text: "Ship the report" });
  const agent = await commandSpawn(d.daemon.api, session.id, ["sh", "-c", "echo built"], "builder");
  await agentUntil(d.daemon.api, agent.id, agentEnded);
  return session;
}

describe("ReportDialog", () => {
  it("shows the HTML report in a sandboxed frame, with its timeline and cost table, and the Markdown on demand", async () => {
    const session = await sessionWithWork();
    render(ReportDialog, { backend: d.backend, session, onClose: vi.fn() });

    const frame = await screen.findByTestId("report-frame");
    expect(frame.getAttribute("sandbox")).toBe("allow-same-origin"); // no allow-scripts
    const page = frame.getAttribute("srcdoc")!;
    expect(page).toContain(`<h1>Report: ${session.name}</h1>`);
    expect(page).toContain('<svg class="timeline"');
    expect(page).toContain('<table id="cost">');
    expect(page).toContain("Ship the report");
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);

    await fireEvent.click(screen.getByTestId("report-md"));
    const text = await screen.findByTestId("report-text");
    expect(text.textContent).toContain(`# Report: ${session.name}`);
    expect(text.textContent).toMatch(/\| builder \| command \|/);
    expect(text.textContent).toContain("- [ ] Ship the report");
    expect(screen.queryByTestId("report-frame")).toBeNull();
  });

  it("downloads the report in a browser, which cannot write files", async () => {
    const session = await sessionWithWork();
    const made: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => (made.push(b), "blob:report"), revokeObjectURL: () => {} }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    render(ReportDialog, { backend: d.backend, session, onClose: vi.fn() });
    await screen.findByTestId("report-frame");

    await fireEvent.click(screen.getByTestId("report-save"));
    expect(click).toHaveBeenCalledOnce();
    expect(made[0]!.type).toBe("text/html");
    expect(await made[0]!.text()).toContain('<svg class="timeline"');
    expect(screen.getByTestId("report-saved").textContent).toContain(`${session.name}-report.html`);
  });

  it("in the desktop app, asks where to save and has the daemon write the file", async () => {
    const session = await sessionWithWork();
    const path = join(mkdtempSync(join(tmpdir(), "baton-report-")), "mine.md");
    vi.stubGlobal("isTauri", true);
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return path;
    });
    render(ReportDialog, { backend: d.backend, session, onClose: vi.fn() });
    await screen.findByTestId("report-frame");
    await fireEvent.click(screen.getByTestId("report-md"));
    await screen.findByTestId("report-text");

    await fireEvent.click(screen.getByTestId("report-save"));
    await waitFor(() => expect(screen.getByTestId("report-saved").textContent).toContain(path));
    expect(calls[0]!.cmd).toBe("plugin:dialog|save");
    expect(calls[0]!.args).toMatchObject({ options: { defaultPath: `${session.name}-report.md` } });
    expect(readFileSync(path, "utf8")).toContain(`# Report: ${session.name}`);
  });

  it("says what is wrong when the daemon refuses to write there", async () => {
    const session = await sessionWithWork();
    vi.stubGlobal("isTauri", true);
    mockIPC(() => "/no/such/folder/r.html");
    render(ReportDialog, { backend: d.backend, session, onClose: vi.fn() });
    await screen.findByTestId("report-frame");

    await fireEvent.click(screen.getByTestId("report-save"));
    const error = await screen.findByTestId("report-error");
    expect(error.textContent).toContain("does not exist");
    expect(screen.queryByTestId("report-saved")).toBeNull();
  });
});
