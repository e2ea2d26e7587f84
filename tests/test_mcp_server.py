"""``codex-py mcp-server`` driven by the official ``mcp`` client SDK over stdio (``stdio_client`` spawning the real
command): list the tools, call ``codex`` with a prompt the loopback fake model answers, then ``codex-reply``
on the same thread; progress and ``codex/event`` notifications stream while a turn runs; a command that needs
approval is asked of the client through elicitation (or declined by the policy when it cannot elicit).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from codex_py.config import CliOverrides
from codex_py.mcp_server.tools import ToolArgumentError, codex_overrides, config_overrides, reply_arguments
from tests.support.fake_provider import Call, FakeProvider, Reply

mcp = pytest.importorskip("mcp")
from mcp import types  # noqa: E402
from mcp.client.extension import NotificationBinding  # noqa: E402
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402


class CodexEvent(BaseModel):
    """A ``codex/event`` notification's params (Codex's shape)."""

    meta: dict[str, Any] = Field(alias="_meta")
    id: str
    msg: dict[str, Any]


def write_config(home: Path, fake: FakeProvider) -> None:
    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n'
        f'[model_providers.fake]\nbase_url = "{fake.base_url}"\nwire_api = "responses"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n"
    )


@asynccontextmanager
async def client(
    home: Path,
    cwd: Path,
    *,
    elicitation: Callable[[Any, Any], Awaitable[Any]] | None = None,
    events: list[CodexEvent] | None = None,
) -> AsyncIterator[ClientSession]:
    env = {"CODEX_PY_HOME": str(home), "CODEX_PY_CREDENTIALS_STORE": "file", "PATH": os.environ["PATH"]}
    params = StdioServerParameters(command=sys.executable, args=["-m", "codex_py", "mcp-server"], env=env, cwd=cwd)

    async def on_event(event: CodexEvent) -> None:
        if events is not None:
            events.append(event)

    binding = NotificationBinding(method="codex/event", params_type=CodexEvent, handler=on_event)
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, elicitation_callback=elicitation, notification_bindings=[binding]) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def test_list_tools_then_codex_then_codex_reply(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    write_config(isolated_home, fake_provider)
    fake_provider.script(Reply(text="Hello from the fake model."), Reply(text="Second answer, same thread."))
    progress: list[tuple[float, str | None]] = []
    events: list[CodexEvent] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    async with client(isolated_home, tmp_path, events=events) as session:
        listed = await session.list_tools()
        by_name = {t.name: t for t in listed.tools}
        assert set(by_name) == {"codex", "codex-reply"}
        codex = by_name["codex"]
        assert codex.input_schema["required"] == ["prompt"]
        for knob in ("model", "profile", "cwd", "approval-policy", "sandbox", "config", "base-instructions"):
            assert knob in codex.input_schema["properties"]
        assert codex.output_schema is not None and codex.output_schema["required"] == ["threadId", "content"]

        first = await session.call_tool(
            "codex",
            {"prompt": "say hello", "sandbox": "read-only", "developer-instructions": "Be brief."},
            progress_callback=on_progress,
        )
        assert not first.is_error, text_of(first)
        assert text_of(first) == "Hello from the fake model."
        assert first.structured_content is not None
        thread = first.structured_content["threadId"]
        assert first.structured_content["content"] == "Hello from the fake model." and thread
        assert "Be brief." in json.dumps(fake_provider.requests[0].json), "developer-instructions reach the model"
        assert [m for _, m in progress][:1] == ["turn started"] and ("turn completed" in [m for _, m in progress])

        second = await session.call_tool("codex-reply", {"prompt": "again", "threadId": thread})
        assert not second.is_error and text_of(second) == "Second answer, same thread."
        assert second.structured_content == {"threadId": thread, "content": "Second answer, same thread."}
        history = json.dumps(fake_provider.requests[1].json)
        assert "say hello" in history and "Hello from the fake model." in history, "the reply continues the thread"

        missing = await session.call_tool("codex-reply", {"prompt": "x"})
        assert missing.is_error and text_of(missing) == "either threadId or conversationId must be provided"
        bad = await session.call_tool("codex", {"prompt": "x", "sandbox": "everything"})
        assert bad.is_error and "unknown sandbox 'everything'" in text_of(bad)
    types_seen = [e.msg["type"] for e in events if e.meta["threadId"] == thread]
    assert types_seen[0] == "task_started" and "agent_message_delta" in types_seen
    assert types_seen.count("task_complete") == 2, "both turns streamed"
    complete = next(e.msg for e in events if e.msg["type"] == "task_complete")
    assert complete["last_message"] == "Hello from the fake model."


async def test_approval_goes_to_the_client_by_elicitation(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    """A command outside the policy is asked of the client; its "denied" reaches the model, its "approved" runs
    the command. Mutation caught: creating the session with interactive=False (no elicitation)."""
    write_config(isolated_home, fake_provider)
    marker = tmp_path / "made.txt"
    touch = json.dumps({"command": ["touch", str(marker)]})
    fake_provider.script(
        Reply(tool_calls=[Call("shell", touch, call_id="c1")]),
        Reply(text="It was refused."),
        Reply(tool_calls=[Call("shell", touch, call_id="c2")]),
        Reply(text="Made it."),
    )
    asked: list[Any] = []
    answers = iter(["denied", "approved"])

    async def elicit(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params)
        return types.ElicitResult(action="accept", content={"decision": next(answers)})

    async with client(isolated_home, tmp_path, elicitation=elicit) as session:
        args = {
            "prompt": "make a file",
            "approval-policy": "untrusted",
            "sandbox": "workspace-write",
            "cwd": str(tmp_path),
        }
        first = await session.call_tool("codex", args)
        assert not first.is_error and text_of(first) == "It was refused."
        assert len(asked) == 1 and asked[0].message == f"Allow Codex to run `touch {marker}` in `{tmp_path}`?"
        assert not marker.exists()
        assert "rejected" in json.dumps(fake_provider.requests[1].json)
        thread = first.structured_content["threadId"] if first.structured_content else ""
        second = await session.call_tool("codex-reply", {"prompt": "please", "threadId": thread})
        assert text_of(second) == "Made it." and len(asked) == 2
    assert marker.exists()


async def test_without_elicitation_the_policy_declines(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    write_config(isolated_home, fake_provider)
    marker = tmp_path / "never.txt"
    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["touch", str(marker)]}), call_id="c1")]),
        Reply(text="Could not."),
    )
    async with client(isolated_home, tmp_path) as session:
        args = {"prompt": "make a file", "approval-policy": "untrusted", "sandbox": "read-only"}
        result = await session.call_tool("codex", args)
    assert text_of(result) == "Could not." and not marker.exists()


def test_arguments_become_overrides(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    base = CliOverrides(config=["a=1"])
    prompt, cli = codex_overrides(
        {
            "prompt": "p",
            "model": "o3",
            "provider": "anthropic",
            "cwd": "sub",
            "approval-policy": "never",
            "sandbox": "workspace-write",
            "config": {"model_reasoning_effort": "high", "tui": {"theme": "nord"}, "list": [1, 2]},
            "base-instructions": 'Say "hi"',
        },
        base,
        tmp_path,
    )
    assert prompt == "p" and cli.model == "o3" and cli.provider == "anthropic" and cli.cd == tmp_path / "sub"
    assert cli.approval == "never" and cli.sandbox == "workspace-write"
    assert cli.config == [
        "a=1",
        'model_reasoning_effort="high"',
        'tui.theme="nord"',
        "list=[1, 2]",
        'instructions="Say \\"hi\\""',
    ]
    assert config_overrides({"mcp_servers": {"x": {"env": {}}}}) == ["mcp_servers.x.env={}"]
    assert config_overrides(None) == []
    with pytest.raises(ToolArgumentError, match="is not a directory"):
        codex_overrides({"prompt": "p", "cwd": "nope"}, base, tmp_path)
    with pytest.raises(ToolArgumentError, match="missing 'prompt'"):
        codex_overrides({}, base, tmp_path)
    assert reply_arguments({"prompt": "p", "conversationId": "abc"}) == ("p", "abc")


async def test_codex_reply_resumes_a_thread_from_an_earlier_server_process(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    write_config(isolated_home, fake_provider)
    fake_provider.script(Reply(text="First process."), Reply(text="Second process."))
    async with client(isolated_home, tmp_path) as session:
        first = await session.call_tool("codex", {"prompt": "remember the word kiwi"})
    thread = first.structured_content["threadId"] if first.structured_content else ""
    async with client(isolated_home, tmp_path) as session:
        second = await session.call_tool("codex-reply", {"prompt": "which word?", "conversationId": thread})
        unknown = await session.call_tool("codex-reply", {"prompt": "x", "threadId": "no-such-thread"})
    assert text_of(second) == "Second process." and second.structured_content == {
        "threadId": thread,
        "content": "Second process.",
    }
    assert "remember the word kiwi" in json.dumps(fake_provider.requests[1].json)
    assert unknown.is_error and text_of(unknown).startswith("Codex runtime error: ")
