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

    def sink(self, event: AgentEvent) -> None:
        if isinstance(event, (TurnCompleted, TurnFailed, TurnAborted)):
            self.outcome = event
        if not self.ready:  # e.g. a warning while the session is built: after thread.started
            self.early.append(event)
            return
        self._emit(event)

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


async def _main(config: Config, prompt: str, run: _Run, resume: ResumeTarget | None, thread_started: Any) -> None:
    from codex_py.agent.factory import create_session

    remove_signals = _install_signals(run)
    session: Session | None = None
    try:
        session = await create_session(config, run.sink, interactive=False, resume=resume)
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

        skills = discover_skills(home, config.cwd)
    try:
        return expand_input(text, home, skills)
    except ExpansionError as exc:
        raise UsageError(str(exc), exc.hint) from None


def run_exec(
    cli: CliOverrides,
    prompt: str | None,
    *,
    json_mode: bool,
    output_last_message: Path | None,
    skip_git_repo_check: bool,
    resume: ResumeTarget | None,
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
    text = read_prompt(prompt)
    if text.lstrip().startswith("/"):  # /prompts:NAME args, /SKILL args: as the TUI expands them
        text = _expand_command(text, config)
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
    run = _Run(output)
    asyncio.run(_main(config, text, run, resume, thread_started))
    code = run.exit_code()
    if run.unsaved is not None:  # the answer above stands; what is missing is the session file's tail
        sys.stderr.write(f"error: {run.unsaved}\nhint: {run.unsaved.hint}\n")
    if output_last_message is not None and code == EXIT_OK:
        code = _write_last_message(output_last_message, run)
    return code
