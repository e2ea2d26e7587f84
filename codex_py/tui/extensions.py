"""Skills and custom prompts in the TUI: ``/skills``, ``/NAME`` for a skill, ``/prompts:NAME args`` (with
completion in the slash popup), and the one-time question about a project's untrusted hooks.

``$name`` needs nothing here: the session puts a named skill's SKILL.md into the turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_py.config.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from codex_py.skills.loader import SkillSet
    from codex_py.skills.prompts import CustomPrompt
    from codex_py.tui.screens.chat import ChatScreen
    from codex_py.tui.widgets.completion import Candidate


def _skills(screen: ChatScreen) -> SkillSet:
    session = screen.codex.session
    if session is not None and session.skills is not None:
        return session.skills
    from codex_py.skills.loader import discover_skills

    config = screen.codex.config
    return discover_skills(screen.codex.paths.config_dir, config.cwd, toggles=config.skills.config)


def _prompts(screen: ChatScreen) -> list[CustomPrompt]:
    from codex_py.skills.prompts import discover_prompts

    return discover_prompts(screen.codex.paths.config_dir)


_CACHE: dict[int, tuple[float, list[Candidate]]] = {}
CACHE_S = 2.0
"""The popup asks on every key: the folders are read again at most this often."""


def extension_candidates(screen: ChatScreen, taken: set[str]) -> list[Candidate]:
    """Slash-popup entries: ``/prompts:NAME`` (description and argument hint) and ``/SKILL``."""
    import time

    now = time.monotonic()
    cached = _CACHE.get(id(screen))
    if cached is not None and now - cached[0] < CACHE_S:
        return cached[1]
    found = _candidates(screen, taken)
    _CACHE.clear()
    _CACHE[id(screen)] = (now, found)
    return found


def _candidates(screen: ChatScreen, taken: set[str]) -> list[Candidate]:
    from codex_py.skills.prompts import PREFIX
    from codex_py.tui.widgets.completion import Candidate

    found: list[Candidate] = []
    for prompt in _prompts(screen):
        detail = " · ".join(part for part in (prompt.description, prompt.hint) if part) or "custom prompt"
        found.append(Candidate(f"/{PREFIX}{prompt.name}", f"/{PREFIX}{prompt.name}", detail))
    for skill in _skills(screen).skills:
        if skill.name not in taken:
            found.append(Candidate(f"/{skill.name}", f"/{skill.name}", f"skill: {skill.description}"))
    return found


async def run_extension_command(screen: ChatScreen, line: str) -> bool:
    """Send ``/prompts:NAME args`` or ``/SKILL args`` expanded; False when ``line`` is neither. Missing
    arguments: an error with the usage under it, the text back in the composer, nothing sent."""
    from codex_py.skills.expand import ExpansionError, expand_input, is_prompt_command

    skills = None if is_prompt_command(line) else _skills(screen)
    try:
        expanded = expand_input(line, screen.codex.paths.config_dir, skills)
    except ExpansionError as exc:
        screen.notice(str(exc), "error", exc.hint)
        screen.composer.load_text(line)
        screen.composer.move_cursor(screen.composer.document.end)
        return True
    if expanded == line:
        return False
    screen.send(expanded)
    return True


async def cmd_skills(screen: ChatScreen, args: str) -> None:
    """/skills: pick a skill (inserts ``$name``) or a custom prompt (inserts ``/prompts:NAME``)."""
    from codex_py.skills.prompts import PREFIX

    found = _skills(screen)
    choices = [(f"${s.name} ", s.name, f"{s.scope} · {s.description}") for s in found.skills]
    if found.skills or found.disabled:
        choices.append((TOGGLE, "Enable/Disable skills…", "turn skills on or off (saved in config.toml)"))
    choices += [(f"/{PREFIX}{p.name} ", f"/{PREFIX}{p.name}", p.description or p.hint) for p in _prompts(screen)]
    for note in found.warnings:
        screen.notice(note, "warning")
    if not choices:
        where = screen.codex.paths.config_dir
        screen.notice(
            "No skills or custom prompts found.",
            "info",
            f"add {where / 'skills' / 'NAME' / 'SKILL.md'} or {where / 'prompts' / 'NAME.md'} (docs/extending.md)",
        )
        return

    async def flow() -> None:
        from codex_py.tui.screens.picker import PickerScreen

        picked = await screen.app.push_screen_wait(PickerScreen("Skills and prompts", choices))
        if picked == TOGGLE:
            await _toggle_skill(screen, found)
        elif picked:
            screen.composer.load_text(picked)
            screen.composer.move_cursor(screen.composer.document.end)
            screen.composer.focus()

    screen.run_worker(flow(), group="command", exclusive=True, exit_on_error=False)


def _saved(screen: ChatScreen, save: Callable[[], object], what: str) -> bool:
    """Run ``save`` (an edit of the home's config.toml); False, with one error line, when it failed."""
    try:
        save()
    except ConfigError as exc:
        screen.notice(str(exc), "error", exc.hint)
        return False
    except OSError as exc:
        screen.notice(f"could not {what}: {exc}", "error", "check the home's config.toml")
        return False
    return True


TOGGLE = "\x00toggle"
"""The /skills picker's value for "Enable/Disable skills…" (no skill or prompt text starts with NUL)."""


async def _toggle_skill(screen: ChatScreen, found: SkillSet) -> None:
    """Pick a skill, flip it: ``[[skills.config]]`` in the home's config.toml, the app's config and the
    session's skills (``$name`` follows at once; the model's list of skills from the next session)."""
    from dataclasses import replace

    from codex_py.config.model import SkillToggle
    from codex_py.skills.toggles import set_skill_enabled
    from codex_py.tui.screens.picker import PickerScreen

    every = sorted([*found.skills, *found.disabled], key=lambda s: s.name)
    off = {id(s) for s in found.disabled}
    choices = [
        (str(i), f"{'✗' if id(s) in off else '✓'} {s.name}", ("off · " if id(s) in off else "on · ") + s.description)
        for i, s in enumerate(every)
    ]
    picked = await screen.app.push_screen_wait(PickerScreen("Enable/Disable skills (enter flips one)", choices))
    if not picked:
        return
    skill = every[int(picked)]
    enabled = id(skill) in off
    if not _saved(screen, lambda: set_skill_enabled(screen.codex.paths.config_file, skill.path, enabled), "save it"):
        return
    app = screen.codex
    config = app.config
    toggles = [*config.skills.config, SkillToggle(path=str(skill.path), enabled=enabled)]
    app.apply_config(replace(config, skills=replace(config.skills, config=toggles)))
    if app.session is not None and app.session.skills is not None:
        app.session.skills.apply(toggles)
    state = "enabled" if enabled else "disabled"
    screen.notice(f"Skill {skill.name} {state} (saved in config.toml); the model's list of skills changes from /new.")


def ask_hook_trust(screen: ChatScreen) -> None:
    """Once per start in a folder with untrusted project hooks: show them, ask whether to trust them.
    Trusting records them in the home's config.toml and they run from then on."""
    session = screen.codex.session
    untrusted = list(getattr(session, "untrusted_hooks", []) or [])
    if not untrusted:
        return
    from codex_py.hooks.trust import describe, trust_hooks

    listing = describe(untrusted)

    async def flow() -> None:
        from codex_py.tui.screens.picker import PickerScreen

        choices = [
            ("trust", "Trust them", "record them in your config.toml; they run from now on"),
            ("skip", "Not now", "they do not run; you are asked again next time"),
        ]
        title = f"This project has {len(untrusted)} hook(s) that run commands:\n{listing}"
        picked = await screen.app.push_screen_wait(PickerScreen(title, choices))
        if picked == "trust":
            if not _saved(screen, lambda: trust_hooks(untrusted, screen.codex.paths.config_file), "record the trust"):
                return
            current = screen.codex.session
            if current is not None:
                from codex_py.agent.factory import make_hook_runner

                if current.hooks is not None:
                    current.hooks.handlers.extend(untrusted)
                else:
                    current.attach_hooks(make_hook_runner(current, current.config, untrusted, current.recorder))
                current.untrusted_hooks = []
            screen.notice(f"Trusted {len(untrusted)} project hook(s); they run from now on.")
        else:
            screen.notice("The project's hooks do not run in this session.", "warning", "codex-py hooks list")

    screen.run_worker(flow(), group="hook-trust", exclusive=True, exit_on_error=False)
