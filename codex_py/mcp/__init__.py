"""MCP client: run the configured ``[mcp_servers.NAME]`` and offer their tools to the model.

Nothing here imports the MCP SDK at module level: ``codex-py --version`` and sessions without MCP servers
never load it. ``manager.McpManager`` starts servers in the background, ``names`` gives Codex's qualified
tool names, ``results`` turns a ``CallToolResult`` into what the model and ``exec --json`` see.
"""

from __future__ import annotations

QUALIFIED_PREFIX = "mcp__"
"""Every MCP tool the model sees is named ``mcp__<server>__<tool>`` (sanitised, at most 64 bytes)."""
