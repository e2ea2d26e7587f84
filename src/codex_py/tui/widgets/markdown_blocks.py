"""Streaming Markdown cut into top-level blocks, each rendered once into terminal lines.

A streamed answer only ever changes at its end. Once a later top-level block (paragraph, list,
fence, table, quote, heading, rule) has started, every block before it is final, so it is rendered
once and its lines are kept; only the last, open block is parsed and rendered again per update.
Blocks are rendered with Rich's Markdown, one block at a time, and separated the way Rich separates
them in a whole document (a blank line, none after a rule), so the frozen part and the live tail
look exactly alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from rich.console import Console, ConsoleOptions
    from rich.segment import Segment

_parser: MarkdownIt | None = None


def block_parser() -> MarkdownIt:
    """The parser Rich's Markdown uses (CommonMark plus tables and strikethrough), built once."""
    global _parser
    if _parser is None:
        from markdown_it import MarkdownIt

        _parser = MarkdownIt().enable("strikethrough").enable("table")
    return _parser


@dataclass(frozen=True, slots=True)
class Block:
    """One finished top-level block: its source and its first token type (``paragraph_open``, ``hr``...)."""

    source: str
    kind: str


def _line_offsets(text: str, lines: list[int]) -> list[int]:
    """Character offsets where the given (ascending) ``\\n``-separated line numbers start."""
    offsets: list[int] = []
    line = 0
    pos = 0
    for target in lines:
        while line < target:
            nl = text.find("\n", pos)
            if nl < 0:
                pos = len(text)
                line = target
                break
            pos = nl + 1
            line += 1
        offsets.append(pos)
    return offsets


class BlockSplitter:
    """Cuts a growing Markdown text into finished blocks and one open tail.

    ``feed`` re-parses only the open tail, so its cost follows the size of the last block,
    not of the whole text.
    """

    __slots__ = ("blocks", "tail", "tail_kind")

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        """Finished blocks, oldest first."""
        self.tail = ""
        """The source of the open (last) block, which may still change."""
        self.tail_kind = ""

    def feed(self, fragment: str) -> list[Block]:
        """Append ``fragment``; return the blocks it finished (also appended to ``blocks``)."""
        tail = self.tail + fragment
        starts: list[tuple[int, str]] = []
        for token in block_parser().parse(tail):
            if token.level == 0 and token.nesting >= 0 and token.map is not None:
                starts.append((token.map[0], token.type))
        if not starts:
            self.tail = tail
            return []
        self.tail_kind = starts[-1][1]
        if len(starts) == 1:
            self.tail = tail
            return []
        offsets = _line_offsets(tail, [line for line, _ in starts])
        done = [Block(tail[offsets[i] : offsets[i + 1]], starts[i][1]) for i in range(len(starts) - 1)]
        if offsets[0]:  # blank lines before the first block belong to it
            done[0] = Block(tail[: offsets[1]], done[0].kind)
        self.blocks.extend(done)
        self.tail = tail[offsets[-1] :]
        return done


def render_block(console: Console, options: ConsoleOptions, source: str) -> list[list[Segment]]:
    """Render one Markdown block into lines (segment lists) of ``options.max_width`` cells or fewer.

    Lines, not Textual ``Strip``s: a ``Strip`` carries seven small caches, and keeping thousands of
    them alive makes every full garbage collection pause the app.
    """
    from rich.markdown import Markdown
    from rich.segment import Segment

    segments = console.render(Markdown(source), options)
    return list(Segment.split_and_crop_lines(segments, options.max_width, include_new_lines=False, pad=False))


def separated(previous_kind: str) -> bool:
    """Whether a blank line goes between a block of ``previous_kind`` and the next (as Rich does)."""
    return previous_kind not in ("", "hr")
