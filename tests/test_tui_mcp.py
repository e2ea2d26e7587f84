"""MCP in the TUI, driven by Pilot through a real session, the loopback model and ``mcp-server-time`` (PyPI):
the "MCP 1/2 ready" status, ``/mcp`` with states, tools and errors, the MCP call cell (server · tool · args,
collapsible result, status), and approvals for the session and "always" (saved in config.toml with comments).
"""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.approval import ApprovalScreen
from codex_py.tui.widgets.mcp_cell import McpCallCell, args_text, result_text
from codex_py.tui.widgets.notice import Notice
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_mcp import TIME_TOOL, everything, time_server  # noqa: F401  (fixtures)
from tests.test_tui_approvals import dialog_text
from tests.test_tui_conversation import answers, idle, make_app, send, wait_for

GZIP_TOOL = "mcp__everything__gzip_file_as_resource"
"""server-everything's gzip tool: not read-only and open-world, so it needs approval (auto mode)."""


def time_call(zone: str, call_id: str) -> Reply:
    return Reply(tool_calls=[Call(TIME_TOOL, json.dumps({"timezone": zone}), call_id=call_id)])


def gzip_call(call_id: str, name: str = "a.txt.gz") -> Call:
    arguments = {"name": name, "data": "data:text/plain;base64,aGVsbG8gbWNw"}  # no network: a data URI
    return Call(GZIP_TOOL, json.dumps(arguments), call_id=call_id)


def write_servers(home: Path, time_server: str, everything: Path | None = None, extra: str = "") -> Path:  # noqa: F811
    config = home / "config.toml"
    text = "# my MCP servers\n"
    text += f'[mcp_servers.time]\ncommand = "{time_server}"  # from PyPI\nargs = ["--local-timezone", "UTC"]\n\n'
    if everything is not None:
        text += f'[mcp_servers.everything]\ncommand = "node"\nargs = ["{everything}"]  # from npm\n\n'
    config.write_text(text + extra)
    return config


def mcp_cells(app: CodexApp) -> list[McpCallCell]:
    return list(app.chat.transcript.query(McpCallCell))


def notices(app: CodexApp) -> list[str]:
    return [n.plain_text() for n in app.chat.transcript.query(Notice)]


async def turn(pilot: Pilot[int], app: CodexApp, prompt: str, answer: str, keys: str = "") -> list[str]:
    """Send ``prompt``, press one of ``keys`` at each approval dialog, until ``answer`` is shown and the turn is
    over; the dialogs' texts, in order."""
    pending = list(keys)
    seen: list[ApprovalScreen] = []
    texts: list[str] = []
    await send(pilot, app, prompt)
    for _ in range(1500):
        screen = app.screen
        if isinstance(screen, ApprovalScreen) and not screen.answered:
            if screen not in seen:
                seen.append(screen)
                texts.append(dialog_text(screen))
            assert pending, f"one dialog too many: {texts[-1]}"
            await pilot.press(pending.pop(0))
        elif answer in answers(app) and idle(app)():
            return texts
        await pilot.pause(0.02)
    raise AssertionError(f"the turn never ended with {answer!r}; dialogs: {texts}")


async def ready(pilot: Pilot[int], app: CodexApp, text: str) -> None:
    await wait_for(pilot, lambda: text in str(app.chat.status_bar.render()), f"status {text!r}", rounds=1500)


async def test_status_and_slash_mcp_show_servers_states_tools_and_errors(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    time_server: str,  # noqa: F811
) -> None:
    write_servers(isolated_home, time_server, extra='[mcp_servers.gone]\ncommand = "no-such-mcp-server-xyz"\n')
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, app, "MCP 1/2 ready")
        await send(pilot, app, "/mcp")
        await wait_for(pilot, lambda: any("MCP servers" in n for n in notices(app)), "/mcp output")
        shown = next(n for n in notices(app) if "MCP servers" in n)
        assert "1/2 ready" in shown
        assert "• time: ready · stdio ·" in shown and "tools: get_current_time, convert_time" in shown
        assert "• gone: failed · stdio · no-such-mcp-server-xyz" in shown
        assert "error: failed to start: command not found: no-such-mcp-server-xyz" in shown
        await send(pilot, app, "/mcp verbose")
        await wait_for(
            pilot,
            lambda: any(TIME_TOOL + " (auto: runs unasked) — Get current time" in n for n in notices(app)),
            "verbose",
        )


async def test_mcp_call_cell_and_approve_always_saved_in_config(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    time_server: str,  # noqa: F811
    everything: Path,  # noqa: F811
) -> None:
    """`d` approves the tool always: config.toml gets approval_mode = "approve" (comments kept), the next call
    and a new session (/new) run it unasked. Mutation caught: not passing persist_offered (no `d`)."""
    config = write_servers(isolated_home, time_server, everything)
    fake_provider.script(
        Reply(tool_calls=[gzip_call("g1")]),
        Reply(text="Compressed."),
        Reply(tool_calls=[gzip_call("g2", "b.gz")]),
        Reply(text="Again."),
        Reply(tool_calls=[gzip_call("g3", "c.gz")]),
        Reply(text="New session."),
    )
    app = make_app(fake_provider, tmp_path, approval="on-request")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app, "MCP 2/2 ready")
        texts = await turn(pilot, app, "gzip it", "Compressed.", "d")
        assert len(texts) == 1 and 'Allow the everything MCP server to run tool "gzip-file-as-resource"?' in texts[0]
        assert "d always (don't ask again: saved in config.toml)" in texts[0]
        saved = config.read_text()
        assert saved.startswith("# my MCP servers\n") and "# from PyPI" in saved and "# from npm" in saved
        tools = load_config(CliOverrides()).mcp_servers["everything"].tools
        assert tools["gzip-file-as-resource"].approval_mode == "approve"

        cell = mcp_cells(app)[0]
        assert cell.status == "completed" and cell.server == "everything" and cell.tool == "gzip-file-as-resource"
        assert cell.title.startswith('everything · gzip-file-as-resource {"name": "a.txt.gz", "data": "data:')
        assert "[link " in cell.result and "✓ everything · gzip-file-as-resource" in cell.plain_text()

        assert await turn(pilot, app, "again", "Again.") == [], "always: no second question"
        await send(pilot, app, "/new")
        await wait_for(pilot, lambda: not mcp_cells(app), "new conversation")
        await ready(pilot, app, "MCP 2/2 ready")
        assert await turn(pilot, app, "once more", "New session.") == [], "a new session does not ask"
        assert mcp_cells(app)[0].status == "completed"


async def test_approve_for_the_session_prompt_mode_and_the_cell_of_a_failed_call(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    time_server: str,  # noqa: F811
    everything: Path,  # noqa: F811
) -> None:
    """`a` covers this tool for the session only (nothing written); a tool in `prompt` mode asks every time and
    offers no `d` (pressing it does nothing, `y` then runs it once); an `isError` result is a failed cell."""
    config = write_servers(
        isolated_home,
        time_server,
        everything,
        extra='[mcp_servers.time.tools.convert_time]\napproval_mode = "prompt"\n',
    )
    before = config.read_text()
    convert = json.dumps({"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"})
    fake_provider.script(
        Reply(
            tool_calls=[
                gzip_call("a1"),
                gzip_call("a2", "b.gz"),
                Call(TIME_TOOL, '{"timezone": "Not/AZone"}', call_id="a3"),
                Call("mcp__time__convert_time", convert, call_id="a4"),
            ]
        ),
        Reply(text="Done."),
    )
    app = make_app(fake_provider, tmp_path, approval="on-request")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app, "MCP 2/2 ready")
        texts = await turn(pilot, app, "go", "Done.", "ady")
        assert len(texts) == 2, "gzip approved for the session: its second call runs unasked; convert_time asks"
        assert "approve this tool for the session" in texts[1] and "don't ask again" not in texts[1]
        assert isinstance(app.screen, type(app.chat))
        assert config.read_text() == before
        assert [c.status for c in mcp_cells(app)] == ["completed", "completed", "failed", "completed"]
        failed = mcp_cells(app)[2]
        assert "✗ time · get_current_time" in failed.plain_text() and "Not/AZone" in failed.result


async def test_always_for_a_server_not_in_config_toml_is_one_warning_and_counts_for_the_session(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    everything: Path,  # noqa: F811
) -> None:
    config = isolated_home / "config.toml"
    config.write_text("# nothing here\n")
    fake_provider.script(Reply(tool_calls=[gzip_call("c1")]), Reply(tool_calls=[gzip_call("c2")]), Reply(text="ok"))
    app = make_app(fake_provider, tmp_path, approval="on-request")
    app.config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=tmp_path,
            approval="on-request",
            config=[
                f'model_providers.fake.base_url="{fake_provider.base_url}"',
                'model_providers.fake.wire_api="responses"',
                "model_providers.fake.request_max_retries=0",
                'mcp_servers.everything.command="node"',
                f'mcp_servers.everything.args=["{everything}"]',
            ],
        )
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app, "MCP 1/1 ready")
        assert len(await turn(pilot, app, "gzip?", "ok", "d")) == 1
        assert config.read_text() == "# nothing here\n", "no half server entry written"
        warning = next(n for n in notices(app) if "not saved" in n)
        assert "MCP server 'everything' is not defined in" in warning and "approved for this session only" in warning
        assert [c.status for c in mcp_cells(app)] == ["completed", "completed"]


def test_result_text_and_args_text() -> None:
    result = {
        "content": [
            {"type": "text", "text": "line\x1b[2J one"},
            {"type": "image", "mimeType": "image/png", "data": "A" * 400},
            {"type": "resource_link", "uri": "file:///x", "name": "x"},
        ],
        "structured_content": {"ignored": True},
    }
    assert result_text(result) == "line one\n[image image/png, 300 bytes]\n[link file:///x]"
    assert result_text({"content": [], "structured_content": {"a": 1}}) == '{\n  "a": 1\n}'
    assert args_text({"q": "x" * 500}).endswith("…") and len(args_text({"q": "x" * 500})) == 160
    assert args_text(None) == "()"


async def test_long_result_is_collapsed_and_expands(fake_provider: FakeProvider, tmp_path: Path) -> None:
    from codex_py.agent import events as ev

    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session")
        body = {"content": [{"type": "text", "text": "\n".join(f"row {i}" for i in range(12))}]}
        await app.chat.renderer.handle(ev.McpToolCallBegin("x1", "srv", "dump", {"n": 12}))
        await app.chat.renderer.handle(ev.McpToolCallEnd("x1", "srv", "dump", {"n": 12}, body, None, "completed", 0.2))
        await pilot.pause()
        cell = mcp_cells(app)[0]
        assert "row 4" in cell.plain_text() and "row 5" not in cell.plain_text()
        assert "… 7 more lines (enter to show)" in cell.plain_text()
        cell.focus()
        await pilot.press("enter")
        assert "row 11" in cell.plain_text()
        assert isinstance(app.screen, type(app.chat)) and not isinstance(app.screen, ApprovalScreen)


async def test_a_resumed_session_redraws_its_mcp_calls_as_they_were_shown(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    time_server: str,  # noqa: F811
) -> None:
    """Each finished MCP call is recorded (``tool_end`` kind ``mcp``): a resume draws the same call cells (server,
    tool, arguments, status, duration, result), not plain tool lines."""
    from codex_py.session.resume import ResumeTarget

    write_servers(isolated_home, time_server)
    fake_provider.script(
        Reply(
            tool_calls=[
                Call(TIME_TOOL, '{"timezone": "Europe/Paris"}', call_id="a1"),
                Call(TIME_TOOL, '{"timezone": "Not/AZone"}', call_id="a2"),
            ]
        ),
        Reply(text="Paris it is."),
    )
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, app, "MCP 1/1 ready")
        await turn(pilot, app, "what time is it", "Paris it is.")
        shown = [cell.plain_text() for cell in mcp_cells(app)]
        assert app.session is not None
        session_id = app.session.session_id
    assert len(shown) == 2 and shown[0].startswith("✓ time · get_current_time") and "Europe/Paris" in shown[0]
    assert shown[1].startswith("✗ time · get_current_time")

    resumed = make_app(fake_provider, tmp_path)
    resumed.resume = ResumeTarget(session_id)
    async with resumed.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: len(mcp_cells(resumed)) == 2, "history drawn")
        assert [cell.plain_text() for cell in mcp_cells(resumed)] == shown


def test_a_recorded_mcp_call_keeps_the_size_of_its_images_not_their_data() -> None:
    from codex_py.agent import events as ev
    from codex_py.agent.session import tool_record

    image = {"type": "image", "mimeType": "image/png", "data": "A" * 400}
    result = {"content": [{"type": "text", "text": "a chart"}, image]}
    end = ev.McpToolCallEnd("c1", "charts", "draw", {"n": 1}, result, None, "completed", 0.5)
    record = tool_record(end)
    assert record is not None and record["kind"] == "mcp" and record["duration_s"] == 0.5
    assert record["result"]["content"][1] == {"type": "image", "mimeType": "image/png", "data": "", "bytes": 300}
    assert result_text(record["result"]) == result_text(result) == "a chart\n[image image/png, 300 bytes]"
    assert result["content"][1]["data"] == "A" * 400  # the event's own result is left as it was


async def test_slash_mcp_accept_starts_a_projects_servers(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    time_server: str,  # noqa: F811
) -> None:
    """A project's servers not accepted yet: the start-up warning and /mcp say so; /mcp accept records the trust
    and the servers' hash (as `codex-py mcp accept`) and restarts the session, which starts them."""
    from tests.test_mcp import _project_with_a_server

    project = _project_with_a_server(tmp_path, time_server)
    (isolated_home / "config.toml").write_text("# mine\n")
    fake_provider.script(Reply(text="hello"))
    app = make_app(fake_provider, project)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: any("were not started" in n for n in notices(app)), "the warning")
        await turn(pilot, app, "hi", "hello")
        first = app.session
        await send(pilot, app, "/mcp")
        await wait_for(pilot, lambda: any("/mcp accept" in n for n in notices(app)), "/mcp names /mcp accept")
        await send(pilot, app, "/mcp accept")
        await wait_for(pilot, lambda: any("Accepted the MCP servers" in n for n in notices(app)), "accepted")
        await ready(pilot, app, "MCP 1/1 ready")
        assert app.session is not first and app.session is not None
        assert app.session.session_id == first.session_id, "the conversation goes on"  # type: ignore[union-attr]
    saved = (isolated_home / "config.toml").read_text()
    assert saved.startswith("# mine") and 'trust_level = "trusted"' in saved and "mcp_servers_sha256" in saved
