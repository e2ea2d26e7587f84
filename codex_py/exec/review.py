"""``codex-py review``: Codex's ``codex review`` (= ``codex exec review``), optionally on another vendor.

The review itself is ``agent.review``; this is its exec front end: the same outputs, signals and exit codes
as ``codex-py exec``. Human mode prints the reviewer's commands to stderr and the findings to stdout;
``--json`` prints exec's JSON Lines, the review being one ``agent_message`` item whose ``text`` is the
rendered review (what Codex emits) and whose ``review`` holds Codex's review JSON (findings with their file
and line range, the verdict).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_py.agent.events import AgentEvent, AgentMessage, TurnCompleted

if TYPE_CHECKING:
    from codex_py.agent.review import ReviewRequest, ReviewResult
    from codex_py.config import CliOverrides, Config
    from codex_py.exec.runner import _Run


def run_review_command(
    cli: CliOverrides,
    prompt: str | None,
    *,
    uncommitted: bool = False,
    base: str | None = None,
    commit: str | None = None,
    title: str | None = None,
    json_mode: bool = False,
    output_last_message: Path | None = None,
) -> int:
    """Review a change in a read-only sub-session; returns the exit code (as ``codex-py exec``)."""
    from codex_py.agent.review import prepare_review, review_target, reviewer_config
    from codex_py.config import load_config, resolve_paths
    from codex_py.exec.prompt import read_prompt
    from codex_py.exec.runner import _Run
    from codex_py.session.logs import setup_logging

    text = read_prompt(prompt) if prompt == "-" else prompt
    target = review_target(uncommitted=uncommitted, base=base, commit=commit, title=title, prompt=text)
    provider, model, effort = cli.provider, cli.model, cli.reasoning_effort
    cli.provider = cli.model = None  # the session's own config first; the reviewer's provider and model after
    cli.mode = "exec"
    config = reviewer_config(load_config(cli), provider, model)
    if effort:
        from dataclasses import replace

        config = replace(config, model_reasoning_effort=effort)  # type: ignore[arg-type]
    request = prepare_review(config.cwd, target)
    setup_logging(config, resolve_paths())
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")

    output: Any
    if json_mode:
        output = ReviewJsonl()
    else:
        from codex_py.exec.human import HumanOutput

        output = HumanOutput(sys.stdout, sys.stderr, show_reasoning=not config.hide_agent_reasoning)
        sys.stderr.write(f"reviewing the {request.hint} with {config.model_provider} · {config.model}\n")
        if request.cut:
            sys.stderr.write(
                f"warning: the diff is {request.diff_chars:,} characters; the reviewer gets the first part\n"
            )
    run = _Run(output)
    asyncio.run(_main(config, request, run, output))
    code = run.exit_code()
    if output_last_message is not None and code == 0:
        from codex_py.exec.runner import _write_last_message

        code = _write_last_message(output_last_message, run)
    return code


async def _main(config: Config, request: ReviewRequest, run: _Run, output: Any) -> None:
    from codex_py.agent.review import run_review
    from codex_py.agent.session import new_session_id
    from codex_py.exec.runner import _install_signals

    remove_signals = _install_signals(run)
    try:
        session_id = new_session_id()
        if isinstance(output, ReviewJsonl) and not run.guarded(output.jsonl.thread_started, session_id):
            return
        run.start()
        run.task = asyncio.create_task(run_review(config, request, run.sink, session_id=session_id))
        try:
            result: ReviewResult = await run.task
        except asyncio.CancelledError:
            if not run.task.done():
                run.task.cancel()
                await asyncio.gather(run.task, return_exceptions=True)
            return
        if result.failed is not None:
            run.sink(result.failed)
            return
        if isinstance(output, ReviewJsonl) and result.output is not None:
            output.review = result.output.to_json()
        run.sink(AgentMessage(result.text))
        run.sink(TurnCompleted(result.text))
    except asyncio.CancelledError:
        if run.signal_code is None:
            raise
    finally:
        remove_signals()


class ReviewJsonl:
    """exec's JSON Lines with the review's structured output on its ``agent_message`` item."""

    def __init__(self) -> None:
        from codex_py.exec.jsonl import JsonlOutput

        self.jsonl = JsonlOutput(sys.stdout.write, sys.stdout.flush)
        self.review: dict[str, Any] | None = None

    def __call__(self, event: AgentEvent) -> None:
        for obj in self.jsonl.mapper.map(event):
            item = obj.get("item")
            if self.review is not None and isinstance(item, dict) and item.get("type") == "agent_message":
                item["review"] = self.review
            self.jsonl.emit(obj)
