"""A misbehaving model server cannot exhaust memory or hold a turn forever (issue 11 item 13).

The real provider client streams from the loopback fake provider, which never finishes: endless text
deltas, a line that never ends, ``: keepalive`` comments forever, slow endless deltas. Each ends the
response with one ``StreamError`` naming the provider and the setting to change; the next request on the
same client works; ``exec`` ends the turn with a one-line error and ``exec resume`` goes on.
Unit tests at the SSE layer pin the byte limits, linear-time long lines and CR/LF split across reads.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from codex_py.protocol.events import Completed, Event, StreamError, StreamRestart, TextDelta
from codex_py.protocol.types import ErrorKind
from codex_py.providers import ModelClient
from codex_py.providers._sse import MAX_EVENT_BYTES, StreamLimitError, iter_sse_data
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Reply
from tests.test_exec_e2e import QUIET
from tests.test_exec_e2e import run as run_exec
from tests.test_providers_stream import make_client, make_request

WIRES = ["responses", "chat", "messages"]
GUARD_S = 60.0
"""No test may wait on a server that never finishes: without the limits these would hang here and fail."""


async def stream_once(client: ModelClient, wire: str) -> list[Event]:
    async with asyncio.timeout(GUARD_S):
        return [event async for event in client.stream(make_request(wire))]


def failure(events: list[Event]) -> StreamError:
    assert isinstance(events[-1], StreamError), events[-3:]
    error = events[-1]
    assert "\n" not in error.message and "Fake" in error.message and error.hint
    return error


@pytest.mark.parametrize("wire", WIRES)
async def test_endless_text_deltas_stop_at_the_response_cap(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text_chunks=["all work and no play "], endless="text"), Reply(text="after"))
    client = make_client(fake_provider, wire, stream_max_response_bytes=2 * 1024 * 1024)
    try:
        events = await stream_once(client, wire)
        error = failure(events)
        assert error.kind is ErrorKind.STREAM and "passed 2 MiB" in error.message and not error.retryable
        assert "stream_max_response_bytes" in error.hint
        assert not any(isinstance(e, StreamRestart) for e in events), "a cap is not retried"
        shown = sum(len(e.text) for e in events if isinstance(e, TextDelta))
        assert 1000 < shown < 2 * 1024 * 1024
        # the client (and its connection pool) is intact: the next response streams normally
        after = await stream_once(client, wire)
        assert isinstance(after[-1], Completed)
        assert "".join(e.text for e in after if isinstance(e, TextDelta)) == "after"
    finally:
        await client.aclose()


@pytest.mark.parametrize("wire", WIRES)
async def test_a_line_that_never_ends_stops_at_the_event_cap(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text="hello", endless="line"))
    client = make_client(fake_provider, wire)
    started = time.monotonic()
    try:
        error = failure(await stream_once(client, wire))
    finally:
        await client.aclose()
    assert error.kind is ErrorKind.STREAM and "one event passed 16 MiB" in error.message
    assert time.monotonic() - started < 20, "a long line is collected in linear time"
    assert len(fake_provider.requests) == 1


@pytest.mark.parametrize("wire", WIRES)
async def test_keepalive_comments_do_not_reset_the_idle_timeout(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.default = Reply(text="hello", endless="keepalive", endless_interval=0.05)
    client = make_client(fake_provider, wire, stream_idle_timeout_ms=700, stream_max_retries=1)
    started = time.monotonic()
    try:
        events = await stream_once(client, wire)
    finally:
        await client.aclose()
    error = failure(events)
    assert error.kind is ErrorKind.TIMEOUT and "idle timeout" in error.message and "700 ms" in error.message
    assert [type(e) for e in events].count(StreamRestart) == 1, "an idle stall is retried, as in Codex"
    assert len(fake_provider.requests) == 2
    assert 1.4 <= time.monotonic() - started < 10


async def test_the_overall_deadline_stops_a_slow_endless_stream(fake_provider: FakeProvider) -> None:
    # every delta arrives well within the idle timeout: only the overall deadline can end this
    fake_provider.default = Reply(text_chunks=["tick "], endless="text", endless_interval=0.05)
    client = make_client(
        fake_provider, "responses", stream_idle_timeout_ms=1000, stream_max_duration_ms=1500, stream_max_retries=3
    )
    started = time.monotonic()
    try:
        events = await stream_once(client, "responses")
    finally:
        await client.aclose()
    error = failure(events)
    assert error.kind is ErrorKind.TIMEOUT and "still streaming after 1.5 s" in error.message
    assert "stream_max_duration_ms" in error.hint and not error.retryable
    assert 1.5 <= time.monotonic() - started < 5
    assert len(fake_provider.requests) == 1


def exec_workdir(fake: FakeProvider, home: Path, tmp_path: Path, settings: str = "") -> Path:
    """A workspace for ``codex-py exec`` whose default provider is the fake (Responses wire), plus ``settings``."""
    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{fake.base_url}"\nwire_api = "responses"\nrequest_max_retries = 0\n{settings}'
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    return workdir


def test_exec_ends_the_turn_with_one_line_and_resume_goes_on(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    settings = "stream_max_retries = 0\nstream_max_response_bytes = 1048576\n"
    workdir = exec_workdir(fake_provider, isolated_home, tmp_path, settings)
    fake_provider.script(Reply(text_chunks=["spam "], endless="text"), Reply(text="still here"))
    out = run_exec(*QUIET, "talk forever", cwd=workdir)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if "passed 1 MiB" in line]
    assert len(lines) == 1 and "Fake" in lines[0], out.stderr
    assert "stream_max_response_bytes" in out.stderr
    again = run_exec("--json", *QUIET, "resume", "--last", "are you there?", cwd=workdir)
    assert again.returncode == 0, again.stderr
    messages = [json.loads(line) for line in again.stdout.splitlines()]
    assert {"id": "item_0", "type": "agent_message", "text": "still here"} in [m.get("item") for m in messages]
    assert "talk forever" in json.dumps(fake_provider.last_request.json["input"])


# --- the SSE layer ----------------------------------------------------------------------------------------


async def _read(chunks: list[bytes], **limits: Any) -> list[bytes]:
    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return [data async for data in iter_sse_data(source(), **limits)]


BODY = b'data: {"a":1}\r\n\r\n: keepalive\r\n\r\ndata: p\r\ndata: q\r\n\r\ndata: x\rdata: y\r\rdata: {"b":2}\n\n'
EXPECTED = [b'{"a":1}', b"p\nq", b"x\ny", b'{"b":2}']


def test_every_split_with_empty_reads_between() -> None:
    """CR ending one read, nothing in the next, LF starting the one after: still one line end."""
    assert asyncio.run(_read([BODY])) == EXPECTED
    for i in range(len(BODY) + 1):
        for j in range(i, len(BODY) + 1):
            assert asyncio.run(_read([BODY[:i], b"", BODY[i:j], b"", BODY[j:]])) == EXPECTED, (i, j)


def test_a_long_line_in_many_reads_is_joined_once() -> None:
    value = b"x" * (8 * 1024 * 1024)
    raw = b"data: " + value + b"\n\n"
    started = time.process_time()
    got = asyncio.run(_read([raw[i : i + 1024] for i in range(0, len(raw), 1024)]))
    assert got == [value]
    assert time.process_time() - started < 3, "quadratic re-copying of the unfinished line"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"data: " + b"y" * 5000, "line"),  # never ends
        (b": " + b"y" * 5000 + b"\n\n", "line"),  # a comment is a line too
        (b"data: 0123456789\n" * 500 + b"\n", "event"),  # many data lines, one event
    ],
    ids=["endless-data-line", "long-comment", "many-data-lines"],
)
def test_a_line_or_event_over_the_cap_is_refused(raw: bytes, kind: str) -> None:
    with pytest.raises(StreamLimitError) as info:
        asyncio.run(_read([raw[i : i + 100] for i in range(0, len(raw), 100)], max_event_bytes=4096))
    assert info.value.kind == kind


def test_the_body_cap_counts_every_byte() -> None:
    keepalives = [b": keepalive\n\n"] * 1000
    with pytest.raises(StreamLimitError) as info:
        asyncio.run(_read(keepalives, max_body_bytes=4096))
    assert info.value.kind == "body"
    assert asyncio.run(_read([*keepalives, b"data: ok\n\n"], max_body_bytes=1 << 20)) == [b"ok"]


def test_the_default_event_cap_admits_a_several_megabyte_tool_call() -> None:
    arguments = json.dumps({"input": "*** Begin Patch\n+" + "z" * (6 * 1024 * 1024)}).encode()
    raw = b"data: " + arguments + b"\n\n"
    assert asyncio.run(_read([raw[i : i + 65536] for i in range(0, len(raw), 65536)])) == [arguments]
    assert 2 * len(arguments) < MAX_EVENT_BYTES


def test_time_limits_are_checked_as_reads_arrive() -> None:
    async def trickle(n: int, pause: float, event_every: int) -> AsyncIterator[bytes]:
        for i in range(n):
            await asyncio.sleep(pause)
            yield b"data: e\n\n" if i % event_every == 0 else b": keepalive\n\n"

    async def read(source: AsyncIterator[bytes], **limits: Any) -> list[bytes]:
        return [data async for data in iter_sse_data(source, **limits)]

    with pytest.raises(StreamLimitError) as info:  # only comments after the first event
        asyncio.run(read(trickle(40, 0.02, 1000), idle_s=0.3))
    assert info.value.kind == "idle"
    assert len(asyncio.run(read(trickle(40, 0.02, 5), idle_s=0.3))) == 8  # events keep it alive
    with pytest.raises(StreamLimitError) as info:
        asyncio.run(read(trickle(40, 0.02, 1), deadline=time.monotonic() + 0.3))
    assert info.value.kind == "deadline"
