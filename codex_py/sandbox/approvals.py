"""Approval decisions with Codex's semantics: when a command or patch runs, asks the user, or is refused.

Policies: ``untrusted`` (only known-safe commands run without asking), ``on-failure`` (run sandboxed; a
sandbox denial asks to re-run unsandboxed), ``on-request`` (run sandboxed; the model may ask to escalate
with ``sandbox_permissions: "require_escalated"``), ``never`` (never ask; what would need approval is
refused and failures go back to the model). The full matrix is in docs/sandbox.md.

These functions only decide; the agent's tool runner asks the user (exec, which never prompts, turns
"ask" into a decline reported to the model) and chooses whether the run is sandboxed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from codex_py.sandbox.safe_commands import command_might_be_dangerous, is_known_safe_command

if TYPE_CHECKING:
    from codex_py.sandbox.command_result import CommandResult
    from codex_py.sandbox.policy import SandboxPolicy

__all__ = ["after_failure", "assess_command", "assess_patch", "escalation_refusal", "is_known_safe_command"]

Verdict = Literal["run", "ask", "reject"]


def assess_command(
    argv: list[str],
    *,
    policy: str,
    sandbox: SandboxPolicy,
    sandbox_available: bool,
    escalation_requested: bool,
    approved_commands: Collection[tuple[str, ...]],
    approved_prefixes: Collection[tuple[str, ...]] = (),
    workdir: Path | None = None,
) -> Verdict:
    """Decide a shell command: "run" (sandboxed when there is a sandbox), "ask" the user first, or "reject".

    Order: an escalation request outside ``on-request`` is refused (Codex); a command the user approved
    for the session (the exact argv) runs; a command reading codex-py's home (given ``workdir``) asks
    (:func:`assess_home_read`); an escalation request in a restricted sandbox asks; with no working
    sandbox every command asks (``never``: refused); known-safe commands run; a command starting with a prefix
    the user approved for the session (``approval_rules.matching_prefix``, never a destructive one) runs,
    sandboxed; ``rm -f``/``-rf`` asks
    (``never``: refused in a sandbox, run under full access); ``untrusted`` asks for the rest; others run it.
    """
    restricted = sandbox.mode != "danger-full-access"
    if escalation_requested and policy != "on-request":
        return "reject"
    if tuple(argv) in approved_commands:  # the exact argv, not a prefix (Codex)
        return "run"
    if workdir is not None:
        from codex_py.sandbox.home_guard import reads_codex_home

        if reads_codex_home(argv, workdir):  # credentials, rollouts, logs: even where reads are free
            return assess_home_read(policy, sandbox)
    if escalation_requested and restricted:
        return "ask"
    if restricted and not sandbox_available:
        return "reject" if policy == "never" else "ask"
    if is_known_safe_command(argv):
        return "run"
    if approved_prefixes:  # "p": commands starting with an approved prefix, never destructive ones
        from codex_py.sandbox.approval_rules import matching_prefix

        if matching_prefix(argv, approved_prefixes) is not None:
            return "run"
    if command_might_be_dangerous(argv):
        if policy == "never":
            return "reject" if restricted else "run"
        return "ask"
    if policy == "untrusted":
        return "ask"
    return "run"


def assess_home_read(policy: str, sandbox: SandboxPolicy) -> Verdict:
    """A read of codex-py's own home (``sandbox/home_guard.py``): asks under every policy but ``never``,
    which refuses it, unless the sandbox is off (``danger-full-access`` with ``never`` asks for nothing)."""
    if policy != "never":
        return "ask"
    return "run" if sandbox.mode == "danger-full-access" else "reject"


def escalation_refusal(policy: str) -> str:
    """Codex's text for the model when it asks to escalate under a policy other than ``on-request``."""
    return (
        f"approval policy is {policy}; reject command — you should not ask for escalated permissions "
        f"if the approval policy is {policy}"
    )


def assess_patch(
    paths: list[Path], *, policy: str, sandbox: SandboxPolicy, entries: Sequence[Path] = ()
) -> Verdict:
    """Decide an apply_patch writing ``paths`` and removing ``entries`` (absolute, or relative to the workspace).

    Empty → reject. ``untrusted`` → ask. Every path writable under the sandbox (full access: all) → run.
    Otherwise ask, or reject under ``never``. Writable means inside a writable root and not inside its
    ``.git``/``.codex``/``.agents``; under read-only nothing is writable. An entry is judged where it
    lives, ``realpath(parent)/name``: deleting a symlink removes the link, not its target.
    """
    if not paths and not entries:
        return "reject"
    if policy == "untrusted":
        return "ask"
    if all(sandbox.can_write(path) for path in paths) and all(
        sandbox.can_write(entry, follow_last=False) for entry in entries
    ):
        return "run"
    return "reject" if policy == "never" else "ask"


def after_failure(result: CommandResult, *, policy: str, sandbox_used: bool) -> Literal["ask_unsandboxed", "report"]:
    """After a failed run: offer an unsandboxed re-run when the sandbox likely caused it, else report it.

    Like Codex, every policy but ``never`` offers the re-run, and only for a likely sandbox denial
    (``result.sandbox_denied``); timeouts and ordinary failures go back to the model.
    """
    if not sandbox_used or policy == "never" or result.exit_code == 0 or result.timed_out:
        return "report"
    return "ask_unsandboxed" if result.sandbox_denied else "report"
