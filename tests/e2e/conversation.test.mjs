// Agents that talk to each other, and a conversation promoted to coordinate the session, in the
// real desktop app with the real Claude Code against the fake model server: a message from one
// agent to another shows in both lanes, the coordinator carries a badge in the sidebar and its
// lane, and "Make coordinator" in another lane replaces it, saying so.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;

const lane = (name) => browser.$(`[data-testid="agent-lane"][data-agent-name="${name}"]`);
const sidebarAgent = (name) => browser.$(`[data-testid="sidebar-agent"][data-agent-name="${name}"]`);

async function focus(name) {
  const link = sidebarAgent(name);
  await link.waitForClickable({ timeout: 15_000 });
  await link.click();
  await lane(name).waitForDisplayed({ timeout: 15_000 });
  return lane(name);
}

/** Waits until the agent's turns are over (the CLI waits for a message). */
function waiting(name) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const a = JSON.parse(h.baton("status", name, "--json"));
    if (a.state === "waiting" && a.queuedMessages === 0) return a;
    if (Date.now() > deadline) throw new Error(`${name} never waited: ${a.state}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}

before(async () => {
  const repo = h.repo("talk-repo");
  h.baton("session", "new", "--repo", repo, "--name", "talk");
  await h.fakeClaude([
    { text: "I'll lead the work." },
    { text: "I'll help." },
    { text: "Thanks, I'll read api.rs." },
    { text: "I coordinate this session now: I'll plan the tasks and hand them out." },
    { text: "I coordinate this session now, in place of the lead." },
  ]);
  h.baton("agent", "spawn", "--session", "talk", "--cli", "claude", "--name", "lead", "--prompt", "lead the work");
  waiting("lead");
  h.baton("agent", "spawn", "--session", "talk", "--cli", "claude", "--name", "helper", "--prompt", "help");
  waiting("helper");
  h.baton("send", "lead", "--from", "helper", "The API is in api.rs; its tests fail on main.");
  waiting("lead");
  h.baton("agent", "promote", "lead");
  waiting("lead");
  browser = await h.start();
});

after(async () => {
  await h.stop();
});

test("a message from another agent shows in both lanes, and the coordinator carries a badge", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="talk"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await browser.$('[data-testid="session-view"]').waitForDisplayed({ timeout: 15_000 });
  await h.windowSize(1280, 800);

  await focus("lead");
  await sidebarAgent("lead").$('[data-testid="sidebar-coordinator"]').waitForDisplayed({ timeout: 15_000 });
  assert.equal(await sidebarAgent("helper").$('[data-testid="sidebar-coordinator"]').isExisting(), false);
  assert.equal(await lane("lead").$('[data-testid="agent-coordinator"]').getText(), "Coordinator");
  const from = lane("lead").$('[data-testid="message-from"]');
  await from.waitForDisplayed({ timeout: 15_000 });
  assert.match(await from.getText(), /from helper/i);
  assert.match(await from.getText(), /The API is in api\.rs/);
  assert.match(await lane("lead").getText(), /you are now the coordinator of the session talk/);
  await h.screenshot("conversation-coordinator.png");

  await focus("helper");
  const sent = lane("helper").$('[data-testid="message-sent"]');
  await sent.waitForDisplayed({ timeout: 15_000 });
  assert.match(await sent.getText(), /sent to lead/i);
  await h.screenshot("conversation-sent.png");
});

test("Make coordinator in another lane replaces the coordinator, saying so", async () => {
  await focus("helper");
  await lane("helper").$('[data-testid="agent-promote"]').click();
  const note = lane("helper").$('[data-testid="agent-role-note"]');
  await note.waitForDisplayed({ timeout: 15_000 });
  assert.equal(await note.getText(), "helper now coordinates the session, in place of lead.");
  await sidebarAgent("helper").$('[data-testid="sidebar-coordinator"]').waitForDisplayed({ timeout: 15_000 });
  await browser.waitUntil(async () => !(await sidebarAgent("lead").$('[data-testid="sidebar-coordinator"]').isExisting()), {
    timeout: 15_000,
    timeoutMsg: "the old coordinator kept its badge",
  });
  await lane("helper").$('[data-testid="agent-demote"]').waitForDisplayed({ timeout: 15_000 });
  await h.screenshot("conversation-replaced.png");
  const session = JSON.parse(h.baton("session", "show", "talk", "--json"));
  const helper = JSON.parse(h.baton("status", "helper", "--json"));
  assert.equal(session.coordinatorAgent, helper.id);
});
