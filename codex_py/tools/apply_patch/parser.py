"""Parse the Codex patch format into hunks (no file system access).

The parser is lenient the way Codex's is: the text is stripped, the ``*** Begin Patch`` /
``*** End Patch`` marker lines and hunk headers are compared after trimming, and a patch
wrapped in a ``<<'EOF'`` … ``EOF`` heredoc is unwrapped. Errors read like Codex's CLI:
``Invalid patch: …`` or ``Invalid patch hunk on line N: …`` (N counts from 1 at ``*** Begin Patch``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
END_OF_FILE = "*** End of File"
HEREDOC_OPENERS = ("<<EOF", "<<'EOF'", '<<"EOF"')
VALID_HEADERS = "'*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'"


class PatchError(Exception):
    """A patch that cannot be parsed or applied; ``str(e)`` is the message for the model or user."""


@dataclass(slots=True)
class Chunk:
    """One ``@@`` section of an Update: replace ``old_lines`` with ``new_lines``."""

    contexts: list[str] = field(default_factory=list)
    """Texts after ``@@ ``: lines to seek to, in turn, before looking for ``old_lines``."""
    old_lines: list[str] = field(default_factory=list)
    new_lines: list[str] = field(default_factory=list)
    end_of_file: bool = False
    """``*** End of File`` followed the chunk: ``old_lines`` must end the file."""
    line: int = 0
    """Patch line (1-based) where the chunk starts, for error messages."""


@dataclass(slots=True)
class AddFile:
    path: str
    contents: str
    line: int = 0


@dataclass(slots=True)
class DeleteFile:
    path: str
    line: int = 0


@dataclass(slots=True)
class UpdateFile:
    path: str
    move_to: str | None
    chunks: list[Chunk]
    line: int = 0


Hunk = AddFile | DeleteFile | UpdateFile


@dataclass(slots=True)
class Patch:
    """A parsed patch: hunks in the order written."""

    hunks: list[Hunk]


def _hunk_error(line: int, message: str) -> PatchError:
    return PatchError(f"Invalid patch hunk on line {line}: {message}")


def _boundaries(lines: list[str]) -> list[str] | None:
    """The lines between the markers, or ``None`` when the markers are wrong."""
    if len(lines) >= 2 and lines[0].strip() == BEGIN and lines[-1].strip() == END:
        return lines[1:-1]
    return None


def parse_patch(text: str) -> Patch:
    """Parse ``text`` into a :class:`Patch`; raise :class:`PatchError` with Codex's wording."""
    stripped = text.strip()
    # Split on "\n" only (like Rust's ``lines``): str.splitlines would also split on \f, \u2028, ...
    lines = [line.removesuffix("\r") for line in stripped.split("\n")] if stripped else []
    body = _boundaries(lines)
    if body is None and len(lines) >= 4 and lines[0] in HEREDOC_OPENERS and lines[-1].endswith("EOF"):
        lines = lines[1:-1]
        body = _boundaries(lines)
    if body is None:
        if not lines or lines[0].strip() != BEGIN:
            raise PatchError("Invalid patch: The first line of the patch must be '*** Begin Patch'")
        raise PatchError("Invalid patch: The last line of the patch must be '*** End Patch'")
    hunks: list[Hunk] = []
    index = 0
    while index < len(body):
        hunk, used = _parse_hunk(body, index)
        hunks.append(hunk)
        index += used
    return Patch(hunks)


def _parse_hunk(body: list[str], start: int) -> tuple[Hunk, int]:
    """Parse the hunk whose header is ``body[start]``; return it and the number of lines used."""
    line_no = start + 2  # body[0] is patch line 2
    header = body[start].strip()
    if header.startswith(ADD):
        parts: list[str] = []
        index = start + 1
        while index < len(body) and body[index].startswith("+"):
            parts.append(body[index][1:])
            parts.append("\n")
            index += 1
        return AddFile(header[len(ADD) :], "".join(parts), line_no), index - start
    if header.startswith(DELETE):
        return DeleteFile(header[len(DELETE) :], line_no), 1
    if header.startswith(UPDATE):
        return _parse_update(body, start, header[len(UPDATE) :])
    raise _hunk_error(line_no, f"'{header}' is not a valid hunk header. Valid hunk headers: {VALID_HEADERS}")


def _parse_update(body: list[str], start: int, path: str) -> tuple[UpdateFile, int]:
    index = start + 1
    move_to: str | None = None
    if index < len(body) and body[index].startswith(MOVE):
        move_to = body[index][len(MOVE) :]
        index += 1
    chunks: list[Chunk] = []
    while index < len(body):
        line = body[index]
        if not line.strip():
            index += 1  # blank lines between chunks
            continue
        if line.startswith("*"):
            break
        chunk, used = _parse_chunk(body, index, first=not chunks)
        chunks.append(chunk)
        index += used
    if not chunks:
        raise _hunk_error(start + 2, f"Update file hunk for path '{path}' is empty")
    return UpdateFile(path, move_to, chunks, start + 2), index - start


def _parse_chunk(body: list[str], start: int, *, first: bool) -> tuple[Chunk, int]:
    line_no = start + 2
    chunk, index = Chunk(line=line_no), start
    while index < len(body) and (body[index] == "@@" or body[index].startswith("@@ ")):
        if body[index] != "@@":  # several headers narrow down step by step (class, then method)
            chunk.contexts.append(body[index][3:])
        index += 1
    if index == start and not first:
        raise _hunk_error(line_no, f"Expected update hunk to start with a @@ context marker, got: '{body[start]}'")
    if index >= len(body):
        raise _hunk_error(index + 2, "Update hunk does not contain any lines")
    taken = 0
    while index < len(body):
        line = body[index]
        if line == END_OF_FILE:
            if taken == 0:
                raise _hunk_error(index + 2, "Update hunk does not contain any lines")
            chunk.end_of_file = True
            index += 1
            break
        marker = line[:1]
        if marker == "":
            chunk.old_lines.append("")
            chunk.new_lines.append("")
        elif marker == " ":
            chunk.old_lines.append(line[1:])
            chunk.new_lines.append(line[1:])
        elif marker == "-":
            chunk.old_lines.append(line[1:])
        elif marker == "+":
            chunk.new_lines.append(line[1:])
        elif taken == 0:
            raise _hunk_error(
                index + 2,
                f"Unexpected line found in update hunk: '{line}'. Every line should start with ' ' (context line), "
                "'+' (added line), or '-' (removed line)",
            )
        else:
            break  # the start of the next chunk or hunk
        taken += 1
        index += 1
    return chunk, index - start
