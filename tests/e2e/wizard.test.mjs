// New work in the real desktop app, by keyboard: from Home a folder becomes a session and the
// wizard opens on it; a goal, the questions answered with number keys and Enter (their options
// name the repository's folders and its test commands), the plan edited (a task removed, which
// the engine first refuses at the field that still names it, then a second one; the reviewer's
// CLI changed), launched with the coordinator, and run to the end by the real Claude Code
// against the fake model server. The answers are in the session's context. Screenshots of the
// dialogue and the plan editor at 1024x640 (light) and 1440x900 (dark) go to target/e2e/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;
let repo;

const SPEC = "# Discount codes\n\nA code takes 10% off at checkout. Add discount.txt holding the line 10%.";
const $id = (id) => browser.$(`[data-testid="${id}"]`);



/** A screenshot at a size and theme, then back to 1024x640 light. */
async function shotAt(name, width, height, mode) {
  await h.windowSize(width, height);
  await h.theme(mode);
  // From the top of the wizard, as a user arriving there sees it.
  await browser.execute(() => document.querySelector('[data-testid="wizard"]')?.scrollTo(0, 0));
  await browser.pause(300);
  await h.screenshot(name);
  await h.theme("light");
  await h.windowSize(1024, 640);
}

/** Waits for question `id`, ready for an answer (no call under way). */
async function asked(id) {
  const q = $id("wizard-question");
  await browser.waitUntil(
    async () =>
      (await q.isExisting()) &&
      (await q.getAttribute("data-question-id")) === id &&
      (await $id("wizard-next").isEnabled()),
    { timeout: 15_000, interval: 100, timeoutMsg: `question ${id} was never asked` },
  );
  return q;
}

const activeAttr = (name) => browser.execute((n) => document.activeElement?.getAttribute(n), name);

/** The attribute `name` of every element `selector` finds, in order. */
async function attrs(selector, name) {
  const out = [];
  for (const e of await browser.$$(selector)) out.push(await e.getAttribute(name));
  return out;
}

const chosen = () => attrs('[data-testid="wizard-option"][aria-checked="true"]', "data-label");
const labels = () => attrs('[data-testid="wizard-option"]', "data-label");

const card = (name) => browser.$(`[data-testid="plan-task"][data-name="${name}"]`);

before(async () => {
  repo = h.repo("shop");
  const files = {
    "api/Cargo.toml": '[package]\nname = "api"\nversion = "0.1.0"\nedition = "2021"\n',
    "api/src/lib.rs": "pub fn price() -> u32 { 1 }\n",
    "api/src/cart.rs": "pub fn total() -> u32 { 2 }\n",
    // Two test scripts of its own: how to check the work is asked (one each would answer it).
    "web/package.json": JSON.stringify({ name: "web", scripts: { test: "node --test", "test:e2e": "node --test e2e" } }),
    "web/src/app.js": "export const app = 1;\n",
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    writeFileSync(path.join(repo, file), text);
  }
  const git = (...args) => execFileSync("git", ["-C", repo, "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", ...args]);
  git("add", "-A");
  git("commit", "-q", "-m", "A shop in two languages");
  const implementer = path.join(h.home, "worktrees", "shop", "implementer");
  // The roles speak in turn: architect, implementer (two model turns), reviewer.
  await h.fakeClaude([
    { text: SPEC },
    { text: "Writing it.", tool_call: { name: "Write", input: { file_path: path.join(implementer, "discount.txt"), content: "10%\n" } } },
    { text: "Implemented discount.txt." },
    { text: JSON.stringify({ verdict: "approve", findings: [] }) },
  ]);
  browser = await h.start();
  await h.windowSize(1024, 640);
});

after(async () => {
  await h.stop();
});

test("from Home: a folder, New work, a goal; the questions answered by keyboard name this repository", async () => {
  const repoInput = $id("new-session-repo");
  await repoInput.waitForDisplayed({ timeout: 30_000 });
  await repoInput.setValue(repo);
  await $id("new-session-work").click();

  const goal = $id("wizard-goal-input");
  await goal.waitForDisplayed({ timeout: 15_000 });
  assert.equal(await activeAttr("data-testid"), "wizard-goal-input", "the goal has the keyboard");
  await goal.setValue("add discount codes");
  await h.screenshot("wizard-goal-1024x640.png");
  await browser.keys(["Enter"]);

  await asked("done");
  assert.equal(await $id("wizard-progress").getText(), "Question 1 of at most 7");
  await h.screenshot("wizard-text-1024x640.png");
  assert.match(await $id("facts-folders").getText(), /api\/[\s\S]*web\//);
  assert.match(await $id("facts-commands").getText(), /cd web && npm test/);
  await browser.keys(["Enter"]); // the default definition of done

  await asked("scope");
  assert.deepEqual(await labels(), ["api", "web"]);
  assert.equal(await activeAttr("data-label"), "api", "focus on the option chosen so far");
  await browser.keys(["2"]);
  assert.deepEqual(await chosen(), ["api", "web"]);
  await h.screenshot("wizard-question-1024x640.png");
  await browser.keys(["Enter"]);

  await asked("risks");
  // Back by its key, and on again.
  await browser.keys(["Alt", "ArrowLeft"]);
  await browser.keys(["Alt"]);
  await asked("scope");
  assert.deepEqual(await chosen(), ["api"], "the question is asked afresh");
  await browser.keys(["2", "Enter"]);
  await asked("risks");
  await browser.keys(["Enter"]);

  await asked("verify");
  assert.deepEqual(await labels(), ["cd api && cargo test", "cd web && npm test", "cd web && npm run test:e2e", "No automated check"]);
  await browser.keys(["2"]);
  await shotAt("wizard-question-1440x900-dark.png", 1440, 900, "dark");
  await browser.keys(["Enter"]);

  // Two parts: one agent each, not asked.
  await asked("review");
  await browser.keys(["2", "Enter"]); // Codex reviews
  await asked("merge");
  await browser.keys(["Enter"]);
  await $id("wizard-plan").waitForDisplayed({ timeout: 15_000 });
});

test("the plan edited: a task removed (refused at the field that still names it, then fixed), a CLI changed", async () => {
  const names = () => attrs('[data-testid="plan-task"]', "data-name");
  assert.deepEqual(await names(), ["spec", "implement-api", "implement-web", "review-api", "review-web"]);
  await browser.waitUntil(async () => (await browser.$$('[data-testid="wizard-plan"] [data-testid="task-node"]').length) === 5, {
    timeout: 10_000,
    timeoutMsg: "the graph preview never showed the five tasks",
  });
  await h.screenshot("wizard-plan-1024x640.png");

  await card("implement-web").$('[data-testid="plan-task-remove"]').click();
  const fault = card("review-web").$('[data-testid="plan-error"]');
  await fault.waitForDisplayed({ timeout: 10_000 });
  assert.equal(await fault.getAttribute("data-field"), "tasks[3].after");
  assert.match(await fault.getText(), /unknown task "implement-web"/);
  // Brought into view by the editor: it is not on the card whose Remove was pressed.
  await browser.waitUntil(async () => fault.isDisplayed({ withinViewport: true }), { timeout: 5_000, timeoutMsg: "the error is out of view" });
  // The window itself never scrolls (a click scrolls what it can to reach its element).
  assert.equal(await browser.execute(() => document.scrollingElement?.scrollTop ?? 0), 0, "the page scrolled");
  await h.screenshot("wizard-plan-error-1024x640.png");

  await card("review-web").$('[data-testid="plan-task-remove"]').click();
  await browser.waitUntil(async () => !(await browser.$('[data-testid="plan-error"]').isExisting()), {
    timeout: 10_000,
    timeoutMsg: "the error stayed after the second removal",
  });
  const cli = browser.$('[data-testid="plan-agent"][data-role="reviewer"] [data-testid="plan-agent-cli"]');
  await cli.selectByAttribute("value", "claude");
  const wizardId = await $id("wizard").getAttribute("data-wizard-id");
  await browser.waitUntil(
    async () => {
      const plan = JSON.parse(h.baton("wizard", "show", wizardId, "--json")).plan;
      return plan.tasks.length === 3 && plan.agents.find((a) => a.role === "reviewer").cli === "claude";
    },
    { timeout: 10_000, timeoutMsg: "the edited plan never reached the engine" },
  );
  assert.deepEqual(await names(), ["spec", "implement-api", "review-api"]);
  await shotAt("wizard-plan-1440x900-dark.png", 1440, 900, "dark");
});

test("launched with the coordinator: the tasks run to the end with the real Claude Code; the answers are in the context", async () => {
  assert.equal(await $id("plan-run").isSelected(), true, "the coordinator starts by default");
  await $id("plan-launch").waitForEnabled({ timeout: 10_000 });
  await $id("plan-launch").click();
  const bar = $id("coordinator-bar");
  await bar.waitForDisplayed({ timeout: 15_000 });
  assert.equal(await $id("tab-tasks").getAttribute("aria-selected"), "true", "the Tasks view shows");
  await browser.waitUntil(async () => (await bar.getAttribute("data-state")) === "complete", {
    timeout: 240_000,
    interval: 500,
    timeoutMsg: `the plan never completed: ${h.baton("task", "list", "--session", "shop")}`,
  });
  const tasks = JSON.parse(h.baton("task", "list", "--session", "shop", "--json"));
  assert.deepEqual(
    tasks.map((t) => [t.name, t.state]).sort(),
    [
      ["implement-api", "done"],
      ["review-api", "done"],
      ["spec", "done"],
    ],
  );
  await h.screenshot("wizard-launched-1024x640.png");

  await $id("tab-context").click();
  const decisions = $id("context-decisions");
  await decisions.waitForDisplayed({ timeout: 10_000 });
  const text = await decisions.getText();
  assert.match(text, /Which parts of the code will change\?[\s\S]*api, web/);
  assert.match(text, /How is the work checked\?[\s\S]*cd web && npm test/);
  assert.match(text, /Who reviews the work\?[\s\S]*Codex/);
  assert.match(await $id("context-objectives").getText(), /add discount codes/);
});
