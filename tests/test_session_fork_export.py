"""``codex-py sessions fork`` and ``codex-py sessions export`` end to end: sessions recorded by exec against the
scripted loopback model, then forked / exported by the real CLI in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_py.config import resolve_paths
from codex_py.session.rollout import SessionLock, is_prompt, list_rollouts, load_rollout, read_header
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply

QUIET = ["-s", "danger-full-access", "-a", "never"]
ODD_SECRET = "zq9-not-a-known-shape-4c1f7e2b9a"
"""A credential of no known shape: masked only because the environment names it as the provider's key."""


@pytest.fixture
def fake(fake_provider: FakeProvider, isolated_home: Path) -> FakeProvider:
    (isolated_home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{fake_provider.base_url}"\nwire_api = "responses"\nenv_key = "FAKE_PROVIDER_KEY"\n'
        "request_max_retries = 0\nstream_max_retries = 1\n"
    )
    return fake_provider


def codex(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FAKE_PROVIDER_KEY": "fake-key-for-tests", **(env or {})},
    )


def two_turn_session(fake: FakeProvider, ws: Path) -> Path:
    """A session of two turns (each runs a command), recorded by exec; returns its rollout."""
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", "echo one > one.txt"]}))]),
        Reply(text="first answer"),
        Reply(text="second answer"),
    )
    assert codex("exec", *QUIET, "turn one", cwd=ws).returncode == 0
    resumed = codex("exec", *QUIET, "resume", "--last", "turn two", cwd=ws)
    assert resumed.returncode == 0, resumed.stderr
    [(_, rollout)] = list_rollouts(resolve_paths())
    return rollout


def user_texts(request_json: dict[str, object]) -> list[str]:
    texts: list[str] = []
    for item in request_json.get("input") or []:  # type: ignore[attr-defined]
        if isinstance(item, dict) and item.get("role") == "user":
            for part in item.get("content") or []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    texts.append(part["text"])
    return texts


def test_fork_at_turn_copies_that_history_and_leaves_the_original_untouched(fake: FakeProvider, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    original = two_turn_session(fake, ws)
    meta = read_header(original)
    assert meta is not None
    digest = hashlib.sha256(original.read_bytes()).hexdigest()

    out = codex("sessions", "fork", meta.id[:8], "--at-turn", "1", cwd=ws)
    assert out.returncode == 0, out.stderr
    new_id = out.stdout.strip()
    assert new_id and new_id != meta.id
    forked = next(p for _, p in list_rollouts(resolve_paths()) if p.name.endswith(f"-{new_id}.jsonl"))
    header = read_header(forked)
    assert header is not None and header.id == new_id and header.forked_from_id == meta.id
    assert header.cwd == meta.cwd
    loaded = load_rollout(forked)
    assert [i.text for i in loaded.transcript if is_prompt(i)] == ["turn one"]  # type: ignore[union-attr]
    assert "first answer" in [getattr(i, "text", None) for i in loaded.items]
    assert oct(forked.stat().st_mode & 0o777) == "0o600"
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest  # the original is untouched

    # the fork goes on from turn one: the model sees turn one, never turn two
    fake.script(Reply(text="third answer"))
    cont = codex("exec", *QUIET, "resume", new_id, "turn three", cwd=ws)
    assert cont.returncode == 0, cont.stderr
    texts = user_texts(fake.last_request.json)
    assert "turn one" in texts and "turn three" in texts and "turn two" not in texts
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest

    whole = codex("sessions", "fork", meta.id, cwd=ws)  # default: every turn
    assert whole.returncode == 0, whole.stderr
    copy = next(p for _, p in list_rollouts(resolve_paths()) if p.name.endswith(f"-{whole.stdout.strip()}.jsonl"))
    assert [i.text for i in load_rollout(copy).transcript if is_prompt(i)] == ["turn one", "turn two"]  # type: ignore[union-attr]

    too_far = codex("sessions", "fork", meta.id, "--at-turn", "5", cwd=ws)
    assert too_far.returncode == 2
    assert too_far.stderr.startswith("error: session") and "has 2 turns, not 5" in too_far.stderr
    assert "Traceback" not in too_far.stderr


def test_fork_and_export_work_on_a_running_session(fake: FakeProvider, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    original = two_turn_session(fake, ws)
    meta = read_header(original)
    assert meta is not None
    lock = SessionLock.acquire(original, meta.id)  # as a live run holds it
    try:
        with original.open("ab") as fh:
            fh.write(b'{"timestamp": "2026-01-01T00:00:00Z", "type": "response_item", "payl')  # a write in flight
        busy = codex("exec", *QUIET, "resume", meta.id, "again", cwd=ws)
        assert busy.returncode == 2 and "in use by another codex-py process" in busy.stderr
        forked = codex("sessions", "fork", meta.id, cwd=ws)
        assert forked.returncode == 0, forked.stderr
        exported = codex("sessions", "export", meta.id, "--format", "json", cwd=ws)
        assert exported.returncode == 0, exported.stderr
        assert [t["prompt"] for t in json.loads(exported.stdout)["turns"]] == ["turn one", "turn two"]
    finally:
        lock.release()
    copy = next(p for _, p in list_rollouts(resolve_paths()) if p.name.endswith(f"-{forked.stdout.strip()}.jsonl"))
    assert all(json.loads(line) for line in copy.read_text().splitlines())  # the torn line was left out
    fake.script(Reply(text="ok"))
    assert codex("exec", *QUIET, "resume", forked.stdout.strip(), "go on", cwd=ws).returncode == 0


def export_session(fake: FakeProvider, ws: Path) -> str:
    """One turn with reasoning, a patch, a long command and an answer; returns the session id."""
    patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"
    fake.script(
        Reply(
            reasoning="I should create the file first.",
            tool_calls=[Call("apply_patch", json.dumps({"input": patch}))],
        ),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", "seq 1 200"]}))]),
        Reply(text="Created **hello.txt** and counted."),
    )
    out = codex("exec", *QUIET, "make hello.txt", cwd=ws)
    assert out.returncode == 0, out.stderr
    [(_, rollout)] = list_rollouts(resolve_paths())
    meta = read_header(rollout)
    assert meta is not None
    # a line recorded before redaction existed (or by a process that did not know this key)
    leak = {"type": "user", "content": [{"type": "text", "text": f"my key is {ODD_SECRET} and sk-proj-{'a' * 40}"}]}
    with rollout.open("a") as fh:
        fh.write(json.dumps({"timestamp": "2026-01-01T00:00:00Z", "type": "response_item", "payload": leak}) + "\n")
    return meta.id


def test_export_markdown_and_json(fake: FakeProvider, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    session_id = export_session(fake, ws)
    env = {"FAKE_PROVIDER_KEY": ODD_SECRET}

    md = codex("sessions", "export", session_id, cwd=ws, env=env)
    assert md.returncode == 0, md.stderr
    text = md.stdout
    assert text.startswith(f"# codex-py session {session_id}\n")
    assert "## Turn 1\n\n**User**\n\nmake hello.txt\n" in text
    assert "<details><summary>Reasoning</summary>\n\nI should create the file first.\n\n</details>" in text
    assert "**Patch** (completed)" in text and "```diff\n" in text and "+hello" in text
    assert "**Command** (completed · exit 0" in text and "```sh\nseq 1 200\n```" in text
    assert "\n1\n2\n" in text and "[... 160 lines omitted ...]" in text and "\n200\n```" in text
    assert "\n100\n" not in text  # the middle of the output is left out
    assert "**Assistant**\n\nCreated **hello.txt** and counted." in text
    assert ODD_SECRET not in text and "sk-proj-aaaa" not in text and "[REDACTED]" in text

    out_file = tmp_path / "export.json"
    js = codex("sessions", "export", session_id, "-o", str(out_file), cwd=ws, env=env)  # format from the suffix
    assert js.returncode == 0, js.stderr
    assert oct(out_file.stat().st_mode & 0o777) == "0o600"
    raw = out_file.read_text()
    assert ODD_SECRET not in raw and "sk-proj-aaaa" not in raw
    doc = json.loads(raw)
    assert doc["schema"] == "codex-py/session-export" and doc["version"] == 1
    assert doc["session"]["id"] == session_id and doc["session"]["model"] == "gpt-fake"
    [turn, leaked] = doc["turns"]
    assert turn["number"] == 1 and turn["prompt"] == "make hello.txt"
    kinds = [entry["type"] for entry in turn["items"]]
    assert kinds == ["reasoning", "patch", "command", "assistant"]
    patch, command = turn["items"][1], turn["items"][2]
    assert patch["changes"][0]["path"].endswith("hello.txt") and patch["changes"][0]["kind"] == "add"
    assert command["command"] == "seq 1 200" and command["exit_code"] == 0 and command["status"] == "completed"
    assert command["output"].splitlines()[:2] == ["1", "2"] and "200" in command["output"]
    assert leaked["prompt"].startswith("my key is [REDACTED]")

    bad = codex("sessions", "export", session_id, "--format", "html", cwd=ws)
    assert bad.returncode == 2 and "unknown export format 'html'" in bad.stderr and "Traceback" not in bad.stderr
    missing = codex("sessions", "export", "nope-not-a-session", cwd=ws)
    assert missing.returncode == 2 and "no recorded session matches" in missing.stderr


def test_sessions_without_a_command_still_lists(fake: FakeProvider, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    rollout = two_turn_session(fake, ws)
    listed = codex("sessions", cwd=ws)
    assert listed.returncode == 0, listed.stderr
    meta = read_header(rollout)
    assert meta is not None
    assert listed.stdout.startswith(meta.id) and "turn one" in listed.stdout


def test_rewind_records_and_reading_up_to_a_prompt_across_a_compaction(tmp_path: Path) -> None:
    """load_rollout(stop_before_prompt=k) gives the session as it was before prompt k, even when a compaction
    replaced the history since; a thread_rolled_back record replaces the history and cuts the transcript."""
    from codex_py.session.compaction import SUMMARY_PREFIX
    from codex_py.session.rewind import conversation_before, prompts

    def user(text: str) -> dict[str, object]:
        return {"type": "user", "content": [{"type": "text", "text": text}]}

    def line(kind: str, payload: object) -> str:
        return json.dumps({"timestamp": "2026-01-01T00:00:00Z", "type": kind, "payload": payload}) + "\n"

    path = tmp_path / "rollout-2026-01-01T00-00-00-s1.jsonl"
    summary = user(SUMMARY_PREFIX + "did one and two")
    path.write_text(
        line("session_meta", {"id": "s1", "cwd": str(tmp_path)})
        + line("response_item", user("one"))
        + line("response_item", {"type": "assistant", "text": "a1"})
        + line("response_item", user('<hook_context hook_event="x">\nnot a prompt\n</hook_context>'))
        + line("response_item", user("two"))
        + line("response_item", {"type": "assistant", "text": "a2"})
        + line("compacted", {"summary": "s", "replacement_history": [user("two"), summary]})
        + line("response_item", user("three"))
        + line("response_item", {"type": "assistant", "text": "a3"})
    )
    loaded = load_rollout(path)
    listed = prompts(loaded.transcript)
    assert [p.message.text for p in listed] == ["one", "two", "three"]
    # "two" is no longer in the live history (compacted): its history is rebuilt from the file
    history, transcript = conversation_before(listed[1], loaded.items, loaded.transcript, path)
    texts = [str(getattr(i, "text", "")) for i in history]
    assert texts[:2] == ["one", "a1"] and texts[2].startswith("<hook_context") and len(texts) == 3
    assert transcript == loaded.transcript[: listed[1].position]
    # "three" is still live: the exact items are cut
    history3, _ = conversation_before(listed[2], loaded.items, loaded.transcript, path)
    assert history3 == loaded.items[:2]
    before_three = load_rollout(path, stop_before_prompt=2)
    assert before_three.stopped_at == 7 and before_three.items == loaded.items[:2]
    assert load_rollout(path, stop_before_prompt=3).stopped_at is None

    with path.open("a") as fh:  # /rewind to before "two", then a new prompt
        fh.write(line("thread_rolled_back", {"replacement_history": [user("one")], "prompts_kept": 1}))
        fh.write(line("response_item", user("two again")))
    again = load_rollout(path)
    assert [getattr(i, "text", None) for i in again.items] == ["one", "two again"]
    assert [p.message.text for p in prompts(again.transcript)] == ["one", "two again"]
    assert [getattr(i, "text", None) for i in again.transcript][:2] == ["one", "a1"]
