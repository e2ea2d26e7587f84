"""Run the model's tool calls: argument parsing, approvals, sandbox, executors, result text.

One ``ToolRunner`` per session. ``run(call)`` always returns a ``ToolResult`` (tool failures are
results for the model, not exceptions); only cancellation propagates.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

from codex_py.agent.events import (
    ApprovalRequest,
    ApprovalResult,
    CommandBegin,
    CommandEnd,
    CommandOutput,
    Decision,
    EventSink,
    FileChange,
    PatchBegin,
    PatchEnd,
    PlanStep,
    PlanUpdated,
    Warning,
)
from codex_py.agent.mcp_resources import NAMES as RESOURCE_TOOLS
from codex_py.config import Config
from codex_py.protocol import ToolCall, ToolResult

Ask = Callable[[ApprovalRequest], Awaitable[ApprovalResult]]
_T = TypeVar("_T")


class TurnAbortRequested(Exception):
    """The user chose "abort" in an approval: the turn stops."""


@dataclass(slots=True)
class ToolRunner:
    config: Config
    sink: EventSink
    ask: Ask
    interactive: bool
    approved_commands: set[tuple[str, ...]] = field(default_factory=set)
    """Approved "for the session": whole argvs, and ("apply_patch", path) per file (exact matches only)."""
    approved_prefixes: set[tuple[str, ...]] = field(default_factory=set)
    """Command prefixes approved "for the session" with ``p`` (``sandbox/approval_rules.py``)."""
    _answered: dict[str, str] = field(default_factory=dict)
    """call id → how the user approved it (``approved once``...), for the command's cell."""
    _policy: Any = None
    mcp: Any = None
    """The session's ``mcp.manager.McpManager`` when MCP servers are configured."""
    hooks: Any = None
    """The session's ``hooks.runner.HookRunner``: PreToolUse, PostToolUse and PermissionRequest run here."""
    turn_id: str = ""

    @property
    def policy(self) -> Any:
        if self._policy is None:
            from codex_py.sandbox.policy import SandboxPolicy

            self._policy = SandboxPolicy.from_config(self.config)
        return self._policy

    def reset_policy(self) -> None:
        """Call after the config's sandbox settings changed (e.g. /approvals)."""
        self._policy = None

    async def run(self, call: ToolCall) -> ToolResult:
        """Run ``call``, with the PreToolUse and PostToolUse hooks around it when configured."""
        if self.hooks is None:
            return await self._dispatch(call)
        from codex_py.hooks.runner import tool_identity

        identity = tool_identity(call.name, call.kind, call.arguments)
        if identity is None:
            return await self._dispatch(call)
        tool_name, tool_input, names = identity
        fields = {"turn_id": self.turn_id, "tool_name": tool_name, "tool_input": tool_input}
        fields["tool_use_id"] = call.call_id
        if self.hooks.has("PreToolUse"):
            before = await self.hooks.run("PreToolUse", fields, names)
            for note in before.warnings:
                self.sink(Warning(note))
            if before.block is not None:
                return self._hook_blocked(call, tool_name, tool_input, before.block)
        result = await self._dispatch(call)
        if self.hooks.has("PostToolUse"):
            after = await self.hooks.run("PostToolUse", {**fields, "tool_response": result.output}, names)
            for note in after.warnings:
                self.sink(Warning(note))
            if after.block is not None or after.stop is not None:
                result = ToolResult(call.call_id, str(after.block or after.stop), is_error=True)
            elif after.contexts:
                added = "\n\n".join(after.contexts)
                text = f"{result.output}\n\n<hook_context>\n{added}\n</hook_context>"
                result = ToolResult(call.call_id, text, result.is_error)
        return result

    def _hook_blocked(self, call: ToolCall, tool_name: str, tool_input: dict[str, Any], reason: str) -> ToolResult:
        """A PreToolUse hook blocked the call: it does not run; the model gets the hook's reason (Codex's text)."""
        if tool_name == "Bash":
            import shlex

            command = str(tool_input.get("command", ""))
            try:
                argv = shlex.split(command) if call.name == "shell" else ["bash", "-lc", command]
            except ValueError:
                argv = [command]
            why = f"blocked by a PreToolUse hook: {reason}"
            self.sink(CommandBegin(call.call_id, argv, str(self.config.cwd)))
            self.sink(CommandEnd(call.call_id, argv, None, "", 0.0, "declined", reason=why))
            return ToolResult(call.call_id, f"Command blocked by PreToolUse hook: {reason}. Command: {command}", True)
        self.sink(Warning(f"A PreToolUse hook blocked `{tool_name}`: {reason}"))
        return ToolResult(call.call_id, f"Tool call blocked by PreToolUse hook: {reason}. Tool: {tool_name}", True)

    async def _dispatch(self, call: ToolCall) -> ToolResult:
        name = call.name
        if name in RESOURCE_TOOLS and self.mcp is not None:
            from codex_py.agent.mcp_resources import run_resource_tool

            return await run_resource_tool(self, call)
        if name.startswith("mcp__") and self.mcp is not None:
            from codex_py.agent.mcp_calls import Abort, run_mcp_call

            try:
                return await run_mcp_call(self, call)
            except Abort:
                raise TurnAbortRequested from None
        try:
            if name == "shell":
                args = _json_args(call)
                command = args.get("command")
                if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
                    raise _BadArgs("`command` must be a non-empty array of strings")
                return await self._shell(call, [_plain(c, "`command`") for c in command], args)
            if name == "bash":  # Anthropic's native bash tool
                args = _json_args(call)
                if args.get("restart"):
                    return ToolResult(call.call_id, "The shell was restarted (each command runs in a fresh shell).")
                script = args.get("command")
                if not isinstance(script, str) or not script.strip():
                    raise _BadArgs("`command` must be a non-empty string")
                return await self._shell(call, ["bash", "-lc", _plain(script, "`command`")], {})
            if name == "apply_patch":
                if call.kind == "custom":
                    text = call.arguments
                else:
                    patch = _json_args(call).get("input")
                    if not isinstance(patch, str):
                        raise _BadArgs("`input` must be the patch text")
                    text = patch
                return await self._patch(call, text, self.config.cwd)
            if name == "update_plan":
                return self._plan(call, _json_args(call))
            if name == "view_image":
                from codex_py.agent.view_image import run_view_image

                return await run_view_image(self, call, _json_args(call))
            if name == "str_replace_based_edit_tool":
                from codex_py.tools.text_editor import edit_as_patch

                args = _json_args(call)
                if isinstance(args.get("path"), str):
                    _plain(args["path"], "`path`")
                refused = await self._editor_home_read(call, args)
                if refused is not None:
                    return refused
                try:
                    outcome = edit_as_patch(args, self.config.cwd)
                except (OSError, RuntimeError) as exc:  # a name too long, a symlink loop
                    raise _BadArgs(f"`path` cannot be used: {getattr(exc, 'strerror', None) or exc}") from None
                if isinstance(outcome, ToolResult):
                    return ToolResult(call.call_id, outcome.output, outcome.is_error)
                return await self._patch(call, outcome, self.config.cwd)
        except _BadArgs as exc:
            self.sink(Warning(f"The model called `{name}` with invalid arguments ({exc}); it was told and may retry."))
            return ToolResult(call.call_id, f"failed to parse function arguments: {exc}", is_error=True)
        self.sink(Warning(f"The model called an unknown tool `{name}`; it was told and may retry."))
        return ToolResult(call.call_id, f"unknown tool: {name!r}", is_error=True)

    # --- shell -----------------------------------------------------------------------------
    async def _shell(self, call: ToolCall, argv: list[str], args: dict[str, Any]) -> ToolResult:
        from codex_py.sandbox.approval_rules import session_prefix
        from codex_py.sandbox.approvals import after_failure, assess_command, escalation_refusal
        from codex_py.sandbox.home_guard import reads_codex_home
        from codex_py.sandbox.landlock import landlock_abi
        from codex_py.tools.apply_patch import extract_patch_from_argv

        workdir = self._resolve(args.get("workdir"))
        intercepted = extract_patch_from_argv(argv)
        if intercepted is not None:
            patch_text, cd = intercepted
            return await self._patch(call, patch_text, (workdir / cd) if cd else workdir)
        timeout_ms = _timeout_ms(args.get("timeout_ms"), self.config.shell_timeout_ms)
        escalate = args.get("sandbox_permissions") == "require_escalated"
        outside = not _inside(workdir, self.config.cwd)
        sandbox_available = self.policy.mode == "danger-full-access" or landlock_abi() > 0
        verdict = assess_command(
            argv,
            policy=self.config.approval_policy,
            sandbox=self.policy,
            sandbox_available=sandbox_available,
            escalation_requested=escalate,
            approved_commands=self.approved_commands,
            approved_prefixes=self.approved_prefixes,
            workdir=workdir,
        )
        if verdict != "run" and reads_codex_home(argv, workdir):
            refused = await self._home_read_refused(call, argv, workdir, verdict)
            if refused is not None:
                return refused
            verdict = "run"  # approved by the user
        if verdict == "run" and outside and not _approved(argv, self.approved_commands):
            verdict = "ask"
        # a command approved for the session that asks to escalate runs outside the sandbox again
        unsandboxed = verdict == "run" and escalate and _approved(argv, self.approved_commands)
        if verdict == "reject":
            why = escalation_refusal(self.config.approval_policy) if escalate else "rejected by the approval policy"
            return self._declined_command(call, argv, workdir, why)
        if verdict == "ask":
            reason = (
                "runs outside the workspace"
                if outside
                else "requests to run outside the sandbox"
                if escalate
                else "needs approval under the current policy"
            )
            unsandboxed = escalate or not sandbox_available
            justification = args.get("justification")
            result = await self._request(
                call,
                "command",
                reason,
                argv=argv,
                workdir=workdir,
                justification=justification.strip() if isinstance(justification, str) else "",
                unsandboxed=unsandboxed,
                prefix=None if unsandboxed or outside else session_prefix(argv),
            )
            if result is not None:
                return self._declined_command(call, argv, workdir, result)
        approval = self._approval(call, argv, unsandboxed)
        outcome = await self._exec(call, argv, workdir, timeout_ms, unsandboxed, approval)
        sandboxed = not unsandboxed and self.policy.mode != "danger-full-access"
        if (
            sandboxed
            and outcome.exit_code != 0
            and after_failure(outcome, policy=self.config.approval_policy, sandbox_used=True) == "ask_unsandboxed"
        ):
            question = "failed in the sandbox; run it without the sandbox?"
            if await self._request(call, "command", question, argv, keep_on_abort=False) is None:
                outcome = await self._exec(call, argv, workdir, timeout_ms, True, self._approval(call, argv, True))
        return self._command_result(call, outcome)

    async def _exec(
        self, call: ToolCall, argv: list[str], workdir: Path, timeout_ms: int, unsandboxed: bool, approval: str = ""
    ) -> Any:
        from codex_py.sandbox.policy import SandboxPolicy
        from codex_py.tools.shell import run_command

        policy = self.policy
        if unsandboxed:
            policy = SandboxPolicy(
                mode="danger-full-access",
                workspace=policy.workspace,
                writable_roots=[],
                network_access=True,
                hidden_env=policy.hidden_env,
            )
        import asyncio

        from codex_py.sandbox.safe_commands import hardened_command

        # a known-safe git command runs with the repository's configured programs turned off
        run_argv = await asyncio.to_thread(hardened_command, argv, workdir)
        self.sink(CommandBegin(call.call_id, argv, str(workdir), approval))
        sink = self.sink
        call_id = call.call_id
        try:
            result = await run_command(
                run_argv,
                cwd=workdir,
                timeout_ms=timeout_ms,
                policy=policy,
                on_output=lambda chunk: sink(CommandOutput(call_id, chunk)),
            )
        except BaseException:
            self.sink(CommandEnd(call_id, argv, None, "", 0.0, "failed", approval=approval))
            raise
        status: Literal["completed", "failed"] = "completed" if result.exit_code == 0 else "failed"
        ended = CommandEnd(call_id, argv, result.exit_code, result.output, result.duration_s, status, approval=approval)
        self.sink(ended)
        return result

    def _approval(self, call: ToolCall, argv: list[str], unsandboxed: bool) -> str:
        """How this run was approved, for its cell (``approved once``, ``auto: known-safe``...)."""
        from codex_py.sandbox.approval_rules import run_label

        label = self._answered.pop(call.call_id, "") or run_label(
            argv,
            policy=self.config.approval_policy,
            sandbox=self.policy,
            approved_commands=self.approved_commands,
            approved_prefixes=self.approved_prefixes,
        )
        return f"{label}, unsandboxed" if unsandboxed and self.policy.mode != "danger-full-access" else label

    def _command_result(self, call: ToolCall, outcome: Any) -> ToolResult:
        from codex_py.tools.shell import format_for_model

        text = format_for_model(
            outcome, max_bytes=self.config.tool_output_max_bytes, max_lines=self.config.tool_output_max_lines
        )
        return ToolResult(call.call_id, text, is_error=outcome.exit_code != 0)

    def _declined_command(self, call: ToolCall, argv: list[str], workdir: Path, why: str) -> ToolResult:
        self.sink(CommandBegin(call.call_id, argv, str(workdir)))
        self.sink(CommandEnd(call.call_id, argv, None, "", 0.0, "declined", reason=why))
        return ToolResult(call.call_id, f"exec command rejected: {why}", is_error=True)

    # --- reads of codex-py's own home (credentials, rollouts, logs) ------------------------------
    async def _home_read_refused(
        self, call: ToolCall, argv: list[str], workdir: Path, verdict: str
    ) -> ToolResult | None:
        """For a command or editor read held back because it reads the home (``sandbox/home_guard.py``): ask;
        exec and ``never`` decline with the reason. None: approved, go ahead."""
        from codex_py.sandbox.home_guard import HOME_READ_REASON

        if verdict == "reject":
            why: str | None = f"rejected by the approval policy: {HOME_READ_REASON}"
        elif not self.interactive:
            why = f"{HOME_READ_REASON}: approval required, and exec mode never prompts (declined)"
        else:
            why = await self._request(call, "command", HOME_READ_REASON, argv=argv)
        return None if why is None else self._declined_command(call, argv, workdir, why)

    async def _editor_home_read(self, call: ToolCall, args: dict[str, Any]) -> ToolResult | None:
        """The text editor reads in-process (``view``, and ``str_replace``/``insert`` before their patch): a
        path in codex-py's home needs approval as a shell read does. None: go ahead."""
        from codex_py.sandbox.approvals import assess_home_read
        from codex_py.sandbox.home_guard import in_codex_home

        path = args.get("path")
        if not isinstance(path, str) or not path or not in_codex_home(path, self.config.cwd):
            return None
        argv = ["str_replace_based_edit_tool", str(args.get("command")), path]
        verdict = assess_home_read(self.config.approval_policy, self.policy)
        if verdict == "run" or _approved(argv, self.approved_commands):
            return None
        return await self._home_read_refused(call, argv, self.config.cwd, verdict)

    # --- apply_patch -----------------------------------------------------------------------
    async def _patch(self, call: ToolCall, text: str, cwd: Path) -> ToolResult:
        from codex_py.sandbox.approval_rules import patch_reason

        root = self.config.cwd
        from codex_py.sandbox.approvals import assess_patch
        from codex_py.tools.apply_patch import PatchError, apply_patch, preview_patch

        try:
            planned = await _off_loop(partial(preview_patch, text, cwd, allow_outside=True))
        except PatchError as exc:
            self.sink(PatchEnd(call.call_id, _named_changes(text), "failed", str(exc)))
            return ToolResult(call.call_id, f"apply_patch verification failed: {exc}", is_error=True)
        changes = [
            FileChange(
                c.rel(self.config.cwd),
                c.kind,
                c.diff,
                str(c.move_to.relative_to(self.config.cwd))
                if c.move_to and _inside(c.move_to, self.config.cwd)
                else (str(c.move_to) if c.move_to else None),
            )
            for c in planned
        ]
        # judged on the real paths the applier acts on (a deleted symlink: the link itself), and written only there
        writes = [c.real or c.path for c in planned if c.kind != "delete"]
        writes += [c.real_move_to for c in planned if c.real_move_to]
        removed = [c.real or c.path for c in planned if c.kind == "delete"]
        paths = writes + removed
        verdict = assess_patch(writes, policy=self.config.approval_policy, sandbox=self.policy, entries=removed)
        if verdict != "run" and all(_approved(("apply_patch", str(p)), self.approved_commands) for p in paths):
            verdict = "run"
        if verdict == "reject":
            refusal = "rejected by the approval policy"
            self.sink(PatchEnd(call.call_id, changes, "declined", refusal, reason=refusal))
            return ToolResult(call.call_id, "patch rejected: writing there is not allowed by the approval policy", True)
        if verdict == "ask":
            why = await self._request(
                call,
                "patch",
                patch_reason(writes, removed, policy=self.config.approval_policy, sandbox=self.policy, cwd=root),
                changes=changes,
                session_keys=[("apply_patch", str(p)) for p in paths],
            )
            if why is not None:
                self.sink(PatchEnd(call.call_id, changes, "declined", why, reason=why))
                return ToolResult(call.call_id, f"patch rejected: {why}", is_error=True)
        self.sink(PatchBegin(call.call_id, changes))
        try:
            applied = await _off_loop(partial(apply_patch, text, cwd, allow_outside=True, judged=paths))
        except PatchError as exc:
            self.sink(PatchEnd(call.call_id, changes, "failed", str(exc)))
            return ToolResult(call.call_id, f"apply_patch failed: {exc}", is_error=True)
        self.sink(PatchEnd(call.call_id, changes, "completed", applied.summary))
        return ToolResult(call.call_id, applied.summary)

    # --- update_plan -----------------------------------------------------------------------
    def _plan(self, call: ToolCall, args: dict[str, Any]) -> ToolResult:
        raw = args.get("plan")
        if not isinstance(raw, list):
            raise _BadArgs("`plan` must be an array of {step, status}")
        steps: list[PlanStep] = []
        for entry in raw:
            if not isinstance(entry, dict) or not isinstance(entry.get("step"), str):
                raise _BadArgs("each plan entry needs a `step` string")
            status = entry.get("status", "pending")
            if status not in ("pending", "in_progress", "completed"):
                raise _BadArgs(f"invalid status {status!r}: use pending, in_progress or completed")
            steps.append(PlanStep(entry["step"], status))
        explanation = args.get("explanation")
        self.sink(PlanUpdated(explanation if isinstance(explanation, str) else None, steps))
        return ToolResult(call.call_id, "Plan updated")

    # --- approvals -------------------------------------------------------------------------
    async def _request(
        self,
        call: ToolCall,
        kind: Literal["command", "patch"],
        reason: str,
        argv: list[str] | None = None,
        *,
        changes: list[FileChange] | None = None,
        session_keys: list[tuple[str, ...]] | None = None,
        workdir: Path | None = None,
        justification: str = "",
        unsandboxed: bool = False,
        prefix: tuple[str, ...] | None = None,
        keep_on_abort: bool = True,
    ) -> str | None:
        """Ask the user; return None when approved, else the reason to tell the model.

        ``prefix``: offer "approve every command starting with it for the session". Esc (abort) leaves the
        proposed command or patch in the transcript as declined ("stopped at approval") unless
        ``keep_on_abort`` is False (the re-run question: the command's cell is already there)."""
        if not self.interactive:
            return "approval required, and exec mode never prompts (declined)"
        if self.hooks is not None and self.hooks.has("PermissionRequest"):
            decided = await self._permission_hook(call, kind, argv, changes)
            if decided is not None:
                return decided or None
        request = ApprovalRequest(
            call.call_id,
            kind,
            reason,
            argv,
            changes,
            justification=justification,
            unsandboxed=unsandboxed,
            session_prefix=list(prefix) if prefix else None,
        )
        result = await self.ask(request)
        if result.decision is Decision.APPROVE_PREFIX and prefix:
            self.approved_prefixes.add(prefix)
            self._answered[call.call_id] = f"approved for the session: {' '.join(prefix)} …"
            return None
        if result.decision is Decision.APPROVE_SESSION:
            if argv is not None:
                self.approved_commands.add(tuple(argv))
            for key in session_keys or []:
                self.approved_commands.add(key)
            self._answered[call.call_id] = "approved for the session"
            return None
        if result.decision in (Decision.APPROVE, Decision.APPROVE_PREFIX):  # no prefix offered: once
            self._answered[call.call_id] = "approved once"
            return None
        if result.decision is Decision.ABORT:
            stopped = "stopped at approval (Esc): the turn ended"
            if keep_on_abort and kind == "command" and argv is not None:
                self._declined_command(call, argv, workdir or self.config.cwd, stopped)
            elif keep_on_abort and kind == "patch":
                self.sink(PatchEnd(call.call_id, changes or [], "declined", stopped, reason=stopped))
            raise TurnAbortRequested
        return f"rejected by user{': ' + result.reason if result.reason else ''}"

    async def _permission_hook(
        self, call: ToolCall, kind: str, argv: list[str] | None, changes: list[FileChange] | None
    ) -> str | None:
        """PermissionRequest hooks, run where the user would be asked: "" approved by a hook, a reason when a
        hook denied, None when no hook decided (the user is asked)."""
        import shlex

        tool_input: dict[str, Any]
        if kind == "command":
            tool_name, tool_input = "Bash", {"command": shlex.join(argv or [])}
        else:
            tool_name, tool_input = "apply_patch", {"command": call.arguments, "files": [c.path for c in changes or []]}
        names = ("Bash", "shell") if kind == "command" else ("apply_patch", "Edit", "Write")
        fields = {"turn_id": self.turn_id, "tool_name": tool_name, "tool_input": tool_input}
        outcome = await self.hooks.run("PermissionRequest", fields, names)
        for note in outcome.warnings:
            self.sink(Warning(note))
        if outcome.permission == "deny":
            return f"denied by a PermissionRequest hook{': ' + outcome.block if outcome.block else ''}"
        if outcome.permission == "allow":
            self._answered[call.call_id] = "approved by a hook"
            return ""
        return None

    def _resolve(self, workdir: object) -> Path:
        if not isinstance(workdir, str) or not workdir:
            return self.config.cwd
        try:
            path = Path(_plain(workdir, "`workdir`")).expanduser()
            resolved = (path if path.is_absolute() else self.config.cwd / path).resolve()
        except RuntimeError as exc:  # ~nosuchuser, a symlink loop
            raise _BadArgs(f"`workdir` cannot be used: {exc}") from None
        try:
            resolved.stat()
        except (FileNotFoundError, NotADirectoryError, PermissionError):  # said by the command runner as usual
            return resolved
        except OSError as exc:  # a name too long
            raise _BadArgs(f"`workdir` cannot be used: {exc.strerror or exc}") from None
        return resolved


class _BadArgs(Exception):
    pass


def _json_args(call: ToolCall) -> dict[str, Any]:
    try:
        value = json.loads(call.arguments or "{}")
    except RecursionError:
        raise _BadArgs("the arguments are nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or a number of more than 4300 digits
        raise _BadArgs(str(exc)) from None
    if not isinstance(value, dict):
        raise _BadArgs("arguments must be a JSON object")
    return value


MAX_TIMEOUT_MS = 24 * 3600 * 1000
"""The longest ``timeout_ms`` a model may ask for (a day)."""


def _timeout_ms(value: object, default: int) -> int:
    """The model's ``timeout_ms``: absent means ``default``; anything but a finite number of milliseconds
    from 1 to a day (``Infinity``, ``NaN``, negative, huge, a string) is refused, so the model can retry."""
    if value is None:
        return default
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None or not 1 <= number <= MAX_TIMEOUT_MS:  # NaN fails both comparisons
        raise _BadArgs(
            f"`timeout_ms` must be a number of milliseconds from 1 to {MAX_TIMEOUT_MS}, not {json.dumps(value)[:40]}; "
            f"leave it out for the default ({default})"
        )
    return round(number)


def _plain(text: str, what: str) -> str:
    """``text`` if the OS can take it as an argument or a path: no NUL byte, no lone surrogate."""
    if "\0" in text:
        raise _BadArgs(f"{what} contains a NUL byte, which no command or path can hold")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _BadArgs(f"{what} is not valid Unicode (it holds a lone surrogate such as \\ud800)") from None
    return text


async def _off_loop(step: Callable[..., _T]) -> _T:
    """Run a patch step (``stop=`` keyword) in a thread, so Esc and SIGINT still work during a long one;
    when the call is cancelled the step is told to stop (it checks before writing anything)."""
    import asyncio
    import threading

    stop = threading.Event()
    try:
        return await asyncio.to_thread(step, stop=stop)
    finally:
        stop.set()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _named_changes(text: str) -> list[FileChange]:
    """The files a patch names in its headers (for a patch that failed verification: its cell names them)."""
    import re

    kinds: dict[str, Literal["add", "update", "delete"]] = {"Add": "add", "Update": "update", "Delete": "delete"}
    found = re.findall(r"(?m)^\*\*\* (Add|Update|Delete) File: (.+?)\s*$", text)
    return [FileChange(path, kinds[verb]) for verb, path in found]


def _approved(argv: tuple[str, ...] | list[str], approved: set[tuple[str, ...]]) -> bool:
    """Codex's meaning: only the exact command (whole argv) approved for the session; approving
    ``rm -rf build`` does not approve ``rm -rf build src``."""
    return tuple(argv) in approved
