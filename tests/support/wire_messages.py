"""Render a scripted reply as an Anthropic Messages stream (``POST /messages``)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.replies import Reply, Usage, split_text
from tests.support.sse import Context, Rendered, dumps, named
from tests.support.wire_responses import default_signature

PING = named("ping", {"type": "ping"})


def usage_json(usage: Usage, *, start: bool) -> dict[str, Any]:
    """Messages usage: the prompt split into uncached input, cache reads and cache writes.

    ``start`` gives the ``message_start`` form, whose ``output_tokens`` is a placeholder.
    """
    uncached = max(0, usage.input_tokens - usage.cached_tokens - usage.cache_creation_tokens)
    return {
        "input_tokens": uncached,
        "cache_creation_input_tokens": usage.cache_creation_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": 1 if start else usage.output_tokens,
    }


def _blocks(reply: Reply, ctx: Context) -> list[dict[str, Any]]:
    """The final content blocks, in wire order."""
    blocks: list[dict[str, Any]] = []
    thinking = "\n\n".join(reply.reasoning_parts())
    if thinking or reply.signature:
        blocks.append(
            {"type": "thinking", "thinking": thinking, "signature": reply.signature or default_signature(ctx)}
        )
    if reply.redacted_thinking is not None:
        blocks.append({"type": "redacted_thinking", "data": reply.redacted_thinking})
    for si, search in enumerate(reply.searches):
        use_id = f"srvtoolu_fake{ctx.n:04d}_{si}"
        blocks.append({"type": "server_tool_use", "id": use_id, "name": "web_search", "input": {"query": search.query}})
        content: Any
        if search.error is not None:
            content = {"type": "web_search_tool_result_error", "error_code": search.error}
        else:
            content = [
                {
                    "type": "web_search_result",
                    "url": url,
                    "title": title,
                    "encrypted_content": search.encrypted(i),
                    "page_age": None,
                }
                for i, (url, title) in enumerate(search.results)
            ]
        blocks.append({"type": "web_search_tool_result", "tool_use_id": use_id, "content": content})
    if reply.full_text:
        text_block: dict[str, Any] = {"type": "text", "text": reply.full_text}
        cited = _citations(reply)
        if cited:
            text_block["citations"] = cited
        blocks.append(text_block)
    for i, call in enumerate(reply.tool_calls):
        call_id = call.call_id or f"toolu_fake{ctx.n:04d}_{i}"
        arguments = json.loads(call.function_arguments())
        blocks.append({"type": "tool_use", "id": call_id, "name": call.name, "input": arguments})
    return blocks


def _citations(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "type": "web_search_result_location",
            "cited_text": reply.full_text[:150],
            "url": s.results[0][0],
            "title": s.results[0][1],
            "encrypted_index": "EncIdx_" + s.query.replace(" ", "_"),
        }
        for s in reply.searches
        if s.cite and s.results and s.error is None
    ]


def _stop_reason(reply: Reply) -> str:
    if reply.stop == "length":
        return "max_tokens"
    return "tool_use" if reply.tool_calls else "end_turn"


def _message(reply: Reply, ctx: Context, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"msg_fake{ctx.n:04d}",
        "type": "message",
        "role": "assistant",
        "model": reply.model or ctx.model,
        "content": content,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage_json(reply.usage or Usage(0, 0), start=True),
    }


def _deltas(events: list[bytes], index: int, kind: str, key: str, pieces: list[str]) -> None:
    head = f'{{"type":"content_block_delta","index":{index},"delta":{{"type":"{kind}","{key}":'
    prefix = "event: content_block_delta\ndata: " + head
    append = events.append
    for piece in pieces:
        append(f"{prefix}{dumps(piece)}}}}}\n\n".encode())


def render(reply: Reply, ctx: Context) -> Rendered:
    """All events of one message, from ``message_start`` to ``message_stop``."""
    blocks = _blocks(reply, ctx)
    events = [named("message_start", {"type": "message_start", "message": _message(reply, ctx, [])})]
    pings = reply.messages_pings
    if pings > 0:
        events.append(PING)
        pings -= 1
    calls = iter(reply.tool_calls)
    for index, block in enumerate(blocks):
        kind = block["type"]
        start: dict[str, Any]
        if kind == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
        elif kind == "text":
            start = (
                {"type": "text", "text": ""}
                if "citations" not in block
                else {"citations": [], "type": "text", "text": ""}
            )
        elif kind == "tool_use":
            start = {**block, "input": {}}
        else:
            start = block
        events.append(
            named("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
        )
        if kind == "thinking":
            _deltas(
                events, index, "thinking_delta", "thinking", split_text(block["thinking"], reply.reasoning_chunk_size)
            )
            _deltas(events, index, "signature_delta", "signature", [block["signature"]])
        elif kind == "text":
            _deltas(events, index, "text_delta", "text", reply.text_deltas())
            for citation in block.get("citations", ()):
                delta = {"type": "citations_delta", "citation": citation}
                events.append(
                    named("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
                )
        elif kind == "server_tool_use":
            start = {**block, "input": {}}
            events[-1] = named(
                "content_block_start", {"type": "content_block_start", "index": index, "content_block": start}
            )
            _deltas(events, index, "input_json_delta", "partial_json", ["", json.dumps(block["input"])])
        elif kind == "tool_use":
            call = next(calls)
            pieces = [""] + [p for p in call.function_pieces() if p]
            _deltas(events, index, "input_json_delta", "partial_json", pieces)
        events.append(named("content_block_stop", {"type": "content_block_stop", "index": index}))
        if pings > 0:
            events.append(PING)
            pings -= 1

    final = _message(reply, ctx, blocks)
    if reply.error is not None:
        err = {"type": "error", "error": {"type": reply.error.type, "message": reply.error.message}}
        events.append(named("error", err))
        return Rendered(events, final)
    stop_reason = _stop_reason(reply)
    final["stop_reason"] = stop_reason
    if reply.usage is not None:
        final["usage"] = usage_json(reply.usage, start=False)
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": final["usage"],
    }
    events.append(named("message_delta", delta))
    events.append(named("message_stop", {"type": "message_stop"}))
    return Rendered(events, final)
