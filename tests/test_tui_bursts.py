"""A burst of output and a resize of a long transcript never hold the app: work is sliced, results are exact."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from textual import events
from textual.pilot import Pilot

from benchmarks.tui import make_deltas
from codex_py.agent.events import AgentMessage, AgentTextDelta, TurnCompleted, TurnStarted
from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.bridge import PIECE_CHARS, pieces
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.markdown_blocks import answer_markdown
from tests.test_tui_conversation import wait_for


def make_app(tmp_path: Path) -> CodexApp:
    return CodexApp(load_config(CliOverrides(cd=tmp_path, model="gpt-test")), connect=False)


def reference(text: str, width: int) -> list[str]:
    console = Console(width=width, color_system=None, force_terminal=False)
    with console.capture() as capture:
        console.print(answer_markdown(text))
    return [line.rstrip() for line in capture.get().rstrip("\n").split("\n")]


def shown(answer: AssistantMessage) -> list[str]:
    return [answer.render_line(y).text.rstrip() for y in range(answer.line_count)]


def test_a_burst_is_handed_over_in_line_aligned_pieces() -> None:
    text = "".join(make_deltas(20_000))
    cut = pieces(text)
    assert "".join(cut) == text and len(cut) > len(text) // PIECE_CHARS
    assert all(len(p) <= PIECE_CHARS for p in cut)
    assert all(p.endswith("\n") for p in cut[:-1])  # line-aligned whenever a line fits
    assert pieces("x" * (PIECE_CHARS * 2 + 5)) == ["x" * PIECE_CHARS] * 2 + ["x" * 5]
    assert pieces("short") == ["short"]


async def test_keys_get_through_while_a_burst_renders_and_the_result_is_exact(tmp_path: Path) -> None:
    """20k deltas released at once: the screen renders them in slices (a key typed meanwhile is handled
    before the backlog is done), in order, and the answer ends exactly like Rich's render of the text."""
    full = "".join(make_deltas(20_000))
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.chat
        backlog_at_key: list[int] = []
        original = chat.composer.post_message

        def watch_changes(message: object) -> bool:
            if type(message).__name__ == "Changed" and chat.composer.text.endswith("x"):
                backlog_at_key.append(len(chat._backlog))
            return original(message)  # type: ignore[arg-type]

        chat.composer.post_message = watch_changes  # type: ignore[method-assign]
        sink = app.sink
        sink(TurnStarted("t"))
        deltas = make_deltas(20_000)
        sink(AgentTextDelta(deltas[0]))
        await wait_for(
            pilot,
            lambda: any(a._width for a in chat.transcript.query(AssistantMessage)),
            "the answer started and was laid out",
        )
        for delta in deltas[1:]:
            sink(AgentTextDelta(delta))
        sink(AgentMessage(full))
        sink(TurnCompleted(full))
        for _ in range(2000):  # raw sleeps: pilot.pause() would wait until the backlog is drained
            if len(chat._backlog) > 2:
                break
            await asyncio.sleep(0.001)
        assert len(chat._backlog) > 2, "the burst was rendered in one go"
        app.post_message(events.Key("x", "x"))
        await wait_for(pilot, lambda: not chat.renderer.running and not chat._backlog, "burst rendered", rounds=3000)
        assert backlog_at_key and backlog_at_key[0] > 0, "the key waited for the whole burst"
        assert chat.composer.text == "x"
        answer = chat.transcript.query_one(AssistantMessage)
        assert answer.text == full
        answer.measure_all()
        assert shown(answer) == reference(full, answer.content_region.width)


async def test_a_resize_measures_what_is_on_screen_first_then_the_rest(tmp_path: Path) -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(400))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        answer = AssistantMessage(text)
        await app.chat.transcript.mount(answer)
        await wait_for(pilot, lambda: answer.line_count > 0 and not answer._pending, "measured", rounds=3000)
        resizing = asyncio.create_task(pilot.resize_terminal(70, 30))  # it waits until idle: not awaited yet
        await wait_for(pilot, lambda: 0 < answer._width < 100, "the answer took the new width")
        width = answer.content_region.width
        assert answer._pending, "everything was measured at once"
        bottom = [answer.render_line(y).text.strip() for y in range(answer.line_count - 3, answer.line_count)]
        assert "Paragraph 399:" in " ".join(bottom) or any(bottom)  # the bottom is drawn
        await resizing
        await wait_for(pilot, lambda: not answer._pending, "caught up", rounds=3000)
        assert shown(answer) == reference(text, width)


def log_slices_and_keys(app: CodexApp) -> list[str]:
    """A log the chat screen and composer append to: ``slice`` per render slice, ``key N`` when the composer holds
    N characters."""
    chat = app.chat
    log: list[str] = []
    render_backlog = chat._render_backlog

    async def logged_slice() -> None:
        log.append("slice")
        await render_backlog()

    chat._render_backlog = logged_slice  # type: ignore[method-assign]
    post = chat.composer.post_message

    def watch_changes(message: object) -> bool:
        if type(message).__name__ == "Changed":
            log.append(f"key {len(chat.composer.text)}")
        return post(message)  # type: ignore[arg-type]

    chat.composer.post_message = watch_changes  # type: ignore[method-assign]
    return log


async def release_a_burst(pilot: Pilot[None], app: CodexApp) -> None:
    """20k deltas at once; returns once the screen has a backlog of them to render in slices."""
    chat = app.chat
    sink = app.sink
    sink(TurnStarted("t"))
    deltas = make_deltas(20_000)
    sink(AgentTextDelta(deltas[0]))
    await wait_for(pilot, lambda: any(a._width for a in chat.transcript.query(AssistantMessage)), "laid out")
    for delta in deltas[1:]:
        sink(AgentTextDelta(delta))
    for _ in range(2000):
        if len(chat._backlog) > 2:
            break
        await asyncio.sleep(0.001)


async def test_a_key_typed_during_a_burst_is_drawn_by_the_next_frame(tmp_path: Path) -> None:
    """The screen's frame timer is ours (Textual's waits up to two periods after a late frame and makes a key
    wait like any output): once the composer has a key, its echo is drawn before the next slice of the burst
    is rendered (the screen lets the frame go first)."""
    from codex_py.tui import frames

    assert frames.SUPPORTED, "this Textual lacks the screen update timer tui/frames.py replaces"
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.chat
        log = log_slices_and_keys(app)
        display = app._display

        def logged_display(*args: object, **kwargs: object) -> None:
            display(*args, **kwargs)  # type: ignore[arg-type]
            log.append(f"frame {len(chat.composer.text)}")

        app._display = logged_display  # type: ignore[method-assign]
        await release_a_burst(pilot, app)
        assert isinstance(chat.frame_timer, frames.FrameTimer)
        typed = 0
        while chat._backlog and typed < 6:
            app.post_message(events.Key("x", "x"))
            typed += 1
            for _ in range(3):
                await asyncio.sleep(0.004)  # raw sleeps: the burst goes on rendering meanwhile
        await wait_for(pilot, lambda: not chat._backlog, "burst rendered", rounds=3000)
        assert typed >= 3, "the burst was rendered before keys could be typed"
        for count in range(1, typed + 1):
            start = log.index(f"key {count}")
            echo = next(i for i in range(start, len(log)) if log[i].startswith("frame ") and int(log[i][6:]) >= count)
            slices = log[start:echo].count("slice")
            assert slices == 0, f"key {count} waited {slices} render slices for its frame: {log[start : echo + 1]}"


async def test_a_typed_key_reaches_the_composer_before_more_output_renders(tmp_path: Path) -> None:
    """A key from the terminal (Textual's input thread calls the driver's ``send_message``) is posted straight to
    the app and stamped; until the composer has it the chat screen renders no further slice of a burst (in a real
    terminal each of the key's hops otherwise waited behind a 5-12 ms slice: p99 67-92 ms, see input_path.py)."""
    import sys
    import threading

    from codex_py.tui import input_path

    assert input_path.SUPPORTED, "this Textual's driver has no send_message for tui/input_path.py to replace"
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.chat
        assert sys.getswitchinterval() == input_path.SWITCH_INTERVAL_S
        log = log_slices_and_keys(app)
        await release_a_burst(pilot, app)
        driver = app._driver
        assert driver is not None
        typed = 0
        while chat._backlog and typed < 5:
            log.append(f"typed {typed + 1}")
            thread = threading.Thread(target=driver.send_message, args=(events.Key("x", "x"),))
            thread.start()  # as Textual's input thread does
            thread.join()
            typed += 1
            for _ in range(3):
                await asyncio.sleep(0.004)
        await wait_for(pilot, lambda: not chat._backlog and len(chat.composer.text) == typed, "all rendered")
        assert typed >= 3, "the burst was rendered before keys could be typed"
        assert app.input_at == 0.0, "the composer took the last key: nothing holds the output back"
        for count in range(1, typed + 1):
            start, arrived = log.index(f"typed {count}"), log.index(f"key {count}")
            between = log[start:arrived]
            assert "slice" not in between, f"output rendered before key {count} arrived: {between}"
    assert sys.getswitchinterval() != input_path.SWITCH_INTERVAL_S, "the switch interval was not restored"


async def test_a_key_a_binding_takes_does_not_hold_the_output(tmp_path: Path) -> None:
    """PageUp (a priority binding: it scrolls, the composer never sees it) must not keep the output waiting for an
    echo that will not come (up to 50 ms of frozen output per key)."""
    import threading

    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        driver = app._driver
        assert driver is not None
        for key in ("pageup", "ctrl+t"):
            thread = threading.Thread(target=driver.send_message, args=(events.Key(key, None),))
            thread.start()
            thread.join()
            assert app.input_at, "the key was not stamped on its way in"
            await pilot.pause()
            assert app.input_at == 0.0, f"{key}, taken by a binding, still holds the output"
            if key == "ctrl+t":
                await pilot.press("escape")  # close the pager
        thread = threading.Thread(target=driver.send_message, args=(events.Key("x", "x"),))
        thread.start()
        thread.join()
        await pilot.pause()
        assert app.chat.composer.text == "x" and app.input_at == 0.0
