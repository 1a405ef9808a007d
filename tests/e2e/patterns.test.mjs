// Patterns in the real desktop app: the pattern picker draws the chosen pattern's graph before
// it runs (screenshot), a best-of-three runs on the real Claude Code (against the project's fake
// model server) — the check fails for one candidate, the judge picks another — and the
// candidates view shows the three side by side with their checks, diffs and the judge's scores
// and reasons (screenshot); "Pick this one" takes another candidate instead.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Harness } from "./harness.mjs";
// The same best-of-three the UI tests run: impl-2 fails its check, the judge picks another.
import { BEST_OF_THREE as TEMPLATE } from "../../ui/scripts/daemon.mjs";

const h = new Harness();
let browser;

before(async () => {
  const repo = h.repo("pat-repo");
  h.baton("session", "new", "--repo", repo, "--name", "pat");
  h.baton("session", "set", "pat", "--cycle-secs", "1");
  mkdirSync(path.join(h.home, "templates"), { recursive: true });
  writeFileSync(path.join(h.home, "templates", "best-of-three.toml"), TEMPLATE);
  // Three candidates (one model turn each, in any order), then the judge.
  await h.fakeClaude([
    { text: "Built the greeting." },
    { text: "Built the greeting." },
    { text: "Built the greeting." },
    { text: JSON.stringify({ winner: "impl-3", scores: { "impl-1": 6, "impl-3": 9 }, reasons: "impl-3 says what it changed" }) },
  ]);
  browser = await h.start();
  await browser.setWindowSize(1280, 800);
});

after(async () => {
  await h.stop();
});

test("the pattern picker shows the chosen pattern's graph, then runs it", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="pat"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await browser.$('[data-testid="tab-tasks"]').click();
  const run = browser.$('[data-testid="tasks-empty-run-pattern"]');
  await run.waitForClickable({ timeout: 15_000 });
  await run.click();
  const select = browser.$('[data-testid="pattern-select"]');
  await select.waitForExist({ timeout: 15_000 });
  await select.selectByAttribute("value", "best-of-n");
  const node = browser.$('[data-testid="pattern-graph"] [data-testid="task-node"][data-task-name="implement ×3"]');
  await node.waitForDisplayed({ timeout: 15_000 });
  await h.screenshot("patterns-picker.png");
  assert.match(await node.getProperty("textContent"), /3 agents in parallel \(claude, codex, gemini\)/);

  await select.selectByAttribute("value", "best-of-three");
  await browser.$('[data-testid="pattern-graph"] [data-testid="task-node"][data-task-name="impl ×3"]').waitForDisplayed({ timeout: 15_000 });
  await browser.$('[data-testid="pattern-goal"]').setValue("a greeting");
  await browser.$('[data-testid="pattern-run"]').click();
  // Asked of the page itself: an element handle goes stale as the dialog closes.
  await browser.waitUntil(
    () => browser.execute(() => !document.querySelector('[data-testid="pattern-run-dialog"]')),
    { timeout: 15_000, timeoutMsg: "the pattern dialog never closed" },
  );
  await browser.$('[data-testid="coordinator-run"]').click();
  await browser.waitUntil(async () => /pick\s+done/.test(h.baton("task", "list", "--session", "pat")), {
    timeout: 180_000,
    interval: 1000,
    timeoutMsg: `the selection never ended: ${h.baton("task", "list", "--session", "pat")}`,
  });
});

test("the candidates view shows the checks, diffs, scores and reasons, and picks another", async () => {
  const box = browser.$('[data-testid="task-node"][data-task-name="pick"]');
  await box.waitForClickable({ timeout: 15_000 });
  await box.click();
  const openCandidates = browser.$('[data-testid="task-candidates-open"]');
  await openCandidates.waitForClickable({ timeout: 15_000 });
  await openCandidates.click();
  const winner = browser.$('[data-testid="candidates-winner"]');
  await winner.waitForDisplayed({ timeout: 15_000 });
  assert.equal(await winner.getText(), "impl-3");
  assert.match(await browser.$('[data-testid="candidates-reasons"]').getText(), /impl-3 says what it changed/);
  const failed = browser.$('[data-testid="candidate"][data-name="impl-2"]');
  assert.equal(await failed.getAttribute("data-passed"), "false");
  assert.match(await failed.$('[data-testid="candidate-check"]').getText(), /exit 1/);
  assert.match(await browser.$('[data-testid="candidate"][data-name="impl-3"] [data-testid="candidate-score"]').getText(), /9/);
  await browser.$('[data-testid="candidate"][data-name="impl-1"] [data-testid="candidate-pick"]').waitForDisplayed({ timeout: 15_000 });
  await h.screenshot("patterns-candidates.png");

  await browser.$('[data-testid="candidate"][data-name="impl-1"] [data-testid="candidate-pick"]').click();
  await browser.waitUntil(async () => (await winner.getText()) === "impl-1", {
    timeout: 15_000,
    timeoutMsg: "the pick never showed",
  });
  assert.match(h.baton("task", "candidates", "pick"), /\* impl-1/);
  await h.screenshot("patterns-picked.png");
});
