"""Linux Landlock through ctypes: ABI detection, access-right sets per ABI, and ``restrict_self``.

This module imports only ``ctypes``, ``os`` and ``sys`` (not even ``typing``: annotations are strings): the
sandbox exec helper runs it in a fresh ``python -S`` process before ``execvp`` and must start fast.

Only *write-like* filesystem rights are handled, so reading and executing stay allowed everywhere;
writes are allowed only beneath the rule paths. Network rules (ABI >= 4) handle TCP bind/connect with
no allowed port, which denies both. Scopes (ABI >= 6) stop signals to processes outside the sandbox
and, when the network is off, connections to abstract Unix sockets outside it.
"""

from __future__ import annotations

import ctypes
import os
import sys

# syscall numbers are the same on every architecture Landlock supports (unified table, Linux >= 5.13)
_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# filesystem access rights
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
# network access rights (ABI 4)
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
# scopes (ABI 6)
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

_WRITE_V1 = (
    FS_WRITE_FILE
    | FS_REMOVE_DIR
    | FS_REMOVE_FILE
    | FS_MAKE_CHAR
    | FS_MAKE_DIR
    | FS_MAKE_REG
    | FS_MAKE_SOCK
    | FS_MAKE_FIFO
    | FS_MAKE_BLOCK
    | FS_MAKE_SYM
)
# rights that may be granted on a non-directory (anything else on a file rule is EINVAL)
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

# character devices every sandboxed command may write (``> /dev/null`` and friends)
DEVICE_FILES = ("/dev/null", "/dev/zero", "/dev/full")
# devices a command may also ioctl when it opens them itself (ABI >= 5); every other device, terminals
# included, refuses ioctls on a descriptor opened inside the sandbox (nothing else there has a use)
IOCTL_DEVICES = (*DEVICE_FILES, "/dev/random", "/dev/urandom")
# never granted anywhere, but handled: nobody in the sandbox creates device nodes (root could write a disk raw)
_DEVICE_NODES = FS_MAKE_CHAR | FS_MAKE_BLOCK

_abi_cache: int | None = None


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, or 0 when Landlock is unavailable (not Linux, not built, disabled)."""
    global _abi_cache
    if _abi_cache is None:
        _abi_cache = _probe_abi()
    return _abi_cache


def _probe_abi() -> int:
    if not sys.platform.startswith("linux"):
        return 0
    try:
        version = _libc().syscall(
            ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
        )
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def handled_fs(abi: int) -> int:
    """The write-like filesystem rights this ABI can restrict."""
    rights = _WRITE_V1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


class Ruleset:
    """What to restrict: handled fs/net rights, scopes, and (path, allowed fs rights) rules."""

    __slots__ = ("abi", "fs", "net", "rules", "scoped")

    def __init__(self, abi: int, fs: int, net: int, scoped: int, rules: list[tuple[str, int]]) -> None:
        self.abi, self.fs, self.net, self.scoped, self.rules = abi, fs, net, scoped, rules

    def to_args(self) -> list[str]:
        """Encode as argv words (paths stay exact whatever characters they hold)."""
        words = [str(self.abi), str(self.fs), str(self.net), str(self.scoped)]
        for path, access in self.rules:
            words += [str(access), path]
        return words

    @classmethod
    def from_args(cls, words: list[str]) -> Ruleset:
        """Decode ``to_args`` output; raises ``ValueError`` on malformed input."""
        if len(words) < 4 or len(words) % 2:
            raise ValueError("malformed Landlock ruleset arguments")
        abi, fs, net, scoped = (int(w) for w in words[:4])
        rules = [(words[i + 1], int(words[i])) for i in range(4, len(words), 2)]
        return cls(abi, fs, net, scoped, rules)


def build_ruleset(writable: list[str], *, network: bool, abi: int) -> Ruleset:
    """The ruleset for a sandbox writing only beneath ``writable`` (plus the ``DEVICE_FILES``).

    Writable roots get every handled right but making device nodes and device ioctls; ``IOCTL_DEVICES``
    get device ioctls (ABI >= 5).

    ``network=False`` denies TCP bind/connect where the ABI has network rules (>= 4).
    """
    fs = handled_fs(abi)
    rules: list[tuple[str, int]] = [(path, fs & ~(_DEVICE_NODES | FS_IOCTL_DEV)) for path in writable]
    rules += [(dev, fs & (FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV)) for dev in DEVICE_FILES]
    rules += [(dev, fs & FS_IOCTL_DEV) for dev in IOCTL_DEVICES if dev not in DEVICE_FILES]
    net = 0 if network or abi < 4 else NET_BIND_TCP | NET_CONNECT_TCP
    scoped = 0
    if abi >= 6:
        scoped = SCOPE_SIGNAL if network else SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET
    return Ruleset(abi, fs, net, scoped, rules)


def restrict_self(ruleset: Ruleset) -> None:
    """Apply ``ruleset`` to this process and its future children; irreversible.

    Rule paths that do not exist are skipped. Raises ``OSError`` when the kernel refuses.
    """
    libc = _libc()
    attr = _RulesetAttr(ruleset.fs, ruleset.net, ruleset.scoped)
    size = 24 if ruleset.abi >= 6 else 16 if ruleset.abi >= 4 else 8
    fd = libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        _raise("landlock_create_ruleset")
    try:
        for path, access in ruleset.rules:
            _add_path_rule(libc, fd, path, access)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)):
            _raise("prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_long(fd), ctypes.c_uint32(0)) < 0:
            _raise("landlock_restrict_self")
    finally:
        os.close(fd)


def _add_path_rule(libc: ctypes.CDLL, ruleset_fd: int, path: str, access: int) -> None:
    try:
        path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a missing root grants nothing
    try:
        if not os.path.isdir(path):
            access &= _FILE_RIGHTS
        if not access:
            return
        attr = _PathBeneathAttr(access, path_fd)
        rc = libc.syscall(
            ctypes.c_long(_SYS_ADD_RULE),
            ctypes.c_long(ruleset_fd),
            ctypes.c_long(_RULE_PATH_BENEATH),
            ctypes.byref(attr),
            ctypes.c_uint32(0),
        )
        if rc < 0:
            _raise(f"landlock_add_rule({path})")
    finally:
        os.close(path_fd)


def _raise(what: str) -> None:
    err = ctypes.get_errno()
    raise OSError(err, f"{what} failed: {os.strerror(err)}")
