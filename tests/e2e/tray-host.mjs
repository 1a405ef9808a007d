// What the tray's tests share: a tray host (Debian's trayer: the appindicator library falls
// back to an XEmbed icon when no StatusNotifierItem watcher runs, and exports its menu over
// D-Bus either way) and other helper programs on the test's private D-Bus session, and the
// tray's menu read and clicked over D-Bus (com.canonical.dbusmenu), as a tray host does.
import { execFileSync, spawn } from "node:child_process";
import { appPids } from "./harness.mjs";

/** Helper programs a test starts and ends (by their child handles). */
export class Helpers {
  constructor(h) {
    this.h = h;
    this.children = [];
  }

  start(cmd, args) {
    const child = spawn(cmd, args, { env: this.h.env, stdio: ["ignore", "pipe", "ignore"] });
    child.on("error", (e) => {
      throw new Error(`cannot start ${cmd} (Debian package ${cmd === "dbus-monitor" ? "dbus" : cmd}): ${e.message}`);
    });
    this.children.push(child);
    return child;
  }

  /** trayer, docked at the top right of the screen. */
  trayer() {
    return this.start("trayer", ["--edge", "top", "--align", "right", "--widthtype", "request", "--height", "32"]
      .concat(["--SetDockType", "true", "--transparent", "false", "--tint", "0xffffff"]));
  }

  stop() {
    for (const child of this.children) child.kill("SIGTERM");
  }
}

export async function until(what, check, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`never ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function busctl(h, ...args) {
  return execFileSync("busctl", ["--user", "--json=short", "--", ...args], { env: h.env, encoding: "utf8" });
}

/** The app's menu object on the bus: the name of its connection and the object's path. */
export function menuFind(h) {
  const pids = appPids(h.home);
  const names = JSON.parse(busctl(h, "list")).filter((e) => pids.includes(e.pid) && e.name.startsWith(":"));
  for (const { name } of names) {
    let paths;
    try {
      // Bounded: one of the app's connections does not answer introspection (and busctl's own
      // --timeout does not bound `tree`).
      paths = execFileSync("busctl", ["--user", "tree", "--list", name], { env: h.env, encoding: "utf8", timeout: 2000 });
    } catch {
      continue;
    }
    const menu = paths.split("\n").find((p) => /^\/org\/ayatana\/NotificationItem\/.+\/Menu$/.test(p));
    if (menu) return { name, path: menu };
  }
  return null;
}

/** The tray menu's items, as the tray host reads them: id, label, enabled. */
export function menuItems(h, menu) {
  const layout = JSON.parse(busctl(h, "call", menu.name, menu.path, "com.canonical.dbusmenu", "GetLayout", "iias", "0", "-1", "0"));
  const [, [, , children]] = layout.data;
  return children.map(({ data: [id, props] }) => ({
    id,
    label: props.label?.data ?? "",
    enabled: props.enabled?.data ?? true,
    separator: props.type?.data === "separator",
  }));
}

export function menuClick(h, menu, id) {
  busctl(h, "call", menu.name, menu.path, "com.canonical.dbusmenu", "Event", "isvu", String(id), "clicked", "s", "", "0");
}
