// The Settings screen of the real desktop app: a first spawn with no Claude on PATH leads to it,
// the CLI's program and environment set there are what the `baton` CLI and a spawn then use
// (the real Claude Code against the fake model server), and a setting made with the CLI shows
// in the app. Screenshots of the screen at 1024x640 and 1440x900, light and dark.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { Harness, bin } from "./harness.mjs";

const h = new Harness();
let browser;
/** The environment Claude Code needs to talk to the fake model server. */
let claudeEnv;

const $id = (id) => browser.$(`[data-testid="${id}"]`);
const settingsFile = () => JSON.parse(readFileSync(path.join(h.home, "settings.json"), "utf8"));

/** Types into a field and leaves it, which saves it. */
async function enter(id, value) {
  const field = $id(id);
  await field.waitForDisplayed({ timeout: 15_000 });
  await field.clearValue();
  await field.setValue(value);
  await browser.keys("Tab");
}

before(async () => {
  h.baton("session", "new", "--repo", h.repo("cfg-repo"), "--name", "cfg");
  await h.fakeClaude([{ text: "Hello from the configured Claude." }]);
  // The harness points settings.json at Claude; a new user has no such file, and no Claude on PATH.
  claudeEnv = JSON.parse(readFileSync(path.join(h.home, "settings.json"), "utf8")).clis.claude.env;
  rmSync(path.join(h.home, "settings.json"));
  browser = await h.start();
  await browser.setWindowSize(1024, 640);
});

after(async () => {
  await h.stop();
});

test("a spawn that finds no Claude links to the Settings screen", async () => {
  const open = browser.$('[data-testid="session-row"][data-session-name="cfg"] [data-testid="session-open"]');
  await open.waitForClickable({ timeout: 30_000 });
  await open.click();
  await $id("new-agent").click();
  await $id("agent-cli").selectByAttribute("value", "claude");
  await $id("agent-prompt").setValue("say hello");
  await $id("agent-spawn").click();
  const error = $id("agent-error");
  await error.waitForDisplayed({ timeout: 15_000 });
  assert.match(await error.getText(), /claude CLI is not on PATH/);
  await h.screenshot("settings-spawn-error.png");
  await $id("agent-error-settings").click();
  await $id("settings-view").waitForDisplayed({ timeout: 15_000 });
  assert.equal(await browser.execute(() => window.location.hash), "#/settings");
  // The detection says the same, with what to do.
  const detected = $id("settings-claude-detected");
  await browser.waitUntil(async () => /not on PATH/.test(await detected.getText()), { timeout: 15_000 });
  assert.match(await detected.getText(), /npm install -g @anthropic-ai\/claude-code/);
});

test("the program, environment and arguments set in the app are what the CLI and a spawn use", async () => {
  await enter("settings-claude-binary", bin.claude);
  const version = $id("settings-claude-version");
  await version.waitForDisplayed({ timeout: 30_000 });
  assert.match(await version.getText(), /Claude Code/);
  assert.match(await $id("settings-claude-detected").getText(), new RegExp(bin.claude.replaceAll("/", "\\/")));

  const lines = Object.entries(claudeEnv).map(([k, v]) => `${k}=${v}`);
  // Enter between lines, as a user types them (a "\n" in a WebDriver value is not a key).
  await enter("settings-claude-env", lines.join("\uE007"));
  await $id("settings-saved-claude.env").waitForExist({ timeout: 15_000 });
  await enter("settings-codex-args", "--search -c 'model=\"o3\"'");
  await $id("settings-saved-codex.args").waitForExist({ timeout: 15_000 });

  // The file the CLI reads holds exactly that, and the CLI shows it.
  assert.deepEqual(settingsFile().clis, {
    claude: { binary: bin.claude, env: claudeEnv },
    codex: { args: ["--search", "-c", 'model="o3"'] },
  });
  const shown = JSON.parse(h.baton("settings", "--json"));
  assert.equal(shown.settings.clis.claude.binary, bin.claude);
  assert.deepEqual(shown.settings.clis.codex.args, ["--search", "-c", 'model="o3"']);
  const detect = h.baton("settings", "detect");
  assert.match(detect, new RegExp(`claude\\s+${bin.claude.replaceAll("/", "\\/")}`));

  // A spawn with the CLI now runs that Claude with that environment, without restarting anything.
  h.baton("agent", "spawn", "--session", "cfg", "--cli", "claude", "--name", "configured", "--prompt", "say hello");
  h.baton("wait", "configured", "--timeout", "90");
  assert.match(h.baton("logs", "configured"), /Hello from the configured Claude\./);
});

test("a refusal shows beside its field; a setting made with the CLI shows in the app", async () => {
  await enter("settings-retention", "-1");
  const error = $id("settings-error-worktrees.retentionDays");
  await error.waitForDisplayed({ timeout: 15_000 });
  assert.match(await error.getText(), /must be a number, 0 or more/);
  assert.equal(settingsFile().worktrees, undefined, "nothing was written");
  await enter("settings-retention", "3");
  await browser.waitUntil(async () => settingsFile().worktrees?.retentionDays === 3, { timeout: 15_000 });

  h.baton("settings", "set", "worktrees.archivedRetentionDays", "0.5");
  await $id("settings-back").click();
  await $id("nav-settings").click();
  const archived = $id("settings-archived-retention");
  await archived.waitForDisplayed({ timeout: 15_000 });
  assert.equal(await archived.getValue(), "0.5");
});

test("screenshots of the screen, light and dark, the theme applied at once", async () => {
  const theme = () => browser.execute(() => document.documentElement.dataset.theme);
  await $id("settings-claude-version").waitForDisplayed({ timeout: 30_000 });
  for (const [mode, sizes] of [["light", [[1024, 640], [1440, 900]]], ["dark", [[1024, 640], [1440, 900]]]]) {
    await $id(`settings-theme-${mode}`).click();
    await browser.waitUntil(async () => (await theme()) === mode, { timeout: 5_000 });
    await browser.waitUntil(async () => settingsFile().theme === mode, { timeout: 15_000 });
    for (const [w, hgt] of sizes) {
      await browser.setWindowSize(w, hgt);
      await browser.execute(() => {
        document.activeElement?.blur();
        document.scrollingElement.scrollTop = 0;
      });
      await h.screenshot(`settings-${mode}-${w}x${hgt}.png`);
      await browser.execute(() => {
        document.querySelector('[data-testid="settings-notifications"]').scrollIntoView({ block: "end" });
      });
      await h.screenshot(`settings-${mode}-${w}x${hgt}-end.png`);
    }
  }
  // The saved theme applies when the window starts.
  await browser.refresh();
  await browser.waitUntil(async () => (await theme()) === "dark", { timeout: 30_000 });
  assert.equal(JSON.parse(h.baton("settings", "--json")).settings.theme, "dark");
});
