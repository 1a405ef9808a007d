"""Baton's MCP server through the official MCP Python SDK.

A real `baton daemon` in a temporary home, with two sessions (alpha and beta), a task, and in
each session a `command` agent that writes its own MCP token (given to every agent as
`BATON_MCP_TOKEN`) to a file. The user reaches every tool through `baton mcp` (stdio) and through
`/mcp` with the daemon's token; an agent's token reaches its own session, and a worker's only
the tools of a worker.
"""

import asyncio
import json
import os
import subprocess
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

BATON = os.environ["BATON_BIN"]

# Every tool of the server, as the user sees them.
TOOLS = {
    "session_status", "context_get", "report", "objective_add", "insight_add", "decision_add",
    "decision_answer", "task_list", "task_get", "task_add", "task_complete", "task_retry",
    "agent_list", "agent_spawn", "agent_send", "agent_status", "agent_logs", "agent_wait",
    "agent_diff", "agent_merge", "agent_stop", "coordinator_promote", "coordinator_demote", "coordinator_become", "coordinator_wait", "artifact_search", "artifact_get", "artifact_add",
    "pattern_list", "pattern_run", "policy_show", "budget_show",
}
# What a worker may not call: only the coordinator (or the user) steers the session.
COORDINATOR_ONLY = {
    "objective_add", "decision_add", "decision_answer", "task_retry", "agent_spawn",
    "agent_merge", "agent_stop", "coordinator_promote", "coordinator_demote", "coordinator_become",
    "coordinator_wait", "pattern_run",
}


def run(*args, env):
    out = subprocess.run([BATON, *args], env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def wait_for(path: Path, what: str, seconds: float = 20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{what} never appeared at {path}")


@pytest.fixture(scope="module")
def baton():
    tmp = Path(tempfile.mkdtemp(prefix="baton-mcp-"))
    home = tmp / "home"
    # Unconfined: the agents write their tokens to the test's folder, which a sandbox hides.
    home.mkdir()
    (home / "settings.json").write_text(json.dumps({"agents": {"sandbox": "off"}}))
    env = {**os.environ, "BATON_HOME": str(home)}
    daemon = subprocess.Popen([BATON, "daemon", "--foreground"], env=env,
                              stdout=open(tmp / "daemon.log", "w"), stderr=subprocess.STDOUT)
    try:
        info = json.loads(wait_for(home / "daemon.json", "the daemon file"))
        repos = {}
        for name in ("alpha", "beta", "gamma"):
            repo = tmp / name
            subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
            subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                            "commit", "-q", "--allow-empty", "-m", "init"], check=True)
            if name != "gamma":  # gamma gets its session from coordinator_become
                run("session", "new", "--repo", str(repo), "--name", name, env=env)
            repos[name] = repo
        task = run("task", "add", "--session", "alpha", "--title", "Write the parser",
                   "--prompt", "write it", "--name", "parser", env=env)
        tokens = {}
        for session in ("alpha", "beta"):
            file = tmp / f"token-{session}"
            run("agent", "spawn", "--session", session, "--cli", "command", "--name", f"w-{session}",
                "--", "sh", "-c", f'printf %s "$BATON_MCP_TOKEN" > {file}; sleep 600', env=env)
            tokens[session] = wait_for(file, f"{session}'s agent token")
        yield {"env": env, "home": home, "url": f"http://127.0.0.1:{info['port']}/mcp",
               "token": info["token"], "task": task, "tokens": tokens, "repos": repos}
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


@asynccontextmanager
async def over_stdio(b, session="alpha"):
    params = StdioServerParameters(command=BATON, args=["mcp", "--session", session], env=b["env"])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            yield s


@asynccontextmanager
async def over_http(b, token):
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, streamable_http_client(b["url"], http_client=http) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as s:
            await s.initialize()
            yield s


def answer(result):
    """The tool's JSON answer; fails the test on a tool error."""
    text = result.content[0].text
    assert not result.is_error, text
    return json.loads(text)


def refusal(result, code):
    text = result.content[0].text
    assert result.is_error, f"expected {code}, got: {text[:300]}"
    assert text.startswith(f"{code}:"), text
    return text


def test_server_names_itself_baton(baton):
    async def go():
        async with over_stdio(baton) as s:
            info = await s.initialize()
            assert info.server_info.name == "baton"
    asyncio.run(go())


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_the_user_sees_every_tool_with_its_schema(baton, transport):
    async def go():
        ctx = over_stdio(baton) if transport == "stdio" else over_http(baton, baton["token"])
        async with ctx as s:
            tools = {t.name: t for t in (await s.list_tools()).tools}
            assert set(tools) == TOOLS
            for t in tools.values():
                assert t.description, t.name
                assert t.input_schema["type"] == "object", t.name
                assert t.input_schema["additionalProperties"] is False, t.name
            assert tools["task_add"].input_schema["required"] == ["title", "prompt"]
            assert set(tools["agent_spawn"].input_schema["properties"]["cli"]["enum"]) >= {"claude", "codex", "gemini"}
    asyncio.run(go())


def test_each_tool_with_valid_input(baton):
    """Every tool once with what it needs, over stdio; session arguments default to alpha."""
    async def go():
        async with over_stdio(baton) as s:
            call = lambda name, args=None: s.call_tool(name, args or {})  # noqa: E731
            status = answer(await call("session_status"))
            assert status["session"]["name"] == "alpha"
            assert "objectives" in answer(await call("context_get"))
            assert "# " in answer(await call("report"))["text"]
            assert answer(await call("objective_add", {"text": "Parse faster"}))["text"] == "Parse faster"
            assert answer(await call("insight_add", {"text": "The lexer dominates"}))["text"] == "The lexer dominates"
            decision = answer(await call("decision_add", {"text": "Which parser generator?"}))
            assert answer(await call("decision_answer", {"did": decision["id"], "text": "none"}))["answer"] == "none"
            assert [t["name"] for t in answer(await call("task_list"))] == ["parser"]
            assert answer(await call("task_get", {"id": "parser"}))["id"] == baton["task"]
            added = answer(await call("task_add", {"title": "Benchmark", "prompt": "measure", "after": ["parser"]}))
            assert [d["taskId"] for d in added["deps"]] == [baton["task"]]
            failed = answer(await call("task_complete", {"id": added["id"], "state": "failed", "outcome": "no data"}))
            assert failed["state"] == "failed"
            assert answer(await call("task_retry", {"id": added["id"]}))["state"] in ("ready", "pending")
            agents = answer(await call("agent_list"))
            assert [a["name"] for a in agents] == ["w-alpha"]
            spawned = answer(await call("agent_spawn", {"cli": "command", "prompt": "", "name": "echo",
                                                         "program": ["sh", "-c", "echo hello; sleep 600"]}))
            assert spawned["name"] == "echo"
            assert answer(await call("agent_status", {"id": "echo"}))["cli"] == "command"
            assert isinstance(answer(await call("agent_logs", {"id": "echo"})), list)
            waited = answer(await call("agent_wait", {"id": "echo", "timeout": 1}))
            assert waited["name"] == "echo"
            assert answer(await call("agent_send", {"id": "echo", "text": "hi"}))["name"] == "echo"
            assert answer(await call("agent_diff", {"id": "echo", "patch": False}))["files"] == []
            merge = answer(await call("agent_merge", {"id": "echo", "dryRun": True}))
            assert "conflicts" in merge
            assert answer(await call("agent_stop", {"id": "echo"}))["state"] in ("stopped", "exited")
            art = answer(await call("artifact_add", {"title": "Lexer profile", "body": "the lexer takes 80%"}))
            assert answer(await call("artifact_get", {"id": art["id"]}))["body"] == "the lexer takes 80%"
            hits = answer(await call("artifact_search", {"q": "lexer"}))
            assert [h["artifact"]["id"] for h in hits] == [art["id"]]
            patterns = answer(await call("pattern_list"))
            assert "tri-agent" in [p["name"] for p in patterns]
            tasks = answer(await call("pattern_run", {"name": "tri-agent", "goal": "Add a --verbose flag"}))
            assert len(tasks) >= 3
    asyncio.run(go())


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_each_tool_refuses_an_unknown_argument(baton, tool):
    async def go():
        async with over_http(baton, baton["token"]) as s:
            refusal(await s.call_tool(tool, {"id": "parser", "bogus": 1}), "invalid_input")
    asyncio.run(go())


def test_invalid_input_says_what_is_wrong(baton):
    async def go():
        async with over_stdio(baton) as s:
            text = refusal(await s.call_tool("task_add", {"title": "no prompt"}), "invalid_input")
            assert "prompt" in text
            refusal(await s.call_tool("agent_status", {"id": "nobody"}), "not_found")
            refusal(await s.call_tool("task_complete", {"id": "parser", "state": "sideways"}), "invalid_input")
            refusal(await s.call_tool("no_such_tool", {}), "invalid_input")
    asyncio.run(go())


def test_a_worker_calls_only_worker_tools_in_its_own_session(baton):
    async def go():
        async with over_http(baton, baton["tokens"]["alpha"]) as s:
            # It sees every tool (a promotion may make it the coordinator mid-conversation),
            # the coordinator's marked as such, and the permission tool its CLI asks through.
            tools = {t.name: t for t in (await s.list_tools()).tools}
            assert set(tools) == TOOLS | {"permission_prompt"}
            for name in COORDINATOR_ONLY:
                assert tools[name].description.startswith("For the session's coordinator"), name
            # A worker adds tasks only as sub-tasks of its own, when its pattern lets it delegate.
            assert "A worker adds only sub-tasks of its own task" in tools["task_add"].description
            # Its own session, without naming it.
            assert answer(await s.call_tool("session_status", {}))["session"]["name"] == "alpha"
            kept = answer(await s.call_tool("insight_add", {"text": "Seen by a worker"}))
            assert kept["text"] == "Seen by a worker"
            art = answer(await s.call_tool("artifact_add", {"title": "Notes", "body": "from the worker"}))
            assert art["agentId"] is not None, "the artifact names its author"
            # Coordinator tools are refused, even when called by name.
            for tool, args in [("agent_spawn", {"cli": "command", "prompt": "", "program": ["true"]}),
                               ("agent_merge", {"id": "w-alpha", "dryRun": True})]:
                text = refusal(await s.call_tool(tool, args), "unauthorized")
                assert "coordinator" in text
            # A task only as a lead's sub-task: this worker leads nothing.
            text = refusal(await s.call_tool("task_add", {"title": "x", "prompt": "y"}), "unauthorized")
            assert "only a lead task's agent adds sub-tasks" in text, text
            # Its task is not this one.
            refusal(await s.call_tool("task_complete", {"id": "parser", "state": "done"}), "unauthorized")
            # Another session, named outright or through what belongs to it.
            for tool, args in [("session_status", {"id": "beta"}), ("task_list", {"session": "beta"}),
                               ("agent_status", {"id": "w-beta"}), ("insight_add", {"id": "beta", "text": "x"}),
                               ("agent_send", {"id": "w-beta", "text": "hello"})]:
                text = refusal(await s.call_tool(tool, args), "unauthorized")
                assert "own session" in text, text
    asyncio.run(go())


def test_an_agent_token_does_not_open_the_http_api(baton):
    import urllib.error
    import urllib.request
    base = baton["url"].removesuffix("/mcp")
    request = urllib.request.Request(f"{base}/api/sessions",
                                     headers={"Authorization": f"Bearer {baton['tokens']['alpha']}"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request)
    assert e.value.code == 401
    assert b"only Baton's MCP server" in e.value.read()


def test_a_wrong_token_is_refused(baton):
    async def go():
        with pytest.raises(Exception):
            async with over_http(baton, "not-a-token") as s:
                await s.list_tools()
    asyncio.run(go())


def test_a_conversation_becomes_the_coordinator_and_waits_for_news(baton):
    """`/become-orchestrator` in the user's own CLI: `baton mcp` runs in the repository."""
    async def go():
        params = StdioServerParameters(command=BATON, args=["mcp"], env=baton["env"], cwd=str(baton["repos"]["gamma"]))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                became = answer(await s.call_tool("coordinator_become", {
                    "goal": "Ship the parser", "cli": "claude", "conversation": "conv-1"}))
                assert became["created"] is True
                assert became["agent"]["external"] is True
                assert became["session"]["coordinatorAgent"] == became["agent"]["id"]
                texts = [m["text"] for m in became["messages"]]
                assert any("Delegate, never implement" in t for t in texts), texts
                assert any("coordinator_wait" in t for t in texts), texts
                # Its calls now default to that session.
                status = answer(await s.call_tool("session_status", {}))
                assert status["session"]["id"] == became["session"]["id"]
                assert "Ship the parser" in json.dumps(status["objectives"])
                # Nothing new: the wait ends empty at its timeout.
                assert answer(await s.call_tool("coordinator_wait", {"timeout": 1})) == []
                # The user writes to it from the app or the CLI: the conversation takes it.
                run("send", became["agent"]["id"], "Please also add docs", env=baton["env"])
                taken = answer(await s.call_tool("coordinator_wait", {"timeout": 10}))
                assert [(m["from"], m["text"]) for m in taken] == [(None, "Please also add docs")]
                # The same conversation becoming again is the same agent.
                again = answer(await s.call_tool("coordinator_become", {"cli": "claude", "conversation": "conv-1"}))
                assert again["agent"]["id"] == became["agent"]["id"] and again["created"] is False
    asyncio.run(go())


def test_an_agent_cannot_make_itself_a_coordinator_elsewhere(baton):
    async def go():
        async with over_http(baton, baton["tokens"]["alpha"]) as s:
            text = refusal(await s.call_tool("coordinator_become", {
                "repo": str(baton["repos"]["beta"]), "cli": "claude"}), "unauthorized")
            assert "coordinator_promote" in text
    asyncio.run(go())
