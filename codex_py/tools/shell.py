"""The shell executor: run argv (sandboxed per policy), stream interleaved output, enforce the timeout.

``run_command`` never raises for a command that fails, is missing or times out: all of those are a
``CommandResult``. Only cancellation (a user interrupt) propagates, after the process group is killed.
``format_for_model`` (re-exported from ``tools.truncate``) renders the result as Codex's tool output text.
"""

from __future__ import annotations

import asyncio
import codecs
import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from codex_py.sandbox.command_result import CommandResult
from codex_py.tools.truncate import format_for_model

if TYPE_CHECKING:
    from codex_py.sandbox.policy import SandboxPolicy

__all__ = ["CommandResult", "format_for_model", "run_command"]

TIMEOUT_EXIT_CODE = 124
CAPTURE_HALF = 512 * 1024
"""Characters kept at each end of the output (the middle of a bigger output is dropped)."""
_FLUSH_INTERVAL_S = 0.03
_FLUSH_BYTES = 16 * 1024
_DRAIN_AFTER_EXIT_S = 2.0
_DENIAL_HINTS = (
    "operation not permitted",
    "permission denied",
    "read-only file system",
    "seccomp",
    "sandbox",
    "landlock",
    "failed to write file",
)
_HELD_OPEN_NOTE = (
    "\n[codex-py: the command exited but background processes still held its output open; their later output "
    "is not captured. Redirect a background process's output to a file (`cmd > log 2>&1 &`) to keep it running]\n"
)


async def run_command(
    argv: list[str],
    *,
    cwd: Path,
    timeout_ms: int,
    policy: SandboxPolicy,
    on_output: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run ``argv`` directly (no shell unless argv asks for one) in a new process group under ``policy``.

    stdout and stderr share one pipe; output is decoded incrementally as UTF-8 (invalid bytes replaced)
    and passed to ``on_output`` in coalesced chunks. The command ends when its process exits: sandboxed,
    everything it started dies then (its PID namespace ends; ``sandbox.exec_helper``); otherwise background
    processes still holding the pipe get ``_DRAIN_AFTER_EXIT_S`` to finish writing, then the pipe is
    closed (they keep running). On timeout the whole group is killed and the result has exit code 124;
    on cancellation the group is killed and ``CancelledError`` re-raised. ``env`` ``None`` means this
    process's environment without secrets (``sandbox.policy.command_env``).
    """
    from codex_py.sandbox.policy import sandboxed_command

    start = time.monotonic()
    if not argv:
        return CommandResult(1, "codex-py: empty command", 0.0)
    if not cwd.is_dir():
        return CommandResult(1, f"codex-py: working directory does not exist: {cwd}", 0.0)
    spawn_argv, child_env, sandboxed = sandboxed_command(argv, policy, env)
    loop = asyncio.get_running_loop()
    capture = _Capture(on_output)
    try:
        transport, protocol = await loop.subprocess_exec(
            lambda: _Protocol(capture, loop),
            *spawn_argv,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return CommandResult(*_spawn_failure(exc, argv, spawn_argv[0], sandboxed), time.monotonic() - start)

    pid = transport.get_pid()
    capture.on_sink_error = lambda: _kill_group(pid)
    timed_out = held_open = False
    try:
        done, _ = await asyncio.wait({protocol.exited}, timeout=timeout_ms / 1000)
        if not done:
            timed_out = True
            _kill_group(pid)
            await protocol.exited
        if not protocol.drained.done():  # a background process holds the pipe open
            done, _ = await asyncio.wait({protocol.drained}, timeout=_DRAIN_AFTER_EXIT_S)
            held_open = not done
    except asyncio.CancelledError:
        _kill_group(pid)
        # let the child watcher reap it first: closing a running transport reaps it too, racing the watcher
        await asyncio.wait({protocol.exited}, timeout=_DRAIN_AFTER_EXIT_S)
        raise
    finally:
        transport.close()
        capture.finish()
    if capture.sink_error is not None:
        raise capture.sink_error  # a failing on_output callback is a bug in the caller: do not hide it

    output = capture.text()
    code = transport.get_returncode()
    code = -1 if code is None else code
    exit_code = 128 - code if code < 0 else code
    if timed_out:
        exit_code = TIMEOUT_EXIT_CODE
        output = f"command timed out after {timeout_ms} milliseconds\n{output}"
    elif held_open:
        output += _HELD_OPEN_NOTE
    denied = sandboxed and not timed_out and _looks_denied(exit_code, output)
    return CommandResult(exit_code, output, time.monotonic() - start, timed_out, denied, capture.dropped > 0)


def _spawn_failure(exc: OSError, argv: list[str], program: str, sandboxed: bool) -> tuple[int, str]:
    """Exit code and message when the process could not start at all."""
    if exc.errno == errno.E2BIG:
        return 126, (
            f"codex-py: cannot execute {argv[0]}: the command line is too long (Argument list too long); "
            "write long scripts or data to a file and pass the file instead"
        )
    if sandboxed and isinstance(exc, FileNotFoundError) and exc.filename == program:
        return 127, (
            f"codex-py: the sandbox helper's Python ({program}) is missing, so the command did not run; "
            "reinstall codex-py or run with --sandbox danger-full-access"
        )
    if isinstance(exc, FileNotFoundError):
        return 127, f"codex-py: command not found: {argv[0]}"
    if isinstance(exc, PermissionError):
        return 126, f"codex-py: permission denied: {argv[0]}"
    return 126, f"codex-py: cannot execute {argv[0]}: {exc.strerror}"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _looks_denied(exit_code: int, output: str) -> bool:
    """Codex's heuristic: a failure that is not a usage error or missing command and reads like a denial."""
    if exit_code in (0, 2, 126, 127):
        return False
    if exit_code == 128 + signal.SIGSYS:  # the seccomp filter killed it
        return True
    lower = output.lower()
    return any(hint in lower for hint in _DENIAL_HINTS)


class _Protocol(asyncio.SubprocessProtocol):
    """Feeds the pipe into a ``_Capture`` and reports process exit and pipe EOF separately."""

    def __init__(self, capture: _Capture, loop: asyncio.AbstractEventLoop) -> None:
        self._capture = capture
        self.exited: asyncio.Future[None] = loop.create_future()
        self.drained: asyncio.Future[None] = loop.create_future()

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        self._capture.feed(data)  # type: ignore[arg-type]  # bytes: the pipe is not in text mode

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if not self.drained.done():
            self.drained.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


class _Capture:
    """Decodes chunks, keeps head + tail within ``CAPTURE_HALF`` each, and coalesces ``on_output`` calls."""

    __slots__ = (
        "_decoder",
        "_flush_handle",
        "_head",
        "_head_len",
        "_last_flush",
        "_pending",
        "_pending_len",
        "_sink",
        "_tail",
        "_tail_len",
        "dropped",
        "on_sink_error",
        "sink_error",
    )

    def __init__(self, sink: Callable[[str], None] | None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._sink = sink
        self._head: list[str] = []
        self._head_len = 0
        self._tail: list[str] = []
        self._tail_len = 0
        self.dropped = 0
        self._pending: list[str] = []
        self._pending_len = 0
        self._last_flush = 0.0
        self._flush_handle: asyncio.TimerHandle | None = None
        self.sink_error: Exception | None = None
        """The first exception ``sink`` raised; no output is passed on after it."""
        self.on_sink_error: Callable[[], None] | None = None

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes read from the pipe."""
        self._add(self._decoder.decode(chunk))

    def finish(self) -> None:
        self._add(self._decoder.decode(b"", final=True))
        self._flush()

    def text(self) -> str:
        if self._tail_len > CAPTURE_HALF:
            self._keep_tail()
        if not self.dropped:
            return "".join(self._head) + "".join(self._tail)
        marker = f"\n[... {self.dropped} characters dropped from the middle of the output ...]\n"
        return "".join(self._head) + marker + "".join(self._tail)

    def _add(self, text: str) -> None:
        if not text:
            return
        self._store(text)
        if self._sink is None:
            return
        self._pending.append(text)
        self._pending_len += len(text)
        now = time.monotonic()
        if self._pending_len >= _FLUSH_BYTES or now - self._last_flush >= _FLUSH_INTERVAL_S:
            self._flush()
        elif self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_later(_FLUSH_INTERVAL_S, self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._pending and self._sink is not None:
            chunk = "".join(self._pending)
            self._pending.clear()
            self._pending_len = 0
            self._last_flush = time.monotonic()
            try:
                self._sink(chunk)
            except Exception as exc:  # re-raised by run_command once the process is gone
                self.sink_error = exc
                self._sink = None
                if self.on_sink_error is not None:
                    self.on_sink_error()

    def _store(self, text: str) -> None:
        room = CAPTURE_HALF - self._head_len
        if room > 0:
            self._head.append(text[:room])
            self._head_len += min(room, len(text))
            text = text[room:]
            if not text:
                return
        self._tail.append(text)
        self._tail_len += len(text)
        if self._tail_len > 2 * CAPTURE_HALF:  # amortised: join only after another half has arrived
            self._keep_tail()

    def _keep_tail(self) -> None:
        joined = "".join(self._tail)
        self.dropped += len(joined) - CAPTURE_HALF
        self._tail = [joined[-CAPTURE_HALF:]]
        self._tail_len = CAPTURE_HALF
