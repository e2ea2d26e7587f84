"""``/review --with ID`` under Pilot: the review runs on another vendor (the Messages wire of the loopback fake),
its findings appear in the transcript and reach the main model (the Responses wire) with the next message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.review import parse_review_args
from codex_py.tui.screens.picker import PickerScreen
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.review_cell import ReviewCell
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_review import CHANGED, commit_all, findings_json, git
from tests.test_tui_conversation import answers, idle, send, wait_for

ORIGINAL = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "calc.py").write_text(ORIGINAL)
    commit_all(path, "Add calc")
    (path / "calc.py").write_text(CHANGED)
    return path


def make_app(fake: FakeProvider, workspace: Path) -> CodexApp:
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                'model_providers.fake.wire_api="responses"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=0",
                f'model_providers.anthropic.base_url="{fake.base_url}"',
                "model_providers.anthropic.request_max_retries=0",
                "model_providers.anthropic.stream_max_retries=0",
            ],
        )
    )
    return CodexApp(config)


async def test_review_with_another_vendor_posts_the_findings(
    fake_provider: FakeProvider, isolated_home: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["cat", "calc.py"]}))]),
        Reply(text=findings_json(repo / "calc.py")),
        Reply(text="Swapped the operands back."),
    )
    app = make_app(fake_provider, repo)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/review --with anthropic --uncommitted")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(ReviewCell)), "review cell")
        await wait_for(pilot, idle(app), "review ended")
        cell = app.chat.transcript.query_one(ReviewCell)
        assert cell.title == "Review of the uncommitted changes by anthropic · claude-sonnet-4-5 — patch is incorrect"
        assert f"- [P1] Swap the operands back in sub — {repo / 'calc.py'}:5-6" in cell.text
        assert cell.text.index("[P1]") < cell.text.index("[P2]")
        assert [c.command for c in app.chat.transcript.query(CommandCell)] == [["cat", "calc.py"]]
        assert answers(app) == []  # the reviewer's JSON is not shown as an answer of the main model
        review_requests = fake_provider.requests
        assert [r.path.rsplit("/", 1)[-1] for r in review_requests] == ["messages", "messages"]
        assert "+    return b - a  # reviewed change" in json.dumps(review_requests[0].json["messages"])
        assert [t["name"] for t in review_requests[0].json["tools"]] == ["shell"]

        await send(pilot, app, "fix the P1")
        await wait_for(pilot, lambda: answers(app) == ["Swapped the operands back."], "main answer")
        main = fake_provider.last_request
        assert main.path.endswith("/responses") and main.json["model"] == "gpt-fake"
        sent = json.dumps(main.json["input"], ensure_ascii=False)
        assert "<user_action>" in sent and "Swap the operands back in sub" in sent
        assert "by a second model (anthropic · claude-sonnet-4-5)" in sent
        assert sent.index("Swap the operands back in sub") < sent.index("fix the P1")
        assert app.config.model_provider == "fake"  # the session itself stays on its provider


async def test_review_picker_and_errors(fake_provider: FakeProvider, isolated_home: Path, repo: Path) -> None:
    fake_provider.script(Reply(text=findings_json(repo / "calc.py")))
    app = make_app(fake_provider, repo)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/review --with nope --uncommitted")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(Notice)), "notice")
        assert any("unknown provider 'nope'" in n.message for n in app.chat.transcript.query(Notice))

        await send(pilot, app, "/review")  # no target: the picker asks; the first choice is uncommitted changes
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "picker")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(ReviewCell)), "review cell")
        await wait_for(pilot, idle(app), "review ended")
        cell = app.chat.transcript.query_one(ReviewCell)
        assert "by fake · gpt-fake" in cell.title  # no --with: the session's own provider and model
        assert fake_provider.last_request.path.endswith("/responses")
        assert "+    return b - a  # reviewed change" in json.dumps(fake_provider.last_request.json["input"])


def test_parse_review_args() -> None:
    parsed = parse_review_args("--with anthropic -m claude-opus-4-1 --base main 'look at sub'")
    assert (parsed.provider, parsed.model) == ("anthropic", "claude-opus-4-1")
    assert parsed.target is not None
    assert (parsed.target.kind, parsed.target.ref, parsed.target.instructions) == ("base", "main", "look at sub")
    assert parse_review_args("--with anthropic").target is None  # the picker asks
    for bad in ("--with", "--frobnicate", "--uncommitted --base main", "'unclosed"):
        with pytest.raises(Exception) as info:
            parse_review_args(bad)
        assert "review" in str(info.value).lower() or "together" in str(info.value)
