// Runs before every test file.
import { configure } from "@testing-library/svelte";
import { EventSource, WebSocket } from "undici";

// happy-dom and Node 20 have no EventSource, which `HttpBackend` subscribes with: undici's (the
// implementation Node itself ships later) stands in.
if (typeof globalThis.EventSource === "undefined") {
  globalThis.EventSource = EventSource as unknown as typeof globalThis.EventSource;
}

// happy-dom's WebSocket loads the browser build of `ws`, which refuses to run under Node: the
// terminal views' sockets use undici's (the one Node itself ships later).
globalThis.WebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

// Views wait on a real daemon and its agents' processes: give `waitFor` and `findBy` longer
// than the default second (they return as soon as the condition holds).
configure({ asyncUtilTimeout: 5_000 });
