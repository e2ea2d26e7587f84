"""Text from a model or a command, made safe to print on a terminal.

A model (or a command it runs) can print escape sequences that drive the user's terminal: OSC 52
writes the clipboard, OSC 0 sets the window title, ``ESC [2J`` clears the screen, cursor moves
overwrite what was shown. :func:`strip_controls` removes whole escape sequences (CSI, OSC, DCS and
friends, 7-bit and 8-bit) and every other C0/C1 control except newline and tab; CRLF becomes LF.
Printable text, Unicode included, is untouched. Text without a control character costs one
``str.isprintable`` scan (C speed) and no copy, so it is cheap enough for every streamed delta.

A sequence split across two deltas loses its ESC in the first; the rest shows as plain text (harmless).
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI (colours, cursor moves, clear screen)
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC/DCS/SOS/PM/APC to BEL/ST
    r"|\x1b[ -/]*[0-~]?"  # other escapes (ESC 7, ESC c, charset selection)
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # any other C0/C1 control but \t and \n (and DEL)
)


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences or control characters other than ``\\n`` and ``\\t``."""
    if text.isprintable():
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return _CONTROLS.sub("", text)
