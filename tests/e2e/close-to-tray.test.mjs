// Closing the window as a user does: the window manager's request to close (WM_DELETE_WINDOW,
// sent by wm-close.py; WebDriver's own close destroys the window without asking the app). With
// `closeToTray` on (the default) the window hides and the app stays in the tray, whose Open
// Baton brings it back where it was; turned off in Settings, closing quits the app (the daemon
// and its agents go on). Without a tray host to show the icon, closing quits too: a hidden
// window could not be brought back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Harness, appPids, shotsDir } from "./harness.mjs";
import { Helpers, menuClick, menuFind, menuItems, until } from "./tray-host.mjs";

const h = new Harness();
const helpers = new Helpers(h);
let browser;
let trayer;

const wmClose = path.join(import.meta.dirname, "wm-close.py");

/** Runs wm-close.py (Debian's python3 with python3-xlib, whatever python3 is first on PATH). */
function wm(what) {
  const [pid] = appPids(h.home);
  assert.ok(pid, "the app runs");
  return execFileSync("/usr/bin/python3", [wmClose, what, String(pid)], { env: h.env, encoding: "utf8" });
}

/** Whether the app's window is on the screen. */
function windowShown() {
  return wm("state").split("\n").some((line) => line.endsWith(" viewable"));
}

function screen(name) {
  execFileSync("import", ["-window", "root", path.join(shotsDir, name)], { env: h.env });
}

before(async () => {
  trayer = helpers.trayer();
  h.baton("session", "new", "--repo", h.repo("close-repo"), "--name", "closing");
  browser = await h.start();
  await browser.$('[data-testid="daemon-status"]').waitForExist({ timeout: 30_000 });
});

after(async () => {
  await h.stop();
  helpers.stop();
});

test("closing the window hides it in the tray, and Open Baton brings it back", async () => {
  const menu = await until("the tray's menu on the bus", () => menuFind(h));
  await until("the summary in the menu", () => menuItems(h, menu)[0]?.label.endsWith("today"));
  await browser.execute(() => (window.location.hash = "#/settings"));
  await browser.$('[data-testid="settings-close-to-tray"]').waitForExist({ timeout: 15_000 });
  assert.equal(windowShown(), true);
  const [pid] = appPids(h.home);

  wm("close");
  await until("the window hidden", () => !windowShown(), 10_000);
  screen("close-to-tray-hidden.png");
  // Still running, with its tray.
  assert.deepEqual(appPids(h.home), [pid]);
  const open = menuItems(h, menu).find((i) => i.label === "Open Baton");
  assert.ok(open, "the tray's menu is still there");

  menuClick(h, menu, open.id);
  await until("the window shown again", () => windowShown(), 10_000);
  screen("close-to-tray-shown.png");
  // The same page, where it was.
  assert.equal(await browser.execute(() => window.location.hash), "#/settings");
});

test("with closeToTray off, closing the window quits the app and the daemon goes on", async () => {
  const setting = browser.$('[data-testid="settings-close-to-tray"]');
  await setting.scrollIntoView({ block: "end" });
  await setting.click();
  await browser.$('[data-testid="settings-saved-closeToTray"]').waitForExist({ timeout: 10_000 });
  assert.equal(await setting.isSelected(), false);

  wm("close");
  await until("the app's end", () => appPids(h.home).length === 0, 15_000);
  // The daemon the app started is still there.
  assert.match(h.baton("daemon", "status"), /^running: /);
});

test("without a tray host, closing the window quits even with closeToTray on", async () => {
  await h.stop({ keep: true });
  const file = path.join(h.home, "settings.json");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), closeToTray: true }));
  // The tray host goes: nothing would show the icon to open a hidden window from.
  trayer.kill("SIGTERM");
  await once(trayer, "exit");
  browser = await h.start();
  await browser.$('[data-testid="daemon-status"]').waitForExist({ timeout: 30_000 });
  assert.equal(windowShown(), true);

  wm("close");
  await until("the app's end", () => appPids(h.home).length === 0, 15_000);
  assert.match(h.baton("daemon", "status"), /^running: /);
});
