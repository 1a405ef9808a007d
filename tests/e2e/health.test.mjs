// The Health view of the real app: a session with a command agent that burns a core; its CPU is
// charted (uPlot) and the engine's score shown, on Home too; Pause all from the Health view shows
// everything paused and Resume all from the command palette lifts it. Screenshots at 1024x640 (light) and 1440x900 (dark) go to target/e2e/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;



before(async () => {
  // Sampled every half second, so the chart fills within the test.
  mkdirSync(h.home, { recursive: true });
  writeFileSync(path.join(h.home, "settings.json"), JSON.stringify({ health: { sampleSecs: 0.5 } }));
  h.baton("session", "new", "--repo", h.repo("hot-repo"), "--name", "hot");
  h.baton("agent", "spawn", "--session", "hot", "--cli", "command", "--name", "burner", "--", "bash", "-c", "echo burning; while :; do :; done");
  h.baton("agent", "spawn", "--session", "hot", "--cli", "command", "--name", "reader", "--", "bash", "-c", "echo waiting for lines; while read l; do echo \"$l\"; done");
  browser = await h.start();
  await h.windowSize(1024, 640);
});

after(async () => {
  try {
    h.baton("agent", "stop", "burner");
  } catch {
    // Already ended with the daemon.
  }
  await h.stop();
});

test("the Health view charts the busy agent's CPU, with its score", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="hot"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  // Home shows the session's score, computed by the engine.
  const score = browser.$('[data-testid="session-row"][data-session-name="hot"] [data-testid="session-score"]');
  await score.waitForDisplayed({ timeout: 15_000 });
  assert.match(await score.getText(), /^health \d+\/100$/);
  await h.screenshot("health-home-1024x640-light.png");
  await open.click();
  const tab = browser.$('[data-testid="session-view"] a[href$="/health"], a[href$="/health"][role="tab"]');
  await tab.waitForClickable({ timeout: 15_000 });
  await tab.click();
  const burner = browser.$('[data-testid="health-agent"][data-agent="burner"]');
  await burner.waitForDisplayed({ timeout: 15_000 });
  await browser.waitUntil(async () => Number(await burner.$('[data-testid="health-cpu-chart"]').getAttribute("data-points")) >= 6, {
    timeout: 30_000,
    timeoutMsg: "the CPU chart never got its samples",
  });
  // uPlot drew on its canvas.
  assert.ok(await burner.$('[data-testid="health-cpu-chart"] canvas').isExisting(), "the CPU chart is drawn");
  const cpu = await burner.$(".now").getText();
  assert.match(cpu, /CPU [1-9]\d*%/, cpu);
  assert.match(await browser.$('[data-testid="health-session-score"]').getText(), /^\d+\s*\/100$/);
  await h.screenshot("health-1024x640-light.png");
});

test("Pause all from the app shows everything paused, and Resume all from the palette lifts it", async () => {
  await browser.$('[data-testid="health-pause-all"]').click();
  await browser.$('[data-testid="health-paused"]').waitForDisplayed({ timeout: 10_000 });
  await browser.waitUntil(async () => (await browser.$$('[data-testid="health-agent-paused"]').length) === 2, {
    timeout: 10_000,
    timeoutMsg: "the agents were never shown paused",
  });
  assert.match(h.baton("health", "--json"), /"pausedAll":\s*true/);
  await h.theme("dark");
  await h.windowSize(1440, 900);
  await h.screenshot("health-1440x900-dark-paused.png");
  // Resumed from the command palette.
  await browser.keys(["Control", "k"]);
  await browser.keys(["Control"]);
  const input = browser.$('[data-testid="palette-input"]');
  await input.waitForDisplayed({ timeout: 5_000 });
  await input.setValue("resume all");
  await browser.waitUntil(async () => (await browser.$('[data-testid="palette-item"]').getAttribute("data-label")) === "Resume all agents", {
    timeout: 5_000,
    timeoutMsg: "the palette does not offer Resume all agents first",
  });
  await browser.keys(["Enter"]);
  await browser.$('[data-testid="health-pause-all"]').waitForDisplayed({ timeout: 10_000 });
  assert.equal((await browser.$$('[data-testid="health-agent-paused"]').length), 0);
  await h.screenshot("health-1440x900-dark.png");
});
