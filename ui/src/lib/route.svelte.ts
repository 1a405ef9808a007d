// Which view the window shows, kept in the address's hash (`#/session/ID`) so the browser's
// Back and a reload work, in a plain browser and in the desktop app alike.

export type Route = { view: "home" } | { view: "session"; sessionId: string } | { view: "settings" };

export function parseRoute(hash: string): Route {
  if (/^#\/settings\/?$/.test(hash)) return { view: "settings" };
  const match = /^#\/session\/([^/?#]+)\/?$/.exec(hash);
  if (match) {
    try {
      return { view: "session", sessionId: decodeURIComponent(match[1]!) };
    } catch {
      // A malformed escape: not an address this app made.
    }
  }
  return { view: "home" };
}

export function routeHash(route: Route): string {
  if (route.view === "settings") return "#/settings";
  return route.view === "session" ? `#/session/${encodeURIComponent(route.sessionId)}` : "#/";
}

class Router {
  current = $state.raw<Route>(parseRoute(window.location.hash));

  constructor() {
    window.addEventListener("hashchange", () => {
      this.current = parseRoute(window.location.hash);
    });
  }

  /** Shows `route` at once (not on the next `hashchange`) and records it in the history. */
  go(route: Route): void {
    const hash = routeHash(route);
    if (window.location.hash !== hash) window.location.hash = hash;
    this.current = route;
  }
}

export const router = new Router();
