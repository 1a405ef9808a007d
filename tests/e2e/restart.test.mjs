// Stopping the daemon while an agent works, in the real desktop app with the real Claude Code
// (against the fake model server): `baton daemon stop` refuses and names the agent, `--force`
// stops it; the app starts a new daemon, shows a banner naming the agent with Resume all, and
// the agent's lane says Baton stopped it, not that the user typed "[Request interrupted by user]".
// Resume all continues the agent's own conversation.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;

const banner = () => browser.$('[data-testid="interrupted-banner"]');
const lane = (name) => browser.$(`[data-testid="agent-lane"][data-agent-name="${name}"]`);

/** Puts an agent in focus from the sidebar; resolves its lane once shown. */
async function focus(name) {
  const entry = browser.$(`[data-testid="sidebar-agent"][data-agent-name="${name}"]`);
  await entry.waitForClickable({ timeout: 15_000 });
  await entry.click();
  const shown = browser.$(`[data-testid="agent-lane"][data-agent-name="${name}"]`);
  await shown.waitForExist({ timeout: 15_000 });
  return shown;
}

/** The agent as the CLI reports it. */
const agent = (name) => JSON.parse(h.baton("status", name, "--json"));

async function until(probe, what, timeout = 60_000) {
  await browser.waitUntil(probe, { timeout, interval: 200, timeoutMsg: what });
}

before(async () => {
  await h.fakeClaude([
    // The first answer takes a minute: the daemon is stopped in the middle of it.
    { text: "Working on it for a long time.", delay_ms: 60_000 },
    { text: "Continued where I left off." },
  ]);
  h.baton("session", "new", "--repo", h.repo("restart-repo"), "--name", "restart");
  h.baton("agent", "spawn", "--session", "restart", "--cli", "claude", "--name", "fixer", "--prompt", "Fix the retry loop");
  browser = await h.start();
});

after(async () => {
  await h.stop();
});

test("daemon stop refuses while an agent works, naming it; --force stops it", async () => {
  // Stopped while the model holds its first answer back.
  await until(async () => {
    const a = agent("fixer");
    return a.state === "running" && a.cliSessionId !== null && h.modelTurns() === 1;
  }, "claude never asked the model");
  let refused;
  try {
    h.baton("daemon", "stop");
  } catch (e) {
    refused = String(e.stderr);
  }
  assert.ok(refused, "a plain stop was refused");
  assert.match(refused, /1 agent\(s\) are working: fixer/);
  assert.match(refused, /baton daemon stop --force/);
  assert.match(h.baton("daemon", "stop", "--force"), /Baton daemon stopped/);
});

test("after the restart the app names the interrupted agent, and its lane says Baton stopped it", async () => {
  // The app notices, starts a new daemon and asks it: its checks back off (2, 4, 8, then every
  // 15 s) and a busy machine may need a few. Queried afresh each time: the window's views are
  // mounted again on the new daemon, so an element found early goes stale.
  try {
    await until(async () => (await banner().isExisting()) && (await banner().isDisplayed()), "no banner after the restart", 150_000);
  } catch (e) {
    await h.screenshot("interrupted-no-banner.png").catch(() => {});
    const body = await browser.$("body").getText().catch((err) => `(unreadable: ${err.message})`);
    throw new Error(`${e.message}; the daemon's list: ${h.baton("agent", "interrupted")}\nthe window shows:\n${body}`);
  }
  const text = await browser.$('[data-testid="interrupted-text"]').getText();
  assert.match(text, /The daemon stopped while an agent was working: fixer was stopped in the middle of a turn/);
  await h.screenshot("interrupted-banner.png");

  const open = browser.$('[data-testid="session-row"][data-session-name="restart"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 15_000 });
  await open.click();
  await focus("fixer");
  await until(async () => /Stopped by Baton when the daemon stopped/.test(await lane("fixer").getText()), "the lane never said why it stopped", 15_000);
  const shown = await lane("fixer").getText();
  assert.doesNotMatch(shown, /Request interrupted by user/);
  assert.ok(await banner().isDisplayed(), "the banner stays over the session");
  await h.screenshot("interrupted-lane.png");
});

test("Resume all continues the agent's own conversation", async () => {
  const before = agent("fixer");
  await browser.$('[data-testid="interrupted-resume"]').click();
  await banner().waitForDisplayed({ reverse: true, timeout: 15_000 });
  try {
    await until(async () => /Continued where I left off\./.test(await lane("fixer").getText()), "the agent did not continue");
  } catch (e) {
    await h.screenshot("interrupted-resume-failed.png").catch(() => {});
    throw new Error(`${e.message}; its log:\n${h.baton("logs", "fixer")}`);
  }
  const after = agent("fixer");
  assert.equal(after.cliSessionId, before.cliSessionId, "its own CLI session continued");
  assert.equal(after.interruptedAt, null);
  assert.match(h.baton("agent", "interrupted"), /no agent was interrupted/);
});
