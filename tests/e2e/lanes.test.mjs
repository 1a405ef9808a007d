// The session view of the real desktop app: each agent, put in focus from the sidebar, live. A plain program and the
// real Claude Code CLI (against the project's fake model server) run as agents; the lane shows
// what they do, takes messages, and agents started from the app's form reach the CLI.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;
let repo;

/** Where the agent `name` of the session's repository works. */
const worktree = (name) => path.join(h.home, "worktrees", "lanes-repo", name);

const lane = (name) => browser.$(`[data-testid="agent-lane"][data-agent-name="${name}"]`);

/** Puts the agent in focus from the sidebar; resolves its lane. */
async function focus(name) {
  const link = browser.$(`[data-testid="sidebar-agent"][data-agent-name="${name}"]`);
  await link.waitForClickable({ timeout: 15_000 });
  await link.click();
  await lane(name).waitForDisplayed({ timeout: 15_000 });
  return lane(name);
}


before(async () => {
  repo = h.repo("lanes-repo");
  h.baton("session", "new", "--repo", repo, "--name", "lanes");
  const script = 'echo hello from the agent; printf "\\033[32mgreen\\033[0m\\n"; while read l; do echo "echo: $l"; done';
  h.baton("agent", "spawn", "--session", "lanes", "--cli", "command", "--name", "echoer", "--", "bash", "-c", script);

  // Claude Code (installed by `make setup-npm`) talks to the fake model server.
  await h.fakeClaude([
    // The agent works in its own worktree, not in the user's checkout.
    { text: "I'll create the file.", tool_call: { name: "Write", input: { file_path: path.join(worktree("writer"), "from-claude.txt"), content: "written by claude\n" } } },
    { text: "Created from-claude.txt." },
  ]);
  browser = await h.start();
});

after(async () => {
  await h.stop();
});

test("an agent put in focus from the sidebar shows its output live, with the program's colours", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="lanes"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await browser.$('[data-testid="session-view"]').waitForDisplayed({ timeout: 15_000 });
  await focus("echoer");
  const terminal = lane("echoer").$('[data-testid="agent-terminal"]');
  await browser.waitUntil(async () => (await terminal.getText()).includes("hello from the agent"), { timeout: 15_000 });
  const green = await terminal.$("span*=green");
  assert.ok(await green.isExisting(), "the ANSI-coloured line is rendered as a span");
  assert.notEqual(await green.getCSSProperty("color").then((c) => c.value), undefined);
});

test("a message typed in the lane reaches the agent, and the CLI's log has it", async () => {
  await lane("echoer").$('[data-testid="agent-message"]').setValue("ping");
  await lane("echoer").$('[data-testid="agent-send"]').click();
  const terminal = lane("echoer").$('[data-testid="agent-terminal"]');
  await browser.waitUntil(async () => (await terminal.getText()).includes("echo: ping"), {
    timeout: 15_000,
    timeoutMsg: "the lane never showed the agent's answer",
  });
  const logs = h.baton("logs", "echoer");
  assert.match(logs, /> ping/);
  assert.match(logs, /echo: ping/);
});

test("the real Claude Code, started from the app's form, writes a file and shows its work", async () => {
  await browser.$('[data-testid="new-agent"]').click();
  await browser.$('[data-testid="agent-cli"]').selectByAttribute("value", "claude");
  await browser.$('[data-testid="agent-name"]').setValue("writer");
  await browser.$('[data-testid="agent-prompt"]').setValue("create from-claude.txt");
  await browser.$('[data-testid="agent-spawn"]').click();
  await lane("writer").waitForExist({ timeout: 15_000 });
  await browser.waitUntil(async () => (await lane("writer").getAttribute("data-state")) === "waiting", {
    timeout: 60_000,
    timeoutMsg: "claude did not finish its turn",
  });
  const text = await lane("writer").getText();
  assert.match(text, /Write/);
  assert.match(text, /Created from-claude\.txt\./);
  assert.equal(readFileSync(path.join(worktree("writer"), "from-claude.txt"), "utf8"), "written by claude\n");
  assert.ok(!existsSync(path.join(repo, "from-claude.txt")), "the user's checkout is untouched");
  const listed = JSON.parse(h.baton("list", "--session", "lanes", "--json"));
  const writer = listed.find((a) => a.name === "writer");
  assert.equal(writer.cli, "claude");
  assert.ok(writer.costUsd > 0, "claude's cost is recorded");
  await h.screenshot("lanes.png");
});

test("stopping an agent from its lane stops it", async () => {
  await focus("echoer");
  await lane("echoer").$('[data-testid="agent-stop"]').click();
  await browser.waitUntil(async () => (await lane("echoer").getAttribute("data-state")) === "stopped", { timeout: 20_000 });
  assert.equal(JSON.parse(h.baton("status", "echoer", "--json")).state, "stopped");
});

test("the agent's changes are listed live, diffed, checked and merged back into the user's checkout", async () => {
  await focus("writer");
  await lane("writer").$('[data-testid="tab-changes"]').click();
  const panel = lane("writer").$('[data-testid="worktree-panel"]');
  await panel.waitForDisplayed({ timeout: 10_000 });
  await browser.waitUntil(async () => (await panel.$$('[data-testid="changed-file"]').length) === 1, {
    timeout: 15_000,
    timeoutMsg: "the changes panel never listed the written file",
  });
  assert.match(await panel.$('[data-testid="changed-file"]').getText(), /from-claude\.txt/);
  assert.match(await panel.$('[data-testid="worktree-branch"]').getText(), /baton\/lanes\/writer/);

  await panel.$('[data-testid="worktree-diff"]').click();
  const table = browser.$('[data-testid="diff-table"]');
  await table.waitForDisplayed({ timeout: 15_000 });
  assert.match(await table.getText(), /written by claude/);
  await browser.$('[data-testid="diff-split"]').click();
  await browser.$('[data-testid="diff-pair"]').waitForExist({ timeout: 5_000 });
  await h.screenshot("diff.png");
  await lane("writer").$('[data-testid="tab-changes"]').click();

  await panel.$('[data-testid="worktree-merge"]').click();
  const precheck = browser.$('[data-testid="merge-precheck"]');
  await precheck.waitForDisplayed({ timeout: 15_000 });
  const confirm = browser.$('[data-testid="merge-confirm"]');
  await browser.waitUntil(async () => await confirm.isEnabled(), {
    timeout: 15_000,
    timeoutMsg: "the pre-check never allowed the merge",
  });
  assert.match(await precheck.getText(), /from-claude\.txt/);
  assert.ok(!existsSync(path.join(repo, "from-claude.txt")), "the pre-check changes nothing");
  await h.screenshot("merge.png");
  await confirm.click();
  await browser.$('[data-testid="merge-done"]').waitForDisplayed({ timeout: 15_000 });
  assert.equal(readFileSync(path.join(repo, "from-claude.txt"), "utf8"), "written by claude\n");
  assert.match(h.baton("status", "writer"), /merged:\s+into main/);
  // The dialog stays with the result until the user closes it.
  await browser.$('[data-testid="modal-close"]').click();
  await browser.$('[data-testid="merge-done"]').waitForExist({ reverse: true, timeout: 5_000 });
});

test("a pattern run from the CLI appears live in the session's task graph", async () => {
  h.baton("pattern", "run", "tri-agent", "--session", "lanes", "--goal", "add a health endpoint");
  await browser.$('[data-testid="tab-tasks"]').click();
  const graph = browser.$('[data-testid="task-graph"]');
  await graph.waitForDisplayed({ timeout: 15_000 });
  await browser.waitUntil(async () => (await browser.$$('[data-testid="task-node"]').length) === 3, {
    timeout: 15_000,
    timeoutMsg: "the graph never showed the pattern's three tasks",
  });
  const spec = browser.$('[data-testid="task-node"][data-task-name="spec"]');
  assert.equal(await spec.getAttribute("data-state"), "ready");
  assert.equal(await browser.$('[data-task-name="review"]').getAttribute("data-state"), "pending");
  h.baton("complete", "spec", "done");
  await browser.waitUntil(
    async () => (await browser.$('[data-task-name="implement"]').getAttribute("data-state")) === "ready",
    { timeout: 15_000, timeoutMsg: "completing spec never made implement ready in the graph" },
  );
  await h.screenshot("tasks.png");
});
