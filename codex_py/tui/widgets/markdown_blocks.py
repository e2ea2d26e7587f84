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
    from collections.abc import Mapping

    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from rich.console import Console, ConsoleOptions
    from rich.markdown import Markdown
    from rich.segment import Segment

_parser: MarkdownIt | None = None
_splitter_parser: MarkdownIt | None = None
_templates: dict[bool, Markdown] = {}


def block_parser() -> MarkdownIt:
    """The parser Rich's Markdown uses (CommonMark plus tables and strikethrough), built once."""
    global _parser
    if _parser is None:
        from markdown_it import MarkdownIt

        _parser = MarkdownIt().enable("strikethrough").enable("table")
    return _parser


def splitter_parser() -> MarkdownIt:
    """``block_parser`` without inline parsing: where blocks start is all the splitter needs (5x faster)."""
    global _splitter_parser
    if _splitter_parser is None:
        from markdown_it import MarkdownIt

        _splitter_parser = MarkdownIt().enable("strikethrough").enable("table").disable("inline")
    return _splitter_parser


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
        for token in splitter_parser().parse(tail):
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
    from rich.segment import Segment

    segments = console.render(answer_markdown(source), options)
    return list(Segment.split_and_crop_lines(segments, options.max_width, include_new_lines=False, pad=False))


def separated(previous_kind: str) -> bool:
    """Whether a blank line goes between a block of ``previous_kind`` and the next (as Rich does)."""
    return previous_kind not in ("", "hr")


def answer_markdown(source: str) -> Markdown:
    """Rich's Markdown of ``source``, showing exactly what the model wrote.

    Rich drops raw HTML (``Vec<String>`` would read ``Vec``, an HTML block would vanish): HTML tokens
    become literal text here. Link targets are written out as ``text (url)`` unless the terminal is
    known to render OSC 8 hyperlinks (then the text stays clickable and the URL is in the link).
    """
    import copy

    hyperlinks = terminal_shows_hyperlinks()
    template = _templates.get(hyperlinks)
    if template is None:
        from rich.markdown import Markdown

        template = _templates[hyperlinks] = Markdown("", hyperlinks=hyperlinks)
    # a copy of a ready-made one: Rich's constructor builds a new parser each time (half of a block's cost)
    markdown = copy.copy(template)
    markdown.markup = source
    markdown.parsed = _literal_html(block_parser().parse(source))
    return markdown


def _literal_html(tokens: list[Token]) -> list[Token]:
    """``tokens`` with inline HTML turned into text and HTML blocks into plain paragraphs."""
    from markdown_it.token import Token

    out: list[Token] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "html_inline":
                    child.type = "text"
        if token.type != "html_block":
            out.append(token)
            continue
        children: list[Token] = []
        for i, line in enumerate(token.content.rstrip("\n").split("\n")):
            if i:
                children.append(Token("hardbreak", "br", 0))
            children.append(Token("text", "", 0, content=line))
        out.append(Token("paragraph_open", "p", 1, map=token.map, block=True))
        out.append(Token("inline", "", 0, content=token.content, children=children, block=True))
        out.append(Token("paragraph_close", "p", -1, block=True))
    return out


_hyperlinks: bool | None = None


def terminal_shows_hyperlinks(env: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal is known to render OSC 8 hyperlinks (cached for the process).

    Known: iTerm2, WezTerm, kitty, Ghostty, VS Code, Windows Terminal and VTE ≥ 0.50 (GNOME
    Terminal, Tilix...). Inside tmux or screen the answer is no: tmux before 3.4 drops the links
    and the version cannot be told from the environment. ``CODEX_PY_HYPERLINKS=0/1`` decides.
    """
    global _hyperlinks
    if env is None:
        if _hyperlinks is None:
            import os

            _hyperlinks = terminal_shows_hyperlinks(os.environ)
        return _hyperlinks
    forced = env.get("CODEX_PY_HYPERLINKS")
    if forced in ("0", "1"):
        return forced == "1"
    if env.get("TMUX") or env.get("STY") or env.get("TERM", "").startswith(("screen", "tmux")):
        return False
    program = env.get("TERM_PROGRAM", "")
    if program in ("iTerm.app", "WezTerm", "vscode", "ghostty") or env.get("WT_SESSION"):
        return True
    if env.get("TERM") in ("xterm-kitty", "xterm-ghostty") or env.get("KITTY_WINDOW_ID"):
        return True
    vte = env.get("VTE_VERSION", "")
    return vte.isdigit() and int(vte) >= 5000


WARM_UP_SAMPLE = (
    "# T\n\nSome *text* with `code` and a [link](https://x.org).\n\n- a\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n"
)


def warm_up() -> None:
    """Import and exercise the Markdown path once (markdown-it, Rich's Markdown, Pygments' lexers: ~0.2 s)
    so that the first answer, or a burst, does not pay for it on the event loop. Run in a thread."""
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="truecolor")
    block_parser()
    console.print(answer_markdown(WARM_UP_SAMPLE))
