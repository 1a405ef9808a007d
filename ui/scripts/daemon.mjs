// A real `baton daemon` in a temporary home, and data put into it through its HTTP API: what
// the UI tests (`src/test/daemon.ts`) and the demo (`demo.mjs`) run on. Plain JavaScript so
// that Node runs it as it is; its types are in `daemon.d.mts`.
//
// The binary is `$BATON_BIN`, else `debug/baton` in `$CARGO_TARGET_DIR` or `<repo>/target` (`make build` makes it).
// Everything lives under one temporary folder (the home, repositories, the stand-in Claude's
// files), removed when the daemon stops. Only the process started here is ever signalled.

import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// From the module's path as a string: in the tests' browser-like environment `URL` is not Node's.
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The stand-in for Claude Code the Rust tests use (markers CRASH, FAIL, SLOW, HOLD, "JSON only"). */
export const FAKE_CLAUDE = join(REPO_ROOT, "tests/fixtures/fake-claude");

export function batonBin() {
  // Where cargo put it: its target dir may be elsewhere (CARGO_TARGET_DIR), as for the e2e tests.
  return process.env.BATON_BIN || join(process.env.CARGO_TARGET_DIR || join(REPO_ROOT, "target"), "debug/baton");
}

/** The daemon's `{code, message}` refusal. */
export class DaemonApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = "DaemonApiError";
    this.code = code;
    this.status = status;
  }
}

/** The daemon's HTTP API, one JSON request at a time (for seeding; views use `HttpBackend`). */
export class DaemonApi {
  constructor(url, token) {
    this.url = url;
    this.token = token;
  }

  async request(method, path, body) {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text === "" ? null : JSON.parse(text);
    if (!response.ok) {
      throw new DaemonApiError(json?.code ?? "internal", json?.message ?? `HTTP ${response.status}`, response.status);
    }
    return json;
  }
}

/**
 * Calls `probe` until it returns something other than `undefined`/`false`, at most `timeoutMs`;
 * then fails saying `what` never happened (and what `describe` says about the state then).
 */
export async function until(probe, { timeoutMs = 15_000, intervalMs = 25, what = "the condition held", describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const state = describe ? `; ${await describe()}` : "";
      throw new Error(`waited ${timeoutMs} ms, but never ${what}${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** How long the daemon gets to stop its agents and exit before it is killed. */
const STOP_WAIT_MS = 20_000;

export class Daemon {
  constructor({ child, root, home, fakeDir, info, exited, onExit, bin, env }) {
    this.root = root;
    this.home = home;
    this.fakeDir = fakeDir;
    this.bin = bin;
    // Added to the daemon's environment, again at a restart.
    this.env = env;
    this.repos = 0;
    this.attach({ child, info, exited, onExit });
  }

  /** The running process: its pid, address, token and client. */
  attach({ child, info, exited, onExit }) {
    this.child = child;
    this.pid = child.pid;
    this.port = info.port;
    this.token = info.token;
    this.url = `http://127.0.0.1:${info.port}`;
    this.api = new DaemonApi(this.url, this.token);
    this.exited = exited;
    this.onExit = onExit;
  }

  /**
   * Stops the daemon as `baton daemon stop --force` does (agents at work are interrupted) and
   * starts a new one on the same home: a new pid, port and token.
   */
  async restart() {
    await this.api.request("POST", "/api/daemon/stop?force=true").catch(() => this.child.kill("SIGTERM"));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_WAIT_MS);
    await this.exited;
    clearTimeout(timer);
    process.off("exit", this.onExit);
    this.attach(await daemonLaunch(this.bin, this.home, this.env));
  }

  /** The page address that opens the UI on this daemon (the url and the hex token need no escaping). */
  pageUrl(base = "http://localhost:1420/") {
    return `${base}?daemon=${this.url}&token=${this.token}`;
  }

  /** A new git repository under the temporary folder (branch main, one commit of `files`). */
  repoMake(name = `repo${++this.repos}`, files = { "README.md": "# A repository made for a test\n" }) {
    return repoMake(join(this.root, "repos", name), files);
  }

  /** Lines the stand-in Claude answers "JSON only" prompts with, one per answer, in order. */
  verdictsWrite(verdicts) {
    // The stand-in prints each line inside a JSON string as it is: escape it once.
    const lines = verdicts.map((v) => JSON.stringify(typeof v === "string" ? v : JSON.stringify(v)).slice(1, -1));
    writeFileSync(join(this.fakeDir, "verdicts"), lines.map((l) => `${l}\n`).join(""));
  }

  /** Lets the stand-in Claude's HOLD turns finish. */
  release() {
    writeFileSync(join(this.fakeDir, "release"), "");
  }

  /** Asks the daemon to stop, waits for it (SIGKILL to its pid past the wait), removes the folder. */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.api.request("POST", "/api/daemon/stop?force=true").catch(() => this.child.kill("SIGTERM"));
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_WAIT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    process.off("exit", this.onExit);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Starts `baton daemon --foreground` in a new temporary home. `fakeClaude`: the `claude` CLI is
 * the stand-in, with its files in `daemon.fakeDir`. `settings` go to settings.json as they are;
 * `env` is added to the daemon's environment (a PATH with programs of the test's making).
 */
export async function daemonStart({ fakeClaude = false, settings = {}, env = {}, bin = batonBin() } = {}) {
  if (!existsSync(bin)) {
    throw new Error(`There is no baton binary at ${bin}: run \`make build\` first, or set BATON_BIN.`);
  }
  const root = mkdtempSync(join(tmpdir(), "baton-ui-"));
  const home = join(root, "home");
  const fakeDir = join(root, "fake");
  mkdirSync(home);
  mkdirSync(fakeDir);
  const all = { ...settings };
  if (fakeClaude) {
    const env = { FAKE_DIR: fakeDir, FAKE_VERDICTS: join(fakeDir, "verdicts") };
    all.clis = { ...all.clis, claude: { binary: FAKE_CLAUDE, env } };
    // Unconfined: the stand-in talks with the test through files under the /tmp a sandbox hides.
    all.agents = { sandbox: "off", ...all.agents };
    writeFileSync(env.FAKE_VERDICTS, "");
  }
  if (Object.keys(all).length > 0) writeFileSync(join(home, "settings.json"), JSON.stringify(all, null, 2));

  let launched;
  try {
    launched = await daemonLaunch(bin, home, env);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return new Daemon({ ...launched, root, home, fakeDir, bin, env });
}

/** Runs `baton daemon --foreground` on `home` until it has written its daemon file. */
async function daemonLaunch(bin, home, env) {
  const child = spawn(bin, ["daemon", "--foreground"], {
    env: { ...process.env, ...env, BATON_HOME: home },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Should the test runner exit without stopping it, the daemon goes too.
  const onExit = () => child.kill("SIGTERM");
  process.on("exit", onExit);

  const file = join(home, "daemon.json");
  try {
    const info = await until(
      () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`baton daemon exited at once (${child.exitCode ?? child.signalCode}): ${stderr}`);
        }
        if (!existsSync(file)) return undefined;
        try {
          const read = JSON.parse(readFileSync(file, "utf8"));
          return read.pid === child.pid ? read : undefined;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 10_000, intervalMs: 5, what: `baton daemon wrote ${file}`, describe: () => stderr },
    );
    return { child, info, exited, onExit };
  } catch (err) {
    child.kill("SIGKILL");
    process.off("exit", onExit);
    throw err;
  }
}

function git(cwd, ...args) {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** A git repository at `dir` on branch main with one commit of `files` (path → content). */
export function repoMake(dir, files = { "README.md": "# A repository\n" }) {
  mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  // The identity, set locally (written at once: one git process fewer per setting).
  appendFileSync(join(dir, ".git", "config"), "[user]\n\tname = Baton Test\n\temail = test@baton.invalid\n[commit]\n\tgpgsign = false\n");
  filesWrite(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "Initial commit");
  return dir;
}

function filesWrite(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) {
      rmSync(full, { force: true });
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
}

/** Writes `files` (null: delete) in `dir`, commits them on the current branch; the commit id. */
export function repoCommit(dir, files, message = "Change") {
  filesWrite(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "--allow-empty", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** Runs git in `dir` (for what a test does to a repository or a worktree by hand). */
export function repoGit(dir, ...args) {
  return git(dir, ...args);
}

// ---------------------------------------------------------------------------------------------
// Seeding through the API

export function sessionMake(api, repo, name, settings) {
  return api.request("POST", "/api/sessions", { repo, name, parent: null }).then(async (session) => {
    if (!settings) return session;
    return api.request("PATCH", `/api/sessions/${session.id}`, { ...SESSION_UNCHANGED, ...settings });
  });
}

/** A session update that changes nothing (its fields are merged over it). */
export const SESSION_UNCHANGED = {
  name: null,
  archived: null,
  branchPattern: null,
  setupCommand: null,
  maxAgents: null,
  defaultCli: null,
  autoMerge: null,
  cycleSecs: null,
  stallSecs: null,
};

/** A `command` agent running `program` (argv) in its own worktree, shown as a terminal. */
export function commandSpawn(api, session, program, name = null) {
  return api.request("POST", "/api/agents", {
    session,
    cli: "command",
    prompt: "",
    name,
    model: null,
    allowTools: [],
    program,
    cwd: null,
  });
}

/** An agent of the `claude` CLI (the stand-in, when the daemon was started with `fakeClaude`). */
export function claudeSpawn(api, session, prompt, name = null, allowTools = []) {
  return api.request("POST", "/api/agents", {
    session,
    cli: "claude",
    prompt,
    name,
    model: null,
    allowTools,
    program: [],
    cwd: null,
  });
}

/** Adds a task; `fields` are merged over a task with no dependencies. */
export function taskAdd(api, session, fields) {
  return api.request("POST", "/api/tasks", {
    session,
    name: null,
    role: null,
    cli: null,
    model: null,
    after: [],
    ifSucceeded: [],
    ifFailed: [],
    reviews: null,
    maxRounds: null,
    ...fields,
  });
}

/** The agent once `test(agent)` holds. */
export function agentUntil(api, id, test, what = "the agent reached the state asked for") {
  let last;
  return until(
    async () => {
      last = await api.request("GET", `/api/agents/${id}`);
      return test(last) ? last : undefined;
    },
    { what, describe: () => `agent ${last?.name}: ${last?.state}` },
  );
}

/** The session's tasks once `test(tasks)` holds. */
export function tasksUntil(api, session, test, what = "the tasks reached the states asked for") {
  let last = [];
  return until(
    async () => {
      last = await api.request("GET", `/api/tasks?session=${encodeURIComponent(session)}`);
      return test(last) ? last : undefined;
    },
    { what, timeoutMs: 30_000, describe: () => last.map((t) => `${t.name}=${t.state}`).join(" ") },
  );
}

/** A task's state by name, from a list. */
export function taskState(tasks, name) {
  return tasks.find((t) => t.name === name)?.state;
}

/**
 * Runs the tri-agent pattern for `goal` in `session` on the stand-in Claude, whose reviewer
 * requests changes once and then approves, and waits until the coordinator is complete.
 */
export async function triAgentRun(daemon, session, goal) {
  const api = daemon.api;
  daemon.verdictsWrite([
    {
      verdict: "request_changes",
      findings: [{ file: "work-1.txt", line: 1, severity: "error", message: "Say what the turn did." }],
    },
    { verdict: "approve", findings: [] },
  ]);
  await api.request("PATCH", `/api/sessions/${encodeURIComponent(session)}`, { ...SESSION_UNCHANGED, cycleSecs: 1 });
  await api.request("POST", "/api/patterns/tri-agent/run", { session, goal });
  await api.request("POST", `/api/sessions/${encodeURIComponent(session)}/run`);
  return until(
    async () => {
      const s = await api.request("GET", `/api/sessions/${encodeURIComponent(session)}`);
      return s.coordinator === "complete" ? s : undefined;
    },
    { what: "the tri-agent run completed", timeoutMs: 60_000 },
  );
}

/** A best-of-3 pattern on the stand-in Claude: the check fails for impl-2, the judge picks impl-3. */
export const BEST_OF_THREE = `name = "best-of-three"
description = "Three implementers; the check weeds out failures; a judge picks"

[roles.judge]
prompt = "You judge."

[[tasks]]
name = "impl"
title = "Build: {goal}"
prompt = "Build {goal}"
count = 3

[[tasks]]
name = "pick"
title = "Pick the best: {goal}"
after = ["impl"]
prompt = "Pick the best build of {goal}"
select = { command = "[ \\"$BATON_CANDIDATE\\" != impl-2 ] || { echo 'greeting test broke'; exit 1; }", judge = "judge" }
`;

/**
 * Runs {@link BEST_OF_THREE} in `session` (written to the daemon's templates) and waits until its
 * selection is done: impl-2 fails its check, the judge picks impl-3 with scores and reasons.
 */
export async function bestOfRun(daemon, session, goal = "a greeting") {
  const api = daemon.api;
  mkdirSync(join(daemon.home, "templates"), { recursive: true });
  writeFileSync(join(daemon.home, "templates", "best-of-three.toml"), BEST_OF_THREE);
  daemon.verdictsWrite([{ winner: "impl-3", scores: { "impl-1": 6, "impl-3": 9 }, reasons: "impl-3 names its test" }]);
  await api.request("PATCH", `/api/sessions/${encodeURIComponent(session)}`, { ...SESSION_UNCHANGED, cycleSecs: 1 });
  await api.request("POST", "/api/patterns/best-of-three/run", { session, goal });
  await api.request("POST", `/api/sessions/${encodeURIComponent(session)}/run`);
  return until(
    async () => {
      const t = await api.request("GET", "/api/tasks/pick");
      return t.state === "done" || t.state === "blocked" ? t : undefined;
    },
    { what: "the best-of-three selection ended", timeoutMs: 60_000 },
  );
}

const DEMO_FILES = {
  "README.md": "# shop\n\nA small shop: a payment client with retries, and its tests.\n",
  "src/client.ts": "export async function charge(amount: number): Promise<void> {\n  await fetch(`/charge?amount=${amount}`);\n}\n",
  "src/client.test.ts": "import { charge } from './client';\n\ntest('charges', async () => { await charge(1); });\n",
};

/**
 * The demo's sample data (`demo.mjs`): a tri-agent run done on the stand-in Claude, a session
 * with agents to look at and tasks ready to run, and a lane with 100,000 events.
 */
export async function demoSeed(daemon) {
  const api = daemon.api;
  const repo = daemon.repoMake("shop", DEMO_FILES);
  repoCommit(repo, { "src/retry.ts": "export const MAX_TRIES = 5;\n" }, "Add the retry limit");

  // A session whose coordinator ran the tri-agent pattern to completion.
  const pay = await sessionMake(api, repo, "payments");
  await api.request("POST", `/api/sessions/${pay.id}/objectives`, { text: "Retry transient payment failures" });
  await api.request("POST", `/api/sessions/${pay.id}/insights`, { text: "The gateway answers 503 under load" });
  await triAgentRun(daemon, pay.id, "Retry transient payment failures with backoff");
  await api.request("POST", `/api/sessions/${pay.id}/decisions`, { text: "Retry refunds too?" });

  // A session with agents to look at: a terminal, a Claude turn, one waiting for a permission.
  const web = await sessionMake(api, repo, "website");
  await commandSpawn(api, web.id, ["sh", "-c", "printf '\\033[1;32m✓\\033[0m 12 passed \\033[90m(31 ms)\\033[0m\\n'"], "tests");
  await commandSpawn(api, web.id, ["sh", "-c", "while true; do date; sleep 5; done"], "clock");
  await claudeSpawn(api, web.id, "Write the checkout page", "writer");
  await claudeSpawn(api, web.id, "DENY: run the test suite", "tester");
  await taskAdd(api, web.id, { title: "Plan the checkout page", prompt: "Plan it", name: "plan" });
  await taskAdd(api, web.id, { title: "Build the checkout page", prompt: "Build it", name: "build", after: ["plan"] });

  // A lane with a long history, for the virtual list.
  const long = await sessionMake(api, repo, "long-history");
  await commandSpawn(api, long.id, ["seq", "-f", "line %g of a long build log", "100000"], "build-log");
  return { pay, web, long };
}
