"""Find a run of lines in a file the way Codex does: strict first, then ever more forgiving.

Passes, in order, each over the whole search range before the next is tried:

1. exact;
2. ignoring trailing whitespace;
3. ignoring leading and trailing whitespace;
4. ignoring surrounding whitespace, with Unicode dashes, curly quotes and odd spaces read as ASCII.

Each transformed copy of the file is built only when an earlier pass failed, and kept for the
next chunk of the same file.
"""

from __future__ import annotations

from collections.abc import Callable

_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u2018\u2019\u201a\u201b", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f", '"'),
        **dict.fromkeys("\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "),
    }
)


def normalize(line: str) -> str:
    """Line as compared by the last pass: stripped, Unicode punctuation and spaces mapped to ASCII."""
    return line.strip().translate(_PUNCTUATION)


def _rstrip(line: str) -> str:
    return line.rstrip()


def _strip(line: str) -> str:
    return line.strip()


_PASSES: tuple[Callable[[str], str] | None, ...] = (None, _rstrip, _strip, normalize)


class LineMatcher:
    """Searches one file's lines; remembers the transformed copies between searches.

    Each copy is also indexed: every distinct line gets a number, written as one character, so a
    run of lines is found with ``str.find`` on those characters (linear in the file plus the run,
    where comparing line lists at every candidate was O(lines x run): seconds for 40k x 2k lines).
    """

    __slots__ = ("_indexes", "_variants", "lines")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._variants: dict[int, list[str]] = {0: lines}
        self._indexes: dict[int, _Index] = {}

    def _variant(self, index: int) -> list[str]:
        variant = self._variants.get(index)
        if variant is None:
            transform = _PASSES[index]
            assert transform is not None
            variant = self._variants[index] = [transform(line) for line in self.lines]
        return variant

    def _index(self, index: int) -> _Index:
        found = self._indexes.get(index)
        if found is None:
            found = self._indexes[index] = _Index(self._variant(index))
        return found

    def seek(self, pattern: list[str], start: int, *, eof: bool = False) -> int | None:
        """Index of the first match of ``pattern`` at or after ``start``, or ``None``.

        An empty pattern matches at ``start``. With ``eof`` the match must end the file.
        """
        if not pattern:
            return start
        size = len(pattern)
        last = len(self.lines) - size
        if last < 0:
            return None
        first = last if eof else start
        if first > last:
            return None
        for index, transform in enumerate(_PASSES):
            wanted = pattern if transform is None else [transform(p) for p in pattern]
            if eof:
                if self._variant(index)[last:] == wanted:
                    return last
                continue
            found = self._index(index).find(wanted, first)
            if found is not None:
                return found
        return None


_MAX_CODE = 0x10FFFF


class _Index:
    """One copy of the file's lines as numbers: ``text`` holds one character per line."""

    __slots__ = ("codes", "ids", "text")

    def __init__(self, lines: list[str]) -> None:
        ids: dict[str, int] = {}
        self.codes = [ids.setdefault(line, len(ids)) for line in lines]
        self.ids = ids
        self.text = "".join(map(chr, self.codes)) if len(ids) <= _MAX_CODE + 1 else None

    def find(self, wanted: list[str], start: int) -> int | None:
        try:
            needle = [self.ids[line] for line in wanted]
        except KeyError:
            return None  # a line the file does not have
        if self.text is not None:
            found = self.text.find("".join(map(chr, needle)), start)
            return None if found < 0 else found
        # over a million distinct lines: anchor on the pattern's rarest line, then compare at each hit
        counts: dict[int, int] = {}
        for code in self.codes:
            counts[code] = counts.get(code, 0) + 1
        offset = min(range(len(needle)), key=lambda i: counts[needle[i]])
        anchor, size, codes = needle[offset], len(needle), self.codes
        for i in range(start + offset, len(codes) - size + offset + 1):
            if codes[i] == anchor and codes[i - offset : i - offset + size] == needle:
                return i - offset
        return None
