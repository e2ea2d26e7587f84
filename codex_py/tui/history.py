"""The composer's message history, shared by every session (``history.jsonl`` in the state dir).

One JSON object per line, like Codex: ``{"session_id": ..., "ts": <unix seconds>, "text": ...}``.
The file is created readable by its owner only (messages may contain secrets).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

MAX_LOADED = 1000


def load_history(path: Path, limit: int = MAX_LOADED) -> list[str]:
    """The last ``limit`` messages, oldest first; unreadable lines are skipped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    texts: list[str] = []
    for line in lines[-limit:]:
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            texts.append(data["text"])
    return texts


def append_history(path: Path, text: str, session_id: str) -> None:
    """Append one message (best effort: a read-only home does not stop the app)."""
    record = json.dumps({"session_id": session_id, "ts": int(time.time()), "text": text}, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(record + "\n")
    except OSError:
        pass


class HistoryCursor:
    """Up/Down navigation over past messages; the draft being typed is kept aside."""

    def __init__(self, entries: list[str]) -> None:
        self.entries = entries
        self.index: int | None = None
        self.draft = ""

    def previous(self, current: str) -> str | None:
        """The message before the one shown (None at the oldest)."""
        if not self.entries:
            return None
        if self.index is None:
            self.draft = current
            self.index = len(self.entries)
        if self.index == 0:
            return None
        self.index -= 1
        return self.entries[self.index]

    def next(self) -> str | None:
        """The message after the one shown; the saved draft past the newest (None if not browsing)."""
        if self.index is None:
            return None
        self.index += 1
        if self.index >= len(self.entries):
            self.index = None
            return self.draft
        return self.entries[self.index]

    def add(self, text: str) -> None:
        """Remember a sent message (consecutive duplicates are kept once)."""
        if not self.entries or self.entries[-1] != text:
            self.entries.append(text)
        self.index = None
        self.draft = ""

    def search(self, query: str, limit: int = 10) -> list[str]:
        """Past messages containing ``query`` (case-insensitive), newest first, each once."""
        needle = query.casefold()
        found: list[str] = []
        seen: set[str] = set()
        for text in reversed(self.entries):
            if text not in seen and needle in text.casefold():
                seen.add(text)
                found.append(text)
                if len(found) >= limit:
                    break
        return found

    def reset(self) -> None:
        """Stop browsing (the composer shows something else now)."""
        self.index = None
        self.draft = ""

    @property
    def browsing(self) -> bool:
        """True while a past message is shown."""
        return self.index is not None
