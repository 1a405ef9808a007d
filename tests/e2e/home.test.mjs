// The home view of the real desktop app: sessions made with the CLI appear, a session made in
// the app reaches the CLI (one daemon, one database), and bad input is shown inline.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.mjs";

const h = new Harness();
let browser;

const row = (name) => browser.$(`[data-testid="session-row"][data-session-name="${name}"]`);

before(async () => {
  // Made through the CLI before the app starts: the app must find the daemon this started.
  h.baton("session", "new", "--repo", h.repo("cli-repo"), "--name", "from-cli");
  browser = await h.start();
});

after(async () => {
  await h.stop();
});

test("a session made with the CLI is listed in the app", async () => {
  await row("from-cli").waitForExist({ timeout: 30_000 });
  const text = await row("from-cli").getText();
  assert.match(text, /cli-repo/);
  const status = await browser.$('[data-testid="daemon-status"]').getText();
  assert.match(status, /connected/i);
});

test("a session made in the app opens, is listed, and the CLI sees it", async () => {
  const repo = h.repo("ui-repo");
  await browser.$('[data-testid="new-session-repo"]').setValue(repo);
  await browser.$('[data-testid="new-session-name"]').setValue("from-ui");
  await browser.$('[data-testid="new-session-create"]').click();
  const shown = () => browser.execute(() => document.querySelector('[data-testid="session-name"]')?.textContent ?? null);
  await browser.waitUntil(async () => (await shown()) === "from-ui", {
    timeout: 15_000,
    timeoutMsg: "the new session did not open",
  });
  await browser.$('[data-testid="nav-home"]').click();
  await row("from-ui").waitForExist({ timeout: 15_000 });
  assert.equal(await browser.$$('[data-testid="session-row"]').length, 2);

  const listed = JSON.parse(h.baton("session", "list", "--json"));
  const made = listed.find((s) => s.name === "from-ui");
  assert.ok(made, "the CLI lists the session made in the app");
  assert.equal(made.repo, repo);

  await h.screenshot("home.png");
});

test("a folder that is not a git repository is refused inline", async () => {
  const plain = h.folder("plain-folder");
  const input = browser.$('[data-testid="new-session-repo"]');
  await input.setValue(plain);
  await browser.$('[data-testid="new-session-create"]').click();
  const error = browser.$('[data-testid="new-session-error"]');
  await error.waitForDisplayed({ timeout: 15_000 });
  assert.match(await error.getText(), /not a git repository/);
  assert.equal(await input.getValue(), plain, "the input is kept so it can be corrected");
  assert.equal(await browser.$$('[data-testid="session-row"]').length, 2, "nothing was added");
  await h.screenshot("home-error.png");
});

test("a session made with the CLI while the app runs appears live", async () => {
  h.baton("session", "new", "--repo", h.repo("live-repo"), "--name", "live-from-cli");
  await row("live-from-cli").waitForExist({ timeout: 15_000 });
});

test("when the daemon stops, the app starts it again and carries on", async () => {
  const status = browser.$('[data-testid="daemon-status"]');
  const before = JSON.parse(h.baton("daemon", "status", "--json")).daemon.health.pid;
  h.baton("daemon", "stop");
  await browser.waitUntil(async () => (await status.getAttribute("data-state")) !== "connected", {
    timeout: 15_000,
    timeoutMsg: "the app did not notice the daemon stopped",
  });
  await browser.waitUntil(async () => (await status.getAttribute("data-state")) === "connected", {
    timeout: 45_000,
    timeoutMsg: "the app did not reconnect",
  });
  const after = JSON.parse(h.baton("daemon", "status", "--json"));
  assert.equal(after.running, true);
  assert.notEqual(after.daemon.health.pid, before, "a new daemon runs");
  // The list came back from the new daemon, and live events flow again.
  await row("from-cli").waitForExist({ timeout: 15_000 });
  h.baton("session", "new", "--repo", h.repo("after-restart"), "--name", "after-restart");
  await row("after-restart").waitForExist({ timeout: 15_000 });
});
