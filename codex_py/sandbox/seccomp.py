"""The exec helper's seccomp filter: terminal keystroke injection always, the network when it is off.

Every sandboxed command gets it (x86-64 and arm64):

- ``ioctl(fd, TIOCSTI)`` and ``ioctl(fd, TIOCLINUX)`` fail: a command that reaches a terminal (one it
  makes its controlling terminal, or a descriptor it inherited) cannot push keystrokes into it, which
  the shell reading that terminal would run outside the sandbox (root may do that on any terminal).

When the network is off it also cuts the command off the network (all socket families, not only TCP):
Landlock's network rules cover TCP only and need ABI 4; UDP, raw sockets, Unix sockets on the
filesystem (a Docker or D-Bus socket reaches outside the sandbox) and older kernels are not covered.
Like Codex's Linux sandbox:

- ``socket`` only for ``AF_UNIX`` (no IPv4/IPv6/packet/vsock/... socket can even be created);
- ``connect``, ``bind``, ``listen``, ``accept``, ``accept4`` fail, so Unix sockets cannot reach a
  server either (``socketpair`` still works: pipes between a process and its children are fine);
- ``sendto`` with a destination address fails (a datagram to a Unix socket path);
- ``io_uring_setup`` fails (io_uring could open and connect sockets without these system calls).

Denied calls fail with ``EPERM``. A system call through x32 (x86-64) kills the process; one through the
32-bit ABI (i386 on x86-64, arm on arm64) kills it when the network is off (its socket calls cannot be
told apart) and otherwise has only its ``ioctl`` checked. Like ``landlock.py`` this imports only
``ctypes``, ``errno`` and ``os``.
"""

from __future__ import annotations

import ctypes
import errno
import os

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_AUDIT_ARCH_COMPAT = {"x86_64": 0x40000003, "aarch64": 0x40000028}  # i386, arm (EABI)
_COMPAT_IOCTL = 54  # same number on i386 and arm
# name -> (x86_64, aarch64)
_SYSCALLS = {
    "ioctl": (16, 29),
    "socket": (41, 198),
    "connect": (42, 203),
    "accept": (43, 202),
    "sendto": (44, 206),
    "bind": (49, 200),
    "listen": (50, 201),
    "accept4": (288, 242),
    "io_uring_setup": (425, 425),
}
_DENIED = ("connect", "accept", "accept4", "bind", "listen", "io_uring_setup")
_X32_BIT = 0x40000000
_AF_UNIX = 1
TIOCSTI = 0x5412
TIOCLINUX = 0x541C

_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_RET = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARGS = 0, 4, 16


class _Filter(ctypes.Structure):
    _fields_ = (("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32))


class _Program(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter)))


def supported() -> bool:
    """Whether this machine's architecture has a filter (x86-64 and arm64)."""
    return os.uname().machine in _AUDIT_ARCH


def build_filter(machine: str, *, network: bool) -> list[tuple[int, int, int, int]]:
    """The BPF program for ``machine`` as ``(code, jump_true, jump_false, k)`` rows; ``network=False`` adds
    the network rules."""
    column = 0 if machine == "x86_64" else 1
    nr = {name: numbers[column] for name, numbers in _SYSCALLS.items()}
    arg = _OFFSET_ARGS
    compat: list[tuple[int | str, int | str, int | str, int]] = (
        [(_RET, 0, 0, _RET_KILL_PROCESS)]
        if not network
        else [(_LD_W_ABS, 0, 0, _OFFSET_NR), (_JEQ, "ioctl", "allow", _COMPAT_IOCTL)]
    )
    net: list[tuple[int | str, int | str, int | str, int]] = [
        *((_JEQ, "deny", 0, nr[name]) for name in _DENIED),
        (_JEQ, "socket", 0, nr["socket"]),
        (_JEQ, "sendto", 0, nr["sendto"]),
    ]
    program: list[tuple[int | str, int | str, int | str, int]] = [
        (_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        (_JEQ, "native", 0, _AUDIT_ARCH[machine]),
        (_JEQ, 0, "kill", _AUDIT_ARCH_COMPAT[machine]),
        *compat,
        ("native", 0, 0, 0),
        (_LD_W_ABS, 0, 0, _OFFSET_NR),
        (_JGE, "kill", 0, _X32_BIT),
        (_JEQ, "ioctl", 0, nr["ioctl"]),
        *([] if network else net),
        (_RET, 0, 0, _RET_ALLOW),
        ("ioctl", 0, 0, 0),
        (_LD_W_ABS, 0, 0, arg + 8),  # request: the kernel reads an unsigned int, the low half of args[1]
        (_JEQ, "deny", 0, TIOCSTI),
        (_JEQ, "deny", "allow", TIOCLINUX),
        ("socket", 0, 0, 0),
        (_LD_W_ABS, 0, 0, arg),  # domain (low 32 bits of args[0])
        (_JEQ, "allow", "deny", _AF_UNIX),
        ("sendto", 0, 0, 0),
        (_LD_W_ABS, 0, 0, arg + 4 * 8),  # dest_addr, low half of args[4]
        (_JEQ, 0, "deny", 0),
        (_LD_W_ABS, 0, 0, arg + 4 * 8 + 4),  # high half
        (_JEQ, "allow", "deny", 0),
        ("allow", 0, 0, 0),
        (_RET, 0, 0, _RET_ALLOW),
        ("deny", 0, 0, 0),
        (_RET, 0, 0, _RET_ERRNO | errno.EPERM),
        ("kill", 0, 0, 0),
        (_RET, 0, 0, _RET_KILL_PROCESS),
    ]
    return _assemble(program)


def _assemble(program: list[tuple[int | str, int | str, int | str, int]]) -> list[tuple[int, int, int, int]]:
    """Drop the label rows (a ``str`` code) and turn jumps to labels into forward offsets."""
    labels: dict[str, int] = {}
    code: list[tuple[int, int | str, int | str, int]] = []
    for op, jt, jf, k in program:
        if isinstance(op, str):
            labels[op] = len(code)
        else:
            code.append((op, jt, jf, k))

    def offset(target: int | str, index: int) -> int:
        return labels[target] - index - 1 if isinstance(target, str) else target

    return [(op, offset(jt, i), offset(jf, i), k) for i, (op, jt, jf, k) in enumerate(code)]


def install(*, network: bool) -> None:
    """Install the filter on this process (inherited across ``execve``); needs ``PR_SET_NO_NEW_PRIVS`` first.

    Raises ``OSError`` on an unsupported architecture or when the kernel refuses the filter.
    """
    machine = os.uname().machine
    if machine not in _AUDIT_ARCH:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {machine}")
    rows = build_filter(machine, network=network)
    filters = (_Filter * len(rows))(*(_Filter(*row) for row in rows))
    program = _Program(len(rows), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, ctypes.c_ulong(_SECCOMP_MODE_FILTER), ctypes.byref(program), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp filter failed: {os.strerror(err)}")
