"""Anthropic Messages (``wire_api = "messages"``): request body and SSE decoding.

Request: system blocks, alternating merged turns, tools with ``input_schema`` (plus Claude's
native bash / text-editor tool types where the catalog says the model has them), thinking
from the reasoning effort, prompt-cache breakpoints on system, tools and the latest turns.
Thinking blocks are echoed verbatim, in their original place, with their signatures.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypedDict

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
from codex_py.protocol.items import AssistantMessage, Reasoning, ToolCall
from codex_py.protocol.request import ModelRequest
from codex_py.protocol.types import ErrorKind, StopReason
from codex_py.providers._errors import error_from_chunk, error_from_event
from codex_py.providers._sse import loads
from codex_py.providers.catalog import ModelInfo, model_info
from codex_py.providers.messages_history import messages_json

WIRE = "messages"
ANTHROPIC_VERSION = "2023-06-01"
INTERLEAVED_THINKING_BETA = "interleaved-thinking-2025-05-14"
NATIVE_TOOLS = {
    "anthropic_bash": {"type": "bash_20250124", "name": "bash"},
    "anthropic_text_editor": {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
}
THINKING_BUDGETS = {"minimal": 1024, "low": 4000, "medium": 10000, "high": 20000, "xhigh": 32000}
MIN_THINKING_BUDGET = 1024
FINAL_ANSWER_TOOL = "final_answer"
"""``--output-schema`` on a model without structured outputs: a tool whose ``input_schema`` is the schema,
forced by ``tool_choice``; its input is the answer (never run as a tool; it ends the turn)."""
DEFAULT_MAX_TOKENS_CAP = 32000
_STOP = {
    "end_turn": StopReason.END_TURN,
    "tool_use": StopReason.TOOL_USE,
    "max_tokens": StopReason.MAX_TOKENS,
    "model_context_window_exceeded": StopReason.MAX_TOKENS,
    "stop_sequence": StopReason.STOP_SEQUENCE,
    "pause_turn": StopReason.PAUSE_TURN,
    "refusal": StopReason.REFUSAL,
}
_SCHEMA_FREEFORM = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The raw input text."}},
    "required": ["input"],
}


if TYPE_CHECKING:
    from codex_py.protocol.items import WebSearch


class WireBlock(TypedDict, total=False):
    type: str
    text: str
    thinking: str
    signature: str
    data: str
    id: str
    name: str
    input: dict[str, Any]


class WireEvent(TypedDict, total=False):
    type: str
    index: int
    delta: dict[str, Any]
    content_block: WireBlock
    message: dict[str, Any]
    usage: dict[str, Any]
    error: dict[str, Any]


# --- request -------------------------------------------------------------------------------


def tools_json(request: ModelRequest, info: ModelInfo) -> list[dict[str, Any]]:
    """Client tools with ``input_schema``; native specs become Claude tool types when the model
    supports them and are left out otherwise (their function twins are offered)."""
    tools: list[dict[str, Any]] = []
    for spec in request.tools:
        if spec.native:
            if spec.native in info.native_tools and spec.native in NATIVE_TOOLS:
                tools.append(dict(NATIVE_TOOLS[spec.native]))
            continue
        schema = spec.parameters if spec.kind == "function" and spec.parameters else None
        if schema is None:
            schema = _SCHEMA_FREEFORM if spec.kind == "custom" else {"type": "object", "properties": {}}
        tools.append({"name": spec.name, "description": spec.description, "input_schema": schema})
    if (search := web_search_tool(request)) is not None:
        tools.append(search)
    return tools


WEB_SEARCH_TOOL_TYPE = "web_search_20250305"


def web_search_tool(request: ModelRequest) -> dict[str, Any] | None:
    """Anthropic's ``web_search`` server tool, with ``max_uses`` and the domain lists from config."""
    options = request.web_search
    if options is None:
        return None
    tool: dict[str, Any] = {"type": WEB_SEARCH_TOOL_TYPE, "name": "web_search"}
    if options.max_uses is not None:
        tool["max_uses"] = options.max_uses
    if options.allowed_domains:
        tool["allowed_domains"] = list(options.allowed_domains)
    elif options.blocked_domains:  # the API takes one list or the other
        tool["blocked_domains"] = list(options.blocked_domains)
    if options.location:
        tool["user_location"] = {"type": "approximate", **dict(options.location)}
    return tool


def _thinking(request: ModelRequest, info: ModelInfo, max_tokens: int) -> dict[str, Any] | None:
    effort = request.reasoning_effort
    if effort is None and info.supports_reasoning:
        effort = info.default_reasoning_effort
    if effort is None or effort == "none":
        return None
    if info.thinking == "adaptive":
        return {"type": "adaptive"}
    if info.thinking == "none" and info.known:
        return None
    budget = min(THINKING_BUDGETS.get(effort, THINKING_BUDGETS["medium"]), max_tokens - 1)
    if budget < MIN_THINKING_BUDGET:
        return None
    return {"type": "enabled", "budget_tokens": budget}


def _mark_cache(messages: list[dict[str, Any]], system: list[dict[str, Any]], tools: list[dict[str, Any]]) -> None:
    """Up to four cache breakpoints: the system prompt, the tool list, and the last block of
    the two latest user turns (so the next request reads what this one wrote)."""
    if system:
        system[-1]["cache_control"] = {"type": "ephemeral"}
    if tools:
        tools[-1]["cache_control"] = {"type": "ephemeral"}
    marked = 0
    for message in reversed(messages):
        if marked == 2:
            break
        if message["role"] == "user" and message["content"]:
            message["content"][-1]["cache_control"] = {"type": "ephemeral"}
            marked += 1


def _ends_mid_tool_loop_without_thinking(messages: list[dict[str, Any]]) -> bool:
    if len(messages) < 2 or messages[-1]["role"] != "user":
        return False
    if not any(b.get("type") == "tool_result" for b in messages[-1]["content"]):
        return False
    first = messages[-2]["content"][0] if messages[-2]["content"] else {}
    return first.get("type") not in ("thinking", "redacted_thinking")


def final_answer_tool(request: ModelRequest) -> str:
    """``FINAL_ANSWER_TOOL`` when ``request`` asks for a schema the model cannot take natively, else ``""``."""
    if request.output_schema is None or model_info(WIRE, request.model).supports_structured_output:
        return ""
    return FINAL_ANSWER_TOOL


def build_request(request: ModelRequest) -> tuple[dict[str, Any], list[str]]:
    """The JSON body of ``POST /messages`` and the ``anthropic-beta`` names it needs."""
    info = model_info(WIRE, request.model)
    max_tokens = request.max_output_tokens or min(info.max_output_tokens, DEFAULT_MAX_TOKENS_CAP)
    messages = messages_json(request.items)
    system = [{"type": "text", "text": request.instructions}] if request.instructions else []
    tools = tools_json(request, info)
    forced = final_answer_tool(request)
    if forced:
        description = "Give your final answer: call this once, when done, with the answer as its input."
        tools.append({"name": forced, "description": description, "input_schema": request.output_schema})
    _mark_cache(messages, system, tools)
    body: dict[str, Any] = {"model": request.model, "max_tokens": max_tokens}
    if system:
        body["system"] = system
    body["messages"] = messages
    betas: list[str] = []
    if tools:
        body["tools"] = tools
        choice: dict[str, Any] = {"type": request.tool_choice}
        if not request.parallel_tool_calls and request.tool_choice == "auto":
            choice["disable_parallel_tool_use"] = True
        if forced:  # only the answer tool: force it; with other tools: some tool each step, one at a time
            only = len(tools) == 1
            choice = {"type": "tool", "name": forced} if only else {"type": "any", "disable_parallel_tool_use": True}
        body["tool_choice"] = choice
    thinking = None if forced else _thinking(request, info, max_tokens)  # the API refuses thinking + forced tools
    if thinking is not None and _ends_mid_tool_loop_without_thinking(messages):
        thinking = None  # the turn started without thinking (e.g. on another provider): keep it off
    if thinking is not None:
        body["thinking"] = thinking
        if thinking["type"] == "adaptive":
            effort = request.reasoning_effort or info.default_reasoning_effort or "medium"
            body["output_config"] = {"effort": "low" if effort == "minimal" else effort}
        elif tools:
            betas.append(INTERLEAVED_THINKING_BETA)
    if request.output_schema is not None and not forced:  # structured outputs: the final text follows the schema
        config = body.setdefault("output_config", {})
        config["format"] = {"type": "json_schema", "schema": request.output_schema}
    body["stream"] = True
    return body, betas


def build_request_body(request: ModelRequest) -> dict[str, Any]:
    """The JSON body of ``POST /messages`` for ``request``."""
    return build_request(request)[0]


# --- stream --------------------------------------------------------------------------------


class _Block:
    __slots__ = ("call_id", "data", "kind", "name", "parts", "raw", "signature")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.parts: list[str] = []
        self.signature = ""
        self.call_id = ""
        self.name = ""
        self.data = ""
        self.raw: dict[str, Any] = {}


def _server_tool_item(use: dict[str, Any] | None, result: dict[str, Any] | None) -> WebSearch:
    """A server tool's call and result blocks as one ``WebSearch`` item (echoed back verbatim)."""
    from codex_py.protocol.items import WebSearch
    from codex_py.providers._citations import unique

    blocks = [b for b in (use, result) if b is not None]
    source = use or {}
    given = source.get("input")
    query_input: dict[str, Any] = given if isinstance(given, dict) else {}
    content = (result or {}).get("content")
    urls: list[str] = []
    error = ""
    if isinstance(content, list):
        urls = [str(r.get("url") or "") for r in content if isinstance(r, dict)]
    elif isinstance(content, dict):
        error = str(content.get("error_code") or "error")
    name = str(source.get("name") or "web_search")
    return WebSearch(
        str(source.get("id") or (result or {}).get("tool_use_id") or ""),
        str(query_input.get("query") or query_input.get("url") or ""),
        unique(urls),
        "search" if name == "web_search" else "other",
        WIRE,
        {"blocks": blocks},
        error,
    )


class MessagesDecoder:
    """SSE data of one Messages stream -> protocol events."""

    def __init__(self, provider: ProviderInfo, final_tool: str = "") -> None:
        self.provider = provider
        self.final_tool = final_tool
        """The forced ``final_answer`` tool's name: its call's input becomes the answer text."""
        self._answered = False
        self.extra: list[Event] = []
        self.terminal: Completed | StreamError | None = None
        self._blocks: dict[int, _Block] = {}
        self._text: list[str] = []
        self._usage: dict[str, Any] = {}
        self._stop: str | None = None
        self._id = ""
        self._cited: list[tuple[str, str]] = []
        """(url, title) of the citations on the answer's text blocks (web search)."""
        self._search: list[dict[str, Any]] = []
        """A ``server_tool_use`` block waiting for its ``web_search_tool_result``."""

    def feed(self, data: bytes) -> Event | None:
        """Decode one event's data."""
        try:
            ev: WireEvent = loads(data)
        except ValueError:
            return None
        kind = ev.get("type")
        if kind == "content_block_delta":
            delta = ev["delta"]
            dtype = delta.get("type")
            block = self._blocks.get(ev.get("index", 0))
            if block is None:
                return None
            if dtype == "text_delta":
                text = delta["text"]
                block.parts.append(text)
                return TextDelta(text)
            if dtype == "input_json_delta":
                partial = delta.get("partial_json") or ""
                if not partial:
                    return None
                block.parts.append(partial)
                return ToolCallDelta(block.call_id, partial) if block.kind == "tool_use" else None
            if dtype == "citations_delta":
                citation = delta.get("citation")
                if isinstance(citation, dict):
                    self._cited.append((str(citation.get("url") or ""), str(citation.get("title") or "")))
                return None
            if dtype == "thinking_delta":
                text = delta["thinking"]
                block.parts.append(text)
                return ReasoningDelta(text)
            if dtype == "signature_delta":
                block.signature = delta.get("signature", "")
            return None
        if kind == "content_block_start":
            return self._start(ev.get("index", 0), ev.get("content_block") or {})
        if kind == "content_block_stop":
            return self._stop_block(ev.get("index", 0))
        if kind == "message_start":
            message = ev.get("message") or {}
            self._id = message.get("id", "")
            self._usage.update(message.get("usage") or {})
        elif kind == "message_delta":
            self._stop = (ev.get("delta") or {}).get("stop_reason") or self._stop
            usage = ev.get("usage")
            if usage:
                self._usage.update({k: v for k, v in usage.items() if v is not None})
        elif kind == "message_stop":
            if self._search:  # a search the response stopped after (pause_turn): echoed back as it is
                self.extra.append(ItemDone(_server_tool_item(self._search.pop(), None)))
            self._flush_text()
            stop = _STOP.get(self._stop or "end_turn", StopReason.OTHER)
            if self._answered and stop is StopReason.TOOL_USE:
                stop = StopReason.END_TURN  # the final_answer call ends the turn
            self.terminal = Completed(stop, self._usage_out(), self._id)
        elif kind == "error":
            error = ev.get("error") or {}
            code, text = str(error.get("type") or ""), str(error.get("message") or "")
            self.terminal = error_from_event(code, text, self.provider)
        elif kind is None and "error" in ev:  # a proxy's {"error": ...} chunk
            self.terminal = error_from_chunk(ev, self.provider)
        return None  # ping and unknown events

    def _start(self, index: int, raw: WireBlock) -> Event | None:
        btype = raw.get("type", "")
        block = self._blocks[index] = _Block(btype)
        if btype == "text":
            if raw.get("text"):
                block.parts.append(raw["text"])
                return TextDelta(raw["text"])
            return None
        self._flush_text()
        if btype == "tool_use" and self.final_tool and raw.get("name") == self.final_tool:
            block.kind = "final_answer"  # not a tool call: no start event, no argument deltas
            return None
        if btype == "tool_use":
            block.call_id = raw.get("id", "")
            block.name = raw.get("name", "")
            return ToolCallStart(block.call_id, block.name)
        if btype == "server_tool_use" or btype.endswith("_tool_result"):
            block.raw = dict(raw)
        elif btype == "redacted_thinking":
            block.data = raw.get("data", "")
        elif btype == "thinking" and raw.get("thinking"):
            block.parts.append(raw["thinking"])
        return None

    def _stop_block(self, index: int) -> Event | None:
        block = self._blocks.pop(index, None)
        if block is None:
            return None
        kind = block.kind
        if kind == "text":
            self._text.extend(block.parts)
            return None
        if kind == "tool_use":
            return ItemDone(ToolCall(block.call_id, block.name, "".join(block.parts) or "{}"))
        if kind == "final_answer":
            self._answered = True
            return ItemDone(AssistantMessage("".join(block.parts) or "{}"))
        if kind == "thinking":
            payload = {"signature": block.signature} if block.signature else {}
            return ItemDone(Reasoning("".join(block.parts), provider=WIRE, payload=payload))
        if kind == "redacted_thinking":
            return ItemDone(Reasoning("", provider=WIRE, payload={"redacted": block.data}))
        if kind == "server_tool_use":
            raw = block.raw
            if block.parts:
                try:
                    raw["input"] = json.loads("".join(block.parts))
                except ValueError:
                    pass
            if raw.get("name") == "web_search":
                self._search = [raw]
                return None
            return ItemDone(_server_tool_item(raw, None))  # another server tool: kept so the turn can be echoed
        if kind.endswith("_tool_result"):
            use = self._search[0] if self._search else None
            self._search = []
            return ItemDone(_server_tool_item(use, block.raw))
        return None

    def _flush_text(self) -> None:
        if self._text:
            text = "".join(self._text)
            self._text.clear()
            data: dict[str, Any] = {}
            if self._cited:
                from codex_py.providers._citations import citations_json

                data = {WIRE: {"citations": citations_json(self._cited)}}
                self._cited.clear()
            if text:
                self.extra.append(ItemDone(AssistantMessage(text, provider_data=data)))

    def _usage_out(self) -> Usage | None:
        u = self._usage
        if not u:
            return None
        written = u.get("cache_creation_input_tokens") or 0
        read = u.get("cache_read_input_tokens") or 0
        return Usage(
            input_tokens=(u.get("input_tokens") or 0) + written + read,
            cached_input_tokens=read,
            output_tokens=u.get("output_tokens") or 0,
            reasoning_output_tokens=(u.get("output_tokens_details") or {}).get("thinking_tokens") or 0,
            cache_write_tokens=written,
        )

    def finish(self) -> Completed | StreamError:
        """End of body without ``message_stop``: a dropped stream (retryable)."""
        return StreamError(ErrorKind.STREAM, "stream closed before message_stop", retryable=True)


class MessagesDialect:
    """The Messages wire for ``HttpModelClient``."""

    path = "messages"

    def __init__(self, provider: ProviderInfo) -> None:
        self.provider = provider

    def prepare(self, request: ModelRequest) -> tuple[dict[str, Any], dict[str, str]]:
        """Body and headers: ``anthropic-version`` always, ``anthropic-beta`` when needed."""
        body, betas = build_request(request)
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if betas:
            headers["anthropic-beta"] = ",".join(betas)
        return body, headers

    def decoder(self, request: ModelRequest) -> MessagesDecoder:
        return MessagesDecoder(self.provider, final_answer_tool(request))


__all__ = ["MessagesDecoder", "MessagesDialect", "build_request", "build_request_body"]
