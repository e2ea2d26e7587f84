"""A call of an MCP tool: server · tool · arguments, a spinner while it runs, then its status, duration and a
collapsible result (the first lines; Enter or a click shows all of it). What a server sends is text to read, never
terminal controls (``strip_controls``)."""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from codex_py.protocol.terminal_text import strip_controls as _clean
from codex_py.tui.widgets.command_cell import SPINNER, format_duration

HEAD_LINES = 5
"""Lines of the result shown while collapsed."""
ARGS_MAX = 160
"""Characters of the arguments shown in the header (the whole JSON is in the expanded result)."""


def args_text(arguments: Any, limit: int = ARGS_MAX) -> str:
    """The arguments as compact JSON on one line, shortened to ``limit`` characters."""
    if arguments is None:
        return "()"
    text = _clean(json.dumps(arguments, ensure_ascii=False, separators=(", ", ": ")).replace("\n", " "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def result_text(result: dict[str, Any] | None) -> str:
    """What the user reads of an MCP result: its text blocks, a short line per image, audio or resource,
    else the structured content as indented JSON."""
    if not result:
        return ""
    parts: list[str] = []
    for block in result.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            parts.append(str(block.get("text", "")))
        elif kind in ("image", "audio"):
            recorded = block.get("bytes")  # a redrawn call: the rollout keeps the size, not the data
            size = recorded if isinstance(recorded, int) else len(block.get("data") or "") * 3 // 4
            parts.append(f"[{kind} {block.get('mimeType') or '?'}, {size:,} bytes]")
        elif kind == "resource":
            resource = block.get("resource") or {}
            text = resource.get("text")
            parts.append(f"[resource {resource.get('uri', '')}]" + (f"\n{text}" if isinstance(text, str) else ""))
        elif kind == "resource_link":
            parts.append(f"[link {block.get('uri', '')}]")
        else:
            parts.append(json.dumps(block, ensure_ascii=False))
    structured = result.get("structured_content")
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, indent=2))
    return _clean("\n".join(parts))


class McpCallCell(Widget, can_focus=True):
    """One MCP tool call; ``finish`` fills in how it ended."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "toggle_result", "Show result", show=False)]

    DEFAULT_CSS = """
    McpCallCell { height: auto; margin: 1 0 0 0; padding: 0 1; }
    McpCallCell:focus { background: $boost; }
    McpCallCell > .header { color: $text; }
    McpCallCell > .result { color: $text-muted; padding: 0 0 0 2; }
    McpCallCell.-empty > .result { display: none; }
    McpCallCell > .error { color: $error; padding: 0 0 0 2; }
    """

    def __init__(self, call_id: str, server: str, tool: str, arguments: Any) -> None:
        super().__init__(classes="-empty")
        self.call_id = call_id
        self.server = _clean(server)
        self.tool = _clean(tool)
        self.arguments = arguments
        self.started = time.monotonic()
        self.status = "running"
        self.duration_s = 0.0
        self.result = ""
        self.error = ""
        self.expanded = False
        self._frame = 0
        self._ticker: Timer | None = None
        self._header = Static(classes="header", markup=False)
        self._error = Static(classes="error", markup=False)
        self._result = Static(classes="result", markup=False)

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._error
        yield self._result

    def on_mount(self) -> None:
        self._render_all()
        if self.status == "running":
            self._ticker = self.set_interval(0.1, self._tick)

    @property
    def title(self) -> str:
        """``server · tool {args}``."""
        return f"{self.server} · {self.tool} {args_text(self.arguments)}"

    def finish(self, result: dict[str, Any] | None, error: str | None, status: str, duration_s: float) -> None:
        """The call ended: ``completed`` or ``failed`` (an ``isError`` result, or no result and ``error``)."""
        self.status = status
        self.duration_s = duration_s or (time.monotonic() - self.started)
        self.result = result_text(result)
        self.error = _clean(error or "")
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self.is_mounted:
            self._render_all()

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run and the transcript pager."""
        mark = {"running": "…", "completed": "✓", "failed": "✗"}.get(self.status, "?")
        lines = [f"{mark} {self.title}" + ("" if self.status == "running" else f"  {self._tail()}")]
        if self.error:
            lines.append(f"  {self.error}")
        lines += ["  " + line for line in self._shown_lines()]
        return "\n".join(lines)

    def _tail(self) -> str:
        word = "failed" if self.status == "failed" else "done"
        return f"{word} · {format_duration(self.duration_s)}"

    def _tick(self) -> None:
        self._frame += 1
        self._render_header()

    def _render_all(self) -> None:
        self._render_header()
        self._error.display = bool(self.error)
        self._error.update(self.error)
        self._render_result()

    def _render_header(self) -> None:
        if self.status == "running":
            elapsed = format_duration(time.monotonic() - self.started)
            mark, style, tail = SPINNER[self._frame % len(SPINNER)] + " ", "$accent", elapsed
        elif self.status == "failed":
            mark, style, tail = "✗ ", "$error", self._tail()
        else:
            mark, style, tail = "✓ ", "$success", self._tail()
        self._header.update(
            Content.assemble(
                (mark, style),
                (self.server, "bold"),
                " · ",
                (self.tool, "bold"),
                " ",
                args_text(self.arguments),
                (f"  {tail}", "dim"),
            )
        )

    def _shown_lines(self) -> list[str]:
        lines = self.result.rstrip("\n").split("\n") if self.result.strip() else []
        if self.expanded or len(lines) <= HEAD_LINES:
            return lines
        hidden = len(lines) - HEAD_LINES
        return [*lines[:HEAD_LINES], f"… {hidden} more line{'s' if hidden != 1 else ''} (enter to show)"]

    def _render_result(self) -> None:
        lines = self._shown_lines()
        self.set_class(not lines, "-empty")
        self._result.update("\n".join(lines))

    def action_toggle_result(self) -> None:
        """Show the whole result, or only its first lines."""
        self.expanded = not self.expanded
        self._render_result()

    def on_click(self) -> None:
        self.action_toggle_result()
