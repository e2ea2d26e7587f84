"""Chat Completions (``wire_api = "chat"``) for OpenAI-compatible servers: request body and
SSE decoding. Tool-call fragments are aggregated by ``index`` (or by ``id``, or onto the last
call, for servers that omit it); reasoning arrives in ``reasoning_content`` / ``reasoning``.

Completion rules: ``[DONE]`` ends the stream (complete even without a ``finish_reason``); a
body that ends after a ``finish_reason`` but without ``[DONE]`` is complete; one that ends
with neither was dropped and is retried.
"""

from __future__ import annotations

from typing import Any, TypedDict

from codex_py.config.model import ProviderInfo
from codex_py.protocol.events import (
    Completed,
    Event,
    ItemDone,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
)
from codex_py.protocol.items import (
    AssistantMessage,
    ImagePart,
    Item,
    Reasoning,
    TextPart,
    ToolCall,
    ToolResult,
    UserMessage,
)
from codex_py.protocol.request import ModelRequest
from codex_py.protocol.types import ErrorKind, StopReason
from codex_py.providers._errors import error_from_event
from codex_py.providers._history import function_arguments, pair_tool_calls
from codex_py.providers._sse import loads

WIRE = "chat"
_STOP = {
    "stop": StopReason.END_TURN,
    "end_turn": StopReason.END_TURN,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "length": StopReason.MAX_TOKENS,
    "content_filter": StopReason.CONTENT_FILTER,
}


class WireToolCallDelta(TypedDict, total=False):
    index: int
    id: str
    type: str
    function: dict[str, str]


class WireChoice(TypedDict, total=False):
    index: int
    delta: dict[str, Any]
    finish_reason: str | None


class WireChunk(TypedDict, total=False):
    id: str
    choices: list[WireChoice]
    usage: dict[str, Any] | None
    error: dict[str, Any]


# --- request -------------------------------------------------------------------------------


def _user(item: UserMessage) -> dict[str, Any]:
    if all(isinstance(p, TextPart) for p in item.content):
        return {"role": "user", "content": item.text}
    parts: list[dict[str, Any]] = []
    for part in item.content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append({"type": "image_url", "image_url": {"url": part.url}})
    return {"role": "user", "content": parts}


def messages_json(instructions: str, items: list[Item]) -> list[dict[str, Any]]:
    """System + history as Chat messages: consecutive tool calls grouped into one assistant
    message (with the text just before them), each result a ``tool`` message. Reasoning is
    not sent back (servers reject or ignore it)."""
    out: list[dict[str, Any]] = []
    if instructions:
        out.append({"role": "system", "content": instructions})
    last: dict[str, Any] | None = None  # the assistant message tool calls may join
    for item in pair_tool_calls(items):
        if type(item) is ToolCall:
            if last is None:
                last = {"role": "assistant", "content": None}
                out.append(last)
            last.setdefault("tool_calls", []).append(
                {
                    "id": item.call_id,
                    "type": "function",
                    "function": {"name": item.name, "arguments": function_arguments(item)},
                }
            )
            continue
        if type(item) is Reasoning:
            continue
        last = None
        if type(item) is UserMessage:
            out.append(_user(item))
        elif type(item) is AssistantMessage:
            if item.text:
                last = {"role": "assistant", "content": item.text}
                out.append(last)
        elif type(item) is ToolResult:
            out.append({"role": "tool", "tool_call_id": item.call_id, "content": item.output})
    return out


def build_request_body(request: ModelRequest) -> dict[str, Any]:
    """The JSON body of ``POST /chat/completions`` for ``request``."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": messages_json(request.instructions, request.items),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    tools = [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": spec.parameters
                if spec.kind == "function" and spec.parameters
                else {
                    "type": "object",
                    "properties": {"input": {"type": "string"}},
                    "required": ["input"],
                },
            },
        }
        for spec in request.tools
        if not spec.native
    ]
    if tools:
        body["tools"] = tools
        body["tool_choice"] = request.tool_choice
        if request.parallel_tool_calls:
            body["parallel_tool_calls"] = True
    if request.reasoning_effort is not None:
        body["reasoning_effort"] = request.reasoning_effort
    if request.max_output_tokens:
        body["max_tokens"] = request.max_output_tokens
    if request.output_schema is not None:
        schema = {"name": "codex_output_schema", "strict": True, "schema": request.output_schema}
        body["response_format"] = {"type": "json_schema", "json_schema": schema}
    return body


# --- stream --------------------------------------------------------------------------------


def _usage(raw: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=raw.get("prompt_tokens") or 0,
        cached_input_tokens=(raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0,
        output_tokens=raw.get("completion_tokens") or 0,
        reasoning_output_tokens=(raw.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0,
    )


def _reasoning_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("text") or value.get("content") or "")
    return ""


class _Call:
    __slots__ = ("args", "call_id", "name", "started")

    def __init__(self) -> None:
        self.call_id = ""
        self.name = ""
        self.args: list[str] = []
        self.started = False


class ChatDecoder:
    """SSE data of one Chat Completions stream -> protocol events."""

    def __init__(self, provider: ProviderInfo) -> None:
        self.provider = provider
        self.extra: list[Event] = []
        self.terminal: Completed | StreamError | None = None
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _Call] = {}
        self._ids: dict[str, int] = {}
        self._last_index = -1
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._id = ""
        self._refused = False

    def feed(self, data: bytes) -> Event | None:
        """Decode one chunk (or the ``[DONE]`` sentinel)."""
        if data == b"[DONE]" or data == b"DONE":
            self.terminal = self._complete()
            return None
        try:
            chunk: WireChunk = loads(data)
        except ValueError:
            return None
        if not self._id:
            self._id = chunk.get("id", "")
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            event: Event | None = None
            if delta:
                content = delta.get("content")
                if content:
                    if type(content) is not str:
                        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
                    self._text.append(content)
                    event = TextDelta(content)
                else:
                    event = self._other_delta(delta)
            finish = choice.get("finish_reason")
            if finish:
                self._finish = finish
            if chunk.get("usage"):
                self._usage = _usage(chunk["usage"])  # type: ignore[arg-type]
            return event
        usage = chunk.get("usage")
        if usage:
            self._usage = _usage(usage)
        elif "error" in chunk:
            error = chunk["error"] if isinstance(chunk["error"], dict) else {"message": str(chunk["error"])}
            code = str(error.get("code") or error.get("type") or "")
            self.terminal = error_from_event(code, str(error.get("message") or ""), self.provider)
        return None

    def _other_delta(self, delta: dict[str, Any]) -> Event | None:
        refusal = delta.get("refusal")
        if refusal:
            self._text.append(refusal)
            self._refused = True
            return TextDelta(refusal)
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning:
            text = _reasoning_text(reasoning)
            if text:
                self._reasoning.append(text)
                return ReasoningDelta(text)
            return None
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            return self._tool_deltas(tool_calls)
        return None

    def _tool_deltas(self, fragments: list[WireToolCallDelta]) -> Event | None:
        first: Event | None = None
        for fragment in fragments:
            call_id = fragment.get("id") or ""
            index = fragment.get("index")
            if index is None:
                if call_id and call_id in self._ids:
                    index = self._ids[call_id]
                elif call_id or self._last_index < 0:
                    index = self._last_index + 1 if call_id else 0
                else:
                    index = self._last_index
            call = self._calls.get(index)
            if call is None:
                call = self._calls[index] = _Call()
            self._last_index = max(self._last_index, index)
            if call_id and not call.call_id:
                call.call_id = call_id
                self._ids[call_id] = index
            function = fragment.get("function") or {}
            if function.get("name") and not call.name:
                call.name = function["name"]
            events: list[Event] = []
            if not call.started and call.name:
                call.started = True
                call.call_id = call.call_id or f"tool-call-{index}"
                events.append(ToolCallStart(call.call_id, call.name))
            arguments = function.get("arguments")
            if arguments:
                call.args.append(arguments)
                if call.started:
                    events.append(ToolCallDelta(call.call_id, arguments))
            for event in events:
                if first is None:
                    first = event
                else:
                    self.extra.append(event)
        return first

    def _complete(self) -> Completed:
        if self._reasoning:
            self.extra.append(ItemDone(Reasoning("".join(self._reasoning), provider=WIRE)))
        if self._text:
            self.extra.append(ItemDone(AssistantMessage("".join(self._text))))
        saw_call = False
        for index in sorted(self._calls):
            call = self._calls[index]
            if not call.name:
                continue
            saw_call = True
            self.extra.append(ItemDone(ToolCall(call.call_id or f"tool-call-{index}", call.name, "".join(call.args))))
        stop = StopReason.REFUSAL if self._refused else _STOP.get(self._finish or "stop", StopReason.OTHER)
        if saw_call and stop is StopReason.END_TURN:
            stop = StopReason.TOOL_USE
        return Completed(stop, self._usage, self._id)

    def finish(self) -> Completed | StreamError:
        """End of body without ``[DONE]``: complete after a ``finish_reason``, else dropped."""
        if self._finish is not None:
            return self._complete()
        return StreamError(ErrorKind.STREAM, "stream closed before a finish_reason or [DONE]", retryable=True)


class ChatDialect:
    """The Chat Completions wire for ``HttpModelClient``."""

    path = "chat/completions"

    def __init__(self, provider: ProviderInfo) -> None:
        self.provider = provider

    def prepare(self, request: ModelRequest) -> tuple[dict[str, Any], dict[str, str]]:
        """Body and (no extra) headers."""
        return build_request_body(request), {}

    def decoder(self, request: ModelRequest) -> ChatDecoder:
        return ChatDecoder(self.provider)
