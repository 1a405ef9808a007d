// Which view the window shows, kept in the address's hash so the browser's Back and a reload
// work, in a plain browser and in the desktop app alike:
//
//   #/                              Home: the list of sessions
//   #/inbox                         what needs the user, every session
//   #/settings                      the app's settings
//   #/session/ID                    a session's overview: all its agents' last lines
//   #/session/ID/agent/AGENT        one agent in focus (conversation, changes, diff, terminal)
//   #/session/ID/tasks              a view of the session: tasks, artifacts, context or health
//   #/session/ID/new                New work: the wizard's goal (and the session's drafts)
//   #/session/ID/new/WIZARD         a wizard under way: its question, or its plan to edit

export const SESSION_PANES = ["overview", "tasks", "artifacts", "context", "health"] as const;
export type SessionPane = (typeof SESSION_PANES)[number];

export type Route =
  | { view: "home" }
  | { view: "inbox" }
  | { view: "settings" }
  | { view: "session"; sessionId: string; agentId: string | null; pane: SessionPane; wizard?: WizardAt };

/** New work over a session: a wizard to start (`wizardId` null: its goal first) or under way. */
export type WizardAt = { wizardId: string | null };

/** A session's route: its overview, one of its views, one agent in focus, or New work. */
export function sessionRoute(
  sessionId: string,
  where: { agentId?: string | null; pane?: SessionPane; wizard?: WizardAt } = {},
): Route {
  const route: Route = { view: "session", sessionId, agentId: where.agentId ?? null, pane: where.pane ?? "overview" };
  return where.wizard ? { ...route, wizard: where.wizard } : route;
}

export function parseRoute(hash: string): Route {
  if (/^#\/inbox\/?$/.test(hash)) return { view: "inbox" };
  if (/^#\/settings\/?$/.test(hash)) return { view: "settings" };
  const work = /^#\/session\/([^/?#]+)\/new(?:\/([^/?#]+))?\/?$/.exec(hash);
  if (work) {
    try {
      const wizardId = work[2] ? decodeURIComponent(work[2]) : null;
      return sessionRoute(decodeURIComponent(work[1]!), { wizard: { wizardId } });
    } catch {
      // A malformed escape: not an address this app made.
    }
  }
  const match = /^#\/session\/([^/?#]+)(?:\/agent\/([^/?#]+)|\/([a-z]+))?\/?$/.exec(hash);
  if (match) {
    try {
      const sessionId = decodeURIComponent(match[1]!);
      if (match[2]) return sessionRoute(sessionId, { agentId: decodeURIComponent(match[2]) });
      const pane = match[3];
      if (pane === undefined) return sessionRoute(sessionId);
      if ((SESSION_PANES as readonly string[]).includes(pane)) return sessionRoute(sessionId, { pane: pane as SessionPane });
    } catch {
      // A malformed escape: not an address this app made.
    }
  }
  return { view: "home" };
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case "home":
      return "#/";
    case "inbox":
      return "#/inbox";
    case "settings":
      return "#/settings";
    case "session": {
      const base = `#/session/${encodeURIComponent(route.sessionId)}`;
      if (route.wizard) return `${base}/new${route.wizard.wizardId ? `/${encodeURIComponent(route.wizard.wizardId)}` : ""}`;
      if (route.agentId) return `${base}/agent/${encodeURIComponent(route.agentId)}`;
      return route.pane === "overview" ? base : `${base}/${route.pane}`;
    }
  }
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

/**
 * Home's "Show archived": kept while the window lives (and across a reload), so coming back
 * to Home shows the list as it was left.
 */
class HomeFilter {
  private static readonly KEY = "baton.home.showArchived";
  #showArchived = $state(readFlag(HomeFilter.KEY));

  get showArchived(): boolean {
    return this.#showArchived;
  }

  set showArchived(value: boolean) {
    this.#showArchived = value;
    try {
      window.sessionStorage.setItem(HomeFilter.KEY, value ? "1" : "0");
    } catch {
      // Storage refused (a private window): the filter is kept in memory only.
    }
  }
}

function readFlag(key: string): boolean {
  try {
    return window.sessionStorage.getItem(key) === "1";
  } catch {
    return false;
  }
}

export const homeFilter = new HomeFilter();
