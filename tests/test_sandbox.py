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

from codex_py.sandbox import seccomp
from codex_py.sandbox.exec_helper import helper_command
from codex_py.sandbox.landlock import Ruleset, build_ruleset, landlock_abi
from codex_py.sandbox.policy import SandboxPolicy, command_env, sandbox_status, sandboxed_command
from codex_py.tools.shell import run_command

ABI = landlock_abi()
needs_landlock = pytest.mark.skipif(ABI == 0, reason="this kernel has no Landlock (landlock_create_ruleset failed)")
needs_net_rules = pytest.mark.skipif(ABI < 4, reason=f"Landlock ABI {ABI} has no network rules (needs ABI 4)")
needs_scopes = pytest.mark.skipif(ABI < 6, reason=f"Landlock ABI {ABI} has no signal scoping (needs ABI 6)")
needs_seccomp = pytest.mark.skipif(not seccomp.supported(), reason="no seccomp network filter for this architecture")
RESTRICTED = ("read-only", "workspace-write")


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
    cmd = [*helper_command(), *ruleset.to_args(), "--", *argv]
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
    usage = subprocess.run([*helper_command(), "7", "--"], capture_output=True, text=True, check=False)
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


@needs_seccomp
def test_status_names_roots_and_network_per_abi(layout: Layout) -> None:
    policy = layout.policy("workspace-write")
    assert sandbox_status(policy, abi=7) == (
        f"sandbox: Landlock ABI 7, workspace-write; writes: workspace, {layout.ws / '.tmp'}; "
        "network: blocked (seccomp + Landlock TCP rules)"
    )
    assert sandbox_status(policy, abi=3).endswith("network: blocked (seccomp)")
    assert sandbox_status(layout.policy("workspace-write", network=True), abi=7).endswith("network: allowed")
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


def _udp_script(port: int) -> str:
    return (
        f'{sys.executable} -c "import socket; '
        f"socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'leak', ('127.0.0.1', {port}))\""
    )


@pytest.fixture
def udp_listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    yield server
    server.close()


@needs_landlock
@needs_seccomp
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_udp_is_blocked_under_the_sandbox(layout: Layout, udp_listener: socket.socket, mode: str) -> None:
    code, output = await layout.sh(mode, _udp_script(udp_listener.getsockname()[1]))
    assert code != 0
    assert "PermissionError" in output
    udp_listener.settimeout(0.2)
    with pytest.raises(TimeoutError):
        udp_listener.recv(16)


@pytest.mark.parametrize(("mode", "network"), [("danger-full-access", False), ("workspace-write", True)])
async def test_udp_works_with_full_access_or_network_access(
    layout: Layout, udp_listener: socket.socket, mode: str, network: bool
) -> None:
    code, output = await layout.sh(mode, _udp_script(udp_listener.getsockname()[1]), network=network)
    assert code == 0, output
    assert udp_listener.recv(16) == b"leak"


@needs_landlock
@needs_seccomp
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_unix_socket_servers_outside_are_unreachable_but_socket_pairs_work(layout: Layout, mode: str) -> None:
    """A Unix socket (Docker, D-Bus) would reach outside the sandbox; pipes to children must still work."""
    path = layout.outside / "service.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)
    try:
        connect = f"{sys.executable} -c \"import socket; socket.socket(socket.AF_UNIX).connect('{path}')\""
        code, output = await layout.sh(mode, connect)
        assert code != 0
        assert "PermissionError" in output
        code, _ = await layout.sh("danger-full-access", connect)
        assert code == 0
        pair = f"{sys.executable} -c \"import socket; a, b = socket.socketpair(); a.send(b'ok'); print(b.recv(2))\""
        code, output = await layout.sh(mode, pair)
        assert (code, output) == (0, "b'ok'\n")
    finally:
        server.close()


@needs_landlock
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_hard_links_and_renames_across_the_boundary_fail(layout: Layout, mode: str) -> None:
    secret = layout.outside / "secret.txt"
    code, _ = await layout.sh(mode, f"ln {secret} hard && echo changed >> hard")
    assert code != 0
    code, _ = await layout.sh(mode, f"mv {secret} stolen.txt")
    assert code != 0
    assert secret.read_text() == "readable\n"
    assert not (layout.ws / "hard").exists() and not (layout.ws / "stolen.txt").exists()


@needs_landlock
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_proc_paths_and_a_workdir_outside_do_not_reach_outside(layout: Layout, mode: str) -> None:
    """/proc/self/root and /proc/self/cwd lead to the same files, and the cwd does not widen the sandbox."""
    code, _ = await layout.sh(mode, f"echo x > /proc/self/root{layout.outside}/via-root.txt")
    assert code != 0
    policy = layout.policy(mode)
    result = await run_command(
        ["sh", "-c", "echo x > /proc/self/cwd/via-cwd.txt; echo y > here.txt"],
        cwd=layout.ws / ".." / "outside",
        timeout_ms=20_000,
        policy=policy,
    )
    assert result.exit_code != 0
    assert sorted(p.name for p in layout.outside.iterdir()) == ["secret.txt"]


@needs_landlock
async def test_an_inheritable_descriptor_of_this_process_does_not_reach_the_command(layout: Layout) -> None:
    fd = os.open(layout.outside / "secret.txt", os.O_WRONLY | os.O_APPEND)
    os.set_inheritable(fd, True)
    try:
        code, output = await layout.sh("workspace-write", f"echo leaked >&{fd}")
    finally:
        os.close(fd)
    assert code != 0, output
    assert (layout.outside / "secret.txt").read_text() == "readable\n"


@needs_landlock
async def test_a_symlinked_workspace_is_writable_and_still_confined(layout: Layout, tmp_path: Path) -> None:
    link = tmp_path / "ws-link"
    link.symlink_to(layout.ws)
    policy = SandboxPolicy("workspace-write", link, temp_roots=[])
    write = f"echo in > inside.txt && echo out > {layout.outside}/out.txt"
    result = await run_command(["sh", "-c", write], cwd=link, timeout_ms=20_000, policy=policy)
    assert result.exit_code != 0
    assert (layout.ws / "inside.txt").read_text() == "in\n"
    assert not (layout.outside / "out.txt").exists()


@needs_landlock
async def test_multiprocessing_semaphores_work_under_workspace_write(tmp_path: Path) -> None:
    """POSIX semaphores live in /dev/shm, a default temp root like /tmp."""
    script = "import multiprocessing as mp\nif __name__ == '__main__':\n    mp.Lock()\n    print('locked')"
    policy = SandboxPolicy("workspace-write", tmp_path)
    result = await run_command([sys.executable, "-c", script], cwd=tmp_path, timeout_ms=20_000, policy=policy)
    assert (result.exit_code, result.output) == (0, "locked\n")


async def test_commands_do_not_see_secrets_from_the_environment(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-for-commands")
    monkeypatch.setenv("GH_TOKEN", "ghp-test")
    monkeypatch.setenv("DB_Password", "hunter2")
    monkeypatch.setenv("CODEX_PY_VISIBLE", "kept")
    for mode in ("workspace-write", "danger-full-access"):
        result = await run_command(["env"], cwd=layout.ws, timeout_ms=20_000, policy=layout.policy(mode))
        assert result.exit_code == 0
        assert "CODEX_PY_VISIBLE=kept" in result.output
        for secret in ("sk-test-not-for-commands", "ghp-test", "hunter2"):
            assert secret not in result.output
    assert command_env({"PATH": "/bin", "aws_secret_access_key": "x"}) == {"PATH": "/bin"}
