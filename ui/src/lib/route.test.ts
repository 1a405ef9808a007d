import { describe, expect, it } from "vitest";
import { parseRoute, routeHash, sessionRoute, type Route } from "./route.svelte";

describe("the address", () => {
  it("names each view, and reads back what it wrote", () => {
    const routes: [Route, string][] = [
      [{ view: "home" }, "#/"],
      [{ view: "inbox" }, "#/inbox"],
      [{ view: "settings" }, "#/settings"],
      [sessionRoute("ses_1"), "#/session/ses_1"],
      [sessionRoute("ses_1", { pane: "tasks" }), "#/session/ses_1/tasks"],
      [sessionRoute("ses_1", { pane: "context" }), "#/session/ses_1/context"],
      [sessionRoute("ses_1", { pane: "health" }), "#/session/ses_1/health"],
      [sessionRoute("my session", { agentId: "agt/2" }), "#/session/my%20session/agent/agt%2F2"],
      [sessionRoute("ses_1", { wizard: { wizardId: null } }), "#/session/ses_1/new"],
      [sessionRoute("ses_1", { wizard: { wizardId: "wiz 1" } }), "#/session/ses_1/new/wiz%201"],
    ];
    for (const [route, hash] of routes) {
      expect(routeHash(route)).toBe(hash);
      expect(parseRoute(hash)).toEqual(route);
    }
  });

  it("takes anything else for Home", () => {
    for (const hash of ["", "#", "#/nope", "#/session/", "#/session/a/nope", "#/session/a/agent/", "#/session/%E0%A4"]) {
      expect(parseRoute(hash)).toEqual({ view: "home" });
    }
    expect(parseRoute("#/session/a/")).toEqual(sessionRoute("a"));
  });
});
