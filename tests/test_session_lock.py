"""One session, one running process (issue 11 item 18).

Two ``exec resume`` of one session used to append to its rollout at the same time: their records
interleaved, and on the Messages wire the next resume sent a ``tool_use`` whose ``tool_result`` had gone
to the other run. A run now locks its rollout (``flock`` on the file; the kernel drops it when the process
dies), and a second run of that session (exec or the interactive app) exits 2 at once with one line.
Real subprocesses against the loopback model; real pseudo-terminals for the app.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from codex_py.config import resolve_paths
from codex_py.session.listing import format_session, list_sessions
from codex_py.session.rollout import RolloutRecorder, list_rollouts, load_rollout
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_exec_e2e import _spawn, workdir
from tests.test_exec_e2e import run as _exec

__all__ = ["workdir"]  # the fixture: a fresh git repository to run in

QUIET = ["-s", "danger-full-access", "-a", "never"]
BUSY = "is in use by another codex-py process"


@pytest.fixture
def fake(fake_provider: FakeProvider, isolated_home: Path) -> FakeProvider:
    """The fake model on the Anthropic Messages wire (where a lost tool_result is a hard 400)."""
    (isolated_home / "config.toml").write_text(
        'model = "claude-sonnet-4-5"\n'
        'model_provider = "fake"\n'
        "[model_providers.fake]\n"
        'name = "Fake"\n'
        f'base_url = "{fake_provider.base_url}"\n'
        'wire_api = "messages"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
    )
    return fake_provider


def _shell(text: str, call_id: str) -> Call:
    return Call("shell", json.dumps({"command": ["echo", text]}), call_id=call_id)


def _first_session(fake: FakeProvider, workdir: Path) -> tuple[str, Path]:
    fake.script(Reply(tool_calls=[_shell("one", "toolu_A")]), Reply(text="first done"))
    out = _exec(*QUIET, "first task", cwd=workdir)
    assert out.returncode == 0, out.stderr
    [(_, path)] = list_rollouts(resolve_paths())
    return load_rollout(path).meta.id, path


def _raw_records(path: Path) -> list[dict[str, Any]]:
    """The rollout's response items as written (no repair on load: what a resume would read)."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [r["payload"] for r in records if r["type"] == "response_item"]


def _assert_every_call_answered(path: Path) -> None:
    items = _raw_records(path)
    calls = [i["call_id"] for i in items if i["type"] == "tool_call"]
    results = [i["call_id"] for i in items if i["type"] == "tool_result"]
    assert calls and sorted(calls) == sorted(results), items
    for call_id in calls:  # each result follows its own call
        order = [n for n, i in enumerate(items) if i.get("call_id") == call_id]
        assert items[order[0]]["type"] == "tool_call" and items[order[1]]["type"] == "tool_result"


def _assert_tool_uses_answered(request_json: dict[str, Any]) -> None:
    """On the Messages wire every tool_use must be answered by a tool_result in the next user message."""
    messages = request_json["messages"]
    for n, message in enumerate(messages):
        content = message["content"] if isinstance(message["content"], list) else []
        uses = [b["id"] for b in content if b.get("type") == "tool_use"]
        if uses:
            answer = messages[n + 1]["content"]
            assert sorted(b["tool_use_id"] for b in answer if b.get("type") == "tool_result") == sorted(uses)


def test_second_exec_resume_of_a_running_session_exits_2_at_once(fake: FakeProvider, workdir: Path) -> None:
    session_id, path = _first_session(fake, workdir)

    # the first resume runs a command, then its next model request stalls: it holds the session
    fake.script(Reply(tool_calls=[_shell("two", "toolu_B")]), Reply(text="never finished", stall_after=1))
    first = _spawn("resume", session_id, *QUIET, "second task", cwd=workdir)
    try:
        fake.wait_for_requests(4, timeout=30)
        requests_before = len(fake.requests)

        started = time.monotonic()
        second = _exec("resume", session_id, "--json", *QUIET, "meanwhile", cwd=workdir)
        elapsed = time.monotonic() - started
        assert second.returncode == 2, second.stderr
        error, hint = second.stderr.splitlines()
        assert error.startswith(f"error: session {session_id} {BUSY} (pid {first.pid})"), error
        assert hint == "hint: wait for it to finish, then resume it again"
        assert second.stdout == "", "nothing is started: no thread.started"
        assert len(fake.requests) == requests_before, "the refused run never reached the model"
        assert elapsed < 2, f"refused after {elapsed:.2f}s: it must not wait for the lock"

        # `--last` finds the same session and is refused the same way; `sessions` shows it running
        last = _exec("resume", "--last", *QUIET, "meanwhile", cwd=workdir)
        assert last.returncode == 2 and BUSY in last.stderr
        [summary] = list_sessions(resolve_paths())
        assert summary.running == first.pid and "(running)" in format_session(summary, 0)
    finally:
        first.send_signal(signal.SIGKILL)  # a crash: the kernel drops the lock with the process
        first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert "meanwhile" not in path.read_text(), "the refused runs wrote nothing"
    _assert_every_call_answered(path)

    fake.script(Reply(text="third done"))
    third = _exec("resume", session_id, *QUIET, "third task", cwd=workdir)
    assert third.returncode == 0, third.stderr
    assert "third done" in third.stdout
    request = fake.last_request.json
    _assert_tool_uses_answered(request)
    sent = json.dumps(request["messages"])
    assert sent.index("toolu_A") < sent.index("toolu_B") < sent.index("third task")
    _assert_every_call_answered(path)
    assert list_sessions(resolve_paths())[0].running is None


def test_a_session_open_in_this_process_is_refused_elsewhere_until_closed(fake: FakeProvider, workdir: Path) -> None:
    """The interactive app keeps its session's recorder open for the life of the conversation; reopening it
    in the same process (switching provider keeps the conversation) shares the lock instead of refusing."""
    session_id, path = _first_session(fake, workdir)
    held = RolloutRecorder.reopen(path)
    again = RolloutRecorder.reopen(path)  # same process: allowed
    again.close()
    try:
        refused = _exec("resume", session_id[:8], *QUIET, "elsewhere", cwd=workdir)
        assert refused.returncode == 2 and BUSY in refused.stderr, refused.stderr
    finally:
        held.close()
    fake.script(Reply(text="free again"))
    out = _exec("resume", session_id[:8], *QUIET, "elsewhere", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "free again" in out.stdout


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def test_interactive_resume_of_a_running_session_exits_2_before_drawing(fake: FakeProvider, workdir: Path) -> None:
    session_id, path = _first_session(fake, workdir)
    held = RolloutRecorder.reopen(path)  # the session is running (in this process)
    master, slave = os.openpty()
    try:
        _set_size(slave, 100, 30)
        proc = subprocess.run(
            [sys.executable, "-m", "codex_py", "resume", session_id],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env={**os.environ, "TERM": "xterm-256color"},
            timeout=30,
        )
    finally:
        os.close(master)
        os.close(slave)
        held.close()
    assert proc.returncode == 2, proc.stderr
    error, hint = proc.stderr.decode().splitlines()
    assert error.startswith(f"error: session {session_id} {BUSY} (pid {os.getpid()})")
    assert hint == "hint: wait for it to finish, then resume it again"
