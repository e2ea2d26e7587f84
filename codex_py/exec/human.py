"""``exec`` without ``--json``: the answer streams to stdout; everything else goes to stderr, dimmed.

Reasoning, commands (with the tail of their output), patches, plan updates, warnings and a closing
usage line are written to stderr. Colour only when that stream is a terminal and ``NO_COLOR`` is unset.
"""

from __future__ import annotations

import json
import os
import shlex
from typing import TextIO

from codex_py.agent.events import (
    AgentEvent,
    AgentMessage,
    AgentReasoning,
    AgentReasoningDelta,
    AgentTextDelta,
    ApprovalRequest,
    CommandBegin,
    CommandEnd,
    Compacted,
    McpToolCallBegin,
    McpToolCallEnd,
    PatchEnd,
    PlanUpdated,
    StreamReset,
    TokenUsage,
    TurnAborted,
    TurnCompleted,
    TurnFailed,
    Warning,
    WebSearchEnd,
)
from codex_py.config.redaction import redact_known
from codex_py.exec.jsonl import deny_approval
from codex_py.protocol.events import Usage
from codex_py.protocol.terminal_text import strip_controls

OUTPUT_TAIL_LINES = 20
_DIM, _RED, _YELLOW, _RESET = "\x1b[2m", "\x1b[31m", "\x1b[33m", "\x1b[0m"
_PATCH_MARK = {"add": "A", "update": "M", "delete": "D"}
_PLAN_MARK = {"completed": "[x]", "in_progress": "[>]", "pending": "[ ]"}


def _shown(text: str) -> str:
    """Model text or command output as printed: without terminal escapes (issue 11), then redacted
    (stripping first, so an escape cannot split a secret past the redactor)."""
    return redact_known(strip_controls(text))


def wants_color(stream: TextIO) -> bool:
    """ANSI styling only for a terminal, and never with ``NO_COLOR`` set."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def usage_line(usage: Usage) -> str:
    """The closing ``tokens used`` line."""
    return (
        f"tokens used: {usage.input_tokens:,} input ({usage.cached_input_tokens:,} cached), "
        f"{usage.output_tokens:,} output ({usage.reasoning_output_tokens:,} reasoning)"
    )


def cost_line(event: TokenUsage | None) -> str | None:
    """``estimated cost: $0.0123`` (pay-per-token logins) and/or the subscription usage windows."""
    if event is None:
        return None
    from codex_py.providers.pricing import format_usd
    from codex_py.providers.ratelimits import usage_limits

    parts = []
    if event.cost_usd is not None:
        parts.append(f"estimated cost: {format_usd(event.cost_usd)}")
    limits = usage_limits(event.rate_limits.limits) if event.rate_limits is not None else None
    if limits is not None:
        parts.append(f"usage: {limits.describe()}")
    return " · ".join(parts) or None


class HumanOutput:
    """An ``EventSink`` printing a turn for people (see module docstring)."""

    def __init__(self, out: TextIO, err: TextIO, *, show_reasoning: bool = True, color: bool | None = None) -> None:
        self.out = out
        self.err = err
        self.show_reasoning = show_reasoning
        self.color = wants_color(err) if color is None else color
        self.session_usage: Usage | None = None
        self.last_usage_event: TokenUsage | None = None
        self._out_at_line_start = True
        self._text_this_response = False
        self._response_shown = False
        """Something of the response in progress is on screen (a retry restarts it)."""
        self._reasoning_open = False
        self._reasoning_streamed = False

    # --- writing ---------------------------------------------------------------------------
    def _style(self, text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if self.color and text else text

    def _note(self, text: str, style: str = _DIM) -> None:
        """A whole line (or lines) on stderr, after closing any open stdout/reasoning line."""
        self._close_reasoning()
        self._end_out_line()
        self.err.write(self._style(_shown(text), style) + "\n")
        self.err.flush()

    def _end_out_line(self) -> None:
        if not self._out_at_line_start:
            self.out.write("\n")
            self.out.flush()
            self._out_at_line_start = True

    def _close_reasoning(self) -> None:
        if self._reasoning_open:
            self.err.write("\n")
            self.err.flush()
            self._reasoning_open = False

    # --- events ----------------------------------------------------------------------------
    def __call__(self, event: AgentEvent) -> None:
        kind = type(event)
        if kind is AgentTextDelta:
            assert isinstance(event, AgentTextDelta)
            if self._reasoning_open:
                self._close_reasoning()
            self.out.write(_shown(event.text))
            self.out.flush()
            if event.text:
                self._out_at_line_start = event.text.endswith("\n")
                self._text_this_response = self._response_shown = True
        elif kind is AgentReasoningDelta:
            assert isinstance(event, AgentReasoningDelta)
            if self.show_reasoning:
                self._reasoning_delta(event)
        elif kind is AgentMessage:
            assert isinstance(event, AgentMessage)
            if not self._text_this_response and event.text:
                self.out.write(_shown(event.text))
                self._out_at_line_start = event.text.endswith("\n")
                self._response_shown = True
            self._end_out_line()
            if event.sources:  # the cited pages belong to the answer: on stdout with it
                lines = [f"- {title} <{url}>" if title else f"- <{url}>" for url, title in event.sources]
                self.out.write(_shown("\nSources:\n" + "\n".join(lines) + "\n"))
                self.out.flush()
            self._text_this_response = False
        elif kind is AgentReasoning:
            assert isinstance(event, AgentReasoning)
            if self.show_reasoning and not self._reasoning_streamed and event.text.strip():
                self._note(event.text.strip())
                self._response_shown = True
            self._close_reasoning()
            self._reasoning_streamed = False
        else:
            self._other(event)

    def _reasoning_delta(self, event: AgentReasoningDelta) -> None:
        if not self._reasoning_open:
            self._end_out_line()
            self._reasoning_open = True
        elif event.section_break:
            self.err.write("\n\n")
        self.err.write(self._style(_shown(event.text), _DIM))
        self.err.flush()
        self._reasoning_streamed = self._response_shown = True

    def _other(self, event: AgentEvent) -> None:
        if isinstance(event, StreamReset):
            restart = " (the answer restarts below)" if self._response_shown else ""
            self._note(f"{event.message}{restart}", _YELLOW)
            self._text_this_response = self._reasoning_streamed = False
            return
        self._response_shown = False  # any other event comes after the response: a retry no longer undoes it
        if isinstance(event, CommandBegin):
            self._note(f"$ {shlex.join(event.command)}")
        elif isinstance(event, CommandEnd):
            self._command_end(event)
        elif isinstance(event, McpToolCallBegin):
            args = "" if event.arguments is None else json.dumps(event.arguments, ensure_ascii=False)
            self._note(f"tool {event.server}.{event.tool}({args[:200] + ('…' if len(args) > 200 else '')})")
        elif isinstance(event, McpToolCallEnd):
            outcome = "success" if event.status == "completed" else "failed"
            self._note(f"  {outcome} in {event.duration_s:.1f}s" + (f": {event.error}" if event.error else ""))
        elif isinstance(event, PatchEnd):
            lines = [f"apply_patch {event.status}"]
            lines += [
                f"  {_PATCH_MARK[c.kind]} {c.path}" + (f" -> {c.move_to}" if c.move_to else "") for c in event.changes
            ]
            if event.status != "completed" and event.message:
                lines += [f"  {line}" for line in event.message.rstrip("\n").splitlines()]
            self._note("\n".join(lines))
        elif isinstance(event, WebSearchEnd):
            from codex_py.agent.events import search_label

            lines = [search_label(event)] + [f"  {url}" for url in event.urls[:8]]
            if len(event.urls) > 8:
                lines.append(f"  ... {len(event.urls) - 8} more")
            self._note("\n".join(lines))
        elif isinstance(event, PlanUpdated):
            lines = ["plan:" + (f" {event.explanation}" if event.explanation else "")]
            lines += [f"  {_PLAN_MARK[s.status]} {s.step}" for s in event.plan]
            self._note("\n".join(lines))
        elif isinstance(event, Warning):
            self._note(f"warning: {event.message}", _YELLOW)
        elif isinstance(event, Compacted):
            self._note(f"context compacted: ~{event.tokens_before:,} -> ~{event.tokens_after:,} tokens")
        elif isinstance(event, TokenUsage):
            self.session_usage = event.session
            self.last_usage_event = event
        elif isinstance(event, TurnCompleted):
            self._finish()
        elif isinstance(event, TurnFailed):
            self._note(f"error: {event.message}", _RED)
            if event.hint:
                self._note(f"hint: {event.hint}")
            self._finish()
        elif isinstance(event, TurnAborted):
            self._note(f"turn {event.reason}", _RED)
            self._finish()
        elif isinstance(event, ApprovalRequest):
            deny_approval(event)

    def _command_end(self, event: CommandEnd) -> None:
        if event.status == "declined":
            self._note("  declined (exec never asks for approval)")
            return
        code = "?" if event.exit_code is None else str(event.exit_code)
        lines = [f"  exit {code} in {event.duration_s:.1f}s"]
        output = event.output.rstrip("\n").splitlines()
        if len(output) > OUTPUT_TAIL_LINES:
            lines.append(f"  ... {len(output) - OUTPUT_TAIL_LINES} earlier lines")
            output = output[-OUTPUT_TAIL_LINES:]
        lines += [f"  {line}" for line in output]
        self._note("\n".join(lines))

    def _finish(self) -> None:
        if self.session_usage is not None:
            self._note(usage_line(self.session_usage))
            if (spend := cost_line(self.last_usage_event)) is not None:
                self._note(spend)
        else:
            self._close_reasoning()
            self._end_out_line()
