"""The shell executor on real processes: interleaving, decoding, timeouts, interrupts, memory cap, model text."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from codex_py.sandbox.landlock import landlock_abi
from codex_py.sandbox.policy import SandboxPolicy
from codex_py.tools import shell
from codex_py.tools.shell import CommandResult, format_for_model, run_command
from codex_py.tools.truncate import truncate_middle

PY = sys.executable


def full(ws: Path) -> SandboxPolicy:
    return SandboxPolicy("danger-full-access", ws)


def sandboxed(ws: Path) -> SandboxPolicy:
    return SandboxPolicy("workspace-write", ws, temp_roots=[ws])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, just not reaped yet


async def test_stdout_and_stderr_interleave_in_order_and_stream(tmp_path: Path) -> None:
    chunks: list[str] = []
    script = (
        "import sys\nfor i in range(3):\n print('out', i, flush=True); print('err', i, file=sys.stderr, flush=True)"
    )
    result = await run_command([PY, "-c", script], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path),
                               on_output=chunks.append)  # fmt: skip
    expected = "".join(f"out {i}\nerr {i}\n" for i in range(3))
    assert result.output == expected
    assert "".join(chunks) == expected
    assert (result.exit_code, result.timed_out, result.sandbox_denied, result.truncated_for_ui) == (
        0,
        False,
        False,
        False,
    )


async def test_argv_is_not_run_through_a_shell(tmp_path: Path) -> None:
    result = await run_command(["echo", "$HOME", "a;b", "*"], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path))
    assert result.output == "$HOME a;b *\n"


async def test_binary_and_split_utf8_output_is_decoded_safely(tmp_path: Path) -> None:
    script = (
        "import sys, time\nout = sys.stdout.buffer\n"
        "out.write(b'caf\\xc3'); out.flush(); time.sleep(0.05)\n"
        "out.write(b'\\xa9 \\xff\\xfe\\x00 end\\n'); out.flush()"
    )
    result = await run_command([PY, "-c", script], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path))
    assert result.output == "café \ufffd\ufffd\x00 end\n"


async def test_exit_codes_and_signals(tmp_path: Path) -> None:
    failed = await run_command(["sh", "-c", "echo bye; exit 3"], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path))
    assert (failed.exit_code, failed.output) == (3, "bye\n")
    killed = await run_command(["sh", "-c", "kill -TERM $$"], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path))
    assert killed.exit_code == 128 + 15


@pytest.mark.parametrize("policy", [full, sandboxed])
async def test_missing_command_is_exit_127_not_an_exception(tmp_path: Path, policy: object) -> None:
    if policy is sandboxed and landlock_abi() == 0:
        pytest.skip("no Landlock on this kernel")
    result = await run_command(["no-such-command-xyz", "-v"], cwd=tmp_path, timeout_ms=10_000, policy=policy(tmp_path))  # type: ignore[operator]
    assert result.exit_code == 127
    assert "command not found: no-such-command-xyz" in result.output
    assert not result.sandbox_denied


async def test_missing_workdir_and_empty_argv_are_clear_errors(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    result = await run_command(["ls"], cwd=gone, timeout_ms=10_000, policy=full(tmp_path))
    assert result.exit_code == 1
    assert result.output == f"codex-py: working directory does not exist: {gone}"
    assert (await run_command([], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path))).exit_code == 1


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "bg.pid"
    script = f"sleep 60 & echo $! > {pid_file}; echo started; wait"
    result = await run_command(["sh", "-c", script], cwd=tmp_path, timeout_ms=500, policy=full(tmp_path))
    assert result.exit_code == 124
    assert result.timed_out
    assert result.output == "command timed out after 500 milliseconds\nstarted\n"
    assert not _alive(int(pid_file.read_text()))
    text = format_for_model(result, max_bytes=10_000, max_lines=256)
    assert text.startswith("Exit code: 124\n")
    assert text.endswith("Output:\ncommand timed out after 500 milliseconds\nstarted\n")


async def test_cancellation_kills_the_process_group_and_propagates(tmp_path: Path) -> None:
    pid_file = tmp_path / "bg.pid"
    started = asyncio.Event()
    script = f"sleep 60 & echo $! > {pid_file}; echo started; wait"

    def on_output(chunk: str) -> None:
        if "started" in chunk:
            started.set()

    task = asyncio.create_task(
        run_command(["sh", "-c", script], cwd=tmp_path, timeout_ms=60_000, policy=full(tmp_path), on_output=on_output)
    )
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pid = int(pid_file.read_text())
    for _ in range(100):  # SIGKILL delivery is asynchronous; poll briefly
        if not _alive(pid):
            break
        await asyncio.sleep(0.02)
    assert not _alive(pid)


async def test_huge_output_keeps_head_and_tail_within_the_memory_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shell, "CAPTURE_HALF", 1000)
    script = "import sys\nsys.stdout.write('HEAD' + 'x' * 200_000 + 'TAIL')"
    result = await run_command([PY, "-c", script], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path))
    assert result.truncated_for_ui
    assert result.output.startswith("HEAD")
    assert result.output.endswith("TAIL")
    assert "characters dropped from the middle" in result.output
    assert len(result.output) < 2000 + 100


async def test_env_is_passed_exactly(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "ONLY_THIS": "yes"}
    result = await run_command(["sh", "-c", "echo $ONLY_THIS ${HOME:-nohome}"], cwd=tmp_path, timeout_ms=10_000,
                               policy=full(tmp_path), env=env)  # fmt: skip
    assert result.output == "yes nohome\n"


async def test_sandbox_denied_is_flagged_only_under_a_sandbox(tmp_path: Path) -> None:
    if landlock_abi() == 0:
        pytest.skip("no Landlock on this kernel")
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = tmp_path / "ws"
    ws.mkdir()
    write = ["touch", f"{outside}/f"]
    denied = await run_command(write, cwd=ws, timeout_ms=10_000, policy=sandboxed(ws))
    assert denied.exit_code != 0 and denied.sandbox_denied
    fake = ["sh", "-c", "echo 'Permission denied'; exit 1"]
    assert not (await run_command(fake, cwd=ws, timeout_ms=10_000, policy=full(ws))).sandbox_denied
    usage = ["sh", "-c", "echo 'Permission denied'; exit 2"]
    assert not (await run_command(usage, cwd=ws, timeout_ms=10_000, policy=sandboxed(ws))).sandbox_denied


def test_format_for_model_small_output() -> None:
    result = CommandResult(0, "hello\n", 1.23)
    assert format_for_model(result, max_bytes=10_000, max_lines=256) == (
        "Exit code: 0\nWall time: 1.2 seconds\nOutput:\nhello\n"
    )
    assert format_for_model(CommandResult(2, "", 0.01), max_bytes=10, max_lines=5) == (
        "Exit code: 2\nWall time: 0 seconds\nOutput:\n"
    )


def test_format_for_model_truncates_lines_head_and_tail() -> None:
    output = "".join(f"line {i}\n" for i in range(1, 1001))
    text = format_for_model(CommandResult(0, output, 3.0), max_bytes=100_000, max_lines=10)
    header, body = text.split("Output:\n")
    assert header == "Exit code: 0\nWall time: 3 seconds\nTotal output lines: 1000\n"
    assert body.splitlines() == [
        *(f"line {i}" for i in range(1, 6)),
        "…990 lines truncated…",
        *(f"line {i}" for i in range(996, 1001)),
    ]


def test_truncation_by_bytes_keeps_characters_whole() -> None:
    text = "é" * 5000  # 2 bytes each
    cut = truncate_middle(text, max_bytes=1001, max_lines=0)
    head, tail = cut.split("…")[0], cut.split("…")[-1]
    assert head == "é" * 250
    assert tail == "é" * 250
    assert "…4500 chars truncated…" in cut
    assert truncate_middle("short", max_bytes=10, max_lines=1) == "short"


async def test_a_failing_output_callback_is_not_swallowed(tmp_path: Path) -> None:
    def broken(chunk: str) -> None:
        raise RuntimeError("sink broke")

    with pytest.raises(RuntimeError, match="sink broke"):
        await run_command(["echo", "x"], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path), on_output=broken)


async def test_a_background_process_holding_the_pipe_does_not_make_the_command_time_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "bg.pid"
    script = f"sleep 60 & echo $! > {pid_file}; echo started"
    fds_before = len(os.listdir("/proc/self/fd"))
    result = await run_command(["sh", "-c", script], cwd=tmp_path, timeout_ms=30_000, policy=full(tmp_path))
    pid = int(pid_file.read_text())
    try:
        assert (result.exit_code, result.timed_out) == (0, False)
        assert result.output.startswith("started\n")
        assert "background processes still held its output open" in result.output
        assert _alive(pid)  # the command's exit does not kill what it left running
        await asyncio.sleep(0)  # the transport closes its pipe end on the next loop iteration
        # no pipe left open (another test's leftover fd may close meanwhile: "not more", not "equal")
        assert len(os.listdir("/proc/self/fd")) <= fds_before
    finally:
        os.kill(pid, 9)


async def test_output_a_background_process_writes_just_after_exit_is_kept(tmp_path: Path) -> None:
    script = "(sleep 0.2; echo late) & echo early"
    result = await run_command(["sh", "-c", script], cwd=tmp_path, timeout_ms=30_000, policy=full(tmp_path))
    assert (result.exit_code, result.output) == (0, "early\nlate\n")


async def test_a_failing_output_callback_stops_the_command(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def broken(chunk: str) -> None:
        raise RuntimeError("sink broke")

    script = f"echo $$ > {pid_file}; echo x; sleep 60"
    with pytest.raises(RuntimeError, match="sink broke"):
        await run_command(
            ["sh", "-c", script], cwd=tmp_path, timeout_ms=60_000, policy=full(tmp_path), on_output=broken
        )
    pid = int(pid_file.read_text())
    for _ in range(100):
        if not _alive(pid):
            break
        await asyncio.sleep(0.02)
    assert not _alive(pid)


async def test_an_argument_list_too_long_is_a_clear_error(tmp_path: Path) -> None:
    huge = "x" * 200_000  # above the kernel's 128 KiB limit for one argument
    result = await run_command(["echo", huge], cwd=tmp_path, timeout_ms=10_000, policy=full(tmp_path))
    assert result.exit_code == 126
    assert result.output.startswith("codex-py: cannot execute echo: the command line is too long")
    assert "write long scripts or data to a file" in result.output


async def test_a_missing_sandbox_interpreter_is_named_not_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if landlock_abi() == 0:
        pytest.skip("no Landlock on this kernel")
    gone = tmp_path / "gone" / "python3"
    monkeypatch.setattr(sys, "executable", str(gone))
    monkeypatch.setattr(sys, "_base_executable", str(gone), raising=False)
    result = await run_command(["ls"], cwd=tmp_path, timeout_ms=10_000, policy=sandboxed(tmp_path))
    assert result.exit_code == 127
    assert result.output == (
        f"codex-py: the sandbox helper's Python ({gone}) is missing, so the command did not run; "
        "reinstall codex-py or run with --sandbox danger-full-access"
    )


async def test_cancellation_waits_for_the_killed_child_before_closing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Closing a still-running transport reaps the child itself and races asyncio's child watcher."""
    asyncio.get_running_loop().set_debug(True)  # debug mode logs "Close running child process"
    caplog.set_level("WARNING", logger="asyncio")
    started = asyncio.Event()
    task = asyncio.create_task(
        run_command(
            ["sh", "-c", "echo go; sleep 60"],
            cwd=tmp_path,
            timeout_ms=60_000,
            policy=full(tmp_path),
            on_output=lambda chunk: started.set(),
        )
    )
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not [r.getMessage() for r in caplog.records if "child process" in r.getMessage()]
