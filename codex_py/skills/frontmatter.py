"""Front matter of SKILL.md and prompt files: the YAML subset those files use, without a YAML library.

Top-level ``key: value`` lines (plain, single- or double-quoted), block scalars (``key: >`` / ``key: |``
with indented lines), plain values continued on indented lines, nested maps (``metadata:`` with indented
``k: v``) kept as a dict of strings, ``#`` comments. Anything else is an error naming the line.
"""

from __future__ import annotations

import re

HEAD_LIMIT = 64 * 1024
"""Front matter is looked for in a file's first 64 KiB."""

_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*:(?:\s+(.*))?$")


class FrontMatterError(ValueError):
    """The front matter is missing or malformed (the message says how)."""


def split(text: str, *, required: bool) -> tuple[dict[str, object], str]:
    """(front matter, body) of ``text``. Without a ``---`` first line: ``({}, text)``, or an error when
    ``required``. An opening ``---`` without a closing one is an error when ``required``, else no front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        if required:
            raise FrontMatterError("missing YAML frontmatter delimited by ---")
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            return parse(lines[1:end]), "".join(lines[end + 1 :]).lstrip("\n")
    if required:
        raise FrontMatterError("the frontmatter has no closing --- line")
    return {}, text


def read_head(path: str, limit: int = HEAD_LIMIT) -> str:
    """The start of ``path`` as text (invalid UTF-8 replaced): enough to hold its front matter (4 KiB at a
    time until the closing ``---`` line is in), at most ``limit`` bytes."""
    data = b""
    with open(path, "rb") as handle:
        while len(data) < limit:
            chunk = handle.read(min(4096, limit - len(data)))
            data += chunk
            if not chunk or not data.startswith(b"---") or b"\n---" in data[3:]:
                break
    return data.decode("utf-8", errors="replace")


def _scalar(raw: str, lineno: int) -> str:
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.rfind(quote)
        if end == 0:
            raise FrontMatterError(f"line {lineno}: unterminated {quote} string")
        inner = raw[1:end]
        rest = raw[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise FrontMatterError(f"line {lineno}: text after the closing quote")
        if quote == "'":
            return inner.replace("''", "'")
        return inner.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    if " #" in raw:
        raw = raw.split(" #", 1)[0].rstrip()
    return raw


def parse(lines: list[str]) -> dict[str, object]:
    """Parse the front matter lines (between the ``---`` lines)."""
    result: dict[str, object] = {}
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        lineno = i + 2  # the opening --- is line 1
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            raise FrontMatterError(f"line {lineno}: unexpected indentation")
        match = _KEY.match(line.rstrip())
        if match is None:
            raise FrontMatterError(f"line {lineno}: expected 'key: value', found {line.strip()[:40]!r}")
        key, value = match.group(1), (match.group(2) or "").strip()
        block: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i][0] in " \t"):
            block.append(lines[i].rstrip("\r\n"))
            i += 1
        while block and not block[-1].strip():
            block.pop()
        if value[:1] in (">", "|"):
            texts = [b.strip() for b in block]
            result[key] = ("\n" if value[0] == "|" else " ").join(texts).strip()
        elif value:
            extra = " ".join(b.strip() for b in block if b.strip())
            result[key] = _scalar(value, lineno) + (" " + extra if extra else "")
        elif block and all(_KEY.match(b.strip()) or not b.strip() for b in block):
            nested: dict[str, str] = {}
            for b in block:
                if (sub := _KEY.match(b.strip())) is not None:
                    nested[sub.group(1)] = _scalar(sub.group(2) or "", lineno)
            result[key] = nested
        elif block and all(b.strip().startswith("- ") or not b.strip() for b in block):
            result[key] = " ".join(_scalar(b.strip()[2:], lineno) for b in block if b.strip())
        elif block:
            raise FrontMatterError(f"line {lineno}: cannot read the value of {key!r}")
        else:
            result[key] = ""
    return result


def one_line(value: object) -> str:
    """A front matter value as one line of text (Codex collapses values to one line)."""
    if isinstance(value, str):
        return " ".join(value.split())
    return ""
