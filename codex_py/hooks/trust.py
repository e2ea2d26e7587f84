"""Which hooks may run: the home's always (unless disabled), a project's only once the user trusted them.

Trust is recorded as Codex records it, in the home's config.toml (never in the project):

    [hooks.state."/repo/.codex/hooks.json:pre_tool_use:0:0"]
    trusted_hash = "sha256:…"      # of the hook's event, matcher, command and timeout
    enabled = false                # optional: turn one hook off

A changed project hook has another hash, so it needs trust again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_py.hooks.loader import HookHandler, HookSet


def _state(config_hooks: dict[str, object]) -> dict[str, Any]:
    state = config_hooks.get("state")
    return state if isinstance(state, dict) else {}


def split_trusted(hooks: HookSet, config_hooks: dict[str, object]) -> tuple[list[HookHandler], list[HookHandler]]:
    """(hooks that may run, project hooks waiting for the user's trust). Disabled ones are in neither."""
    state = _state(config_hooks)
    runnable: list[HookHandler] = []
    untrusted: list[HookHandler] = []
    for handler in hooks.handlers:
        entry = state.get(handler.key)
        entry = entry if isinstance(entry, dict) else {}
        if entry.get("enabled") is False:
            continue
        if not handler.project or entry.get("trusted_hash") == handler.trust_hash():
            runnable.append(handler)
        else:
            untrusted.append(handler)
    return runnable, untrusted


def trust_hooks(handlers: list[HookHandler], config_file: Path) -> None:
    """Record ``handlers`` as trusted in the home's config.toml (comments and layout kept)."""
    import tomlkit

    from codex_py.config.edit import load_for_edit, save, table_in

    doc = load_for_edit(config_file)
    state = table_in(table_in(doc, "hooks"), "state")
    for handler in handlers:
        entry = tomlkit.table()
        entry["trusted_hash"] = handler.trust_hash()
        state[handler.key] = entry
    save(config_file, doc)


def describe(handlers: list[HookHandler]) -> str:
    """One line per hook, for the trust question and exec's refusal."""
    return "\n".join(
        f"  {h.event}{f' [{h.matcher}]' if h.matcher else ''}: {h.command}  ({h.source})" for h in handlers
    )
