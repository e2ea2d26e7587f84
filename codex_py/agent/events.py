"""What the agent tells its front ends (the TUI and exec subscribe to the same events).

The agent reaches a front end only through these dataclasses, delivered to an
``EventSink`` callable. Approval requests carry a future the front end resolves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from codex_py.protocol.events import RateLimits, Usage


@dataclass(slots=True)
class TurnStarted:
    turn_id: str


@dataclass(slots=True)
class AgentTextDelta:
    text: str


@dataclass(slots=True)
class AgentReasoningDelta:
    text: str
    section_break: bool = False


@dataclass(slots=True)
class StreamReset:
    """A dropped stream is being retried: discard the partial text and reasoning of the
    current response shown so far. ``message`` reads like ``Reconnecting... 1/5 (cause)``."""

    attempt: int
    max_attempts: int
    message: str


@dataclass(slots=True)
class AgentMessage:
    """A finished assistant message (its deltas were already sent)."""

    text: str
    sources: list[tuple[str, str]] = field(default_factory=list)
    """(url, title) of the pages the answer cites (a provider's web search); shown after it."""


@dataclass(slots=True)
class AgentReasoning:
    """A finished reasoning block."""

    text: str


@dataclass(slots=True)
class CommandBegin:
    call_id: str
    command: list[str]
    workdir: str
    approval: str = ""
    """How it was approved, shown dimly in its cell: ``auto: known-safe``, ``auto: on-request, sandboxed``,
    ``approved once``, ``approved for the session`` (``: npm test …`` for a prefix), ``, unsandboxed`` appended
    when it runs outside the sandbox. Empty when unknown (exec --json ignores it)."""


@dataclass(slots=True)
class CommandOutput:
    """A chunk of a running command's output (stdout and stderr interleaved)."""

    call_id: str
    chunk: str


@dataclass(slots=True)
class CommandEnd:
    call_id: str
    command: list[str]
    exit_code: int | None
    output: str
    """The whole output (the model may have received a truncated copy)."""
    duration_s: float
    status: Literal["completed", "failed", "declined"]
    reason: str = ""
    """Why it was declined, as told to the model: ``rejected by user: <their words>`` or the policy."""
    approval: str = ""
    """As in ``CommandBegin``."""


@dataclass(slots=True)
class FileChange:
    path: str
    kind: Literal["add", "update", "delete"]
    diff: str = ""
    """Unified diff for display."""
    move_to: str | None = None


@dataclass(slots=True)
class PatchBegin:
    call_id: str
    changes: list[FileChange]


@dataclass(slots=True)
class PatchEnd:
    call_id: str
    changes: list[FileChange]
    status: Literal["completed", "failed", "declined"]
    message: str = ""
    reason: str = ""
    """Why it was declined, as told to the model: ``rejected by user: <their words>`` or the policy."""


@dataclass(slots=True)
class PlanStep:
    step: str
    status: Literal["pending", "in_progress", "completed"]


@dataclass(slots=True)
class PlanUpdated:
    explanation: str | None
    plan: list[PlanStep]


class Decision(StrEnum):
    APPROVE = "approve"
    APPROVE_SESSION = "approve_session"
    """This exact command (whole argv), or these files, for the rest of the session."""
    APPROVE_PREFIX = "approve_prefix"
    """Every command starting with the request's ``session_prefix`` for the rest of the session (sandboxed)."""
    APPROVE_ALWAYS = "approve_always"
    """This MCP tool from now on: ``approval_mode = "approve"`` is written to config.toml (``persist_offered``)."""
    DENY = "deny"
    ABORT = "abort"
    """Deny and stop the turn."""


@dataclass(slots=True)
class ApprovalResult:
    decision: Decision
    reason: str = ""
    """For DENY: told to the model."""


@dataclass(slots=True)
class ApprovalRequest:
    """Ask the user. The front end resolves ``future`` with an ``ApprovalResult``."""

    call_id: str
    kind: Literal["command", "patch", "mcp_tool"]
    reason: str
    command: list[str] | None = None
    changes: list[FileChange] | None = None
    future: asyncio.Future[ApprovalResult] | None = None
    justification: str = ""
    """The model's own reason (``justification``), shown on its own labelled line."""
    unsandboxed: bool = False
    """Approved, the command runs outside the sandbox (an escalation, or no sandbox available)."""
    session_prefix: list[str] | None = None
    """The prefix ``Decision.APPROVE_PREFIX`` remembers; None: that choice is not offered."""
    persist_offered: bool = False
    """An MCP tool call: ``Decision.APPROVE_ALWAYS`` ("don't ask again", saved in config.toml) is offered."""


@dataclass(slots=True)
class McpServerUpdate:
    """An MCP server changed state: ``starting`` -> ``ready`` or ``failed`` (a failure also comes as one
    ``Warning``). ``ready``/``total`` count the session's enabled servers (the TUI shows "MCP 2/3 ready")."""

    server: str
    state: str
    error: str
    ready: int
    total: int


@dataclass(slots=True)
class McpToolCallBegin:
    call_id: str
    server: str
    """Raw server and tool names (the model saw ``mcp__<server>__<tool>``)."""
    tool: str
    arguments: Any
    """The parsed JSON arguments, or None when the model sent none."""


@dataclass(slots=True)
class McpToolCallEnd:
    call_id: str
    server: str
    tool: str
    arguments: Any
    result: dict[str, Any] | None
    """``{"content": [MCP blocks], "structured_content": ...}``; None when the call produced no result."""
    error: str | None
    """Why there is no result (timeout, dead server, declined)."""
    status: Literal["completed", "failed"]
    """``failed`` when ``isError`` is set or there is no result."""
    duration_s: float = 0.0


@dataclass(slots=True)
class WebSearchEnd:
    """The provider ran a web search (its hosted / server tool): what it searched and the pages it found."""

    call_id: str
    query: str
    urls: list[str]
    action: str = "search"
    """``search``, ``open_page``, ``find_in_page`` or ``other``."""
    error: str = ""


def search_label(event: WebSearchEnd) -> str:
    """``Searched <query>``, ``Opened <url>``, ``Searched 'pattern' in <url>`` (Codex's wording)."""
    if event.error:
        return f"Web search failed ({event.error})" + (f": {event.query}" if event.query else "")
    if event.action == "open_page":
        return f"Opened {event.urls[0] if event.urls else event.query}"
    if event.action == "find_in_page":
        where = f" in {event.urls[0]}" if event.urls else ""
        return f"Searched '{event.query}'{where}"
    return f"Searched {event.query}" if event.query else "Searched the web"


@dataclass(slots=True)
class TokenUsage:
    turn: Usage
    session: Usage
    context_window: int | None
    context_used: int
    """Tokens the next request will carry, as far as known."""
    rate_limits: RateLimits | None = None
    cost_usd: float | None = None
    """The session's estimated cost (None: a subscription login, or a model without a price)."""
    turn_cost_usd: float | None = None


@dataclass(slots=True)
class Warning:
    """Non-fatal: shown to the user, the turn goes on."""

    message: str


@dataclass(slots=True)
class Compacted:
    summary: str
    tokens_before: int
    tokens_after: int


@dataclass(slots=True)
class TurnCompleted:
    last_message: str | None


@dataclass(slots=True)
class TurnFailed:
    message: str
    hint: str = ""
    exit_code: int = 1
    """3 for missing credentials, 1 otherwise (exec uses it)."""


@dataclass(slots=True)
class TurnAborted:
    reason: str = "interrupted"


AgentEvent = (
    TurnStarted
    | AgentTextDelta
    | AgentReasoningDelta
    | StreamReset
    | AgentMessage
    | AgentReasoning
    | CommandBegin
    | CommandOutput
    | CommandEnd
    | PatchBegin
    | PatchEnd
    | PlanUpdated
    | McpServerUpdate
    | McpToolCallBegin
    | McpToolCallEnd
    | WebSearchEnd
    | ApprovalRequest
    | TokenUsage
    | Warning
    | Compacted
    | TurnCompleted
    | TurnFailed
    | TurnAborted
)

EventSink = Callable[[AgentEvent], None]


@dataclass(slots=True)
class CollectingSink:
    """A sink that keeps every event (handy for exec's final summary and for tests)."""

    events: list[AgentEvent] = field(default_factory=list)

    def __call__(self, event: AgentEvent) -> None:
        self.events.append(event)
