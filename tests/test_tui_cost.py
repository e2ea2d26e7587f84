"""The TUI shows what a session costs: the status bar, /status and /cost (real Session, loopback fake provider)."""

from __future__ import annotations

import time
from pathlib import Path

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from tests.support.fake_provider import FakeProvider, Reply
from tests.support.replies import Usage
from tests.test_tui_commands import last_notice
from tests.test_tui_conversation import idle, send, wait_for


def priced_app(fake: FakeProvider, workspace: Path, wire: str = "messages") -> CodexApp:
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                f'model_providers.fake.wire_api="{wire}"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=0",
                "model_prices.gpt-fake.input_per_mtok=2.0",
                "model_prices.gpt-fake.cached_input_per_mtok=0.2",
                "model_prices.gpt-fake.cache_write_per_mtok=2.5",
                "model_prices.gpt-fake.output_per_mtok=10.0",
            ],
        )
    )
    return CodexApp(config)


async def test_status_bar_status_and_cost_show_the_estimated_cost(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(
        Reply(text="One.", usage=Usage(input_tokens=10_000, output_tokens=1_000, cached_tokens=4_000)),
        Reply(
            text="Two.",
            usage=Usage(input_tokens=20_000, output_tokens=500, cached_tokens=9_000, cache_creation_tokens=1_000),
        ),
    )
    first = (6_000 * 2.0 + 4_000 * 0.2 + 1_000 * 10.0) / 1e6  # 0.0228
    second = (10_000 * 2.0 + 9_000 * 0.2 + 1_000 * 2.5 + 500 * 10.0) / 1e6  # 0.0293
    app = priced_app(fake_provider, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "one")
        await wait_for(pilot, idle(app), "first turn")
        await send(pilot, app, "two")
        await wait_for(pilot, idle(app), "second turn")
        await pilot.pause()
        assert f"${first + second:.4f}" in app.chat.status_bar.info.render_line(160)

        await send(pilot, app, "/cost")
        await pilot.pause()
        text = last_notice(app).message
        rows = text.splitlines()
        assert rows[1].split()[0] == "1" and rows[1].endswith(f"${first:.4f}")
        assert rows[2].split()[0] == "2" and rows[2].endswith(f"${second:.4f}")
        assert f"total: ${first + second:.4f}" in text
        assert "input $2 · cached $0.2 · cache write $2.5 · output $10 (config)" in text

        await send(pilot, app, "/status")
        await pilot.pause()
        assert f"Cost:        ~${first + second:.4f}" in last_notice(app).message


async def test_subscription_usage_windows_in_status_and_warning(fake_provider: FakeProvider, tmp_path: Path) -> None:
    reset = int(time.time()) + 1800
    headers = {
        "x-codex-primary-used-percent": "77",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": str(reset),
        "x-codex-secondary-used-percent": "10",
        "x-codex-secondary-window-minutes": "10080",
    }
    fake_provider.script(Reply(text="Hi.", headers=headers))
    app = priced_app(fake_provider, tmp_path, wire="responses")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        assert app.session is not None
        app.session.cost.billed = False  # as for a ChatGPT login (the factory sets it from the backend)
        await send(pilot, app, "hi")
        await wait_for(pilot, idle(app), "turn")
        await pilot.pause()
        assert "5h 77% · weekly 10%" in app.chat.status_bar.info.render_line(160)
        notices = [n.message for n in app.chat.transcript.query("Notice")]  # type: ignore[attr-defined]
        assert any("less than 25% of your 5h limit left" in m for m in notices), notices
        await send(pilot, app, "/status")
        await pilot.pause()
        status = last_notice(app).message
        assert "Cost:        subscription (no per-token price)" in status
        assert f"Usage:       5h 77% · weekly 10% · resets {time.strftime('%H:%M', time.localtime(reset))}" in status


async def test_a_resumed_session_shows_what_it_cost_before(fake_provider: FakeProvider, tmp_path: Path) -> None:
    from codex_py.session.resume import ResumeTarget

    fake_provider.script(Reply(text="One.", usage=Usage(input_tokens=10_000, output_tokens=1_000, cached_tokens=4_000)))
    first = (6_000 * 2.0 + 4_000 * 0.2 + 1_000 * 10.0) / 1e6  # 0.0228
    app = priced_app(fake_provider, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "one")
        await wait_for(pilot, idle(app), "first turn")
        assert app.session is not None
        session_id = app.session.session_id

    resumed = priced_app(fake_provider, tmp_path)
    resumed.resume = ResumeTarget(session_id)
    async with resumed.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: resumed.session is not None, "session resumed")
        await pilot.pause()
        status = resumed.chat.status_bar.info.render_line(160)
        assert f"${first:.4f}" in status and "11.0k tokens" in status, status
        await send(pilot, resumed, "/cost")
        await pilot.pause()
        rows = last_notice(resumed).message.splitlines()
        assert rows[1].split()[0] == "1" and rows[1].endswith(f"${first:.4f}")
        assert f"total: ${first:.4f}" in rows[2]
