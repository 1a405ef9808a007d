// The desktop layout of the real app with twelve agents in one session, in a laptop-sized window
// (1024x640): every agent is reachable from the sidebar; the one that waits for a permission (the
// real Claude Code asking the fake model server's Bash) is badged, counted in the window's title,
// listed in the inbox and approved from there; the command palette reaches an agent by name.
// Screenshots of each screen at 1024x640 and 1440x900, light and dark, go to target/e2e/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;

const WORKERS = Array.from({ length: 11 }, (_, i) => `worker-${String(i + 1).padStart(2, "0")}`);
const sidebarAgent = (name) => browser.$(`[data-testid="sidebar-agent"][data-agent-name="${name}"]`);
const focused = () => browser.$('[data-testid="agent-lane"]');



/** True when the element `selector` finds lies inside the window (not cut off below the fold). */
async function inWindow(selector) {
  return browser.execute((sel) => {
    const r = document.querySelector(sel)?.getBoundingClientRect();
    return !!r && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  }, selector);
}

const activeTestId = () => browser.execute(() => document.activeElement?.getAttribute("data-testid"));

async function shortcut(...keys) {
  await browser.keys(keys);
  // Release the modifiers, which `keys` leaves pressed.
  await browser.keys(["Control", "Alt", "Shift"].filter((k) => keys.includes(k)));
}

before(async () => {
  const repo = h.repo("crowd-repo");
  await h.fakeClaude([
    // Claude asks Baton in its turn (--permission-prompt-tool); the approval lets the turn go on.
    { tool_call: { name: "Bash", input: { command: "python3 -c \"open('approved.txt', 'w').write('ok')\"", description: "make a file" } } },
    { text: "Ran it." },
  ]);
  h.baton("session", "new", "--repo", repo, "--name", "crowd");
  h.baton("session", "new", "--repo", h.repo("quiet-repo"), "--name", "quiet");
  for (const [i, name] of WORKERS.entries()) {
    // Most stay at work (reading their stdin); two end, one fails.
    const script =
      i === 8 || i === 9
        ? `echo "${name}: all tests pass"; exit 0`
        : i === 10
          ? `echo "${name}: cannot reach the database" >&2; exit 3`
          : `echo "${name}: reading the code"; echo "${name}: step ${i + 1} of the plan"; while read l; do echo "$l"; done`;
    h.baton("agent", "spawn", "--session", "crowd", "--cli", "command", "--name", name, "--", "bash", "-c", script);
  }
  h.baton("agent", "spawn", "--session", "crowd", "--cli", "claude", "--name", "asker", "--prompt", "make approved.txt with the shell");
  h.baton("decision", "add", "--session", "crowd", "Ship behind a feature flag?");
  browser = await h.start();
  await h.windowSize(1024, 640);
});

after(async () => {
  await h.stop();
});

test("every agent of twelve is reachable from the sidebar at 1024x640, its message box in view", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="crowd"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await browser.$('[data-testid="agent-overview"]').waitForDisplayed({ timeout: 15_000 });
  await browser.waitUntil(async () => (await browser.$$('[data-testid="sidebar-agent"]').length) === 12, {
    timeout: 15_000,
    timeoutMsg: "the sidebar never listed the twelve agents",
  });
  for (const name of [...WORKERS, "asker"]) {
    const link = sidebarAgent(name);
    await link.scrollIntoView({ block: "nearest" });
    await link.click();
    await browser.waitUntil(async () => (await focused().getAttribute("data-agent-name")) === name, {
      timeout: 10_000,
      timeoutMsg: `${name} never took the main area`,
    });
    assert.equal(await link.getAttribute("aria-current"), "page", `${name} is marked in the sidebar`);
    assert.ok(
      await inWindow('[data-testid="agent-lane"] [data-testid="agent-message"]'),
      `${name}'s message box is inside the 1024x640 window`,
    );
  }
  const failed = await sidebarAgent("worker-11").$('[data-testid="agent-dot"]').getAttribute("data-state");
  assert.equal(failed, "failed", "the failed program's dot says so");
});

test("the agent waiting for a permission is badged, counted in the title and in the inbox", async () => {
  await browser.waitUntil(async () => (await sidebarAgent("asker").getAttribute("data-state")) === "needs_input", {
    timeout: 90_000,
    timeoutMsg: "claude never asked for Bash",
  });
  await sidebarAgent("asker").$('[data-testid="sidebar-agent-badge"]').waitForDisplayed({ timeout: 10_000 });
  for (const name of WORKERS) {
    assert.ok(!(await sidebarAgent(name).$('[data-testid="sidebar-agent-badge"]').isExisting()), `${name} needs nothing`);
  }
  // The permission, the failed program is no task (not in the inbox), and the decision.
  await browser.waitUntil(async () => (await browser.getTitle()) === "(2) Baton", {
    timeout: 10_000,
    timeoutMsg: async () => `the title is ${await browser.getTitle()}`,
  });
  assert.equal(await browser.$('[data-testid="inbox-count"]').getText(), "2");
});

test("the command palette reaches an agent by a fuzzy name, and the keyboard goes on from there", async () => {
  await shortcut("Control", "k");
  const input = browser.$('[data-testid="palette-input"]');
  await input.waitForDisplayed({ timeout: 5_000 });
  await input.setValue("wrk07");
  const first = browser.$('[data-testid="palette-item"]');
  await browser.waitUntil(async () => (await first.getAttribute("data-label")) === "worker-07", {
    timeout: 5_000,
    timeoutMsg: "the palette's best match is not worker-07",
  });
  await browser.keys(["Enter"]);
  await browser.waitUntil(async () => (await focused().getAttribute("data-agent-name")) === "worker-07", { timeout: 10_000 });
  assert.equal(await browser.$('[data-testid="palette"]').isExisting(), false, "the palette closed");
  await browser.waitUntil(async () => (await activeTestId()) === "agent-message", {
    timeout: 5_000,
    timeoutMsg: "the message box of the agent in focus does not have the keyboard",
  });
  // Alt+↓ goes to the next agent of the session, and the keyboard with it.
  await shortcut("Alt", "ArrowDown");
  await browser.waitUntil(async () => (await focused().getAttribute("data-agent-name")) === "worker-08", { timeout: 10_000 });
  await browser.waitUntil(async () => (await activeTestId()) === "agent-message", { timeout: 5_000 });
  // Typed in the focused box, Enter sends (the program echoes it) and empties the box.
  await focused().$('[data-testid="agent-message"]').addValue("hello there");
  assert.equal(await activeTestId(), "agent-message");
  await browser.keys(["Enter"]);
  await browser.waitUntil(async () => (await focused().$('[data-testid="agent-terminal"]').getText()).includes("hello there"), {
    timeout: 15_000,
    timeoutMsg: "Enter in the message box did not send",
  });
});

test("screenshots of each screen at 1024x640 and 1440x900, light and dark", async () => {
  const screens = [
    ["home", async () => browser.$('[data-testid="nav-home"]').click(), '[data-testid="session-list"]'],
    [
      "overview",
      async () => browser.$('[data-testid="sidebar-session"][data-session-name="crowd"] [data-testid="sidebar-session-link"]').click(),
      '[data-testid="agent-overview"]',
    ],
    ["focus", async () => sidebarAgent("asker").click(), '[data-testid="permission-request"]'],
    ["inbox", async () => browser.$('[data-testid="nav-inbox"]').click(), '[data-testid="inbox-item"]'],
    [
      "palette",
      async () => {
        await browser.$('[data-testid="sidebar-session"][data-session-name="crowd"] [data-testid="sidebar-session-link"]').click();
        await browser.$('[data-testid="overview-card"][data-agent-name="worker-03"]').click();
        await shortcut("Control", "k");
        await browser.$('[data-testid="palette-input"]').setValue("work");
      },
      '[data-testid="palette-item"]',
    ],
  ];
  for (const [width, height] of [
    [1024, 640],
    [1440, 900],
  ]) {
    await h.windowSize(width, height);
    for (const mode of ["light", "dark"]) {
      await h.theme(mode);
      for (const [name, show, ready] of screens) {
        await show();
        await browser.$(ready).waitForDisplayed({ timeout: 15_000 });
        // Two frames, so the screenshot is of the view just shown.
        await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
        await h.screenshot(`layout-${name}-${width}x${height}-${mode}.png`);
        if (name === "palette") await browser.keys(["Escape"]);
      }
    }
  }
  await h.theme("system");
  await h.windowSize(1024, 640);
});

test("the permission is approved from the inbox, and the agent runs the tool", async () => {
  await browser.$('[data-testid="nav-inbox"]').click();
  const item = browser.$('[data-testid="inbox-item"][data-kind="permission"]');
  await item.waitForDisplayed({ timeout: 10_000 });
  assert.match(await item.getText(), /asker asks to use Bash/);
  await item.$('[data-testid="permission-approve"]').click();
  await item.waitForExist({ reverse: true, timeout: 15_000 });
  await browser.waitUntil(async () => (await browser.getTitle()) === "(1) Baton", { timeout: 10_000 });
  await browser.waitUntil(
    async () => {
      const status = JSON.parse(h.baton("status", "asker", "--json"));
      return status.turns >= 1 && status.state === "waiting";
    },
    { timeout: 90_000, timeoutMsg: "the approved Bash never ran" },
  );
  const asker = JSON.parse(h.baton("status", "asker", "--json"));
  assert.equal(asker.turns, 1, "answered in its turn: nothing was resumed");
  assert.ok(fs.existsSync(path.join(asker.cwd, "approved.txt")), "the approved command ran");
  assert.equal(await browser.$('[data-testid="inbox-count"]').getText(), "1", "only the decision is left");
  // The decision is still waiting, and is answered here too.
  const decision = browser.$('[data-testid="inbox-item"][data-kind="decision"]');
  await decision.$('[data-testid="decision-answer-input"]').setValue("Yes, behind a flag");
  await decision.$('[data-testid="decision-answer-button"]').click();
  await browser.$('[data-testid="inbox-empty"]').waitForDisplayed({ timeout: 10_000 });
  await browser.waitUntil(async () => (await browser.getTitle()) === "Baton", { timeout: 10_000 });
});
