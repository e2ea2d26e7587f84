"""The interactive app refuses to start where it cannot draw (issue 18).

Without a terminal on stdin or stdout Textual would write screen-drawing sequences into the pipe and spin
forever; `TERM=dumb` and a tiny window would get a broken screen. Each case exits 2 at once with one line on
stderr and nothing on stdout. Real subprocesses, real pseudo-terminals.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from codex_py.tui.launch import MIN_COLUMNS, MIN_ROWS

COMMAND = [sys.executable, "-m", "codex_py"]
ARGS = [[], ["fix the bug"], ["resume", "--last"]]
IDS = ["bare", "prompt", "resume-last"]


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _drain(fd: int) -> bytes:
    """What is readable on a pty master right now (nothing blocks)."""
    out = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "TERM": "xterm-256color", **extra}


@pytest.mark.parametrize("args", ARGS, ids=IDS)
def test_piped_stdin_exits_2_at_once(args: list[str], tmp_path: Path) -> None:
    """stdin is a pipe (`echo hi | codex-py`), stdout a real 80x24 terminal."""
    master, slave = os.openpty()
    try:
        _set_size(slave, 80, 24)
        started = time.monotonic()
        proc = subprocess.run(
            [*COMMAND, *args],
            input=b"hi\n",
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=_env(),
            timeout=20,
        )
        elapsed = time.monotonic() - started
        written = _drain(master)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 2, proc.stderr
    assert elapsed < 1.0, f"took {elapsed:.2f}s"
    assert proc.stderr.decode().splitlines() == [
        'codex-py: the interactive app needs a terminal; for scripts use `codex-py exec "…"` '
        "(stdin is read as the prompt)"
    ]
    assert written == b"", "nothing is drawn on the terminal"


@pytest.mark.parametrize("args", ARGS, ids=IDS)
def test_stdout_to_a_file_exits_2_at_once(args: list[str], tmp_path: Path) -> None:
    """stdin is a real terminal, stdout a file (`codex-py > out.txt`)."""
    out_file = tmp_path / "out.txt"
    master, slave = os.openpty()
    try:
        _set_size(slave, 80, 24)
        started = time.monotonic()
        with out_file.open("wb") as stdout:
            proc = subprocess.run(
                [*COMMAND, *args],
                stdin=slave,
                stdout=stdout,
                stderr=subprocess.PIPE,
                cwd=tmp_path,
                env=_env(),
                timeout=20,
            )
        elapsed = time.monotonic() - started
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 2, proc.stderr
    assert elapsed < 1.0, f"took {elapsed:.2f}s"
    [line] = proc.stderr.decode().splitlines()
    assert "needs a terminal" in line and "codex-py exec" in line
    assert out_file.read_bytes() == b""


def _in_pty(args: list[str], *, columns: int, rows: int, env: dict[str, str], send: bytes = b"") -> tuple[int, bytes]:
    """Run codex-py on a fresh pseudo-terminal of the given size; its exit status and everything it wrote.

    ``send`` is typed once the app has drawn and again when it says "again" (Ctrl+C twice quits); a run still
    going after 20 s is killed.
    """
    pid, master = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal and stdin/stdout/stderr
        try:
            _set_size(0, columns, rows)
            os.execve(sys.executable, [*COMMAND, *args], env)
        finally:
            os._exit(127)
    output = b""
    deadline = time.monotonic() + 20
    sent = 0
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            drawn = b"\x1b[?1049h" in output and b"Welcome" in output
            if send and drawn and (sent == 0 or (sent == 1 and b"again" in output)):  # Ctrl+C twice quits
                os.write(master, send)
                sent += 1
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                output += _drain(master)
                return os.waitstatus_to_exitcode(status), output
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), output
    finally:
        os.close(master)


def test_term_dumb_gets_a_message(tmp_path: Path) -> None:
    code, output = _in_pty([], columns=80, rows=24, env={**_env(TERM="dumb"), "PWD": str(tmp_path)})
    assert code == 2, output
    text = output.decode(errors="replace")
    assert "TERM=dumb cannot draw the interactive app" in text and "codex-py exec" in text
    assert "\x1b[" not in text, "no screen drawing"


@pytest.mark.parametrize(("columns", "rows"), [(MIN_COLUMNS - 1, 24), (80, MIN_ROWS - 1)])
def test_too_small_a_terminal_gets_a_message(columns: int, rows: int) -> None:
    code, output = _in_pty(["resume", "--last"], columns=columns, rows=rows, env=_env())
    assert code == 2, output
    text = output.decode(errors="replace")
    assert f"the terminal is {columns}x{rows}" in text and f"at least {MIN_COLUMNS}x{MIN_ROWS}" in text
    assert "\x1b[" not in text


def test_a_real_terminal_still_opens_the_app(isolated_home: Path) -> None:
    """The control: at the minimum size on a real terminal the app draws (the sign-in screen, no credentials)
    and Ctrl+C quits it."""
    code, output = _in_pty([], columns=MIN_COLUMNS, rows=MIN_ROWS, env=_env(), send=b"\x03")
    text = output.decode(errors="replace")
    assert "\x1b[?1049h" in text and "Welcome" in text, text[-2000:]
    assert "needs a terminal" not in text and "at least" not in text
    assert code == 0, text[-2000:]
