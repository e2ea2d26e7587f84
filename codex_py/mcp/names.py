"""Codex's model-visible names for MCP tools: ``mcp__<server>__<tool>``.

Each part keeps only ``[A-Za-z0-9_]`` (anything else becomes ``_``; an empty part becomes ``_``), so the
name is valid on every wire API (OpenAI ``^[a-zA-Z0-9_-]{1,64}$``, Anthropic up to 128). Servers whose
sanitised names clash get ``_`` + 12 hex of the SHA-1 of their raw name; tools that clash inside the
result, or a name longer than 64 bytes (cut, then suffixed), get the SHA-1 of ``server/tool``. The
outcome depends only on the set of (server, tool) pairs, never on start-up order.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable

MAX_NAME_LEN = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def sanitize(part: str) -> str:
    return _UNSAFE.sub("_", part) or "_"


def _hash(raw: str) -> str:
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:12]


def qualified_names(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(server, raw tool name) -> unique model-visible name; duplicates of one pair appear once."""
    unique = sorted(set(pairs))
    servers = sorted({server for server, _ in unique})
    by_ns: defaultdict[str, list[str]] = defaultdict(list)
    for server in servers:
        by_ns[sanitize(server)].append(server)
    namespace = {}
    for ns, members in by_ns.items():
        for server in members:
            namespace[server] = f"{ns}_{_hash(server)}" if len(members) > 1 else ns

    wanted: dict[tuple[str, str], str] = {}
    for server, tool in unique:
        wanted[(server, tool)] = f"mcp__{namespace[server]}__{sanitize(tool)}"
    clashes: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair, name in wanted.items():
        clashes[name].append(pair)
    out: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for pair, name in wanted.items():
        identity = f"{pair[0]}/{pair[1]}"
        if len(clashes[name]) > 1:
            name = f"{name}_{_hash(identity)}"
        if len(name.encode()) > MAX_NAME_LEN:
            name = f"{name[: MAX_NAME_LEN - 13]}_{_hash(identity)}"
        attempt = 0
        while name in taken:  # only when a hashed name meets another pair's: hash again with a counter
            attempt += 1
            name = f"{name[: MAX_NAME_LEN - 13]}_{_hash(f'{identity}#{attempt}')}"
        taken.add(name)
        out[pair] = name
    return out
