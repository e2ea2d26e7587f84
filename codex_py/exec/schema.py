"""``exec --output-schema FILE``: load the schema, and check the final answer against it.

The schema goes into every request of the turn (``ModelRequest.output_schema``; each wire's native
structured-output form). The answer is checked here as well, with ``jsonschema`` (already installed with
the MCP SDK; imported only when the flag is used): a provider that ignores the format, or a model that
breaks it, is reported as a failed turn instead of passing unchecked JSON to a script.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codex_py.errors import UsageError

REJECTED_HINT = (
    "fix the schema in {path}: strict structured output needs an object schema whose properties are all "
    'listed in "required", with "additionalProperties": false'
)


def load_output_schema(path: Path) -> dict[str, Any]:
    """The JSON schema in ``path``; ``UsageError`` (exit 2) naming the problem when it is not one."""
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"Failed to read output schema file {path}: {exc.strerror or exc}", "pass --output-schema a readable file"
        ) from None
    except UnicodeDecodeError:
        raise UsageError(f"Output schema file {path} is not UTF-8 text", "pass a JSON schema file") from None
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"Output schema file {path} is not valid JSON: {exc}", "fix the JSON in that file") from None
    if not isinstance(schema, dict):
        raise UsageError(
            f"Output schema file {path} must hold a JSON object (a schema)", 'e.g. {"type": "object", ...}'
        )
    from jsonschema import SchemaError, validators  # type: ignore[import-untyped]

    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(top level)"
        raise UsageError(
            f"Output schema file {path} is not a valid JSON schema: {exc.message} at {where}", "fix the schema"
        ) from None
    return schema


def answer_problem(answer: str | None, schema: dict[str, Any]) -> str | None:
    """Why ``answer`` does not follow ``schema`` (one line), or None when it does."""
    from jsonschema import validators  # type: ignore[import-untyped]

    text = (answer or "").strip()
    if not text:
        return "the final answer is empty"
    try:
        value = json.loads(text)
    except ValueError as exc:
        return f"the final answer is not JSON ({exc})"
    error = next(iter(sorted(validators.validator_for(schema)(schema).iter_errors(value), key=str)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    return f"the final answer does not follow the output schema: {error.message} at {where}"
