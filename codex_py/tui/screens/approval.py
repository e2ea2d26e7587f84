"""The approval modal: a command, a patch or an MCP tool call, approved once, for the session (the exact command,
or with ``p`` every command starting with a shown prefix; an MCP tool also always, with ``d``), or denied with a
reason. It says when an approved command runs outside the sandbox, and shows the model's own justification on
its own labelled line."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from codex_py.agent.events import ApprovalRequest, ApprovalResult, Decision
from codex_py.tui.widgets.command_cell import command_text
from codex_py.tui.widgets.diff_view import DiffView
from codex_py.tui.widgets.patch_cell import change_title

KEYS = Content.assemble(
    ("y", "bold $success"),
    " approve once   ",
    ("a", "bold $success"),
    " approve for the session   ",
    ("n", "bold $error"),
    " deny (say why)   ",
    ("esc", "bold $warning"),
    " stop",
)
"""A patch's keys: one line at 80 columns (``a``: these files for the session)."""
UNSANDBOXED = "⚠ If approved it runs OUTSIDE the sandbox: no limits on files or network."
JUSTIFICATION_LABEL = "Reason given by the model: "


def command_keys(prefix: list[str] | None) -> Content:
    """A command's keys: ``a`` is this exact command; ``p`` (only when a prefix is offered) shows the prefix."""
    lines = [
        Content.assemble(
            ("y", "bold $success"),
            " approve once   ",
            ("a", "bold $success"),
            " approve this exact command for the session",
        )
    ]
    if prefix:
        lines.append(
            Content.assemble(
                ("p", "bold $success"),
                " always allow commands starting with ",
                (f"`{' '.join(prefix)}`", "bold"),
                " this session",
            )
        )
    lines.append(Content.assemble(("n", "bold $error"), " deny (say why)   ", ("esc", "bold $warning"), " stop"))
    return Content("\n").join(lines)


def mcp_keys(persist: bool) -> Content:
    """An MCP tool call's keys: ``d`` (don't ask again, saved in config.toml) only when offered."""
    first = Content.assemble(
        ("y", "bold $success"), " approve once   ", ("a", "bold $success"), " approve this tool for the session"
    )
    lines = [first]
    if persist:
        lines.append(Content.assemble(("d", "bold $success"), " always (don't ask again: saved in config.toml)"))
    lines.append(Content.assemble(("n", "bold $error"), " deny (say why)   ", ("esc", "bold $warning"), " stop"))
    return Content("\n").join(lines)


BODY_MAX_LINES = 20
DIALOG_SHARE = 0.9
"""The dialog's share of the screen height (``max-height`` in approval.tcss)."""


class ApprovalScreen(ModalScreen[ApprovalResult]):
    """Keyboard only: y / a / p (when offered) / n (then a reason and Enter) / Esc."""

    CSS_PATH = "approval.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide('approve')", "Approve once"),
        Binding("a", "decide('approve_session')", "Approve for the session"),
        Binding("p", "decide('approve_prefix')", "Approve the prefix for the session"),
        Binding("d", "decide('approve_always')", "Approve the MCP tool always"),
        Binding("n", "deny", "Deny"),
        Binding("escape", "decide('abort')", "Stop the turn"),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request
        self.answered = False

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(id="dialog"):
            if request.kind == "command":
                title = "Run this command outside the sandbox?" if request.unsandboxed else "Run this command?"
                yield Static(title, id="title")
            elif request.kind == "mcp_tool":  # the question and the arguments are in the reason
                yield Static("Run this MCP tool? (it runs outside the sandbox)", id="title")
            else:
                n = len(request.changes or [])
                yield Static(f"Apply these changes to {n} file{'s' if n != 1 else ''}?", id="title")
            if request.unsandboxed:
                yield Static(UNSANDBOXED, id="unsandboxed", markup=False)
            if request.reason:
                yield Static(request.reason, id="reason", markup=False)
            if request.justification:
                yield Static(Content.assemble((JUSTIFICATION_LABEL, "bold"), request.justification), id="justification")
            with VerticalScroll(id="body"):
                if request.kind == "command":
                    yield Static(Content.assemble(("$ ", "bold"), command_text(request.command or [])), id="command")
                for change in request.changes or []:
                    yield Static(change_title(change, done=False), markup=False)
                    if change.diff:
                        yield DiffView(change.diff)
            if request.kind == "command":
                keys = command_keys(request.session_prefix)
            elif request.kind == "mcp_tool":
                keys = mcp_keys(request.persist_offered)
            else:
                keys = KEYS
            yield Static(keys, id="keys")
            yield Input(placeholder="Why not? (Enter sends this to the model, Esc stops the turn)", id="deny-reason")

    def on_mount(self) -> None:
        self.call_after_refresh(self.fit_body)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_body)

    def fit_body(self) -> None:
        """Give the command or diff what the title, reason and keys (or the reason field) leave free, so
        those stay on screen in a short terminal (24 rows) and a long diff scrolls instead."""
        dialog = self.query_one("#dialog")
        body = self.query_one("#body")
        chrome = dialog.styles.gutter.height + body.styles.margin.height
        chrome += sum(w.outer_size.height for w in dialog.children if w is not body and w.display)
        room = int(self.size.height * DIALOG_SHARE) - chrome
        body.styles.max_height = max(3, min(BODY_MAX_LINES, room))

    def action_decide(self, decision: str) -> None:
        """Answer with ``decision`` and close (``p`` does nothing when no prefix is offered)."""
        if decision == Decision.APPROVE_PREFIX and not self.request.session_prefix:
            return
        if decision == Decision.APPROVE_ALWAYS and not self.request.persist_offered:
            return
        self._answer(ApprovalResult(Decision(decision)))

    def action_deny(self) -> None:
        """Ask for a reason before denying."""
        self.add_class("-denying")
        self.query_one("#deny-reason", Input).focus()
        self.call_after_refresh(self.fit_body)

    @on(Input.Submitted, "#deny-reason")
    def _reason_given(self, event: Input.Submitted) -> None:
        self._answer(ApprovalResult(Decision.DENY, event.value.strip()))

    def _answer(self, result: ApprovalResult) -> None:
        if self.answered:
            return
        self.answered = True
        self.dismiss(result)
