"""Vendor-native tool forms map onto the same executors: Anthropic bash / text editor, Responses freeform patch."""

from __future__ import annotations

import json
from pathlib import Path

from codex_py.agent.events import CommandEnd, PatchEnd
from codex_py.protocol import ToolResult
from codex_py.tools.apply_patch import apply_patch
from codex_py.tools.text_editor import edit_as_patch
from tests.agent_support import make_session
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_agent import tool_outputs


async def test_claude_native_tools_are_offered_and_executed(fake_provider: FakeProvider, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def greet():\n    return 'hi'\n")
    edit = {"command": "str_replace", "path": "app.py", "old_str": "'hi'", "new_str": "'hello'"}
    fake_provider.script(
        Reply(tool_calls=[Call("bash", json.dumps({"command": "cat app.py | wc -l"}), call_id="toolu_a")]),
        Reply(tool_calls=[Call("str_replace_based_edit_tool", json.dumps(edit), call_id="toolu_b")]),
        Reply(text="Done."),
    )
    session, sink = make_session(fake_provider, tmp_path, "messages", model="claude-sonnet-4-5")
    await session.run_turn("edit")
    await session.aclose()
    tools = fake_provider.requests[0].json["tools"]
    types = {t.get("type") for t in tools}
    assert any(t and t.startswith("bash_") for t in types)
    assert any(t and t.startswith("text_editor_") for t in types)
    assert {"shell", "apply_patch", "update_plan"} <= {t["name"] for t in tools}
    assert (tmp_path / "app.py").read_text() == "def greet():\n    return 'hello'\n"
    assert sink.of(CommandEnd)[0].command == ["bash", "-lc", "cat app.py | wc -l"]
    assert "2" in tool_outputs(fake_provider.requests[1].json, "messages")["toolu_a"]
    assert sink.of(PatchEnd)[0].status == "completed"


async def test_responses_freeform_apply_patch(fake_provider: FakeProvider, tmp_path: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: free.txt\n+freeform\n*** End Patch\n"
    fake_provider.script(
        Reply(tool_calls=[Call("apply_patch", patch, call_id="call_p", kind="custom")]), Reply(text="ok")
    )
    session, _ = make_session(fake_provider, tmp_path, "responses", model="gpt-5.1-codex")
    await session.run_turn("add")
    await session.aclose()
    [tool] = [t for t in fake_provider.requests[0].json["tools"] if t["name"] == "apply_patch"]
    assert tool["type"] == "custom"
    assert (tmp_path / "free.txt").read_text() == "freeform\n"
    outputs = tool_outputs(fake_provider.requests[1].json, "responses")
    assert "A free.txt" in outputs["call_p"]


def test_text_editor_view_create_insert(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb\nc\n")
    view = edit_as_patch({"command": "view", "path": "f.txt", "view_range": [2, 3]}, tmp_path)
    assert isinstance(view, ToolResult) and view.output == "     2\tb\n     3\tc"
    patch = edit_as_patch({"command": "insert", "path": "f.txt", "insert_line": 1, "new_str": "X"}, tmp_path)
    assert isinstance(patch, str)
    apply_patch(patch, tmp_path)
    assert (tmp_path / "f.txt").read_text() == "a\nX\nb\nc\n"
    created = edit_as_patch({"command": "create", "path": "sub/new.md", "file_text": "# T\n\nbody"}, tmp_path)
    assert isinstance(created, str)
    apply_patch(created, tmp_path)
    assert (tmp_path / "sub/new.md").read_text() == "# T\n\nbody\n"


def test_text_editor_rejects_ambiguous_or_missing_text(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x = 1\nx = 1\n")
    twice = edit_as_patch({"command": "str_replace", "path": "f.txt", "old_str": "x = 1", "new_str": "y"}, tmp_path)
    assert isinstance(twice, ToolResult) and twice.is_error and "2 times" in twice.output
    missing = edit_as_patch({"command": "str_replace", "path": "f.txt", "old_str": "nope", "new_str": "y"}, tmp_path)
    assert isinstance(missing, ToolResult) and "not found" in missing.output
    unknown = edit_as_patch({"command": "undo_edit", "path": "f.txt"}, tmp_path)
    assert isinstance(unknown, ToolResult) and unknown.is_error


def test_text_editor_edit_in_a_long_file_uses_context_hunks(tmp_path: Path) -> None:
    lines = [f"line {i}" for i in range(200)]
    (tmp_path / "long.txt").write_text("\n".join(lines) + "\n")
    patch = edit_as_patch(
        {"command": "str_replace", "path": "long.txt", "old_str": "line 150\n", "new_str": "LINE 150\n"}, tmp_path
    )
    assert isinstance(patch, str) and patch.count("\n") < 20
    apply_patch(patch, tmp_path)
    assert (tmp_path / "long.txt").read_text().splitlines()[150] == "LINE 150"


def test_text_editor_edits_the_occurrence_it_was_given_when_context_repeats(tmp_path: Path) -> None:
    body = "    x = 1\n    y = 2\n    z = 3\n    return x\n"
    (tmp_path / "f.py").write_text(f"def a():\n    # alpha\n{body}\n\ndef b():\n    # beta\n{body}")
    old, new = f"# beta\n{body}", f"# beta\n{body.replace('return x', 'return y')}"
    patch = edit_as_patch({"command": "str_replace", "path": "f.py", "old_str": old, "new_str": new}, tmp_path)
    assert isinstance(patch, str)
    apply_patch(patch, tmp_path)
    text = (tmp_path / "f.py").read_text()
    assert text.index("return x") < text.index("def b():") < text.index("return y"), text


def test_text_editor_edits_in_a_file_of_repeated_lines_stay_fast(tmp_path: Path) -> None:
    """40,000 identical lines: the patch needs the whole file as context to land in the middle; building
    and checking it used a line diff that took minutes on the event loop."""
    import time

    (tmp_path / "same.txt").write_text("x = 1\n" * 40_000)
    started = time.monotonic()
    patch = edit_as_patch({"command": "insert", "path": "same.txt", "insert_line": 20_000, "new_str": "NEW"}, tmp_path)
    assert isinstance(patch, str)
    apply_patch(patch, tmp_path)
    lines = (tmp_path / "same.txt").read_text().splitlines()
    assert (lines.index("NEW"), len(lines)) == (20_000, 40_001)
    (tmp_path / "one.txt").write_text("x = 1\n" * 20_000 + "y\n" + "x = 1\n" * 20_000)
    patch = edit_as_patch({"command": "str_replace", "path": "one.txt", "old_str": "y\n", "new_str": "z\n"}, tmp_path)
    assert isinstance(patch, str) and patch.count("\n") < 20  # the unique line anchors a small chunk
    apply_patch(patch, tmp_path)
    assert (tmp_path / "one.txt").read_text().splitlines()[20_000] == "z"
    assert time.monotonic() - started < 3
