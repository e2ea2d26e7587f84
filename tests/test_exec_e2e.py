"""``codex-py exec`` end to end: a real subprocess talking to the loopback fake provider."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from codex_py.config import resolve_paths
from codex_py.protocol.items import ToolCall, ToolResult, UserMessage
from codex_py.session.compaction import SUMMARY_PREFIX
from codex_py.session.rollout import list_rollouts, load_rollout
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, HttpError, Reply, Usage

QUIET = ["-s", "danger-full-access", "-a", "never"]
"""No sandbox warning where Landlock is missing; commands really run."""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh git repository to run in."""
    repo = tmp_path / "work"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return repo


@pytest.fixture
def fake(fake_provider: FakeProvider, isolated_home: Path) -> FakeProvider:
    """The fake provider configured as the default provider in the isolated home."""
    (isolated_home / "config.toml").write_text(
        'model = "gpt-fake"\n'
        'model_provider = "fake"\n'
        "[model_providers.fake]\n"
        'name = "Fake"\n'
        f'base_url = "{fake_provider.base_url}"\n'
        'wire_api = "responses"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 1\n"
    )
    return fake_provider


def run(*args: str, cwd: Path, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", *args],
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def events(out: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.stdout.splitlines()]


def usage(i: int, c: int, o: int, r: int) -> dict[str, int]:
    return {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o, "reasoning_output_tokens": r}


def input_text(request_json: Any) -> str:
    return json.dumps(request_json["input"])


def test_json_text_and_reasoning(fake: FakeProvider, workdir: Path) -> None:
    fake.script(Reply(text="Hello from the fake.", reasoning="Considering the greeting", usage=Usage(100, 20, 30, 5)))
    out = run("--json", *QUIET, "say hello", cwd=workdir)
    assert out.returncode == 0, out.stderr
    got = events(out)
    rollouts = list_rollouts(resolve_paths())
    assert len(rollouts) == 1
    session_id = load_rollout(rollouts[0][1]).meta.id
    assert got == [
        {"type": "thread.started", "thread_id": session_id},
        {"type": "turn.started"},
        {"type": "item.completed", "item": {"id": "item_0", "type": "reasoning", "text": "Considering the greeting"}},
        {"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": "Hello from the fake."}},
        {"type": "turn.completed", "usage": usage(100, 30, 20, 5), "cost_usd": None},
    ]
    assert "say hello" in input_text(fake.last_request.json)


def test_json_commands_patches_plan_and_cumulative_usage(fake: FakeProvider, workdir: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: notes.txt\n+written by the agent\n*** End Patch\n"
    plan1 = {"plan": [{"step": "look", "status": "in_progress"}, {"step": "write", "status": "pending"}]}
    plan2 = {"plan": [{"step": "look", "status": "completed"}, {"step": "write", "status": "completed"}]}
    fake.script(
        Reply(tool_calls=[Call("update_plan", json.dumps(plan1))], usage=Usage(10, 1, 0, 0)),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["echo", "hi there"]}))], usage=Usage(20, 2, 0, 0)),
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}))], usage=Usage(30, 3, 0, 0)),
        Reply(tool_calls=[Call("update_plan", json.dumps(plan2))], usage=Usage(40, 4, 0, 0)),
        Reply(text="All done.", usage=Usage(50, 5, 25, 1)),
    )
    out = run("--json", *QUIET, "take notes", cwd=workdir)
    assert out.returncode == 0, out.stderr
    got = events(out)
    todo1 = {"text": "look", "completed": False}, {"text": "write", "completed": False}
    todo2 = [{"text": "look", "completed": True}, {"text": "write", "completed": True}]
    command = "echo 'hi there'"
    assert got[1:] == [
        {"type": "turn.started"},
        {"type": "item.started", "item": {"id": "item_0", "type": "todo_list", "items": list(todo1)}},
        {
            "type": "item.started",
            "item": {
                "id": "item_1",
                "type": "command_execution",
                "command": command,
                "aggregated_output": "",
                "exit_code": None,
                "status": "in_progress",
            },
        },
        {
            "type": "item.completed",
            "item": {
                "id": "item_1",
                "type": "command_execution",
                "command": command,
                "aggregated_output": "hi there\n",
                "exit_code": 0,
                "status": "completed",
            },
        },
        {
            "type": "item.completed",
            "item": {
                "id": "item_2",
                "type": "file_change",
                "changes": [{"path": "notes.txt", "kind": "add"}],
                "status": "completed",
            },
        },
        {"type": "item.updated", "item": {"id": "item_0", "type": "todo_list", "items": todo2}},
        {"type": "item.completed", "item": {"id": "item_3", "type": "agent_message", "text": "All done."}},
        {"type": "item.completed", "item": {"id": "item_0", "type": "todo_list", "items": todo2}},
        {"type": "turn.completed", "usage": usage(150, 25, 15, 1), "cost_usd": None},
    ]
    assert (workdir / "notes.txt").read_text() == "written by the agent\n"
    outputs = [i for i in fake.last_request.json["input"] if i.get("type") == "function_call_output"]
    assert len(outputs) == 4 and "hi there" in json.dumps(outputs[1])


def test_human_mode_streams_answer_to_stdout_and_writes_o(fake: FakeProvider, workdir: Path, tmp_path: Path) -> None:
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["echo", "side output"]}))]),
        Reply(text="The answer\nis 42.", reasoning="hmm", usage=Usage(12, 7, 0, 0)),
    )
    last = tmp_path / "out" / "last.md"
    last.parent.mkdir()
    out = run(*QUIET, "-o", str(last), "what is it?", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "The answer\nis 42.\n"
    assert "$ echo 'side output'" in out.stderr and "side output" in out.stderr
    assert "hmm" in out.stderr
    assert out.stderr.rstrip().endswith("tokens used: 24 input (0 cached), 14 output (0 reasoning)")
    assert "\x1b[" not in out.stderr + out.stdout
    assert last.read_text() == "The answer\nis 42.\n"


def test_piped_stdin_is_the_prompt(fake: FakeProvider, workdir: Path) -> None:
    fake.script(Reply(text="ok"))
    out = run("--json", *QUIET, cwd=workdir, stdin="prompt from a pipe\n")
    assert out.returncode == 0, out.stderr
    assert "prompt from a pipe" in input_text(fake.last_request.json)
    fake.script(Reply(text="ok"))
    out = run("--json", *QUIET, "review this", cwd=workdir, stdin="diff --git a b\n")
    assert out.returncode == 0, out.stderr
    assert "review this\\n\\n<stdin>\\ndiff --git a b\\n</stdin>" in input_text(fake.last_request.json)


def test_provider_failure_exits_1_with_turn_failed(fake: FakeProvider, workdir: Path, tmp_path: Path) -> None:
    fake.script(HttpError(400, message="model gpt-fake does not exist"))
    last = tmp_path / "never.md"
    out = run("--json", *QUIET, "-o", str(last), "hi", cwd=workdir)
    assert out.returncode == 1, out.stderr
    got = events(out)
    assert got[-1]["type"] == "turn.failed" and "does not exist" in got[-1]["error"]["message"]
    assert [e["type"] for e in got] == ["thread.started", "turn.started", "turn.failed"]
    assert not last.exists(), "-o is written only when the turn completed"


def test_usage_errors_exit_2(fake: FakeProvider, workdir: Path, isolated_home: Path) -> None:
    out = run("--json", cwd=workdir, stdin="")
    assert out.returncode == 2 and "no prompt" in out.stderr and out.stdout == ""
    out = run("--json", "-s", "everything", "hi", cwd=workdir)
    assert out.returncode == 2 and out.stdout == ""
    out = run("resume", "no-such-session", "hi", cwd=workdir)
    assert out.returncode == 2 and "no recorded session" in out.stderr


def test_missing_credentials_exit_3(workdir: Path) -> None:
    out = run("--json", "--provider", "openai", "-m", "gpt-5", "hi", cwd=workdir)
    assert out.returncode == 3, out.stderr
    assert "codex-py login" in out.stderr
    assert out.stdout == ""
    assert list_rollouts(resolve_paths()) == [], "a run that never started leaves no rollout"


def _spawn(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "codex_py", "exec", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigint_mid_stream_exits_130_with_rollout_intact(fake: FakeProvider, workdir: Path) -> None:
    fake.script(Reply(text="this answer never finishes", stall_after=3))
    proc = _spawn("--json", *QUIET, "stall please", cwd=workdir)
    try:
        fake.wait_for_requests(1, timeout=30)
        time.sleep(0.3)  # let the first deltas arrive
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    got = [json.loads(line) for line in stdout.splitlines()]
    assert got[-1] == {"type": "turn.failed", "error": {"message": "turn interrupted"}}
    path = list_rollouts(resolve_paths())[0][1]
    assert UserMessage.of("stall please") in load_rollout(path).items
    assert '"turn_aborted"' in path.read_text()


def test_sigkill_then_resume_last_carries_history(fake: FakeProvider, workdir: Path) -> None:
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["echo", "step one"]}), call_id="call_A")]),
        Reply(text="never delivered", stall_after=1),
    )
    proc = _spawn("--json", *QUIET, "first task", cwd=workdir)
    try:
        fake.wait_for_requests(2, timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    path = list_rollouts(resolve_paths())[0][1]
    recorded = load_rollout(path)
    assert any(isinstance(i, ToolResult) and "step one" in i.output for i in recorded.items)

    fake.script(Reply(text="continuing"))
    out = run("resume", "--last", "--json", *QUIET, "continue", cwd=workdir)
    assert out.returncode == 0, out.stderr
    got = events(out)
    assert got[0] == {"type": "thread.started", "thread_id": recorded.meta.id}
    sent = fake.last_request.json["input"]
    text = json.dumps(sent)
    assert text.index("first task") < text.index("call_A") < text.index("step one") < text.index("continue")
    assert len(list_rollouts(resolve_paths())) == 1, "resume appends to the same rollout"
    assert UserMessage.of("continue") in load_rollout(path).items


def test_long_session_is_compacted_automatically_and_goes_on(fake: FakeProvider, workdir: Path) -> None:
    fake.script(
        Reply(
            tool_calls=[Call("shell", json.dumps({"command": ["echo", "big step"]}), call_id="call_big")],
            usage=Usage(1700, 150, 0, 0),  # 1850 >= 0.9 * 2000: compact before the next request
        ),
        Reply(text="GOAL: finish. DONE: big step."),  # the summary
        Reply(text="Finished after compaction.", usage=Usage(300, 10, 0, 0)),
    )
    out = run("--json", *QUIET, "-c", "model_context_window=2000", "do the long thing", cwd=workdir)
    assert out.returncode == 0, out.stderr
    requests = fake.requests
    assert len(requests) == 3
    assert "handoff note" in input_text(requests[1].json) and requests[1].json["tool_choice"] == "none"
    after = input_text(requests[2].json)
    assert "GOAL: finish. DONE: big step." in after and "call_big" not in after
    assert "do the long thing" in after
    got = events(out)
    assert got[-2] == {
        "type": "item.completed",
        "item": {"id": "item_1", "type": "agent_message", "text": "Finished after compaction."},
    }
    assert got[-1]["type"] == "turn.completed"
    loaded = load_rollout(list_rollouts(resolve_paths())[0][1])
    assert not any(isinstance(i, ToolCall) for i in loaded.items), "the compaction record replaced the history"
    assert any(isinstance(i, UserMessage) and i.text.startswith(SUMMARY_PREFIX) for i in loaded.items)


def test_exec_path_imports_no_textual(fake: FakeProvider, workdir: Path) -> None:
    fake.script(Reply(text="ok"))
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codex_py", "exec", *QUIET, "hi"],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "codex_py.exec.human" in imported, "the exec path ran"
    assert not any(name == "textual" or name.startswith("textual.") for name in imported)


def test_reader_leaving_stops_the_run_quietly(fake: FakeProvider, workdir: Path) -> None:
    fake.script(Reply(text="one two three four five six", delay=0.05, reasoning="r"))
    proc = _spawn("--json", *QUIET, "talk", cwd=workdir)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = json.loads(proc.stdout.readline())
        assert first["type"] == "thread.started"
        proc.stdout.close()  # like `| head -1`
        stderr = proc.stderr.read()
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 141
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
    assert UserMessage.of("talk") in load_rollout(list_rollouts(resolve_paths())[0][1]).items


def test_the_api_key_never_reaches_rollout_log_or_output(
    fake: FakeProvider, workdir: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-fake-DO-NOT-LEAK-0123456789abcdef"
    config = isolated_home / "config.toml"
    # log_level at the top level, env_key into the [model_providers.fake] table that ends the file
    config.write_text('log_level = "debug"\n' + config.read_text() + 'env_key = "FAKE_PROVIDER_KEY"\n')
    monkeypatch.setenv("FAKE_PROVIDER_KEY", secret)
    fake.script(HttpError(500, message=f"upstream echoed Bearer {secret}", should_retry=False))
    out = run("--json", *QUIET, "hi", cwd=workdir)
    assert out.returncode == 1
    assert fake.last_request.headers["Authorization"] == f"Bearer {secret}", "the key was really used"
    written = [p.read_text() for p in isolated_home.rglob("*") if p.is_file() and p.name != "config.toml"]
    assert any("session_meta" in text for text in written) and any("DEBUG" in text for text in written)
    for text in [out.stdout, out.stderr, *written]:
        assert secret not in text


def test_resume_on_another_provider_and_wire(fake: FakeProvider, workdir: Path, isolated_home: Path) -> None:
    """A session recorded on Anthropic Messages (thinking with a signature, a tool call) continues on
    Chat Completions: the history is mapped, Anthropic's opaque signature is not sent to the other vendor."""
    with (isolated_home / "config.toml").open("a") as config:
        config.write(
            "[model_providers.claude_fake]\n"
            f'base_url = "{fake.base_url}"\n'
            'wire_api = "messages"\n'
            "[model_providers.chat_fake]\n"
            f'base_url = "{fake.base_url}"\n'
            'wire_api = "chat"\n'
        )
    fake.script(
        Reply(
            reasoning="Let me look.",
            signature="SIG-OPAQUE",
            tool_calls=[Call("shell", json.dumps({"command": ["echo", "seen"]}), call_id="toolu_01")],
        ),
        Reply(text="It says seen."),
    )
    first = run("--provider", "claude_fake", "-m", "claude-sonnet-4-5", *QUIET, "look", cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert fake.requests[-1].dialect == "messages"

    fake.script(Reply(text="continued on chat"))
    out = run("resume", "--last", "--provider", "chat_fake", "-m", "qwen3-coder", *QUIET, "and now?", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "continued on chat" in out.stdout
    request = fake.last_request
    assert request.dialect == "chat"
    body = json.dumps(request.json)
    assert "SIG-OPAQUE" not in body
    messages = request.json["messages"]
    roles = [m["role"] for m in messages]
    assert roles[0] == "system" and roles[-1] == "user"
    [call_message] = [m for m in messages if m.get("tool_calls")]
    assert call_message["tool_calls"][0]["id"] == "toolu_01"
    [tool_message] = [m for m in messages if m["role"] == "tool"]
    assert tool_message["tool_call_id"] == "toolu_01" and "seen" in tool_message["content"]


def test_cd_flag_is_the_workspace(fake: FakeProvider, workdir: Path, tmp_path: Path) -> None:
    """`-C DIR` from elsewhere: commands and patches run in DIR, its AGENTS.md applies, the session is
    recorded there, and `resume --last -C DIR` finds it again."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (workdir / "AGENTS.md").write_text("rules of the work repo")
    patch = "*** Begin Patch\n*** Add File: made.txt\n+here\n*** End Patch\n"
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["pwd"]}))]),
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}))]),
        Reply(text="done"),
    )
    out = run("--json", *QUIET, "-C", str(workdir), "where am I?", cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    [command] = [
        e["item"] for e in events(out) if e["type"] == "item.completed" and e["item"]["type"] == "command_execution"
    ]
    assert command["aggregated_output"].strip() == str(workdir.resolve())
    assert (workdir / "made.txt").read_text() == "here\n" and not (elsewhere / "made.txt").exists()
    assert "rules of the work repo" in json.dumps(fake.requests[0].json)
    path = list_rollouts(resolve_paths())[0][1]
    assert load_rollout(path).meta.cwd == str(workdir.resolve())

    fake.script(Reply(text="again"))
    resumed = run("resume", "--last", "--json", *QUIET, "-C", str(workdir), "and now?", cwd=elsewhere)
    assert resumed.returncode == 0, resumed.stderr
    assert events(resumed)[0] == {"type": "thread.started", "thread_id": load_rollout(path).meta.id}
