"""Where ``exec`` gets its prompt: the argument, stdin, or both (stdin appended like Codex does)."""

from __future__ import annotations

import os
import select
import stat
import sys
from typing import TextIO

from codex_py.errors import UsageError

PIPE_WAIT_S = 1.0
"""With a prompt argument, a piped stdin that stays silent this long is ignored (never hang on a
pipe nobody writes to, e.g. a CI runner's inherited stdin)."""

_NO_PROMPT_HINT = "pass the prompt as an argument, or pipe it in: echo 'fix the tests' | codex-py exec -"


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _ready(stream: TextIO, timeout_s: float) -> bool:
    """True when reading ``stream`` will not block (data or end of file), waiting up to ``timeout_s``."""
    try:
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode) and not stat.S_ISSOCK(os.fstat(fd).st_mode):
            return True  # a file or /dev/null: reading never blocks for long
        readable, _, _ = select.select([fd], [], [], timeout_s)
    except (OSError, ValueError):
        return True  # no real descriptor (tests' StringIO): just read it
    return bool(readable)


def read_prompt(prompt: str | None, stdin: TextIO | None = None) -> str:
    """The prompt for one exec turn.

    ``None`` or ``"-"``: read stdin (an error when it is a terminal or empty). A prompt with a piped
    stdin: the stdin text is appended in a ``<stdin>`` block. Raises ``UsageError`` (exit 2)."""
    stdin = sys.stdin if stdin is None else stdin
    piped = stdin is not None and not stdin.closed and not _is_tty(stdin)
    if prompt is None or prompt == "-":
        if not piped:
            raise UsageError("no prompt given and stdin is a terminal", _NO_PROMPT_HINT)
        text = stdin.read()
        if not text.strip():
            raise UsageError("no prompt: stdin was empty", _NO_PROMPT_HINT)
        return text.strip("\n")
    if not prompt.strip():
        raise UsageError("the prompt is empty", _NO_PROMPT_HINT)
    if piped:
        if not _ready(stdin, PIPE_WAIT_S):
            sys.stderr.write("note: stdin is a pipe with no data; ignoring it (use '-' to read the prompt from it)\n")
            return prompt
        extra = stdin.read()
        if extra.strip():
            return f"{prompt}\n\n<stdin>\n{extra.strip(chr(10))}\n</stdin>"
    return prompt
