"""apply_patch and file reads attacked the way a hostile repository or a prompt-injected model would.

Issue 11 items 2 (check-then-write race), 12 (FIFOs, /dev/zero, huge files, slow matching, a huge
AGENTS.md), 15 (deleting an outside symlink), 19 (NUL in a path, an EINVAL): each attack goes through
the agent's tools (a session with the loopback model), ``codex-py apply-patch`` or ``codex-py exec``.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codex_py.agent.events import PatchEnd
from codex_py.config import CliOverrides, load_config
from codex_py.protocol import ToolResult
from codex_py.sandbox.policy import SandboxPolicy, sandboxed_command
from codex_py.tools.apply_patch import PatchError, apply_patch, preview_patch
from codex_py.tools.apply_patch.fs import READ_MAX_BYTES
from codex_py.tools.text_editor import edit_as_patch
from tests.agent_support import make_session
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_agent import tool_outputs

NOT_WRITABLE_TMP = [
    "sandbox_workspace_write.exclude_slash_tmp=true",
    "sandbox_workspace_write.exclude_tmpdir_env_var=true",
]
"""tmp_path lies under /tmp: without these, a sibling folder would be writable anyway."""

RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        pytest.skip("this libc has no renameat2")
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        pytest.skip(f"renameat2(RENAME_EXCHANGE) unsupported here: {os.strerror(code)}")


ATTACKER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b, stop = (os.fsencode(x) for x in sys.argv[1:4])
print("ready", flush=True)
swaps = 0
while not os.path.exists(stop):
    for _ in range(100):
        if libc.renameat2(-100, a, -100, b, 2) != 0:
            sys.exit(f"renameat2: {os.strerror(ctypes.get_errno())}")
        swaps += 1
print(swaps, flush=True)
"""


def snapshot(root: Path) -> dict[str, bytes | str | None]:
    """Every entry under ``root``: file bytes, a symlink's target, None for a folder."""
    out: dict[str, bytes | str | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            out[rel] = os.readlink(path) if path.is_symlink() else None if path.is_dir() else path.read_bytes()
    return out


def one_line_error(text: str) -> bool:
    return "\n" not in text.strip() and "Traceback" not in text and "internal error" not in text


def race_patch(i: int) -> str:
    return (
        "*** Begin Patch\n"
        f"*** Add File: sub/new{i}.txt\n+planted {i}\n"
        f"*** Update File: sub/.bashrc\n@@\n+echo pwned {i}\n"
        f"*** Delete File: sub/v{i}.txt\n"
        "*** End Patch\n"
    )


async def test_a_folder_swapped_for_a_symlink_never_lets_a_patch_out(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """A sandboxed process swaps ``sub`` with a symlink to an outside folder (``RENAME_EXCHANGE``) in a
    loop while the model applies 64 patches into ``sub``: nothing outside ever changes, every patch
    lands whole or not at all, and each failure is one line for the model."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    for folder in (ws / "sub", outside):
        folder.mkdir(parents=True)
        (folder / ".bashrc").write_text("export PATH=/usr/bin\n")
        for i in range(64):
            (folder / f"v{i}.txt").write_text("victim\n")
    (ws / "lnk").symlink_to(outside)
    _exchange(ws / "sub", ws / "lnk")  # the kernel and file system support the attack
    _exchange(ws / "sub", ws / "lnk")
    before = snapshot(outside)

    calls = [Call("apply_patch", json.dumps({"input": race_patch(i)}), call_id=f"p{i}") for i in range(64)]
    fake_provider.script(*(Reply(tool_calls=calls[k : k + 8]) for k in range(0, 64, 8)), Reply(text="done"))
    control = Call("apply_patch", json.dumps({"input": race_patch(64)}), call_id="after")
    fake_provider.script(Reply(tool_calls=[control]), Reply(text="done"))
    session, sink = make_session(
        fake_provider, ws, "responses", sandbox="workspace-write", approval="never", overrides=NOT_WRITABLE_TMP
    )
    policy = SandboxPolicy.from_config(session.config)
    stop = tmp_path / "stop"
    argv, env, _ = sandboxed_command([sys.executable, "-c", ATTACKER, "ws/sub", "ws/lnk", str(stop)], policy)
    attacker = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert attacker.stdout is not None and attacker.stdout.readline().strip() == "ready"
        await session.run_turn("apply them")
    finally:
        stop.touch()
        out, err = attacker.communicate(timeout=30)
    raced = fake_provider.requests[-1].json
    # control: once the swapping stops, the same kind of patch applies (the defence refuses races, not patches)
    (ws / "sub" if not (ws / "sub").is_symlink() else ws / "lnk").joinpath("v64.txt").write_text("victim\n")
    if (ws / "sub").is_symlink():
        _exchange(ws / "sub", ws / "lnk")
    await session.run_turn("one more")
    await session.aclose()
    assert tool_outputs(fake_provider.requests[-1].json, "responses")["after"].startswith("Success."), "control"
    assert attacker.returncode == 0, err
    assert int(out.split()[-1]) > 1000  # the swap really ran all along

    assert snapshot(outside) == before
    real_sub = ws / "sub" if not (ws / "sub").is_symlink() else ws / "lnk"
    outputs = tool_outputs(raced, "responses")
    assert len(outputs) == 64
    applied = 0
    for i in range(64):
        text = outputs[f"p{i}"]
        landed = (real_sub / f"new{i}.txt").exists()
        if text.startswith("Success."):
            applied += 1
            assert landed and not (real_sub / f"v{i}.txt").exists(), text
            assert f"echo pwned {i}" in (real_sub / ".bashrc").read_text()
        else:
            assert one_line_error(text), text
            assert not landed and (real_sub / f"v{i}.txt").read_text() == "victim\n", text
    # how many land depends on the machine's speed (on an idle one, often none): the control turn shows any can
    assert [p.name for p in real_sub.iterdir() if p.name.endswith((".tmp", ".orig"))] == []
    assert len(sink.of(PatchEnd)) == 64 + 1  # the race's patches and the control


def test_a_patch_judged_then_swapped_is_refused_before_writing(tmp_path: Path) -> None:
    """The approval judged real paths; a folder swapped for a symlink afterwards makes apply_patch refuse."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    (ws / "sub").mkdir(parents=True)
    outside.mkdir()
    text = "*** Begin Patch\n*** Add File: sub/x.txt\n+x\n*** End Patch\n"
    [change] = preview_patch(text, ws, allow_outside=True)
    assert change.real == ws / "sub" / "x.txt"
    (ws / "sub").rmdir()
    (ws / "sub").symlink_to(outside)
    with pytest.raises(PatchError, match="not checked") as caught:
        apply_patch(text, ws, allow_outside=True, judged=[change.real])
    assert one_line_error(str(caught.value))
    assert list(outside.iterdir()) == []


def test_the_writer_never_follows_a_symlink_on_the_judged_path(tmp_path: Path) -> None:
    """Even past the judgement, the write walks the real path without following symlinks."""
    from codex_py.tools.apply_patch.writer import Op, commit

    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "keep.txt").write_text("old\n")
    (ws / "sub").symlink_to(outside)  # appeared after the plan judged ws/sub/x.txt
    with pytest.raises(PatchError) as caught:
        commit([Op(ws / "keep.txt", b"new\n"), Op(ws / "sub" / "x.txt", b"x\n")])
    message = str(caught.value)
    assert "replaced by a symlink" in message and "rolled back" in message and one_line_error(message)
    assert list(outside.iterdir()) == []
    assert (ws / "keep.txt").read_text() == "old\n"


# --- item 15 ----------------------------------------------------------------------------------


async def test_deleting_an_outside_symlink_to_an_inside_file_is_judged_outside(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "target.txt").write_text("t\n")
    (outside / "link").symlink_to(ws / "target.txt")
    patch = "*** Begin Patch\n*** Delete File: ../outside/link\n*** End Patch\n"
    fake_provider.script(
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}), call_id="d")]), Reply(text="ok")
    )
    session, _ = make_session(
        fake_provider, ws, "responses", sandbox="workspace-write", approval="never", overrides=NOT_WRITABLE_TMP
    )
    await session.run_turn("delete it")
    await session.aclose()
    assert tool_outputs(fake_provider.requests[-1].json, "responses")["d"].startswith("patch rejected")
    assert (outside / "link").is_symlink() and (ws / "target.txt").read_text() == "t\n"


def test_cli_refuses_deleting_an_outside_symlink_through_a_symlinked_folder(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "target.txt").write_text("t\n")
    (outside / "link").symlink_to(ws / "target.txt")
    (ws / "out").symlink_to(outside)
    with pytest.raises(PatchError, match="a symlink leads it outside"):
        apply_patch("*** Begin Patch\n*** Delete File: out/link\n*** End Patch\n", ws)
    assert (outside / "link").is_symlink()


# --- item 12: FIFOs, devices, huge files, slow matching -----------------------------------------


def cli_apply(patch: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "apply-patch", patch], cwd=cwd, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    "hunk",
    ["*** Update File: pipe\n@@\n-a\n+b", "*** Add File: pipe\n+b", "*** Delete File: pipe"],
    ids=["update", "add", "delete"],
)
def test_a_patch_on_a_fifo_returns_at_once_with_an_error(tmp_path: Path, hunk: str) -> None:
    os.mkfifo(tmp_path / "pipe")
    started = time.monotonic()
    out = cli_apply(f"*** Begin Patch\n{hunk}\n*** End Patch\n", tmp_path)
    assert time.monotonic() - started < 20
    assert out.returncode == 1
    assert "it is a FIFO, not a regular file" in out.stderr and one_line_error(out.stderr), out.stderr
    assert (tmp_path / "pipe").is_fifo()


async def test_updating_dev_zero_is_refused_before_any_read(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """The agent verifies (reads) before asking for approval: /dev/zero must be refused, not read."""
    patch = "*** Begin Patch\n*** Update File: /dev/zero\n@@\n-a\n+b\n*** End Patch\n"
    fake_provider.script(
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}), call_id="z")]), Reply(text="ok")
    )
    session, _ = make_session(fake_provider, tmp_path, "responses", approval="never")
    started = time.monotonic()
    await session.run_turn("zero")
    await session.aclose()
    assert time.monotonic() - started < 20
    output = tool_outputs(fake_provider.requests[-1].json, "responses")["z"]
    assert "it is a character device, not a regular file" in output and one_line_error(output)


def test_text_editor_view_refuses_devices_and_fifos_and_caps_big_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    for target in ("/dev/zero", str(tmp_path / "pipe")):
        result = edit_as_patch({"command": "view", "path": target}, tmp_path)
        assert isinstance(result, ToolResult) and result.is_error and "not a regular file" in result.output
    edit = edit_as_patch({"command": "str_replace", "path": "/dev/zero", "old_str": "a", "new_str": "b"}, tmp_path)
    assert isinstance(edit, ToolResult) and edit.is_error and "character device" in edit.output
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(1 << 30)  # 1 GiB, sparse
    started = time.monotonic()
    view = edit_as_patch({"command": "view", "path": "big.txt", "view_range": [1, 1]}, tmp_path)
    assert time.monotonic() - started < 5
    assert isinstance(view, ToolResult) and not view.is_error
    assert view.output.endswith(f"[cut: the first 256 KiB of {1 << 30} bytes shown; read on with a command]")


def test_a_file_over_the_read_cap_is_refused_with_the_cap_named(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(READ_MAX_BYTES + 1)
    with pytest.raises(PatchError, match=r"larger than the 10 MiB patches read \(10485761 bytes\)") as caught:
        apply_patch("*** Begin Patch\n*** Update File: big.txt\n@@\n+x\n*** End Patch\n", tmp_path)
    assert one_line_error(str(caught.value))
    edit = edit_as_patch({"command": "insert", "path": "big.txt", "insert_line": 0, "new_str": "x"}, tmp_path)
    assert isinstance(edit, ToolResult) and "10 MiB" in edit.output


def test_matching_a_2k_line_chunk_in_a_40k_line_file_is_linear(tmp_path: Path) -> None:
    """Every line alike but the last of the chunk, which matches only once whitespace is ignored: the
    old list-slice search compared ~2k lines at each of 40k places in three passes (seconds)."""
    lines = ["    x = 1"] * 40_000
    lines[39_000] = "\t y = 2  "
    (tmp_path / "big.py").write_text("\n".join(lines) + "\n")
    chunk = ["    x = 1"] * 1_999 + ["y = 2"]
    patch = (
        "*** Begin Patch\n*** Update File: big.py\n@@\n" + "".join(f"-{x}\n" for x in chunk) + "+z = 3\n*** End Patch\n"
    )
    started = time.monotonic()
    apply_patch(patch, tmp_path)
    elapsed = time.monotonic() - started
    result = (tmp_path / "big.py").read_text().splitlines()
    assert result[37_001] == "z = 3" and len(result) == 40_000 - 1_999
    assert result[:37_001] == lines[:37_001] and result[37_002:] == lines[39_001:]
    assert elapsed < 2, elapsed


def test_showing_a_big_replacement_of_repeated_lines_is_fast(tmp_path: Path) -> None:
    """The display diff refines a replaced block with difflib, cubic on repeated lines (1,000 x 1,000
    took seconds); a block that big now shows as one change."""
    (tmp_path / "f.txt").write_text("x\n" * 1_000)
    new = ["x", "y"] * 500
    patch = "*** Begin Patch\n*** Update File: f.txt\n@@\n" + "-x\n" * 1_000 + "".join(f"+{x}\n" for x in new)
    started = time.monotonic()
    [change] = preview_patch(patch + "*** End Patch\n", tmp_path)
    assert time.monotonic() - started < 2
    assert change.new_text == "".join(f"{x}\n" for x in new)
    body = change.diff.splitlines()[3:]  # after the ---/+++ and @@ headers
    assert body[0] == " x" and body.count("-x") == 999 and len([x for x in body if x.startswith("+")]) == 999


# --- item 12: AGENTS.md -----------------------------------------------------------------------


def exec_run(fake: FakeProvider, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{fake.base_url}"\nwire_api = "responses"\nrequest_max_retries = 0\n'
    )
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", "--json", "-s", "read-only", "hi"],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_huge_sparse_agents_md_reads_only_the_cap(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    with (repo / "AGENTS.md").open("wb") as f:
        f.write(b"# Rules\nAlways test.\n")
        f.truncate(4 << 30)  # 4 GiB, sparse
    fake_provider.script(Reply(text="hello"))
    started = time.monotonic()
    out = exec_run(fake_provider, isolated_home, repo)
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - started < 30
    sent = json.dumps(fake_provider.requests[0].json)
    assert "Always test." in sent
    assert "AGENTS.md instructions cut: 32768 of " in sent and len(sent) < 400_000  # NULs are sent as \u0000


def test_a_fifo_agents_md_does_not_block_start_up(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    os.mkfifo(repo / "AGENTS.override.md")
    (repo / "AGENTS.md").write_text("Use tabs.\n")
    fake_provider.script(Reply(text="hello"))
    out = exec_run(fake_provider, isolated_home, repo)
    assert out.returncode == 0, out.stderr
    assert "Use tabs." in json.dumps(fake_provider.requests[0].json)


# --- item 19: NUL in a path, EINVAL -----------------------------------------------------------


async def test_nul_in_a_patch_path_is_a_one_line_error_for_the_model(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    patch = "*** Begin Patch\n*** Add File: a\x00b.txt\n+x\n*** End Patch\n"
    fake_provider.script(
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}), call_id="n")]), Reply(text="ok")
    )
    session, _ = make_session(fake_provider, tmp_path, "responses", approval="never")
    await session.run_turn("nul")
    await session.aclose()
    output = tool_outputs(fake_provider.requests[-1].json, "responses")["n"]
    assert "contains a NUL character" in output and one_line_error(output)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="reading /proc/self/clear_refs needs CAP_DAC_OVERRIDE")
def test_an_einval_from_the_kernel_is_a_one_line_error(tmp_path: Path) -> None:
    """/proc/self/clear_refs opens as root and then fails every read with EINVAL."""
    for hunk in ("*** Delete File: /proc/self/clear_refs", "*** Update File: /proc/self/clear_refs\n@@\n+x"):
        with pytest.raises(PatchError) as caught:
            preview_patch(f"*** Begin Patch\n{hunk}\n*** End Patch\n", tmp_path, allow_outside=True)
        message = str(caught.value)
        assert f"(os error {errno.EINVAL})" in message and one_line_error(message), message


def test_config_for_the_race_makes_the_outside_folder_unwritable(tmp_path: Path) -> None:
    """Guard for the race test: the sibling folder is not a writable root, so only the fds protect it."""
    (tmp_path / "ws").mkdir()
    config = load_config(CliOverrides(cd=tmp_path / "ws", sandbox="workspace-write", config=NOT_WRITABLE_TMP))
    assert not SandboxPolicy.from_config(config).can_write(tmp_path / "outside" / "x")
