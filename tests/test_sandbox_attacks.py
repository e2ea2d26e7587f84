"""Escapes a hostile command would try, each performed for real through ``run_command`` (issue 11).

Device nodes and capabilities (root), terminal keystroke injection (TIOCSTI), rewriting the sandbox
helper of an installation that lies in the workspace, and processes that outlive their command
(``setsid`` daemons, fork bombs, codex-py killed). Tests about an ordinary user run a small script as
uid 1000 through ``setpriv``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tty
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_py.sandbox import exec_helper, seccomp
from codex_py.sandbox.landlock import FS_MAKE_BLOCK, FS_MAKE_CHAR, build_ruleset, landlock_abi
from codex_py.sandbox.policy import SandboxPolicy
from codex_py.tools.shell import run_command

ABI = landlock_abi()
SRC = Path(__file__).resolve().parent.parent  # the folder holding the codex_py package
RESTRICTED = ("read-only", "workspace-write")
needs_landlock = pytest.mark.skipif(ABI == 0, reason="this kernel has no Landlock (landlock_create_ruleset failed)")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the attack needs root")
needs_seccomp = pytest.mark.skipif(not seccomp.supported(), reason="no seccomp filter for this architecture")


def policy(ws: Path, mode: str = "workspace-write") -> SandboxPolicy:
    return SandboxPolicy(mode, ws, [], False, temp_roots=[ws / ".tmp"])  # type: ignore[arg-type]


async def sh(ws: Path, script: str, mode: str = "workspace-write", timeout_ms: int = 60_000) -> tuple[int, str]:
    env = {**os.environ, "TMPDIR": str(ws / ".tmp")}
    result = await run_command(["sh", "-c", script], cwd=ws, timeout_ms=timeout_ms, policy=policy(ws, mode), env=env)
    return result.exit_code, result.output


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "ws" / ".tmp").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    return tmp_path / "ws"


def marked(marker: str) -> list[int]:
    """Pids of live processes whose last argument is ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "cmdline").read_bytes().rstrip(b"\0").rsplit(b"\0", 1)[-1] == marker.encode() and _alive(entry):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _alive(entry: Path) -> bool:
    return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(marker: str, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def marker() -> Iterator[str]:
    mark = f"codex-py-attack-{uuid.uuid4().hex}"
    yield mark
    for pid in marked(mark):  # never leave a survivor behind, whatever the test found
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def sleeper(mark: str, seconds: int = 300) -> str:
    return f"{sys.executable} -c 'import time; time.sleep({seconds})' {mark}"


# --- item 3: device nodes and capabilities --------------------------------------------------------


@needs_landlock
@needs_root
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_root_cannot_make_a_block_or_char_device_in_the_workspace(ws: Path, mode: str) -> None:
    disk = os.stat("/").st_dev
    major, minor = os.major(disk), os.minor(disk)
    _, output = await sh(ws, f"mknod disk b {major} {minor}; mknod loop b 7 0; mknod mem c 1 1; ls", mode)
    assert "disk" not in output.split() and "mem" not in output.split(), output
    assert sorted(p.name for p in ws.iterdir()) == [".tmp"]
    assert output.count("mknod:") == 3, output


@needs_landlock
def test_no_rule_grants_making_device_nodes_but_the_rights_are_handled(ws: Path) -> None:
    for abi in range(1, ABI + 1):
        ruleset = build_ruleset([str(ws)], network=False, abi=abi)
        assert ruleset.fs & FS_MAKE_BLOCK and ruleset.fs & FS_MAKE_CHAR  # handled: denied wherever not granted
        assert all(not access & (FS_MAKE_BLOCK | FS_MAKE_CHAR) for _, access in ruleset.rules), ruleset.rules


def _caps(status: str) -> dict[str, int]:
    return {line.split(":")[0]: int(line.split()[1], 16) for line in status.splitlines() if line.startswith("Cap")}


@needs_landlock
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_a_command_has_no_capability_left(ws: Path, mode: str) -> None:
    code, output = await sh(ws, "cat /proc/self/status", mode)
    assert code == 0, output
    caps = _caps(output)
    assert caps == {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}


# --- item 4: TIOCSTI ------------------------------------------------------------------------------

_TIOCSTI = """
import errno, fcntl, os, sys, termios
try:
    os.setsid()
except OSError:
    pass  # already a session leader
fd = os.open(sys.argv[1], os.O_RDONLY)  # a session leader's first terminal becomes its controlling one
try:
    for ch in b"id > pwned\\n":
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([ch]))
    print("injected")
except OSError as exc:
    print(errno.errorcode[exc.errno])
try:
    fcntl.ioctl(fd, 0x541C, b"\\x0b")  # TIOCLINUX
except OSError as exc:
    print("TIOCLINUX", errno.errorcode[exc.errno])
"""


@needs_landlock
@needs_seccomp
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_keystrokes_cannot_be_pushed_into_a_terminal(ws: Path, mode: str) -> None:
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        os.set_blocking(slave, False)
        name = os.ttyname(slave)
        result = await run_command(
            [sys.executable, "-c", _TIOCSTI, name], cwd=ws, timeout_ms=30_000, policy=policy(ws, mode)
        )
        assert result.output.splitlines() == ["EPERM", "TIOCLINUX EPERM"], result.output
        with pytest.raises(BlockingIOError):
            os.read(slave, 64)  # nothing reached the terminal's input
    finally:
        os.close(master)
        os.close(slave)


def test_the_filter_denies_tiocsti_whatever_the_high_bits() -> None:
    """The kernel reads the request as an unsigned int: the filter compares only the low half."""
    rows = seccomp.build_filter("x86_64", network=True)
    loads = [k for code, _, _, k in rows if code == 0x20]
    assert 16 + 8 in loads and 16 + 12 not in loads  # args[1] low half only
    assert any(k == seccomp.TIOCSTI for *_, k in rows) and any(k == seccomp.TIOCLINUX for *_, k in rows)


# --- item 5: an installation the sandbox can write ------------------------------------------------

_TWO_COMMANDS = """
import asyncio, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import codex_py
from codex_py.sandbox.policy import SandboxPolicy
from codex_py.tools.shell import run_command

async def main():
    ws, outside = Path(sys.argv[2]), Path(sys.argv[3])
    policy = SandboxPolicy("workspace-write", ws, temp_roots=[])
    assert Path(codex_py.__file__).is_relative_to(ws), codex_py.__file__
    for script in sys.argv[4:]:
        result = await run_command(["sh", "-c", script], cwd=ws, timeout_ms=30_000, policy=policy)
        print(result.exit_code, result.output.strip().replace("\\n", " | "), flush=True)

asyncio.run(main())
"""
_NO_LANDLOCK = """

def restrict_self(ruleset):  # appended by a sandboxed command: Landlock is never applied again
    pass
"""


@needs_landlock
def test_overwriting_the_installed_helper_changes_nothing_for_the_session(ws: Path) -> None:
    site = ws / "venv-site"
    shutil.copytree(SRC / "codex_py", site / "codex_py", ignore=shutil.ignore_patterns("__pycache__"))
    outside = ws.parent / "outside"
    evil = ws / "evil.py"
    evil.write_text(_NO_LANDLOCK)
    landlock_py = site / "codex_py" / "sandbox" / "landlock.py"
    overwrite = f"cat {evil} >> {landlock_py} && echo overwritten"
    escape = f"echo escaped > {outside}/pwned && echo wrote-outside"

    def session(*scripts: str) -> list[str]:
        argv = [sys.executable, "-c", _TWO_COMMANDS, str(site), str(ws), str(outside), *scripts]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first, second = session(overwrite, escape)
    assert first == "0 overwritten"
    assert landlock_py.read_text().endswith(_NO_LANDLOCK)
    assert not second.startswith("0 "), second
    assert not (outside / "pwned").exists()
    # the control: a session started after the overwrite runs the rewritten helper (unconfined) - the
    # attack is real, and only the start-up warning about such an installation can help there
    assert session(escape) == ["0 wrote-outside"]


def test_sandbox_code_paths_name_the_interpreter_and_the_helper_sources() -> None:
    paths = exec_helper.sandbox_code_paths()
    assert paths[0] == exec_helper.interpreter() == os.path.realpath(paths[0])
    assert {os.path.basename(p) for p in paths} >= {"exec_helper.py", "landlock.py", "seccomp.py"}
    assert all(os.path.exists(p) for p in paths)


# --- item 14: processes that outlive the command -------------------------------------------------


@needs_landlock
@pytest.mark.parametrize("mode", RESTRICTED)
async def test_a_setsid_daemon_dies_with_its_command(ws: Path, marker: str, mode: str) -> None:
    script = f"setsid {sleeper(marker)} > /dev/null 2>&1 & {sleeper(marker + '-bg')} > /dev/null 2>&1 & sleep 0.3"
    started = time.monotonic()
    code, output = await sh(ws, script, mode)
    assert code == 0, output
    assert time.monotonic() - started < 10
    assert wait_gone(marker) == []


_BOMB = """
import os, sys
r, w = os.pipe()
born = 0
for _ in range(5000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.read(r, 1)  # sleeps until the pipe closes (never, while the parent lives)
        os._exit(0)
    born += 1
print(born, flush=True)
"""


@needs_landlock
async def test_a_fork_bomb_is_capped_and_dies_with_its_command(ws: Path, marker: str) -> None:
    result = await run_command(
        [sys.executable, "-S", "-c", _BOMB, marker], cwd=ws, timeout_ms=120_000, policy=policy(ws)
    )
    assert result.exit_code == 0, result.output
    born = int(result.output.split()[0])
    assert born < exec_helper.MAX_PROCESSES, born
    assert wait_gone(marker, 20) == []


_KILLED_SESSION = """
import asyncio, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from codex_py.sandbox.policy import SandboxPolicy
from codex_py.tools.shell import run_command

async def main():
    ws = Path(sys.argv[2])
    policy = SandboxPolicy("workspace-write", ws, temp_roots=[])
    await run_command(["sh", "-c", sys.argv[3]], cwd=ws, timeout_ms=300_000, policy=policy,
                      on_output=lambda text: print(text, end="", flush=True))

asyncio.run(main())
"""


@needs_landlock
def test_killing_codex_py_kills_the_command_tree(ws: Path, marker: str) -> None:
    script = f"setsid {sleeper(marker)} & {sleeper(marker)} & echo started; wait"
    session = subprocess.Popen(
        [sys.executable, "-c", _KILLED_SESSION, str(SRC), str(ws), script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert session.stdout is not None
        assert session.stdout.readline() == "started\n"
        deadline = time.monotonic() + 10
        while len(marked(marker)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(marked(marker)) == 2
        session.kill()
    finally:
        session.kill()
        session.wait()
    assert wait_gone(marker) == []


# --- as an ordinary user -------------------------------------------------------------------------

_AS_USER = """
import asyncio, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from codex_py.sandbox.policy import SandboxPolicy
from codex_py.tools.shell import run_command

async def main():
    ws = Path(sys.argv[2])
    policy = SandboxPolicy("workspace-write", ws, temp_roots=[])
    result = await run_command(["sh", "-c", sys.argv[3]], cwd=ws, timeout_ms=60_000, policy=policy)
    print(result.exit_code, flush=True)
    print(result.output, flush=True)

asyncio.run(main())
"""


def _user_python() -> str | None:
    """A Python uid 1000 can run that can import codex_py from the checkout, or None."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="codex-py-uid1000-") as tmp:
        os.chown(tmp, 1000, 1000)
        for python in dict.fromkeys(["/usr/bin/python3", exec_helper.interpreter()]):
            probe = _as_user([python, "-c", _AS_USER, str(SRC), tmp, "echo ok"])
            if probe.returncode == 0 and probe.stdout.split() == ["0", "ok"]:
                return python
    return None


def _as_user(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", *argv]
    return subprocess.run(full, capture_output=True, text=True, timeout=timeout, check=False, cwd="/")


@pytest.fixture
def user_ws() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="codex-py-uid1000-"))
    os.chown(path, 1000, 1000)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@needs_landlock
def test_an_ordinary_user_gets_no_capabilities_and_no_surviving_daemon(user_ws: Path, marker: str) -> None:
    python = _user_python()
    if python is None:
        pytest.skip("needs root, setpriv and a Python that uid 1000 can run with this checkout readable")
    script = f"setsid {python} -c 'import time; time.sleep(300)' {marker} & cat /proc/self/status; id -u"
    done = _as_user([python, "-c", _AS_USER, str(SRC), str(user_ws), script])
    assert done.returncode == 0, done.stderr
    code, output = done.stdout.split("\n", 1)
    assert code == "0", output
    assert _caps(output) == {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}
    assert output.split()[-1] == "1000"  # the user namespace maps the user to itself
    assert wait_gone(marker) == []


def test_the_helper_fails_closed_when_codex_py_is_already_gone(ws: Path) -> None:
    """A helper whose parent died before it set PDEATHSIG must not run the command unattended."""
    spec = build_ruleset([str(ws)], network=False, abi=max(ABI, 1))
    argv = [*exec_helper.helper_command()[:-1], "1", *spec.to_args(), "--", "touch", "ran"]
    if ABI == 0:
        pytest.skip("no Landlock on this kernel")
    done = subprocess.run(argv, cwd=ws, capture_output=True, timeout=30, check=False)
    assert done.returncode == 1
    assert not (ws / "ran").exists()


@needs_landlock
async def test_an_exec_failure_inside_the_namespace_keeps_its_exit_code(ws: Path) -> None:
    result = await run_command(["no-such-command-xyz"], cwd=ws, timeout_ms=30_000, policy=policy(ws))
    assert (result.exit_code, result.output) == (127, "codex-py: command not found: no-such-command-xyz\n")
    result = await run_command(["sh", "-c", "kill -TERM $$"], cwd=ws, timeout_ms=30_000, policy=policy(ws))
    assert result.exit_code == 128 + signal.SIGTERM  # the command is not PID 1: its own signals work
