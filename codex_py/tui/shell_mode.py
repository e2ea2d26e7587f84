"""``!cmd`` in the composer: run a shell command directly (no model call).

The command runs under the session's sandbox policy, shows as a command cell, and its output (truncated
like a tool's) joins the conversation as a user message, so the model sees it on the next turn.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from codex_py.tui.widgets.command_cell import CommandCell

if TYPE_CHECKING:
    from codex_py.agent.session import Session
    from codex_py.config import Config
    from codex_py.sandbox.command_result import CommandResult
    from codex_py.tui.screens.chat import ChatScreen

USER_TIMEOUT_MS = 60 * 60 * 1000
"""A command the user starts may run long (Esc stops it); the model's commands keep ``shell_timeout_ms``."""
CONTEXT_HEADER = "I ran this shell command myself (you do not need to run it again): `{command}`"


def shell_argv(command: str) -> list[str]:
    """The argv that runs ``command`` the way the model's shell commands run."""
    return ["bash", "-lc", command]


def context_text(command: str, result: CommandResult, config: Config) -> str:
    """The user message that tells the model what ran and what it printed (truncated like tool output)."""
    from codex_py.tools.truncate import format_for_model

    output = format_for_model(result, max_bytes=config.tool_output_max_bytes, max_lines=config.tool_output_max_lines)
    return CONTEXT_HEADER.format(command=command) + "\n" + output


def add_to_conversation(session: Session, text: str) -> None:
    """Append a user message to the history (and the session file) without starting a turn."""
    from codex_py.protocol.items import UserMessage

    session.add_item(UserMessage.of(text))


def run_user_command(screen: ChatScreen, command: str) -> None:
    """Run ``command`` in the turn worker (so Esc stops it and messages sent meanwhile are queued)."""
    session = screen.codex.session
    assert session is not None
    config = session.config
    argv = shell_argv(command)
    cell = CommandCell(f"user-{uuid.uuid4().hex[:8]}", argv, str(config.cwd))
    screen.transcript.add(cell)
    screen.transcript.scroll_end(animate=False)

    async def task() -> None:
        from codex_py.sandbox.policy import SandboxPolicy
        from codex_py.tools.shell import run_command

        screen.working.start("Running")
        try:
            result = await run_command(
                argv,
                cwd=config.cwd,
                timeout_ms=USER_TIMEOUT_MS,
                policy=SandboxPolicy.from_config(config),
                on_output=cell.add_output,
            )
        except asyncio.CancelledError:
            cell.finish(None, "", 0.0, "failed")
            raise
        finally:
            screen.working.stop()
        cell.finish(
            result.exit_code, result.output, result.duration_s, "completed" if result.exit_code == 0 else "failed"
        )
        add_to_conversation(session, context_text(command, result, config))
        screen.call_after_refresh(screen.after_turn)

    screen.turn_worker = screen.run_worker(task(), group="turn", exclusive=True, exit_on_error=False)
