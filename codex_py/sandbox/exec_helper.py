"""Sandbox exec helper: ``helper_command() + [--no-network] RULESET_WORDS... -- argv...``.

``helper_command()`` (run in codex-py) is ``PYTHON -S -E -I -c SOURCE --parent PID``: SOURCE holds this file,
``landlock.py`` and ``seccomp.py``, read once per codex-py process, so a command that overwrites the
installed files (codex-py installed in a project ``.venv`` or under ``$HOME``) changes nothing for the
rest of the session; ``-I`` keeps the workspace and ``PYTHON*`` variables out of ``sys.path``, and
PYTHON is the real interpreter behind a virtual environment. Nothing but the standard library is
imported (no json, no typing): start-up stays near a bare interpreter's.

``main`` (run in the child):

1. dies with codex-py (``PR_SET_PDEATHSIG``), and gives up when codex-py is already gone;
2. where it can, unshares a PID namespace (root directly; other users inside a user namespace that maps
   their own uid and gid to themselves) and forks its first process; that process caps the namespace's
   process count (``pid_max``, Linux >= 6.14; ``RLIMIT_NPROC`` inside the user namespace before that),
   applies the sandbox, forks the command and reaps until the command exits. Then the kernel kills every
   process left in the namespace (``setsid`` daemons included);
3. the sandbox: the Landlock ruleset (``landlock.Ruleset.to_args``), the seccomp filter (``seccomp.install``),
   and every capability dropped (effective, permitted, inheritable, ambient and the bounding set);
4. ``os.execvp`` the command.

Without a PID namespace (``unshare`` refused) the helper applies the sandbox to itself and becomes the
command, as before: the command dies with codex-py but its descendants do not.

Exit codes when argv never starts: 127 command not found, 126 not executable, 1 sandbox failure
(the message names Landlock, so the sandbox-denial heuristic sees it). A command killed by signal N
inside a PID namespace exits 128+N. It never runs argv unsandboxed.
"""

from __future__ import annotations

import os
import sys

MAX_PROCESSES = 4096
"""Processes and threads one command may have at a time (the PID namespace's ``pid_max``)."""

_FILES = ("landlock.py", "seccomp.py", "exec_helper.py")
_code_cache: tuple[bytes, int | None] | None = None
"""The marshalled code and its memfd: read and compiled at the first sandboxed command, then only this is used."""

_PR_SET_PDEATHSIG = 1
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_SIGKILL = 9
_DEFAULT_SIGNALS = (13, 25)  # SIGPIPE, SIGXFSZ (same numbers on x86-64 and arm64)


# --- codex-py side ----------------------------------------------------------------------------


def helper_command() -> list[str]:
    """The argv prefix that runs the helper; ruleset words and ``-- argv`` follow."""
    return [interpreter(), "-S", "-E", "-I", *_code_args(), "--parent", str(os.getpid())]


def interpreter() -> str:
    """The Python that runs the helper: the real binary behind a virtual environment's ``python``
    (the helper needs no site-packages), so a ``.venv`` inside the workspace does not provide it."""
    base = getattr(sys, "_base_executable", "") or sys.executable
    for candidate in (base, sys.executable):
        real = os.path.realpath(candidate)
        if os.access(real, os.X_OK):
            return real
    return os.path.realpath(base)


def sandbox_code_paths() -> list[str]:
    """Files whose content decides what runs inside the sandbox: the helper's interpreter, the standard
    library modules it imports, and the three source files (read once, at the first sandboxed command)."""
    import ctypes
    import errno

    here = os.path.dirname(os.path.abspath(__file__))
    stdlib = [getattr(module, "__file__", None) for module in (os, ctypes, errno)]
    paths = [interpreter(), *(os.path.realpath(p) for p in stdlib if p)]
    paths += [os.path.join(here, name) for name in _FILES]
    return paths


def _code_args() -> list[str]:
    """How the child gets the code: the path of a sealed in-memory ``.pyc`` (a memfd of this process,
    which nobody can change), else ``-c`` with the marshalled code as hex (a longer argv costs ~2 ms)."""
    global _code_cache
    if _code_cache is None:
        _code_cache = _compile()
    blob, fd = _code_cache
    if fd is not None:
        return [f"/proc/{os.getpid()}/fd/{fd}"]  # the fd survives a fork of this process
    return ["-c", _BOOT.format("bytes.fromhex(sys.argv.pop(1))"), blob.hex()]


def _compile() -> tuple[bytes, int | None]:
    """The three files compiled here (no docstrings) and marshalled, so the child neither reads the
    installed files nor compiles anything (same interpreter version: see ``interpreter``)."""
    import marshal

    here = os.path.dirname(os.path.abspath(__file__))
    codes = []
    for name in _FILES:
        with open(os.path.join(here, name), encoding="utf-8") as f:
            codes.append(compile(f.read(), f"<codex-py sandbox>/{name}", "exec", dont_inherit=True, optimize=2))
    blob = marshal.dumps(tuple(codes))
    try:
        import fcntl
        from importlib.util import MAGIC_NUMBER

        boot = compile(_BOOT.format(repr(blob)), "<codex-py sandbox>", "exec", dont_inherit=True, optimize=2)
        fd = os.memfd_create("codex-py-sandbox", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            data = MAGIC_NUMBER + bytes(12) + marshal.dumps(boot)  # a .pyc: flags 0, no mtime/size check
            os.write(fd, data)
            fcntl.fcntl(
                fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK
            )
        except OSError:
            os.close(fd)
            raise
    except (OSError, AttributeError):
        return blob, None
    return blob, fd


_BOOT = """import sys, marshal
landlock, seccomp, helper = marshal.loads({})
for name, code in (("landlock", landlock), ("seccomp", seccomp)):
    sys.modules[name] = module = type(sys)(name)
    exec(code, module.__dict__)
exec(helper, {{"__name__": "__main__", "__package__": None}})
"""


# --- the child --------------------------------------------------------------------------------


def main(args: list[str]) -> int:
    """Entry point; returns an exit code only when argv could not be executed."""
    parent = None
    if args[:1] == ["--parent"] and len(args) > 1:
        parent, args = int(args[1]), args[2:]
    no_network = args[:1] == ["--no-network"]
    if no_network:
        args = args[1:]
    if "--" not in args or args.index("--") == len(args) - 1:
        _say("usage: exec_helper [--parent PID] [--no-network] RULESET_WORDS... -- COMMAND [ARGS...]")
        return 2
    split = args.index("--")  # ruleset words are numbers and absolute paths, never "--"
    words, argv = args[:split], args[split + 1 :]
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(_SIGKILL), 0, 0, 0) == 0 and parent and os.getppid() != parent:
        return 1  # codex-py died before the line above: nobody waits for this command
    if not _unshare_pid_namespace(libc):
        return _sandbox_and_exec(libc, words, argv, no_network)
    alive_r, alive_w = os.pipe()  # the first process's way to learn this one died before it set PDEATHSIG
    pid = os.fork()
    if pid == 0:
        os.close(alive_w)
        _run_and_exit(_init, libc, alive_r, words, argv, no_network)
    os.close(alive_r)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    os._exit(128 - code if code < 0 else code)  # nothing to flush: skip the interpreter's teardown


def _init(libc: object, alive_r: int, words: list[str], argv: list[str], no_network: bool) -> int:
    """PID 1 of the namespace: limit, sandbox, fork the command, reap until it exits."""
    libc.prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)  # type: ignore[attr-defined]
    os.set_blocking(alive_r, False)
    try:
        if os.read(alive_r, 1) == b"":
            return 1  # the helper is gone
    except BlockingIOError:
        pass
    os.close(alive_r)
    _limit_processes()
    error = _apply_sandbox(libc, words, no_network)
    if error:
        return error
    try:  # vfork + exec: cheaper than forking this interpreter
        command = os.posix_spawnp(argv[0], argv, os.environ, setsigdef=_DEFAULT_SIGNALS)
    except OSError as exc:
        return _exec_failed(argv[0], exc)
    while True:
        pid, status = os.wait()
        if pid == command:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code


def _run_and_exit(fn: object, *args: object) -> None:
    """In a forked child: run ``fn`` and exit with its code; never return into the parent's code."""
    code = 1
    try:
        code = fn(*args)  # type: ignore[operator]
    except BaseException as exc:
        _say(f"codex-py: the sandbox helper failed ({exc!r}); the command did not run")
    finally:
        os._exit(code)


def _sandbox_and_exec(libc: object, words: list[str], argv: list[str], no_network: bool) -> int:
    return _apply_sandbox(libc, words, no_network) or _exec(argv)


def _apply_sandbox(libc: object, words: list[str], no_network: bool) -> int:
    """Landlock, seccomp, no capabilities; 0 when done, else the exit code (after saying why)."""
    if __package__:
        from codex_py.sandbox import seccomp
        from codex_py.sandbox.landlock import Ruleset, restrict_self
    else:  # in the child: _BOOT registered them
        import seccomp  # type: ignore[import-not-found,no-redef,unused-ignore]
        from landlock import Ruleset, restrict_self  # type: ignore[import-not-found,no-redef,unused-ignore]
    try:
        restrict_self(Ruleset.from_args(words))  # also sets PR_SET_NO_NEW_PRIVS, which seccomp needs
        if seccomp.supported():
            seccomp.install(network=not no_network)
        _drop_capabilities(libc)
    except (OSError, ValueError) as exc:
        _say(f"codex-py: could not apply the Landlock sandbox ({exc}); the command did not run")
        return 1
    return 0


def _exec(argv: list[str]) -> int:
    """``execvp`` without ``os.execvp``'s ``import warnings`` (a millisecond per command)."""
    import _signal  # type: ignore[import-not-found]  # signal.py would import enum

    for number in _DEFAULT_SIGNALS:  # Python ignores SIGPIPE and SIGXFSZ; the command must not inherit that
        _signal.signal(number, _signal.SIG_DFL)
    name = argv[0]
    dirs = [""] if "/" in name else (os.environ.get("PATH") or os.defpath).split(os.pathsep)
    error: OSError = FileNotFoundError()
    for folder in dirs:
        try:
            os.execv(os.path.join(folder, name) if folder else name, argv)
        except (FileNotFoundError, NotADirectoryError) as exc:
            if not isinstance(error, PermissionError):
                error = exc
        except OSError as exc:
            error = exc
            if not isinstance(exc, PermissionError):
                break
    return _exec_failed(name, error)


def _exec_failed(name: str, error: OSError) -> int:
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        _say(f"codex-py: command not found: {name}")
        return 127
    if isinstance(error, PermissionError):
        _say(f"codex-py: permission denied: {name}")
        return 126
    _say(f"codex-py: cannot execute {name}: {error.strerror}")
    return 126


def _unshare_pid_namespace(libc: object) -> bool:
    """Whether the next child starts a new PID namespace (with a user namespace for a non-root user)."""
    unshare = libc.unshare  # type: ignore[attr-defined]
    if os.geteuid() == 0 and unshare(_CLONE_NEWPID) == 0:
        return True
    uid, gid = os.geteuid(), os.getegid()
    if unshare(_CLONE_NEWUSER | _CLONE_NEWPID) != 0:
        return False
    try:  # map the user to itself, so files keep their owner (other ids show as nobody)
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError:
        pass  # without a mapping the user is nobody: still confined, the command just sees odd owners
    return True


def _limit_processes() -> None:
    """Cap the processes (and threads) of this PID namespace: ``pid_max`` is per namespace since Linux 6.14;
    before that, a user namespace's own ``RLIMIT_NPROC`` count holds only this command's processes."""
    try:
        with open("/proc/sys/kernel/pid_max", "w") as f:
            f.write(str(MAX_PROCESSES))
        return
    except OSError:
        pass
    if os.geteuid() != 0:  # the kernel never applies RLIMIT_NPROC to root
        import resource

        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
        except (OSError, ValueError):
            pass


def _drop_capabilities(libc: object) -> None:
    """No capability left (root or not) and none to regain: the bounding set first (that needs
    ``CAP_SETPCAP``), then the ambient set, then effective/permitted/inheritable."""
    import ctypes

    prctl, capset = libc.prctl, libc.capset  # type: ignore[attr-defined]
    for cap in range(64):
        if prctl(_PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows (EPERM: not ours to drop)
    prctl(_PR_CAP_AMBIENT, ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    if capset(header, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset failed: {os.strerror(err)}")


def _say(line: str) -> None:
    os.write(2, (line + "\n").encode(errors="replace"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
