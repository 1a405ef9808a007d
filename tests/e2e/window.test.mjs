// The desktop shell's window: its size comes back at the next start (tauri-plugin-window-state),
// and a second launch over the same Baton home does not open a second window: it hands over to
// the running one and exits (tauri-plugin-single-instance).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Harness, appPids, bin } from "./harness.mjs";

const h = new Harness();

async function waitFor(probe, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

after(async () => {
  await h.stop();
});

test("the window's size is remembered across starts", async () => {
  // Closing the window ends the app here (by default it stays in the tray: tray.test.mjs).
  mkdirSync(h.home, { recursive: true });
  writeFileSync(path.join(h.home, "settings.json"), JSON.stringify({ closeToTray: false }));
  let browser = await h.start();
  await browser.$('[data-testid="daemon-status"]').waitForExist({ timeout: 30_000 });
  await browser.setWindowSize(1024, 640);
  // Saved in the Baton home soon after the change, not only when the app exits normally.
  const saved = path.join(h.home, "window-state.json");
  await waitFor(
    () => existsSync(saved) && JSON.parse(readFileSync(saved, "utf8")).main?.width === 1024,
    "the window's new size was not saved in the Baton home",
  );
  await browser.closeWindow().catch(() => {});
  await waitFor(() => appPids(h.home).length === 0, "the app did not exit when its window closed");
  await h.stop({ keep: true });

  browser = await h.start();
  await browser.$('[data-testid="daemon-status"]').waitForExist({ timeout: 30_000 });
  const size = await browser.getWindowSize();
  assert.equal(size.width, 1024, `restored: ${JSON.stringify(size)}`);
  assert.equal(size.height, 640, `restored: ${JSON.stringify(size)}`);
});

test("a second launch over the same home exits, leaving the one window", async () => {
  const second = spawn(bin.desktop, [], { env: h.env, stdio: "ignore" });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      second.kill("SIGTERM");
      reject(new Error("the second launch kept running: it opened a window of its own"));
    }, 20_000);
    second.once("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 0);
  // The first is still there and answers.
  const status = await h.browser.$('[data-testid="daemon-status"]').getAttribute("data-state");
  assert.ok(status, "the first window still runs");
});
