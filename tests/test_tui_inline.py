"""Inline mode (``--no-alt-screen``, issue 12 item 2) in a real terminal (tmux): each finished cell reaches the
terminal's own scrollback while the app runs, and resizing leaves no stale copies of the app there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fake_provider import FakeProvider, Reply
from tests.support.terminal import CODEX_PY, Tmux, fake_provider_args, have_tmux

pytestmark = pytest.mark.skipif(not have_tmux(), reason="tmux is not installed (apt-get install tmux)")

STATUS = "context left"
"""A piece of the status bar: appears once per copy of the app."""


def answer(n: int) -> str:
    return f"ANSWER{n} " + " ".join(f"w{i}" for i in range(40)) + f" END{n}"


def start(fake: FakeProvider, tmp_path: Path, width: int = 100, height: int = 30, live: bool = True) -> Tmux:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    args = fake_provider_args(fake.base_url, workspace)
    if not live:
        args += ["-c", "tui.inline_live_scrollback=false"]
    return Tmux(
        tmp_path,
        ["sh", "-c", 'echo BEFORE-THE-APP; "$0" "$@"', CODEX_PY, *args, "--no-alt-screen"],
        width=width,
        height=height,
    )


def ask(term: Tmux, n: int) -> None:
    term.send(f"question {n}")
    term.key("Enter")
    term.wait_for(lambda s: f"END{n}" in s and "Working" not in s, f"answer {n}")


def test_without_live_scrollback_the_conversation_reaches_the_scrollback_whole_at_exit(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    fake_provider.script(*(Reply(text=answer(n)) for n in range(4)))
    term = start(fake_provider, tmp_path, height=24, live=False)
    try:
        term.wait_for(lambda s: STATUS in s, "the app drawn")
        for n in range(4):
            ask(term, n)
        assert not any(line.startswith("ANSWER") for line in term.everything().splitlines())  # all in the app
        term.key("C-d")
        term.wait_for(lambda s: "[exit 0]" in s, "the app quit")
        after = term.everything()
        for n in range(4):
            assert after.count(f"question {n}") == 1 and after.count(f"END{n}") == 1, after
        assert after.count(STATUS) == 0 and "codex-py resume" in after
    finally:
        term.close()


def test_finished_cells_reach_the_scrollback_while_the_app_runs(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(*(Reply(text=answer(n)) for n in range(4)))
    term = start(fake_provider, tmp_path, height=24)
    try:
        term.wait_for(lambda s: STATUS in s, "the app drawn")
        for n in range(4):
            ask(term, n)
        # printed above the app: at the terminal's first column (the app's transcript indents its cells)
        printed = "the last answer printed above the app"
        term.wait_for(lambda s: any(line.startswith("ANSWER3") for line in s.splitlines()), printed)
        everything = term.everything()
        # the whole conversation, once, in order, above the one copy of the app (the screen is 24 rows:
        # the first answers have scrolled into the terminal's own scrollback, not into a transcript widget)
        assert everything.count(STATUS) == 1, everything
        assert all(f"question {n}" in everything for n in range(4)), everything
        positions = [everything.index(f"question {n}") for n in range(4)] + [everything.index(STATUS)]
        assert positions == sorted(positions), everything
        for n in range(4):
            assert everything.count(f"ANSWER{n} ") == 1 and everything.count(f"END{n}") == 1, everything
        assert everything.index("BEFORE-THE-APP") < everything.index(">_ codex-py")  # the header went first
        assert "question 0" not in term.screen()  # scrolled off the screen: only the scrollback has it

        term.key("C-d")
        term.wait_for(lambda s: "[exit 0]" in s, "the app quit")
        after = term.everything()
        for n in range(4):  # printed while running, not again at exit
            assert after.count(f"END{n}") == 1, after
        assert after.count(STATUS) == 0 and "codex-py resume" in after
    finally:
        term.close()


def test_resizing_leaves_no_copies_of_the_app(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(*(Reply(text=answer(n)) for n in range(2)))
    term = start(fake_provider, tmp_path)
    try:
        term.wait_for(lambda s: STATUS in s, "the app drawn")
        ask(term, 0)
        for width, height in ((80, 30), (120, 30), (100, 20), (100, 34)):
            term.resize(width, height)
            term.wait_for(lambda s: STATUS in s and s.count(STATUS) == 1, f"redrawn at {width}x{height}")
        ask(term, 1)
        everything = term.everything()
        assert everything.count(STATUS) == 1, everything  # one app: no stale copy in the scrollback
        assert everything.count("Ask codex-py anything") <= 1, everything
        for n in range(2):
            assert everything.count(f"END{n}") == 1, everything
    finally:
        term.close()
