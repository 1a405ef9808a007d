"""Round trip of Baton's MCP tool calls, over stdio (`baton mcp`) and over HTTP (`/mcp`).

A real `baton daemon` in a temporary home, seeded with a session, its tasks, artifacts,
insights and a few `command` agents (each only sleeps; they give agent records and agent
tokens). Each tool is called N times after a warm-up, one call at a time, and the wall time of
each call is kept: p50, p99 and max.

Two kinds of client:
- `sdk`: the official MCP Python SDK (PyPI `mcp`, pinned in tests/mcp/run.sh), as an MCP client
  would call the server. Its own overhead (asyncio, pydantic validation of every message) counts.
- `raw`: JSON-RPC written by hand with the standard library (a line on the pipe; a POST on one
  kept-alive HTTP connection, its event-stream answer read), so what is left is mostly Baton's.

Transports: `stdio` (`baton mcp --session bench`: the user's token, each call forwarded to the
daemon's HTTP API), `http` (`/mcp` with the daemon's token, as the user) and `http-agent` (`/mcp`
with a worker agent's own token: the token lookup and the scope check included).

Run: tests/perf/mcp-roundtrip.sh [N] (builds the venv; BATON_BIN picks the binary).
"""

import asyncio
import http.client
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

BATON = os.environ["BATON_BIN"]
CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 500
WARMUP = 50
# The SDK warns that its session's DELETE at the end was answered 202 (accepted): not a failure.
logging.getLogger("mcp.client.streamable_http").setLevel(logging.ERROR)
TASKS, ARTIFACTS, INSIGHTS, AGENTS = 20, 30, 20, 3

# The calls measured: four reads, then one write (last, so the reads see the same session).
READS = [
    ("session_status", {}),
    ("task_list", {}),
    ("agent_status", {"id": "w0"}),
    ("artifact_search", {"q": "lexer"}),
]
WRITE = ("insight_add", {"text": "measured"})


def run(*args, env):
    out = subprocess.run([BATON, *args], env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def wait_for(path: Path, what: str, seconds: float = 30) -> str:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path.read_text()
        time.sleep(0.05)
    raise SystemExit(f"{what} never appeared at {path}")


def summary(samples_ms):
    s = sorted(samples_ms)
    p = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50": statistics.median(s), "p99": p(0.99), "max": s[-1]}


# --- the official SDK -------------------------------------------------------------------------

async def sdk_measure(session: ClientSession, calls):
    out = {}
    for name, args in calls:
        for _ in range(WARMUP):
            checked(await session.call_tool(name, args), name)
        samples = []
        for i in range(CALLS):
            a = {**args, "text": f"measured {i}"} if name == "insight_add" else args
            t = time.perf_counter()
            result = await session.call_tool(name, a)
            samples.append((time.perf_counter() - t) * 1000)
            checked(result, name)
        out[name] = summary(samples)
    return out


def checked(result, name):
    if result.is_error:
        raise SystemExit(f"{name} failed: {result.content[0].text}")


async def sdk_stdio(env, calls):
    params = StdioServerParameters(command=BATON, args=["mcp", "--session", "bench"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        return await sdk_measure(s, calls)


async def sdk_http(url, token, calls):
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, streamable_http_client(url, http_client=http) as streams:
        async with ClientSession(streams[0], streams[1]) as s:
            await s.initialize()
            return await sdk_measure(s, calls)


# --- JSON-RPC by hand -------------------------------------------------------------------------

INIT = {"protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "mcp-roundtrip", "version": "1"}}


class RawStdio:
    def __init__(self, env):
        self.proc = subprocess.Popen([BATON, "mcp", "--session", "bench"], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.request("initialize", INIT)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message):
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = json.loads(self.proc.stdout.readline())
            if message.get("id") == self.next_id:
                return message

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class RawHttp:
    def __init__(self, url, token):
        u = urlparse(url)
        self.path = u.path
        self.conn = http.client.HTTPConnection(u.hostname, u.port)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream"}
        self.next_id = 0
        self.request("initialize", INIT)
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, message):
        self.conn.request("POST", self.path, json.dumps(message), self.headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status >= 300:
            raise SystemExit(f"/mcp answered {response.status}: {body[:300]!r}")
        if session := response.getheader("mcp-session-id"):
            self.headers["Mcp-Session-Id"] = session
        return response.getheader("content-type", ""), body

    def request(self, method, params):
        self.next_id += 1
        kind, body = self.post({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        if kind.startswith("application/json"):
            return json.loads(body)
        for line in body.decode().splitlines():
            if line.startswith("data:") and line[5:].strip():
                message = json.loads(line[5:])
                if message.get("id") == self.next_id:
                    return message
        raise SystemExit(f"no answer in {body[:300]!r}")

    def close(self):
        self.conn.close()


def raw_measure(client, calls):
    def call(name, args):
        answer = client.request("tools/call", {"name": name, "arguments": args})
        if "error" in answer or answer["result"].get("isError"):
            raise SystemExit(f"{name} failed: {answer}")
    out = {}
    for name, args in calls:
        for _ in range(WARMUP):
            call(name, args)
        samples = []
        for i in range(CALLS):
            a = {**args, "text": f"measured {i}"} if name == "insight_add" else args
            t = time.perf_counter()
            call(name, a)
            samples.append((time.perf_counter() - t) * 1000)
        out[name] = summary(samples)
    client.close()
    return out


# --- the home, and the whole run --------------------------------------------------------------

def seed(tmp: Path):
    home = tmp / "home"
    env = {**os.environ, "BATON_HOME": str(home)}
    daemon = subprocess.Popen([BATON, "daemon", "--foreground"], env=env,
                              stdout=open(tmp / "daemon.log", "w"), stderr=subprocess.STDOUT)
    try:
        return (daemon, *seed_in(tmp, home, env))
    except BaseException:
        daemon.terminate()
        daemon.wait(timeout=30)
        raise


def seed_in(tmp: Path, home: Path, env):
    info = json.loads(wait_for(home / "daemon.json", "the daemon file"))
    repo = tmp / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    run("session", "new", "--repo", str(repo), "--name", "bench", env=env)
    for i in range(TASKS):
        run("task", "add", "--session", "bench", "--title", f"Task {i}", "--prompt", f"do part {i}",
            "--name", f"t{i}", env=env)
    tokens = []
    for i in range(AGENTS):
        file = tmp / f"token-{i}"
        run("agent", "spawn", "--session", "bench", "--cli", "command", "--name", f"w{i}",
            "--", "sh", "-c", f'printf %s "$BATON_MCP_TOKEN" > {file}; sleep 3600', env=env)
        tokens.append(wait_for(file, f"agent w{i}'s token"))

    async def more():
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {info['token']}"})
        async with http, streamable_http_client(f"http://127.0.0.1:{info['port']}/mcp", http_client=http) as st:
            async with ClientSession(st[0], st[1]) as s:
                await s.initialize()
                for i in range(ARTIFACTS):
                    word = "lexer" if i % 3 == 0 else "parser"
                    checked(await s.call_tool("artifact_add", {"session": "bench", "title": f"Note {i}",
                                                               "body": f"the {word} takes {i}% of the time"}), "seed")
                for i in range(INSIGHTS):
                    checked(await s.call_tool("insight_add", {"id": "bench", "text": f"insight {i}"}), "seed")
    asyncio.run(more())
    return env, f"http://127.0.0.1:{info['port']}/mcp", info["token"], tokens[0]


def main():
    tmp = Path(tempfile.mkdtemp(prefix="baton-mcp-bench-"))
    daemon, env, url, user_token, agent_token = seed(tmp)
    # The user's calls over HTTP name the session (nothing defaults it for the user).
    user = lambda calls: [(n, {**a, "session": "bench"} if n in ("task_list", "artifact_search")  # noqa: E731
                           else {**a, "id": "bench"} if n in ("session_status", "insight_add") else a)
                          for n, a in calls]
    runs = {
        ("sdk", "stdio"): lambda c: asyncio.run(sdk_stdio(env, c)),
        ("sdk", "http"): lambda c: asyncio.run(sdk_http(url, user_token, user(c))),
        ("sdk", "http-agent"): lambda c: asyncio.run(sdk_http(url, agent_token, c)),
        ("raw", "stdio"): lambda c: raw_measure(RawStdio(env), c),
        ("raw", "http"): lambda c: raw_measure(RawHttp(url, user_token), user(c)),
        ("raw", "http-agent"): lambda c: raw_measure(RawHttp(url, agent_token), c),
    }
    results = {}
    try:
        for calls in (READS, [WRITE]):
            for key, measure in runs.items():
                results.setdefault(key, {}).update(measure(calls))
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"MCP tool call round trip, {CALLS} calls each after {WARMUP} of warm-up (ms): {BATON}")
    print(f"{'client':<5} {'transport':<11} {'tool':<16} {'p50':>7} {'p99':>7} {'max':>7}")
    worst_read = 0.0
    for (client, transport), tools in results.items():
        for name, s in tools.items():
            print(f"{client:<5} {transport:<11} {name:<16} {s['p50']:7.2f} {s['p99']:7.2f} {s['max']:7.2f}")
            if name != WRITE[0]:
                worst_read = max(worst_read, s["p99"])
    print(f"worst read p99: {worst_read:.2f} ms (target: under 20 ms)")


if __name__ == "__main__":
    main()
