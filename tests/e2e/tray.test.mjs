// The tray of the real desktop app, in a tray host (Debian's trayer: the appindicator library
// falls back to an XEmbed icon when no StatusNotifierItem watcher runs, and exports its menu
// over D-Bus either way) with a notification service (dunst) on the test's private D-Bus
// session. The icon is there and green, turns amber when an agent asks for a tool and red when a
// task fails (screenshots of the screen); its menu, read over D-Bus (com.canonical.dbusmenu),
// lists the agent and opens the app at it; Pause all shows the paused state; a notification went
// out (seen with dbus-monitor; clicked with dunstctl, it opens the agent too), once: the daemon leaves it to the running app, and sends its own
// once the app is closed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Harness, appPids, root, shotsDir } from "./harness.mjs";
import { Helpers, menuClick as click, menuFind, menuItems as items, until } from "./tray-host.mjs";

const h = new Harness();
const helpers = new Helpers(h);
let browser;
let notifications = "";

const COLOURS = { well: [0x2e, 0xa0, 0x43], needsYou: [0xe3, 0xa0, 0x08], failed: [0xe5, 0x48, 0x4d] };

/** Takes a screenshot of the whole screen and counts, in its top right corner (where trayer
 * docks), the pixels of each state's colour. */
function trayColours(name) {
  const file = path.join(shotsDir, name);
  execFileSync("import", ["-window", "root", file], { env: h.env });
  const text = execFileSync("convert", [file, "-gravity", "NorthEast", "-crop", "160x40+0+0", "-depth", "8", "txt:-"], {
    encoding: "utf8",
    maxBuffer: 16 << 20,
  });
  const counts = { well: 0, needsYou: 0, failed: 0 };
  for (const m of text.matchAll(/\((\d+),(\d+),(\d+)/g)) {
    const px = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (const [state, c] of Object.entries(COLOURS)) {
      if (Math.hypot(px[0] - c[0], px[1] - c[1], px[2] - c[2]) < 40) counts[state]++;
    }
  }
  return counts;
}

/** Waits until the tray's dot is in `state`'s colour, saving the screenshot as `name`. */
async function trayColourWait(state, name) {
  let last;
  await until(`a ${state} tray icon (pixels by colour: ${JSON.stringify(last)})`, () => {
    last = trayColours(name);
    const others = Object.entries(last).filter(([s]) => s !== state);
    return last[state] > 40 && others.every(([, n]) => n < 10);
  });
}

before(async () => {
  // The scripted Claude of the engine's tests: "DENY" asks for a tool that is denied.
  mkdirSync(h.home, { recursive: true });
  writeFileSync(
    path.join(h.home, "settings.json"),
    JSON.stringify({
      clis: { claude: { binary: path.join(root, "tests", "fixtures", "fake-claude"), env: { FAKE_DIR: h.tmp } } },
      // The daemon notifies too, but only while the app is not running.
      notifications: { whenAppClosed: true },
    }),
  );
  helpers.trayer();
  helpers.start("dunst", []);
  const monitor = helpers.start("dbus-monitor", ["--session", "interface='org.freedesktop.Notifications',member='Notify'"]);
  monitor.stdout.on("data", (chunk) => (notifications += chunk));
  h.baton("session", "new", "--repo", h.repo("tray-repo"), "--name", "tray");
  browser = await h.start();
  await browser.$('[data-testid="daemon-status"]').waitForExist({ timeout: 30_000 });
});

after(async () => {
  await h.stop();
  helpers.stop();
});

let menu;
const menuItems = (m) => items(h, m);
const menuClick = (m, id) => click(h, m, id);

test("the tray icon is there, green, and its menu says all is well", async () => {
  menu = await until("the tray's menu on the bus", () => menuFind(h));
  await until("the summary in the menu", () => menuItems(menu)[0]?.label === "0 working, $0.00 today");
  const labels = menuItems(menu).filter((i) => !i.separator).map((i) => i.label);
  assert.deepEqual(labels, ["0 working, $0.00 today", "Open Baton", "Pause all", "Resume all", "Quit (agents keep running in the daemon)"]);
  await trayColourWait("well", "tray-well.png");
});

test("the settings of notifications and of the tray", async () => {
  await browser.execute(() => (window.location.hash = "#/settings"));
  const closeToTray = browser.$('[data-testid="settings-close-to-tray"]');
  await closeToTray.waitForExist({ timeout: 15_000 });
  await closeToTray.scrollIntoView({ block: "end" });
  assert.equal(await closeToTray.isSelected(), true, "on by default");
  assert.equal(await browser.$('[data-testid="settings-notify-whenAppClosed"]').isSelected(), true, "as the test set it");
  assert.equal(await browser.$('[data-testid="settings-notify-needsInput"]').isSelected(), true);
  await h.screenshot("tray-settings.png");
  await browser.execute(() => (window.location.hash = "#/"));
});

test("an agent that asks for a tool turns the icon amber, is listed, notified, and opened from the menu", async () => {
  const agent = JSON.parse(
    h.baton("agent", "spawn", "--session", "tray", "--cli", "claude", "--name", "asker", "--prompt", "DENY: run the tests", "--json"),
  );
  const entry = await until("the agent in the menu", () => menuItems(menu).find((i) => i.label === "● tray: asker asks to use Bash"));
  assert.match(menuItems(menu)[0].label, /^0 working, 1 needs you, <\$0\.01 today$/);
  await trayColourWait("needsYou", "tray-needs-you.png");
  await until("a notification on the bus", () => notifications.includes('string "asker needs you"'));
  assert.match(notifications, /string "It asks to use Bash"/);
  // Past the daemon's coalescing time: it left this one to the running app.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(notifications.split('string "asker needs you"').length - 1, 1, "notified once, by the app");

  const route = `#/session/${agent.sessionId}/agent/${agent.id}`;
  const at = async () => browser.execute(() => window.location.hash);
  // Clicking the notification (dunst's default action) opens the app at the agent...
  execFileSync("dunstctl", ["action", "0"], { env: h.env });
  await until("the app at the agent, from the notification", async () => (await at()) === route);
  // ...and so does its entry in the menu.
  await browser.execute(() => (window.location.hash = "#/"));
  await until("the app back home", async () => (await at()) === "#/");
  menuClick(menu, entry.id);
  await until("the app at the agent, from the menu", async () => (await at()) === route);
});

test("a failed task turns the icon red, listed first", async () => {
  h.baton("task", "add", "--session", "tray", "--title", "Risky", "--name", "risky", "--prompt", "do it");
  h.baton("complete", "risky", "failed", "--note", "it broke");
  await until("the failed task first in the menu", () => menuItems(menu)[3]?.label === "✗ tray: Task risky failed");
  await trayColourWait("failed", "tray-failed.png");
});

test("pause all from the menu shows the paused state, resume all ends it", async () => {
  const pause = menuItems(menu).find((i) => i.label === "Pause all");
  menuClick(menu, pause.id);
  const resume = await until("the paused state", () => menuItems(menu).find((i) => i.label === "Resume all (everything is paused)" && i.enabled));
  assert.match(menuItems(menu)[0].label, /^Paused: /);
  assert.equal(menuItems(menu).find((i) => i.label === "Pause all").enabled, false);
  menuClick(menu, resume.id);
  await until("the end of the pause", () => menuItems(menu).find((i) => i.label === "Pause all")?.enabled);
});

test("with the app closed, the daemon notifies by itself", async () => {
  await h.stop({ keep: true });
  assert.equal(appPids(h.home).length, 0);
  h.baton("agent", "spawn", "--session", "tray", "--cli", "claude", "--name", "later", "--prompt", "DENY: run the tests");
  // Alone, or in a burst with what the app had not told yet when it closed.
  await until("the daemon's notification on the bus", () => /string "(Baton: \d updates|later needs you)/.test(notifications));
  assert.match(notifications, /later needs you"/);
});
