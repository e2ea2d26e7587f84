"""``/review`` in the TUI: Codex's review, and a second opinion from another vendor with ``--with ID``.

``/review [--with ID] [-m MODEL] [--uncommitted | --base BRANCH | --commit SHA [--title T]] [PROMPT]``; with no
target, pickers ask (uncommitted changes, a base branch, a commit). The reviewer (``agent.review``) runs in
the turn worker (Esc stops it; messages sent meanwhile are queued); its commands show as command cells. Its
findings are posted back: a ``ReviewCell`` in the transcript, and a user message the main model sees with
your next message, so it can act on them ("fix the P1").
"""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codex_py.agent.events import AgentEvent, CommandBegin, CommandEnd, CommandOutput, Warning

if TYPE_CHECKING:
    from codex_py.agent.review import ReviewTarget
    from codex_py.config import Config
    from codex_py.tui.screens.chat import ChatScreen

USAGE = "/review [--with PROVIDER] [-m MODEL] [--uncommitted | --base BRANCH | --commit SHA] [instructions]"
TARGETS = (
    ("uncommitted", "Review uncommitted changes", "staged, unstaged and untracked files"),
    ("base", "Review against a base branch", "what this branch would merge"),
    ("commit", "Review a commit", "the changes of one commit"),
)
_SHOWN = (CommandBegin, CommandOutput, CommandEnd, Warning)
"""The reviewer's events shown in the transcript (its messages and turn events stay its own)."""


@dataclass(slots=True)
class ReviewArgs:
    provider: str | None = None
    model: str | None = None
    target: ReviewTarget | None = None
    """None: ask with pickers."""


def parse_review_args(args: str) -> ReviewArgs:
    """The ``/review`` arguments; ``UsageError`` for a bad one."""
    from codex_py.agent.review import review_target
    from codex_py.errors import UsageError

    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"/review: {exc}", USAGE) from None
    values: dict[str, str] = {}
    uncommitted = False
    rest: list[str] = []
    names = {"--with": "with", "--provider": "with", "-m": "model", "--model": "model"}
    names |= {"--base": "base", "--commit": "commit", "--title": "title"}
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--uncommitted":
            uncommitted = True
        elif word in names:
            if i + 1 >= len(words):
                raise UsageError(f"/review: {word} needs a value", USAGE)
            values[names[word]] = words[i + 1]
            i += 1
        elif word.startswith("-") and not rest:
            raise UsageError(f"/review: unknown option {word}", USAGE)
        else:
            rest.append(word)
        i += 1
    prompt = " ".join(rest) if rest else None
    target = None
    if uncommitted or "base" in values or "commit" in values or prompt is not None:
        target = review_target(
            uncommitted=uncommitted,
            base=values.get("base"),
            commit=values.get("commit"),
            title=values.get("title"),
            prompt=prompt,
        )
    return ReviewArgs(values.get("with"), values.get("model"), target)


async def cmd_review(screen: ChatScreen, args: str) -> None:
    """/review: pick what to review (unless given), then run the reviewer and post its findings."""
    from codex_py.config import ConfigError
    from codex_py.errors import CodexPyError

    try:
        parsed = parse_review_args(args)
    except CodexPyError as exc:
        screen.notice(str(exc), "error", exc.hint)
        return
    if screen.codex.session is None:
        screen.notice("no session yet", "error", "wait for the session to start")
        return
    from codex_py.agent.review import reviewer_config

    try:
        config = reviewer_config(screen.codex.config, parsed.provider, parsed.model)
    except ConfigError as exc:
        screen.notice(str(exc), "error", exc.hint)
        return

    async def flow() -> None:
        target = parsed.target or await _pick_target(screen)
        if target is not None:
            _start(screen, config, target)

    screen.run_worker(flow(), group="command", exclusive=True, exit_on_error=False)


async def _pick_target(screen: ChatScreen) -> ReviewTarget | None:
    from codex_py.agent.review import ReviewTarget
    from codex_py.tui.screens.picker import PickerScreen

    async def pick(title: str, choices: list[tuple[str, str, str]]) -> str | None:
        if not choices:
            screen.notice(f"{title}: nothing to choose from", "error", USAGE)
            return None
        chosen: str | None = await screen.app.push_screen_wait(PickerScreen(title, choices))
        return chosen

    kind = await pick("Review", list(TARGETS))
    if kind is None:
        return None
    if kind == "uncommitted":
        return ReviewTarget("uncommitted")
    cwd = screen.codex.config.cwd
    if kind == "base":
        branches = await asyncio.to_thread(_lines, cwd, ["for-each-ref", "--format=%(refname:short)", "refs/heads"])
        branch = await pick("Base branch", [(b, b, "") for b in branches])
        return ReviewTarget("base", branch) if branch else None
    commits = await asyncio.to_thread(_lines, cwd, ["log", "-n", "30", "--format=%H%x09%s"])
    choices = [(sha, f"{sha[:7]} {subject}", "") for sha, _, subject in (c.partition("\t") for c in commits)]
    sha = await pick("Commit", choices)
    return ReviewTarget("commit", sha) if sha else None


def _lines(cwd: object, args: list[str]) -> list[str]:
    from pathlib import Path

    from codex_py.sandbox.git import run_git

    proc = run_git(Path(str(cwd)), args)
    if proc is None or proc.returncode != 0:
        return []
    return [line for line in proc.stdout.decode("utf-8", "replace").splitlines() if line.strip()]


def _start(screen: ChatScreen, config: Config, target: ReviewTarget) -> None:
    """Run the review in the turn worker (queued messages wait for it; Esc stops it)."""
    from codex_py.agent.review import ReviewRequest, prepare_review, review_context, reviewer_label, run_review
    from codex_py.errors import CodexPyError
    from codex_py.tui.shell_mode import add_to_conversation
    from codex_py.tui.widgets.review_cell import ReviewCell

    session = screen.codex.session
    if screen.busy or session is None:
        screen.notice("/review is not available while a turn runs", "error", "press esc to stop the turn")
        return
    sink = screen.bridge

    def relay(event: AgentEvent) -> None:
        if isinstance(event, _SHOWN):
            sink(event)

    async def task() -> None:
        label = reviewer_label(config)
        screen.working.start("Reviewing")
        try:
            request: ReviewRequest = await asyncio.to_thread(prepare_review, config.cwd, target)
            screen.notice(f"Reviewing the {request.hint} with {label}…", "info")
            result = await run_review(config, request, relay)
        except CodexPyError as exc:
            screen.notice(f"/review: {exc}", "error", exc.hint)
            return
        except asyncio.CancelledError:
            screen.notice("review interrupted", "warning", "run /review again and let it finish")
            raise
        finally:
            screen.working.stop()
            screen.call_after_refresh(screen.after_turn)
        if result.failed is not None:
            screen.notice(f"/review failed: {result.failed.message}", "error", result.failed.hint)
            return
        verdict = result.output.overall_correctness if result.output is not None else ""
        title = f"Review of the {request.hint} by {result.reviewer}" + (f" — {verdict}" if verdict else "")
        screen.transcript.add(ReviewCell(title, result.text))
        screen.transcript.scroll_end(animate=False)
        add_to_conversation(session, review_context(request, result))
        screen.notice("The findings are in the conversation: ask the model to address them.", "info")

    screen.turn_worker = screen.run_worker(task(), group="turn", exclusive=True, exit_on_error=False)
