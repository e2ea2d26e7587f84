"""Recorded real-world streams (../shared/conformance/streams) decode to the expected results.

Each body is served over real HTTP from 127.0.0.1, once in a single write and once in random
1-7 byte pieces (line reassembly, split UTF-8), and decoded by the real provider client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from codex_py.config.model import ProviderInfo
from codex_py.protocol import (
    AssistantMessage,
    Completed,
    ItemDone,
    ModelRequest,
    Reasoning,
    StopReason,
    StreamError,
    TextDelta,
    ToolCall,
    UserMessage,
)
from codex_py.protocol.types import ErrorKind
from codex_py.providers import open_client
from tests.agent_support import RawServer

WIRES = ("responses", "chat", "messages")


@dataclass
class Decoded:
    text: str = ""
    reasoning: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)
    encrypted: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    deltas: str = ""
    end: Completed | StreamError | None = None


def _cases(root: Path) -> Iterator[tuple[str, str]]:
    for wire in WIRES:
        for path in sorted((root / "streams" / wire).glob("*.expected.json")):
            yield wire, path.name.removesuffix(".expected.json")


CASES = [(w, n) for w, n in _cases(Path(__file__).resolve().parent.parent.parent / "shared" / "conformance")]


async def _decode(wire: str, name: str, root: Path, chunked: bool) -> tuple[Decoded, dict[str, Any]]:
    folder = root / "streams" / wire
    expected = json.loads((folder / f"{name}.expected.json").read_text())
    if expected.get("is_sse") is False:
        body = (folder / f"{name}.body.json").read_bytes()
        headers = {"x-should-retry": "true"} if wire == "messages" else {}
        server = RawServer(expected["http_status"], expected["content_type"], body, chunked=chunked, headers=headers)
    else:
        body = (folder / f"{name}.sse").read_bytes()
        server = RawServer(200, "text/event-stream; charset=utf-8", body, chunked=chunked, headers={})
    provider = ProviderInfo(
        name="Recorded",
        id="recorded",
        base_url=f"http://127.0.0.1:{server.port}/v1",
        wire_api=wire,  # type: ignore[arg-type]
        request_max_retries=0,
        stream_max_retries=0,
    )
    client = open_client(provider, extra_headers={"authorization": "Bearer dummy"})
    out = Decoded()
    try:
        request = ModelRequest(model=expected.get("model") or "m", instructions="hi", items=[UserMessage.of("x")])
        async for event in client.stream(request):
            if isinstance(event, TextDelta):
                out.deltas += event.text
            elif isinstance(event, ItemDone):
                item = event.item
                if isinstance(item, AssistantMessage):
                    out.text += item.text
                elif isinstance(item, Reasoning):
                    if "redacted" in item.payload:
                        out.redacted.append(item.payload["redacted"])
                    else:
                        out.reasoning.append(item.text)
                    if item.payload.get("signature"):
                        out.signatures.append(item.payload["signature"])
                    if item.payload.get("encrypted_content"):
                        out.encrypted.append(item.payload["encrypted_content"])
                elif isinstance(item, ToolCall):
                    out.calls.append(item)
            elif isinstance(event, Completed | StreamError):
                assert out.end is None, "exactly one terminal event"
                out.end = event
    finally:
        await client.aclose()
        server.close()
    return out, expected


def _stop_ok(wire: str, expected: dict[str, Any], got: StopReason) -> bool:
    stop = expected["stop_reason"]
    if wire == "responses":
        if stop == "incomplete":
            return got is StopReason.MAX_TOKENS
        return got in (StopReason.END_TURN, StopReason.TOOL_USE) and (got is StopReason.TOOL_USE) == bool(
            expected["tool_calls"]
        )
    if wire == "chat":
        if expected.get("refusal"):
            return got is StopReason.REFUSAL
        return (
            got
            is {"stop": StopReason.END_TURN, "tool_calls": StopReason.TOOL_USE, "length": StopReason.MAX_TOKENS}[stop]
        )
    return got.value == stop


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "chunked"])
@pytest.mark.parametrize(("wire", "name"), CASES, ids=[f"{w}/{n}" for w, n in CASES])
async def test_recorded_stream_decodes(conformance_dir: Path, wire: str, name: str, chunked: bool) -> None:
    got, expected = await _decode(wire, name, conformance_dir, chunked)
    if expected.get("is_sse") is False:
        assert isinstance(got.end, StreamError)
        assert got.end.status == expected["http_status"]
        assert expected["error"]["message"] in got.end.message
        assert expected["error"]["type"] in got.end.message
        kinds = {400: ErrorKind.BAD_REQUEST, 404: ErrorKind.NOT_FOUND, 429: ErrorKind.RATE_LIMIT}
        assert got.end.kind is kinds[expected["http_status"]]
        assert got.text == "" and not got.calls
        return
    assert isinstance(got.end, Completed), got.end
    assert got.text == expected["text"] + (expected.get("refusal") or "")
    assert got.deltas == got.text, "deltas must add up to the authoritative text"
    if wire == "responses":
        assert "\n\n".join(r for r in got.reasoning if r) == expected["reasoning"]
        if expected.get("encrypted_content"):
            done = expected.get("encrypted_content_from_output_item_done") or []
            assert got.encrypted in (expected["encrypted_content"], done)
    else:
        assert "".join(got.reasoning) == expected["reasoning"]
    assert got.signatures == expected["signatures"]
    assert got.redacted == expected.get("redacted_thinking", [])
    assert [(c.call_id, c.name) for c in got.calls] == [(c["id"], c["name"]) for c in expected["tool_calls"]]
    assert [json.loads(c.arguments or "{}") for c in got.calls] == [c["arguments"] for c in expected["tool_calls"]]
    assert _stop_ok(wire, expected, got.end.stop_reason), (got.end.stop_reason, expected["stop_reason"])
    usage = expected["usage"]
    if usage is None:
        assert got.end.usage is None
        return
    assert got.end.usage is not None
    u = got.end.usage
    if wire == "messages":
        written = usage.get("cache_creation_input_tokens") or 0
        read = usage.get("cache_read_input_tokens") or 0
        assert u.input_tokens == usage["input_tokens"] + written + read
        assert u.cache_write_tokens == written
    else:
        assert u.input_tokens == usage["input_tokens"]
    assert u.output_tokens == usage["output_tokens"]
    if usage.get("cached_tokens") is not None:
        assert u.cached_input_tokens == usage["cached_tokens"]
    if usage.get("reasoning_tokens") is not None:
        assert u.reasoning_output_tokens == usage["reasoning_tokens"]
