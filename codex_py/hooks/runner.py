"""Run the hooks of an event and read their answers (Codex's and Claude Code's protocol).

Each matching hook runs as ``$SHELL -c COMMAND`` (``/bin/sh`` when unset) in the workspace, in its own process
group, under the session's sandbox policy (the model's commands' Landlock rules and network setting; the
environment without secrets, plus ``CODEX_PROJECT_DIR`` and ``CLAUDE_PROJECT_DIR``), with the event as one
JSON object on stdin. The hooks of one event run concurrently. A hook's answer:
- exit 0: stdout, if it is JSON, may decide (``decision: "block"`` + ``reason``; ``hookSpecificOutput``
  with ``permissionDecision: "deny"``, ``additionalContext``, a PermissionRequest ``decision.behavior``;
  ``continue: false``; ``systemMessage`` shown to the user); plain text is context for SessionStart and
  UserPromptSubmit (as in Claude Code) and ignored elsewhere;
- exit 2: blocks, stderr is the reason the model (or the user) is given;
- anything else, a timeout, unreadable JSON: one warning, nothing blocked.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_py.hooks.loader import HookHandler

if TYPE_CHECKING:
    from codex_py.sandbox.policy import SandboxPolicy

OUTPUT_CAP = 256 * 1024
"""Bytes of a hook's stdout and of its stderr that are kept (the rest is read and dropped)."""
_PLAIN_CONTEXT = ("SessionStart", "UserPromptSubmit")


@dataclass(slots=True)
class HookOutcome:
    """What an event's hooks decided, all of them together."""

    block: str | None = None
    """A hook blocked: the reason (the model sees it for tool events and Stop)."""
    contexts: list[str] = field(default_factory=list)
    """Text the hooks add to the model's context."""
    warnings: list[str] = field(default_factory=list)
    """One line per failed hook, and each ``systemMessage``: shown to the user."""
    permission: str | None = None
    """PermissionRequest: ``"allow"`` or ``"deny"`` (replaces the approval question)."""
    stop: str | None = None
    """``continue: false``: the turn stops here, with this reason."""
    ran: int = 0


@dataclass(slots=True)
class _Raw:
    code: int | None
    stdout: str
    stderr: str
    error: str | None = None


class HookRunner:
    """The session's runnable hooks (trusted ones only) and how to run them."""

    def __init__(
        self,
        handlers: list[HookHandler],
        *,
        cwd: Path,
        policy: SandboxPolicy | None,
        common: dict[str, Any],
    ) -> None:
        self.handlers = handlers
        self.cwd = cwd
        self.policy = policy
        self.common = common
        """Fields every event carries: session_id, transcript_path, cwd, model, permission_mode."""

    def has(self, event: str) -> bool:
        return any(h.event == event for h in self.handlers)

    async def run(self, event: str, fields: dict[str, Any], names: tuple[str, ...] = ()) -> HookOutcome:
        """Run ``event``'s hooks whose matcher accepts one of ``names``; never raises (but cancellation)."""
        outcome = HookOutcome()
        chosen = [h for h in self.handlers if h.event == event and h.matches(names)]
        if not chosen:
            return outcome
        payload = {**self.common, "hook_event_name": event, **fields}
        if event in ("PreCompact", "PostCompact"):
            payload.pop("permission_mode", None)
        data = json.dumps(payload, separators=(",", ":"), default=str).encode()
        raws = await asyncio.gather(*(self._run_one(h, data) for h in chosen))
        outcome.ran = len(chosen)
        for handler, raw in zip(chosen, raws, strict=True):
            _interpret(event, handler, raw, outcome)
        return outcome

    async def _run_one(self, handler: HookHandler, data: bytes) -> _Raw:
        from codex_py.sandbox.policy import command_env, sandboxed_command

        shell = os.environ.get("SHELL") or "/bin/sh"
        argv = [shell, "-c", handler.command]
        env = command_env(hidden=self.policy.hidden_env if self.policy is not None else frozenset())
        env["CODEX_PROJECT_DIR"] = env["CLAUDE_PROJECT_DIR"] = str(self.cwd)
        if self.policy is not None:
            argv, env, _ = sandboxed_command(argv, self.policy, env)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=self.cwd,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return _Raw(None, "", "", f"cannot start: {exc.strerror or exc}")
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None

        async def feed() -> None:
            try:
                proc.stdin.write(data)  # type: ignore[union-attr]
                await proc.stdin.drain()  # type: ignore[union-attr]
            except (BrokenPipeError, ConnectionResetError):
                pass  # the hook did not read its input: fine
            finally:
                proc.stdin.close()  # type: ignore[union-attr]

        async def collect(stream: asyncio.StreamReader) -> bytes:
            kept = bytearray()
            while chunk := await stream.read(65536):
                if len(kept) < OUTPUT_CAP:
                    kept += chunk[: OUTPUT_CAP - len(kept)]
            return bytes(kept)

        work = asyncio.gather(feed(), collect(proc.stdout), collect(proc.stderr), proc.wait())
        try:
            _, out, err, code = await asyncio.wait_for(work, timeout=handler.timeout_s)
        except TimeoutError:
            _kill(proc.pid)
            await asyncio.gather(work, return_exceptions=True)
            return _Raw(None, "", "", f"hook timed out after {handler.timeout_s:g}s")
        except asyncio.CancelledError:
            _kill(proc.pid)
            raise
        return _Raw(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


def _interpret(event: str, handler: HookHandler, raw: _Raw, outcome: HookOutcome) -> None:
    name = f"{event} hook `{_first_line(handler.command, 60)}`"
    if raw.error is not None:
        outcome.warnings.append(f"{name}: {raw.error}")
        return
    if raw.code == 2:
        reason = raw.stderr.strip()
        if not reason:
            outcome.warnings.append(f"{name} exited with code 2 but gave no reason on stderr; not blocking")
        elif outcome.block is None:
            outcome.block = reason
        return
    if raw.code != 0:
        detail = _first_line(raw.stderr)
        outcome.warnings.append(f"{name} exited with code {raw.code}" + (f": {detail}" if detail else ""))
        return
    text = raw.stdout.strip()
    if not text:
        return
    if text[0] not in "{[":
        if event in _PLAIN_CONTEXT:
            outcome.contexts.append(text)
        return
    try:
        answer = json.loads(text)
    except ValueError:
        outcome.warnings.append(f"{name} printed invalid JSON: {_first_line(text, 60)!r}")
        return
    if not isinstance(answer, dict):
        outcome.warnings.append(f"{name} printed JSON that is not an object; ignored")
        return
    _decide(event, name, answer, outcome)


def _decide(event: str, name: str, answer: dict[str, Any], outcome: HookOutcome) -> None:
    message = answer.get("systemMessage")
    if isinstance(message, str) and message.strip():
        outcome.warnings.append(message.strip())
    specific = answer.get("hookSpecificOutput")
    specific = specific if isinstance(specific, dict) else {}
    context = specific.get("additionalContext")
    if isinstance(context, str) and context.strip() and event != "PreToolUse":
        outcome.contexts.append(context.strip())
    if answer.get("continue") is False:
        reason = answer.get("stopReason")
        outcome.stop = reason if isinstance(reason, str) and reason else f"stopped by a {event} hook"
    block_reason: str | None = None
    if answer.get("decision") == "block":
        reason = answer.get("reason")
        if isinstance(reason, str) and reason.strip():
            block_reason = reason.strip()
        else:
            outcome.warnings.append(f"{name} returned decision:block without a non-empty reason; not blocking")
    if event == "PreToolUse" and specific.get("permissionDecision") == "deny":
        reason = specific.get("permissionDecisionReason")
        block_reason = reason.strip() if isinstance(reason, str) and reason.strip() else "denied by a PreToolUse hook"
    if event == "PermissionRequest":
        decision = specific.get("decision")
        if isinstance(decision, dict) and decision.get("behavior") in ("allow", "deny"):
            if decision["behavior"] == "deny" or outcome.permission is None:
                outcome.permission = decision["behavior"]
            note = decision.get("message")
            if decision["behavior"] == "deny" and isinstance(note, str) and note.strip() and outcome.block is None:
                outcome.block = note.strip()
        return
    if block_reason is not None and outcome.block is None:
        outcome.block = block_reason


def tool_identity(name: str, kind: str, arguments: str) -> tuple[str, dict[str, Any], tuple[str, ...]] | None:
    """(tool_name, tool_input, names a matcher may use) of a tool call, as Codex shows it to hooks: shell
    commands are ``Bash`` ``{"command": "<command line>"}`` (matchers ``Bash`` or ``shell``), patches and edits
    ``apply_patch`` ``{"command": "<patch>"}`` (matchers ``apply_patch``, ``Edit``, ``Write``), MCP tools
    ``mcp__server__tool`` with their arguments. None for tools without hooks (``update_plan``)."""
    import shlex

    try:
        args = json.loads(arguments or "{}") if kind == "function" else {"input": arguments}
    except ValueError:
        args = None
    if name.startswith("mcp__"):
        return name, args if isinstance(args, dict) else {"raw": arguments}, (name,)
    if not isinstance(args, dict):
        args = {}
    if name == "shell":
        argv = args.get("command")
        command = shlex.join(argv) if isinstance(argv, list) and all(isinstance(a, str) for a in argv) else ""
        return "Bash", {"command": command}, ("Bash", "shell")
    if name == "bash":
        return "Bash", {"command": str(args.get("command") or "")}, ("Bash", "shell")
    if name == "apply_patch":
        return "apply_patch", {"command": str(args.get("input") or "")}, ("apply_patch", "Edit", "Write")
    if name == "str_replace_based_edit_tool":
        return "apply_patch", {"command": json.dumps(args)}, ("apply_patch", "Edit", "Write")
    return None
