// The coordinator in the real desktop app: the tri-agent pattern, run from the CLI, is started
// with the app's Run button and carried out by the real Claude Code (architect, implementer and
// reviewer, each scripted in turn by the project's fake model server); the bar counts cycles
// and shows the criteria met, the artifacts are searched and read in the app, and an objective
// added in the app reaches the CLI.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;

const SPEC = "# Greeting file\\n\\nCreate greet.txt holding the line hello.";


before(async () => {
  const repo = h.repo("coord-repo");
  h.baton("session", "new", "--repo", repo, "--name", "coord");
  h.baton("session", "set", "coord", "--cycle-secs", "1");
  const implementer = path.join(h.home, "worktrees", "coord-repo", "implementer");
  // One script, in the order the roles speak: architect, implementer (two model turns), reviewer.
  await h.fakeClaude([
    { text: SPEC.replaceAll("\\n", "\n") },
    { text: "Writing it.", tool_call: { name: "Write", input: { file_path: path.join(implementer, "greet.txt"), content: "hello\n" } } },
    { text: "Implemented greet.txt." },
    { text: JSON.stringify({ verdict: "approve", findings: [] }) },
  ]);
  h.baton("pattern", "run", "tri-agent", "--session", "coord", "--goal", "a greeting file");
  browser = await h.start();
});

after(async () => {
  await h.stop();
});

test("Run starts the coordinator; the pattern runs to completion, counted and checked in the bar", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="coord"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  const bar = browser.$('[data-testid="coordinator-bar"]');
  await bar.waitForDisplayed({ timeout: 15_000 });
  assert.equal(await bar.getAttribute("data-state"), "off");
  await browser.$('[data-testid="tab-tasks"]').click();
  await browser.$('[data-testid="coordinator-run"]').click();
  await browser.waitUntil(async () => (await bar.getAttribute("data-state")) === "complete", {
    timeout: 180_000,
    interval: 500,
    timeoutMsg: `the pattern never completed: ${h.baton("task", "list", "--session", "coord")}`,
  });
  const cycles = Number((await browser.$('[data-testid="coordinator-cycle-count"]').getText()).replace(/\D/g, ""));
  assert.ok(cycles >= 3, `cycles counted: ${cycles}`);
  for (const c of await browser.$$('[data-testid="criterion"]')) {
    assert.equal(await c.getAttribute("data-ok"), "true", await c.getText());
  }
  const counts = await browser.$('[data-testid="task-counts"]').getText();
  assert.match(counts, /3 done/);
  const tasks = JSON.parse(h.baton("task", "list", "--session", "coord", "--json"));
  assert.deepEqual(tasks.map((t) => t.state), ["done", "done", "done"]);
  await h.screenshot("coordinator.png");
});

test("the artifacts are searched and read in the app, the spec rendered as markdown", async () => {
  await browser.$('[data-testid="tab-artifacts"]').click();
  const panel = browser.$('[data-testid="artifacts-panel"]');
  await panel.waitForDisplayed({ timeout: 10_000 });
  await browser.waitUntil(async () => (await panel.$$('[data-testid="artifact-row"]').length) >= 4, {
    timeout: 15_000,
    timeoutMsg: "the artifacts of the three tasks were not listed",
  });
  await browser.$('[data-testid="artifacts-search"]').setValue("greeting");
  // Only the spec speaks of a greeting: one hit, the spec's answer.
  const count = browser.$('[data-testid="artifacts-count"]');
  await browser.waitUntil(async () => (await count.getText()) === "1 hit", {
    timeout: 10_000,
    timeoutMsg: "the search did not narrow the list to the spec",
  });
  assert.match(await panel.$('[data-testid="artifact-row"]').getProperty("textContent"), /spec: result/);
  await panel.$('[data-testid="artifact-row"]').click();
  const md = browser.$('[data-testid="artifact-markdown"]');
  await md.waitForDisplayed({ timeout: 10_000 });
  assert.equal(await md.$("h1").getText(), "Greeting file", "the heading is rendered, not shown as #");
  await h.screenshot("artifacts.png");
});

test("an objective added in the Context tab is the session's, as the CLI sees it", async () => {
  await browser.$('[data-testid="tab-context"]').click();
  await browser.$('[data-testid="objective-add-input"]').setValue("Greet every user");
  await browser.$('[data-testid="objective-add-button"]').click();
  // The pattern's run put its goal first ("... (tri-agent)"); the new one is among them.
  const texts = () =>
    browser.execute(() => [...document.querySelectorAll('[data-testid="objective"]')].map((e) => e.textContent));
  await browser.waitUntil(async () => (await texts()).some((t) => /Greet every user/.test(t)), {
    timeout: 10_000,
    timeoutMsg: "the objective added never showed",
  });
  assert.ok((await texts()).some((t) => /\(tri-agent\)/.test(t)), "the pattern's goal is an objective too");
  assert.match(h.baton("status", "--session", "coord"), /Greet every user/);
});
