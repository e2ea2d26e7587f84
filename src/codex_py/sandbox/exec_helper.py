"""Sandbox exec helper: ``python -S -E exec_helper.py [--no-network] RULESET_WORDS... -- argv...``.

Applies the Landlock ruleset (``landlock.Ruleset.to_args``) to itself, with ``--no-network`` also the
seccomp network filter (``seccomp.block_network``), then replaces itself with argv through
``os.execvp``. Run by path (not ``-m``) so that nothing but the standard library, ``landlock.py`` and
``seccomp.py`` (found next to this file through ``sys.path[0]``) is imported — no json, no typing: start-up
stays near a bare interpreter's.

Exit codes when argv never starts: 127 command not found, 126 not executable, 1 sandbox failure
(the message names Landlock, so the sandbox-denial heuristic sees it). It never runs argv unsandboxed.
"""

from __future__ import annotations

import os
import sys


def main(args: list[str]) -> int:
    """Entry point; returns an exit code only when argv could not be executed."""
    no_network = args[:1] == ["--no-network"]
    if no_network:
        args = args[1:]
    if "--" not in args or args.index("--") == len(args) - 1:
        sys.stderr.write("usage: exec_helper.py [--no-network] RULESET_WORDS... -- COMMAND [ARGS...]\n")
        return 2
    if __package__:
        from codex_py.sandbox.landlock import Ruleset, restrict_self
        from codex_py.sandbox.seccomp import block_network
    else:  # run by path: sys.path[0] is this folder
        from landlock import Ruleset, restrict_self  # type: ignore[import-not-found,no-redef,unused-ignore]
        from seccomp import block_network  # type: ignore[import-not-found,no-redef,unused-ignore]

    split = args.index("--")  # ruleset words are numbers and absolute paths, never "--"
    argv = args[split + 1 :]
    try:
        restrict_self(Ruleset.from_args(args[:split]))  # also sets PR_SET_NO_NEW_PRIVS, which seccomp needs
        if no_network:
            block_network()
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"codex-py: could not apply the Landlock sandbox ({exc}); the command did not run\n")
        return 1
    try:
        os.execvp(argv[0], argv)
    except FileNotFoundError:
        sys.stderr.write(f"codex-py: command not found: {argv[0]}\n")
        return 127
    except PermissionError:
        sys.stderr.write(f"codex-py: permission denied: {argv[0]}\n")
        return 126
    except OSError as exc:
        sys.stderr.write(f"codex-py: cannot execute {argv[0]}: {exc.strerror}\n")
        return 126
    return 0  # unreachable: execvp does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
