"""Render a scripted reply as an OpenAI Responses API stream (``POST /responses``)."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.support.replies import Call, Reply, Search, StreamError, Usage, split_text
from tests.support.sse import Context, Rendered, dumps, named


def usage_json(usage: Usage) -> dict[str, Any]:
    """The Responses ``usage`` object."""
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def default_signature(ctx: Context) -> str:
    """A stable opaque token standing in for encrypted reasoning / a thinking signature."""
    return "enc_" + hashlib.sha256(f"fake-reasoning-{ctx.n}".encode()).hexdigest()


class _Events:
    """Collects Responses events, numbering them with ``sequence_number``."""

    __slots__ = ("events", "seq")

    def __init__(self) -> None:
        self.events: list[bytes] = []
        self.seq = 0

    def add(self, type_: str, **fields: Any) -> None:
        data = {"type": type_, **fields, "sequence_number": self.seq}
        self.seq += 1
        self.events.append(named(type_, data))

    def deltas(self, type_: str, head: str, pieces: list[str]) -> None:
        """Many delta events fast: ``head`` is the JSON fields before ``sequence_number`` and ``delta``."""
        prefix = f'event: {type_}\ndata: {{"type":"{type_}",{head},"sequence_number":'
        seq = self.seq
        append = self.events.append
        for piece in pieces:
            append(f'{prefix}{seq},"delta":{dumps(piece)}}}\n\n'.encode())
            seq += 1
        self.seq = seq


def _response(ctx: Context, reply: Reply, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    body = ctx.body
    return {
        "id": f"resp_fake{ctx.n:04d}",
        "object": "response",
        "created_at": ctx.created,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "model": reply.model or ctx.model,
        "output": output,
        "parallel_tool_calls": bool(body.get("parallel_tool_calls", True)),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
        "store": bool(body.get("store", False)),
        "text": {"format": {"type": "text"}},
        "usage": None,
        "metadata": {},
    }


def _call_item(ctx: Context, index: int, call: Call, done: bool) -> dict[str, Any]:
    call_id = call.call_id or f"call_fake{ctx.n:04d}_{index}"
    status = "completed" if done else "in_progress"
    if call.kind == "custom":
        item_id = f"ctc_fake{ctx.n:04d}_{index}"
        return {
            "id": item_id,
            "type": "custom_tool_call",
            "status": status,
            "call_id": call_id,
            "name": call.name,
            "input": call.arguments if done else "",
        }
    item_id = f"fc_fake{ctx.n:04d}_{index}"
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": call.name,
        "arguments": call.arguments if done else "",
    }


def render(reply: Reply, ctx: Context) -> Rendered:
    """All events of one response, from ``response.created`` to the terminal event."""
    ev = _Events()
    output: list[dict[str, Any]] = []
    created = _response(ctx, reply, "in_progress", [])
    ev.add("response.created", response=created)
    ev.add("response.in_progress", response=created)
    if reply.reasoning_parts() or reply.signature:
        output.append(_reasoning(ev, reply, ctx, len(output)))
    for si, search in enumerate(reply.searches):
        output.append(_search(ev, search, ctx, si, len(output)))
    if reply.full_text:
        output.append(_message(ev, reply, ctx, len(output)))
    for ci, call in enumerate(reply.tool_calls):
        output.append(_call(ev, call, ctx, ci, len(output)))

    final = _response(ctx, reply, "completed", output)
    final["usage"] = usage_json(reply.usage) if reply.usage else None
    if reply.error is not None:
        _error(ev, reply.error, final)
    elif reply.stop == "length":
        final["status"] = "incomplete"
        final["incomplete_details"] = {"reason": "max_output_tokens"}
        ev.add("response.incomplete", response=final)
    else:
        ev.add("response.completed", response=final)
    return Rendered(ev.events, final)


def _reasoning(ev: _Events, reply: Reply, ctx: Context, index: int) -> dict[str, Any]:
    """A reasoning item with one summary part per reasoning part; returns the finished item."""
    parts = reply.reasoning_parts()
    rs_id = f"rs_fake{ctx.n:04d}"
    encrypted = reply.signature or default_signature(ctx)
    item: dict[str, Any] = {"id": rs_id, "type": "reasoning", "summary": [], "encrypted_content": encrypted}
    ev.add("response.output_item.added", output_index=index, item=item)
    head = f'"item_id":"{rs_id}","output_index":{index}'
    for si, text in enumerate(parts):
        ids = {"item_id": rs_id, "output_index": index, "summary_index": si}
        ev.add("response.reasoning_summary_part.added", **ids, part={"type": "summary_text", "text": ""})
        ev.deltas(
            "response.reasoning_summary_text.delta",
            f'{head},"summary_index":{si}',
            split_text(text, reply.reasoning_chunk_size),
        )
        ev.add("response.reasoning_summary_text.done", **ids, text=text)
        ev.add("response.reasoning_summary_part.done", **ids, part={"type": "summary_text", "text": text})
    done = {**item, "summary": [{"type": "summary_text", "text": p} for p in parts]}
    ev.add("response.output_item.done", output_index=index, item=done)
    return done


def _search(ev: _Events, search: Search, ctx: Context, si: int, index: int) -> dict[str, Any]:
    """A hosted ``web_search_call`` item, with its progress events; returns the finished item."""
    ws_id = f"ws_fake{ctx.n:04d}_{si}"
    ev.add(
        "response.output_item.added",
        output_index=index,
        item={"id": ws_id, "type": "web_search_call", "status": "in_progress"},
    )
    for stage in ("in_progress", "searching", "completed"):
        ev.add(f"response.web_search_call.{stage}", output_index=index, item_id=ws_id)
    action: dict[str, Any] = {"type": "search", "query": search.query}
    if search.results:
        action["sources"] = [{"type": "url", "url": url} for url, _ in search.results]
    done = {"id": ws_id, "type": "web_search_call", "status": "completed", "action": action}
    ev.add("response.output_item.done", output_index=index, item=done)
    return done


def _annotations(reply: Reply) -> list[dict[str, Any]]:
    """``url_citation`` annotations for the searches that cite their first result (over the whole text)."""
    end = len(reply.full_text)
    return [
        {"type": "url_citation", "start_index": 0, "end_index": end, "url": s.results[0][0], "title": s.results[0][1]}
        for s in reply.searches
        if s.cite and s.results
    ]


def _message(ev: _Events, reply: Reply, ctx: Context, index: int) -> dict[str, Any]:
    """An assistant message item streamed as output_text deltas; returns the finished item."""
    msg_id = f"msg_fake{ctx.n:04d}"
    text = reply.full_text
    item: dict[str, Any] = {
        "id": msg_id,
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    ids = {"item_id": msg_id, "output_index": index, "content_index": 0}
    ev.add("response.output_item.added", output_index=index, item=item)
    empty: dict[str, Any] = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    ev.add("response.content_part.added", **ids, part=empty)
    head = f'"item_id":"{msg_id}","output_index":{index},"content_index":0,"logprobs":[]'
    ev.deltas("response.output_text.delta", head, reply.text_deltas())
    annotations = _annotations(reply)
    for ai, annotation in enumerate(annotations):
        ev.add("response.output_text.annotation.added", **ids, annotation_index=ai, annotation=annotation)
    ev.add("response.output_text.done", **ids, text=text, logprobs=[])
    part = {**empty, "text": text, "annotations": annotations}
    ev.add("response.content_part.done", **ids, part=part)
    done = {**item, "status": "completed", "content": [part]}
    ev.add("response.output_item.done", output_index=index, item=done)
    return done


def _call(ev: _Events, call: Call, ctx: Context, ci: int, index: int) -> dict[str, Any]:
    """A function_call or custom_tool_call item with its input split into deltas; returns the finished item."""
    item = _call_item(ctx, ci, call, done=False)
    ev.add("response.output_item.added", output_index=index, item=item)
    ids = {"item_id": item["id"], "output_index": index}
    head = f'"item_id":"{item["id"]}","output_index":{index}'
    if call.kind == "custom":
        ev.deltas("response.custom_tool_call_input.delta", head, call.pieces())
        ev.add("response.custom_tool_call_input.done", **ids, input=call.arguments)
    else:
        ev.deltas("response.function_call_arguments.delta", head, call.pieces())
        ev.add("response.function_call_arguments.done", **ids, name=call.name, arguments=call.arguments)
    done = _call_item(ctx, ci, call, done=True)
    ev.add("response.output_item.done", output_index=index, item=done)
    return done


def _error(ev: _Events, error: StreamError, final: dict[str, Any]) -> None:
    if error.responses_event == "error":
        ev.add("error", code=error.code, message=error.message, param=None)
        return
    final["status"] = "failed"
    final["error"] = {"code": error.code, "message": error.message}
    ev.add("response.failed", response=final)
