"""What the user typed → what is sent: ``/prompts:NAME args`` and ``/SKILL args`` (TUI and exec alike).

``$name`` mentions need no expansion here: the session injects the named skills' bodies into the turn.
"""

from __future__ import annotations

from pathlib import Path

from codex_py.skills.loader import SkillSet
from codex_py.skills.prompts import PREFIX, PromptArgsError, discover_prompts, find_prompt


class ExpansionError(ValueError):
    """``/prompts:NAME`` or ``/NAME`` could not be expanded: ``message`` and a ``hint``."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def is_prompt_command(text: str) -> bool:
    return text.lstrip().startswith("/" + PREFIX)


def expand_prompt_command(text: str, home: Path) -> str:
    """``/prompts:NAME args`` → the prompt's expanded body; raises ``ExpansionError``."""
    head, _, args = text.lstrip()[1 + len(PREFIX) :].partition(" ")
    name = head.strip()
    prompt = find_prompt(home, name) if name else None
    if prompt is None:
        known = [p.name for p in discover_prompts(home)]
        where = home / "prompts"
        raise ExpansionError(
            f"unknown custom prompt /{PREFIX}{name}",
            f"known: {', '.join('/' + PREFIX + k for k in known)}" if known else f"add {where}/{name or 'NAME'}.md",
        )
    try:
        return prompt.expand(args.strip())
    except PromptArgsError as exc:
        usage = f"/{PREFIX}{prompt.name} {prompt.hint}".rstrip()
        raise ExpansionError(str(exc), f"usage: {usage}") from None


def expand_skill_command(text: str, skills: SkillSet) -> str | None:
    """``/NAME args`` for a skill NAME → ``$NAME args`` (its body joins the turn); None when not a skill."""
    head, _, args = text.lstrip()[1:].partition(" ")
    skill = skills.get(head)
    if skill is None:
        return None
    return f"${skill.name} {args.strip()}".rstrip()


def expand_input(text: str, home: Path, skills: SkillSet | None) -> str:
    """The text to send for ``text`` (unchanged unless it is ``/prompts:…`` or ``/SKILL …``)."""
    if not text.lstrip().startswith("/"):
        return text
    if is_prompt_command(text):
        return expand_prompt_command(text, home)
    if skills is not None:
        expanded = expand_skill_command(text, skills)
        if expanded is not None:
            return expanded
    return text
