"""The Landlock sandbox, tested by really trying to escape it.

Layout per test: ``root/ws`` is the workspace (with ``ws/.tmp`` as its only temp root, so the system /tmp
that holds ``root`` is not writable), ``root/outside`` is a sibling folder no policy allows. Every escape
must fail under read-only and workspace-write and succeed under danger-full-access.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from codex_py.sandbox.landlock import Ruleset, build_ruleset, landlock_abi
from codex_py.sandbox.policy import SandboxPolicy, sandbox_status, sandboxed_command
from codex_py.tools.shell import run_command

ABI = landlock_abi()
needs_landlock = pytest.mark.skipif(ABI == 0, reason="this kernel has no Landlock (landlock_create_ruleset failed)")
needs_net_rules = pytest.mark.skipif(ABI < 4, reason=f"Landlock ABI {ABI} has no network rules (needs ABI 4)")
needs_scopes = pytest.mark.skipif(ABI < 6, reason=f"Landlock ABI {ABI} has no signal scoping (needs ABI 6)")
RESTRICTED = ("read-only", "workspace-write")
HELPER = Path(__file__).resolve().parent.parent / "src" / "codex_py" / "sandbox" / "exec_helper.py"


@dataclass
class Layout:
    ws: Path
    outside: Path

    def policy(self, mode: str, *, network: bool = False) -> SandboxPolicy:
        return SandboxPolicy(mode, self.ws, [], network, temp_roots=[self.ws / ".tmp"])  # type: ignore[arg-type]

    async def sh(self, mode: str, script: str, *, network: bool = False) -> tuple[int, str]:
        env = {**os.environ, "TMPDIR": str(self.ws / ".tmp")}
        result = await run_command(
            ["sh", "-c", script], cwd=self.ws, timeout_ms=20_000, policy=self.policy(mode, network=network), env=env
        )
        return result.exit_code, result.output


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    ws = tmp_path / "ws"
    (ws / ".tmp").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("readable\n")
    return Layout(ws, outside)


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def _connect_script(port: int) -> str:
    return f"{sys.executable} -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=10)\""


@needs_landlock
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_writing_outside_the_workspace_fails_under_the_sandbox(layout: Layout, mode: str) -> None:
    code, output = await layout.sh(mode, f"echo escaped > {layout.outside}/new.txt")
    assert code != 0
    assert "Permission denied" in output
    assert not (layout.outside / "new.txt").exists()


async def test_writing_outside_the_workspace_works_under_full_access(layout: Layout) -> None:
    code, _ = await layout.sh("danger-full-access", f"echo escaped > {layout.outside}/new.txt")
    assert code == 0
    assert (layout.outside / "new.txt").read_text() == "escaped\n"


@needs_landlock
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_writing_through_a_symlink_pointing_outside_fails(layout: Layout, mode: str) -> None:
    (layout.ws / "link").symlink_to(layout.outside)
    code, _ = await layout.sh(mode, "echo escaped > link/via-link.txt")
    assert code != 0
    assert not (layout.outside / "via-link.txt").exists()
    code, _ = await layout.sh(mode, "echo changed > link/secret.txt")
    assert code != 0
    assert (layout.outside / "secret.txt").read_text() == "readable\n"


async def test_writing_through_a_symlink_works_under_full_access(layout: Layout) -> None:
    (layout.ws / "link").symlink_to(layout.outside)
    code, _ = await layout.sh("danger-full-access", "echo escaped > link/via-link.txt")
    assert code == 0
    assert (layout.outside / "via-link.txt").exists()


@needs_landlock
async def test_moving_or_deleting_files_outside_fails(layout: Layout) -> None:
    (layout.ws / "mine.txt").write_text("x")
    code, _ = await layout.sh("workspace-write", f"mv mine.txt {layout.outside}/moved.txt")
    assert code != 0
    assert not (layout.outside / "moved.txt").exists()
    code, _ = await layout.sh("workspace-write", f"rm -f {layout.outside}/secret.txt")
    assert code != 0
    assert (layout.outside / "secret.txt").exists()


@needs_landlock
async def test_workspace_write_allows_the_workspace_and_its_temp_root(layout: Layout) -> None:
    code, output = await layout.sh(
        "workspace-write", "echo a > inside.txt && mkdir -p sub/deeper && mv inside.txt sub/ && t=$(mktemp) && echo $t"
    )
    assert code == 0, output
    assert (layout.ws / "sub" / "inside.txt").read_text() == "a\n"
    assert output.strip().startswith(str(layout.ws / ".tmp"))


@needs_landlock
async def test_read_only_denies_the_workspace_but_allows_reading_and_dev_null(layout: Layout) -> None:
    code, _ = await layout.sh("read-only", "echo x > inside.txt")
    assert code != 0
    assert not (layout.ws / "inside.txt").exists()
    code, output = await layout.sh("read-only", f"cat {layout.outside}/secret.txt; echo gone > /dev/null; ls /")
    assert code == 0, output
    assert output.startswith("readable\n")


@needs_landlock
@needs_net_rules
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_tcp_connect_to_localhost_fails_under_the_sandbox(layout: Layout, listener: int, mode: str) -> None:
    code, output = await layout.sh(mode, _connect_script(listener))
    assert code != 0
    assert "PermissionError" in output


@needs_landlock
@needs_net_rules
async def test_tcp_bind_fails_under_the_sandbox(layout: Layout) -> None:
    script = f"{sys.executable} -c \"import socket; socket.socket().bind(('127.0.0.1', 0))\""
    code, output = await layout.sh("workspace-write", script)
    assert code != 0
    assert "PermissionError" in output


@pytest.mark.parametrize(("mode", "network"), [("danger-full-access", False), ("workspace-write", True)])
async def test_tcp_connect_works_with_full_access_or_network_access(
    layout: Layout, listener: int, mode: str, network: bool
) -> None:
    code, output = await layout.sh(mode, _connect_script(listener), network=network)
    assert code == 0, output


async def test_network_off_is_announced_in_the_environment(layout: Layout) -> None:
    _, output = await layout.sh("workspace-write", "echo flag=$CODEX_SANDBOX_NETWORK_DISABLED")
    assert output == "flag=1\n"
    _, output = await layout.sh("workspace-write", "echo flag=$CODEX_SANDBOX_NETWORK_DISABLED", network=True)
    assert output == "flag=\n"
    _, output = await layout.sh("danger-full-access", "echo flag=$CODEX_SANDBOX_NETWORK_DISABLED")
    assert output == "flag=\n"


@needs_landlock
@needs_scopes
async def test_sandboxed_command_cannot_signal_processes_outside(layout: Layout) -> None:
    victim = subprocess.Popen(["sleep", "30"])
    try:
        code, output = await layout.sh("workspace-write", f"kill -TERM {victim.pid}")
        assert code != 0, output
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def _helper(ruleset: Ruleset, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-S", "-E", str(HELPER), *ruleset.to_args(), "--", *argv]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30, check=False)


@needs_landlock
@pytest.mark.parametrize("abi", range(1, ABI + 1))
def test_every_abi_level_confines_writes(layout: Layout, listener: int, abi: int) -> None:
    """Rulesets built for older ABIs still apply on this kernel, with the rights that ABI knows."""
    spec = build_ruleset([str(layout.ws)], network=False, abi=abi)
    ok = _helper(spec, "sh", "-c", "echo in > inside.txt", cwd=layout.ws)
    assert ok.returncode == 0, ok.stderr
    denied = _helper(spec, "sh", "-c", f"echo out > {layout.outside}/x", cwd=layout.ws)
    assert denied.returncode != 0
    assert not (layout.outside / "x").exists()
    net = _helper(spec, "sh", "-c", _connect_script(listener), cwd=layout.ws)
    assert (net.returncode == 0) == (abi < 4), net.stderr


@needs_landlock
def test_helper_reports_a_missing_command_and_usage(layout: Layout) -> None:
    spec = build_ruleset([str(layout.ws)], network=False, abi=ABI)
    missing = _helper(spec, "no-such-command-xyz", cwd=layout.ws)
    assert missing.returncode == 127
    assert "command not found: no-such-command-xyz" in missing.stderr
    usage = subprocess.run([sys.executable, str(HELPER), "7", "--"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert "usage:" in usage.stderr


@needs_landlock
def test_helper_fails_closed_on_a_bad_spec(layout: Layout) -> None:
    bad = _helper(Ruleset(ABI, 0, 0, 0, []), "true", cwd=layout.ws)
    assert bad.returncode == 1
    assert "could not apply the Landlock sandbox" in bad.stderr


def test_without_landlock_argv_runs_unwrapped_and_status_says_so(layout: Layout) -> None:
    policy = layout.policy("workspace-write")
    argv, env, sandboxed = sandboxed_command(["true"], policy, {}, abi=0)
    assert (argv, env, sandboxed) == (["true"], {"CODEX_SANDBOX_NETWORK_DISABLED": "1"}, False)
    status = sandbox_status(policy, abi=0)
    assert "unavailable" in status
    assert "every command asks for approval" in status


def test_status_names_roots_and_network_per_abi(layout: Layout) -> None:
    policy = layout.policy("workspace-write")
    assert sandbox_status(policy, abi=7) == (
        f"sandbox: Landlock ABI 7, workspace-write; writes: workspace, {layout.ws / '.tmp'}; network: blocked (TCP)"
    )
    assert "network: NOT blocked" in sandbox_status(policy, abi=3)
    assert "writes: nowhere but /dev/null" in sandbox_status(layout.policy("read-only"), abi=7)
    assert sandbox_status(layout.policy("danger-full-access")).startswith("sandbox: none")


def test_policy_from_config_resolves_roots(tmp_path: Path) -> None:
    from codex_py.config import Config

    config = Config()
    config.cwd = tmp_path
    config.sandbox_workspace_write.writable_roots = ["extra", str(tmp_path / "abs")]
    config.sandbox_workspace_write.network_access = True
    policy = SandboxPolicy.from_config(config)
    assert policy.mode == "workspace-write"
    assert policy.writable_roots == [(tmp_path / "extra").resolve(), (tmp_path / "abs").resolve()]
    assert policy.allows_network
    assert policy.can_write(tmp_path / "extra" / "f")
    assert not policy.can_write(tmp_path / ".git" / "config")
    assert not policy.can_write(Path("/etc/passwd"))


@needs_landlock
async def test_roots_with_odd_characters_are_passed_exactly(tmp_path: Path) -> None:
    ws = tmp_path / "work space\nwith -- odd"
    ws.mkdir()
    policy = SandboxPolicy("workspace-write", ws, temp_roots=[])
    result = await run_command(["sh", "-c", "echo ok > f.txt"], cwd=ws, timeout_ms=20_000, policy=policy)
    assert result.exit_code == 0, result.output
    assert (ws / "f.txt").read_text() == "ok\n"
