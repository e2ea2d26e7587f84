"""Bad conditions end in one line, never a traceback or "internal error" (issue 11 item 19).

A full disk (a real 64 KiB tmpfs), a read-only credential store, hostile tool arguments from the model
(``timeout_ms: Infinity``, NUL bytes, lone surrogates, thousands of nested brackets, a 5000-digit number),
a server that streams absurdly nested JSON, and a config.toml nested 100 000 levels deep. All through the
public entry points: ``codex-py exec`` against the loopback model, ``codex-py login``, real subprocesses.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_py.protocol.items import AssistantMessage, ToolCall, ToolResult, UserMessage
from codex_py.session.rollout import list_rollouts, load_rollout
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_exec_e2e import QUIET, run, workdir

__all__ = ["workdir"]  # the fixture: a fresh git repository to run in


def _provider_toml(base_url: str, wire: str = "responses", name: str = "fake") -> str:
    return (
        f"[model_providers.{name}]\n"
        'name = "Fake"\n'
        f'base_url = "{base_url}"\n'
        f'wire_api = "{wire}"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
    )


def _write_config(home: Path, base_url: str) -> None:
    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n' + _provider_toml(base_url), encoding="utf-8"
    )


def _assert_one_error(stderr: str, *needles: str) -> str:
    """stderr holds exactly one ``error:`` line (with a ``hint:`` after it) and no traceback."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    lines = stderr.splitlines()
    assert lines[lines.index(errors[0]) + 1].startswith("hint: "), stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


# --- a full disk -----------------------------------------------------------------------------------


def _fill(folder: Path) -> Path:
    """Fill the file system holding ``folder`` to the last byte; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
        try:
            while True:
                fh.write(b"\0")
        except OSError:
            pass
    return filler


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (root only), unmounted afterwards."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and mount rights): {made.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def full_home(tiny_disk: Path, fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A codex-py home on the tiny disk, configured for the fake model; the disk is not yet full."""
    home = tiny_disk / "home"
    home.mkdir()
    _write_config(home, fake_provider.base_url)
    monkeypatch.setenv("CODEX_PY_HOME", str(home))
    return home


def test_full_disk_keeps_the_answer_and_ends_with_one_error_line(
    full_home: Path, fake_provider: FakeProvider, workdir: Path
) -> None:
    _fill(full_home.parent)
    fake_provider.script(Reply(text="The answer survives."))
    out = run(*QUIET, "answer me", cwd=workdir)
    assert out.stdout.strip() == "The answer survives.", "the answer already printed stays"
    assert out.returncode == 1, out.stderr
    error = _assert_one_error(out.stderr, "could not write the session file", "No space left on device")
    assert str(full_home / "sessions") in error
    assert "free space on the disk holding" in out.stderr
    assert "Logging error" not in out.stderr, "the log file on the same disk fails quietly"


def test_space_freed_mid_turn_loses_nothing(full_home: Path, fake_provider: FakeProvider, workdir: Path) -> None:
    """Records that could not be written wait in memory, in order, and go out once the disk has room
    (here the model's own command frees it): the rollout is complete and resumable, exit 0."""
    filler = _fill(full_home.parent)
    command = {"command": ["rm", str(filler)]}
    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps(command), call_id="call_free")]), Reply(text="Freed and done.")
    )
    out = run(*QUIET, "free some space", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "Freed and done." in out.stdout
    assert out.stderr.count("could not write the session file") == 1, "said once, as a warning"
    assert "error:" not in out.stderr
    [(_, path)] = list_rollouts_in(full_home)
    items = load_rollout(path).items
    assert [type(i) for i in items] == [UserMessage, ToolCall, ToolResult, AssistantMessage]
    assert items[0] == UserMessage.of("free some space") and items[-1] == AssistantMessage("Freed and done.")


def list_rollouts_in(home: Path) -> list[tuple[float, Path]]:
    from codex_py.config import resolve_paths

    paths = resolve_paths()
    assert paths.sessions_dir.is_relative_to(home)
    return list_rollouts(paths)


def _login(home: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "login", "--provider", "openai", "--with-api-key"],
        input=key + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CODEX_PY_HOME": str(home), "CODEX_PY_CREDENTIALS_STORE": "file"},
    )


def test_login_with_api_key_on_a_full_disk_prints_one_line(full_home: Path) -> None:
    key = "sk-proj-FULLDISK0123456789abcdefXYZ"
    assert _login(full_home, key).returncode == 0  # room for it: stored
    stored = (full_home / "credentials.json").read_text()
    _fill(full_home.parent)
    out = _login(full_home, key.replace("0123", "9999"))
    assert out.returncode == 1, out.stderr
    error = _assert_one_error(out.stderr, "could not save the credentials", "No space left on device")
    assert "FULLDISK" not in out.stderr + out.stdout and "9999" not in out.stderr
    assert "free space on the disk holding" in out.stderr and "unchanged" in out.stderr
    assert "credentials" in error
    assert (full_home / "credentials.json").read_text() == stored, "the earlier key is intact (replaced by rename)"


def test_login_with_api_key_to_a_read_only_store_prints_one_line(tiny_disk: Path) -> None:
    home = tiny_disk / "home"
    home.mkdir()
    remount = subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], capture_output=True, text=True)
    if remount.returncode != 0:
        pytest.skip(f"cannot remount read-only: {remount.stderr.strip()}")
    out = _login(home, "sk-proj-READONLY0123456789abcdef")
    assert out.returncode == 1, out.stderr
    _assert_one_error(out.stderr, "could not save the credentials", "Read-only file system")
    assert "READONLY" not in out.stderr + out.stdout
    assert "writable" in out.stderr


# --- hostile tool arguments from the model ---------------------------------------------------------

BAD_CALLS: dict[str, tuple[str, str, str]] = {
    # call id: (tool, arguments as the model streamed them, what the tool result must say)
    "t_inf": ("shell", '{"command":["echo","x"],"timeout_ms":Infinity}', "`timeout_ms` must be a number"),
    "t_nan": ("shell", '{"command":["echo","x"],"timeout_ms":NaN}', "not NaN"),
    "t_neg": ("shell", '{"command":["echo","x"],"timeout_ms":-1}', "not -1"),
    "t_huge": ("shell", '{"command":["echo","x"],"timeout_ms":1e300}', "not 1e+300"),
    "t_str": ("shell", '{"command":["echo","x"],"timeout_ms":"5000"}', "`timeout_ms` must be a number"),
    "t_digits": ("shell", '{"command":["echo","x"],"timeout_ms":' + "9" * 5000 + "}", "4300 digits"),
    "t_deep": ("shell", '{"command":["echo","x"],"timeout_ms":' + "[" * 100_000 + "}", "nested too deeply"),
    "c_nul": ("shell", '{"command":["echo","a\\u0000b"]}', "`command` contains a NUL byte"),
    "c_sur": ("shell", '{"command":["echo","\\ud800"]}', "`command` is not valid Unicode"),
    "b_nul": ("bash", '{"command":"echo a\\u0000b"}', "`command` contains a NUL byte"),
    "w_nul": ("shell", '{"command":["echo","x"],"workdir":"a\\u0000b"}', "`workdir` contains a NUL byte"),
    "w_long": ("shell", '{"command":["echo","x"],"workdir":"' + "a/" * 3000 + '"}', "File name too long"),
    "w_loop": ("shell", '{"command":["echo","x"],"workdir":"loop"}', "`workdir` cannot be used"),
    "e_nul": ("str_replace_based_edit_tool", '{"command":"view","path":"a\\u0000b"}', "`path` contains a NUL"),
    "e_loop": ("str_replace_based_edit_tool", '{"command":"view","path":"loop"}', "`path` cannot be used"),
    "e_long": ("str_replace_based_edit_tool", '{"command":"view","path":"' + "q" * 300 + '"}', "File name too long"),
}


def test_hostile_tool_arguments_get_a_one_line_tool_error_and_the_turn_goes_on(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    _write_config(isolated_home, fake_provider.base_url)
    (workdir / "loop").symlink_to(workdir / "loop")  # a symlink loop a sandboxed command could have made
    calls = [Call(tool, arguments, call_id=call_id) for call_id, (tool, arguments, _) in BAD_CALLS.items()]
    fake_provider.script(Reply(tool_calls=calls), Reply(text="I will do it properly."))
    out = run("--json", *QUIET, "go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "internal error" not in out.stdout + out.stderr and "Traceback" not in out.stderr
    sent = fake_provider.last_request.json["input"]
    results = {i["call_id"]: i["output"] for i in sent if i["type"] == "function_call_output"}
    assert set(results) == set(BAD_CALLS)
    for call_id, (_, _, expected) in BAD_CALLS.items():
        assert results[call_id].startswith("failed to parse function arguments: "), (call_id, results[call_id])
        assert expected in results[call_id], (call_id, results[call_id])
        assert "\n" not in results[call_id] and len(results[call_id]) < 300, (call_id, results[call_id])
    assert json.loads(out.stdout.splitlines()[-1])["type"] == "turn.completed"


def test_valid_timeout_ms_still_applies(fake_provider: FakeProvider, isolated_home: Path, workdir: Path) -> None:
    _write_config(isolated_home, fake_provider.base_url)
    sleep = {"command": ["sleep", "5"], "timeout_ms": 300.0}
    fake_provider.script(Reply(tool_calls=[Call("shell", json.dumps(sleep), call_id="t_ok")]), Reply(text="ok"))
    out = run("--json", *QUIET, "go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    [result] = [i for i in fake_provider.last_request.json["input"] if i["type"] == "function_call_output"]
    assert "timed out after 300 milliseconds" in result["output"]


def test_deep_tool_arguments_resume_on_the_messages_wire(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """A call with 100 000 nested brackets recorded on one wire is sent back on Anthropic Messages (whose
    tool_use input must be an object) as ``{"input": <the text>}``, not a RecursionError."""
    _write_config(isolated_home, fake_provider.base_url)
    with (isolated_home / "config.toml").open("a") as fh:
        fh.write(_provider_toml(fake_provider.base_url, "messages", "claude_fake"))
    deep = '{"command":' + "[" * 100_000 + "}"
    fake_provider.script(Reply(tool_calls=[Call("shell", deep, call_id="toolu_deep")]), Reply(text="first"))
    assert run(*QUIET, "go", cwd=workdir).returncode == 0
    fake_provider.script(Reply(text="resumed fine"))
    out = run("resume", "--last", "--provider", "claude_fake", "-m", "claude-sonnet-4-5", *QUIET, "again", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "resumed fine" in out.stdout
    [use] = [
        b
        for m in fake_provider.last_request.json["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_use"
    ]
    assert use["id"] == "toolu_deep" and use["input"] == {"input": deep}


# --- a server that streams absurd JSON ---------------------------------------------------------------

DEEP_EVENTS = {
    "responses": b'event: response.created\ndata: {"type":"response.created","response":{"x":' + b"[" * 100_000,
    "chat": b'data: {"id":"c","choices":[{"index":0,"delta":{"content":' + b"[" * 100_000,
    "messages": b'event: message_start\ndata: {"type":"message_start","message":{"x":' + b"[" * 100_000,
}


@pytest.fixture
def deep_server() -> Iterator[str]:
    """A loopback server whose every answer is one SSE event nested 100 000 levels deep; yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            wire = "messages" if self.path.endswith("/messages") else "chat" if "chat" in self.path else "responses"
            body = DEEP_EVENTS[wire] + b"}}\n\n"
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("wire", ["responses", "chat", "messages"])
def test_absurdly_nested_server_json_fails_the_turn_in_one_line(
    wire: str, deep_server: str, isolated_home: Path, workdir: Path
) -> None:
    (isolated_home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n' + _provider_toml(deep_server, wire)
    )
    out = run("--json", *QUIET, "go", cwd=workdir)
    assert out.returncode == 1, out.stderr
    failed = json.loads(out.stdout.splitlines()[-1])
    assert failed["type"] == "turn.failed"
    message = failed["error"]["message"]
    assert "internal error" not in message and "Recursion" not in message and "\n" not in message
    assert "stream closed before" in message
    assert "Traceback" not in out.stderr


# --- config.toml nested too deeply ---------------------------------------------------------------------

DEEP_TOML = {
    "arrays": "x = " + "[" * 100_000,
    "closed_arrays": "x = " + "[" * 500 + "]" * 500,
    "inline_tables": "x = " + "{ a = " * 100_000,
    "dotted_tables": "[" + ".".join(["a"] * 5000) + "]",
}


@pytest.mark.parametrize("text", DEEP_TOML.values(), ids=DEEP_TOML.keys())
def test_deeply_nested_config_toml_is_a_one_line_config_error(text: str, isolated_home: Path, workdir: Path) -> None:
    config = isolated_home / "config.toml"
    config.write_text(text)
    out = run(*QUIET, "hi", cwd=workdir)
    assert out.returncode == 2, out.stderr
    error = _assert_one_error(out.stderr, str(config), "nested more than 64 levels deep")
    assert error.startswith(f"error: {config}: invalid TOML")
    assert out.stdout == ""


def test_deeply_nested_override_is_a_one_line_error(isolated_home: Path, workdir: Path) -> None:
    out = run(*QUIET, "-c", "x=" + "[" * 100_000, "hi", cwd=workdir)
    assert out.returncode == 2, out.stderr
    _assert_one_error(out.stderr, "invalid -c override 'x'", "nested more than 64 levels deep")
