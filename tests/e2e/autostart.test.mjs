// Start at login from the Settings screen of the real desktop app: ticking the box saves
// `startAtLogin` and the app writes its login entry at once (tauri-plugin-autostart, in
// $HOME/.config/autostart), which starts this same app in the tray; unticking removes it.
// HOME is the test's own, so the user's login entries are never touched.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Harness, bin } from "./harness.mjs";

const h = new Harness();
let browser;
const userHome = path.join(h.tmp, "user-home");
const entry = path.join(userHome, ".config", "autostart", "Baton.desktop");

const $id = (id) => browser.$(`[data-testid="${id}"]`);

before(async () => {
  mkdirSync(userHome, { recursive: true });
  h.env.HOME = userHome;
  browser = await h.start();
});

after(async () => {
  await h.stop();
});

test("the Settings checkbox writes the login entry at once, and removes it", async () => {
  // The first start after a build can take a while: wait for the window's page like the others do.
  await $id("nav-settings").waitForClickable({ timeout: 30_000 });
  await $id("nav-settings").click();
  const box = $id("settings-start-at-login");
  await box.waitForDisplayed({ timeout: 30_000 });
  assert.equal(await box.isSelected(), false);
  assert.equal(existsSync(entry), false);

  await box.click();
  await browser.waitUntil(() => existsSync(entry), { timeout: 15_000, timeoutMsg: `no login entry at ${entry}` });
  const text = readFileSync(entry, "utf8");
  assert.match(text, new RegExp(`^Exec=${bin.desktop.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} --tray$`, "m"));
  assert.deepEqual(JSON.parse(readFileSync(path.join(h.home, "settings.json"), "utf8")), { startAtLogin: true });
  assert.equal(await $id("settings-error-startAtLogin").isExisting(), false);
  await h.screenshot("settings-start-at-login.png");

  await box.click();
  await browser.waitUntil(() => !existsSync(entry), { timeout: 15_000, timeoutMsg: "the login entry stayed" });
  assert.deepEqual(JSON.parse(readFileSync(path.join(h.home, "settings.json"), "utf8")), { startAtLogin: false });
});
