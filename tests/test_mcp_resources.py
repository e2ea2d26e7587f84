"""MCP resources (``@server:uri``), prompts (``/mcp__server__prompt key=value``) and elicitation, with the real
``@modelcontextprotocol/server-everything`` (npm) over stdio; skipped where node/npm cannot install it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codex_py.agent.events import TurnFailed, Warning
from codex_py.mcp.attach import mentions
from codex_py.mcp.manager import Elicitation
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_mcp import _exec, _exec_home, everything, mcp_session

__all__ = ["everything"]  # the fixture


def ev_overrides(entry: Path) -> list[str]:
    return ['mcp_servers.ev.command="node"', f"mcp_servers.ev.args={json.dumps([str(entry), 'stdio'])}"]


def sent_text(fake: FakeProvider, index: int = 0) -> str:
    return json.dumps(fake.requests[index].json.get("input") or fake.requests[index].json.get("messages"))


async def test_resources_are_listed_and_an_at_mention_attaches_the_text(
    fake_provider: FakeProvider, tmp_path: Path, everything: Path
) -> None:
    fake_provider.script(Reply(text="read it"))
    session, sink, manager = await mcp_session(fake_provider, tmp_path, "responses", ev_overrides(everything))
    try:
        listed = {r.uri for r in manager.resources()}
        assert any(uri.startswith("demo://resource/static/document/") for uri in listed), listed
        uri = "demo://resource/dynamic/text/1"  # a templated resource: readable though not listed
        assert mentions(manager, f"see @ev:{uri}, and mail me@example.com") == [("ev", uri)]
        await session.run_turn(f"summarise @ev:{uri}. Also @ev:demo://nope/404")
    finally:
        await session.aclose()
    sent = sent_text(fake_provider)
    assert f'<mcp_resource server=\\"ev\\" uri=\\"{uri}\\">' in sent and "Resource 1" in sent
    [warning] = [w.message for w in sink.of(Warning)]
    assert warning.startswith("could not attach @ev:demo://nope/404:")


async def test_an_mcp_prompt_is_expanded_into_the_turn(
    fake_provider: FakeProvider, tmp_path: Path, everything: Path
) -> None:
    fake_provider.script(Reply(text="sunny"))
    session, sink, manager = await mcp_session(fake_provider, tmp_path, "chat", ev_overrides(everything))
    try:
        assert {p.command for p in manager.prompts()} >= {"mcp__ev__simple-prompt", "mcp__ev__args-prompt"}
        await session.run_turn("/mcp__ev__args-prompt")  # city is required
        await session.run_turn('/mcp__ev__args-prompt city="New York" state=NY')
    finally:
        await session.aclose()
    [failed] = sink.of(TurnFailed)
    assert failed.message == "/mcp__ev__args-prompt needs city (usage: /mcp__ev__args-prompt city=… [state=…])"
    assert len(fake_provider.requests) == 1  # the failed one sent nothing
    sent = sent_text(fake_provider)
    assert "New York" in sent and "NY" in sent and "/mcp__ev__args-prompt" not in sent


def test_exec_cancels_an_elicitation_with_one_line(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path, everything: Path
) -> None:
    servers = (
        f'[mcp_servers.ev]\ncommand = "node"\nargs = {json.dumps([str(everything), "stdio"])}\nrequired = true\n'
        'default_tools_approval_mode = "approve"\n'
    )
    _exec_home(isolated_home, fake_provider, servers)
    fake_provider.script(Reply(tool_calls=[Call("mcp__ev__trigger_elicitation_request", "{}")]), Reply(text="ok"))
    out = _exec("exec", "--json", "-s", "read-only", "ask me", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    notes = [line for line in out.stdout.splitlines() + out.stderr.splitlines() if "asked for input" in line]
    assert len(notes) == 1 and "cancelled: nobody can answer here" in notes[0]
    result = sent_text(fake_provider, 1)
    assert "cancel" in result


async def test_an_elicitation_is_answered_by_the_handler(
    fake_provider: FakeProvider, tmp_path: Path, everything: Path
) -> None:
    fake_provider.script(Reply(tool_calls=[Call("mcp__ev__trigger_elicitation_request", "{}")]), Reply(text="ok"))
    seen: list[Elicitation] = []

    async def answer(request: Elicitation) -> tuple[str, dict[str, object] | None]:
        seen.append(request)
        return "accept", {"name": "Ada Lovelace", "check": True}

    session, _, manager = await mcp_session(
        fake_provider, tmp_path, "messages", ev_overrides(everything), approval="never", wait=False
    )
    manager.on_elicit = answer
    await manager.wait()
    try:
        await session.run_turn("ask me")
    finally:
        await session.aclose()
    [request] = seen
    assert request.server == "ev" and "name" in request.schema["properties"]
    assert "Ada Lovelace" in sent_text(fake_provider, 1)


def test_exec_attaches_a_resource_and_expands_a_prompt_of_a_server_still_starting(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path, everything: Path
) -> None:
    """exec starts servers that are not ``required`` only after the first request: a mention waits for its server."""
    servers = f'[mcp_servers.ev]\ncommand = "node"\nargs = {json.dumps([str(everything), "stdio"])}\n'
    _exec_home(isolated_home, fake_provider, servers)
    fake_provider.script(Reply(text="one"), Reply(text="two"))
    out = _exec("exec", "-s", "read-only", "summarise @ev:demo://resource/dynamic/text/2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Resource 2" in sent_text(fake_provider, 0)
    out = _exec("exec", "-s", "read-only", "/mcp__ev__args-prompt city=Lyon", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Lyon" in sent_text(fake_provider, 1)


async def test_the_model_lists_and_reads_resources_with_codex_s_tools(
    fake_provider: FakeProvider, tmp_path: Path, everything: Path
) -> None:
    """list_mcp_resources / list_mcp_resource_templates / read_mcp_resource (Codex's names and arguments): JSON in
    MCP's field names for one server, across every server, by page, and errors the model can act on."""
    from codex_py.agent.events import McpToolCallEnd
    from tests.test_mcp import tool_names, tool_outputs

    uri = "demo://resource/dynamic/text/1"
    fake_provider.script(
        Reply(
            tool_calls=[
                Call("list_mcp_resources", '{"server": "ev"}', call_id="l1"),
                Call("list_mcp_resources", "{}", call_id="l2"),
                Call("list_mcp_resource_templates", '{"server": "ev"}', call_id="t1"),
                Call("read_mcp_resource", json.dumps({"server": "ev", "uri": uri}), call_id="r1"),
                Call("read_mcp_resource", '{"server": "nope", "uri": "x://y"}', call_id="r2"),
                Call("list_mcp_resources", '{"cursor": "abc"}', call_id="l3"),
                Call("read_mcp_resource", '{"server": "ev", "uri": "demo://resource/dynamic/blob/1"}', call_id="r3"),
            ]
        ),
        Reply(text="done"),
    )
    session, sink, manager = await mcp_session(fake_provider, tmp_path, "chat", ev_overrides(everything))
    try:
        assert manager.resource_servers() == ["ev"]
        await session.run_turn("what resources are there?")
    finally:
        await session.aclose()
    offered = tool_names(fake_provider.requests[0].json)
    assert {"list_mcp_resources", "list_mcp_resource_templates", "read_mcp_resource"} <= set(offered)
    ends = {e.call_id: e for e in sink.of(McpToolCallEnd)}
    statuses = [ends[c].status for c in ("l1", "l2", "t1", "r1", "r2", "l3", "r3")]
    assert statuses == ["completed"] * 4 + ["failed"] * 2 + ["completed"]
    assert (ends["l1"].server, ends["l1"].tool) == ("ev", "list_mcp_resources")
    assert ends["l2"].server == "codex"  # a list across every server

    def answer(call_id: str) -> dict[str, Any]:
        result = ends[call_id].result
        assert result is not None
        parsed: dict[str, Any] = json.loads(result["content"][0]["text"])
        return parsed

    one = answer("l1")
    assert one["server"] == "ev"
    listed = one["resources"]
    assert isinstance(listed, list) and listed and all(r["server"] == "ev" and "uri" in r for r in listed)
    assert any(str(r["uri"]).startswith("demo://resource/static/document/") for r in listed)
    assert "mimeType" in json.dumps(listed)  # MCP's own field names
    every = answer("l2")
    assert {r["uri"] for r in every["resources"]} >= {r["uri"] for r in listed}
    templates = answer("t1")["resourceTemplates"]
    assert isinstance(templates, list) and any("{" in t["uriTemplate"] for t in templates)
    read = answer("r1")
    assert read["uri"] == uri and "Resource 1" in json.dumps(read["contents"])
    assert ends["r2"].error == "unknown MCP server 'nope': the servers with resources are ev"
    assert "can only be used with `server`" in str(ends["l3"].error)
    [binary] = answer("r3")["contents"]
    assert "blob" not in binary and str(binary["text"]).startswith("[binary ")
    assert str(binary["text"]).endswith(" bytes not included]")
    sent = tool_outputs(fake_provider.requests[1].json)
    assert "Resource 1" in sent and "unknown MCP server" in sent
