"""A shell command the agent runs: spinner, live output tail, exit code, duration and how it was approved."""

from __future__ import annotations

import shlex
import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from codex_py.config.redaction import redact_known
from codex_py.protocol.terminal_text import strip_controls

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TAIL_LINES = 5


def format_duration(seconds: float) -> str:
    """``850ms``, ``4.2s``, ``3m 05s``."""
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s"


def command_text(argv: list[str]) -> str:
    """The command as a user would type it (``bash -lc 'x'`` shows just ``x``)."""
    if len(argv) == 3 and argv[0] in ("bash", "sh", "zsh") and argv[1] in ("-lc", "-c"):
        return strip_controls(argv[2])
    return strip_controls(shlex.join(argv))


class CommandCell(Widget, can_focus=True):
    """Collapsible: shows the last lines of output; Enter (or a click) shows all of it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "toggle_output", "Show output", show=False)]

    DEFAULT_CSS = """
    CommandCell { height: auto; margin: 1 0 0 0; padding: 0 1; }
    CommandCell:focus { background: $boost; }
    CommandCell > .header { color: $text; }
    CommandCell > .output { color: $text-muted; padding: 0 0 0 2; }
    CommandCell.-empty > .output { display: none; }
    CommandCell > .reason { color: $text-muted; padding: 0 0 0 2; }
    """

    def __init__(self, call_id: str, command: list[str], workdir: str = "", approval: str = "") -> None:
        super().__init__(classes="-empty")
        self.call_id = call_id
        self.command = command
        self.workdir = workdir
        self.approval = approval
        """How it was approved (``auto: known-safe``, ``approved once``...), shown dimly after the exit code."""
        self.started = time.monotonic()
        self.exit_code: int | None = None
        self.status = "running"
        self.duration_s = 0.0
        self.expanded = False
        self.reason = ""
        """Why it was declined (shown under the header)."""
        self._chunks: list[str] = []
        self._dirty = False
        self._frame = 0
        self._ticker: Timer | None = None
        self._header = Static(classes="header", markup=False)
        self._output = Static(classes="output", markup=False)
        self._reason = Static(classes="reason", markup=False)

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._reason
        yield self._output

    def on_mount(self) -> None:
        self._render_header()
        self._render_output()
        self._render_reason()
        if self.status == "running":
            self._ticker = self.set_interval(0.1, self._tick)

    @property
    def output(self) -> str:
        """Everything the command printed so far."""
        if len(self._chunks) > 1:
            self._chunks[:] = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        lines = redact_known(self.output).rstrip("\n").split("\n")[-TAIL_LINES:] if self.output else []
        if self.exit_code is not None:
            code = f"  (exit {self.exit_code})"
        else:
            code = "" if self.status == "running" else f"  ({self.status if self.status == 'declined' else 'stopped'})"
        reason = [f"  {self.reason}"] if self.reason else []
        return "\n".join([f"$ {command_text(self.command)}{code}", *reason, *("  " + line for line in lines)])

    def add_output(self, chunk: str) -> None:
        """Append live output (rendered on the next spinner tick)."""
        self._chunks.append(strip_controls(chunk))  # command output must not drive the terminal (issue 11)
        self._dirty = True

    def finish(
        self, exit_code: int | None, output: str, duration_s: float, status: str, reason: str = "", approval: str = ""
    ) -> None:
        """The command ended: stop the spinner, show the exit code and duration (or why it was declined)."""
        self.approval = approval or self.approval
        if exit_code is None and not duration_s and self.status == "running" and status != "declined":
            duration_s = time.monotonic() - self.started  # stopped (Esc) before it could report its own time
        self.exit_code = exit_code
        self.status = status
        self.duration_s = duration_s
        self.reason = strip_controls(reason)
        output = strip_controls(output)
        if output or not self._chunks:
            self._chunks = [output] if output else []
        if self._ticker is not None:
            self._ticker.stop()
        if self.is_mounted:
            self._render_header()
            self._render_output()
            self._render_reason()

    def _tick(self) -> None:
        self._frame += 1
        self._render_header()
        if self._dirty:
            self._render_output()

    def _render_header(self) -> None:
        cmd = command_text(self.command)
        how = f" · {self.approval}" if self.approval else ""
        if self.status == "running":
            elapsed = format_duration(time.monotonic() - self.started)
            self._header.update(
                Content.assemble(
                    (SPINNER[self._frame % len(SPINNER)] + " ", "$accent"),
                    ("$ ", "bold"),
                    cmd,
                    (f"  {elapsed}{how}", "dim"),
                )
            )
            return
        if self.status == "declined":
            mark, style, tail = "✗ ", "$error", "declined"
        elif self.exit_code is None:
            mark, style, tail = "✗ ", "$warning", f"stopped · {format_duration(self.duration_s)}"
        elif self.exit_code == 0:
            mark, style, tail = "✓ ", "$success", f"exit 0 · {format_duration(self.duration_s)}"
        else:
            mark, style, tail = "✗ ", "$error", f"exit {self.exit_code} · {format_duration(self.duration_s)}"
        self._header.update(Content.assemble((mark, style), ("$ ", "bold"), cmd, (f"  {tail}{how}", "dim")))

    def _render_reason(self) -> None:
        self._reason.display = bool(self.reason)
        self._reason.update(self.reason)

    def _render_output(self) -> None:
        """The output's tail (all of it when expanded), with the credentials codex-py holds masked: a command can
        print one (a project's .env); the screen may be shared or recorded."""
        self._dirty = False
        text = self.output.rstrip("\n")
        self.set_class(not text, "-empty")
        if not text:
            return
        lines = text.split("\n")
        if self.expanded or len(lines) <= TAIL_LINES:
            self._output.update(redact_known(text))
            return
        hidden = len(lines) - TAIL_LINES
        more = f"… {hidden} earlier line{'s' if hidden != 1 else ''} (enter to show)\n"
        self._output.update(more + redact_known("\n".join(lines[-TAIL_LINES:])))

    def action_toggle_output(self) -> None:
        """Show all the output, or only its tail."""
        self.expanded = not self.expanded
        self._render_output()

    def on_click(self) -> None:
        self.action_toggle_output()
