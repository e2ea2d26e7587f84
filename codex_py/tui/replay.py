"""Replay recorded agent events into the app: reproduce UI bugs without a model.

A replay file is JSON Lines, one event per line: ``{"event": "AgentTextDelta", "text": "Hi"}``.
Nested values follow the dataclasses (``changes`` is a list of ``FileChange`` objects, ``plan`` a list
of ``PlanStep`` objects, usage fields are ``Usage`` objects). Record with :func:`dump_events`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from codex_py.agent import events as ev
from codex_py.protocol.events import RateLimits, Usage

_NESTED: dict[str, type] = {
    "changes": ev.FileChange,
    "plan": ev.PlanStep,
    "turn": Usage,
    "session": Usage,
    "rate_limits": RateLimits,
}
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in ev.AgentEvent.__args__}  # type: ignore[attr-defined]


def event_to_json(event: ev.AgentEvent) -> dict[str, Any]:
    """One event as a JSON object (an approval's future is left out)."""
    data: dict[str, Any] = {"event": type(event).__name__}
    for f in dataclasses.fields(event):
        if f.name == "future":
            continue
        value = getattr(event, f.name)
        data[f.name] = _jsonable(value)
    return data


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def event_from_json(data: dict[str, Any]) -> ev.AgentEvent:
    """The inverse of :func:`event_to_json`. Raises ``ValueError`` on an unknown event."""
    name = data.get("event")
    cls = EVENT_TYPES.get(str(name))
    if cls is None:
        raise ValueError(f"unknown event {name!r}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "event":
            continue
        nested = _NESTED.get(key)
        if nested is not None and isinstance(value, list):
            value = [nested(**v) for v in value]
        elif nested is not None and isinstance(value, dict):
            value = nested(**value)
        kwargs[key] = value
    event: ev.AgentEvent = cls(**kwargs)
    return event


def load_events(path: Path) -> list[ev.AgentEvent]:
    """Read a replay file (blank lines are skipped)."""
    return [event_from_json(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dump_events(events: Iterable[ev.AgentEvent], path: Path) -> None:
    """Write a replay file."""
    path.write_text("".join(json.dumps(event_to_json(e), ensure_ascii=False) + "\n" for e in events), encoding="utf-8")
