"""The agent's plan as a checklist."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from codex_py.agent.events import PlanStep
from codex_py.protocol.terminal_text import strip_controls

MARKS = {"completed": ("☑ ", "$success"), "in_progress": ("◐ ", "$warning"), "pending": ("☐ ", "$text-muted")}


def render_plan(explanation: str | None, plan: list[PlanStep]) -> Content:
    """``Plan`` title, optional explanation, then one checkbox line per step."""
    parts: list[str | tuple[str, str]] = [("Plan", "bold")]
    if explanation:
        parts.append(("\n" + strip_controls(explanation), "italic $text-muted"))
    for step in plan:
        mark, style = MARKS.get(step.status, MARKS["pending"])
        text = strip_controls(step.step)
        parts.append("\n  ")
        parts.append((mark, style))
        if step.status == "completed":
            parts.append((text, "strike $text-muted"))
        elif step.status == "in_progress":
            parts.append((text, "bold"))
        else:
            parts.append(text)
    return Content.assemble(*parts)


class PlanCell(Static):
    """The turn's plan; later updates in the same turn redraw it in place (``show``)."""

    DEFAULT_CSS = """
    PlanCell { margin: 1 0 0 0; padding: 0 1; }
    """

    def __init__(self, explanation: str | None, plan: list[PlanStep]) -> None:
        super().__init__(render_plan(explanation, plan), markup=False)
        self.plan = plan
        self.explanation = explanation

    def show(self, explanation: str | None, plan: list[PlanStep]) -> None:
        """Redraw with the updated plan."""
        self.plan = plan
        self.explanation = explanation
        self.update(render_plan(explanation, plan))

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return render_plan(self.explanation, self.plan).plain
