// A real terminal in the real desktop app: the Terminal of an agent's worktree runs the user's
// shell interactively (job control), draws a progress bar in place and shows colours in the
// theme's palette, light and dark; a `command` agent's lane is a terminal too.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;

const lane = (name) => browser.$(`[data-testid="agent-lane"][data-agent-name="${name}"]`);
const shell = () => browser.$('[data-testid="worktree-shell"]');
const sidebarAgent = (name) => browser.$(`[data-testid="sidebar-agent"][data-agent-name="${name}"]`);

/** The text of the Terminal tab's screen, one line per row. */
async function screenRows() {
  return browser.execute(() =>
    Array.from(document.querySelectorAll('[data-testid="worktree-shell"] .xterm-rows > div'), (row) => row.textContent),
  );
}

/**
 * Types into the focused terminal, as the keyboard does; "\n" is Enter. One key per action:
 * WebKitWebDriver merges a key repeated within one action ("sleep" arrived as "slep").
 */
async function type(text) {
  for (const ch of text) await browser.keys(ch === "\n" ? ["Enter"] : [ch]);
}

async function rowsUntil(test, what) {
  await browser.waitUntil(async () => test(await screenRows()), {
    timeout: 20_000,
    timeoutMsg: `the terminal never showed ${what}; it shows:\n${(await screenRows()).join("\n")}`,
  });
  return screenRows();
}

before(async () => {
  const repo = h.repo("term-repo");
  h.baton("session", "new", "--repo", repo, "--name", "term");
  h.baton("agent", "spawn", "--session", "term", "--cli", "command", "--name", "worker", "--", "bash", "-c", "echo ready; sleep 600");
  const bar = 'for i in $(seq 1 10); do printf "\\r\\033[36m[%-10s]\\033[0m %d%%" "$(printf "#%.0s" $(seq $i))" $((i*10)); sleep 0.05; done; echo; echo built; sleep 600';
  h.baton("agent", "spawn", "--session", "term", "--cli", "command", "--name", "builder", "--", "bash", "-c", bar);
  browser = await h.start();
  await browser.setWindowSize(1280, 800);
});

after(async () => {
  await h.stop();
});

test("the Terminal of an agent's worktree runs an interactive shell with job control and a progress bar", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="term"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await sidebarAgent("worker").waitForClickable({ timeout: 15_000 });
  await sidebarAgent("worker").click();
  await lane("worker").waitForExist({ timeout: 15_000 });
  // The Changes tab's Terminal button leads to the Terminal tab.
  await lane("worker").$('[data-testid="tab-changes"]').click();
  await lane("worker").$('[data-testid="worktree-terminal"]').click();
  await shell().waitForDisplayed({ timeout: 10_000 });
  // The shell's prompt, in the worktree.
  await rowsUntil((rows) => rows.some((r) => /[$#]\s*$/.test(r)), "a prompt");

  // A prompt of our own, then job control: a job in the background is listed by `jobs`.
  await type("PS1='$ '\n");
  await type("sleep 30 &\njobs\n");
  let rows = await rowsUntil((rows) => rows.some((r) => r.includes("Running")), "the background job");
  assert.ok(rows.some((r) => /^\[1\]\+\s+Running\s+sleep 30 &/.test(r)), rows.join("\n"));
  assert.ok(!rows.some((r) => r.includes("no job control")), rows.join("\n"));

  // A progress bar redraws itself on one line; colours are the theme's.
  await type(
    "clear; for i in 1 2 3 4 5; do printf '\\r[%-5s] %d%%' $(printf '#%.0s' $(seq $i)) $((i*20)); sleep 0.1; done; " +
      "echo; printf '\\033[32mgreen\\033[0m \\033[31mred\\033[0m\\n'\n",
  );
  rows = await rowsUntil((rows) => rows.includes("green red"), "the coloured line");
  assert.deepEqual(rows.filter((r) => r.startsWith("[")), ["[#####] 100%"], "one line holds the bar");
  const green = await browser.execute(() => {
    const span = document.querySelector('[data-testid="worktree-shell"] .xterm-rows .xterm-fg-2');
    return span ? getComputedStyle(span).color : null;
  });
  assert.equal(green, "rgb(17, 99, 41)", "green of the light palette");
  await h.screenshot("terminal-light.png");

  // The dark theme: the terminal takes its colours again.
  await browser.execute(() => {
    document.documentElement.dataset.theme = "dark";
    document.documentElement.dataset.scheme = "dark";
  });
  await browser.waitUntil(
    async () =>
      (await browser.execute(() => {
        const span = document.querySelector('[data-testid="worktree-shell"] .xterm-rows .xterm-fg-2');
        return span ? getComputedStyle(span).color : null;
      })) === "rgb(63, 185, 80)",
    { timeout: 10_000, timeoutMsg: "the terminal kept its light colours in the dark theme" },
  );
  await h.screenshot("terminal-dark.png");
  await browser.execute(() => {
    document.documentElement.dataset.theme = "system";
    document.documentElement.dataset.scheme = "light";
  });

  // Left for the conversation, the shell goes on: back in the tab, its screen is there again.
  await lane("worker").$('[data-testid="tab-events"]').click();
  await shell().waitForExist({ reverse: true, timeout: 5_000 });
  await lane("worker").$('[data-testid="tab-terminal"]').click();
  await shell().waitForDisplayed({ timeout: 10_000 });
  await rowsUntil((rows) => rows.includes("green red"), "the screen from before");

  // A smaller window: the terminal refits, and the shell is told its new size.
  const before = (await screenRows()).length;
  await browser.setWindowSize(1024, 640);
  await browser.waitUntil(async () => (await screenRows()).length < before, {
    timeout: 10_000,
    timeoutMsg: "the terminal kept its height in a smaller window",
  });
  const height = (await screenRows()).length;
  await type("clear; stty size\n");
  rows = await rowsUntil((rows) => rows.some((r) => /^\d+ \d+\s*$/.test(r)), "the size stty reports");
  const [ttyRows] = rows.find((r) => /^\d+ \d+\s*$/.test(r)).trim().split(" ").map(Number);
  assert.equal(ttyRows, height, "the shell's terminal has the rows the view shows");
  await h.screenshot("terminal-1024x640.png");
  await browser.setWindowSize(1280, 800);
  await browser.$('[data-testid="terminal-end"]').click();
  await browser.$('[data-testid="terminal-new"]').waitForDisplayed({ timeout: 10_000 });
});

test("a command agent's lane is a terminal: its progress bar ends on one line", async () => {
  await sidebarAgent("builder").click();
  const terminal = lane("builder").$('[data-testid="agent-terminal"]');
  await terminal.waitForExist({ timeout: 15_000 });
  const rows = async () =>
    browser.execute(
      () =>
        Array.from(
          document.querySelectorAll('[data-testid="agent-lane"][data-agent-name="builder"] .xterm-rows > div'),
          (row) => row.textContent,
        ),
    );
  await browser.waitUntil(async () => (await rows()).includes("built"), {
    timeout: 20_000,
    timeoutMsg: `the builder's lane never showed "built": ${(await rows()).join("\n")}`,
  });
  assert.deepEqual((await rows()).filter((r) => r.startsWith("[")), ["[##########] 100%"]);
  // The log keeps the bar's line, returns and all, so its history replays the same.
  const log = JSON.parse(h.baton("logs", "builder", "--json").split("\n").filter(Boolean).find((l) => l.includes("100%")));
  assert.match(log.event.text, /\r.*\[#{10}\].*100%/);
  await h.screenshot("terminal-agent.png");
});
