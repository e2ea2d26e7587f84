"""Keys typed while the app loads reach the composer (issue 12 item 9), in a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import termios
from pathlib import Path

import pytest

from codex_py.tui.launch import quiet_terminal, restore_terminal
from tests.support.fake_provider import FakeProvider, Reply
from tests.support.terminal import CODEX_PY, Tmux, fake_provider_args, have_tmux

needs_tmux = pytest.mark.skipif(not have_tmux(), reason="tmux is not installed (apt-get install tmux)")


@needs_tmux
def test_keys_typed_at_launch_reach_the_composer(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """Typed the moment codex-py starts (before Textual runs), the keys are not lost: they are in the composer
    with what is typed afterwards, and Enter sends them all. The terminal is as it was after the app exits."""
    fake_provider.default = Reply(text="pong")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    state = tmp_path / "stty.txt"
    command = [
        "sh",
        "-c",
        f'"$0" "$@"; stty -a > {state}',
        CODEX_PY,
        *fake_provider_args(fake_provider.base_url, workspace),
    ]
    term = Tmux(tmp_path, command)
    try:
        term.send("hello ")  # at once: the interpreter has not even started
        term.wait_for(lambda s: "context left" in s, "the app drawn")
        term.send("world")
        term.wait_for(lambda s: "hello world" in s, "both parts in the composer")
        term.key("Enter")
        fake_provider.wait_for_requests(1)
        sent = json.dumps(fake_provider.requests[0].json)
        assert "hello world" in sent, sent
        term.wait_for(lambda s: "pong" in s, "the answer")
        term.key("C-d")
        term.wait_for(lambda s: "[exit 0]" in s, "the app quit")
    finally:
        term.close()
    flags = state.read_text().split()
    assert "echo" in flags and "icanon" in flags, flags  # echo and line editing are back


def test_quiet_terminal_keeps_typed_keys_unechoed(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the app loads, typed keys are not echoed and stay readable without Enter; then all is restored."""
    master, slave = pty.openpty()
    stdin = os.fdopen(slave, "r", closefd=False)
    monkeypatch.setattr(sys, "stdin", stdin)
    try:
        before = termios.tcgetattr(slave)
        assert before[3] & termios.ECHO
        saved = quiet_terminal()
        assert saved is not None
        os.write(master, b"abc")
        assert select.select([slave], [], [], 2.0)[0], "typed keys readable without a newline"
        assert os.read(slave, 16) == b"abc"
        assert not select.select([master], [], [], 0.2)[0], "nothing echoed back to the screen"
        restore_terminal(saved)
        assert termios.tcgetattr(slave) == before
    finally:
        stdin.close()
        os.close(slave)
        os.close(master)
