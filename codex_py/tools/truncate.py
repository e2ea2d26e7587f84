"""What the model sees of a command: Codex's plain-text tool output, truncated head + tail.

The UI keeps the whole output; only the text sent to the model is cut, keeping the beginning and the
end with a marker in the middle (``…N lines truncated…`` / ``…N chars truncated…``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codex_py.sandbox.command_result import CommandResult


def format_for_model(result: CommandResult, *, max_bytes: int, max_lines: int) -> str:
    """``Exit code: N\\nWall time: X seconds\\n[Total output lines: M\\n]Output:\\n<text>`` like Codex.

    The line count header appears only when the output was truncated.
    """
    text = result.output
    cut = truncate_middle(text, max_bytes=max_bytes, max_lines=max_lines)
    parts = [f"Exit code: {result.exit_code}", f"Wall time: {_seconds(result.duration_s)} seconds"]
    if cut is not text:
        parts.append(f"Total output lines: {_count_lines(text)}")
    parts.append("Output:")
    parts.append(cut)
    return "\n".join(parts)


def truncate_middle(text: str, *, max_bytes: int, max_lines: int) -> str:
    """``text`` itself when within both limits, else its head and tail around a marker.

    Lines are cut first (half the budget each side), then bytes (UTF-8, never splitting a character).
    """
    out = text
    if max_lines > 0 and _count_lines(out) > max_lines:
        trailing = "\n" if out.endswith("\n") else ""
        lines = (out[:-1] if trailing else out).split("\n")
        head_n = max_lines // 2
        tail_n = max_lines - head_n
        marker = f"…{len(lines) - head_n - tail_n} lines truncated…"
        out = "\n".join([*lines[:head_n], marker, *lines[len(lines) - tail_n :]]) + trailing
    if max_bytes > 0 and len(out) * 4 > max_bytes and len(encoded := out.encode()) > max_bytes:
        half = max_bytes // 2
        head = encoded[:half].decode("utf-8", errors="ignore")
        tail = encoded[len(encoded) - half :].decode("utf-8", errors="ignore")
        removed = len(out) - len(head) - len(tail)
        out = f"{head}…{removed} chars truncated…{tail}"
    return out


def _count_lines(text: str) -> int:
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _seconds(duration: float) -> str:
    rounded = f"{round(duration, 1):.1f}"
    return rounded[:-2] if rounded.endswith(".0") else rounded
