"""MCP client: real MCP servers nobody here wrote, driven through the real session and the loopback model.

Servers: ``mcp-server-time`` (PyPI, stdio; in the ``test`` extra) and ``@modelcontextprotocol/server-everything``
(npm; installed once into /var/tmp when node and npm are present, else those tests skip). Failure cases use
programs that are not MCP servers (one exits at once, one never answers).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_py.agent.events import (
    ApprovalRequest,
    ApprovalResult,
    Decision,
    McpServerUpdate,
    McpToolCallBegin,
    McpToolCallEnd,
    TurnCompleted,
    Warning,
)
from codex_py.agent.session import Session
from codex_py.config import CliOverrides, ConfigError, load_config
from codex_py.mcp.manager import McpManager
from codex_py.mcp.names import qualified_names, sanitize
from codex_py.mcp.results import model_images, model_text
from codex_py.protocol import ToolResult
from codex_py.session.serialize import item_from_json, item_to_json
from tests.agent_support import Sink, make_session
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply

WIRES = ["responses", "chat", "messages"]
EVERYTHING_VERSION = "2026.8.31"
TIME_TOOL = "mcp__time__get_current_time"


# --- servers ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def time_server() -> str:
    found = shutil.which("mcp-server-time", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if found is None:
        pytest.skip("mcp-server-time is not installed (pip install -e '.[test]')")
    return found


@pytest.fixture(scope="session")
def everything() -> Path:
    """The server-everything entry point (dist/index.js), installed from npm once per machine."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not available for @modelcontextprotocol/server-everything")
    prefix = Path("/var/tmp") / f"codex-py-test-server-everything-{EVERYTHING_VERSION}"
    entry = prefix / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
    if not entry.exists():
        out = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
             f"@modelcontextprotocol/server-everything@{EVERYTHING_VERSION}"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if out.returncode != 0 or not entry.exists():
            pytest.skip(f"npm could not install server-everything: {out.stderr.strip()[-300:]}")
    return entry


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def everything_http(everything: Path) -> Iterator[str]:
    """server-everything in streamable-HTTP mode on 127.0.0.1; yields its /mcp URL."""
    port = _free_port()
    proc = subprocess.Popen(
        ["node", str(everything), "streamableHttp"],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.skip("server-everything did not start in streamable HTTP mode")
    yield f"http://127.0.0.1:{port}/mcp"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


def time_overrides(command: str, name: str = "time", **extra: Any) -> list[str]:
    out = [f'mcp_servers.{name}.command="{command}"', f'mcp_servers.{name}.args=["--local-timezone", "UTC"]']
    out += [f"mcp_servers.{name}.{k}={json.dumps(v)}" for k, v in extra.items()]
    return out


async def mcp_session(
    fake: FakeProvider, tmp_path: Path, wire: str, overrides: list[str], *, wait: bool = True, **kw: Any
) -> tuple[Session, Sink, McpManager]:
    session, sink = make_session(fake, tmp_path, wire, overrides=overrides, **kw)
    manager = McpManager(session.config.mcp_servers, cwd=tmp_path)
    session.attach_mcp(manager)
    if wait:
        await manager.wait()
    return session, sink, manager


def tool_names(request_json: dict[str, Any]) -> list[str]:
    names = []
    for tool in request_json.get("tools") or []:
        names.append(tool.get("name") or tool.get("function", {}).get("name"))
    return names


def tool_outputs(request_json: dict[str, Any]) -> str:
    """The tool results of a request, whatever the wire, as one text."""
    return json.dumps(request_json.get("input") or request_json.get("messages"))


# --- names and config ------------------------------------------------------------------------------
def test_qualified_names_are_codex_names_sanitised_unique_and_order_free() -> None:
    pairs = [("time", "get_current_time"), ("my-server", "do.it"), ("my_server", "do.it"), ("a", "x" * 80)]
    names = qualified_names(pairs)
    assert names[("time", "get_current_time")] == "mcp__time__get_current_time"
    a, b = names[("my-server", "do.it")], names[("my_server", "do.it")]
    assert a != b and a.startswith("mcp__my_server_") and b.startswith("mcp__my_server_")
    assert all(len(n) <= 64 and n.replace("_", "a").isalnum() for n in names.values())
    assert qualified_names(reversed(pairs)) == names, "independent of start-up order"
    assert sanitize("") == "_" and sanitize("a-b c") == "a_b_c"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('url = "http://x"\nenv = { A = "b" }', "env is not supported for streamable_http"),
        ('command = "x"\nurl = "http://x"', "invalid transport"),
        ('command = "x"\nhttp_headers = { A = "b" }', "http_headers is not supported for stdio"),
        ('url = "http://x"\nbearer_token = "secret"', "bearer_token is not supported"),
        ('command = "x"\nstartup_timeout_sec = 0', "must be positive"),
        ('command = "x"\nenv_vars = [{ name = "A", source = "remote" }]', "unsupported env_vars source"),
        ('command = "x"\ncolour = 1', "unknown key mcp_servers.s.colour"),
    ],
)
def test_bad_server_tables_are_one_line_errors(isolated_home: Path, table: str, message: str) -> None:
    (isolated_home / "config.toml").write_text(f"[mcp_servers.s]\n{table}\n")
    with pytest.raises(ConfigError) as err:
        load_config(CliOverrides(provider="ollama"))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_codex_server_table_loads(isolated_home: Path) -> None:
    (isolated_home / "config.toml").write_text(
        "[mcp_servers.docs]\n"
        'url = "http://127.0.0.1:9/mcp"\nbearer_token_env_var = "DOCS_TOKEN"\nrequired = true\n'
        'enabled_tools = ["search"]\ndefault_tools_approval_mode = "approve"\n'
        "[mcp_servers.fs]\n"
        'command = "npx"\nargs = ["-y", "fs"]\nenv_vars = ["A", { name = "B" }]\nstartup_timeout_ms = 2500\n'
        '[mcp_servers.fs.tools.write]\napproval_mode = "prompt"\n'
    )
    config = load_config(CliOverrides(provider="ollama"))
    docs, fs = config.mcp_servers["docs"], config.mcp_servers["fs"]
    assert docs.transport == "streamable_http" and docs.required and docs.enabled_tools == ["search"]
    assert fs.transport == "stdio" and fs.startup_timeout_sec == 2.5 and fs.tools["write"].approval_mode == "prompt"


# --- calls through the session, on every wire --------------------------------------------------------
@pytest.mark.parametrize("wire", WIRES)
async def test_model_calls_an_mcp_tool_and_the_result_reaches_the_next_request(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str, wire: str
) -> None:
    fake_provider.script(
        Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "Europe/Paris"}', call_id="call_t")]),
        Reply(text="It is evening in Paris."),
    )
    session, sink, _ = await mcp_session(
        fake_provider, tmp_path, wire, time_overrides(time_server), approval="on-request"
    )
    try:
        await session.run_turn("what time is it in Paris?")
    finally:
        await session.aclose()
    first, second = fake_provider.requests
    assert TIME_TOOL in tool_names(first.json) and "mcp__time__convert_time" in tool_names(first.json)
    sent = tool_outputs(second.json)
    assert "Europe/Paris" in sent and "Wall time:" in sent and "day_of_week" in sent
    end = sink.of(McpToolCallEnd)[0]
    assert (end.server, end.tool, end.status) == ("time", "get_current_time", "completed")
    assert end.arguments == {"timezone": "Europe/Paris"}
    assert end.result is not None and end.result["structured_content"]["timezone"] == "Europe/Paris"
    assert not sink.of(ApprovalRequest), "a read-only-annotated tool runs without asking"
    assert sink.of(TurnCompleted)


async def test_tool_error_is_fed_back_as_an_error(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str
) -> None:
    fake_provider.script(Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "Nowhere/Land"}')]), Reply(text="sorry"))
    session, sink, _ = await mcp_session(fake_provider, tmp_path, "responses", time_overrides(time_server))
    try:
        await session.run_turn("time?")
    finally:
        await session.aclose()
    assert sink.of(McpToolCallEnd)[0].status == "failed"
    assert "Invalid timezone" in tool_outputs(fake_provider.requests[1].json)


async def test_first_request_does_not_wait_for_servers(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str
) -> None:
    """Not required: the first request goes out at once without the tools; a later one has them."""
    fake_provider.script(Reply(text="hi"))
    session, sink, manager = await mcp_session(fake_provider, tmp_path, "chat", time_overrides(time_server), wait=False)
    try:
        started = time.monotonic()
        await session.run_turn("hello")
        assert time.monotonic() - started < 1.0
        assert TIME_TOOL not in tool_names(fake_provider.requests[0].json)
        await manager.wait()
        fake_provider.script(Reply(text="again"))
        await session.run_turn("again")
        assert TIME_TOOL in tool_names(fake_provider.requests[1].json)
        updates = sink.of(McpServerUpdate)
        assert (updates[-1].state, updates[-1].ready, updates[-1].total) == ("ready", 1, 1)
    finally:
        await session.aclose()


# --- approvals -----------------------------------------------------------------------------------------
async def test_exec_declines_a_tool_that_needs_approval(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str
) -> None:
    overrides = [*time_overrides(time_server), 'mcp_servers.time.tools.get_current_time.approval_mode="prompt"']
    fake_provider.script(Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]), Reply(text="ok"))
    session, sink, _ = await mcp_session(
        fake_provider, tmp_path, "messages", overrides, interactive=False, approval="on-request"
    )
    try:
        await session.run_turn("time?")
    finally:
        await session.aclose()
    end = sink.of(McpToolCallEnd)[0]
    assert end.status == "failed" and end.result is None and "exec mode never prompts" in (end.error or "")
    assert "declined" in tool_outputs(fake_provider.requests[1].json)


async def test_interactive_asks_and_a_denial_reaches_the_model(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str
) -> None:
    overrides = [*time_overrides(time_server), 'mcp_servers.time.default_tools_approval_mode="prompt"']
    fake_provider.script(
        Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]),
        Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "Asia/Tokyo"}')]),
        Reply(text="ok"),
    )
    answers = iter([Decision.DENY, Decision.APPROVE])
    sink = Sink(lambda _req: ApprovalResult(next(answers)))
    session, sink, _ = await mcp_session(fake_provider, tmp_path, "chat", overrides, sink=sink, approval="on-request")
    try:
        await session.run_turn("time?")
    finally:
        await session.aclose()
    asked = sink.of(ApprovalRequest)
    assert [a.kind for a in asked] == ["mcp_tool", "mcp_tool"]
    assert 'Allow the time MCP server to run tool "get_current_time"?' in asked[0].reason
    assert "user rejected MCP tool call" in tool_outputs(fake_provider.requests[1].json)
    assert "Asia/Tokyo" in tool_outputs(fake_provider.requests[2].json)


async def test_approval_policy_never_runs_mcp_tools(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str
) -> None:
    overrides = [*time_overrides(time_server), 'mcp_servers.time.default_tools_approval_mode="prompt"']
    fake_provider.script(Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]), Reply(text="ok"))
    session, sink, _ = await mcp_session(fake_provider, tmp_path, "responses", overrides, interactive=False)
    try:
        await session.run_turn("time?")
    finally:
        await session.aclose()
    assert sink.of(McpToolCallEnd)[0].status == "completed"


# --- failures: one clear line each, the session goes on ------------------------------------------------
async def test_crashing_missing_and_slow_servers_each_report_once_and_the_session_goes_on(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str
) -> None:
    crash = "import sys; sys.stderr.write('fatal: no database configured\\n'); sys.exit(3)"
    overrides = [
        *time_overrides(time_server),
        f'mcp_servers.crash.command="{sys.executable}"',
        f"mcp_servers.crash.args={json.dumps(['-c', crash])}",
        'mcp_servers.missing.command="no-such-mcp-server-here"',
        'mcp_servers.slow.command="sleep"',
        'mcp_servers.slow.args=["60"]',
        "mcp_servers.slow.startup_timeout_sec=1.5",
    ]
    fake_provider.script(Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]), Reply(text="done"))
    session, sink, manager = await mcp_session(fake_provider, tmp_path, "responses", overrides)
    try:
        await session.run_turn("time?")
        assert manager.counts() == (1, 4)
    finally:
        await session.aclose()
    warnings = [w.message for w in sink.of(Warning) if w.message.startswith("MCP server")]
    assert len(warnings) == 3, warnings
    by_name = {w.split("'")[1]: w for w in warnings}
    assert "fatal: no database configured" in by_name["crash"]
    assert "command not found: no-such-mcp-server-here" in by_name["missing"]
    assert "timed out after 1.5 seconds" in by_name["slow"] and "startup_timeout_sec" in by_name["slow"]
    assert sink.of(McpToolCallEnd)[0].status == "completed" and sink.of(TurnCompleted)


def _children_matching(word: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid_chain_ok = int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid()
        if word in cmdline and ppid_chain_ok:
            pids.append(int(entry.name))
    return pids


async def test_a_server_that_dies_is_reported_once_and_servers_stop_with_the_session(
    fake_provider: FakeProvider, tmp_path: Path, time_server: str
) -> None:
    fake_provider.script(
        Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]),
        Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]),
        Reply(text="the clock is gone"),
        Reply(text="still here"),
    )
    session, sink, _ = await mcp_session(fake_provider, tmp_path, "chat", time_overrides(time_server))
    try:
        [pid] = _children_matching("mcp-server-time")
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        await session.run_turn("time?")
        await session.run_turn("and now?")
    finally:
        await session.aclose()
    ends = sink.of(McpToolCallEnd)
    assert ends[0].status == "failed" and "stopped" in (ends[0].error or "")
    assert "unknown MCP tool" in tool_outputs(fake_provider.requests[2].json), "the dead server's tools are gone"
    assert TIME_TOOL not in tool_names(fake_provider.requests[3].json)
    warnings = [w.message for w in sink.of(Warning) if w.message.startswith("MCP server 'time'")]
    assert len(warnings) == 1, warnings
    assert len(sink.of(TurnCompleted)) == 2


async def test_servers_stop_with_the_session(fake_provider: FakeProvider, tmp_path: Path, time_server: str) -> None:
    session, _, _ = await mcp_session(
        fake_provider, tmp_path, "chat", [*time_overrides(time_server), *time_overrides(time_server, "time2")]
    )
    pids = _children_matching("mcp-server-time")
    assert len(pids) == 2
    await session.aclose()
    assert _children_matching("mcp-server-time") == []


# --- server-everything: a node server, stdio mid-call death and streamable HTTP ----------------------
async def test_server_dying_mid_call_gives_an_error_result(
    fake_provider: FakeProvider, tmp_path: Path, everything: Path
) -> None:
    overrides = ['mcp_servers.ev.command="node"', f"mcp_servers.ev.args={json.dumps([str(everything), 'stdio'])}"]
    call = Call("mcp__ev__trigger_long_running_operation", '{"duration": 20, "steps": 20}')
    fake_provider.script(Reply(tool_calls=[call]), Reply(text="it broke"))
    session, sink, _ = await mcp_session(fake_provider, tmp_path, "messages", overrides)
    try:
        turn = asyncio.create_task(session.run_turn("run it"))
        while not sink.of(McpToolCallBegin):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        for pid in _children_matching(str(everything)):
            os.kill(pid, signal.SIGKILL)
        await asyncio.wait_for(turn, 30)
    finally:
        await session.aclose()
    end = sink.of(McpToolCallEnd)[0]
    assert end.status == "failed" and end.result is None
    assert len([w for w in sink.of(Warning) if w.message.startswith("MCP server 'ev'")]) == 1
    assert sink.of(TurnCompleted)


@pytest.mark.parametrize("wire", WIRES)
async def test_streamable_http_server_tools_images_and_structured_content(
    fake_provider: FakeProvider, tmp_path: Path, everything_http: str, wire: str
) -> None:
    fake_provider.script(
        Reply(
            tool_calls=[
                Call("mcp__everything__echo", '{"message": "hello over http"}', call_id="c1"),
                Call("mcp__everything__get_tiny_image", "{}", call_id="c2"),
            ]
        ),
        Reply(text="done"),
    )
    overrides = [f'mcp_servers.everything.url="{everything_http}"']
    session, sink, manager = await mcp_session(fake_provider, tmp_path, wire, overrides)
    try:
        assert manager.counts() == (1, 1), manager.statuses()
        await session.run_turn("echo")
    finally:
        await session.aclose()
    names = tool_names(fake_provider.requests[0].json)
    assert "mcp__everything__echo" in names and "mcp__everything__get_structured_content" in names
    sent = tool_outputs(fake_provider.requests[1].json)
    assert "hello over http" in sent and "<image 1: image/png, attached after this output>" in sent
    assert "image content omitted" not in sent
    statuses = [e.status for e in sink.of(McpToolCallEnd)]
    assert statuses == ["completed", "completed"]
    image_end = sink.of(McpToolCallEnd)[1]
    assert image_end.result is not None
    data = next(b["data"] for b in image_end.result["content"] if b["type"] == "image")
    # the next request carries the server's image, in the wire's own form, after the call's text
    assert sent_images(fake_provider.requests[1].json, wire) == [("image/png", data)]
    # the rollout keeps the image (an MCP image has no file to point at) and a resume sends it again
    result = next(i for i in session.history if isinstance(i, ToolResult) and i.call_id == "c2")
    assert item_from_json(json.loads(json.dumps(item_to_json(result)))) == result


def sent_images(request_json: dict[str, Any], wire: str) -> list[tuple[str, str]]:
    """(media type, base64) of every image a request sends back as (part of) a tool result."""
    found: list[tuple[str, str]] = []
    if wire == "responses":
        for item in request_json["input"]:
            if item.get("type") == "function_call_output" and isinstance(item["output"], list):
                found += [_data_url(p["image_url"]) for p in item["output"] if p["type"] == "input_image"]
    elif wire == "messages":
        for message in request_json["messages"]:
            for block in message["content"] if isinstance(message["content"], list) else []:
                if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                    for part in block["content"]:
                        if part["type"] == "image":
                            found.append((part["source"]["media_type"], part["source"]["data"]))
    else:  # Chat: tool messages are text; the images follow the group of tool messages as a user message
        messages = request_json["messages"]
        for before, message in itertools.pairwise(messages):
            if before["role"] == "tool" and message["role"] == "user" and isinstance(message["content"], list):
                found += [_data_url(p["image_url"]["url"]) for p in message["content"] if p["type"] == "image_url"]
    return found


def _data_url(url: str) -> tuple[str, str]:
    header, _, data = url.partition(",")
    return header.removeprefix("data:").split(";")[0], data


def test_undecodable_and_audio_content_stay_placeholders() -> None:
    from mcp.types import AudioContent, CallToolResult, ImageContent, TextContent

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + b"IHDR" + bytes(17)).decode()
    result = CallToolResult(
        content=[
            TextContent(type="text", text="look"),
            ImageContent(type="image", data="bm90IGFuIGltYWdl", mimeType="image/png"),  # "not an image"
            AudioContent(type="audio", data="AAAA", mimeType="audio/wav"),
            ImageContent(type="image", data=png, mimeType="image/png"),
        ]
    )
    images = model_images(result)
    assert images[0] is None and images[1] is not None and len(images) == 2
    text = model_text(result, duration_s=0.5, cut=lambda body: body, images=images)
    assert "<image content omitted: image/png, 16 bytes of base64>" in text
    assert "<image content omitted: audio/wav, 4 bytes of base64>" in text
    assert "<image 1: image/png, attached after this output>" in text
    structured = CallToolResult(content=result.content, structuredContent={"ok": True})
    assert model_images(structured) == [], "structuredContent is what the model gets (Codex's rule)"


# --- exec --------------------------------------------------------------------------------------------
def _exec_home(isolated_home: Path, fake: FakeProvider, servers: str) -> None:
    (isolated_home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n'
        f'[model_providers.fake]\nbase_url = "{fake.base_url}"\nwire_api = "responses"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n" + servers
    )


def _exec(*args: str, cwd: Path, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-m", "codex_py", *args],
        cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_exec_json_emits_codex_mcp_tool_call_items(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path, time_server: str
) -> None:
    servers = f'[mcp_servers.time]\ncommand = "{time_server}"\nargs = ["--local-timezone", "UTC"]\nrequired = true\n'
    _exec_home(isolated_home, fake_provider, servers)
    fake_provider.script(
        Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]),
        Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "Bad/Zone"}')]),
        Reply(text="done"),
    )
    out = _exec("exec", "--json", "-s", "read-only", "time?", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    items = [json.loads(line) for line in out.stdout.splitlines()]
    mcp = [e for e in items if e.get("item", {}).get("type") == "mcp_tool_call"]
    assert [e["type"] for e in mcp] == ["item.started", "item.completed", "item.started", "item.completed"]
    started, completed, _, failed = (e["item"] for e in mcp)
    assert started == {
        "id": started["id"], "type": "mcp_tool_call", "server": "time", "tool": "get_current_time",
        "arguments": {"timezone": "UTC"}, "result": None, "error": None, "status": "in_progress",
    }  # fmt: skip
    assert completed["id"] == started["id"] and completed["status"] == "completed" and completed["error"] is None
    assert completed["result"]["content"][0]["type"] == "text"
    assert completed["result"]["structured_content"]["timezone"] == "UTC"
    assert failed["status"] == "failed" and failed["result"]["content"], "isError: failed, result still filled"


def test_exec_human_output_and_a_failed_required_server_exits_1(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path, time_server: str
) -> None:
    servers = f'[mcp_servers.time]\ncommand = "{time_server}"\nrequired = true\n'
    _exec_home(isolated_home, fake_provider, servers)
    fake_provider.script(Reply(tool_calls=[Call(TIME_TOOL, '{"timezone": "UTC"}')]), Reply(text="done"))
    out = _exec("exec", "-s", "read-only", "time?", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'tool time.get_current_time({"timezone": "UTC"})' in out.stderr and "success in" in out.stderr

    _exec_home(isolated_home, fake_provider, '[mcp_servers.gone]\ncommand = "no-such-server-xyz"\nrequired = true\n')
    out = _exec("exec", "-s", "read-only", "time?", cwd=tmp_path)
    assert out.returncode == 1
    assert "required MCP servers failed to initialize: gone: failed to start: command not found" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("args", [("--version",), ("exec", "-s", "read-only", "hi")])
def test_no_mcp_server_configured_imports_nothing_of_mcp(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    _exec_home(isolated_home, fake_provider, "")
    fake_provider.script(Reply(text="ok"))
    out = _exec(*args, cwd=tmp_path, flags=("-X", "importtime"))
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "codex_py" in imported
    assert not [
        m for m in imported if m in ("mcp", "mcp_types", "codex_py.mcp") or m.startswith(("mcp.", "codex_py.mcp."))
    ]


# --- codex-py mcp add/list/get/remove ------------------------------------------------------------------
def test_mcp_cli_edits_config_keeping_comments(isolated_home: Path, tmp_path: Path) -> None:
    config = isolated_home / "config.toml"
    config.write_text('# my settings\nmodel = "o3"  # keep me\n')
    out = _exec(
        "mcp", "add", "time", "--env", "TZ=UTC", "--", "mcp-server-time", "--local-timezone", "UTC", cwd=tmp_path
    )
    assert out.returncode == 0 and out.stdout.strip() == "Added global MCP server 'time'.", out.stderr
    assert _exec("mcp", "add", "docs", "--url", "http://127.0.0.1:9/mcp", "--bearer-token-env-var", "DOCS_TOKEN",
                 cwd=tmp_path).returncode == 0  # fmt: skip
    text = config.read_text()
    assert text.startswith('# my settings\nmodel = "o3"  # keep me\n')
    loaded = load_config(CliOverrides()).mcp_servers
    assert loaded["time"].command == "mcp-server-time" and loaded["time"].args == ["--local-timezone", "UTC"]
    assert loaded["time"].env == {"TZ": "UTC"} and loaded["docs"].bearer_token_env_var == "DOCS_TOKEN"

    listed = json.loads(_exec("mcp", "list", "--json", cwd=tmp_path).stdout)
    assert [(e["name"], e["transport"]["type"], e["auth_status"]) for e in listed] == [
        ("time", "stdio", "unsupported"),
        ("docs", "streamable_http", "bearer_token"),
    ]
    human = _exec("mcp", "list", cwd=tmp_path).stdout
    assert "TZ=*****" in human and "UTC\n" not in human.split("TZ=")[1][:6], "env values are masked"
    assert "remove: codex-py mcp remove time" in _exec("mcp", "get", "time", cwd=tmp_path).stdout

    assert _exec("mcp", "remove", "docs", cwd=tmp_path).stdout.strip() == "Removed global MCP server 'docs'."
    assert _exec("mcp", "remove", "docs", cwd=tmp_path).stdout.strip() == "No MCP server named 'docs' found."
    assert "docs" not in load_config(CliOverrides()).mcp_servers and "# keep me" in config.read_text()
    bad = _exec("mcp", "add", "bad name", "--", "x", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid server name 'bad name'" in bad.stderr
    both = _exec("mcp", "add", "x", "--url", "http://a", "--", "prog", cwd=tmp_path)
    assert both.returncode == 2 and "exactly one transport" in both.stderr


# --- project-level servers ------------------------------------------------------------------------
def _project_with_a_server(tmp_path: Path, time_server: str) -> Path:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / ".codex-py").mkdir()
    (project / ".codex-py" / "config.toml").write_text(
        f'[mcp_servers.ptime]\ncommand = "{time_server}"\nargs = ["--local-timezone", "UTC"]\nrequired = true\n'
    )
    (project / "sub").mkdir()
    return project


def test_project_servers_start_only_in_a_trusted_project_as_accepted(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path, time_server: str
) -> None:
    """A project's `.codex-py/config.toml` may add MCP servers only once the user trusts the project and accepts
    its servers (`codex-py mcp accept` records `[projects."<root>"] trust_level = "trusted"` and their hash): an
    untrusted project, or servers changed since (a command can write the workspace), start nothing and give
    one warning naming the file and what to run."""
    project = _project_with_a_server(tmp_path, time_server)
    _exec_home(isolated_home, fake_provider, "")
    nothing = _exec("mcp", "accept", cwd=tmp_path)
    assert nothing.returncode == 1 and nothing.stdout.startswith("No project MCP servers here")
    fake_provider.script(Reply(text="no tools"))
    out = _exec("exec", "-s", "read-only", "time?", cwd=project / "sub")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ptime" not in json.dumps(fake_provider.requests[-1].json)
    warning = [line for line in out.stderr.splitlines() if "not trusted" in line]
    assert len(warning) == 1 and str(project / ".codex-py" / "config.toml") in warning[0], out.stderr
    assert f'[projects."{project}"] trust_level = "trusted"' in warning[0] and "codex-py mcp accept" in warning[0]

    # trusted by hand (Codex's key alone): the servers were never accepted, so they do not start
    _exec_home(isolated_home, fake_provider, f'[projects."{project}"]\ntrust_level = "trusted"\n')
    fake_provider.script(Reply(text="still no tools"))
    out = _exec("exec", "-s", "read-only", "time?", cwd=project / "sub")
    assert "ptime" not in json.dumps(fake_provider.requests[-1].json)
    assert "new or changed since you accepted them" in out.stderr

    accepted = _exec("mcp", "accept", cwd=project / "sub")
    assert accepted.returncode == 0, accepted.stderr
    assert f"ptime: {time_server} --local-timezone UTC" in accepted.stdout
    assert 'mcp_servers_sha256 = "sha256:' in (isolated_home / "config.toml").read_text()
    fake_provider.script(
        Reply(tool_calls=[Call("mcp__ptime__get_current_time", '{"timezone": "UTC"}')]), Reply(text="ok")
    )
    out = _exec("exec", "-s", "read-only", "time?", cwd=project / "sub")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "were not started" not in out.stderr
    assert "mcp__ptime__get_current_time" in tool_names(fake_provider.requests[-2].json)
    assert "day_of_week" in tool_outputs(fake_provider.requests[-1].json)  # the project's server answered

    # a command (the model's, under workspace-write) appends a server: nothing of it starts
    marker = tmp_path / "planted-server-ran"
    with (project / ".codex-py" / "config.toml").open("a") as handle:
        handle.write(f'[mcp_servers.planted]\ncommand = "sh"\nargs = ["-c", "touch {marker}"]\n')
    fake_provider.script(Reply(text="after the edit"))
    out = _exec("exec", "-s", "read-only", "time?", cwd=project / "sub")
    assert out.returncode == 0, out.stderr[-2000:]
    assert not marker.exists(), "a server added to the project file by a command started"
    assert "ptime" not in json.dumps(fake_provider.requests[-1].json)
    assert "new or changed since you accepted them" in out.stderr


def test_dont_ask_again_for_a_project_server_is_written_to_the_project_file(
    isolated_home: Path, tmp_path: Path, time_server: str
) -> None:
    """As Codex: the choice goes to the file that defines the server; the project stays accepted (the change is the
    user's) unless its servers had changed since they were accepted (then nothing is written)."""
    from codex_py.config import CliOverrides, ConfigError, load_config
    from codex_py.mcp.commands import set_tool_approval

    project = _project_with_a_server(tmp_path, time_server)
    project_file = project / ".codex-py" / "config.toml"
    (isolated_home / "config.toml").write_text("# mine\n")
    assert _exec("mcp", "accept", cwd=project).returncode == 0
    set_tool_approval("ptime", "get_current_time", "approve", project / "sub")
    assert 'approval_mode = "approve"' in project_file.read_text()
    assert "[mcp_servers.ptime.tools.get_current_time]" not in (isolated_home / "config.toml").read_text()
    config = load_config(CliOverrides(cd=project / "sub"))
    assert config.mcp_servers["ptime"].tools["get_current_time"].approval_mode == "approve"  # still accepted

    before = project_file.read_text() + '[mcp_servers.planted]\ncommand = "sh"\n'
    project_file.write_text(before)
    home_before = (isolated_home / "config.toml").read_text()
    with pytest.raises(ConfigError, match="changed since you accepted them"):
        set_tool_approval("ptime", "convert_time", "approve", project / "sub")
    assert project_file.read_text() == before and (isolated_home / "config.toml").read_text() == home_before
