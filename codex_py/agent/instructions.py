"""The system prompt: our own concise instructions, the environment, and AGENTS.md."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from pathlib import Path

from codex_py.config import Config

_PERMISSIONS = {
    "read-only": "Commands run in a read-only sandbox: they can read anything, but write nowhere and have no network.",
    "workspace-write": (
        "Commands run in a sandbox that can write only inside the workspace, the temp dir and configured "
        "writable roots{network}."
    ),
    "danger-full-access": "Commands run without a sandbox: be careful, they can change anything the user can.",
}
_APPROVALS = {
    "untrusted": "Commands other than known read-only ones need the user's approval before they run.",
    "on-failure": "If a command fails in the sandbox, the user is asked whether to re-run it without the sandbox.",
    "on-request": (
        "If a command needs more than the sandbox allows (network, writing elsewhere), call `shell` with "
        '`"sandbox_permissions": "require_escalated"` and a one-sentence `justification`; the user decides.'
    ),
    "never": "Nobody can approve anything: if the sandbox blocks something, find another way or explain.",
}


def permissions_text(config: Config) -> str:
    """Describe the sandbox and approval mode in two sentences."""
    network = " (network access allowed)" if config.sandbox_workspace_write.network_access else "; no network"
    sandbox = _PERMISSIONS[config.sandbox_mode].format(network=network)
    return f"{sandbox} {_APPROVALS[config.approval_policy]}"


def build_instructions(config: Config, project_docs: str | None, *, patch_format: str = "", skills: str = "") -> str:
    """Return the full system prompt for ``config``.

    ``project_docs`` is the joined AGENTS.md text (global, then repository root down to cwd).
    ``config.instructions`` replaces the built-in text; ``developer_instructions`` is appended.
    ``skills`` is the skills list (``skills.loader.render_skills``: names and descriptions, never bodies).
    """
    if config.instructions:
        base = config.instructions
    else:
        template = (Path(__file__).parent / "prompts" / "instructions.md").read_text("utf-8")  # no importlib.resources
        base = template.format(
            shell_timeout_s=config.shell_timeout_ms // 1000,
            patch_format=f"\n# Patch format\n{patch_format.strip()}\n" if patch_format else "",
            permissions=permissions_text(config),
            cwd=config.cwd,
            os=f"{platform.system()} {platform.release()}",
            shell=os.environ.get("SHELL", "/bin/sh"),
            date=_dt.date.today().isoformat(),
        )
    parts = [base.strip()]
    if config.developer_instructions:
        parts.append(config.developer_instructions.strip())
    if skills:
        parts.append(skills.strip())
    if project_docs:
        parts.append(
            "# AGENTS.md instructions\nThe user's instructions for this repository follow; they take precedence "
            "over the general guidance above.\n\n" + project_docs.strip()
        )
    return "\n\n".join(parts) + "\n"
