"""Checkpoints and undo: the shadow store, and ``codex-py undo`` end to end through exec and the loopback model."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codex_py.config import resolve_paths
from codex_py.session.checkpoints import CheckpointStore
from codex_py.session.rollout import list_rollouts
from codex_py.session.undo import TurnCheckpoint, apply_plan, plan_undo, read_checkpoints
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="checkpoints need git")

QUIET = ["-s", "danger-full-access", "-a", "never"]
GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_OPTIONAL_LOCKS": "0",  # our own `git status` must not refresh the index it is checking
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


def tree_state(folder: Path, *, skip_git: bool = True) -> dict[str, tuple[str, int]]:
    """Every file below ``folder``: its bytes' hash (or a symlink's target) and its full mode."""
    out: dict[str, tuple[str, int]] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if skip_git and (rel == ".git" or rel.startswith(".git/")):
            continue
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("-> " + os.readlink(path), st.st_mode)
        elif stat.S_ISREG(st.st_mode):
            out[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mode)
        else:
            out[rel] = ("dir", st.st_mode)
    return out


def git_dir_state(repo: Path) -> dict[str, tuple[str, int]]:
    """Every byte of the user's .git, plus what git says about status, HEAD and stash."""
    state = tree_state(repo / ".git", skip_git=False)
    state["<status>"] = (git(repo, "status", "--porcelain=v2", "--branch", "--untracked-files=all"), 0)
    state["<stash>"] = (git(repo, "stash", "list"), 0)
    state["<head>"] = (git(repo, "rev-parse", "HEAD"), 0)
    return state


# --- the store ---------------------------------------------------------------------------------
def store(tmp_path: Path, ws: Path, **kw: int) -> CheckpointStore:
    return CheckpointStore.for_workspace(tmp_path / "data", ws, **kw)


def test_snapshot_and_restore_bytes_modes_links_created_and_deleted(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "crlf.txt").write_bytes(b"one\r\ntwo\r\n\x00binary")
    (ws / "sub" / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(ws / "sub" / "run.sh", 0o750)
    (ws / "plain.txt").write_text("plain\n")
    os.chmod(ws / "plain.txt", 0o600)
    (ws / "link").symlink_to("plain.txt")
    (ws / ".gitattributes").write_text("* text=auto eol=lf\n")  # must not convert what is stored
    before = tree_state(ws)
    s = store(tmp_path, ws)
    a = s.snapshot("S")
    # the turn: rewrite, chmod, delete, create (in a new folder), retarget a link
    (ws / "crlf.txt").write_bytes(b"changed")
    os.chmod(ws / "plain.txt", 0o700)
    (ws / "plain.txt").write_text("plain, edited\n")
    (ws / "sub" / "run.sh").unlink()
    (ws / "new" / "deep").mkdir(parents=True)
    (ws / "new" / "deep" / "file").write_text("new\n")
    (ws / "link").unlink()
    (ws / "link").symlink_to("/etc/passwd")
    b = s.snapshot("S")
    plan = plan_undo(s, "S", [TurnCheckpoint("t1", a.commit, b.commit)])
    assert sorted(plan.actions) == [
        ("create", "sub/run.sh"),
        ("delete", "new/deep/file"),
        ("restore", "crlf.txt"),
        ("restore", "link"),
        ("restore", "plain.txt"),
    ]
    assert plan.conflicts == []
    result = apply_plan(s, plan)
    assert sorted(result.deleted) == ["new/deep/file"]
    assert sorted(result.created) == ["sub/run.sh"]
    assert sorted(result.restored) == ["crlf.txt", "link", "plain.txt"]
    after = tree_state(ws)
    assert after == before  # bytes, exact modes (0o600 chmod'ed to 0o700, a 0o750 file recreated), link target
    assert not (ws / "new").exists()  # the folders the turn made are gone too


def test_nothing_changed_reuses_the_commit_and_gitignore_is_honoured(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "build").mkdir(parents=True)
    (ws / "node_modules" / "x").mkdir(parents=True)
    (ws / ".gitignore").write_text("build/\n*.log\n")
    (ws / "build" / "out.o").write_text("obj")
    (ws / "debug.log").write_text("log")
    (ws / "node_modules" / "x" / "index.js").write_text("js")
    (ws / "src.py").write_text("print()\n")
    s = store(tmp_path, ws)
    a = s.snapshot("S")
    assert s.snapshot("S").commit == a.commit
    stored = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", a.commit], env=s._env(), cwd=s.root, capture_output=True, text=True
    ).stdout.split()
    assert stored == [".gitignore", "src.py"]


def test_big_files_are_left_out_listed_and_never_deleted_by_undo(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "big.bin").write_bytes(b"x" * 5000)
    s = store(tmp_path, ws, max_file_bytes=1000)
    a = s.snapshot("S")
    assert a.skipped == ("big.bin",)
    (ws / "big.bin").write_bytes(b"small")  # shrinks under the cap: now stored
    b = s.snapshot("S")
    assert b.skipped == ()
    changes = s.changes(a.commit, b.commit)
    assert [(c.path, c.before) for c in changes] == [("big.bin", None)]  # looks "created" ...

    plan = plan_undo(s, "S", [TurnCheckpoint("t1", a.commit, b.commit, a.skipped)])
    assert plan.kept == ["big.bin"] and plan.actions == []  # ... but it was only too big: kept
    assert (ws / "big.bin").read_bytes() == b"small"


def test_the_users_repository_and_global_git_config_are_never_used(tmp_path: Path) -> None:
    """The user's .git is untouched (index, HEAD, refs, stash, hooks), and no program named by the
    user's global config, the repository's config or the workspace's attributes runs."""
    home = tmp_path / "home"
    home.mkdir()
    pwned = tmp_path / "pwned"
    (home / ".gitconfig").write_text(
        f'[filter "evil"]\n\tclean = touch {pwned}\n\tsmudge = touch {pwned}\n\trequired = true\n'
        f"[core]\n\tfsmonitor = touch {pwned}\n\thooksPath = {home}/hooks\n"
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitattributes").write_text("* filter=evil\n")
    (repo / "a.txt").write_text("a\n")
    env = {**GIT_ENV, "HOME": str(home)}
    subprocess.run(["git", "-c", "core.fsmonitor=false", "add", "a.txt"], cwd=repo, env={**GIT_ENV}, check=True)
    subprocess.run(["git", "commit", "-qm", "init", "--no-verify"], cwd=repo, env=GIT_ENV, check=True)
    (repo / "a.txt").write_text("stash me\n")
    subprocess.run(["git", "stash", "-q"], cwd=repo, env=GIT_ENV, check=True)
    (repo / "a.txt").write_text("work in progress\n")
    (repo / ".git" / "config").write_text(
        (repo / ".git" / "config").read_text() + f'[filter "evil"]\n\tclean = touch {pwned}\n\trequired = true\n'
    )
    before = git_dir_state(repo)
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        s = store(tmp_path, repo)
        a = s.snapshot("S")
        (repo / "a.txt").write_text("the turn\n")
        b = s.snapshot("S")
        s.restore({c.path: c.before for c in s.changes(a.commit, b.commit)})
    finally:
        if old_home is None:
            del os.environ["HOME"]
        else:
            os.environ["HOME"] = old_home
    assert not pwned.exists()
    assert (repo / "a.txt").read_text() == "work in progress\n"
    del env
    assert git_dir_state(repo) == before


def test_restore_does_not_follow_a_symlink_planted_in_place_of_a_folder(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "dir").mkdir(parents=True)
    (ws / "dir" / "f.txt").write_text("original\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    s = store(tmp_path, ws)
    a = s.snapshot("S")
    shutil.rmtree(ws / "dir")
    (ws / "dir").symlink_to(outside)  # the turn swaps the folder for a link to elsewhere
    b = s.snapshot("S")
    s.restore({c.path: c.before for c in s.changes(a.commit, b.commit)})
    assert list(outside.iterdir()) == []  # nothing written through the link
    assert (ws / "dir").is_dir() and not (ws / "dir").is_symlink()
    assert (ws / "dir" / "f.txt").read_text() == "original\n"
    # a link planted after the plan was made (a race, or a folder the store does not track): the write
    # goes into a real folder that replaces the link, never through it
    entry = s.entries(a.commit, ["dir/f.txt"])["dir/f.txt"]
    shutil.rmtree(ws / "dir")
    (ws / "dir").symlink_to(outside)
    s.restore({"dir/f.txt": entry})
    assert list(outside.iterdir()) == []
    assert not (ws / "dir").is_symlink() and (ws / "dir" / "f.txt").read_text() == "original\n"


def test_prune_by_age_and_size_keeps_the_current_session(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    s = store(tmp_path, ws)
    day = 86400.0
    for age, sid in ((50, "ancient"), (20, "old"), (10, "mid"), (0, "now")):
        s.clock = lambda age=age: 1_800_000_000 - age * day
        (ws / f"{sid}.bin").write_bytes(os.urandom(200_000))  # incompressible
        s.snapshot(sid)
    s.clock = lambda: 1_800_000_000.0
    assert [sid for sid, _ in s.sessions()] == ["ancient", "old", "mid", "now"]
    assert s.prune(max_age_days=30, max_bytes=0) == ["ancient"]  # by age
    big = s.size_bytes()
    dropped = s.prune(max_age_days=30, max_bytes=big - 1, keep=frozenset({"old"}))
    assert dropped == ["mid"]  # the oldest one not kept, and that was enough
    assert s.size_bytes() < big
    assert [sid for sid, _ in s.sessions()] == ["old", "now"]
    assert s.prune(max_age_days=0, max_bytes=0) == []  # 0: no limits


# --- end to end: exec + undo ---------------------------------------------------------------------
@pytest.fixture
def fake(fake_provider: FakeProvider, isolated_home: Path) -> FakeProvider:
    (isolated_home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{fake_provider.base_url}"\nwire_api = "responses"\n'
        "request_max_retries = 0\nstream_max_retries = 1\n"
    )
    return fake_provider


def codex(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def make_workspace(root: Path, *, git_repo: bool) -> Path:
    ws = root / "project"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "app.py").write_text("def main():\n    return 1\n")
    (ws / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    os.chmod(ws / "tool.sh", 0o644)
    (ws / "keep.txt").write_text("untouched\n")
    if git_repo:
        git(ws, "init", "-q", "-b", "main")
        git(ws, "add", ".")
        git(ws, "commit", "-qm", "init")
        (ws / "keep.txt").write_text("stashed change\n")
        git(ws, "stash", "-q")
        (ws / "src" / "app.py").write_text("def main():\n    return 1\n# staged\n")
        git(ws, "add", "src/app.py")
        (ws / "notes.md").write_text("untracked\n")
    return ws


def script_three_changes(fake: FakeProvider) -> None:
    patch = (
        "*** Begin Patch\n*** Update File: src/app.py\n@@\n def main():\n-    return 1\n+    return 2\n*** End Patch\n"
    )
    create = "printf 'made by a command\\n' > created.txt"
    modify = "printf 'echo changed\\n' >> tool.sh && chmod +x tool.sh"
    fake.script(
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}))]),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", create]}))]),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", modify]}))]),
        Reply(text="Done."),
    )


@pytest.mark.parametrize("git_repo", [True, False], ids=["git-repo", "plain-folder"])
def test_undo_last_restores_a_turns_patch_and_shell_changes(fake: FakeProvider, tmp_path: Path, git_repo: bool) -> None:
    ws = make_workspace(tmp_path, git_repo=git_repo)
    files_before = tree_state(ws)
    git_before = git_dir_state(ws) if git_repo else None
    script_three_changes(fake)
    out = codex("exec", *QUIET, "make the three changes", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert "return 2\n" in (ws / "src" / "app.py").read_text()
    assert (ws / "created.txt").exists()
    assert os.stat(ws / "tool.sh").st_mode & 0o111
    if git_repo:
        assert git_before is not None
        during = git_dir_state(ws)
        assert {k: v for k, v in during.items() if k != "<status>"} == {
            k: v for k, v in git_before.items() if k != "<status>"
        }  # the session itself never touched .git (only the work tree changed)

    dry = codex("undo", "--last", "--dry-run", cwd=ws)
    assert dry.returncode == 0, dry.stderr
    assert sorted(dry.stdout.splitlines()) == [
        "would be deleted: created.txt",
        "would be restored: src/app.py",
        "would be restored: tool.sh",
    ]
    assert (ws / "created.txt").exists()  # a dry run changes nothing

    undo = codex("undo", "--last", cwd=ws)
    assert undo.returncode == 0, undo.stderr
    assert sorted(undo.stdout.splitlines()) == ["deleted: created.txt", "restored: src/app.py", "restored: tool.sh"]
    assert tree_state(ws) == files_before  # bytes and modes; the created file is gone
    if git_repo:
        assert git_dir_state(ws) == git_before  # status, index, HEAD, stash, every byte of .git

    again = codex("undo", "--last", cwd=ws)  # that turn is undone: nothing left
    assert again.returncode == 2
    assert "no turn left to undo" in again.stderr


def test_undo_refuses_a_file_changed_since_the_turn_unless_forced(fake: FakeProvider, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, git_repo=False)
    script_three_changes(fake)
    assert codex("exec", *QUIET, "go", cwd=ws).returncode == 0
    (ws / "tool.sh").write_text("the user's own edit\n")
    refused = codex("undo", cwd=ws)
    assert refused.returncode == 1
    assert "tool.sh" in refused.stderr and "--force" in refused.stderr
    assert (ws / "created.txt").exists()  # nothing was restored
    forced = codex("undo", "--force", cwd=ws)
    assert forced.returncode == 0, forced.stderr
    assert (ws / "tool.sh").read_text() == "#!/bin/sh\necho tool\n"
    assert not (ws / "created.txt").exists()


def test_checkpoints_are_recorded_in_the_rollout_and_survive_resume(fake: FakeProvider, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, git_repo=False)
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", "echo one > one.txt"]}))]),
        Reply(text="first"),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", "echo two > two.txt"]}))]),
        Reply(text="second"),
    )
    assert codex("exec", *QUIET, "turn one", cwd=ws).returncode == 0
    resumed = codex("exec", *QUIET, "resume", "--last", "turn two", cwd=ws)
    assert resumed.returncode == 0, resumed.stderr
    [(_, rollout)] = list_rollouts(resolve_paths())
    turns = read_checkpoints(rollout)
    assert len(turns) == 2 and all(t.after for t in turns)
    undo = codex("undo", "--turns", "2", cwd=ws)
    assert undo.returncode == 0, undo.stderr
    assert sorted(undo.stdout.splitlines()) == ["deleted: one.txt", "deleted: two.txt"]


def test_checkpoints_off_records_nothing(fake: FakeProvider, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, git_repo=False)
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-lc", "echo x > x.txt"]}))]),
        Reply(text="ok"),
    )
    assert codex("exec", *QUIET, "-c", "checkpoints=false", "go", cwd=ws).returncode == 0
    out = codex("undo", cwd=ws)
    assert out.returncode == 2 and "no turn left to undo" in out.stderr
    assert (ws / "x.txt").exists()


# --- TUI -----------------------------------------------------------------------------------------
async def test_tui_undo_restores_the_last_turns_files(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    from codex_py.tui.widgets.notice import Notice
    from tests.test_tui_conversation import idle, make_app, send, wait_for

    ws = make_workspace(tmp_path, git_repo=False)
    before = tree_state(ws)
    script_three_changes(fake_provider)
    app = make_app(fake_provider, ws, approval="never")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        app.session.config.sandbox_mode = "danger-full-access"  # type: ignore[union-attr]
        app.session.runner.reset_policy()  # type: ignore[union-attr]
        await send(pilot, app, "make the three changes")
        await wait_for(pilot, lambda: idle(app)() and (ws / "created.txt").exists(), "the turn ran", rounds=1500)
        await wait_for(pilot, idle(app), "turn finished")
        (ws / "keep.txt").write_text("the user's edit, not the turn's\n")
        await send(pilot, app, "/undo")
        await wait_for(pilot, lambda: not (ws / "created.txt").exists(), "undone", rounds=1500)
        notices = [n.message for n in app.chat.transcript.query(Notice)]
        assert any("Undid the last turn" in m and "deleted created.txt" in m for m in notices), notices
        await send(pilot, app, "/undo")
        await pilot.pause(0.2)
        notices = [n.message for n in app.chat.transcript.query(Notice)]
        assert "Nothing to undo" in notices[-1]
    expected = dict(before)
    expected["keep.txt"] = tree_state(ws)["keep.txt"]  # an edit that was not the turn's stays
    assert tree_state(ws) == expected


def test_the_repositorys_own_info_exclude_is_honoured(tmp_path: Path) -> None:
    """Local ignores in the workspace repository's ``.git/info/exclude`` keep those files out of checkpoints, as
    ``.gitignore`` does; a change to that file applies at the next snapshot."""
    ws = tmp_path / "ws"
    (ws / ".git" / "info").mkdir(parents=True)
    (ws / ".git" / "info" / "exclude").write_text("# mine\nscratch/\n*.tmp\n")
    (ws / "scratch").mkdir()
    (ws / "scratch" / "notes.txt").write_text("n")
    (ws / "a.tmp").write_text("t")
    (ws / "src.py").write_text("print()\n")
    s = store(tmp_path, ws)

    def stored(commit: str) -> list[str]:
        return subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", commit], env=s._env(), cwd=s.root, capture_output=True, text=True
        ).stdout.split()

    assert stored(s.snapshot("S").commit) == ["src.py"]
    (ws / ".git" / "info" / "exclude").write_text("scratch/\n")
    assert stored(s.snapshot("S").commit) == ["a.tmp", "src.py"]


def test_a_nested_repository_is_named_not_left_out_in_silence(tmp_path: Path) -> None:
    """A git repository inside the workspace (a vendored or cloned one) is not checkpointed: the session says so once,
    naming it, instead of undo later failing to restore its files without a word."""
    from codex_py.session.checkpoints import TurnCheckpointer

    ws = tmp_path / "ws"
    (ws / "vendor" / "lib").mkdir(parents=True)
    (ws / "top.txt").write_text("t")
    (ws / "vendor" / "lib" / "a.txt").write_text("a")
    subprocess.run(["git", "init", "-q", str(ws / "vendor" / "lib")], check=True)
    s = store(tmp_path, ws)
    assert s.snapshot("S").skipped == ("vendor/lib/",)
    records: list[tuple[str, dict[str, object]]] = []
    turns = TurnCheckpointer(s, "S", lambda kind, payload: records.append((kind, payload)))
    notes = turns.before("t1")
    assert any("a git repository of its own inside the workspace" in n and "vendor/lib/" in n for n in notes), notes
    assert not any("larger than" in n for n in notes)
    turns.after("t1")
    assert not any("vendor/lib/" in n for n in turns.before("t2")), "said once per session"
