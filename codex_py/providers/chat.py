"""Chat Completions (``wire_api = "chat"``) for OpenAI-compatible servers: request body and
SSE decoding. Tool-call fragments are aggregated by ``index`` (or by ``id``, or onto the last
call, for servers that omit it); reasoning arrives in ``reasoning_content`` / ``reasoning``, or at the
start of ``content`` inside ``<think>…</think>`` (Qwen, DeepSeek R1 distills, vLLM without a reasoning
parser, llama.cpp): that block streams as reasoning, tags split across deltas included, and becomes a
``Reasoning`` item, never answer text. Once the answer has begun, content deltas take the plain path.

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
from codex_py.providers._errors import error_from_chunk
from codex_py.providers._history import function_arguments, pair_tool_calls
from codex_py.providers._sse import loads

WIRE = "chat"
_OPEN, _CLOSE = "<think>", "</think>"
_START, _OPENED, _THINK, _AFTER, _TEXT = 0, 1, 2, 3, 4
"""Where content is: before any non-blank character (a ``<think>`` may open), between ``<think>`` and
the reasoning's first non-blank character, inside the think block, between ``</think>`` and the
answer's first non-blank character, in the answer."""
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
            parts.append(_image_url(part))
    return {"role": "user", "content": parts}


def _image_url(part: ImagePart) -> dict[str, Any]:
    from codex_py.providers.images import OPENAI_LIMITS, fit

    return {"type": "image_url", "image_url": {"url": fit(part, OPENAI_LIMITS).url}}


def messages_json(instructions: str, items: list[Item]) -> list[dict[str, Any]]:
    """System + history as Chat messages: consecutive tool calls grouped into one assistant
    message (with the text just before them), each result a ``tool`` message. Reasoning is
    not sent back (servers reject or ignore it)."""
    out: list[dict[str, Any]] = []
    if instructions:
        out.append({"role": "system", "content": instructions})
    last: dict[str, Any] | None = None  # the assistant message tool calls may join
    images: list[ImagePart] = []  # tool results' images: a user message after the group's tool messages
    for item in pair_tool_calls(items):
        if images and type(item) is not ToolResult:
            out.append(_tool_images(images))
            images = []
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
        if type(item) is Reasoning or getattr(item, "type", "") == "web_search":
            continue  # reasoning is not sent back; no Chat server runs the other wires' searches
        last = None
        if type(item) is UserMessage:
            out.append(_user(item))
        elif type(item) is AssistantMessage:
            if item.text:
                last = {"role": "assistant", "content": item.text}
                out.append(last)
        elif type(item) is ToolResult:
            out.append({"role": "tool", "tool_call_id": item.call_id, "content": item.output})
            images.extend(item.images)
    if images:
        out.append(_tool_images(images))
    return out


def _tool_images(images: list[ImagePart]) -> dict[str, Any]:
    """Tool messages carry text only on this wire: the images a tool returned follow as a user message."""
    return {
        "role": "user",
        "content": [{"type": "text", "text": "(images returned by the tool)"}, *map(_image_url, images)],
    }


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
        self._think = _START
        self._held = ""  # content that may be the start of a tag, waiting for the next delta
        self._tagged = False  # the reasoning came inside <think> tags

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
                    if self._think == _TEXT:
                        self._text.append(content)
                        event = TextDelta(content)
                    else:
                        event = self._think_content(content)
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
            self.terminal = error_from_chunk(chunk, self.provider)
        return None

    def _think_content(self, content: str) -> Event | None:
        """Content before the answer proper: split a leading ``<think>…</think>`` block off as reasoning.
        A delta that could be the start of a tag (``<thi``, ``</th``) is held until the next one decides."""
        text = self._held + content if self._held else content
        self._held = ""
        state = self._think
        events: list[Event] = []
        if state == _START:
            head = text.lstrip()
            if head.startswith(_OPEN):
                state, text = _OPENED, head[len(_OPEN) :]
                self._tagged = True
            elif _OPEN.startswith(head):  # blank, or a piece of "<think>": wait for more
                self._held = text
                return None
            else:
                state = _TEXT
        if state == _OPENED:
            text = text.lstrip()
            if text:
                state = _THINK
        if state == _THINK:
            end = text.find(_CLOSE)
            if end < 0:
                cut = text.rfind("<", max(0, len(text) - len(_CLOSE) + 1))
                if cut >= 0 and _CLOSE.startswith(text[cut:]):
                    text, self._held = text[:cut], text[cut:]
                if text:
                    self._reasoning.append(text)
                    events.append(ReasoningDelta(text))
            else:
                if end:
                    self._reasoning.append(text[:end])
                    events.append(ReasoningDelta(text[:end]))
                state, text = _AFTER, text[end + len(_CLOSE) :]
        if state == _AFTER:
            text = text.lstrip()
            if text:
                state = _TEXT
        if state == _TEXT and text:
            self._text.append(text)
            events.append(TextDelta(text))
        self._think = state
        if not events:
            return None
        self.extra.extend(events[1:])
        return events[0]

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
        if self._held:  # the content ended on what looked like the start of a tag: it was not one
            held, self._held = self._held, ""
            if self._think == _THINK:
                self._reasoning.append(held)
                self.extra.append(ReasoningDelta(held))
            elif held.strip():
                self._text.append(held)
                self.extra.append(TextDelta(held))
        if self._reasoning:
            reasoning = "".join(self._reasoning)
            if self._tagged:  # from <think> tags: no blank tail before </think>
                reasoning = reasoning.rstrip()
            self.extra.append(ItemDone(Reasoning(reasoning, provider=WIRE)))
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
