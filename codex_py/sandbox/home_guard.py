"""Reads of codex-py's own home need approval, even where reads are otherwise free.

The home holds the credentials (``credentials.json``), every session's rollout and the log: a prompt-injected
model that can ``cat`` them leaks keys and past conversations. The sandbox lets commands read everywhere
(Landlock cannot deny one folder while allowing the rest without enumerating every other path), so the
guard sits in the approval decision instead: a command whose words, or the words of its ``bash -lc``
script, name a path inside the home (directly, through ``~``/``$VAR``, a glob, ``..`` or a symlink that
exists when the command is judged) is not run without asking, and the text editor's in-process ``view``
follows the same rule.

What it cannot see: a path built at run time (``cat $(printf '%s' ~/.loc al/...)``, ``base64 -d``, a
program that opens the file itself). Those are limits of judging a command by its words; docs/sandbox.md
lists them.
"""

from __future__ import annotations

import functools
import glob
import itertools
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

HOME_READ_REASON = "reads codex-py's own files (credentials, sessions, logs)"
RECURSIVE_READERS = frozenset(
    {"grep", "egrep", "fgrep", "rg", "ag", "ack", "find", "fd", "tar", "zip", "cp", "rsync", "scp"}
)
"""Commands that read a whole folder tree: on a folder above the home they read the home too."""
_TOKEN_SPLIT = re.compile(r"[\s;|&<>()`'\"{},]+")
_GLOB_LIMIT = 200
_TOKEN_LIMIT = 4000


def codex_home_dirs() -> tuple[str, ...]:
    """The folders of codex-py's home (config, data, state — one folder with ``CODEX_PY_HOME``), both as
    written and with symlinks resolved, each ending in ``/``."""
    return _home_dirs(tuple(os.environ.get(name, "") for name in _HOME_VARS))


_HOME_VARS = ("CODEX_PY_HOME", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


@functools.lru_cache(maxsize=8)
def _home_dirs(env_key: tuple[str, ...]) -> tuple[str, ...]:
    """Cached per value of the variables that place the home (judging a command must stay cheap)."""
    from codex_py.config import ConfigError, resolve_paths

    try:
        paths = resolve_paths()
    except ConfigError:
        return ()
    found: set[str] = set()
    for folder in (paths.config_dir, paths.data_dir, paths.state_dir):
        for form in (os.path.abspath(folder), os.path.realpath(folder)):
            found.add(form.rstrip("/") + "/")
    return tuple(sorted(found))


def _inside(path: str, homes: Sequence[str]) -> bool:
    path = path.rstrip("/") + "/"
    return any(path.startswith(home) for home in homes)


def _above(path: str, homes: Sequence[str]) -> bool:
    """``path`` is a folder that contains a home folder (``~``, ``~/.local``, ``/``)."""
    path = path.rstrip("/") + "/"
    return any(home.startswith(path) and home != path for home in homes)


def _forms(path: str | os.PathLike[str], cwd: Path) -> tuple[str, str]:
    full = os.path.join(cwd, os.fspath(path))
    return os.path.abspath(full), os.path.realpath(full)


def in_codex_home(path: str | os.PathLike[str], cwd: Path, homes: Sequence[str] | None = None) -> bool:
    """True when ``path`` (relative to ``cwd``; ``~`` expanded) is inside the home, following ``..`` and symlinks."""
    homes = codex_home_dirs() if homes is None else homes
    return any(_inside(form, homes) for form in _forms(os.path.expanduser(os.fspath(path)), cwd))


def _words(argv: Sequence[str]) -> Iterable[str]:
    """The words of ``argv``, plus the tokens of any shell script in it (``bash -lc SCRIPT``, ``sh -c ...``):
    split on whitespace, quotes and operators, and at ``=`` (``--file=PATH``, ``VAR=PATH``)."""
    count = 0
    for word in argv:
        pieces = [word]
        if any(ch in word for ch in " \t\n;|&<>()`'\"{},"):  # a script (or a word that could hide one)
            pieces = [t for t in _TOKEN_SPLIT.split(word) if t]
        for piece in pieces:
            for part in {piece, *piece.split("=")[1:]}:
                count += 1
                if count > _TOKEN_LIMIT:
                    return
                yield part


def reads_codex_home(argv: Sequence[str], workdir: Path, homes: Sequence[str] | None = None) -> bool:
    """True when a command run in ``workdir`` names a path inside codex-py's home, or runs a recursive reader
    (``grep``, ``rg``, ``find``, ``tar`` ...) on a folder that contains it (see module docstring)."""
    homes = codex_home_dirs() if homes is None else homes
    if not homes or not argv:
        return False
    if in_codex_home(workdir, workdir, homes):
        return True  # every relative path is in the home
    bare = tuple(h.rstrip("/") for h in homes)
    recursive = above = False
    for word in _words(argv):
        expanded = os.path.expanduser(os.path.expandvars(word))
        if any(home + "/" in expanded or expanded.endswith(home) for home in bare):
            return True  # also `-f/home/...`, `x=/home/...`: the home's path is in the word
        recursive = recursive or expanded.rpartition("/")[2] in RECURSIVE_READERS
        candidates: Iterable[str] = ()
        if glob.has_magic(expanded):
            candidates = itertools.islice(glob.iglob(os.path.join(workdir, expanded)), _GLOB_LIMIT)
        elif "/" in expanded or expanded in (".", "..") or os.path.islink(os.path.join(workdir, expanded)):
            candidates = (expanded,)
        for candidate in candidates:
            forms = _forms(candidate, workdir)
            if any(_inside(form, homes) for form in forms):
                return True
            above = above or any(_above(form, homes) for form in forms)
    return recursive and (above or _above(str(workdir), homes))
