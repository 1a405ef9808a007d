// Starts what an end-to-end test needs, for real: a private BATON_HOME, git repositories,
// the `baton` CLI, tauri-driver (which starts WebKitWebDriver and the desktop app) and a
// WebDriver session. Everything started here is stopped by `stop()`, by PID.
import { spawn, execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { remote } from "webdriverio";

export const root = path.resolve(import.meta.dirname, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
// The tests run the debug build; the timing scripts of tests/perf may ask for the release one.
const profile = process.env.BATON_E2E_PROFILE ?? "debug";
export const bin = {
  baton: path.join(targetDir, profile, "baton"),
  desktop: path.join(targetDir, profile, "baton-desktop"),
  fakeModel: path.join(targetDir, profile, "baton-fake-model"),
  claude: path.join(root, "tests", "agent-clis", "node_modules", ".bin", "claude"),
};
export const shotsDir = path.join(targetDir, "e2e");

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function portWait(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port} after ${ms} ms`);
}

/** Desktop app processes running with this BATON_HOME. */
export function appPids(home) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readlinkSync(`/proc/${entry}/exe`).endsWith("/baton-desktop")) continue;
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.includes(`BATON_HOME=${home}`)) pids.push(Number(entry));
    } catch {
      // The process ended, or is not ours to read.
    }
  }
  return pids;
}

export class Harness {
  constructor() {
    this.tmp = mkdtempSync(path.join(os.tmpdir(), "baton-e2e-"));
    this.home = path.join(this.tmp, "home");
    this.env = {
      ...process.env,
      BATON_HOME: this.home,
      BATON_BIN: bin.baton,
      // The app turns WebKit's compositing off on machines without a GPU (to save memory), and
      // with it off WebKitWebDriver stalls on every screenshot after the first. Tests keep it on.
      WEBKIT_DISABLE_COMPOSITING_MODE: "0",
    };
  }

  /** Runs the real CLI; returns stdout, throws with stderr on failure. */
  baton(...args) {
    return execFileSync(bin.baton, args, { env: this.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  /** A new git repository (one commit on main) in the test folder. */
  repo(name) {
    const dir = path.join(this.tmp, name);
    mkdirSync(dir, { recursive: true });
    const git = (...args) => execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
    git("init", "-q", "-b", "main");
    git("-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-q", "--allow-empty", "-m", "init");
    return dir;
  }

  /**
   * Starts the fake model server binary with one scenario (its steps answer the model requests
   * in turn) and points the real Claude Code at it in settings.json; resolves the server's
   * child process and URL. `stop()` ends it. `record`: a file that gets every request the
   * server receives, one JSON line each.
   */
  async fakeClaude(steps, { record = null } = {}) {
    const file = path.join(this.tmp, "scenario.json");
    writeFileSync(file, JSON.stringify({ steps }));
    // Every request is recorded (`modelTurns()` reads them); `record` names the file.
    this.modelRecord = record ?? path.join(this.tmp, "model-requests.jsonl");
    const args = ["--port", "0", "--scenario", file, "--record", this.modelRecord];
    const child = spawn(bin.fakeModel, args, { stdio: ["ignore", "pipe", "inherit"] });
    this.fake = child;
    const url = await new Promise((resolve, reject) => {
      let out = "";
      child.on("error", reject);
      child.stdout.on("data", (chunk) => {
        out += chunk;
        const m = out.match(/listening on (http:\/\/\S+)/);
        if (m) resolve(m[1]);
      });
    });
    const claudeHome = path.join(this.tmp, "claude-home");
    mkdirSync(path.join(claudeHome, "tmp"), { recursive: true });
    const env = {
      HOME: claudeHome,
      TMPDIR: path.join(claudeHome, "tmp"),
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_API_KEY: "e2e-key",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_MAX_RETRIES: "1",
    };
    mkdirSync(this.home, { recursive: true });
    writeFileSync(path.join(this.home, "settings.json"), JSON.stringify({ clis: { claude: { binary: bin.claude, env } } }));
    return { child, url };
  }

  /** How many model turns the fake model server has been asked for (each answered by a step). */
  modelTurns() {
    if (!this.modelRecord || !existsSync(this.modelRecord)) return 0;
    return readFileSync(this.modelRecord, "utf8")
      .split("\n")
      .filter((line) => line && JSON.parse(line).step !== null).length;
  }

  folder(name) {
    const dir = path.join(this.tmp, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async start() {
    const port = await freePort();
    const nativePort = await freePort();
    // The driver's output (and the app's, which inherits it) goes to a file: an inherited pipe
    // held by a straggler would keep the test runner waiting for its end forever.
    mkdirSync(shotsDir, { recursive: true });
    const log = openSync(path.join(shotsDir, "tauri-driver.log"), "a");
    this.driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
      env: this.env,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    this.driver.on("error", (e) => {
      console.error(`cannot start tauri-driver (install it with \`cargo install tauri-driver --locked\`): ${e.message}`);
    });
    await portWait(port, 20_000);
    this.browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "warn",
      connectionRetryTimeout: 60_000,
      capabilities: { "tauri:options": { application: bin.desktop } },
    });
    return this.browser;
  }

  /**
   * Gives the window this inner size, so screenshots are of the size they are named for (window
   * decorations differ between window managers: the window grows by what is missing), then lets
   * the page lay itself out again (two frames: charts and graphs follow their new width).
   */
  async windowSize(width, height) {
    const browser = this.browser;
    await browser.setWindowSize(width, height);
    await browser.waitUntil(
      async () => {
        const [w, hgt] = await browser.execute(() => [window.innerWidth, window.innerHeight]);
        if (w === width && hgt === height) return true;
        const outer = await browser.getWindowSize();
        await browser.setWindowSize(outer.width + width - w, outer.height + height - hgt);
        return false;
      },
      { timeout: 10_000, interval: 300, timeoutMsg: `the window never got an inner size of ${width}x${height}` },
    );
    await browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  }

  /** Shows the app in a theme (`light`, `dark` or `system`) as the Settings screen would set it. */
  async theme(name) {
    await this.browser.execute((t) => {
      const dark = t === "dark" || (t === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
      document.documentElement.dataset.theme = t;
      document.documentElement.dataset.scheme = dark ? "dark" : "light";
    }, name);
  }

  /**
   * Saves a screenshot of the window under target/e2e/. WebKitWebDriver can stall on a
   * screenshot when the machine is busy, so each try is bounded and retried.
   */
  async screenshot(name, { tries = 3, timeoutMs = 20_000 } = {}) {
    mkdirSync(shotsDir, { recursive: true });
    let lastError;
    for (let i = 0; i < tries; i++) {
      try {
        await Promise.race([
          this.browser.saveScreenshot(path.join(shotsDir, name)),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`screenshot took over ${timeoutMs} ms`)), timeoutMs)),
        ]);
        return;
      } catch (e) {
        lastError = e;
      }
    }
    throw new Error(`cannot save the screenshot ${name}: ${lastError?.message}`);
  }

  /**
   * Ends the app and its driver; then, unless `keep` (a later `start()` reopens the app on the
   * same home), stops the daemon and removes the test folder.
   */
  async stop({ keep = false } = {}) {
    try {
      await this.browser?.deleteSession();
    } catch {
      // The app may already be gone; the driver is stopped below either way.
    }
    // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver too.
    if (this.driver && this.driver.exitCode === null) {
      const exited = new Promise((r) => this.driver.once("exit", r));
      this.driver.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    // WebKitWebDriver normally ends the app with the session; end any that outlived it (found
    // by this test's own BATON_HOME, so nothing else is touched).
    for (const pid of appPids(this.home)) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    if (keep) return;
    try {
      this.baton("daemon", "stop", "--force");
    } catch {
      // No daemon was started.
    }
    this.fake?.kill("SIGTERM");
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
