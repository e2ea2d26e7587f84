"""MCP resources and prompts in a user's turn: ``@server:uri`` attaches a resource's text, ``/mcp__server__prompt
key=value ...`` is replaced by the prompt the server returns. Used by the session for the TUI and exec alike."""

from __future__ import annotations

import re
import shlex

from codex_py.mcp.manager import McpCallError, McpManager, McpPrompt

_MENTION = re.compile(r"(?:^|(?<=\s))@([A-Za-z0-9_-]+):(\S+)")
_TRAILING = ".,;:!?)]}'\""


def mentions(manager: McpManager, text: str) -> list[tuple[str, str]]:
    """``(server, uri)`` of each ``@server:uri`` naming a configured server, in order, without repeats."""
    found: list[tuple[str, str]] = []
    for match in _MENTION.finditer(text):
        server, uri = match.group(1), match.group(2).rstrip(_TRAILING)
        if manager.has_server(server) and uri and (server, uri) not in found:
            found.append((server, uri))
    return found


async def resource_blocks(manager: McpManager, text: str) -> tuple[list[str], list[str]]:
    """The attached resources as text blocks for the model, and one warning per resource that failed."""
    blocks: list[str] = []
    warnings: list[str] = []
    found = mentions(manager, text)
    await _settled(manager, {server for server, _ in found})
    for server, uri in found:
        try:
            body = await manager.read_resource(server, uri)
        except McpCallError as exc:
            warnings.append(f"could not attach @{server}:{uri}: {exc}")
            continue
        blocks.append(f'<mcp_resource server="{server}" uri="{uri}">\n{body}\n</mcp_resource>')
    return blocks, warnings


async def _settled(manager: McpManager, servers: set[str]) -> None:
    """Start (if exec has not yet) and wait until ``servers`` are ready or failed (bounded by startup timeouts)."""
    if servers:
        manager.start()
        await manager.wait(sorted(servers))


def find_prompt(manager: McpManager, command: str) -> McpPrompt | None:
    """The prompt behind ``mcp__server__prompt`` (without the slash)."""
    return next((p for p in manager.prompts() if p.command == command), None)


def usage(prompt: McpPrompt) -> str:
    args = " ".join(f"{n}=…" if req else f"[{n}=…]" for n, req, _ in prompt.arguments)
    return f"/{prompt.command}" + (f" {args}" if args else "")


async def expand_prompt(manager: McpManager, line: str) -> str:
    """The text of ``/mcp__server__prompt key=value ...``; raises ``McpCallError`` with a one-line cause."""
    head, _, rest = line.strip().partition(" ")
    prompt = find_prompt(manager, head.lstrip("/"))
    if prompt is None:  # its server may still be starting (exec starts servers late): wait for it
        await _settled(manager, {s for s in manager.server_names() if head.startswith(f"/mcp__{s}__")})
        prompt = find_prompt(manager, head.lstrip("/"))
    if prompt is None:
        raise McpCallError(f"no MCP prompt {head} (see /mcp: the server may still be starting)")
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise McpCallError(f"cannot read the arguments of {head}: {exc}") from None
    arguments: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise McpCallError(f"arguments are key=value: {word!r} (usage: {usage(prompt)})")
        arguments[key] = value
    known = {n for n, _, _ in prompt.arguments}
    if unknown := sorted(set(arguments) - known):
        raise McpCallError(f"{head} has no argument {', '.join(unknown)} (usage: {usage(prompt)})")
    if missing := [n for n, req, _ in prompt.arguments if req and n not in arguments]:
        raise McpCallError(f"{head} needs {', '.join(missing)} (usage: {usage(prompt)})")
    return await manager.get_prompt(prompt.server, prompt.name, arguments)
