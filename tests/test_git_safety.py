"""A hostile repository runs none of its configured programs through codex-py (issue 11 items 1, 6, 7, 12).

Every attack is real: a git repository in a temp dir whose ``.git/config`` names a script (fsmonitor,
external diff, textconv, filter drivers, a hook, a gpg program, a pager) that writes a marker file. A
control test shows plain git does run them; then codex-py's own git calls (``@`` completion, ``/diff``,
the session's git info) and the model's known-safe git commands (exec with a scripted loopback model)
must leave no marker and still give the right answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from codex_py.config import resolve_paths
from codex_py.sandbox.git import run_git, workspace_diff
from codex_py.sandbox.landlock import landlock_abi
from codex_py.sandbox.safe_commands import hardened_command, is_known_safe_command
from codex_py.session.git import read_git_info
from codex_py.session.rollout import list_rollouts, load_rollout
from codex_py.tui.files import list_files
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_exec_e2e import events, fake, run  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

T = TypeVar("T")

PROGRAMS = ("fsmonitor", "external", "textconv", "clean", "eqclean", "smudge", "hook", "gpg", "pager")
"""The marker names of the programs the hostile repository configures."""


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e"}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """(repository, marker folder): a repository whose config runs ``evil`` for everything it can."""
    repo, markers = tmp_path / "repo", tmp_path / "markers"
    repo.mkdir()
    markers.mkdir()
    (tmp_path / "bin").mkdir()
    evil = tmp_path / "bin" / "evil"
    evil.write_text(f'#!/bin/sh\ntouch "{markers}/$1"\ncat\n')
    gpg = tmp_path / "bin" / "gpg"
    gpg.write_text(f'#!/bin/sh\ntouch "{markers}/gpg"\n')
    for script in (evil, gpg):
        script.chmod(0o755)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("hello\n")
    (repo / "b.dat").write_text("bin\n")
    (repo / "c.cfg").write_text("x\n")
    (repo / ".gitattributes").write_text("*.dat diff=tc\n*.txt filter=ff\n*.cfg filter=a=b\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    # a signed commit: `git log` verifies it with gpg.program when log.showSignature is on
    tree, parent = _git(repo, "rev-parse", "HEAD^{tree}"), _git(repo, "rev-parse", "HEAD")
    body = (
        f"tree {tree}\nparent {parent}\nauthor t <t@e> 0 +0000\ncommitter t <t@e> 0 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsigned\n"
    )
    signed = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=repo, input=body, text=True, capture_output=True
    ).stdout.strip()
    _git(repo, "update-ref", "refs/heads/main", signed)
    for key, value in {
        "core.fsmonitor": f"{evil} fsmonitor",
        "core.pager": f"{evil} pager",
        "diff.external": f"{evil} external",
        "diff.tc.textconv": f"{evil} textconv",
        "filter.ff.clean": f"{evil} clean",
        "filter.ff.smudge": f"{evil} smudge",
        "filter.a=b.clean": f"{evil} eqclean",  # a name `-c` cannot express
        "filter.a=b.required": "true",
        "gpg.program": str(gpg),
        "log.showSignature": "true",
    }.items():
        _git(repo, "config", key, value)
    hook = repo / ".git" / "hooks" / "post-index-change"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {markers}/hook\n")
    hook.chmod(0o755)
    (repo / "a.txt").write_text("hello\nchanged\n")
    (repo / "b.dat").write_text("bin\nmore\n")
    (repo / "c.cfg").write_text("x\ny\n")
    (repo / "new.txt").write_text("brand new\n")
    return repo, markers


def fired(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir() if p.name in PROGRAMS)


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result, failing (instead of hanging the test run) if it takes longer than ``seconds``."""
    box: list[T] = []
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"still running after {seconds} s"
    return box[0]


def test_control_plain_git_runs_the_repository_programs(hostile: tuple[Path, Path]) -> None:
    """Without codex-py's protections the attack works (so the tests below test something)."""
    repo, markers = hostile
    for args in (["status"], ["diff"], ["diff", "--no-ext-diff"], ["log", "-1"]):
        subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)
    assert set(fired(markers)) >= {"fsmonitor", "external", "textconv", "clean", "eqclean", "hook", "gpg"}


def test_file_completion_runs_no_repository_program(hostile: tuple[Path, Path]) -> None:
    repo, markers = hostile
    files = list_files(repo)
    assert files == [".gitattributes", "a.txt", "b.dat", "c.cfg", "new.txt"]
    assert fired(markers) == []


def test_workspace_diff_runs_no_repository_program(hostile: tuple[Path, Path]) -> None:
    repo, markers = hostile
    diff = workspace_diff(repo)
    assert diff is not None
    assert "+changed" in diff and "+more" in diff and "+y" in diff  # b.dat raw: no textconv
    assert "+++ b/new.txt" in diff and "+brand new" in diff  # untracked files included
    assert fired(markers) == []


def test_without_landlock_the_git_calls_still_run_no_program(
    hostile: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first layer alone (a kernel without Landlock): the config overrides and flags stop every program."""
    import codex_py.sandbox.landlock

    monkeypatch.setattr(codex_py.sandbox.landlock, "landlock_abi", lambda: 0)
    repo, markers = hostile
    assert list_files(repo) == [".gitattributes", "a.txt", "b.dat", "c.cfg", "new.txt"]
    diff = workspace_diff(repo)
    assert diff is not None and "+changed" in diff and "+more" in diff and "+brand new" in diff
    assert fired(markers) == []


def test_workspace_diff_outside_a_repository_is_none(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x\n")
    assert workspace_diff(tmp_path) is None


async def test_slash_diff_in_the_tui_runs_no_repository_program(
    fake_provider: FakeProvider, hostile: tuple[Path, Path]
) -> None:
    from codex_py.tui.widgets.diff_view import DiffView
    from tests.test_tui_conversation import make_app, send, wait_for

    repo, markers = hostile
    app = make_app(fake_provider, repo)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/diff")
        await wait_for(pilot, lambda: bool(list(app.chat.transcript.query(DiffView))), "diff shown")
        shown = next(iter(app.chat.transcript.query(DiffView))).diff
    assert "+changed" in shown and "+brand new" in shown
    assert fired(markers) == []


@pytest.mark.skipif(landlock_abi() <= 0, reason="the kernel has no Landlock")
def test_a_program_git_runs_anyway_is_read_only_sandboxed(hostile: tuple[Path, Path]) -> None:
    """The second layer: if git runs a program after all (here `--ext-diff` re-enables the external diff),
    it cannot write, so the marker is still not created."""
    repo, markers = hostile
    proc = run_git(repo, ["diff", "--ext-diff"])
    assert proc is not None
    assert fired(markers) == []


def test_known_safe_git_is_run_hardened(hostile: tuple[Path, Path]) -> None:
    repo, markers = hostile
    script = ["bash", "-lc", "git status --short && git diff | head -n 40; git log -p -2"]
    for argv in (["git", "status"], ["git", "diff"], ["git", "--no-pager", "log", "-p", "-1"], ["git", "show"], script):
        assert is_known_safe_command(argv)
        done = subprocess.run(hardened_command(argv, repo), cwd=repo, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    assert "+changed" in done.stdout and " M b.dat" in done.stdout and "signed" in done.stdout
    assert fired(markers) == []
    assert hardened_command(["ls", "-la"], repo) == ["ls", "-la"]
    assert hardened_command(["git", "commit", "-m", "x"], repo) == ["git", "commit", "-m", "x"]  # asks instead


def test_exec_known_safe_git_runs_no_repository_program(
    fake: FakeProvider,  # noqa: F811
    hostile: tuple[Path, Path],
) -> None:
    """Through exec with `-a untrusted` and no sandbox (which would otherwise mask the problem): the model's
    `git status` and `git diff` run without asking, show the right output, and run none of the programs."""
    repo, markers = hostile
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["git", "status", "--short"]}), call_id="c1")]),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", "git diff"]}), call_id="c2")]),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["git", "log", "-1"]}), call_id="c3")]),
        Reply(text="done"),
    )
    out = run("--json", "-a", "untrusted", "-s", "danger-full-access", "look", cwd=repo)
    assert out.returncode == 0, out.stderr
    commands = [e["item"] for e in events(out) if e.get("item", {}).get("type") == "command_execution"]
    finished = [c for c in commands if c.get("status") != "in_progress"]
    assert [c["status"] for c in finished] == ["completed"] * 3, finished
    assert finished[0]["command"] == "git status --short"  # the command as the model wrote it
    assert " M a.txt" in finished[0]["aggregated_output"]
    assert "+changed" in finished[1]["aggregated_output"] and "+more" in finished[1]["aggregated_output"]
    assert "signed" in finished[2]["aggregated_output"]
    assert fired(markers) == []


def test_exec_declines_sed_with_an_option_after_its_script(fake: FakeProvider, tmp_path: Path) -> None:  # noqa: F811
    """`sed -n 1p '-e1e CMD'` used to be known-safe: with `-e` given, `1p` becomes a file name and
    `1e CMD` runs CMD. Under `-a untrusted` exec (which never prompts) now declines it."""
    marker = tmp_path / "sed-ran"
    work = tmp_path / "work"
    work.mkdir()
    (work / "1p").write_text("line\n")
    attack = ["sed", "-n", "1p", f"-e1e touch {marker}"]
    subprocess.run(attack, cwd=work, capture_output=True, check=False)
    assert marker.exists(), "control: the attack works when sed runs it"
    marker.unlink()
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": attack}), call_id="s1")]),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", f"sed -n 1p '-e1e touch {marker}'"]}))]),
        Reply(text="done"),
    )
    out = run("--json", "-a", "untrusted", "-s", "danger-full-access", "read it", cwd=work)
    assert out.returncode == 0, out.stderr
    ends = [e["item"] for e in events(out) if e.get("item", {}).get("type") == "command_execution"]
    assert [c["status"] for c in ends if c.get("status") != "in_progress"] == ["declined", "declined"]
    assert not marker.exists()


# --- the session's git info: read straight from .git, never blocking ------------------------------
def test_git_info_reads_branch_and_commit(hostile: tuple[Path, Path]) -> None:
    repo, _ = hostile
    info = read_git_info(repo / "a.txt")
    assert info is not None and info.branch == "main"
    assert info.commit == _git(repo, "rev-parse", "HEAD")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge", "dir"])
def test_git_info_refuses_a_head_that_is_not_a_small_file(tmp_path: Path, kind: str) -> None:
    head = tmp_path / ".git" / "HEAD"
    head.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(head)
    elif kind == "dev-zero":
        head.symlink_to("/dev/zero")
    elif kind == "huge":
        with head.open("wb") as fh:
            fh.truncate(4 << 30)  # sparse 4 GiB
    else:
        head.mkdir()
    assert within(2, lambda: read_git_info(tmp_path)) is None


def test_git_info_refuses_a_fifo_dot_git_file_and_odd_refs(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".git")
    assert within(2, lambda: read_git_info(tmp_path)) is None
    other = tmp_path / "other"
    (other / ".git" / "refs" / "heads").mkdir(parents=True)
    (other / ".git" / "HEAD").write_text("ref: refs/heads/../../../secret\n")
    (other / "secret").write_text("not a commit id\n")
    os.mkfifo(other / ".git" / "refs" / "heads" / "main")
    info = within(2, lambda: read_git_info(other))
    assert info is not None and info.commit is None


def test_exec_starts_with_a_fifo_at_git_head(fake: FakeProvider, tmp_path: Path) -> None:  # noqa: F811
    """A FIFO at .git/HEAD (which a sandboxed command may create) no longer hangs every later start."""
    work = tmp_path / "work"
    (work / ".git").mkdir(parents=True)
    os.mkfifo(work / ".git" / "HEAD")
    fake.script(Reply(text="still here"))
    started = time.monotonic()
    out = run("--json", "-s", "danger-full-access", "-a", "never", "hi", cwd=work, timeout=30)
    assert time.monotonic() - started < 5
    assert out.returncode == 0, out.stderr
    rollouts = list_rollouts(resolve_paths())
    assert len(rollouts) == 1
    meta = load_rollout(rollouts[0][1]).meta
    assert (meta.git_branch, meta.git_commit) == (None, None)


async def test_slash_diff_names_what_broke_in_one_line(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """A repository git cannot read gives git's own one-line reason and a next step, not "not a repository"."""
    from tests.test_tui_commands import last_notice
    from tests.test_tui_conversation import make_app, send, wait_for

    _git(tmp_path, "init", "-q")
    with (tmp_path / ".git" / "config").open("a") as fh:
        fh.write("[broken\n")
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/diff")
        await wait_for(pilot, lambda: "git diff failed" in last_notice(app).message, "failure shown")
        notice = last_notice(app)
    assert "bad config line" in notice.message and "\n" not in notice.message


def test_completion_and_diff_do_not_wait_on_a_fifo_at_git_head(tmp_path: Path) -> None:
    """git itself would block reading a FIFO HEAD until the timeout: codex-py says why at once."""
    _git(tmp_path, "init", "-q")
    (tmp_path / "f.txt").write_text("x\n")
    (tmp_path / ".git" / "HEAD").unlink()
    os.mkfifo(tmp_path / ".git" / "HEAD")
    assert within(2, lambda: list_files(tmp_path)) == ["f.txt"]  # the plain walk instead

    def diff_error() -> str:
        try:
            workspace_diff(tmp_path)
        except OSError as exc:
            return str(exc)
        return "no error"

    assert within(2, diff_error) == f"fatal: {tmp_path}/.git/HEAD is not a regular file"
