#!/usr/bin/env node
// The UI on sample data: starts a real `baton daemon` in a temporary home, fills it (a
// repository, sessions, command agents, a tri-agent run on the stand-in Claude, context), and
// prints the address that opens the UI on it. Ctrl-C stops the daemon and removes the home.
//
//     make build                 # or set BATON_BIN to a baton binary
//     cd ui && npm run dev       # in another terminal: Vite on http://localhost:1420
//     node ui/scripts/demo.mjs

import { daemonStart, demoSeed } from "./daemon.mjs";

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
  const { pay, long } = await demoSeed(daemon);
  console.log(`\nOpen (with \`npm run dev\` running in ui/):\n\n  ${daemon.pageUrl()}\n`);
  console.log(`The tri-agent run: ${daemon.pageUrl()}#/session/${pay.id}`);
  console.log(`100,000 events:    ${daemon.pageUrl()}#/session/${long.id}`);
  console.log("\nCtrl-C stops the daemon and removes its home.");
} catch (err) {
  console.error(`The demo could not be seeded: ${err instanceof Error ? err.message : String(err)}`);
  await daemon.stop();
  process.exit(1);
}
