// Runs before every test file. happy-dom and Node 20 have no EventSource, which `HttpBackend`
// subscribes with: undici's (the implementation Node itself ships later) stands in.
import { EventSource } from "undici";

if (typeof globalThis.EventSource === "undefined") {
  globalThis.EventSource = EventSource as unknown as typeof globalThis.EventSource;
}
