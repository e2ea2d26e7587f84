"""Rollouts: lossless items, crash tolerance, resume lookup, listing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codex_py.config import Config, resolve_paths
from codex_py.errors import UsageError
from codex_py.protocol.items import (
    AssistantMessage,
    ImagePart,
    Item,
    Reasoning,
    TextPart,
    ToolCall,
    ToolResult,
    UserMessage,
)
from codex_py.session.listing import format_session, list_sessions
from codex_py.session.rollout import (
    ABORTED_ON_RESUME,
    RolloutRecorder,
    find_rollout,
    load_rollout,
    read_header,
    session_id_of,
)
from codex_py.session.serialize import ItemDecodeError, item_from_json, item_to_json

EVERY_ITEM: list[Item] = [
    UserMessage((TextPart("fix the bug"), ImagePart("data:image/png;base64,iVBORw0KGgo=", "image/png"))),
    UserMessage.of("héllo ✓ \u0000 \n tabs\t"),
    Reasoning(
        "thinking about it",
        "responses",
        {"id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}], "encrypted_content": "gAAAA=="},
    ),
    Reasoning("", "messages", {"redacted": "opaque-data"}),
    Reasoning("plain", "messages", {"signature": "sig=="}),
    Reasoning("no payload"),
    AssistantMessage("Done.", {"responses": {"phase": "final_answer"}}),
    AssistantMessage(""),
    ToolCall("call_1", "shell", '{"command": ["ls", "-la"]}'),
    ToolCall("call_2", "apply_patch", "*** Begin Patch\n*** End Patch", "custom", {"responses": {"id": "ctc_1"}}),
    ToolResult("call_1", "Exit code: 0\nOutput:\nfile", False),
    ToolResult("call_2", "verification failed", True),
]


def make_config(cwd: Path, model: str = "gpt-test", provider: str = "fake") -> Config:
    return Config(model=model, model_provider=provider, cwd=cwd)


def make_repo(root: Path, branch: str = "feature/x", commit: str = "a" * 40) -> Path:
    (root / ".git" / "refs" / "heads" / "feature").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
    (root / ".git" / "refs" / "heads" / branch).write_text(commit + "\n")
    return root


def record(cwd: Path, items: list[Item], **kwargs: str) -> Path:
    recorder = RolloutRecorder.create(
        resolve_paths(), session_id=kwargs.pop("sid", os.urandom(8).hex()), config=make_config(cwd, **kwargs)
    )
    for item in items:
        recorder.record_item(item)
    recorder.close()
    return recorder.path


@pytest.mark.parametrize("item", EVERY_ITEM, ids=lambda i: type(i).__name__)
def test_every_item_round_trips_through_json_text(item: Item) -> None:
    assert item_from_json(json.loads(json.dumps(item_to_json(item)))) == item


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"type": "nope"},
        {"type": "user", "content": "x"},
        {"type": "tool_call", "call_id": 1, "name": "a"},
        {"type": "tool_call", "call_id": "c", "name": "n", "arguments": "", "kind": "weird"},
    ],
)
def test_unknown_or_malformed_items_are_rejected(bad: object) -> None:
    with pytest.raises(ItemDecodeError):
        item_from_json(bad)


def test_recorder_writes_header_and_items_and_load_restores_them(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    recorder = RolloutRecorder.create(resolve_paths(), session_id="0f0e-sid", config=make_config(repo))
    assert not recorder.path.exists(), "no file before the first record"
    for item in EVERY_ITEM:
        recorder.record_item(item)
    # every line is on disk before close (flushed per item)
    lines = recorder.path.read_text().splitlines()
    assert len(lines) == 1 + len(EVERY_ITEM)
    recorder.close()

    assert re.fullmatch(r"rollout-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-0f0e-sid\.jsonl", recorder.path.name)
    year, month, day = recorder.path.parent.parts[-3:]
    assert recorder.path.name.startswith(f"rollout-{year}-{month}-{day}T")
    assert recorder.path.is_relative_to(resolve_paths().sessions_dir)
    assert recorder.path.stat().st_mode & 0o777 == 0o600
    header = json.loads(lines[0])
    assert header["type"] == "session_meta"
    assert header["payload"]["id"] == "0f0e-sid"
    assert header["payload"]["cwd"] == str(repo)
    assert header["payload"]["git"] == {"branch": "feature/x", "commit": "a" * 40}
    assert (header["payload"]["model_provider"], header["payload"]["model"]) == ("fake", "gpt-test")
    assert all(set(json.loads(line)) == {"timestamp", "type", "payload"} for line in lines)

    loaded = load_rollout(recorder.path)
    assert loaded.meta.id == "0f0e-sid"
    assert loaded.meta.git_branch == "feature/x"
    assert loaded.items == EVERY_ITEM


def test_git_info_from_packed_refs_and_detached_head(tmp_path: Path) -> None:
    from codex_py.session.git import read_git_info

    repo = tmp_path / "r"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "packed-refs").write_text(f"# pack-refs\n{'b' * 40} refs/heads/main\n")
    (repo / "sub").mkdir()
    info = read_git_info(repo / "sub")
    assert info is not None and (info.branch, info.commit) == ("main", "b" * 40)
    (repo / ".git" / "HEAD").write_text("c" * 40 + "\n")
    info = read_git_info(repo)
    assert info is not None and (info.branch, info.commit) == (None, "c" * 40)
    assert read_git_info(tmp_path) is None


def test_truncated_last_line_is_tolerated_and_reopen_continues_cleanly(tmp_path: Path) -> None:
    path = record(tmp_path, [UserMessage.of("first"), AssistantMessage("answer")])
    with path.open("a") as fh:  # a crash in the middle of writing the next line
        fh.write('{"timestamp": "2025-01-01T00:00:00Z", "type": "response_item", "payload": {"type": "assis')
    assert load_rollout(path).items == [UserMessage.of("first"), AssistantMessage("answer")]

    recorder = RolloutRecorder.reopen(path)
    recorder.record_item(UserMessage.of("continue"))
    recorder.close()
    assert load_rollout(path).items == [UserMessage.of("first"), AssistantMessage("answer"), UserMessage.of("continue")]


def test_compaction_record_replaces_earlier_history(tmp_path: Path) -> None:
    path = record(tmp_path, [UserMessage.of("a"), AssistantMessage("b"), UserMessage.of("c")])
    recorder = RolloutRecorder.reopen(path)
    replacement: list[Item] = [UserMessage.of("c"), UserMessage.of("SUMMARY")]
    recorder.record_event("compacted", {"summary": "SUMMARY", "replacement_history": replacement})
    recorder.record_item(AssistantMessage("after"))
    recorder.record_event("turn_aborted", {"reason": "interrupted"})
    recorder.close()
    assert load_rollout(path).items == [*replacement, AssistantMessage("after")]


def test_unanswered_tool_calls_get_an_aborted_result_on_load(tmp_path: Path) -> None:
    items: list[Item] = [
        UserMessage.of("go"),
        ToolCall("c1", "shell", "{}"),
        ToolCall("c2", "shell", "{}"),
        ToolResult("c1", "ok"),
    ]
    loaded = load_rollout(record(tmp_path, items)).items
    assert loaded == [*items, ToolResult("c2", ABORTED_ON_RESUME, is_error=True)]


def test_a_file_without_header_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "x.jsonl"
    bogus.write_text('{"type": "response_item", "payload": {}}\n')
    with pytest.raises(UsageError, match="not a codex-py session"):
        load_rollout(bogus)


def test_find_rollout_by_prefix_and_last(tmp_path: Path) -> None:
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    paths = resolve_paths()
    with pytest.raises(UsageError, match="no recorded sessions") as info:
        find_rollout(paths, None, last=True, cwd=here)
    assert info.value.exit_code == 2

    a = record(here, [UserMessage.of("one")], sid="abc11111-0000")
    b = record(here, [UserMessage.of("two")], sid="abc22222-0000")
    c = record(elsewhere, [UserMessage.of("three")], sid="def33333-0000")
    now = time.time()
    for offset, path in ((-30, a), (-20, b), (-10, c)):
        os.utime(path, (now + offset, now + offset))

    assert find_rollout(paths, "abc2") == b
    assert find_rollout(paths, "DEF") == c
    assert session_id_of(a) == "abc11111-0000"
    with pytest.raises(UsageError, match="matches 2 sessions"):
        find_rollout(paths, "abc")
    with pytest.raises(UsageError, match="no recorded session matches"):
        find_rollout(paths, "zzz")
    assert find_rollout(paths, None, last=True, cwd=here) == b, "newest in this cwd wins"
    with pytest.raises(UsageError, match="no recorded session ran in"):
        find_rollout(paths, None, last=True, cwd=tmp_path / "nowhere")  # never an unrelated conversation
    assert find_rollout(paths, None, last=True) == c, "without a folder: the newest overall"


def test_listing_newest_first_with_first_prompt(tmp_path: Path) -> None:
    old = record(
        tmp_path,
        [UserMessage.of("first   prompt\nspans lines"), AssistantMessage("x"), UserMessage.of("second")],
        sid="old-1",
        model="m-old",
    )
    new = record(tmp_path, [AssistantMessage("no user yet")], sid="new-2", provider="anthropic", model="claude-x")
    os.utime(old, (time.time() - 100, time.time() - 100))
    sessions = list_sessions(resolve_paths())
    assert [s.id for s in sessions] == ["new-2", "old-1"]
    assert sessions[1].first_prompt == "first   prompt\nspans lines"
    line = format_session(sessions[1], 0)
    assert line.startswith("old-1  ")
    assert line.endswith(f"{tmp_path}  fake/m-old  first prompt spans lines")
    assert format_session(sessions[0], 0).endswith("anthropic/claude-x  (no prompt)")
    cut = format_session(sessions[1], 30)
    assert len(cut) == 30 and cut.endswith("…")
    assert read_header(new) is not None


def test_sessions_command_prints_the_list(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "codex_py", "sessions"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == ""
    assert "No recorded sessions yet" in out.stderr
    record(tmp_path, [UserMessage.of("hello there")], sid="sess-1")
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "codex_py", "sessions"], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("sess-1  ") and out.stdout.rstrip().endswith("fake/gpt-test  hello there")
