"""OpenAI Responses API (``wire_api = "responses"``): request body and SSE decoding.

Stateless by design: ``store: false`` with ``include: ["reasoning.encrypted_content"]`` so
reasoning items come back in the next request's ``input`` unmodified (minus their ``id``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict

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
from codex_py.providers._errors import error_from_chunk, error_from_event
from codex_py.providers._history import custom_input, function_arguments, pair_tool_calls
from codex_py.providers._sse import loads
from codex_py.providers.catalog import model_info

WIRE = "responses"


if TYPE_CHECKING:
    from codex_py.protocol.items import WebSearch


class WireItem(TypedDict, total=False):
    """An output item (``response.output_item.done``) or an input item we send."""

    type: str
    id: str
    role: str
    content: list[dict[str, Any]]
    phase: str
    summary: list[dict[str, Any]]
    encrypted_content: str | None
    call_id: str
    name: str
    arguments: str
    input: str
    output: str
    status: str


class WireEvent(TypedDict, total=False):
    type: str
    delta: str
    item_id: str
    output_index: int
    summary_index: int
    item: WireItem
    response: dict[str, Any]
    code: str | None
    message: str


# --- request -------------------------------------------------------------------------------


def _user_content(item: UserMessage) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in item.content:
        if isinstance(part, TextPart):
            parts.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_input_image(part))
    return parts


def _input_image(part: ImagePart) -> dict[str, Any]:
    """An ``input_image`` within the OpenAI limits (2048 px)."""
    from codex_py.providers.images import OPENAI_LIMITS, fit

    return {"type": "input_image", "image_url": fit(part, OPENAI_LIMITS).url}


def _result_output(item: ToolResult) -> str | list[dict[str, Any]]:
    """A tool result's ``output``: its text, or a content list (text, then images) when it has images."""
    if not item.images:
        return item.output
    content: list[dict[str, Any]] = [{"type": "input_text", "text": item.output}] if item.output else []
    return [*content, *(_input_image(image) for image in item.images)]


def _web_search_input(item: Item) -> dict[str, Any] | None:
    """A ``web_search_call`` from this wire, echoed back as it came (minus its id: nothing is stored
    server-side with ``store: false``); another wire's search is left out."""
    payload: dict[str, Any] = getattr(item, "payload", {})
    if getattr(item, "provider", "") != WIRE or payload.get("type") != "web_search_call":
        return None
    return {k: v for k, v in payload.items() if k != "id"}


def web_search_tool(request: ModelRequest) -> dict[str, Any] | None:
    """The hosted ``web_search`` tool as Codex sends it (``external_web_access`` false: cached results)."""
    options = request.web_search
    if options is None:
        return None
    tool: dict[str, Any] = {"type": "web_search", "external_web_access": options.live}
    if options.allowed_domains:
        tool["filters"] = {"allowed_domains": list(options.allowed_domains)}
    if options.location:
        tool["user_location"] = {"type": "approximate", **dict(options.location)}
    if options.context_size:
        tool["search_context_size"] = options.context_size
    return tool


def _reasoning_input(item: Reasoning) -> dict[str, Any] | None:
    payload = item.payload
    if item.provider != WIRE or not payload.get("encrypted_content"):
        return None  # another vendor's reasoning, or nothing the server could use statelessly
    out = {k: v for k, v in payload.items() if k not in ("id", "status", "content")}
    out["type"] = "reasoning"
    out.setdefault("summary", [])
    content = payload.get("content")
    if content and not any(isinstance(c, dict) and c.get("type") == "reasoning_text" for c in content):
        out["content"] = content
    return out


def input_items(items: list[Item], custom_tools: frozenset[str]) -> list[dict[str, Any]]:
    """Protocol history -> Responses ``input`` items. Calls to a tool offered as freeform
    become ``custom_tool_call`` (and their results ``custom_tool_call_output``), others
    ``function_call``, whatever wire API produced them."""
    out: list[dict[str, Any]] = []
    custom_calls: set[str] = set()
    for item in pair_tool_calls(items):
        if type(item) is UserMessage:
            out.append({"type": "message", "role": "user", "content": _user_content(item)})
        elif type(item) is AssistantMessage:
            if not item.text:
                continue
            msg: dict[str, Any] = {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": item.text}],
            }
            phase = item.provider_data.get(WIRE, {}).get("phase")
            if phase:
                msg["phase"] = phase
            out.append(msg)
        elif type(item) is Reasoning:
            reasoning = _reasoning_input(item)
            if reasoning is not None:
                out.append(reasoning)
        elif type(item) is ToolCall:
            if item.name in custom_tools:
                custom_calls.add(item.call_id)
                call = {"type": "custom_tool_call", "call_id": item.call_id, "name": item.name}
                call["input"] = custom_input(item)
                out.append(call)
            else:
                out.append(
                    {
                        "type": "function_call",
                        "call_id": item.call_id,
                        "name": item.name,
                        "arguments": function_arguments(item),
                    }
                )
        elif type(item) is ToolResult:
            kind = "custom_tool_call_output" if item.call_id in custom_calls else "function_call_output"
            out.append({"type": kind, "call_id": item.call_id, "output": _result_output(item)})
        elif (search := _web_search_input(item)) is not None:
            out.append(search)
    return out


def tools_json(request: ModelRequest) -> list[dict[str, Any]]:
    """Function tools as ``{"type":"function",...}``, freeform tools as ``{"type":"custom",...}``;
    other vendors' native tool forms are left out (their function twins are offered)."""
    tools: list[dict[str, Any]] = []
    for spec in request.tools:
        if spec.native:
            continue
        if spec.kind == "custom":
            tool: dict[str, Any] = {"type": "custom", "name": spec.name, "description": spec.description}
            if "format" in spec.parameters:
                tool["format"] = spec.parameters["format"]
            tools.append(tool)
        else:
            parameters = spec.parameters or {"type": "object", "properties": {}}
            tools.append(
                {
                    "type": "function",
                    "name": spec.name,
                    "description": spec.description,
                    "strict": False,
                    "parameters": parameters,
                }
            )
    return tools


def build_request_body(request: ModelRequest, *, backend: Literal["api", "chatgpt"] = "api") -> dict[str, Any]:
    """The JSON body of ``POST /responses`` for ``request``."""
    info = model_info(WIRE, request.model)
    custom = frozenset(s.name for s in request.tools if s.kind == "custom" and not s.native)
    body: dict[str, Any] = {"model": request.model}
    if request.instructions or backend == "chatgpt":
        body["instructions"] = request.instructions
    body["input"] = input_items(request.items, custom)
    tools = tools_json(request)
    if (search_tool := web_search_tool(request)) is not None:
        tools.append(search_tool)
    body["tools"] = tools
    body["tool_choice"] = request.tool_choice
    body["parallel_tool_calls"] = request.parallel_tool_calls
    effort = request.reasoning_effort or (info.default_reasoning_effort if info.supports_reasoning else None)
    if effort is not None:
        reasoning: dict[str, Any] = {"effort": effort}
        if request.reasoning_summary and request.reasoning_summary != "none":
            reasoning["summary"] = request.reasoning_summary
        body["reasoning"] = reasoning
    body["store"] = False
    body["stream"] = True
    body["include"] = ["reasoning.encrypted_content"] if effort is not None else []
    if request.web_search is not None and backend == "api":
        body["include"].append("web_search_call.action.sources")  # the pages a search read, for display
    if request.session_id:
        body["prompt_cache_key"] = request.session_id
    if request.max_output_tokens and backend != "chatgpt":
        body["max_output_tokens"] = request.max_output_tokens
    if request.output_schema is not None:  # as Codex: every request of the turn, strict
        body["text"] = {"format": {**OUTPUT_SCHEMA_FORMAT, "schema": request.output_schema}}
    return body


OUTPUT_SCHEMA_FORMAT = {"type": "json_schema", "name": "codex_output_schema", "strict": True}


# --- stream --------------------------------------------------------------------------------


def _usage(raw: dict[str, Any] | None) -> Usage | None:
    if not raw:
        return None
    return Usage(
        input_tokens=raw.get("input_tokens") or 0,
        cached_input_tokens=(raw.get("input_tokens_details") or {}).get("cached_tokens") or 0,
        output_tokens=raw.get("output_tokens") or 0,
        reasoning_output_tokens=(raw.get("output_tokens_details") or {}).get("reasoning_tokens") or 0,
    )


def _reasoning_item(item: WireItem) -> Reasoning:
    summary = [s.get("text", "") for s in item.get("summary") or [] if isinstance(s, dict)]
    text = "\n\n".join(t for t in summary if t)
    if not text:
        parts = item.get("content") or []
        text = "".join(c.get("text", "") for c in parts if isinstance(c, dict) and c.get("type") == "reasoning_text")
    return Reasoning(text, provider=WIRE, payload=dict(item))


def _message_item(item: WireItem) -> AssistantMessage:
    content = item.get("content") or []
    kinds = ("output_text", "refusal")
    text = "".join(c.get("text") or c.get("refusal") or "" for c in content if c.get("type") in kinds)
    cited = [
        (str(a.get("url") or ""), str(a.get("title") or ""))
        for c in content
        for a in c.get("annotations") or ()
        if isinstance(a, dict) and a.get("type") == "url_citation"
    ]
    data: dict[str, Any] = {}
    phase = item.get("phase")
    if phase:
        data["phase"] = phase
    if cited:
        from codex_py.providers._citations import citations_json

        data["citations"] = citations_json(cited)
    return AssistantMessage(text, provider_data={WIRE: data} if data else {})


def _web_search_item(item: WireItem) -> WebSearch:
    """A finished ``web_search_call`` (Codex's actions: search, open_page, find_in_page)."""
    from codex_py.protocol.items import WebSearch
    from codex_py.providers._citations import unique

    raw: dict[str, Any] = dict(item)
    found = raw.get("action")
    action: dict[str, Any] = found if isinstance(found, dict) else {}
    kind = str(action.get("type") or "other")
    queries = action.get("queries") if isinstance(action.get("queries"), list) else []
    query = str(action.get("query") or (queries[0] if queries else "") or "")
    urls = [str(action.get("url") or "")]
    urls += [str(s.get("url") or "") for s in action.get("sources") or () if isinstance(s, dict)]
    if kind == "find_in_page" and action.get("pattern"):
        query = str(action.get("pattern"))
    status = str(raw.get("status") or "")
    return WebSearch(
        str(raw.get("id") or ""),
        query,
        unique(urls),
        kind if kind in ("search", "open_page", "find_in_page") else "other",
        WIRE,
        raw,
        status if status == "failed" else "",
    )


class ResponsesDecoder:
    """SSE data of one Responses stream -> protocol events."""

    def __init__(self, provider: ProviderInfo, backend: str = "api") -> None:
        self.provider = provider
        self.backend = backend
        self.extra: list[Event] = []
        self.terminal: Completed | StreamError | None = None
        self._call_ids: dict[str, str] = {}
        self._saw_call = False
        self._refused = False
        self._section_pending = False
        self._failure: StreamError | None = None

    def feed(self, data: bytes) -> Event | None:
        """Decode one event's data."""
        try:
            ev: WireEvent = loads(data)
        except ValueError:
            return None
        kind = ev.get("type")
        if kind == "response.output_text.delta" or kind == "response.refusal.delta":
            return TextDelta(ev["delta"])
        if kind == "response.function_call_arguments.delta" or kind == "response.custom_tool_call_input.delta":
            item_id = ev.get("item_id", "")
            return ToolCallDelta(self._call_ids.get(item_id, item_id), ev["delta"])
        if kind == "response.reasoning_summary_text.delta" or kind == "response.reasoning_text.delta":
            if self._section_pending:
                self._section_pending = False
                return ReasoningDelta(ev["delta"], True)
            return ReasoningDelta(ev["delta"])
        if kind == "response.reasoning_summary_part.added":
            self._section_pending = (ev.get("summary_index") or 0) > 0
            return None
        if kind == "response.output_item.added":
            return self._item_added(ev.get("item") or {})
        if kind == "response.output_item.done":
            return self._item_done(ev.get("item") or {})
        if kind == "response.completed":
            response = ev.get("response") or {}
            stop = StopReason.TOOL_USE if self._saw_call else StopReason.END_TURN
            if self._refused:
                stop = StopReason.REFUSAL
            self.terminal = Completed(stop, _usage(response.get("usage")), response.get("id", ""))
        elif kind == "response.incomplete":
            response = ev.get("response") or {}
            reason = (response.get("incomplete_details") or {}).get("reason", "")
            stop = StopReason.CONTENT_FILTER if reason == "content_filter" else StopReason.MAX_TOKENS
            self.terminal = Completed(stop, _usage(response.get("usage")), response.get("id", ""))
        elif kind == "response.failed":
            error = (ev.get("response") or {}).get("error") or {}
            self.terminal = error_from_event(
                str(error.get("code") or ""), str(error.get("message") or ""), self.provider, self.backend
            )
        elif kind == "error":
            self.terminal = error_from_event(
                str(ev.get("code") or ""), str(ev.get("message") or ""), self.provider, self.backend
            )
        elif kind is None and "error" in ev:  # a proxy's {"error": ...} chunk
            self.terminal = error_from_chunk(ev, self.provider, self.backend)
        return None

    def _item_added(self, item: WireItem) -> Event | None:
        kind = item.get("type")
        if kind == "function_call" or kind == "custom_tool_call":
            call_id = item.get("call_id", "")
            self._call_ids[item.get("id", call_id)] = call_id
            return ToolCallStart(call_id, item.get("name", ""))
        return None

    def _item_done(self, item: WireItem) -> Event | None:
        kind = item.get("type")
        if kind == "message":
            if any(c.get("type") == "refusal" for c in item.get("content") or []):
                self._refused = True
            return ItemDone(_message_item(item))
        if kind == "reasoning":
            return ItemDone(_reasoning_item(item))
        if kind == "function_call":
            self._saw_call = True
            return ItemDone(ToolCall(item.get("call_id", ""), item.get("name", ""), item.get("arguments", "")))
        if kind == "custom_tool_call":
            self._saw_call = True
            return ItemDone(
                ToolCall(item.get("call_id", ""), item.get("name", ""), item.get("input", ""), kind="custom")
            )
        if kind == "web_search_call":
            return ItemDone(_web_search_item(item))
        return None  # other built-in tool items run server-side

    def finish(self) -> Completed | StreamError:
        """End of body without ``response.completed``: a dropped stream (retryable)."""
        return StreamError(ErrorKind.STREAM, "stream closed before response.completed", retryable=True)


class ResponsesDialect:
    """The Responses wire for ``HttpModelClient``."""

    path = "responses"

    def __init__(self, provider: ProviderInfo, backend: Literal["api", "chatgpt"] = "api") -> None:
        self.provider = provider
        self.backend: Literal["api", "chatgpt"] = backend

    def prepare(self, request: ModelRequest) -> tuple[dict[str, Any], dict[str, str]]:
        """Body and headers (the ChatGPT backend also gets a ``session_id`` header)."""
        headers = {"session_id": request.session_id} if self.backend == "chatgpt" and request.session_id else {}
        return build_request_body(request, backend=self.backend), headers

    def decoder(self, request: ModelRequest) -> ResponsesDecoder:
        return ResponsesDecoder(self.provider, self.backend)


__all__ = ["ResponsesDecoder", "ResponsesDialect", "WireEvent", "WireItem", "build_request_body"]
