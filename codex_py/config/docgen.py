"""Render the config reference (docs/config.md) from the field docstrings in config/model.py.

Run ``python -m codex_py.config.docgen > docs/config.md``; a test keeps the file in sync.
"""

from __future__ import annotations

import ast
from importlib import resources

_TABLES = {
    "Config": "Top level",
    "ProviderInfo": "[model_providers.ID]",
    "SandboxWorkspaceWrite": "[sandbox_workspace_write]",
    "ChatGPTOAuthConfig": "[oauth.chatgpt]",
    "ClaudeOAuthConfig": "[oauth.claude]",
    "TuiConfig": "[tui]",
    "ProjectConfig": '[projects."PATH"]',
    "McpServerConfig": "[mcp_servers.NAME]",
    "McpToolConfig": "[mcp_servers.NAME.tools.TOOL]",
    "ModelPrice": '[model_prices."MODEL"]',
    "ToolsConfig": "[tools]",
    "SkillsConfig": "[skills]",
    "SkillToggle": "[[skills.config]]",
    "WebSearchToolConfig": "[tools.web_search]",
    "WebSearchLocation": "[tools.web_search.location]",
}
_SKIP = {"cwd", "config_file", "full_auto", "id", "oauth", "sandbox_workspace_write", "tui", "model_providers"}
_SKIP |= {"mcp_servers", "tools", "model_prices", "projects", "skills"}


def render() -> str:
    """Return the markdown reference."""
    source = resources.files("codex_py.config").joinpath("model.py").read_text("utf-8")
    tree = ast.parse(source)
    out = [
        "# Configuration reference",
        "",
        "Generated from `codex_py/config/model.py` by `python -m codex_py.config.docgen`.",
        "Keys go in `config.toml` (in the codex-py home), in a `[profiles.NAME]` table, or on the command",
        "line as `-c key=value` (dotted keys, TOML values).",
        "",
    ]
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in _TABLES}
    for name in _TABLES:
        node = classes[name]
        out += [f"## {_TABLES[node.name]}", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        body = node.body
        for i, stmt in enumerate(body):
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            name = stmt.target.id
            if name in _SKIP:
                continue
            doc = ""
            if i + 1 < len(body):
                nxt = body[i + 1]
                if (
                    isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)
                ):
                    doc = " ".join(nxt.value.value.split())
            default = ast.unparse(stmt.value) if stmt.value is not None else ""
            if default.startswith("field("):
                default = "[]" if "list" in default else "{}"
            type_text = ast.unparse(stmt.annotation).replace("|", "\\|")
            meaning = doc.replace("|", "\\|")
            out.append(f"| `{name}` | `{type_text}` | `{default}` | {meaning} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(render())
