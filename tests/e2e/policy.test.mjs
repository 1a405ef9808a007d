// A session's policy and budgets in the real desktop app, with the real Claude Code against the
// fake model server: a `git push` the default policy denies shows in the lane with its rule, an
// agent over its token budget shows paused with the reason, the session's settings show the
// budget (spent of limit) and the policy file (a typo refused with the engine's message), and
// the lane's Resume continues the agent once the budget is raised with the CLI.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;

const $id = (id) => browser.$(`[data-testid="${id}"]`);
const lane = (name) => browser.$(`[data-testid="agent-lane"][data-agent-name="${name}"]`);

before(async () => {
  h.baton("session", "new", "--repo", h.repo("guard-repo"), "--name", "guard");
  await h.fakeClaude([
    { text: "I'll push the branch.", tool_call: { name: "Bash", input: { command: "git push origin HEAD", description: "Push" } } },
    { text: "The push was refused by the policy." },
    { text: "Going on without pushing." },
  ]);
  h.baton("agent", "spawn", "--session", "guard", "--cli", "claude", "--name", "pusher", "--prompt", "push your work", "--budget-tokens", "1");
  browser = await h.start();
  await browser.setWindowSize(1280, 800);
});

after(async () => {
  await h.stop();
});

test("the lane shows the denied push with its rule, and the agent paused over its budget", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="guard"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  const link = browser.$('[data-testid="sidebar-agent"][data-agent-name="pusher"]');
  await link.waitForClickable({ timeout: 15_000 });
  await link.click();
  const denied = lane("pusher").$('[data-testid="policy-denied"]');
  await denied.waitForDisplayed({ timeout: 60_000 });
  await h.screenshot("policy-lane-denied.png");
  const html = await browser.execute(() => document.querySelector('[data-testid="policy-denied"]').outerHTML);
  assert.match(await denied.getText(), /Denied by policy: Bash git push origin HEAD/, html);
  assert.match(await denied.getText(), /deny_commands "git push\*"/);
  const paused = lane("pusher").$('[data-testid="agent-paused"]');
  await paused.waitForDisplayed({ timeout: 60_000 });
  assert.match((await paused.getProperty("textContent")).trim(), /^paused: over budget \(tokens \d+ of 1\)$/);
  await h.screenshot("policy-lane-paused.png");
});

test("the session's settings show the budget and the policy; a typo in the policy is refused", async (t) => {
  t.after(async () => {
    if (await $id("settings-cancel").isExisting()) await $id("settings-cancel").click();
  });
  await $id("session-settings").click();
  const budgets = $id("session-budgets");
  await budgets.waitForDisplayed({ timeout: 15_000 });
  const over = budgets.$('[data-testid="budget-over"]');
  await over.waitForDisplayed({ timeout: 15_000 });
  assert.match(await over.getText(), /over: tokens \d+ of 1/);
  const text = $id("policy-text");
  await text.waitForDisplayed({ timeout: 15_000 });
  assert.match(await text.getValue(), /deny_commands = \["git push\*"/);
  await h.screenshot("policy-settings.png");
  // Set as the user's typing leaves it (WebDriver's keys would drop the new lines).
  await browser.execute((value) => {
    const el = document.querySelector('[data-testid="policy-text"]');
    el.value = value;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, 'allow_tools = []\ndeny_tool = ["Bash"]\n');
  await $id("policy-save").click();
  const error = $id("policy-error");
  await error.waitForDisplayed({ timeout: 15_000 });
  assert.match(await error.getText(), /line 2.*did you mean deny_tools\?/s);
  await error.scrollIntoView();
  await h.screenshot("policy-settings-error.png");
  assert.match(h.baton("policy", "show", "--session", "guard"), /denied commands: +git push\*/, "the file stayed as it was");
});

test("Resume is refused while over budget and continues the agent once the CLI raised it", async () => {
  const resume = lane("pusher").$('[data-testid="agent-resume"]');
  await resume.click();
  const error = lane("pusher").$('[data-testid="agent-lane-error"]');
  await error.waitForDisplayed({ timeout: 15_000 });
  assert.match(await error.getText(), /still over budget/);
  h.baton("agent", "budget", "pusher", "--budget-tokens", "0");
  await resume.click();
  await lane("pusher").$('[data-testid="agent-paused"]').waitForExist({ timeout: 15_000, reverse: true });
  await browser.waitUntil(async () => (await lane("pusher").getText()).includes("resumed: within budget again"), {
    timeout: 15_000,
    timeoutMsg: "the lane never noted the resume",
  });
  await h.screenshot("policy-lane-resumed.png");
});
