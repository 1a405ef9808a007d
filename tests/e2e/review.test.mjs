// Reviewing an agent's work in the real desktop app: the tri-agent pattern runs on the real
// Claude Code (against the project's fake model server); its implementer's diff is shown with
// syntax highlighting (screenshots at 1024x640, light and dark), a comment written on a line of
// it reaches the agent (the model server sees it in the next request), and the approved work is
// merged from the reviewer's verdict with an edited commit message, which is then the message of
// main's last commit.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;
let repo;
let record;

const BEFORE = `export type Greeting = { name: string; loud: boolean };

/** Greets someone by name. */
export function greet(g: Greeting): string {
  const text = \`Hello, \${g.name}\`;
  return g.loud ? text.toUpperCase() : text;
}

export const DEFAULT: Greeting = { name: "world", loud: false };
`;
const AFTER = `export type Greeting = { name: string; loud: boolean; times?: number };

/** Greets someone by name, as many times as asked (once by default). */
export function greet(g: Greeting): string {
  const text = \`Hello, \${g.name}!\`;
  const once = g.loud ? text.toUpperCase() : text;
  return Array.from({ length: g.times ?? 1 }, () => once).join(" ");
}

// A greeting for when nobody is named.
export const DEFAULT: Greeting = { name: "world", loud: false, times: 1 };
`;
const COMMENT = "Say why times may be undefined";
const EDITED = "Greet several times\n\nThe greeting repeats as many times as asked; reviewed and approved.";

const git = (...args) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
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

/** Shows `path` in the lane's Diff tab. */
async function fileOpen(path) {
  const button = browser.$(`[data-testid="diff-file-button"][data-path="${path}"]`);
  try {
    await button.waitForClickable({ timeout: 15_000 });
  } catch (e) {
    await h.screenshot("review-failed.png");
    throw e;
  }
  await button.click();
}

/** Back from the lane's Diff tab to its conversation. */
async function diffClose() {
  await browser.$('[data-testid="agent-lane"] [data-testid="tab-events"]').click();
  await browser.$('[data-testid="diff-view"]').waitForExist({ reverse: true, timeout: 10_000 });
}

before(async () => {
  repo = h.repo("rev-repo");
  writeFileSync(path.join(repo, "greet.ts"), BEFORE);
  git("add", "greet.ts");
  git("-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-qm", "Add greet.ts");
  h.baton("session", "new", "--repo", repo, "--name", "rev");
  h.baton("session", "set", "rev", "--cycle-secs", "1");
  const implementer = path.join(h.home, "worktrees", "rev-repo", "implementer");
  record = path.join(h.tmp, "requests.jsonl");
  // In the order the model is asked: architect, implementer (three model turns), reviewer, then
  // the implementer again, answering the review comment sent from the diff.
  await h.fakeClaude(
    [
      { text: "# Greet several times\n\nAdd `times` to Greeting in greet.ts." },
      // Claude Code writes over a file only once it has read it.
      { text: "Reading greet.ts.", tool_call: { name: "Read", input: { file_path: path.join(implementer, "greet.ts") } } },
      { text: "Editing greet.ts.", tool_call: { name: "Write", input: { file_path: path.join(implementer, "greet.ts"), content: AFTER } } },
      { text: "Implemented times in greet.ts." },
      { text: JSON.stringify({ verdict: "approve", findings: [] }) },
      { text: "Noted: times is optional so that existing callers keep working." },
    ],
    { record },
  );
  h.baton("pattern", "run", "tri-agent", "--session", "rev", "--goal", "greet several times");
  browser = await h.start();
  await browser.setWindowSize(1024, 640);
});

after(async () => {
  await h.stop();
});

test("the tri-agent run completes", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="rev"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  const bar = browser.$('[data-testid="coordinator-bar"]');
  await bar.waitForDisplayed({ timeout: 15_000 });
  await browser.$('[data-testid="tab-tasks"]').click();
  await browser.$('[data-testid="coordinator-run"]').click();
  await browser.waitUntil(async () => (await bar.getAttribute("data-state")) === "complete", {
    timeout: 180_000,
    interval: 500,
    timeoutMsg: `the pattern never completed: ${h.baton("task", "list", "--session", "rev")}`,
  });
});

test("the implementer's diff is highlighted, and a line comment reaches the agent", async () => {
  await browser.$('[data-testid="tab-agents"]').click();
  const implementer = lane("implementer");
  await focus("implementer");
  await implementer.$('[data-testid="tab-changes"]').click();
  await implementer.$('[data-testid="worktree-diff"]').click();
  await fileOpen("greet.ts");
  const file = browser.$('[data-testid="diff-file"][data-path="greet.ts"]');
  await file.waitForDisplayed({ timeout: 15_000 });
  assert.equal(await file.getAttribute("data-lang"), "typescript");
  await browser.waitUntil(async () => (await file.$$(".tok").length) > 20, {
    timeout: 15_000,
    timeoutMsg: "the diff was never highlighted",
  });
  // A keyword and a string in different colours: the grammar, not one colour for all.
  const colour = async (text) => (await file.$(`span.tok=${text}`).getCSSProperty("color")).parsed.hex;
  assert.notEqual(await colour("export"), await colour("string"));
  await h.screenshot("review-diff-light.png");

  // A comment on the line that adds `times`: hover the line, then its "+".
  const row = file.$('tr[data-new-no="5"]');
  await row.$("td.code").moveTo();
  await row.$('[data-testid="diff-comment-add"]').click();
  const input = file.$('[data-testid="diff-comment-input"]');
  await input.setValue(COMMENT);
  await file.$('[data-testid="diff-comment-save"]').click();
  await browser.$('[data-testid="diff-comments-send"]').click();
  await file.$('[data-testid="diff-comment-sent"]').waitForDisplayed({ timeout: 15_000 });
  const bar = browser.$('[data-testid="diff-comments-bar"]');
  await browser.waitUntil(async () => (await bar.getText()).includes("All comments sent to implementer"), { timeout: 10_000 });
  await h.screenshot("review-comment-sent.png");

  // The model server got it in the implementer's next request, as path:line: comment.
  await browser.waitUntil(() => existsSync(record) && readFileSync(record, "utf8").includes(`greet.ts:5: ${COMMENT}`), {
    timeout: 60_000,
    timeoutMsg: "the comment never reached the model",
  });
  await diffClose();
  await browser.waitUntil(async () => (await implementer.getAttribute("data-state")) !== "running", { timeout: 60_000 });
  // The lane shows the message as the user's, and the agent's answer.
  await implementer.$('[data-testid="tab-events"]').click();
  await browser.waitUntil(async () => /Noted: times is optional/.test(await implementer.getText()), { timeout: 30_000 });
  assert.match(await implementer.getText(), new RegExp(`greet\\.ts:5: ${COMMENT}`));
});

test("the highlighted diff in the dark theme", async () => {
  // The app again, with the desktop's dark preference (what prefers-color-scheme reports).
  await browser.deleteSession();
  const exited = new Promise((r) => h.driver.once("exit", r));
  h.driver.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  h.env.GTK_THEME = "Adwaita:dark";
  browser = await h.start();
  await browser.setWindowSize(1024, 640);
  assert.ok(await browser.execute(() => matchMedia("(prefers-color-scheme: dark)").matches));

  const open = browser.$('[data-testid="session-row"][data-session-name="rev"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  const implementer = lane("implementer");
  await focus("implementer");
  await implementer.$('[data-testid="tab-changes"]').click();
  await implementer.$('[data-testid="worktree-diff"]').click();
  await fileOpen("greet.ts");
  const file = browser.$('[data-testid="diff-file"][data-path="greet.ts"]');
  await file.waitForDisplayed({ timeout: 15_000 });
  await browser.waitUntil(async () => (await file.$$(".tok").length) > 20, { timeout: 15_000 });
  const keyword = file.$("span.tok=export");
  const shown = (await keyword.getCSSProperty("color")).parsed.hex;
  const dark = (await keyword.getAttribute("style")).match(/--shiki-dark:\s*(#[0-9a-fA-F]{6})/)[1];
  assert.equal(shown.toLowerCase(), dark.toLowerCase(), "the dark theme's colour is used");
  await h.screenshot("review-diff-dark.png");
  await diffClose();
});

test("Merge approved work, from the reviewer's verdict, with an edited message", async () => {
  await browser.$('[data-testid="tab-artifacts"]').click();
  const panel = browser.$('[data-testid="artifacts-panel"]');
  await panel.waitForDisplayed({ timeout: 10_000 });
  const verdictRow = panel.$('[data-testid="artifact-row"]*=verdict');
  await verdictRow.waitForExist({ timeout: 15_000 });
  await verdictRow.click();
  const merge = browser.$('[data-testid="verdict-merge"]');
  await merge.waitForClickable({ timeout: 15_000 });
  await merge.click();
  const dialog = browser.$('[data-testid="merge-dialog"]');
  await dialog.waitForDisplayed({ timeout: 10_000 });
  const message = dialog.$('[data-testid="merge-message"]');
  await browser.waitUntil(async () => (await message.getValue()).startsWith("Implement: greet several times\n\n"), {
    timeout: 15_000,
    timeoutMsg: "the default message is not the task's title",
  });
  assert.match(await message.getValue(), /approved by review in round 1/);
  await h.screenshot("review-merge-approved.png");
  await message.clearValue();
  // Typed as a user would: the subject, Enter twice, the body.
  const [subject, body] = EDITED.split("\n\n");
  await message.setValue(subject);
  await browser.keys("Enter");
  await browser.keys("Enter");
  await message.addValue(body);
  assert.equal(await message.getValue(), EDITED);
  const confirm = dialog.$('[data-testid="merge-confirm"]');
  await browser.waitUntil(() => confirm.isEnabled(), { timeout: 15_000 });
  await confirm.click();
  await dialog.$('[data-testid="merge-result"]').waitForDisplayed({ timeout: 30_000 });
  assert.equal(git("log", "-1", "--format=%B", "main"), EDITED);
  assert.equal(readFileSync(path.join(repo, "greet.ts"), "utf8"), AFTER, "the user's checkout has the work");
  await dialog.$('[data-testid="merge-done"]').click();
});
