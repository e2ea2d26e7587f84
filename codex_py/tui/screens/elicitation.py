"""An MCP server's ``elicitation/create`` as a small form: one field per schema property (text, number, yes/no
checkbox, choice), then Submit (accept), Decline, or Esc (cancel). Values are checked against the schema's
types and ``required`` before the answer goes back; server text is shown as plain text, never as markup."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static

from codex_py.protocol.terminal_text import strip_controls

Answer = tuple[str, dict[str, Any] | None]


class ElicitationScreen(ModalScreen[Answer]):
    """Dismisses with ("accept", content), ("decline", None) or ("cancel", None)."""

    DEFAULT_CSS = """
    ElicitationScreen { align: center middle; background: $background 60%; }
    ElicitationScreen #dialog { width: 100%; max-width: 90; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1; }
    ElicitationScreen #title { text-style: bold; }
    ElicitationScreen .label { margin: 1 0 0 0; }
    ElicitationScreen #error { color: $error; }
    ElicitationScreen #buttons { height: auto; margin: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, server: str, message: str, schema: dict[str, Any], url: str = "") -> None:
        super().__init__()
        self.server = server
        self.message = message
        self.schema = schema
        self.url = url
        props = schema.get("properties")
        self.fields: dict[str, dict[str, Any]] = {
            k: v for k, v in (props.items() if isinstance(props, dict) else ()) if isinstance(v, dict)
        }
        required = schema.get("required")
        self.required = set(required) if isinstance(required, list) else set()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(f"MCP server '{strip_controls(self.server)}' asks:", id="title", markup=False)
            yield Static(strip_controls(self.message), markup=False)
            if self.url:
                yield Static(f"Open: {strip_controls(self.url)}", markup=False)
            for index, (name, spec) in enumerate(self.fields.items()):
                title = strip_controls(str(spec.get("title") or name))
                star = " *" if name in self.required else ""
                described = strip_controls(str(spec.get("description") or ""))
                yield Static(f"{title}{star}" + (f" — {described}" if described else ""), classes="label", markup=False)
                widget_id = f"field-{index}"
                options = spec.get("enum") or [o.get("const") for o in spec.get("oneOf") or [] if isinstance(o, dict)]
                default = spec.get("default")
                if spec.get("type") == "boolean":
                    yield Checkbox(title, value=bool(default), id=widget_id)
                elif options:
                    choices = [(strip_controls(str(o)), o) for o in options if o is not None]
                    yield Select(choices, value=default if default in options else Select.BLANK, id=widget_id)
                else:
                    kind = {"integer": "integer", "number": "number"}.get(str(spec.get("type")), "text")
                    yield Input("" if default is None else str(default), type=kind, id=widget_id)  # type: ignore[arg-type]
            yield Static("", id="error", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Submit", variant="primary", id="accept")
                yield Button("Decline", id="decline")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        first = self.query("Input, Checkbox, Select").first() if self.fields else self.query_one("#accept")
        first.focus()

    def _content(self) -> dict[str, Any] | str:
        """The form's values, or a one-line problem."""
        content: dict[str, Any] = {}
        for index, (name, spec) in enumerate(self.fields.items()):
            widget = self.query_one(f"#field-{index}")
            value: Any
            if isinstance(widget, Checkbox):
                value = widget.value
            elif isinstance(widget, Select):
                value = None if widget.value is Select.BLANK else widget.value
            else:
                assert isinstance(widget, Input)
                text = widget.value.strip()
                value = text or None
                if text and spec.get("type") in ("integer", "number"):
                    try:
                        value = int(text) if spec["type"] == "integer" else float(text)
                    except ValueError:
                        return f"{spec.get('title') or name}: not a {spec['type']}"
            if value is None:
                if name in self.required:
                    return f"{spec.get('title') or name} is required"
                continue
            content[name] = value
        return content

    @on(Button.Pressed, "#accept")
    def accept(self) -> None:
        content = self._content()
        if isinstance(content, str):
            self.query_one("#error", Static).update(content)
            return
        self.dismiss(("accept", content))

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.accept()

    @on(Button.Pressed, "#decline")
    def decline(self) -> None:
        self.dismiss(("decline", None))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(("cancel", None))
