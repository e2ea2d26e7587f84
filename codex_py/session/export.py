"""``codex-py sessions export`` and ``/export``: a recorded session as Markdown or JSON.

Both are built from one document (:func:`export_document`, the JSON schema in docs/sessions.md): the
session's header, then its turns (each prompt with what followed it: reasoning summaries, answers,
commands with their output, patches with their diffs, other tool calls, compactions). Every string is
redacted (``config.redaction``: the credentials this process knows and high-confidence secret shapes)
before it is written, even though the rollout was already redacted when it was recorded. The rollout is
only read (never locked), so a running session can be exported: what it has written so far.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from codex_py.errors import UsageError
from codex_py.protocol.items import AssistantMessage, ImagePart, Item, Reasoning, ToolCall, ToolResult, UserMessage
from codex_py.session.compaction import SUMMARY_PREFIX, is_summary_message
from codex_py.session.rollout import LoadedSession, is_prompt, load_rollout

if TYPE_CHECKING:
    from codex_py.config import CliOverrides, Config

Format = Literal["md", "json"]
SCHEMA = "codex-py/session-export"
SCHEMA_VERSION = 1
OUTPUT_HEAD_LINES = 20
OUTPUT_TAIL_LINES = 20
OUTPUT_MAX_CHARS = 6000
"""Markdown shows at most this much of a command's output (head and tail); JSON keeps what the model saw."""
_RESULT_HEAD = re.compile(r"Exit code: (-?\d+)\nWall time: ([\d.]+) seconds\n(?:Total output lines: \d+\n)?Output:\n")


def _args(call: ToolCall) -> dict[str, Any]:
    try:
        value = json.loads(call.arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _command_text(call: ToolCall) -> str | None:
    command = _args(call).get("command")
    if call.name == "shell" and isinstance(command, list) and all(isinstance(c, str) for c in command):
        if len(command) == 3 and command[0] in ("bash", "sh", "zsh") and command[1] in ("-lc", "-c"):
            return str(command[2])
        return shlex.join(command)
    if call.name == "bash" and isinstance(command, str):
        return command
    return None


def _entry(call: ToolCall, result: ToolResult | None, record: dict[str, Any] | None) -> dict[str, Any]:
    output = result.output if result is not None else ""
    if record is not None and record.get("kind") == "patch":
        changes = [
            {k: c.get(k) for k in ("path", "kind", "move_to", "diff")}
            for c in record.get("changes") or []
            if isinstance(c, dict)
        ]
        return {"type": "patch", "call_id": call.call_id, "status": record.get("status"), "changes": changes}
    command = _command_text(call)
    if command is None:
        return {
            "type": "tool",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": call.arguments,
            "output": output,
            "is_error": result.is_error if result is not None else True,
        }
    head = _RESULT_HEAD.match(output)
    body = output[head.end() :] if head is not None else output
    exit_code: int | None = int(head.group(1)) if head is not None else None
    duration: float | None = float(head.group(2)) if head is not None else None
    status = "completed" if exit_code == 0 else "failed"
    if record is not None and record.get("kind") == "command":
        exit_code = record.get("exit_code") if isinstance(record.get("exit_code"), int) else exit_code
        duration = float(record["duration_s"]) if isinstance(record.get("duration_s"), (int, float)) else duration
        status = str(record.get("status") or status)
    elif head is None:
        status = "declined" if result is not None else "failed"
    return {
        "type": "command",
        "call_id": call.call_id,
        "command": command,
        "status": status,
        "exit_code": exit_code,
        "duration_s": duration,
        "output": body,
    }


def export_document(loaded: LoadedSession) -> dict[str, Any]:
    """The session as the documented JSON export (``schema``/``version``, ``session``, ``turns``), redacted."""
    from codex_py.config.redaction import redact_json

    meta = loaded.meta
    results = {i.call_id: i for i in loaded.transcript if isinstance(i, ToolResult)}
    turns: list[dict[str, Any]] = []
    for item in loaded.transcript:
        if is_prompt(item):
            assert isinstance(item, UserMessage)
            images = sum(isinstance(p, ImagePart) for p in item.content)
            turns.append({"number": len(turns) + 1, "prompt": item.text, "images": images, "items": []})
            continue
        if not turns:
            turns.append({"number": 0, "prompt": None, "images": 0, "items": []})
        entry = _item_entry(item, results, loaded.tool_records)
        if entry is not None:
            turns[-1]["items"].append(entry)
    if turns and turns[0]["number"] == 0:  # what came before the first prompt is not a turn of its own
        turns[0]["number"] = None
    document = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "session": {
            "id": meta.id,
            "forked_from_id": meta.forked_from_id,
            "started_at": meta.timestamp,
            "cwd": meta.cwd,
            "provider": meta.provider,
            "model": meta.model,
            "cli_version": meta.cli_version,
            "git": {"branch": meta.git_branch, "commit": meta.git_commit},
        },
        "turns": turns,
    }
    redacted: dict[str, Any] = redact_json(document)
    return redacted


def _item_entry(
    item: Item, results: dict[str, ToolResult], records: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    if isinstance(item, UserMessage):
        if is_summary_message(item):
            return {"type": "compaction", "summary": item.text[len(SUMMARY_PREFIX) :].strip()}
        return {"type": "context", "text": item.text}
    if isinstance(item, AssistantMessage):
        return {"type": "assistant", "text": item.text} if item.text else None
    if isinstance(item, Reasoning):
        return {"type": "reasoning", "text": item.text} if item.text.strip() else None
    if isinstance(item, ToolCall):
        return _entry(item, results.get(item.call_id), records.get(item.call_id))
    return None  # a tool result: shown with its call


# --- Markdown ------------------------------------------------------------------------------------
def _fence(text: str, lang: str = "") -> str:
    """``text`` in a code fence longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip(chr(10))}\n{ticks}"


def truncate_output(text: str) -> str:
    """Head and tail of a command's output, with how much was left out."""
    lines = text.rstrip("\n").split("\n")
    if len(lines) > OUTPUT_HEAD_LINES + OUTPUT_TAIL_LINES:
        left = len(lines) - OUTPUT_HEAD_LINES - OUTPUT_TAIL_LINES
        lines = [*lines[:OUTPUT_HEAD_LINES], f"[... {left} lines omitted ...]", *lines[-OUTPUT_TAIL_LINES:]]
    out = "\n".join(lines)
    if len(out) > OUTPUT_MAX_CHARS:
        half = OUTPUT_MAX_CHARS // 2
        out = f"{out[:half]}\n[... {len(out) - OUTPUT_MAX_CHARS} characters omitted ...]\n{out[-half:]}"
    return out


def render_markdown(document: dict[str, Any]) -> str:
    """The export document as Markdown: prompts, answers, reasoning summaries (collapsed), commands with
    their output (truncated), patches as diffs."""
    session = document["session"]
    parts = [f"# codex-py session {session['id']}", ""]
    facts = [
        f"- Started: {session['started_at']}",
        f"- Folder: `{session['cwd']}`",
        f"- Model: {session['provider']}/{session['model']}",
    ]
    if session.get("forked_from_id"):
        facts.append(f"- Forked from: {session['forked_from_id']}")
    parts += [*facts, ""]
    for turn in document["turns"]:
        if turn["prompt"] is not None:
            parts += [f"## Turn {turn['number']}", "", "**User**", "", turn["prompt"].rstrip(), ""]
            if turn["images"]:
                parts += [f"*({turn['images']} image{'s' if turn['images'] != 1 else ''} attached)*", ""]
        for entry in turn["items"]:
            parts += [*_markdown_entry(entry), ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def _markdown_entry(entry: dict[str, Any]) -> list[str]:
    kind = entry["type"]
    if kind == "assistant":
        return ["**Assistant**", "", entry["text"].rstrip()]
    if kind == "reasoning":
        return ["<details><summary>Reasoning</summary>", "", entry["text"].rstrip(), "", "</details>"]
    if kind == "context":
        return ["<details><summary>Added to the conversation</summary>", "", _fence(entry["text"]), "", "</details>"]
    if kind == "compaction":
        return ["---", "", "<details><summary>Conversation compacted</summary>", "", entry["summary"], "", "</details>"]
    if kind == "command":
        facts = [entry["status"]]
        if entry["exit_code"] is not None:
            facts.append(f"exit {entry['exit_code']}")
        if entry["duration_s"] is not None:
            facts.append(f"{entry['duration_s']:.1f} s")
        lines = [f"**Command** ({' · '.join(facts)})", "", _fence(entry["command"], "sh")]
        if entry["output"].strip():
            lines += ["", _fence(truncate_output(entry["output"]), "text")]
        return lines
    if kind == "patch":
        lines = [f"**Patch** ({entry['status']})"]
        for change in entry["changes"]:
            target = f" → {change['move_to']}" if change.get("move_to") else ""
            lines += ["", f"`{change['path']}`{target} ({change['kind']})"]
            if change.get("diff"):
                lines += ["", _fence(str(change["diff"]), "diff")]
        return lines
    label = f"**Tool** `{entry['name']}`" + (" (failed)" if entry["is_error"] else "")
    lines = [label, "", _fence(entry["arguments"], "json")]
    if entry["output"].strip():
        lines += ["", _fence(truncate_output(entry["output"]), "text")]
    return lines


def export_text(loaded: LoadedSession, fmt: Format) -> str:
    """The export of ``loaded`` in ``fmt``."""
    document = export_document(loaded)
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return render_markdown(document)


def format_of(fmt: str | None, output: Path | None) -> Format:
    """``--format``, else from ``-o``'s suffix (``.json``), else Markdown."""
    if fmt is None:
        return "json" if output is not None and output.suffix.lower() == ".json" else "md"
    if fmt not in ("md", "json"):
        raise UsageError(f"unknown export format {fmt!r}", "use --format md or --format json")
    return fmt  # type: ignore[return-value]


def register_env_credentials(config: Config) -> None:
    """Mask the API keys this machine's environment holds for the configured providers, whatever their shape
    (a stored copy of a session may predate the credential, or another process recorded it)."""
    from codex_py.config.redaction import register_secret

    names = {info.env_key for info in config.model_providers.values() if info.env_key}
    register_secret(*(os.environ.get(name) for name in sorted(names | {"ANTHROPIC_AUTH_TOKEN"})))


def write_export(text: str, output: Path) -> None:
    """Write ``text`` to ``output`` (0600: it holds a conversation); a one-line error if that fails."""
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}", "choose another file with -o") from None


def export_command(cli: CliOverrides, session_id: str, *, fmt: str | None, output: Path | None) -> int:
    """``codex-py sessions export SESSION_ID [--format md|json] [-o FILE]`` (stdout without ``-o``)."""
    from codex_py.config import load_config, resolve_paths
    from codex_py.session.rollout import find_rollout

    chosen = format_of(fmt, output)
    register_env_credentials(load_config(cli))
    path = find_rollout(resolve_paths(), session_id)
    loaded = load_rollout(path)
    text = export_text(loaded, chosen)
    if output is None:
        sys.stdout.write(text)
    else:
        write_export(text, output)
        sys.stderr.write(f"exported session {loaded.meta.id} to {output}\n")
    return 0
