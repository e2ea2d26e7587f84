"""Approvals that say what they do (issue 12 items 10-14), driven by Pilot through a real Session against the
loopback fake provider: `a` is the exact command, `p` a shown prefix (never for destructive commands), an
escalation says it runs outside the sandbox with the model's reason on its own line, patch approvals give
the real reason, Esc keeps the proposed command as declined, and each command cell says how it was approved.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from codex_py.agent import events as ev
from codex_py.config import CliOverrides, load_config
from codex_py.sandbox.approval_rules import is_destructive, matching_prefix, session_prefix
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.approval import ApprovalScreen
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.patch_cell import PatchCell
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_safety_e2e import converse, needs_landlock, outside, workdir  # noqa: F401  (fixtures)
from tests.test_tui_conversation import idle, make_app, send, wait_for
from tests.test_tui_polish import on_screen


def shell(command: list[str], call_id: str, **extra: Any) -> Call:
    return Call("shell", json.dumps({"command": command, **extra}), call_id=call_id)


def patch(body: str, call_id: str) -> Reply:
    text = f"*** Begin Patch\n{body}\n*** End Patch\n"
    return Reply(tool_calls=[Call("apply_patch", json.dumps({"input": text}), call_id=call_id)])


def dialog_text(screen: ApprovalScreen) -> str:
    """Everything the approval dialog shows, as plain text."""
    return "\n".join(str(w.render()) for w in screen.query(Static))


def answering(keys: list[str], texts: list[str]) -> Callable[[ApprovalScreen], str]:
    """For ``converse``: press ``keys`` in turn, keeping each dialog's text (gone once it closes)."""
    pending = iter(keys)

    def answer(screen: ApprovalScreen) -> str:
        texts.append(dialog_text(screen))
        return next(pending)

    return answer


def cells(app: CodexApp) -> list[CommandCell]:
    return list(app.chat.transcript.query(CommandCell))


def header(cell: CommandCell) -> str:
    return str(cell.query_one(".header", Static).render())


@pytest.fixture
def fake_npm(tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """An `npm` on PATH that only records its arguments (deterministic, no registry), outside the workspace
    ``workdir`` (tmp_path/work)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm.log"
    npm = bin_dir / "npm"
    npm.write_text(f'#!/bin/sh\necho "npm $*" >> {log}\necho "npm ran: $*"\n')
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return log


# --- 10. `a` is the exact command, `p` a shown prefix ----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "prefix"),
    [
        (["npm", "test"], ("npm", "test")),
        (["npm", "test", "--", "--watch"], ("npm", "test")),
        (["cargo", "test", "--all"], ("cargo", "test")),
        (["python3", "-m", "pytest", "tests/"], ("python3", "-m", "pytest")),
        (["bash", "-lc", "make build"], ("make", "build")),
        (["pytest", "-q"], None),  # the program alone: not offered
        (["env", "npm", "test"], None),  # runs another command
        (["bash", "-lc", "npm test && npm run lint"], None),  # more than one command
    ],
)
def test_the_prefix_rule(argv: list[str], prefix: tuple[str, ...] | None) -> None:
    assert session_prefix(argv) == prefix


@pytest.mark.parametrize(
    "argv",
    [
        ["rm", "-rf", "x"],
        ["rm", "notes.txt"],
        ["rmdir", "build"],
        ["git", "reset", "--hard"],
        ["git", "clean", "-fdx"],
        ["git", "push", "--force"],
        ["git", "-C", "repo", "push"],
        ["git", "checkout", "--", "."],
        ["git", "restore", "src"],
        ["git", "branch", "-D", "main"],
        ["dd", "if=/dev/zero", "of=disk"],
        ["mkfs.ext4", "/dev/sda1"],
        ["chmod", "-R", "777", "."],
        ["chown", "-R", "me", "/"],
        ["sudo", "make", "install"],
        ["find", ".", "-name", "*.o", "-delete"],
        ["truncate", "-s", "0", "log"],
        ["shred", "key"],
        ["mv", "new.txt", "old.txt"],
        ["env", "X=1", "rm", "-r", "build"],
        ["xargs", "rm"],
        ["bash", "-lc", "npm test && rm -rf build"],
        ["bash", "-lc", "echo $(rm x)"],  # not plain words: cannot be judged
    ],
)
def test_destructive_commands_get_no_prefix_and_match_none(argv: list[str]) -> None:
    assert is_destructive(argv)
    assert session_prefix(argv) is None
    words = argv[2].split() if argv[0] == "bash" else argv
    assert matching_prefix(argv, {tuple(words[:2]), tuple(words[:1])}) is None


def test_a_remembered_prefix_runs_matching_commands_but_never_destructive_ones(tmp_path: Path) -> None:
    """The policy side: under Ask first a command starting with a remembered prefix runs; the same prefix
    with a destructive tail (`git checkout -- .`), another subcommand, or an escalation still asks.
    Mutation caught: a prefix match that skips the destructive check."""
    from codex_py.sandbox.approvals import assess_command
    from codex_py.sandbox.policy import SandboxPolicy

    sandbox = SandboxPolicy("workspace-write", tmp_path)
    prefixes = {("git", "checkout"), ("npm", "test")}

    def verdict(argv: list[str], escalate: bool = False) -> str:
        return assess_command(
            argv,
            policy="untrusted",
            sandbox=sandbox,
            sandbox_available=True,
            escalation_requested=escalate,
            approved_commands=set(),
            approved_prefixes=prefixes,
        )

    assert verdict(["git", "checkout", "main"]) == "run"
    assert verdict(["bash", "-lc", "npm test -- --watch"]) == "run"
    assert verdict(["git", "checkout", "--", "."]) == "ask"
    assert verdict(["npm", "install"]) == "ask"
    assert verdict(["npm", "test"], escalate=True) == "reject"  # escalation outside on-request


async def test_a_approves_the_exact_command_and_p_is_not_offered_for_rm(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """`a` on `rm -rf build`: the same command runs again without asking, `rm -rf build src` asks. No `p` for
    `rm -rf`: the dialog shows none and pressing it does nothing.
    Mutations caught: session approval by prefix; `p` offered/accepted for a destructive command."""
    for folder in ("build", "src"):
        (tmp_path / folder).mkdir()
    fake_provider.script(
        Reply(tool_calls=[shell(["rm", "-rf", "build"], "c1")]),
        Reply(tool_calls=[shell(["rm", "-rf", "build"], "c2")]),
        Reply(tool_calls=[shell(["rm", "-rf", "build", "src"], "c3")]),
        Reply(tool_calls=[shell(["touch", "made.txt"], "c4")]),
        Reply(text="done"),
    )
    app = make_app(fake_provider, tmp_path, approval="on-request")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session")
        await send(pilot, app, "clean up")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), "first approval")
        first = app.screen
        assert isinstance(first, ApprovalScreen)
        assert first.request.session_prefix is None
        assert "approve this exact command for the session" in dialog_text(first)
        assert "starting with" not in dialog_text(first)
        await pilot.press("p")
        await pilot.pause(0.1)
        assert app.screen is first and not first.answered, "p approved a command it was not offered for"
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.screen is not first, "c3 asks")
        second = app.screen
        assert isinstance(second, ApprovalScreen)
        assert second.request.command == ["rm", "-rf", "build", "src"]
        await pilot.press("n")
        await pilot.pause(0.05)
        await pilot.press("enter")
        await wait_for(pilot, idle(app), "turn ended")
        done = cells(app)
        assert [c.status for c in done] == ["completed", "completed", "declined", "completed"]
        assert [c.approval for c in done] == [
            "approved for the session",
            "approved for the session",
            "",
            "auto: on-request, sandboxed",
        ]
        assert "approved for the session" in header(done[1])
    assert (tmp_path / "src").exists()


async def test_p_remembers_the_shown_prefix(fake_provider: FakeProvider, tmp_path: Path, fake_npm: Path) -> None:
    """`p` on `npm test`: `npm test -- --watch` then runs without asking (in the sandbox), `npm install` asks,
    a script `npm test && rm -rf build` asks; each cell says how it was approved.
    Mutations caught: prefix not remembered; prefix matching destructive scripts; prefix matching any argv."""
    workspace = tmp_path / "work"
    (workspace / "build").mkdir()
    fake_provider.script(
        Reply(tool_calls=[shell(["npm", "test"], "c1")]),
        Reply(tool_calls=[shell(["npm", "test", "--", "--watch"], "c2")]),
        Reply(tool_calls=[shell(["npm", "install"], "c3")]),
        Reply(tool_calls=[shell(["bash", "-lc", "npm test && rm -rf build"], "c4")]),
        Reply(tool_calls=[shell(["ls"], "c5")]),
        Reply(text="done"),
    )
    app = make_app(fake_provider, workspace, approval="untrusted")
    texts: list[str] = []
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "test it", answering(["p", "y", "n"], texts))
        assert [s.request.command for s in seen] == [
            ["npm", "test"],
            ["npm", "install"],
            ["bash", "-lc", "npm test && rm -rf build"],
        ]
        assert seen[0].request.session_prefix == ["npm", "test"]
        assert "always allow commands starting with `npm test`" in texts[0]
        assert seen[1].request.session_prefix == ["npm", "install"]
        assert seen[2].request.session_prefix is None
        done = cells(app)
        assert [c.status for c in done] == ["completed", "completed", "completed", "declined", "completed"]
        assert [c.approval for c in done] == [
            "approved for the session: npm test …",
            "approved for the session: npm test …",
            "approved once",
            "",
            "auto: known-safe",
        ]
        assert "auto: known-safe" in header(done[4])
        assert app.session is not None and app.session.runner.policy.mode == "workspace-write"
    assert fake_npm.read_text().splitlines() == ["npm test", "npm test -- --watch", "npm install"]
    assert (workspace / "build").exists()


@needs_landlock
async def test_a_prefix_approved_command_stays_in_the_sandbox(
    fake_provider: FakeProvider,
    tmp_path: Path,
    fake_npm: Path,
    outside: Path,  # noqa: F811
) -> None:
    """A command run under a remembered prefix is still sandboxed: its write outside the workspace fails.
    Mutation caught: a prefix match running unsandboxed."""
    target = outside / "escaped.txt"
    fake_npm.parent.joinpath("bin", "npm").write_text('#!/bin/sh\necho x > "$3"\n')
    fake_provider.script(
        Reply(tool_calls=[shell(["npm", "test", "--", str(tmp_path / "work" / "ok.txt")], "c1")]),
        Reply(tool_calls=[shell(["npm", "test", "--", str(target)], "c2")]),
        Reply(text="done"),
    )
    app = make_app(fake_provider, tmp_path / "work", approval="untrusted")
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(
            pilot, app, "test", lambda screen: "n" if screen.request.reason.startswith("failed") else "p"
        )
        assert [s.request.command for s in seen][:1] == [["npm", "test", "--", str(tmp_path / "work" / "ok.txt")]]
        done = cells(app)
        assert [c.approval for c in done] == ["approved for the session: npm test …"] * 2
        assert done[1].exit_code not in (0, None), "the write outside the workspace did not fail"
    assert (tmp_path / "work" / "ok.txt").exists() and not target.exists()


# --- 11. escalation ------------------------------------------------------------------------------------


async def test_escalation_says_it_runs_outside_the_sandbox(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """With and without a justification the dialog says the command runs outside the sandbox; the model's
    reason is on its own labelled line; no prefix is offered; the cell records "approved once, unsandboxed".
    Mutation caught: the justification replacing the reason (the unsandboxed warning gone)."""
    why = "needs the network to download the test fixtures"
    escalate = {"sandbox_permissions": "require_escalated"}
    fake_provider.script(
        Reply(tool_calls=[shell(["npm", "test"], "c1", justification=why, **escalate)]),
        Reply(tool_calls=[shell(["true"], "c2", **escalate)]),
        Reply(text="done"),
    )
    app = make_app(fake_provider, tmp_path, approval="on-request")
    keys = iter(["n", "y"])
    async with app.run_test(size=(80, 24)) as pilot:

        def answer(screen: ApprovalScreen) -> str:
            seen_text.append(dialog_text(screen))
            keys_line = screen.query_one("#keys")
            assert on_screen(app, keys_line), "the keys left the 80x24 screen"
            return next(keys)

        seen_text: list[str] = []
        seen = await converse(pilot, app, "run the tests", answer)
        assert [s.request.unsandboxed for s in seen] == [True, True]
        assert [s.request.session_prefix for s in seen] == [None, None]
        for text in seen_text:
            assert "Run this command outside the sandbox?" in text
            assert "runs OUTSIDE the sandbox" in text
        assert f"Reason given by the model: {why}" in seen_text[0].splitlines()
        assert "Reason given by the model" not in seen_text[1]
        done = cells(app)
        assert [c.status for c in done] == ["declined", "completed"]
        assert done[1].approval == "approved once, unsandboxed"


# --- 12. patch reasons and cells -----------------------------------------------------------------------


async def test_patch_approvals_give_the_real_reason(
    fake_provider: FakeProvider,
    tmp_path: Path,
    outside: Path,  # noqa: F811
    isolated_home: Path,
) -> None:
    """Ask-first inside the workspace, a path outside the writable roots, a path in .git: each says so.
    A declined patch does not read "Edited"; a failed one names its file.
    Mutation caught: the old fixed "writes outside the writable roots" reason."""
    workspace = tmp_path / "work"
    (workspace / ".git").mkdir(parents=True)
    (workspace / "README.md").write_text("old\n")
    fake_provider.script(
        patch("*** Update File: README.md\n@@\n-old\n+new", "p1"),
        patch(f"*** Add File: {outside / 'notes.txt'}\n+hi", "p2"),
        patch("*** Add File: .git/hooks/post-commit\n+#!/bin/sh", "p3"),
        patch("*** Update File: missing.txt\n@@\n-a\n+b", "p4"),
        Reply(text="done"),
    )
    app = make_app(fake_provider, workspace, approval="untrusted")
    texts: list[str] = []
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "edit", answering(["n", "n", "n"], texts))
        assert [s.request.reason for s in seen] == [
            "Ask-first mode (untrusted) asks before every edit",
            f"{outside / 'notes.txt'} is outside the writable roots",
            ".git/hooks/post-commit is inside .git (protected even in a writable root)",
        ]
        assert "Edit README.md (+1 -1)" in texts[0] and "Edited" not in texts[0]
        cells_ = list(app.chat.transcript.query(PatchCell))
        assert [c.status for c in cells_] == ["declined", "declined", "declined", "failed"]
        declined = cells_[0].plain_text()
        assert "Patch to README.md declined" in declined and "Edited" not in declined
        assert "Edit README.md (+1 -1)" in declined
        failed = cells_[3].plain_text()
        assert "Patch to missing.txt failed" in failed and "0 files" not in failed
    assert (workspace / "README.md").read_text() == "old\n"

    fake_provider.script(patch("*** Update File: README.md\n@@\n-old\n+new", "p5"), Reply(text="ok"))
    (isolated_home / "config.toml").write_text('sandbox_mode = "read-only"\n')
    app = make_app(fake_provider, workspace, approval="on-request")
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "edit", lambda _screen: "n")
        assert [s.request.reason for s in seen] == ["the sandbox is read-only: every edit needs your approval"]


# --- 13. Esc keeps the proposed command ------------------------------------------------------------------


async def test_esc_at_an_approval_keeps_the_command_as_declined(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """Esc stops the turn and leaves the proposed command (and, next turn, the proposed patch) in the
    transcript as declined: "stopped at approval". Mutation caught: the declined cell not sent on abort."""
    fake_provider.script(
        Reply(tool_calls=[shell(["touch", "made.txt"], "c1")]),
        patch("*** Add File: new.txt\n+hi", "p1"),
    )
    app = make_app(fake_provider, tmp_path, approval="untrusted")
    async with app.run_test(size=(100, 40)) as pilot:
        seen = await converse(pilot, app, "make it", lambda _screen: "escape")
        assert len(seen) == 1
        [cell] = cells(app)
        assert cell.command == ["touch", "made.txt"] and cell.status == "declined"
        assert "stopped at approval" in cell.reason
        assert "touch made.txt" in cell.plain_text() and "stopped at approval" in cell.plain_text()

        seen = await converse(pilot, app, "then add it", lambda _screen: "escape")
        [patch_cell] = app.chat.transcript.query(PatchCell)
        assert patch_cell.status == "declined" and "stopped at approval" in patch_cell.plain_text()
        assert "Patch to new.txt declined" in patch_cell.plain_text()
    assert not (tmp_path / "made.txt").exists() and not (tmp_path / "new.txt").exists()


# --- the command dialog at 80x24 -------------------------------------------------------------------------


def _command_dialog(**fields: Any) -> Callable[[Pilot[int]], Awaitable[None]]:
    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CodexApp)
        future: asyncio.Future[ev.ApprovalResult] = asyncio.get_running_loop().create_future()
        app.sink(ev.ApprovalRequest("c1", "command", future=future, **fields))
        await pilot.pause()
        await pilot.pause()

    return run_before


def test_snapshot_prefix_choice_at_80x24(snap_compare: Any) -> None:
    """You should see "Run this command?", the reason, `$ npm test -- --watch`, and three key lines:
    y approve once / a approve this exact command for the session; p always allow commands starting with
    `npm test` this session; n deny (say why) / esc stop — all inside the 80x24 screen."""
    app = CodexApp(load_config(CliOverrides(cd=Path("/"), model="gpt-test")), connect=False)
    request = _command_dialog(
        reason="needs approval under the current policy",
        command=["npm", "test", "--", "--watch"],
        session_prefix=["npm", "test"],
    )
    assert snap_compare(app, terminal_size=(80, 24), run_before=request)


def test_snapshot_escalation_at_80x24(snap_compare: Any) -> None:
    """You should see "Run this command outside the sandbox?", a bold red warning that it runs OUTSIDE the
    sandbox with no limits on files or network, the reason, the line "Reason given by the model: needs the
    network to download fixtures", `$ npm ci`, and the keys without a `p` line."""
    app = CodexApp(load_config(CliOverrides(cd=Path("/"), model="gpt-test")), connect=False)
    request = _command_dialog(
        reason="requests to run outside the sandbox",
        command=["npm", "ci"],
        justification="needs the network to download fixtures",
        unsandboxed=True,
    )
    assert snap_compare(app, terminal_size=(80, 24), run_before=request)
