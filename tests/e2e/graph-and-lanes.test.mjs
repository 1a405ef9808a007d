// Readable lanes and the task graph in the real desktop app: the real Claude Code (against the
// fake model server) answers in markdown and hands a search to a subagent, whose steps fold
// under the Task call; a session of 1,000 tasks opens on the Svelte Flow graph, which is timed
// (docs/perf.md, "Task graph") and shot.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;
let api;

const worktree = (name) => path.join(h.home, "worktrees", "md-repo", name);
const lane = (name) => browser.$(`[data-testid="agent-lane"][data-agent-name="${name}"]`);

/** The daemon's HTTP API, as the app reaches it (its address and token are in BATON_HOME). */
function daemonApi() {
  const info = JSON.parse(readFileSync(path.join(h.home, "daemon.json"), "utf8"));
  return async (method, url, body) => {
    const response = await fetch(`http://127.0.0.1:${info.port}${url}`, {
      method,
      headers: { Authorization: `Bearer ${info.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.json();
  };
}

/** A plan of `count` tasks: chains fanning out and converging, each after one to three recent ones. */
async function planAdd(session, count) {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < count; i++) {
    const after = [];
    if (i >= 5) {
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        const from = `t${Math.max(0, i - 1 - Math.floor(random() * Math.min(i, 10)))}`;
        if (!after.includes(from)) after.push(from);
      }
    }
    await api("POST", "/api/tasks", { session, title: `Task ${i}`, prompt: `do ${i}`, name: `t${i}`, after });
  }
}

before(async () => {
  const repo = h.repo("md-repo");
  h.baton("session", "new", "--repo", repo, "--name", "readable");
  await h.fakeClaude([
    { text: "## Plan\n\nI'll ask a **subagent** to look at the repository, then:\n\n1. read what it found\n2. write `notes.md`", tool_call: { name: "Task", input: { description: "Look at the repository", prompt: "List the files of the repository.", subagent_type: "general-purpose" } } },
    { text: "Listing them.", tool_call: { name: "Bash", input: { command: `ls -a ${worktree("reader")}`, description: "List files" } } },
    { text: "The repository holds only `.git`: it is empty." },
    { text: "Writing the notes.", tool_call: { name: "Write", input: { file_path: path.join(worktree("reader"), "notes.md"), content: "# Notes\n\nEmpty repository.\n" } } },
    { text: "Done. The subagent found an **empty repository**; I wrote `notes.md`:\n\n| file | what |\n|---|---|\n| notes.md | what was found |\n\n```sh\ncat notes.md\n```" },
  ]);
  h.baton("agent", "spawn", "--session", "readable", "--cli", "claude", "--name", "reader", "--allow-tool", "Bash", "--prompt", "Look at the repository with a subagent and write notes.md");
  api = daemonApi();
  const big = await api("POST", "/api/sessions", { repo: h.repo("big-repo"), name: "big-plan", parent: null });
  await planAdd(big.id, 1000);
  // build done, so ship (if it succeeded) can run and fix (if it failed) never will.
  const small = await api("POST", "/api/sessions", { repo: h.repo("small-repo"), name: "small-plan", parent: null });
  const add = (name, fields = {}) => api("POST", "/api/tasks", { session: small.id, title: `${name[0].toUpperCase()}${name.slice(1)} the release`, prompt: `${name} it`, name, ...fields });
  const spec = await add("spec");
  const build = await add("build", { after: ["spec"] });
  await add("ship", { ifSucceeded: ["build"] });
  await add("fix", { ifFailed: ["build"] });
  await add("announce", { after: ["ship"] });
  await add("docs", { after: ["spec"] });
  await api("POST", `/api/tasks/${spec.id}/complete`, { state: "done", outcome: null });
  await api("POST", `/api/tasks/${build.id}/complete`, { state: "done", outcome: null });
  browser = await h.start();
  await browser.setWindowSize(1440, 1000);
});

after(async () => {
  await h.stop();
});

test("a lane shows the assistant's markdown, paths relative to the worktree, and the subagent folded under its call", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="readable"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  // The session opens on its overview; the agent comes into focus from the sidebar.
  const inSidebar = browser.$('[data-testid="sidebar-agent"][data-agent-name="reader"]');
  await inSidebar.waitForClickable({ timeout: 15_000 });
  await inSidebar.click();
  await lane("reader").waitForExist({ timeout: 15_000 });
  await browser.waitUntil(async () => (await lane("reader").getAttribute("data-state")) === "waiting", {
    timeout: 90_000,
    timeoutMsg: "claude did not finish its turn",
  });
  const table = lane("reader").$('[data-testid="assistant-markdown"] table');
  await table.waitForExist({ timeout: 10_000 });
  assert.equal(await lane("reader").$('[data-testid="assistant-markdown"] h2').getText(), "Plan");

  // The subagent's Bash is not one of the agent's own rows: it is folded under the Task call.
  const fold = lane("reader").$('[data-testid="subagent-fold"]');
  await fold.waitForExist({ timeout: 10_000 });
  assert.match(await fold.getText(), /Subagent · \d+ steps/);
  const ownTools = await lane("reader").$$('[data-testid="event-row"][data-kind="tool_call"] .tool-name').map((e) => e.getText());
  assert.ok(!ownTools.includes("Bash"), `the lane's own tool calls: ${ownTools}`);
  await fold.click();
  const nested = lane("reader").$('[data-testid="subagent-rows"]');
  await nested.waitForDisplayed({ timeout: 5_000 });
  assert.match(await nested.getText(), /ls -a \./);

  const write = lane("reader").$('[data-kind="file_change"] .ev-summary');
  assert.equal(await write.getText(), "notes.md");
  assert.equal(await write.getAttribute("title"), path.join(worktree("reader"), "notes.md"));
  // From the top: the plan in markdown, the Task call with its subagent unfolded, the answer.
  await browser.execute(() => {
    const list = document.querySelector('[data-testid="agent-lane"] .vlist');
    if (list) list.scrollTop = 0;
  });
  await h.screenshot("lane-markdown-subagent.png");
  await browser.execute(() => {
    const list = document.querySelector('[data-testid="agent-lane"] .vlist');
    if (list) list.scrollTop = list.scrollHeight;
  });
  await h.screenshot("lane-markdown-answer.png");
});

test("a session of 1,000 tasks opens on the graph, pans and zooms (timed for docs/perf.md)", async () => {
  await browser.$('[data-testid="nav-home"]').click();
  const open = browser.$('[data-testid="session-row"][data-session-name="big-plan"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await browser.$('[data-testid="session-view"]').waitForDisplayed({ timeout: 15_000 });

  const started = Date.now();
  await browser.$('[data-testid="tab-tasks"]').click();
  try {
    await browser.$('[data-testid="task-node"]').waitForExist({ timeout: 60_000 });
  } catch (e) {
    await h.screenshot("task-graph-1000-failed.png");
    throw e;
  }
  const opened = Date.now() - started;

  // Interaction: 60 wheel zooms and 60 drags' worth of pans on the graph's pane, one per frame;
  // the frame times are what a user feels.
  const frames = await browser.executeAsync((done) => {
    const pane = document.querySelector(".svelte-flow__pane");
    const times = [];
    let last = performance.now();
    let i = 0;
    const step = () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
      const rect = pane.getBoundingClientRect();
      const at = { clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2, bubbles: true };
      if (i < 60) pane.dispatchEvent(new WheelEvent("wheel", { ...at, deltaY: i < 30 ? -40 : 40 }));
      else pane.dispatchEvent(new WheelEvent("wheel", { ...at, deltaX: 30, deltaY: 0, shiftKey: false, ctrlKey: false }));
      if (++i < 120) requestAnimationFrame(step);
      else done(times.slice(1));
    };
    requestAnimationFrame(step);
  });
  const sorted = [...frames].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)];
  const p95 = sorted[Math.floor(sorted.length * 0.95)];
  const shown = await browser.$$('[data-testid="task-node"]').length;
  console.log(`task graph, 1000 tasks: opened in ${opened} ms; ${frames.length} frames of pan/zoom: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms; ${shown} boxes in the DOM`);
  assert.equal(shown, 1000);

  await browser.$(".svelte-flow__controls-fitview").click();
  await h.screenshot("task-graph-1000.png");
  // A box opens its task's details (clicked where it is, however small at this zoom).
  await browser.execute(() => document.querySelector('[data-testid="task-node"][data-task-name="t500"]').click());
  await browser.waitUntil(async () => (await browser.$('[data-testid="task-details"]').getAttribute("data-task-name")) === "t500", { timeout: 5_000 });
});

test("a plan of a few tasks: boxes coloured by state, edges by whether their dependency holds", async () => {
  await browser.$('[data-testid="nav-home"]').click();
  const open = browser.$('[data-testid="session-row"][data-session-name="small-plan"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await browser.$('[data-testid="tab-tasks"]').click();
  await browser.$('[data-testid="task-node"][data-task-name="announce"]').waitForExist({ timeout: 15_000 });
  const status = async (to) => browser.$(`[data-testid="task-edge"][data-to="${to}"]`).getAttribute("data-status");
  assert.equal(await status("fix"), "never");
  assert.equal(await status("ship"), "met");
  await browser.$('[data-testid="task-node"][data-task-name="ship"]').click();
  await browser.$('[data-testid="task-details"][data-task-name="ship"]').waitForExist({ timeout: 5_000 });
  await h.screenshot("task-graph-small.png");
});
