"""``codex-py exec``: one turn, no questions asked, for scripts and CI.

Exit codes (the contract): 0 the turn completed; 1 it failed (provider error after retries);
2 usage or config error; 3 no credentials; 130 interrupted (SIGINT; 143 for SIGTERM). An interrupt
cancels the turn task, so the agent closes open tool calls and the rollout stays resumable.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_py.agent.events import AgentEvent, TurnAborted, TurnCompleted, TurnFailed

if TYPE_CHECKING:
    from codex_py.agent.session import Session
    from codex_py.config import CliOverrides, Config
    from codex_py.errors import CodexPyError
    from codex_py.protocol.items import UserMessage
    from codex_py.session.resume import ResumeTarget

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_BROKEN_PIPE = 0, 1, 130, 143, 141


@dataclass(slots=True)
class _Run:
    """What the run has seen: the terminal event, and signals received."""

    output: Callable[[AgentEvent], None]
    ready: bool = False
    early: list[AgentEvent] = field(default_factory=list)
    outcome: AgentEvent | None = None
    signal_code: int | None = None
    task: asyncio.Task[Any] | None = None
    unsaved: CodexPyError | None = None
    """The rollout could not be written to the end (a full disk): reported after the answer, exit 1."""
    schema: dict[str, Any] | None = None
    schema_path: Path | None = None
    """``--output-schema``: the final answer is checked against it before the turn counts as completed."""

    def sink(self, event: AgentEvent) -> None:
        if self.schema is not None:
            event = self._check_schema(event)
        if isinstance(event, (TurnCompleted, TurnFailed, TurnAborted)):
            self.outcome = event
        if not self.ready:  # e.g. a warning while the session is built: after thread.started
            self.early.append(event)
            return
        self._emit(event)

    def _check_schema(self, event: AgentEvent) -> AgentEvent:
        from codex_py.exec.schema import REJECTED_HINT, answer_problem

        assert self.schema is not None
        if isinstance(event, TurnCompleted):
            problem = answer_problem(event.last_message, self.schema)
            if problem is not None:
                return TurnFailed(problem, f"the schema is {self.schema_path}; the answer was not written with -o")
        elif isinstance(event, TurnFailed) and "schema" in event.message.lower() and event.exit_code == 1:
            return TurnFailed(event.message, REJECTED_HINT.format(path=self.schema_path), event.exit_code)
        return event

    def _emit(self, event: AgentEvent) -> None:
        self.guarded(self.output, event)

    def guarded(self, write: Callable[[Any], object], arg: Any) -> bool:
        """Call ``write(arg)``; if the reader left (`| head`), stop like a pipeline would (exit 141,
        the turn cancelled, the rollout intact) and return False."""
        try:
            write(arg)
        except BrokenPipeError:
            self.output = _discard
            _silence_stdout()
            if self.signal_code is None:
                self.signal_code = EXIT_BROKEN_PIPE
                if self.task is not None and not self.task.done():
                    self.task.cancel()
            return False
        return True

    def start(self) -> None:
        self.ready = True
        for event in self.early:
            self._emit(event)
        self.early.clear()

    def exit_code(self) -> int:
        if self.signal_code is not None:
            return self.signal_code
        if isinstance(self.outcome, TurnCompleted):
            return EXIT_OK if self.unsaved is None else EXIT_FAILED
        if isinstance(self.outcome, TurnFailed):
            return self.outcome.exit_code
        if isinstance(self.outcome, TurnAborted):
            return EXIT_INTERRUPTED
        return EXIT_FAILED


def _discard(event: AgentEvent) -> None:
    return None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _warn_outside_git(config: Config) -> None:
    from codex_py.session.git import find_repo_root

    if config.sandbox_mode == "read-only" or find_repo_root(config.cwd) is not None:
        return
    sys.stderr.write(
        f"warning: {config.cwd} is not inside a git repository and the sandbox lets the agent write there; "
        "its changes cannot be reviewed or undone with git (--skip-git-repo-check silences this)\n"
    )


def _install_signals(run: _Run) -> Callable[[], None]:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal(code: int) -> None:
        if run.signal_code is not None:  # second signal: stop now (the rollout is flushed line by line)
            sys.stderr.flush()
            os._exit(code)
        run.signal_code = code
        target = run.task if run.task is not None and not run.task.done() else main
        if target is not None:
            target.cancel()

    installed: list[int] = []
    for sig, code in ((signal.SIGINT, EXIT_INTERRUPTED), (signal.SIGTERM, EXIT_TERMINATED)):
        try:
            loop.add_signal_handler(sig, on_signal, code)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread / not supported
            continue

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove


async def _main(
    config: Config, prompt: str | UserMessage, run: _Run, resume: ResumeTarget | None, thread_started: Any
) -> None:
    from codex_py.agent.factory import create_session

    remove_signals = _install_signals(run)
    session: Session | None = None
    try:
        session = await create_session(config, run.sink, interactive=False, resume=resume)
        session.output_schema = run.schema
        if thread_started is not None and not run.guarded(thread_started, session.session_id):
            return
        run.start()
        run.task = asyncio.create_task(session.run_turn(prompt))
        try:
            await run.task
        except asyncio.CancelledError:
            if not run.task.done():
                run.task.cancel()
                await asyncio.gather(run.task, return_exceptions=True)
        except Exception as exc:  # a bug, not a provider failure: report it like one, keep the rollout
            log.exception("exec turn crashed")
            run.sink(TurnFailed(f"internal error: {type(exc).__name__}: {exc}", "see the log file for details"))
    except asyncio.CancelledError:
        if run.signal_code is None:
            raise
    finally:
        remove_signals()
        if session is not None:
            try:
                await session.aclose()
            except Exception:
                log.exception("closing the session failed")
            recorder = session.recorder
            close = getattr(recorder, "close", None)
            if callable(close):
                close()
            unsaved = getattr(recorder, "unsaved_error", None)
            if callable(unsaved):
                run.unsaved = unsaved()


def _write_last_message(path: Path, run: _Run) -> int:
    if not isinstance(run.outcome, TurnCompleted):
        return EXIT_OK
    from codex_py.config.redaction import redact_known

    text = redact_known(run.outcome.last_message or "")
    if not text:
        sys.stderr.write(f"warning: the turn produced no assistant message; writing an empty {path}\n")
    try:
        path.expanduser().write_text(text + ("\n" if text and not text.endswith("\n") else ""), encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"error: cannot write the last message to {path}: {exc.strerror}\n")
        sys.stderr.write("hint: pass -o a path in a writable folder\n")
        return EXIT_FAILED
    return EXIT_OK


def _expand_command(text: str, config: Config) -> str:
    """``/prompts:NAME args`` → the custom prompt's text; ``/SKILL args`` → ``$SKILL args``. Exit 2 when the
    prompt is unknown or its arguments are missing."""
    from codex_py.config import resolve_paths
    from codex_py.errors import UsageError
    from codex_py.skills.expand import ExpansionError, expand_input, is_prompt_command

    home = resolve_paths().config_dir
    skills = None
    if not is_prompt_command(text):
        from codex_py.skills.loader import discover_skills

        skills = discover_skills(home, config.cwd, toggles=config.skills.config)
    try:
        return expand_input(text, home, skills)
    except ExpansionError as exc:
        raise UsageError(str(exc), exc.hint) from None


def _with_images(text: str, images: list[str], config: Config) -> str | UserMessage:
    """The prompt with the ``-i`` images before its text (as Codex sends them); an image that cannot be
    read is a usage error (exit 2) before anything is sent."""
    from codex_py.errors import UsageError

    paths = [p.strip() for raw in images for p in raw.split(",") if p.strip()]
    if not paths:
        return text
    from codex_py.protocol.items import TextPart, UserMessage
    from codex_py.providers.images import ImageError, load_image

    try:
        parts = [load_image(path, config.cwd) for path in paths]
    except ImageError as exc:
        raise UsageError(str(exc), "pass -i an existing PNG, JPEG, GIF or WebP file") from None
    return UserMessage((*parts, TextPart(text)))


def run_exec(
    cli: CliOverrides,
    prompt: str | None,
    *,
    json_mode: bool,
    output_last_message: Path | None,
    skip_git_repo_check: bool,
    resume: ResumeTarget | None,
    output_schema: Path | None = None,
    images: list[str] | None = None,
) -> int:
    """Run one non-interactive turn; returns the process exit code (see module docstring)."""
    from codex_py.config import load_config, resolve_paths
    from codex_py.exec.prompt import read_prompt
    from codex_py.session.logs import setup_logging

    cli.mode = "exec"
    config = load_config(cli)
    if resume is not None:  # unknown, or run by another process right now: exit 2 before anything heavy loads
        from codex_py.session.rollout import check_not_running, find_rollout

        check_not_running(find_rollout(resolve_paths(), resume.session_id, last=resume.last, cwd=config.cwd))
    schema = None
    if output_schema is not None:  # a bad file is a usage error (exit 2) before anything runs
        from codex_py.exec.schema import load_output_schema

        schema = load_output_schema(output_schema)
    text = read_prompt(prompt)
    if text.lstrip().startswith("/"):  # /prompts:NAME args, /SKILL args: as the TUI expands them
        text = _expand_command(text, config)
    message = _with_images(text, images or [], config)
    setup_logging(config, resolve_paths())
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    if not skip_git_repo_check:
        _warn_outside_git(config)

    thread_started: Callable[[str], None] | None = None
    output: Callable[[AgentEvent], None]
    if json_mode:
        from codex_py.exec.jsonl import JsonlOutput

        jsonl = JsonlOutput(sys.stdout.write, sys.stdout.flush)
        output, thread_started = jsonl, jsonl.thread_started
    else:
        from codex_py.exec.human import HumanOutput

        output = HumanOutput(sys.stdout, sys.stderr, show_reasoning=not config.hide_agent_reasoning)
    run = _Run(output, schema=schema, schema_path=output_schema)
    asyncio.run(_main(config, message, run, resume, thread_started))
    code = run.exit_code()
    if run.unsaved is not None:  # the answer above stands; what is missing is the session file's tail
        sys.stderr.write(f"error: {run.unsaved}\nhint: {run.unsaved.hint}\n")
    if output_last_message is not None and code == EXIT_OK:
        code = _write_last_message(output_last_message, run)
    return code
