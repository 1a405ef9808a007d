import { describe, expect, it } from "vitest";
import { useDaemon } from "../test/daemon";
import { parseRoute, routeHash } from "./route.svelte";
import { themeApply, themeLoad } from "./theme";

const d = useDaemon();

describe("themeApply and themeLoad", () => {
  it("mark the root with the theme, and at start with the one saved", async () => {
    const root = document.createElement("html");
    themeApply("light", root);
    expect(root.dataset.theme).toBe("light");
    expect(root.dataset.scheme).toBe("light");
    themeApply("dark", root);
    expect(root.dataset.scheme).toBe("dark");
    // "system" shows the system's scheme (light where there is no preference).
    themeApply("system", root);
    expect(root.dataset.theme).toBe("system");
    expect(root.dataset.scheme).toBe(window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light");

    await d.backend.settingsUpdate({ patch: { theme: "dark" } });
    await themeLoad(d.backend);
    expect(document.documentElement.dataset.theme).toBe("dark");
  });
});

describe("the settings route", () => {
  it("is #/settings, both ways", () => {
    expect(parseRoute("#/settings")).toEqual({ view: "settings" });
    expect(routeHash({ view: "settings" })).toBe("#/settings");
    expect(parseRoute("#/settingsx")).toEqual({ view: "home" });
  });
});
