"""Transcript cells rebuilt from a session's history items (``/resume``, scroll-back after pruning).

The history has no events, only items: user messages, answers, reasoning, tool calls and their
results, plus the session's ``tool_records`` (``tool_end`` lines of the rollout: how each command and
patch ended). Shell calls become finished command cells with the duration, exit code, status and approval
the live cell showed; patches (``apply_patch``, the text editor, a patch run through the shell) become patch
cells with their diffs; ``update_plan`` calls become the turn's checklist (their arguments hold the plan),
drawn once per turn where the first one was, in its last state, as the live cell was redrawn in place;
a compaction's summary message becomes a divider with the summary collapsed; an MCP tool call becomes the
call cell it was (server, tool, arguments, status, duration, result). Without a record (rollouts
written before records existed) a command's exit code and duration come from the result text the model saw.
Other tools become a one-line cell with the tool's output tail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from codex_py.agent.events import FileChange, PlanStep
from codex_py.protocol.items import AssistantMessage as AssistantItem
from codex_py.protocol.items import Item, Reasoning, ToolCall, ToolResult
from codex_py.protocol.items import UserMessage as UserItem
from codex_py.session.compaction import SUMMARY_PREFIX, is_summary_message
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import TAIL_LINES, CommandCell
from codex_py.tui.widgets.mcp_cell import McpCallCell
from codex_py.tui.widgets.patch_cell import PatchCell
from codex_py.tui.widgets.plan_cell import PlanCell
from codex_py.tui.widgets.thinking import ThinkingBlock
from codex_py.tui.widgets.user_message import UserMessage

ToolRecords = Mapping[str, Mapping[str, Any]]
"""``Session.tool_records``: call id -> how the call ended (see ``agent.session.tool_record``)."""

_RESULT_HEAD = re.compile(r"Exit code: (-?\d+)\nWall time: ([\d.]+) seconds\n(?:Total output lines: \d+\n)?Output:\n")


def split_turns(items: Sequence[Item]) -> list[list[Item]]:
    """The history cut before each user message (items before the first one form their own group)."""
    turns: list[list[Item]] = []
    for item in items:  # a compaction's summary belongs to the turn it ended, as its divider did on screen
        if (isinstance(item, UserItem) and not is_summary_message(item)) or not turns:
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


def _tool_cell(call: ToolCall, result: ToolResult | None, record: Mapping[str, Any] | None) -> Widget:
    output = result.output if result is not None else ""
    failed = result is None or result.is_error
    if record is not None and record.get("kind") == "patch":
        return _patch_cell(call.call_id, record)
    if record is not None and record.get("kind") == "mcp":
        return _mcp_cell(call.call_id, record)
    argv = _argv(call)
    if argv is None:
        return ToolHistoryCell(call.name, _summary(call), output, failed)
    cell = CommandCell(call.call_id, argv)
    head = _RESULT_HEAD.match(output)
    body = output[head.end() :] if head is not None else output
    if record is not None and record.get("kind") == "command":
        code = record.get("exit_code")
        status = str(record.get("status") or "failed")
        reason = str(record.get("reason") or "")
        duration = record.get("duration_s")
        cell.finish(
            code if isinstance(code, int) else None,
            "" if status == "declined" else body,
            float(duration) if isinstance(duration, (int, float)) else 0.0,
            status,
            reason,
            approval=str(record.get("approval") or ""),
        )
    elif head is not None:
        code = int(head.group(1))
        cell.finish(code, body, float(head.group(2)), "completed" if code == 0 else "failed")
    else:  # declined, or failed before it ran: the result is the explanation
        cell.finish(None, output, 0.0, "declined" if result is not None else "failed")
    return cell


def _patch_cell(call_id: str, record: Mapping[str, Any]) -> PatchCell:
    changes: list[FileChange] = []
    for raw in record.get("changes") or []:
        if isinstance(raw, dict) and isinstance(raw.get("path"), str):
            kind = raw.get("kind")
            move_to = raw.get("move_to")
            changes.append(
                FileChange(
                    raw["path"],
                    kind if kind in ("add", "update", "delete") else "update",
                    str(raw.get("diff") or ""),
                    move_to if isinstance(move_to, str) else None,
                )
            )
    cell = PatchCell(call_id, changes)
    cell.finish(str(record.get("status") or "failed"), str(record.get("message") or ""))
    return cell


def _mcp_cell(call_id: str, record: Mapping[str, Any]) -> McpCallCell:
    result = record.get("result")
    error = record.get("error")
    duration = record.get("duration_s")
    server, tool = str(record.get("server") or "?"), str(record.get("tool") or "?")
    cell = McpCallCell(call_id, server, tool, record.get("arguments"))
    cell.finish(
        result if isinstance(result, dict) else None,
        error if isinstance(error, str) else None,
        "completed" if record.get("status") == "completed" else "failed",
        float(duration) if isinstance(duration, (int, float)) and duration > 0 else 1e-9,
    )
    return cell


def _plan(call: ToolCall) -> tuple[str | None, list[PlanStep]] | None:
    """The plan an ``update_plan`` call set (None when its arguments were not a valid plan)."""
    args = _args(call)
    raw = args.get("plan")
    if not isinstance(raw, list):
        return None
    steps: list[PlanStep] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), str):
            return None
        status = entry.get("status", "pending")
        if status not in ("pending", "in_progress", "completed"):
            return None
        steps.append(PlanStep(entry["step"], status))
    explanation = args.get("explanation")
    return (explanation if isinstance(explanation, str) else None), steps


class CompactionDivider(Collapsible):
    """Where the conversation was compacted: a divider line; Enter or a click shows the summary the model wrote."""

    DEFAULT_CSS = """
    CompactionDivider { margin: 1 0 0 0; padding: 0; border: none; border-top: hkey $primary 50%;
        background: transparent; color: $text-muted; }
    CompactionDivider CollapsibleTitle { color: $text-muted; padding: 0 1; }
    CompactionDivider Contents { padding: 0 0 0 2; }
    CompactionDivider AssistantMessage { margin: 0; color: $text-muted; }
    """

    TITLE = "Earlier conversation compacted into this summary (the model continues from it)"

    def __init__(self, summary: str) -> None:
        self.summary = summary
        self.body = AssistantMessage(summary, classes="-dim")
        super().__init__(self.body, title=self.TITLE, collapsed=True)

    @classmethod
    def from_message(cls, text: str) -> CompactionDivider:
        """The divider for a history's summary message (``SUMMARY_PREFIX`` then the summary)."""
        return cls(text.removeprefix(SUMMARY_PREFIX).strip())

    def plain_text(self) -> str:
        """For the terminal scrollback and the pager: the divider line and the summary."""
        return f"── {self.TITLE} ──\n" + "\n".join("  " + line for line in self.summary.splitlines())


def history_cells(items: Sequence[Item], records: ToolRecords | None = None) -> list[Widget]:
    """Finished cells showing ``items`` (one turn) the way the live conversation showed them.

    ``records``: the session's ``tool_records`` (durations, statuses, approvals, diffs)."""
    results = {i.call_id: i for i in items if isinstance(i, ToolResult)}
    records = records or {}
    cells: list[Widget] = []
    plan: PlanCell | None = None
    for item in items:
        if isinstance(item, UserItem):
            if is_summary_message(item):
                cells.append(CompactionDivider.from_message(item.text))
            else:
                cells.append(UserMessage(item.text))
        elif isinstance(item, AssistantItem):
            if item.text:
                cells.append(AssistantMessage(item.text))
            if item.provider_data and (sources := item.citations):
                from codex_py.tui.widgets.web_search_cell import WebSearchCell

                cells.append(WebSearchCell.sources(sources))
        elif getattr(item, "type", "") == "web_search":
            cells.append(_web_search_cell(item))
        elif isinstance(item, Reasoning):
            if item.text:
                cells.append(_thinking(item.text))
        elif isinstance(item, ToolCall):
            result = results.get(item.call_id)
            shown = _plan(item) if item.name == "update_plan" and result is not None and not result.is_error else None
            if shown is not None:
                if plan is None:
                    plan = PlanCell(*shown)
                    cells.append(plan)
                else:  # redrawn in place, as the live cell was
                    plan.show(*shown)
                continue
            cells.append(_tool_cell(item, result, records.get(item.call_id)))
    return cells


def _web_search_cell(item: Item) -> Widget:
    from codex_py.agent.events import WebSearchEnd, search_label
    from codex_py.tui.widgets.web_search_cell import WebSearchCell

    event = WebSearchEnd(
        getattr(item, "call_id", ""),
        getattr(item, "query", ""),
        list(getattr(item, "urls", ())),
        getattr(item, "action", "search"),
        getattr(item, "error", ""),
    )
    return WebSearchCell(search_label(event), event.urls, failed=bool(event.error))


def _thinking(text: str) -> ThinkingBlock:
    block = ThinkingBlock()
    block.finished_after = 0.0
    block.title = "Thought"
    block.collapsed = True
    block.body.set_text(text)
    return block
