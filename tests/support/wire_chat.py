"""Render a scripted reply as a Chat Completions stream (``POST /chat/completions``)."""

from __future__ import annotations

from typing import Any

from tests.support.replies import Call, Reply, Usage, split_text
from tests.support.sse import Context, Rendered, dumps, unnamed

DONE = b"data: [DONE]\n\n"


def usage_json(usage: Usage) -> dict[str, Any]:
    """The Chat Completions ``usage`` object."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _call_id(ctx: Context, index: int, call: Call) -> str:
    return call.call_id or f"call_fake{ctx.n:04d}_{index}"


def _finish(reply: Reply) -> str:
    if reply.stop == "length":
        return "length"
    return "tool_calls" if reply.tool_calls else "stop"


def render(reply: Reply, ctx: Context) -> Rendered:
    """All chunks of one completion, ending with ``data: [DONE]`` unless the reply says otherwise."""
    model = reply.model or ctx.model
    envelope: dict[str, Any] = {
        "id": f"chatcmpl-fake{ctx.n:04d}",
        "object": "chat.completion.chunk",
        "created": ctx.created,
        "model": model,
        "system_fingerprint": "fp_fake",
    }
    wants_usage = ctx.include_usage()
    tail = ',"usage":null}\n\n' if wants_usage else "}\n\n"
    head = "data: " + dumps(envelope)[:-1] + ',"choices":[{"index":0,"logprobs":null,"finish_reason":null,"delta":'
    events: list[bytes] = []
    append = events.append

    def chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        data: dict[str, Any] = {**envelope, "choices": [choice]}
        if usage is not None or wants_usage:
            data["usage"] = usage
        return unnamed(data)

    append(chunk({"role": "assistant", "content": ""}))
    reasoning = "\n\n".join(reply.reasoning_parts())
    field = reply.chat_reasoning_field
    for piece in split_text(reasoning, reply.reasoning_chunk_size):
        append(f'{head}{{"{field}":{dumps(piece)}}}}}]{tail}'.encode())
    for piece in reply.text_deltas():
        append(f'{head}{{"content":{dumps(piece)}}}}}]{tail}'.encode())
    for ci, call in enumerate(reply.tool_calls):
        first = {
            "index": ci,
            "id": _call_id(ctx, ci, call),
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        append(chunk({"tool_calls": [first]}))
        for piece in call.function_pieces():
            append(chunk({"tool_calls": [{"index": ci, "function": {"arguments": piece}}]}))

    if reply.error is not None:
        err = reply.error
        append(unnamed({"error": {"message": err.message, "type": err.code, "param": None, "code": err.code}}))
        return Rendered(events, final_body(reply, ctx))
    usage = usage_json(reply.usage) if reply.usage else None
    last_usage = usage if reply.chat_usage == "last_choice" else None
    if reply.chat_finish_reason:
        append(chunk({}, _finish(reply), last_usage))
    elif last_usage is not None:
        append(chunk({}, None, last_usage))
    if usage is not None and reply.chat_usage == "chunk" and wants_usage:
        append(unnamed({**envelope, "choices": [], "usage": usage}))
    if reply.chat_done:
        append(DONE)
    return Rendered(events, final_body(reply, ctx))


def final_body(reply: Reply, ctx: Context) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` object for the same reply."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.full_text or None}
    reasoning = "\n\n".join(reply.reasoning_parts())
    if reasoning:
        message[reply.chat_reasoning_field] = reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(ctx, i, c),
                "type": "function",
                "function": {"name": c.name, "arguments": c.function_arguments()},
            }
            for i, c in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-fake{ctx.n:04d}",
        "object": "chat.completion",
        "created": ctx.created,
        "model": reply.model or ctx.model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(reply)}],
        "usage": usage_json(reply.usage) if reply.usage else None,
    }
