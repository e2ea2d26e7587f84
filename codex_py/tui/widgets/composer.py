"""The multi-line input: Enter sends, Shift+Enter / Ctrl+J newline, Up/Down history, Ctrl+R history search,
completion."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from codex_py.tui.files import fuzzy_match
from codex_py.tui.frames import draw_soon
from codex_py.tui.history import HistoryCursor
from codex_py.tui.input_path import key_arrived
from codex_py.tui.widgets.completion import Candidate, CompletionList

NEWLINE_KEYS = ("shift+enter", "ctrl+j")
_AT_TOKEN = re.compile(r"(?:^|\s)@(\S*)$")
_SKILL_TOKEN = re.compile(r"(?:^|\s)\$([A-Za-z0-9_:-]*)$")
"""``$name`` being typed at the cursor (a skill: the session injects it when the message is sent)."""
_TOKENS = {"@": _AT_TOKEN, "$": _SKILL_TOKEN}
PLACEHOLDER = "Ask codex-py anything  (/ commands · @ files · ! shell · ctrl+r history)"
SEARCH_TITLE = "history search · enter takes · esc cancels"
SHELL_TITLE = "! shell command · runs sandboxed, no model call"
SEARCH_LABEL_WIDTH = 72


def image_path(text: str, cwd: Path) -> str | None:
    """``text`` as the path of an existing image file (quotes, ``file://`` and ``~`` handled), else None."""
    from codex_py.providers.images import looks_like_image_path

    candidate = text.strip().strip("'\"")
    if candidate.startswith("file://"):
        candidate = candidate[7:]
    if not candidate or "\n" in candidate or not looks_like_image_path(candidate):
        return None
    path = Path(candidate).expanduser()
    path = path if path.is_absolute() else cwd / path
    try:
        return str(path) if path.is_file() else None
    except OSError:
        return None


class Composer(TextArea):
    """Where the user writes. Posts :class:`Composer.Submitted` on Enter."""

    DEFAULT_CSS = """
    Composer {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: round $primary 60%;
        padding: 0 1;
        background: transparent;
    }
    Composer:focus { border: round $primary; }
    Composer.-searching { border: round $accent; }
    Composer.-shell { border: round $warning; }
    Composer.-shell > .text-area--cursor-line { color: $warning; }
    """

    @dataclass
    class Submitted(Message):
        """The user pressed Enter with this text."""

        text: str

    @dataclass
    class ImagePath(Message):
        """A path to an existing image file was pasted (or typed and sent): attach it."""

        path: str

    class ClipboardImage(Message):
        """Ctrl+V: attach the clipboard's image."""

    class RemoveAttachment(Message):
        """Backspace in an empty composer: drop the last attached image."""

    def __init__(
        self,
        popup: CompletionList,
        *,
        history: HistoryCursor,
        commands: Callable[[], list[Candidate]],
        files: Callable[[], list[str]],
        skills: Callable[[], list[Candidate]] = list,
        id: str | None = None,
    ) -> None:
        super().__init__("", id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.popup = popup
        self.sent = history
        self._commands = commands
        self._files = files
        self._skills = skills
        self.placeholder = PLACEHOLDER
        self.searching = False
        """True while Ctrl+R history search is open: the text is the query."""
        self._search_draft = ""

    # --- keys ----------------------------------------------------------------------------
    async def _on_key(self, event: events.Key) -> None:
        key_arrived(self.app)  # output may render again (tui/input_path.py)
        draw_soon(self)  # the echo gets a frame of its own, even while an answer streams
        key = event.key
        if key == "ctrl+r" or (self.searching and key in ("up", "down", "tab", "enter", "escape", *NEWLINE_KEYS)):
            self._stop(event)
            self._search_key(key)
            return
        if self.popup.is_open and key in ("up", "down", "tab", "enter", "escape"):
            self._stop(event)
            if key == "up":
                self.popup.move(-1)
            elif key == "down":
                self.popup.move(1)
            elif key == "escape":
                self.popup.close()
            else:
                self._accept(submit=key == "enter")
            return
        if key == "enter":
            self._stop(event)
            self.submit()
            return
        if key == "ctrl+v":  # the terminal pastes text itself (bracketed paste); Ctrl+V is for an image
            self._stop(event)
            self.post_message(self.ClipboardImage())
            return
        if key == "backspace" and not self.text:
            self._stop(event)
            self.post_message(self.RemoveAttachment())
            return
        if key == "ctrl+d" and not self.text:  # TextArea binds ctrl+d to delete-right: empty, it means quit
            self._stop(event)
            await self.run_action("app.ctrl_d")
            return
        if key in NEWLINE_KEYS:
            self._stop(event)
            self.insert("\n")
            return
        if key == "up" and self.cursor_location[0] == 0 and (not self.text or self.sent.browsing):
            self._stop(event)
            previous = self.sent.previous(self.text)
            if previous is not None:
                self._show_text(previous)
            return
        if key == "down" and self.sent.browsing and self.cursor_location[0] == self.document.line_count - 1:
            self._stop(event)
            following = self.sent.next()
            if following is not None:
                self._show_text(following)
            return
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        """A pasted path to an existing image file attaches the image instead of inserting the text (any other
        paste goes on to TextArea's own handler: Textual calls each class's handler in turn)."""
        key_arrived(self.app)
        draw_soon(self)
        path = image_path(event.text, self._cwd())
        if path is not None:
            event.stop()
            event.prevent_default()
            self.post_message(self.ImagePath(path))

    def _cwd(self) -> Path:
        config = getattr(self.app, "config", None)
        return Path(getattr(config, "cwd", None) or Path.cwd())

    @staticmethod
    def _stop(event: events.Key) -> None:
        event.stop()
        event.prevent_default()

    def _show_text(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    def submit(self) -> None:
        """Send the text (if any) and clear the composer."""
        text = self.text
        if not text.strip():
            return
        self.sent.add(text)
        self.clear()
        self.popup.close()
        if not text.startswith(("/", "!")):  # a typed path to an image attaches it too (the text stays)
            cwd = self._cwd()
            for word in text.split():
                if (path := image_path(word, cwd)) is not None:
                    self.post_message(self.ImagePath(path))
        self.post_message(self.Submitted(text))

    # --- completion ----------------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Refresh the popup for the token being typed; mark shell mode (``!cmd``)."""
        shell = not self.searching and self.text.startswith("!")
        if shell != self.has_class("-shell"):
            self.set_class(shell, "-shell")
            self.border_title = SHELL_TITLE if shell else None
        self.update_completion()

    def update_completion(self) -> None:
        """Show slash commands for ``/word`` at the start, files for ``@token`` and skills for ``$name`` at the
        cursor."""
        if self.searching:
            self._show_matches()
            return
        text = self.text
        if text.startswith("/") and " " not in text and "\n" not in text:
            word = text[1:].lower()
            self.popup.show("/", [c for c in self._commands() if c.insert[1:].startswith(word)])
            return
        row, col = self.cursor_location
        before = self.document.get_line(row)[:col]
        match = _AT_TOKEN.search(before)
        if match is not None:
            found = fuzzy_match(match.group(1), self._files(), limit=10)
            self.popup.show("@", [Candidate("@" + p, p) for p in found])
            return
        match = _SKILL_TOKEN.search(before)
        if match is not None:
            word = match.group(1).lower()
            skills = self._skills()
            shown = [c for c in skills if c.insert[1:].lower().startswith(word)]
            shown += [c for c in skills if c not in shown and word in c.insert[1:].lower()]
            if shown:
                self.popup.show("$", shown[:10])
                return
        self.popup.close()

    def _accept(self, *, submit: bool) -> None:
        choice = self.popup.selected()
        kind = self.popup.kind
        self.popup.close()
        if choice is None:
            return
        if kind == "/":
            self._show_text(choice.insert + " ")
            if submit:
                self.submit()
            return
        row, col = self.cursor_location
        before = self.document.get_line(row)[:col]
        token = _TOKENS.get(kind)
        match = token.search(before) if token is not None else None
        if match is None:
            return
        start = (row, col - len(match.group(1)) - 1)
        self.replace(choice.insert + " ", start, (row, col))
        self.popup.close()

    # --- Ctrl+R history search -----------------------------------------------------------
    def _search_key(self, key: str) -> None:
        if key == "ctrl+r" and not self.searching:
            self.start_search()
        elif key in ("ctrl+r", "down"):
            self.popup.move(1)  # older
        elif key == "up":
            self.popup.move(-1)
        elif key == "escape":
            self.cancel_search()
        elif key in ("enter", "tab"):
            self.take_search()

    def start_search(self) -> None:
        """Ctrl+R: the text becomes the query; matching past messages show in the popup, newest first."""
        self.searching = True
        self._search_draft = self.text
        self.sent.reset()
        self.add_class("-searching")
        self.border_title = SEARCH_TITLE
        self.placeholder = "type to search your past messages"
        self.load_text("")
        self._show_matches()

    def _show_matches(self) -> None:
        query = self.text
        found = self.sent.search(query)
        self.popup.show("history", [Candidate(text, _one_line(text)) for text in found])
        self.border_title = SEARCH_TITLE if found or not query else f"history search · no match for {query!r}"

    def take_search(self) -> None:
        """Enter: put the highlighted message in the composer (to edit or send); nothing to take keeps searching."""
        choice = self.popup.selected()
        if choice is None:
            return
        self._end_search()
        self._show_text(choice.insert)

    def cancel_search(self) -> None:
        """Esc: close the search and give back what was typed before."""
        draft = self._search_draft
        self._end_search()
        self._show_text(draft)

    def _end_search(self) -> None:
        self.searching = False
        self._search_draft = ""
        self.remove_class("-searching")
        self.border_title = None
        self.placeholder = PLACEHOLDER
        self.popup.close()


def _one_line(text: str) -> str:
    """A message as one popup line: newlines shown as ``⏎``, cut to the popup's width."""
    flat = text.strip().replace("\n", " ⏎ ")
    return flat if len(flat) <= SEARCH_LABEL_WIDTH else flat[: SEARCH_LABEL_WIDTH - 1] + "…"
