"""Run ``codex-py`` in a real terminal: a private tmux server (its own socket), keys sent, screen and scrollback read.

tmux is a real terminal emulator with scrollback (``capture-pane -S -``), resizable windows and the same
clear-screen behaviour as the terminals users run (``scroll-on-clear``): what a user would see is what
these helpers read. Tests using it skip when tmux is not installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CODEX_PY = str(Path(sys.executable).with_name("codex-py"))


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


def fake_provider_args(base_url: str, workspace: Path, wire: str = "responses") -> list[str]:
    """``codex-py`` options for the loopback fake provider (never asks for credentials)."""
    return [
        "--provider",
        "fake",
        "-m",
        "gpt-fake",
        "-C",
        str(workspace),
        "-a",
        "never",
        "-c",
        f'model_providers.fake.base_url="{base_url}"',
        "-c",
        f'model_providers.fake.wire_api="{wire}"',
        "-c",
        "model_providers.fake.request_max_retries=0",
    ]


class Tmux:
    """One tmux server (socket under ``folder``) running one window with ``command``; ``close()`` ends it."""

    def __init__(self, folder: Path, command: list[str], *, width: int = 100, height: int = 30) -> None:
        self.socket = str(folder / "tmux.sock")
        env = {k: os.environ[k] for k in ("CODEX_PY_HOME", "CODEX_PY_CREDENTIALS_STORE", "PATH") if k in os.environ}
        env["TERM"] = "xterm-256color"
        shell_line = " ".join([shlex.join(["env", *(f"{k}={v}" for k, v in env.items())]), shlex.join(command)])
        config = folder / "tmux.conf"
        config.write_text("set -g history-limit 10000\nset -g status off\n")
        # the window stays after the program exits, so what it left on screen can be read
        self._tmux(
            "-f",
            str(config),
            "new-session",
            "-d",
            "-x",
            str(width),
            "-y",
            str(height),
            f"{shell_line}; echo '[exit '$?']'; sleep 60",
        )

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=20)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def send(self, text: str) -> None:
        """Type ``text`` literally."""
        self._tmux("send-keys", "-l", text)

    def key(self, *names: str) -> None:
        """Press keys by tmux name (``Enter``, ``C-d``)."""
        self._tmux("send-keys", *names)

    def screen(self) -> str:
        """What the window shows now."""
        return self._tmux("capture-pane", "-p")

    def everything(self) -> str:
        """The scrollback and the screen, oldest line first (trailing blank lines dropped)."""
        return self._tmux("capture-pane", "-p", "-S", "-", "-E", "-").rstrip("\n") + "\n"

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-x", str(width), "-y", str(height))

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """Poll the screen until ``condition(screen)`` holds; returns that screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"never happened: {what}\n--- screen ---\n{screen}")

    def close(self) -> None:
        try:
            self._tmux("kill-server")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
