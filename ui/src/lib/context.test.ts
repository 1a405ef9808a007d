import { afterEach, describe, expect, it, vi } from "vitest";
import type { SessionStatus } from "../bindings/SessionStatus";
import { sessionMake, useDaemon } from "../test/daemon";
import type { Backend } from "./backend";
import { SessionContext } from "./context.svelte";

const d = useDaemon();

afterEach(() => {
  vi.restoreAllMocks();
});

async function sessionNew(name = d.unique("pay")) {
  return sessionMake(d.daemon.api, d.daemon.repoMake(name), name);
}

describe("SessionContext", () => {
  it("reads the status, and reads it again when the session's context changes (by anyone)", async () => {
    const pay = await sessionNew();
    const web = await sessionNew();
    await d.backend.objectiveAdd(pay.id, { text: "Retries" });
    const backend = d.backend;
    const status = vi.spyOn(backend, "sessionStatus");
    const store = new SessionContext(backend, pay.id);
    expect(store.loaded).toBe(false);
    await store.load();
    expect(store.loaded).toBe(true);
    expect(store.objectives.map((o) => o.text)).toEqual(["Retries"]);
    expect(store.pending).toBe(0);

    // Another client asks a question: the event makes the store read again.
    await backend.decisionAdd(pay.name, { text: "Refunds too?" });
    store.apply([{ type: "context_updated", sessionId: web.id }]);
    expect(status).toHaveBeenCalledTimes(1);
    store.apply([{ type: "context_updated", sessionId: pay.id }]);
    await vi.waitFor(() => expect(store.decisions.map((d) => d.question)).toEqual(["Refunds too?"]));
    expect(store.pending).toBe(1);
    expect(status).toHaveBeenCalledTimes(2);
  });

  it("shows a reply at once: an added objective, a changed one, without duplicates", async () => {
    const pay = await sessionNew();
    const backend = d.backend;
    const store = new SessionContext(backend, pay.id);
    await store.load();
    const added = await backend.objectiveAdd(pay.id, { text: "Ship it" });
    store.objectiveApply(added);
    store.objectiveApply(added);
    expect(store.objectives).toEqual([added]);
    const done = await backend.objectiveSet(pay.id, added.id, { state: "done" });
    store.objectiveApply(done);
    expect(store.objectives.map((o) => o.state)).toEqual(["done"]);
    store.insightApply(await backend.insightAdd(pay.id, { text: "503s under load" }));
    expect(store.insights.map((i) => i.text)).toEqual(["503s under load"]);
  });

  it("keeps only the answer to the latest read when reads come back out of order", async () => {
    const answers: ((s: SessionStatus) => void)[] = [];
    const sessionStatus = vi.fn<Backend["sessionStatus"]>(() => new Promise((resolve) => answers.push(resolve)));
    const store = new SessionContext({ sessionStatus } as unknown as Backend, "s1");
    // A status as the daemon sends it, answered twice in the wrong order.
    const base = await d.backend.sessionStatus((await sessionNew()).id);
    const older = store.load();
    const newer = store.load();
    answers[1]!({ ...base, insights: [{ id: "i2", text: "newer", createdAt: "2026-11-01T10:00:00Z" }] });
    await newer;
    answers[0]!({ ...base, insights: [{ id: "i1", text: "older", createdAt: "2026-11-01T09:00:00Z" }] });
    await older;
    expect(store.insights.map((i) => i.text)).toEqual(["newer"]);
  });

  it("keeps a failed read in `error` until a read succeeds", async () => {
    const pay = await sessionNew("pay");
    const backend = d.backend;
    vi.spyOn(backend, "sessionStatus").mockRejectedValueOnce({ code: "not_found", message: "no route /status" });
    const store = new SessionContext(backend, pay.id);
    await store.load();
    expect(store.error?.message).toBe("no route /status");
    expect(store.loaded).toBe(true);
    await store.load();
    expect(store.error).toBeNull();
    expect(store.status?.session.name).toBe("pay");
  });
});
