// A session's report in the real desktop app: the tri-agent pattern runs to completion on the
// real Claude Code (architect, implementer and reviewer, scripted by the project's fake model
// server) with auto-merge on; the session's Report opens the HTML page in the app's WebKit, where
// the timeline is drawn and the cost table lists the agents' CLI; screenshots of the page go to
// target/e2e/report-*.png. The Markdown is the one `baton report` prints.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Harness, root } from "./harness.mjs";

const h = new Harness();
let browser;

before(async () => {
  const repo = h.repo("report-repo");
  h.baton("session", "new", "--repo", repo, "--name", "report");
  h.baton("session", "set", "report", "--cycle-secs", "1", "--auto-merge", "true");
  h.baton("objective", "add", "--session", "report", "Greet in a file");
  const implementer = path.join(h.home, "worktrees", "report-repo", "implementer");
  await h.fakeClaude([
    { text: "# Greeting file\n\nCreate greet.txt holding the line hello." },
    { text: "Writing it.", tool_call: { name: "Write", input: { file_path: path.join(implementer, "greet.txt"), content: "hello\n" } } },
    { text: "Implemented greet.txt." },
    { text: JSON.stringify({ verdict: "approve", findings: [] }) },
  ]);
  h.baton("pattern", "run", "tri-agent", "--session", "report", "--goal", "a greeting file");
  h.baton("run", "--session", "report", "--wait", "--timeout", "240");
  browser = await h.start();
  await h.windowSize(1280, 800);
});

/** Two frames, so a screenshot shows the page as just scrolled. */
async function painted() {
  await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
}

after(async () => {
  await h.stop();
});

test("Report shows the session's HTML report with its timeline and cost table, and its Markdown", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="report"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  const button = browser.$('[data-testid="session-report"]');
  await button.waitForClickable({ timeout: 15_000 });
  await button.click();
  const frame = browser.$('[data-testid="report-frame"]');
  await frame.waitForDisplayed({ timeout: 15_000 });
  const size = await frame.getSize();
  assert.ok(size.height > 400, `the page has room: ${JSON.stringify(size)}`);

  // Inside the page, as WebKit laid it out: the timeline has a bar per task and per agent.
  await browser.switchFrame(frame);
  const svg = browser.$("svg.timeline");
  await svg.waitForDisplayed({ timeout: 10_000 });
  assert.ok((await svg.getSize()).width > 600, "the timeline spans the page");
  assert.equal((await browser.$$("svg.timeline rect")).length, 6, "three tasks and three agents");
  assert.match(await browser.$("#outcome").getText(), /Complete/);
  // One request at a time: the driver does not take several at once.
  const cells = async (row) => {
    const out = [];
    for (const td of await row.$$("td")) out.push(await td.getText());
    return out;
  };
  const rows = await browser.$$("table#cost tbody tr");
  assert.equal(rows.length, 2, "one CLI and the total");
  const [claude, total] = [await cells(rows[0]), await cells(rows[1])];
  assert.deepEqual([claude[0], claude[1]], ["claude", "3"], claude.join(" | "));
  assert.equal(total[0], "Total");
  assert.match(total[5], /^~?\$\d+\.\d\d$/, "the session's cost");
  assert.match(await browser.$("table#merges").getText(), /implementer/, "the approved work was merged");
  assert.match(await browser.$("table#reviews").getText(), /approve/);
  await browser.switchFrame(null);
  await h.screenshot("report-page.png");

  // Scrolled from the app's side: no script runs inside the sandboxed page.
  await browser.execute(() => {
    const page = document.querySelector('[data-testid="report-frame"]').contentDocument;
    page.getElementById("timeline").previousElementSibling.scrollIntoView();
  });
  await painted();
  await h.screenshot("report-timeline.png");
  await browser.execute(() => {
    const page = document.querySelector('[data-testid="report-frame"]').contentDocument;
    page.getElementById("tasks").closest(".panel").previousElementSibling.scrollIntoView();
  });
  await painted();
  await h.screenshot("report-tables.png");
  await browser.execute(() => {
    const page = document.querySelector('[data-testid="report-frame"]').contentDocument;
    page.getElementById("cost").closest(".panel").previousElementSibling.scrollIntoView();
  });
  await painted();
  await h.screenshot("report-cost.png");

  await browser.$('[data-testid="report-md"]').click();
  const text = browser.$('[data-testid="report-text"]');
  await text.waitForDisplayed({ timeout: 10_000 });
  const md = await text.getProperty("textContent");
  const cli = h.baton("report", "--session", "report");
  assert.equal(md.trim(), cli.trim(), "the app shows what `baton report` prints");
  await h.screenshot("report-markdown.png");
});

test("the engine's snapshot report, every section filled, lays out in the app's WebKit", async () => {
  // The page the engine's snapshot test pins (a failed and a cancelled task, two review rounds,
  // an estimate, a merge, an alert), shown in the same sandboxed frame.
  const page = readFileSync(path.join(root, "crates/baton-core/tests/core/snapshots/report.html"), "utf8");
  await browser.$('[data-testid="report-html"]').click();
  const frame = browser.$('[data-testid="report-frame"]');
  await frame.waitForDisplayed({ timeout: 10_000 });
  await browser.execute((html) => {
    document.querySelector('[data-testid="report-frame"]').srcdoc = html;
  }, page);
  await browser.waitUntil(
    async () => browser.execute(() => Boolean(document.querySelector('[data-testid="report-frame"]').contentDocument?.getElementById("alerts"))),
    { timeout: 10_000, timeoutMsg: "the snapshot page did not load" },
  );
  await browser.switchFrame(frame);
  assert.equal((await browser.$$("svg.timeline circle")).length, 1, "the alert is marked on its agent's row");
  assert.equal((await browser.$$("svg.timeline path")).length, 1, "the merge too");
  await browser.switchFrame(null);
  for (const [id, name] of [["timeline", "report-snapshot-timeline.png"], ["reviews", "report-snapshot-reviews.png"]]) {
    await browser.execute((target) => {
      const doc = document.querySelector('[data-testid="report-frame"]').contentDocument;
      doc.getElementById(target).closest(".panel").previousElementSibling.scrollIntoView();
    }, id);
    await painted();
    await h.screenshot(name);
  }
});
