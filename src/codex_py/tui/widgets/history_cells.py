"""Transcript cells rebuilt from a session's history items (``/resume``, scroll-back after pruning).

The history has no events, only items: user messages, answers, reasoning, tool calls and their
results. Shell calls become finished command cells (exit code and duration from the result text the
model saw); other tools become a one-line cell with the tool's output tail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from codex_py.protocol.items import AssistantMessage as AssistantItem
from codex_py.protocol.items import Item, Reasoning, ToolCall, ToolResult
from codex_py.protocol.items import UserMessage as UserItem
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import TAIL_LINES, CommandCell
from codex_py.tui.widgets.thinking import ThinkingBlock
from codex_py.tui.widgets.user_message import UserMessage

_RESULT_HEAD = re.compile(r"Exit code: (-?\d+)\nWall time: ([\d.]+) seconds\n(?:Total output lines: \d+\n)?Output:\n")


def split_turns(items: Sequence[Item]) -> list[list[Item]]:
    """The history cut before each user message (items before the first one form their own group)."""
    turns: list[list[Item]] = []
    for item in items:
        if isinstance(item, UserItem) or not turns:
            turns.append([])
        turns[-1].append(item)
    return turns


def estimate_lines(items: Sequence[Item], width: int = 100) -> int:
    """Roughly how many lines ``items`` take on screen (to load about a line budget's worth)."""
    total = 0
    for item in items:
        text = str(getattr(item, "text", None) or getattr(item, "arguments", None) or getattr(item, "output", ""))
        total += 2 + text.count("\n") + len(text) // max(20, width)
    return total


class ToolHistoryCell(Static):
    """A past call of a tool other than the shell: ``• name  summary`` and the tail of its output."""

    DEFAULT_CSS = """
    ToolHistoryCell { height: auto; margin: 1 0 0 0; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, name: str, summary: str, output: str, failed: bool) -> None:
        tail = output.rstrip("\n").split("\n")[-TAIL_LINES:] if output.strip() else []
        mark = ("✗ ", "$error") if failed else ("• ", "$success")
        body = Content.assemble(mark, (name, "bold"), f"  {summary}" if summary else "")
        if tail:
            body = Content("\n").join([body, *(Content("  " + line) for line in tail)])
        super().__init__(body, markup=False)
        self.text = f"{name} {summary}".strip()

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return "• " + self.text


def _args(call: ToolCall) -> dict[str, object]:
    try:
        value = json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _argv(call: ToolCall) -> list[str] | None:
    if call.name == "shell":
        command = _args(call).get("command")
        if isinstance(command, list) and command and all(isinstance(c, str) for c in command):
            return [str(c) for c in command]
    elif call.name == "bash":
        script = _args(call).get("command")
        if isinstance(script, str):
            return ["bash", "-lc", script]
    return None


def _summary(call: ToolCall) -> str:
    text = call.arguments if call.kind == "custom" else str(_args(call).get("input") or _args(call).get("path") or "")
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith("*** Begin")), "")
    return first[:100]


def _tool_cell(call: ToolCall, result: ToolResult | None) -> Widget:
    output = result.output if result is not None else ""
    failed = result is None or result.is_error
    argv = _argv(call)
    if argv is None:
        return ToolHistoryCell(call.name, _summary(call), output, failed)
    cell = CommandCell(call.call_id, argv)
    head = _RESULT_HEAD.match(output)
    if head is not None:
        code = int(head.group(1))
        cell.finish(code, output[head.end() :], float(head.group(2)), "completed" if code == 0 else "failed")
    else:  # declined, or failed before it ran: the result is the explanation
        cell.finish(None, output, 0.0, "declined" if result is not None else "failed")
    return cell


def history_cells(items: Sequence[Item]) -> list[Widget]:
    """Finished cells showing ``items`` the way the live conversation showed them."""
    results = {i.call_id: i for i in items if isinstance(i, ToolResult)}
    cells: list[Widget] = []
    for item in items:
        if isinstance(item, UserItem):
            cells.append(UserMessage(item.text))
        elif isinstance(item, AssistantItem):
            if item.text:
                cells.append(AssistantMessage(item.text))
        elif isinstance(item, Reasoning):
            if item.text:
                cells.append(_thinking(item.text))
        elif isinstance(item, ToolCall):
            cells.append(_tool_cell(item, results.get(item.call_id)))
    return cells


def _thinking(text: str) -> ThinkingBlock:
    block = ThinkingBlock()
    block.finished_after = 0.0
    block.title = "Thought"
    block.collapsed = True
    block.body.set_text(text)
    return block
