"""``codex-py hooks list`` and ``codex-py hooks trust``: see the hooks a session here would run, trust the
project's."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codex_py.config import CliOverrides


def list_hooks(cli: CliOverrides) -> int:
    from codex_py.config import load_config, resolve_paths
    from codex_py.hooks.loader import load_hooks
    from codex_py.hooks.trust import split_trusted

    config = load_config(cli)
    hooks = load_hooks(config.hooks, resolve_paths().config_file, config.cwd)
    runnable, untrusted = split_trusted(hooks, config.hooks)
    waiting = {h.key for h in untrusted}
    if not hooks.handlers:
        sys.stdout.write("No hooks configured (see docs/extending.md).\n")
    for handler in hooks.handlers:
        state = "untrusted" if handler.key in waiting else "on" if handler in runnable else "disabled"
        matcher = f" [{handler.matcher}]" if handler.matcher else ""
        sys.stdout.write(f"{state:<9}  {handler.event}{matcher}: {handler.command}\n           {handler.source}\n")
    for note in hooks.warnings:
        sys.stderr.write(f"warning: {note}\n")
    if waiting:
        sys.stdout.write("Trust the project's hooks with: codex-py hooks trust\n")
    return 0


def trust(cli: CliOverrides) -> int:
    from codex_py.config import load_config, resolve_paths
    from codex_py.hooks.loader import load_hooks
    from codex_py.hooks.trust import describe, split_trusted, trust_hooks

    config = load_config(cli)
    paths = resolve_paths()
    _, untrusted = split_trusted(load_hooks(config.hooks, paths.config_file, config.cwd), config.hooks)
    if not untrusted:
        sys.stdout.write("No untrusted project hooks here.\n")
        return 0
    trust_hooks(untrusted, paths.config_file)
    sys.stdout.write(f"Trusted {len(untrusted)} project hook(s) (recorded in {paths.config_file}):\n")
    sys.stdout.write(describe(untrusted) + "\n")
    return 0
