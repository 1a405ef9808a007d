// Times the desktop app as its user feels it, through WebDriver under Xvfb like the end-to-end
// tests: the window interactive (Home's list of 50 sessions on screen, warm: the app launched
// again on the same home), and switching the focused agent to one with 100,000 events in its
// history. Prints a table for docs/perf.md.
//
//   cargo build --release -p baton-cli -p baton-desktop -p baton-fake-model
//   xvfb-run -a --server-args="-screen 0 1600x1000x24" dbus-run-session -- \
//     env BATON_E2E_PROFILE=release node tests/perf/desktop-timing.mjs [LAUNCHES] [SWITCHES]
//
// The 100,000 events are assistant messages appended to the log of an agent made by the
// stand-in Claude (tests/fixtures/fake-claude) while the daemon is stopped: the daemon indexes
// them at its next start, as after a crash.
import { execFileSync } from "node:child_process";
import { appendFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { bin, Harness, root } from "../e2e/harness.mjs";

const launches = Number(process.argv[2] ?? 6);
const switches = Number(process.argv[3] ?? 6);
const EVENTS = 100_000;

const h = new Harness();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

async function until(what, probe, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function seed() {
  h.folder("home");
  const settings = { clis: { claude: { binary: path.join(root, "tests/fixtures/fake-claude") } } };
  appendFileSync(path.join(h.home, "settings.json"), JSON.stringify(settings));
  for (let i = 0; i < 50; i++) h.baton("session", "new", "--repo", h.repo(`repo-${i}`), "--name", `session-${i}`);
  for (const name of ["big", "small"]) {
    h.baton("agent", "spawn", "--session", "session-0", "--cli", "claude", "--name", name, "--prompt", "hello");
  }
  // Both answer their first message, then wait for the next.
  const waiting = () => JSON.parse(h.baton("list", "--session", "session-0", "--json")).filter((a) => a.state === "waiting");
  return until("the agents' first turns", () => waiting().length === 2).then(() => {
    h.baton("daemon", "stop", "--force");
    const big = JSON.parse(h.baton("list", "--session", "session-0", "--json")).find((a) => a.name === "big");
    const log = readdirSync(path.join(h.home, "logs")).find((f) => f.startsWith(big.id));
    const ts = Date.now();
    const lines = [];
    for (let i = 0; i < EVENTS; i++) {
      const text = `Step ${i}: read \`src/mod_${i % 97}.rs\` and changed **${i % 13}** lines.`;
      const line = JSON.stringify({ type: "assistant", message: { role: "assistant", content: [{ type: "text", text }] } });
      lines.push(JSON.stringify({ ts: ts + i, stream: "stdout", line }));
    }
    appendFileSync(path.join(h.home, "logs", log), lines.join("\n") + "\n");
    h.baton("agent", "interrupted", "--dismiss");
    return big;
  });
}

const big = await seed();
const history = execFileSync(bin.baton, ["logs", "big", "--json"], { env: h.env, encoding: "utf8", maxBuffer: 1 << 30 });
const counted = history.split("\n").filter(Boolean).length;
console.log(`agent big: ${counted} events in its history`);

// Window interactive: launch → Home's first list painted (the app marks it on the timeline).
const fromNavigation = [];
const fromLaunch = [];
for (let i = 0; i < launches; i++) {
  const t0 = Date.now();
  const browser = await h.start();
  const mark = await until("Home painted", () =>
    browser.execute(() => {
      const m = performance.getEntriesByName("baton:home-painted")[0];
      return m ? { at: m.startTime, origin: performance.timeOrigin, rows: document.querySelectorAll('[data-testid="session-row"]').length } : null;
    }),
  );
  if (mark.rows !== 50) throw new Error(`Home showed ${mark.rows} sessions, not 50`);
  // The first launch warms the caches; it is not counted.
  if (i > 0) {
    fromNavigation.push(mark.at);
    fromLaunch.push(mark.origin + mark.at - t0);
  }
  if (i < launches - 1) await h.stop({ keep: true });
}

// Switching the focused agent: a click in the sidebar → the agent's last events on screen.
const browser = h.browser;
await browser.setWindowSize(1440, 900);
// The session opens on its overview; its agents are then listed under it in the sidebar.
await browser.$('[data-testid="sidebar-session"][data-session-name="session-0"] [data-testid="sidebar-session-link"]').click();
await browser.$('[data-testid="sidebar-agent"][data-agent-name="small"]').waitForClickable({ timeout: 30_000 });
const switchTimes = [];
for (let i = 0; i < switches; i++) {
  for (const name of ["small", "big"]) {
    const ms = await browser.executeAsync((name, done) => {
      const t0 = performance.now();
      document.querySelector(`[data-testid="sidebar-agent"][data-agent-name="${name}"]`).click();
      const check = () => {
        const lane = document.querySelector(`[data-testid="agent-lane"][data-agent-name="${name}"]`);
        const rows = lane?.querySelectorAll('[data-testid="event-row"]').length ?? 0;
        const last = name === "big" ? lane?.textContent.includes("Step 99999") : rows > 0;
        if (rows > 0 && last) done(performance.now() - t0);
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    }, name);
    if (name === "big") switchTimes.push(ms);
  }
}
await h.stop();

console.log("| what | time |");
console.log("|---|---|");
console.log(`| navigation → Home's list of 50 sessions painted (warm) | ${fmt(fromNavigation)} |`);
console.log(`| WebDriver's launch → the same (warm; includes WebKitWebDriver starting the app) | ${fmt(fromLaunch)} |`);
console.log(`| click on an agent with ${EVENTS.toLocaleString("en")} events → its last events on screen, the first time | ${switchTimes[0].toFixed(0)} ms |`);
console.log(`| the same, back to it after another agent | ${fmt(switchTimes.slice(1))} |`);
