"""Skills, custom prompts, project-hook trust and desktop notifications in the TUI (Pilot, loopback fake)."""

from __future__ import annotations

import json
from pathlib import Path

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.picker import PickerScreen
from codex_py.tui.widgets.notice import Notice
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_tui_conversation import idle, send, wait_for


def make_app(fake: FakeProvider, workspace: Path, *extra: str, approval: str = "never") -> CodexApp:
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            approval=approval,
            sandbox="danger-full-access",
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                'model_providers.fake.wire_api="chat"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=0",
                *extra,
            ],
        )
    )
    return CodexApp(config)


def submit(app: CodexApp, text: str) -> None:
    app.chat.composer.load_text(text)
    app.chat.composer.submit()


def notices(app: CodexApp) -> list[str]:
    return [f"{n.message} | {n.hint}" for n in app.chat.transcript.query(Notice)]


async def test_prompts_and_skills_from_the_composer(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    (isolated_home / "prompts").mkdir()
    (isolated_home / "prompts" / "fix.md").write_text("---\ndescription: Fix it\n---\nPlease fix $ARGUMENTS now.\n")
    (isolated_home / "prompts" / "review.md").write_text("Review $FILE for $FOCUS.\n")
    skill = isolated_home / "skills" / "pdf-tools"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: pdf-tools\ndescription: Read PDFs.\n---\nSKILL-BODY-4411\n")
    fake_provider.script(Reply(text="fixed"), Reply(text="used"), Reply(text="slashed"))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")

        app.chat.composer.load_text("/prompts:")
        await pilot.pause()
        popup = app.chat.popup
        labels = " ".join(str(popup.get_option_at_index(i).prompt) for i in range(popup.option_count))
        assert "/prompts:fix" in labels and "/prompts:review" in labels, labels
        assert "FILE=… FOCUS=…" in labels, "the popup shows a prompt's arguments"

        await send(pilot, app, "/prompts:fix the parser")
        await wait_for(pilot, idle(app), "prompt turn")
        assert "Please fix the parser now." in json.dumps(fake_provider.requests[0].json)

        await send(pilot, app, "/prompts:review FILE=a.py")
        await wait_for(pilot, lambda: any("Missing required args" in n for n in notices(app)), "inline hint")
        assert any("usage: /prompts:review FILE=… FOCUS=…" in n for n in notices(app))
        assert app.chat.composer.text == "/prompts:review FILE=a.py", "the text stays to be completed"
        assert len(fake_provider.requests) == 1, "nothing sent with a missing argument"

        app.chat.composer.load_text("summarize ")
        app.chat.composer.move_cursor(app.chat.composer.document.end)
        await pilot.press("$", "p", "d")
        assert popup.kind == "$" and "$pdf-tools" in str(popup.get_option_at_index(0).prompt)
        assert "Read PDFs." in str(popup.get_option_at_index(0).prompt), "the popup shows the skill's description"
        await pilot.press("tab")
        assert app.chat.composer.text == "summarize $pdf-tools " and not popup.is_open
        await pilot.press("$", "z", "z", "z")
        assert not popup.is_open, "no skill matches: no popup"

        app.chat.composer.load_text("")
        await send(pilot, app, "summarize $pdf-tools")
        await wait_for(pilot, idle(app), "skill turn")
        assert "SKILL-BODY-4411" in json.dumps(fake_provider.requests[1].json)

        await send(pilot, app, "/pdf-tools x.pdf")
        await wait_for(pilot, lambda: len(fake_provider.requests) == 3 and idle(app)(), "slash skill turn")
        assert "SKILL-BODY-4411" in json.dumps(fake_provider.requests[2].json)

        await send(pilot, app, "/skills")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "skills picker")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.composer.text == "$pdf-tools ", "skill inserted")


async def test_untrusted_project_hooks_are_asked_about_once_then_run(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "hook-ran"
    (tmp_path / ".codex").mkdir()
    hook = {"type": "command", "command": f"touch {marker}"}
    (tmp_path / ".codex" / "hooks.json").write_text(json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": [hook]}]}}))
    fake_provider.script(Reply(text="one"), Reply(text="two"))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "trust question")
        assert f"touch {marker}" in str(app.screen.query_one("#title").render()), "the question shows each hook"
        await pilot.press("escape")  # not now
        await wait_for(pilot, lambda: app.screen is app.chat, "back to the chat")
        await send(pilot, app, "hi")
        await wait_for(pilot, idle(app), "turn without the hook")
        assert not marker.exists(), "an untrusted project hook ran"
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "asked again")
        await pilot.press("enter")  # Trust them (first choice)
        await wait_for(pilot, lambda: any("Trusted 1 project hook" in n for n in notices(app)), "trusted")
        await send(pilot, app, "hi again")
        await wait_for(pilot, idle(app), "turn with the hook")
        assert marker.exists(), "the trusted hook did not run"
    assert "trusted_hash" in (isolated_home / "config.toml").read_text()


async def test_desktop_notification_when_unfocused(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(
        Reply(text="All done, tests pass."),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["touch", "x"]}), call_id="c1")]),
        Reply(text="ok"),
        Reply(text="focused"),
    )
    app = make_app(fake_provider, tmp_path, 'tui.notification_method="osc9"', approval="untrusted")
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        app.app_focus = False  # a key press would focus the app again (Textual): submit without one
        submit(app, "finish")
        await wait_for(pilot, lambda: len(fake_provider.requests) == 1 and idle(app)(), "turn")
        await wait_for(pilot, lambda: bool(getattr(app, "desktop_notifications", [])), "notification")
        assert app.desktop_notifications == ["\x1b]9;All done, tests pass.\x07"]
        submit(app, "touch it")
        await wait_for(pilot, lambda: app.screen is not app.chat, "approval shown")
        assert app.desktop_notifications[-1] == "\x1b]9;Approval requested: touch x\x07"
        await pilot.press("y")
        await wait_for(pilot, idle(app), "approved turn")
        count = len(app.desktop_notifications)
        app.app_focus = True
        await send(pilot, app, "again")
        await wait_for(pilot, lambda: len(fake_provider.requests) == 4 and idle(app)(), "focused turn")
        assert len(app.desktop_notifications) == count, "no notification while focused"


async def test_session_end_hooks_say_why_the_session_ended(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    """/new ends the session with reason `clear`, quitting the app with `prompt_input_exit` (Claude Code's words)."""
    log = tmp_path / "ended.log"
    (isolated_home / "config.toml").write_text(
        '[[hooks.SessionEnd]]\n[[hooks.SessionEnd.hooks]]\ntype = "command"\n'
        f"command = {json.dumps(f'cat >> {log}; echo >> {log}')}\n"
    )
    fake_provider.script(Reply(text="one"), Reply(text="two"))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        first = app.session
        await send(pilot, app, "hello")
        await wait_for(pilot, idle(app), "first turn")
        await send(pilot, app, "/new")
        await wait_for(pilot, lambda: app.session is not first and app.session is not None, "new session")
        await wait_for(pilot, lambda: log.exists(), "SessionEnd ran for /new", rounds=1500)
        await send(pilot, app, "again")
        await wait_for(pilot, idle(app), "second turn")
    ended = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert [e["reason"] for e in ended] == ["clear", "prompt_input_exit"]
    assert ended[0]["session_id"] != ended[1]["session_id"]


async def test_skills_can_be_turned_off_and_on_from_the_skills_picker(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    """/skills → "Enable/Disable skills…" → a skill: saved as [[skills.config]] in config.toml (comments kept), and
    ``$name`` stops injecting it at once; flipping it again turns it back on."""
    skill = isolated_home / "skills" / "pdf-tools"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: pdf-tools\ndescription: Read PDFs.\n---\nSKILL-BODY-4411\n")
    (isolated_home / "config.toml").write_text("# my settings\n")
    fake_provider.script(Reply(text="off"), Reply(text="on"))
    app = make_app(fake_provider, tmp_path)

    async def flip() -> None:
        await send(pilot, app, "/skills")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "skills picker")
        await pilot.press("end", "enter")  # the last entry: Enable/Disable skills…
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, PickerScreen)
                and "Enable/Disable" in str(app.screen.query_one("#title").render())
            ),
            "toggle picker",
        )
        await pilot.press("enter")

    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await flip()
        await wait_for(pilot, lambda: any("pdf-tools disabled" in n for n in notices(app)), "disabled")
        saved = (isolated_home / "config.toml").read_text()
        assert saved.startswith("# my settings") and "[[skills.config]]" in saved and "enabled = false" in saved
        await send(pilot, app, "summarize $pdf-tools")
        await wait_for(pilot, idle(app), "turn with the skill off")
        assert "SKILL-BODY-4411" not in json.dumps(fake_provider.requests[0].json)
        await flip()
        await wait_for(pilot, lambda: any("pdf-tools enabled" in n for n in notices(app)), "enabled")
        assert "enabled = true" in (isolated_home / "config.toml").read_text()
        await send(pilot, app, "summarize $pdf-tools")
        await wait_for(pilot, lambda: len(fake_provider.requests) == 2 and idle(app)(), "turn with the skill on")
        assert "SKILL-BODY-4411" in json.dumps(fake_provider.requests[1].json)
