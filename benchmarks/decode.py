"""Decoding speed: 100k text deltas per wire API through codex-py's provider client, next to a bare
httpx-sse loop (the floor) and the official SDK, all against one local server in a child process.

    python -m benchmarks.decode [--deltas 100000] [--repeat 3] [--no-sdk]

Contenders, per wire API (Responses, Chat Completions, Messages):
- ``httpx-sse``: ``aiter_sse()`` counting events (framing only);
- ``httpx-sse+json`` (the floor): the same plus ``json.loads`` of each event, the least any decoder does;
- ``codex-py``: ``open_client(provider).stream(request)``, counting ``TextDelta`` events (it frames with
  httpx-sse too, behind its stream-limit guard, and parses with jiter);
- ``sdk``: openai / anthropic ``create(stream=True)`` iterating the typed events.
The server pre-renders each body with the loopback fake's wire renderers and writes it in 64 KiB pieces.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

WIRES = ("responses", "chat", "messages")
PATHS = {"/v1/responses": "responses", "/v1/chat/completions": "chat", "/v1/messages": "messages"}
MODELS = {"responses": "gpt-4.1", "chat": "gpt-4o", "messages": "claude-3-5-haiku"}


# --- server (child process) ----------------------------------------------------------------


def render_bodies(deltas: int) -> dict[str, bytes]:
    """One SSE body per wire with ``deltas`` text deltas, as the loopback fake renders them."""
    from tests.support import wire_chat, wire_messages, wire_responses
    from tests.support.replies import Reply, Usage
    from tests.support.sse import Context

    reply = Reply(text_chunks=[f"w{i} " for i in range(deltas)], usage=Usage())
    renderers = {"responses": wire_responses.render, "chat": wire_chat.render, "messages": wire_messages.render}
    out = {}
    for wire, render in renderers.items():
        ctx = Context(1, MODELS[wire], {"stream_options": {"include_usage": True}})
        out[wire] = b"".join(render(reply, ctx).events) + (b"data: [DONE]\n\n" if wire == "chat" else b"")
    return out


def _handle(conn: socket.socket, bodies: dict[str, bytes]) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1].split("?")[0]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            while len(buf) < length:
                buf += conn.recv(65536)
            buf = buf[length:]
            body = bodies.get(PATHS.get(path, ""), b"")
            status = "200 OK" if body else "404 Not Found"
            conn.sendall(
                f"HTTP/1.1 {status}\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: keep-alive\r\n\r\n".encode()
            )
            view = memoryview(body)
            for i in range(0, len(body), 65536):
                conn.sendall(view[i : i + 65536])


def serve(deltas: int) -> None:
    """Serve the bodies on an ephemeral 127.0.0.1 port; print the port, run until stdin closes."""
    bodies = render_bodies(deltas)
    sock = socket.create_server(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)

    def accept() -> None:
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=_handle, args=(conn, bodies), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()


# --- contenders ----------------------------------------------------------------------------


async def framing(base: str, wire: str) -> int:
    """httpx-sse alone: events framed, nothing parsed."""
    return await _bare(base, wire, parse=False)


async def floor(base: str, wire: str) -> int:
    """The floor: httpx-sse plus ``json.loads`` of each event."""
    return await _bare(base, wire, parse=True)


async def _bare(base: str, wire: str, *, parse: bool) -> int:
    import httpx
    from httpx_sse import aconnect_sse

    path = {"responses": "/responses", "chat": "/chat/completions", "messages": "/messages"}[wire]
    count = 0
    loads = json.loads
    body = {"model": MODELS[wire], "stream": True}
    async with httpx.AsyncClient(timeout=60) as client, aconnect_sse(client, "POST", base + path, json=body) as source:
        async for sse in source.aiter_sse():
            if parse and sse.data != "[DONE]":
                loads(sse.data)
            count += 1
    return count


async def codex_py(base: str, wire: str) -> int:
    from codex_py.config.model import ProviderInfo
    from codex_py.protocol import ModelRequest, TextDelta, UserMessage
    from codex_py.providers import open_client

    provider = ProviderInfo(name="bench", base_url=base, wire_api=wire)  # type: ignore[arg-type]
    client = open_client(provider)
    count = 0
    try:
        async for event in client.stream(ModelRequest(MODELS[wire], "x", [UserMessage.of("hi")])):
            if type(event) is TextDelta:
                count += 1
    finally:
        await client.aclose()
    return count


async def sdk(base: str, wire: str) -> int:
    count = 0
    if wire == "messages":
        from anthropic import AsyncAnthropic

        anthropic = AsyncAnthropic(base_url=base.removesuffix("/v1"), api_key="bench", max_retries=0)
        stream = await anthropic.messages.create(
            model=MODELS[wire], max_tokens=1024, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for event in stream:
            count += event.type == "content_block_delta"
        await anthropic.close()
        return count
    from openai import AsyncOpenAI

    openai = AsyncOpenAI(base_url=base, api_key="bench", max_retries=0)
    if wire == "responses":
        events: Any = await openai.responses.create(model=MODELS[wire], input="hi", stream=True)
        async for event in events:
            count += event.type == "response.output_text.delta"
    else:
        chunks: Any = await openai.chat.completions.create(
            model=MODELS[wire], messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async for chunk in chunks:
            count += bool(chunk.choices and chunk.choices[0].delta.content)
    await openai.close()
    return count


async def best_rate(run: Callable[[str, str], Awaitable[int]], base: str, wire: str, repeat: int) -> tuple[float, int]:
    """The best events/s over ``repeat`` runs (and the event count of the last)."""
    rates: list[float] = []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = await run(base, wire)
        rates.append(count / (time.perf_counter() - start))
    return max(rates), count


async def measure(base: str, deltas: int, repeat: int, with_sdk: bool) -> dict[str, dict[str, float]]:
    """events/s per wire and contender."""
    results: dict[str, dict[str, float]] = {}
    for wire in WIRES:
        row: dict[str, float] = {}
        row["httpx-sse"], _ = await best_rate(framing, base, wire, repeat)
        row["httpx-sse+json"], _ = await best_rate(floor, base, wire, repeat)
        row["codex-py"], n = await best_rate(codex_py, base, wire, repeat)
        if n != deltas:
            raise SystemExit(f"{wire}: codex-py decoded {n} text deltas, expected {deltas}")
        if with_sdk:
            row["sdk"], _ = await best_rate(sdk, base, wire, 1)
        results[wire] = row
    return results


def report(results: dict[str, dict[str, float]], deltas: int) -> str:
    """A table of events/s per contender, with codex-py's time relative to the two bare loops
    (below 1.0: codex-py is faster) and how many times faster codex-py is than the SDK."""
    lines = [
        f"decode: {deltas:,} text deltas per wire API, best run, events/s",
        "  vs floor = codex-py time / (httpx-sse + json.loads) time (target <= 1.3); vs framing: httpx-sse alone",
        f"{'wire':<10} {'httpx-sse':>10} {'+json':>10} {'codex-py':>10} {'vs floor':>9} {'vs framing':>11} "
        f"{'sdk':>9} {'sdk/codex-py':>13}",
    ]
    for wire, row in results.items():
        ours = row["codex-py"]
        sdk_rate = row.get("sdk")
        sdk_cols = f"{sdk_rate:>9,.0f} {ours / sdk_rate:>12.1f}x" if sdk_rate else f"{'-':>9} {'-':>13}"
        lines.append(
            f"{wire:<10} {row['httpx-sse']:>10,.0f} {row['httpx-sse+json']:>10,.0f} {ours:>10,.0f}"
            f" {row['httpx-sse+json'] / ours:>8.2f}x {row['httpx-sse'] / ours:>10.2f}x {sdk_cols}"
        )
    return "\n".join(lines)


def run_benchmark(deltas: int, repeat: int, with_sdk: bool) -> dict[str, dict[str, float]]:
    """Start the server child, measure, stop the child."""
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.decode", "--serve", "--deltas", str(deltas)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        return asyncio.run(measure(f"http://127.0.0.1:{port}/v1", deltas, repeat, with_sdk))
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)


def run(options: Any) -> list[Any]:
    """Section entry for ``python -m benchmarks``: codex-py vs the floor as rows with the 1.3x target."""
    from benchmarks.report import Row

    deltas = 10_000 if getattr(options, "quick", False) else 100_000
    results = run_benchmark(deltas, 3, with_sdk=not getattr(options, "quick", False))
    rows = []
    for wire, row in results.items():
        ratio = row["httpx-sse+json"] / row["codex-py"]
        rows.append(Row("decode", f"{wire} codex-py events/s", row["codex-py"], "ev/s"))
        rows.append(Row("decode", f"{wire} httpx-sse+json events/s", row["httpx-sse+json"], "ev/s"))
        # codex-py's time over the bare httpx-sse loop's (aiter_sse + json.loads of each event)
        rows.append(
            Row("decode", f"{wire} codex-py / bare httpx-sse loop", ratio, "x", target="<= 1.3", ok=ratio <= 1.3)
        )
        rows.append(Row("decode", f"{wire} codex-py / httpx-sse framing only", row["httpx-sse"] / row["codex-py"], "x"))
        if "sdk" in row:
            rows.append(Row("decode", f"{wire} sdk events/s", row["sdk"], "ev/s"))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--deltas", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-sdk", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.deltas)
        return
    print(report(run_benchmark(args.deltas, args.repeat, not args.no_sdk), args.deltas))


if __name__ == "__main__":
    main()
