"""The tools offered to the model, per model (function tools, or vendor-native forms)."""

from __future__ import annotations

from typing import Any

from codex_py.protocol import ToolSpec

SHELL_DESCRIPTION = (
    "Runs a command and returns its exit code and output. `command` is an argv list passed to execvp: "
    'use ["bash", "-lc", "<script>"] for shell features. Set `workdir` instead of using cd.'
)

SHELL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {"type": "array", "items": {"type": "string"}, "description": "The command to execute (argv)."},
        "workdir": {"type": "string", "description": "The working directory (default: the workspace)."},
        "timeout_ms": {"type": "number", "description": "Timeout in milliseconds."},
        "sandbox_permissions": {
            "type": "string",
            "enum": ["use_default", "require_escalated"],
            "description": "require_escalated asks the user to run this command outside the sandbox.",
        },
        "justification": {"type": "string", "description": "Why escalation is needed (one sentence)."},
    },
    "required": ["command"],
    "additionalProperties": False,
}

PLAN_DESCRIPTION = (
    "Updates the task plan shown to the user. Give every step with its status; at most one step may be "
    "in_progress at a time."
)
PLAN_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "explanation": {"type": "string"},
        "plan": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "step": {"type": "string"},
                    "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]},
                },
                "required": ["step", "status"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["plan"],
    "additionalProperties": False,
}

PATCH_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The entire contents of the apply_patch command."}},
    "required": ["input"],
    "additionalProperties": False,
}


def tool_specs(native_tools: frozenset[str] | set[str] | tuple[str, ...] = ()) -> list[ToolSpec]:
    """The contract's three function tools, plus native forms the catalog knows the model supports.

    ``native_tools`` may hold ``"freeform_apply_patch"`` (Responses custom tool),
    ``"anthropic_bash"`` and ``"anthropic_text_editor"`` (Messages tool types).
    """
    from codex_py.tools.apply_patch.texts import APPLY_PATCH_INSTRUCTIONS, APPLY_PATCH_LARK_GRAMMAR

    specs = [ToolSpec("shell", SHELL_DESCRIPTION, SHELL_PARAMETERS)]
    if "freeform_apply_patch" in native_tools:
        specs.append(
            ToolSpec(
                "apply_patch",
                "Use the `apply_patch` tool to edit files. This is a FREEFORM tool: do not wrap the patch in JSON.",
                {"format": {"type": "grammar", "syntax": "lark", "definition": APPLY_PATCH_LARK_GRAMMAR}},
                kind="custom",
            )
        )
    else:
        specs.append(ToolSpec("apply_patch", APPLY_PATCH_INSTRUCTIONS, PATCH_PARAMETERS))
    specs.append(ToolSpec("update_plan", PLAN_DESCRIPTION, PLAN_PARAMETERS))
    if "anthropic_bash" in native_tools:
        specs.append(ToolSpec("bash", "Run a bash command.", {}, native="anthropic_bash"))
    if "anthropic_text_editor" in native_tools:
        specs.append(
            ToolSpec("str_replace_based_edit_tool", "View and edit files.", {}, native="anthropic_text_editor")
        )
    return specs
