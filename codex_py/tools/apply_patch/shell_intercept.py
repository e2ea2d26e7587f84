"""Recognise a shell command that is really an ``apply_patch`` call, so the agent can route it.

Models trained on Codex send patches through the shell tool as ``["apply_patch", PATCH]`` or as
``["bash", "-lc", "apply_patch <<'EOF'\\n...\\nEOF"]``, optionally after ``cd DIR &&``. Anything
else (pipes, more commands after the heredoc, other programs) is left to the shell.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PROGRAMS = frozenset({"apply_patch", "applypatch"})
_SHELLS = frozenset({"bash", "sh", "zsh"})
_WORD = r"""'[^']*'|"[^"\\$`]*"|[^\s'"\\;&|<>()$`]+"""
_HEAD = re.compile(
    rf"""\s*(?:cd\s+(?P<dir>{_WORD})\s*&&\s*)?(?:apply_patch|applypatch)\s*<<(?P<dash>-)?\s*"""
    r"""(?P<quote>['"]?)(?P<delim>[A-Za-z_][A-Za-z0-9_]*)(?P=quote)[ \t]*\n"""
)


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _heredoc_script(script: str) -> tuple[str, Path | None] | None:
    head = _HEAD.match(script)
    if head is None:
        return None
    delim, strip_tabs = head["delim"], head["dash"] is not None
    lines = script[head.end() :].split("\n")
    for index, line in enumerate(lines):
        if (line.lstrip("\t") if strip_tabs else line) == delim:
            if "\n".join(lines[index + 1 :]).strip():
                return None  # more commands follow: not a plain apply_patch
            body = lines[:index]
            if strip_tabs:
                body = [b.lstrip("\t") for b in body]
            text = "\n".join(body) + "\n"
            return text, (Path(_unquote(head["dir"])) if head["dir"] else None)
    return None


def extract_patch_from_argv(argv: list[str]) -> tuple[str, Path | None] | None:
    """The patch text and optional ``cd`` directory when ``argv`` invokes apply_patch, else ``None``.

    The directory is as written (relative to the command's workdir unless absolute).
    """
    if len(argv) == 2 and argv[0] in _PROGRAMS:
        return argv[1], None
    if len(argv) == 3 and os.path.basename(argv[0]) in _SHELLS and argv[1] in ("-lc", "-c"):
        return _heredoc_script(argv[2])
    return None
