"""Hook definitions: Codex's ``hooks`` shape, from the home and from the project.

Sources, each adding to the others: the home's config.toml ``[hooks]`` (``[[hooks.EVENT]]`` groups) and
``hooks.json`` beside it (``{"hooks": {EVENT: [groups]}}``); in the project, ``.codex/hooks.json`` and the
``[hooks]`` table of ``.codex/config.toml`` in the repository root and every folder down to the cwd. A group
is ``{matcher?, hooks: [{type: "command", command, timeout?, statusMessage?}]}``. A bad entry is one warning
and is skipped; the rest load.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex_py.hooks import EVENTS

DEFAULT_TIMEOUT_S = 600.0
_EXACT = re.compile(r"^[A-Za-z0-9_|]+$")


def _snake(event: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event).lower()


@dataclass(frozen=True, slots=True)
class HookHandler:
    event: str
    matcher: str
    command: str
    timeout_s: float
    status_message: str
    source: str
    """The file that defines it (absolute)."""
    key: str
    """``<file>:<event_snake>:<group>:<handler>``, Codex's hook state key."""
    project: bool
    """Defined in the project (needs the user's trust), not in the home."""

    def trust_hash(self) -> str:
        """``sha256:`` of the canonical JSON of what the hook does (a changed hook needs trust again)."""
        data = {
            "event_name": self.event,
            "matcher": self.matcher,
            "hooks": [{"type": "command", "command": self.command, "timeout": self.timeout_s}],
        }
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def matches(self, names: tuple[str, ...]) -> bool:
        """Does the matcher accept one of ``names`` (a tool's names, a SessionStart source...)?
        Empty or ``*``: everything; only ``[A-Za-z0-9_|]``: exact alternatives; else an unanchored regex."""
        matcher = self.matcher
        if matcher in ("", "*") or not names:
            return True
        if _EXACT.match(matcher):
            wanted = set(matcher.split("|"))
            return any(name in wanted for name in names)
        try:
            pattern = re.compile(matcher)
        except re.error:
            return False
        return any(pattern.search(name) for name in names)


@dataclass(slots=True)
class HookSet:
    handlers: list[HookHandler] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def for_event(self, event: str) -> list[HookHandler]:
        return [h for h in self.handlers if h.event == event]


def _groups(raw: Any, source: str, project: bool, out: HookSet) -> None:
    """Add the handlers of one ``hooks`` object (event -> groups) to ``out``."""
    if not isinstance(raw, dict):
        out.warnings.append(f"{source}: hooks must be a table of events; ignored")
        return
    for event, groups in raw.items():
        if event == "state":  # trust records ([hooks.state."KEY"]), not an event
            continue
        if event not in EVENTS:
            out.warnings.append(f"{source}: unknown hook event {event!r} ignored (known: {', '.join(EVENTS)})")
            continue
        if not isinstance(groups, list):
            out.warnings.append(f"{source}: hooks.{event} must be an array of groups; ignored")
            continue
        for g, group in enumerate(groups):
            where = f"{source}: hooks.{event}[{g}]"
            if not isinstance(group, dict) or not isinstance(group.get("hooks", []), list):
                out.warnings.append(f"{where} must be {{matcher, hooks = [...]}}; ignored")
                continue
            matcher = group.get("matcher") or ""
            if not isinstance(matcher, str):
                out.warnings.append(f"{where}: matcher must be a string; ignored")
                continue
            if matcher not in ("", "*") and not _EXACT.match(matcher):
                try:
                    re.compile(matcher)
                except re.error as exc:
                    out.warnings.append(f"{where}: invalid matcher regex {matcher!r} ({exc}); ignored")
                    continue
            for h, handler in enumerate(group.get("hooks", [])):
                here = f"{where}.hooks[{h}]"
                if not isinstance(handler, dict):
                    out.warnings.append(f"{here} must be a table; ignored")
                    continue
                kind = handler.get("type", "command")
                command = handler.get("command")
                if kind != "command":
                    out.warnings.append(f"{here}: hook type {kind!r} is not supported (only 'command'); skipped")
                    continue
                if handler.get("async"):
                    out.warnings.append(f"{here}: async hooks are not supported yet; skipped")
                    continue
                if not isinstance(command, str) or not command.strip():
                    out.warnings.append(f"{here}: command must be a non-empty string; ignored")
                    continue
                timeout = handler.get("timeout", DEFAULT_TIMEOUT_S)
                if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 1:
                    out.warnings.append(f"{here}: timeout must be a number of seconds >= 1; using 600")
                    timeout = DEFAULT_TIMEOUT_S
                status = handler.get("statusMessage", "")
                out.handlers.append(
                    HookHandler(
                        event,
                        matcher,
                        command,
                        float(timeout),
                        status if isinstance(status, str) else "",
                        source,
                        f"{source}:{_snake(event)}:{g}:{h}",
                        project,
                    )
                )


def _read_json(path: Path, out: HookSet) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        out.warnings.append(f"cannot read hooks from {path}: {exc}; its hooks are ignored")
        return None
    if not isinstance(data, dict):
        out.warnings.append(f'{path}: expected {{"hooks": {{...}}}}; ignored')
        return None
    return data.get("hooks", {})


def _project_folders(cwd: Path) -> list[Path]:
    from codex_py.session.git import find_repo_root

    root = find_repo_root(cwd) or cwd
    folders = [cwd]
    if root != cwd:
        folders.extend(p for p in cwd.parents if p == root or root in p.parents)
    return list(reversed(folders))


def load_hooks(config_hooks: dict[str, object], config_file: Path, cwd: Path) -> HookSet:
    """Every hook definition for a session in ``cwd`` (module docstring); nothing is run or trusted here."""
    out = HookSet()
    home_dir = config_file.parent
    inline = {k: v for k, v in config_hooks.items() if k != "state"}
    if inline:
        _groups(inline, str(config_file.absolute()), False, out)
    home_json = home_dir / "hooks.json"
    if (raw := _read_json(home_json, out)) is not None:
        _groups(raw, str(home_json.absolute()), False, out)
    home_real = os.path.realpath(home_dir)
    for folder in _project_folders(cwd):
        dot = folder / ".codex"
        if not dot.is_dir() or os.path.realpath(dot) == home_real:
            continue
        if (raw := _read_json(dot / "hooks.json", out)) is not None:
            _groups(raw, str((dot / "hooks.json").absolute()), True, out)
        toml_path = dot / "config.toml"
        if toml_path.is_file():
            try:
                table = tomllib.loads(toml_path.read_text(encoding="utf-8")).get("hooks")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                out.warnings.append(f"cannot read hooks from {toml_path}: {exc}; its hooks are ignored")
                table = None
            if table:
                _groups(table, str(toml_path.absolute()), True, out)
    return out
