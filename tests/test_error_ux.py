"""What the user sees when things go wrong: ``codex-py exec`` (human and --json) and the TUI, on all three
wire APIs, against the loopback fake provider (real HTTP + SSE). Each failure must give one line with the
cause (the provider's message and request id), a next step worded for the front end, the contract's exit
code, no text reported twice after a retried stream, a resumable rollout and no secret anywhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.notice import Notice
from tests.agent_support import RawServer
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, HttpError, Reply, StreamError
from tests.test_tui_conversation import idle, send, wait_for

WIRES = ["responses", "chat", "messages"]
KEY = "sk-test-UXsecret0123456789abcdefghij"
GOOD = Reply(text="All good now.")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    repo = tmp_path / "work"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return repo


def configure(home: Path, fake: FakeProvider, wire: str) -> None:
    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{fake.base_url}"\nwire_api = "{wire}"\nenv_key = "FAKE_KEY"\n'
        "request_max_retries = 1\nstream_max_retries = 2\n"
    )


def exec_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FAKE_KEY=KEY)
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", "-s", "danger-full-access", "-a", "never", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def json_events(out: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.stdout.splitlines()]


def assert_no_secret(home: Path, *outputs: subprocess.CompletedProcess[str]) -> None:
    for out in outputs:
        assert KEY not in out.stdout + out.stderr
    for path in home.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(errors="replace"), path


def assert_resumes(fake: FakeProvider, workdir: Path) -> None:
    fake.script(Reply(text="resumed"))
    again = exec_run("resume", "--last", "go on", cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "resumed"


def failed_after_answer(text: str) -> Reply:
    """A response that streams (and on Responses completes) a message, then fails inside the stream."""
    return Reply(text=text, error=StreamError())


# --- exec, human ---------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
def test_retried_stream_is_marked_and_answer_not_mixed(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(failed_after_answer("partial answer"), GOOD)
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith("All good now.\n")
    reconnect = [line for line in out.stderr.splitlines() if line.startswith("Reconnecting... 1/2")]
    assert len(reconnect) == 1, out.stderr
    assert "server_error" in reconnect[0] or "api_error" in reconnect[0]
    # the partial answer was on screen, so the restart is announced (on Responses it even completed)
    assert out.stdout.count("partial answer") == 1
    assert reconnect[0].endswith("(the answer restarts below)")
    assert_resumes(fake_provider, workdir)
    assert_no_secret(isolated_home, out)


@pytest.mark.parametrize("wire", WIRES)
def test_retried_stream_reports_one_message_in_json(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(Reply(reasoning="first thoughts", text="partial answer", error=StreamError()), GOOD)
    out = exec_run("--json", "do it", cwd=workdir)
    assert out.returncode == 0, out.stderr
    got = json_events(out)
    items = [e["item"] for e in got if e["type"] == "item.completed"]
    assert items == [{"id": "item_0", "type": "agent_message", "text": "All good now."}]
    errors = [e for e in got if e["type"] == "error"]
    assert len(errors) == 1 and errors[0]["message"].startswith("Reconnecting... 1/2 in 0.2s (Fake reported an error")
    assert got[-1]["type"] == "turn.completed"


@pytest.mark.parametrize("wire", WIRES)
def test_failed_turn_drops_the_failed_responses_message_in_json(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(*[failed_after_answer("never finished")] * 3)
    out = exec_run("--json", "do it", cwd=workdir)
    assert out.returncode == 1
    got = json_events(out)
    assert [e["type"] for e in got] == ["thread.started", "turn.started", "error", "error", "turn.failed"]
    assert "try again shortly" in got[-1]["error"]["message"]
    assert_resumes(fake_provider, workdir)


@pytest.mark.parametrize("wire", WIRES)
def test_request_retry_is_announced_not_silent(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(HttpError(429, retry_after=0.2), GOOD, HttpError(529, retry_after=0.2), GOOD)
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "All good now.\n"
    notes = [line for line in out.stderr.splitlines() if line.startswith("Reconnecting")]
    assert len(notes) == 1 and notes[0].startswith("Reconnecting... 1/1 in 0.2s (Fake returned HTTP 429"), out.stderr
    assert "restarts below" not in notes[0]  # nothing was shown yet
    got = json_events(exec_run("--json", "do it", cwd=workdir))
    assert [e["type"] for e in got[1:]] == ["turn.started", "error", "item.completed", "turn.completed"]
    assert got[2]["message"].startswith("Reconnecting... 1/1 in 0.2s (Fake returned HTTP 529")


@pytest.mark.parametrize("wire", WIRES)
def test_undecodable_stream_names_provider_and_next_step(isolated_home: Path, workdir: Path, wire: str) -> None:
    server = RawServer(200, "text/event-stream", b"data: {not json at all\n\n")
    (isolated_home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{server.base_url}"\nwire_api = "{wire}"\nrequest_max_retries = 0\nstream_max_retries = 1\n'
    )
    try:
        out = exec_run("do it", cwd=workdir)
    finally:
        server.close()
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert re.match(r"Reconnecting\.\.\. 1/1 in [0-9.]+s \(Fake: stream closed before", lines[0])
    assert lines[1].startswith("error: Fake: stream closed before")
    assert (
        lines[2]
        == "hint: the answer was cut off; try again, or if it keeps happening check the base_url of provider `fake`"
    )
    assert len(server.requests) == 2


@pytest.mark.parametrize("wire", WIRES)
def test_html_gateway_page_is_one_readable_line(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center>"
    page += "<hr><center>nginx</center></body></html>"
    fake_provider.script(*[HttpError(502, body=page)] * 2)
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 1
    error, hint = out.stderr.strip().splitlines()[-2:]
    assert error.startswith("error: Fake returned HTTP 502: 502 Bad Gateway nginx (request id: req_fake")
    assert "<" not in error
    assert hint == "hint: the provider is having trouble; try again shortly"


@pytest.mark.parametrize("wire", WIRES)
def test_long_retry_after_is_not_waited_and_says_how_long(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(HttpError(429, retry_after=7200))
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 1
    assert len(fake_provider.requests) == 1
    assert out.stderr.strip().splitlines()[-1] == "hint: the provider asks to wait 2 h; try again then"


@pytest.mark.parametrize("wire", WIRES)
def test_wrong_key_exits_3_and_the_key_is_nowhere(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(*[HttpError(401, message=f"Incorrect API key provided: {KEY}")] * 2)
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 3
    error, hint = out.stderr.strip().splitlines()[-2:]
    assert error.startswith("error: Fake returned HTTP 401") and "request id: req_fake" in error
    assert "Incorrect API key provided: sk-test-U***" in error
    assert hint == "hint: set FAKE_KEY to a valid key"
    out_json = exec_run("--json", "do it", cwd=workdir)
    assert out_json.returncode == 3
    assert_no_secret(isolated_home, out, out_json)


@pytest.mark.parametrize("wire", WIRES)
def test_context_window_hint_fits_the_command_line(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(HttpError.context_length(), HttpError.context_length())  # the compaction fails too
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 1
    hint = out.stderr.strip().splitlines()[-1]
    assert (
        hint == "hint: the conversation is too long for this model: start a new session or pick a larger model with -m"
    )
    assert_resumes(fake_provider, workdir)


def test_broken_patch_message_stays_indented(fake_provider: FakeProvider, isolated_home: Path, workdir: Path) -> None:
    configure(isolated_home, fake_provider, "responses")
    (workdir / "notes.txt").write_text("hello\n")
    patch = "*** Begin Patch\n*** Update File: notes.txt\n@@\n-missing line\n+new\n*** End Patch\n"
    fake_provider.script(Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}))]), GOOD)
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    start = lines.index("apply_patch failed")
    block = lines[start + 1 : lines.index(next(line for line in lines if line.startswith("tokens used")))]
    assert any("missing line" in line for line in block)
    assert all(line.startswith("  ") for line in block), block
    assert (workdir / "notes.txt").read_text() == "hello\n"


# --- TUI -----------------------------------------------------------------------------------------


def make_app(fake: FakeProvider, workspace: Path, wire: str) -> CodexApp:
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            approval="never",
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                f'model_providers.fake.wire_api="{wire}"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=3",
            ],
        )
    )
    return CodexApp(config)


def visible_answers(app: CodexApp) -> list[str]:
    return [a.text for a in app.chat.transcript.query(AssistantMessage) if not a.has_class("-dim")]


@pytest.mark.parametrize("wire", WIRES)
async def test_tui_retry_takes_back_the_partial_answer(fake_provider: FakeProvider, tmp_path: Path, wire: str) -> None:
    fake_provider.script(
        Reply(reasoning="hmm", text="first try", error=StreamError()),
        Reply(text="second try", error=StreamError()),
        GOOD,
    )
    app = make_app(fake_provider, tmp_path, wire)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "hi")
        await wait_for(pilot, lambda: visible_answers(app) == ["All good now."], "the retried answer alone")
        await wait_for(pilot, idle(app), "turn over")
        warnings = [n.message for n in app.chat.transcript.query(Notice) if n.kind == "warning"]
        assert len(warnings) == 1, warnings  # one notice, counting the attempts in place
        assert warnings[0].startswith("Reconnecting... 2/3 in 0.4s (")


async def test_tui_hint_names_slash_commands(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(HttpError(404))
    fake_provider.default = HttpError.context_length()  # compacting does not help either
    app = make_app(fake_provider, tmp_path, "messages")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "hi")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(Notice).filter(".-error")), "error shown")
        await wait_for(pilot, idle(app), "turn over")
        error = app.chat.transcript.query(Notice).filter(".-error").last()
        assert "HTTP 404" in error.message and "request id: req_fake" in error.message
        assert error.hint == "check the model name (/model) and the base_url of provider `fake`"
        await send(pilot, app, "again")
        await wait_for(pilot, lambda: len(app.chat.transcript.query(Notice).filter(".-error")) == 2, "second error")
        error = app.chat.transcript.query(Notice).filter(".-error").last()
        assert "start a new session (/new)" in error.hint and "/model" in error.hint and "-m" not in error.hint
