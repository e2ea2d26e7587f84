"""``codex-py mcp-server``: codex-py as an MCP server over stdio, with Codex's ``codex`` and ``codex-reply`` tools.

``tools`` holds the tool definitions and turns a call's arguments into config overrides (no SDK import);
``server`` runs the official ``mcp`` SDK's low-level server: one codex-py session per ``codex`` call, kept for
``codex-reply``, its events streamed as ``codex/event`` and progress notifications, approvals asked of the
client through elicitation when it supports that (else the approval policy decides, as in ``exec``).
"""
