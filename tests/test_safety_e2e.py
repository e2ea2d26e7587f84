"""Safety through the public entry points (issue 19): each test fails when one protection is removed.

- A command the model runs through exec (each wire) or the TUI stays in the sandbox: a write outside the
  writable roots fails, with or without the user's approval (approving does not lift the sandbox).
- A ``workdir`` outside the workspace asks (TUI) and is declined (exec).
- "Approve for the session" approves that exact command (and those exact files), nothing else.
- The SSE reader gives the same events however the bytes are split, CRLF halves included.
- A server that refuses the first connections is reached by the retries.
- SIGTERM ends an exec run with 143 and a rollout that ``exec resume --last`` continues.

Real parts only: loopback fake model, real Landlock, real subprocesses and signals, Textual Pilot.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from codex_py.config import resolve_paths
from codex_py.protocol.items import ToolCall, ToolResult, UserMessage
from codex_py.providers._sse import iter_sse_data
from codex_py.sandbox.landlock import landlock_abi
from codex_py.sandbox.policy import SandboxPolicy
from codex_py.session.rollout import list_rollouts, load_rollout
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.approval import ApprovalScreen
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.patch_cell import PatchCell
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_exec_e2e import _spawn as spawn_exec
from tests.test_exec_e2e import run as run_exec
from tests.test_tui_conversation import make_app

WIRES = ["responses", "chat", "messages"]
SANDBOXED = ["-s", "workspace-write", "-a", "on-request"]
needs_landlock = pytest.mark.skipif(landlock_abi() == 0, reason="this kernel has no Landlock: nothing to confine")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The workspace (under /tmp, like every pytest tmp_path)."""
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


@pytest.fixture
def outside(workdir: Path) -> Iterator[Path]:
    """A folder outside every writable root. pytest's tmp_path lies under /tmp, which is writable under
    workspace-write, so the target lives under /var/tmp."""
    if not Path("/var/tmp").is_dir():
        pytest.skip("no /var/tmp to hold a folder outside the writable roots")
    folder = Path(tempfile.mkdtemp(prefix="codex-py-outside-", dir="/var/tmp")).resolve()
    roots = SandboxPolicy("workspace-write", workdir.resolve()).write_roots()
    try:
        if any(folder.is_relative_to(root) for root in roots):
            pytest.skip(f"{folder} is inside a writable root here ({roots})")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def shell(command: list[str], call_id: str, **extra: Any) -> Call:
    return Call("shell", json.dumps({"command": command, **extra}), call_id=call_id)


# --- exec ------------------------------------------------------------------------------------------------


def configure(home: Path, fake: FakeProvider, wire: str, *, retries: int = 0, base_url: str | None = None) -> None:
    (home / "config.toml").write_text(
        'model = "gpt-fake"\n'
        'model_provider = "fake"\n'
        "[model_providers.fake]\n"
        'name = "Fake"\n'
        f'base_url = "{base_url or fake.base_url}"\n'
        f'wire_api = "{wire}"\n'
        f"request_max_retries = {retries}\n"
        "stream_max_retries = 0\n"
    )


def commands(out: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The finished command_execution items of a --json run, in order."""
    events = [json.loads(line) for line in out.stdout.splitlines()]
    return [e["item"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == "command_execution"]


@needs_landlock
@pytest.mark.parametrize("wire", WIRES)
def test_exec_commands_cannot_write_outside_the_workspace(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, outside: Path, wire: str
) -> None:
    """Mutations caught: `if unsandboxed:` -> `if True:` (every command escapes), escalation not asked."""
    configure(isolated_home, fake_provider, wire)
    target = outside / "escaped.txt"
    fake_provider.script(
        Reply(tool_calls=[shell(["touch", "inside.txt"], "c1")]),
        Reply(tool_calls=[shell(["touch", str(target)], "c2")]),
        Reply(tool_calls=[shell(["bash", "-lc", f"echo pwned > {target}"], "c3")]),
        Reply(tool_calls=[shell(["touch", str(target)], "c4", sandbox_permissions="require_escalated")]),
        Reply(text="done"),
    )
    out = run_exec("--json", *SANDBOXED, "try to escape", cwd=workdir)
    assert out.returncode == 0, out.stderr
    inside, touch, redirect, escalated = commands(out)
    assert inside["exit_code"] == 0 and (workdir / "inside.txt").exists(), "commands really run"
    assert touch["exit_code"] != 0 and redirect["exit_code"] != 0
    assert escalated["status"] == "declined", "exec never approves an escalation"
    assert not target.exists(), f"a sandboxed command wrote {target}"
    assert len(fake_provider.requests) == 5


@pytest.mark.parametrize("wire", WIRES)
def test_exec_declines_a_workdir_outside_the_workspace(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, outside: Path, wire: str
) -> None:
    """Mutation caught: a `workdir` outside the workspace no longer asks (it would run, even read-only)."""
    configure(isolated_home, fake_provider, wire)
    (outside / "secret-listing.txt").write_text("x")
    fake_provider.script(Reply(tool_calls=[shell(["ls"], "c1", workdir=str(outside))]), Reply(text="done"))
    out = run_exec("--json", *SANDBOXED, "look elsewhere", cwd=workdir)
    assert out.returncode == 0, out.stderr
    [item] = commands(out)
    assert item["status"] == "declined" and item["exit_code"] is None
    assert "secret-listing" not in out.stdout
    told = json.dumps(fake_provider.last_request.json)
    assert "exec command rejected" in told and "secret-listing" not in told


# --- TUI -------------------------------------------------------------------------------------------------


Answer = Callable[[ApprovalScreen], str]
"""Given the open approval modal, the key to press: "y", "a", or "n" (deny with no reason)."""


async def converse(pilot: Pilot[int], app: CodexApp, prompt: str, answer: Answer) -> list[ApprovalScreen]:
    """Send ``prompt`` and answer every approval until the turn ends; the modals seen, in order."""
    for _ in range(500):
        if app.session is not None:
            break
        await pilot.pause(0.02)
    app.chat.composer.load_text(prompt)
    await pilot.press("enter")
    seen: list[ApprovalScreen] = []
    started = False  # the turn was seen running: "not busy" before that is not its end
    for _ in range(1500):
        screen = app.screen
        started = started or app.chat.busy
        if isinstance(screen, ApprovalScreen) and not screen.answered and screen not in seen:
            seen.append(screen)
            key = answer(screen)
            await pilot.press(key)
            if key == "n":
                await pilot.pause(0.05)
                await pilot.press("enter")
        elif started and not app.chat.busy and not app.chat.renderer.running:
            await pilot.pause(0.05)
            if not app.chat.busy and not isinstance(app.screen, ApprovalScreen):
                return seen
        await pilot.pause(0.02)
    raise AssertionError("the turn never ended")


def cells(app: CodexApp) -> list[CommandCell]:
    return list(app.chat.transcript.query(CommandCell))


@needs_landlock
@pytest.mark.parametrize("wire", WIRES)
async def test_tui_approved_commands_stay_in_the_sandbox(
    fake_provider: FakeProvider, tmp_path: Path, outside: Path, wire: str
) -> None:
    """Approve once, then approve for the session: the write outside still fails each time, and the
    offer to re-run without the sandbox (declined here) is the only way out.
    Mutation caught: `unsandboxed = True` after an approved `ask`."""
    target = outside / "escaped.txt"
    touch = ["touch", str(target)]
    fake_provider.script(
        Reply(tool_calls=[shell(touch, "c1")]),
        Reply(tool_calls=[shell(touch, "c2")]),
        Reply(tool_calls=[shell(touch, "c3")]),
        Reply(text="gave up"),
    )
    app = make_app(fake_provider, tmp_path, wire=wire)
    answers = iter(["y", "n", "a", "n", "n"])
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "escape please", lambda _screen: next(answers))
        reasons = [screen.request.reason for screen in seen]
        assert reasons == [
            "needs approval under the current policy",  # c1: approved once
            "failed in the sandbox; run it without the sandbox?",  # declined
            "needs approval under the current policy",  # c2: approved for the session
            "failed in the sandbox; run it without the sandbox?",  # declined
            "failed in the sandbox; run it without the sandbox?",  # c3 ran without asking, in the sandbox
        ], reasons
        assert [c.exit_code != 0 for c in cells(app)] == [True, True, True]
        assert app.session is not None and app.session.runner.policy.mode == "workspace-write"
    assert not target.exists(), f"an approved command left the sandbox and wrote {target}"


async def test_tui_workdir_outside_the_workspace_asks(
    fake_provider: FakeProvider, tmp_path: Path, outside: Path
) -> None:
    """Mutation caught: a `workdir` outside the workspace no longer asks."""
    fake_provider.script(Reply(tool_calls=[shell(["ls"], "c1", workdir=str(outside))]), Reply(text="ok"))
    app = make_app(fake_provider, tmp_path, approval="on-request")
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "look elsewhere", lambda _screen: "n")
        assert [(s.request.command, s.request.reason) for s in seen] == [(["ls"], "runs outside the workspace")]
        [cell] = cells(app)
        assert cell.status == "declined"


async def test_tui_session_approval_is_for_that_exact_command(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """`rm -rf build` approved for the session runs again without asking; `rm -rf build src .git` asks.
    Mutation caught: session approval matching only the first word (or any argv prefix)."""
    for folder in ("build", "src", ".git"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "keep.txt").write_text("x")
    fake_provider.script(
        Reply(tool_calls=[shell(["rm", "-rf", "build"], "c1")]),
        Reply(tool_calls=[shell(["rm", "-rf", "build"], "c2")]),
        Reply(tool_calls=[shell(["rm", "-rf", "build", "src", ".git"], "c3")]),
        Reply(tool_calls=[shell(["rm", "-rf"], "c4")]),
        Reply(text="done"),
    )
    app = make_app(fake_provider, tmp_path, approval="on-request")
    answers = iter(["a", "n", "n"])
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "clean up", lambda _screen: next(answers))
        assert [s.request.command for s in seen] == [
            ["rm", "-rf", "build"],
            ["rm", "-rf", "build", "src", ".git"],
            ["rm", "-rf"],
        ]
        assert [c.status for c in cells(app)] == ["completed", "completed", "declined", "declined"]
    assert not (tmp_path / "build").exists()
    assert (tmp_path / "src" / "keep.txt").exists() and (tmp_path / ".git" / "keep.txt").exists()


async def test_tui_session_approval_of_a_patch_is_for_those_files(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """A patch approved for the session approves later patches of the same file, not of another file.
    Mutation caught: session approval matching only the first word ("apply_patch")."""

    def patch(op: str, name: str, body: str) -> Reply:
        text = f"*** Begin Patch\n*** {op} File: {name}\n{body}\n*** End Patch\n"
        return Reply(tool_calls=[Call("apply_patch", json.dumps({"input": text}))])

    fake_provider.script(
        patch("Add", "a.txt", "+one"),
        patch("Update", "a.txt", "@@\n-one\n+two"),
        patch("Add", "b.txt", "+other"),
        Reply(text="done"),
    )
    app = make_app(fake_provider, tmp_path, approval="untrusted")  # every patch asks
    answers = iter(["a", "n"])
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "write", lambda _screen: next(answers))
        assert [[c.path for c in s.request.changes or []] for s in seen] == [["a.txt"], ["b.txt"]]
        assert [c.status for c in app.chat.transcript.query(PatchCell)] == ["completed", "completed", "declined"]
    assert (tmp_path / "a.txt").read_text() == "two\n" and not (tmp_path / "b.txt").exists()


# --- SSE framing -----------------------------------------------------------------------------------------

SSE_BODY = (
    b": keep-alive comment\r\n"
    b"event: response.created\r\n"
    b'data: {"type":"response.created"}\r\n'
    b"\r\n"
    b"event: delta\r\n"
    b'data: {"type":"delta",\r\n'  # one event's JSON over two data lines
    b'data: "text":"caf\xc3\xa9 \xe2\x9c\x93"}\r\n'
    b"\r\n"
    b'data: {"type":"cr-only"}\r'  # bare CR endings
    b"\r"
    b"data: first\n"
    b"data: second\n"
    b"\n"
    b"data: [DONE]\r\n\r\n"
)
SSE_EVENTS = [
    b'{"type":"response.created"}',
    b'{"type":"delta",\n"text":"caf\xc3\xa9 \xe2\x9c\x93"}',
    b'{"type":"cr-only"}',
    b"first\nsecond",
    b"[DONE]",
]


async def _read(chunks: list[bytes]) -> list[bytes]:
    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return [data async for data in iter_sse_data(source())]


def test_sse_events_survive_a_split_at_every_byte_offset() -> None:
    """Mutation caught: a CRLF split across two reads (`\\r` ending one, `\\n` starting the next)."""
    assert asyncio.run(_read([SSE_BODY])) == SSE_EVENTS
    crlf_halves = [i for i in range(1, len(SSE_BODY)) if SSE_BODY[i - 1 : i + 1] == b"\r\n"]
    assert len(crlf_halves) >= 6
    for i in range(len(SSE_BODY) + 1):
        assert asyncio.run(_read([SSE_BODY[:i], SSE_BODY[i:]])) == SSE_EVENTS, f"split at byte {i}"
    assert asyncio.run(_read([SSE_BODY[i : i + 1] for i in range(len(SSE_BODY))])) == SSE_EVENTS, "byte by byte"
    for i in crlf_halves:  # three reads: the CR alone in the middle one
        assert asyncio.run(_read([SSE_BODY[: i - 1], SSE_BODY[i - 1 : i], SSE_BODY[i:]])) == SSE_EVENTS, i


# --- connect retries -------------------------------------------------------------------------------------


def test_exec_reaches_a_server_that_refused_the_first_connections(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """The port is reserved but nothing listens (connections are refused) until exec has announced a
    retry; then the model server opens on it and the run completes.
    Mutation caught: connect errors no longer retried."""
    reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    reserved.bind(("127.0.0.1", 0))  # bound, not listening: a connect gets ECONNREFUSED
    port = reserved.getsockname()[1]
    configure(isolated_home, fake_provider, "responses", retries=6, base_url=f"http://127.0.0.1:{port}/v1")
    proc = spawn_exec(*SANDBOXED, "hello?", cwd=workdir)
    late: FakeProvider | None = None
    try:
        assert proc.stderr is not None
        seen = ""
        while "Reconnecting" not in seen:
            line = proc.stderr.readline()
            assert line, f"exec ended without retrying: {seen}"
            seen += line
        reserved.close()
        late = FakeProvider(port=port, default=Reply(text="got through")).start()
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
        reserved.close()
        if late is not None:
            late.close()
    assert proc.returncode == 0, seen + stderr
    assert stdout == "got through\n"
    assert "Reconnecting... 1/6" in seen and "connect" in seen.lower(), seen
    assert late is not None and len(late.requests) == 1


# --- SIGTERM ---------------------------------------------------------------------------------------------


def test_sigterm_exits_143_and_the_session_resumes(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """Mutation caught: no SIGTERM handler in exec (the process died by the signal, -15, history unsaved)."""
    configure(isolated_home, fake_provider, "responses")
    fake_provider.script(
        Reply(tool_calls=[shell(["echo", "step one"], "call_A")]),
        Reply(text="this answer never finishes", stall_after=3),
    )
    proc = spawn_exec("--json", *SANDBOXED, "first task", cwd=workdir)
    try:
        fake_provider.wait_for_requests(2, timeout=30)
        time.sleep(0.3)  # the stalled answer has started
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, stderr
    events = [json.loads(line) for line in stdout.splitlines()]
    assert events[-1]["type"] == "turn.failed", events[-1]
    assert "Traceback" not in stderr
    [(_, path)] = list_rollouts(resolve_paths())
    recorded = load_rollout(path)
    assert UserMessage.of("first task") in recorded.items
    assert any(isinstance(i, ToolResult) and "step one" in i.output for i in recorded.items)
    assert '"turn_aborted"' in path.read_text()

    fake_provider.script(Reply(text="continuing"))
    out = run_exec("resume", "--last", "--json", *SANDBOXED, "continue", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[0]) == {"type": "thread.started", "thread_id": recorded.meta.id}
    sent = fake_provider.last_request.json["input"]
    calls = [i["call_id"] for i in sent if i.get("type") == "function_call"]
    outputs = [i["call_id"] for i in sent if i.get("type") == "function_call_output"]
    assert calls == outputs == ["call_A"], "every call has its output, once"
    text = json.dumps(sent)
    assert text.index("first task") < text.index("step one") < text.index("continue")
    resumed = load_rollout(path)
    assert UserMessage.of("continue") in resumed.items
    assert sum(isinstance(i, ToolCall) for i in resumed.items) == 1
