#!/usr/bin/env node
// The UI on sample data: starts a real `baton daemon` in a temporary home, fills it (a
// repository, sessions, command agents, a tri-agent run on the stand-in Claude, context), and
// prints the address that opens the UI on it. Ctrl-C stops the daemon and removes the home.
//
//     make build                 # or set BATON_BIN to a baton binary
//     cd ui && npm run dev       # in another terminal: Vite on http://localhost:1420
//     node ui/scripts/demo.mjs

import {
  claudeSpawn,
  commandSpawn,
  daemonStart,
  repoCommit,
  sessionMake,
  taskAdd,
  triAgentRun,
} from "./daemon.mjs";

const FILES = {
  "README.md": "# shop\n\nA small shop: a payment client with retries, and its tests.\n",
  "src/client.ts": "export async function charge(amount: number): Promise<void> {\n  await fetch(`/charge?amount=${amount}`);\n}\n",
  "src/client.test.ts": "import { charge } from './client';\n\ntest('charges', async () => { await charge(1); });\n",
};

async function demoSeed(daemon) {
  const api = daemon.api;
  const repo = daemon.repoMake("shop", FILES);
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
  return { pay, web };
}

const daemon = await daemonStart({ fakeClaude: true });
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping the daemon…");
  await daemon.stop();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  console.log(`baton daemon ${daemon.url} (pid ${daemon.pid}), home ${daemon.home}`);
  console.log("Seeding sample sessions (a tri-agent run takes a few seconds)…");
  const { pay } = await demoSeed(daemon);
  console.log(`\nOpen (with \`npm run dev\` running in ui/):\n\n  ${daemon.pageUrl()}\n`);
  console.log(`The tri-agent run: ${daemon.pageUrl()}#/session/${pay.id}`);
  console.log("\nCtrl-C stops the daemon and removes its home.");
} catch (err) {
  console.error(`The demo could not be seeded: ${err instanceof Error ? err.message : String(err)}`);
  await daemon.stop();
  process.exit(1);
}
