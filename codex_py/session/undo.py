"""Undo a session's turns from its checkpoints (``codex-py undo``, ``/undo``, ``/rewind``).

The rollout says which snapshots came before and after each turn (``checkpoint`` events) and which turns
were already undone (``undo`` events). Undoing turns puts every file they changed back as it was just
before the earliest of them that touched it: content and executable bit restored, files they created
removed, files they deleted recreated. A file changed again since the turn (by the user, another program,
a later turn) is a conflict: listed, and left alone unless forced.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from codex_py.errors import UsageError
from codex_py.session.checkpoints import CheckpointError, CheckpointStore, Entry, RestoreResult

if TYPE_CHECKING:
    from codex_py.config import CliOverrides, Config

Verb = Literal["restore", "create", "delete"]
State = tuple[Entry, int | None] | None
"""A file as a snapshot holds it (entry, non-default permission bits), or None when absent."""


@dataclass(frozen=True, slots=True)
class TurnCheckpoint:
    turn_id: str
    before: str
    after: str | None
    """None when the session ended in the middle of the turn."""
    skipped: tuple[str, ...] = ()


@dataclass(slots=True)
class UndoPlan:
    turns: list[TurnCheckpoint]
    targets: dict[str, State] = field(default_factory=dict)
    """What each path becomes (None: removed)."""
    actions: list[tuple[Verb, str]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    """Paths changed since the turn that last touched them."""
    kept: list[str] = field(default_factory=list)
    """Paths left alone because they were too big to checkpoint."""
    current: str = ""
    """The snapshot taken just before undoing (so the undo can itself be undone)."""


def read_checkpoints(path: Path, *, from_line: int = 0) -> list[TurnCheckpoint]:
    """The turns of a rollout that have a checkpoint and are not undone yet, oldest first; with ``from_line``,
    only turns whose first checkpoint is on that line (0-based) or later (``/rewind``: the turns after a prompt)."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read session file {path}: {exc.strerror}", "check the file's permissions") from None
    turns: dict[str, TurnCheckpoint] = {}
    undone: set[str] = set()
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()):
        if '"checkpoint"' not in line and '"undo"' not in line:
            continue
        try:
            record = json.loads(line)
            kind, payload = record["type"], record["payload"]
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(payload, dict):
            continue
        if kind == "checkpoint" and isinstance(payload.get("turn_id"), str) and isinstance(payload.get("before"), str):
            after = payload.get("after")
            skipped = payload.get("skipped") or []
            turns.pop(payload["turn_id"], None)  # keep the order of the latest record
            first_line.setdefault(payload["turn_id"], number)
            turns[payload["turn_id"]] = TurnCheckpoint(
                payload["turn_id"],
                payload["before"],
                after if isinstance(after, str) else None,
                tuple(str(p) for p in skipped) if isinstance(skipped, list) else (),
            )
        elif kind == "undo" and isinstance(payload.get("turn_ids"), list):
            undone.update(str(t) for t in payload["turn_ids"])
    return [t for t in turns.values() if t.turn_id not in undone and first_line[t.turn_id] >= from_line]


def plan_undo(store: CheckpointStore, session_id: str, turns: list[TurnCheckpoint]) -> UndoPlan:
    """What undoing ``turns`` (oldest first) does to the workspace as it is now."""
    plan = UndoPlan(turns)
    current = store.snapshot(session_id, "before undo")
    plan.current = current.commit
    expected: dict[str, State] = {}
    skipped_before: set[str] = set()
    for turn in turns:
        if not store.exists(turn.before):
            raise CheckpointError(f"the checkpoint of turn {turn.turn_id} was pruned")
        after = turn.after if turn.after and store.exists(turn.after) else current.commit
        skipped_before.update(turn.skipped)
        before_modes, after_modes = store.modes(turn.before), store.modes(after)
        changes = {c.path: (c.before, c.after) for c in store.changes(turn.before, after)}
        chmodded = sorted(
            p for p in before_modes.keys() | after_modes.keys() if before_modes.get(p) != after_modes.get(p)
        )
        chmodded = [p for p in chmodded if p not in changes]
        if chmodded:  # only the permission bits changed: the same blob on both sides
            old, new = store.entries(turn.before, chmodded), store.entries(after, chmodded)
            changes.update((p, (old.get(p), new.get(p))) for p in chmodded)
        for rel, (was, became) in changes.items():
            if rel not in plan.targets:
                plan.targets[rel] = _state(was, before_modes.get(rel))
            expected[rel] = _state(became, after_modes.get(rel))
    for rel in [p for p, e in plan.targets.items() if e is None and p in skipped_before]:
        del plan.targets[rel]  # too big to keep before the turn: never deleted
        plan.kept.append(rel)
    now_modes = store.modes(current.commit)
    now_entries = store.entries(current.commit, sorted(plan.targets))
    for rel, target in sorted(plan.targets.items()):
        now = _state(now_entries.get(rel), now_modes.get(rel))
        if now != expected.get(rel):
            plan.conflicts.append(rel)
        if now == target:
            continue
        plan.actions.append(("delete" if target is None else "restore" if now is not None else "create", rel))
    return plan


def _state(entry: Entry | None, perms: int | None) -> State:
    return None if entry is None else (entry, perms if entry.mode != "120000" else None)


def apply_plan(store: CheckpointStore, plan: UndoPlan) -> RestoreResult:
    """Write the plan's targets (the ones that differ from now)."""
    targets = {rel: plan.targets[rel] for _verb, rel in plan.actions}
    perms = {rel: t[1] for rel, t in targets.items() if t is not None and t[1] is not None}
    return store.restore({rel: (t[0] if t is not None else None) for rel, t in targets.items()}, perms)


def store_for(config: Config, workspace: Path) -> CheckpointStore:
    from codex_py.config import resolve_paths

    return CheckpointStore.for_workspace(
        resolve_paths().data_dir, workspace, max_file_bytes=config.checkpoint_max_file_bytes
    )


_PAST: dict[Verb, str] = {"restore": "restored", "create": "created", "delete": "deleted"}


def undo_command(
    cli: CliOverrides, session_id: str | None, *, last: bool, turns: int, dry_run: bool, force: bool
) -> int:
    """``codex-py undo``: restore the files changed by the last ``turns`` turns of a session."""
    from codex_py.config import load_config, resolve_paths
    from codex_py.session.rollout import RolloutRecorder, find_rollout, read_header

    if turns < 1:
        raise UsageError(f"--turns must be 1 or more (got {turns})", "for example: codex-py undo --turns 2")
    config = load_config(cli)
    paths = resolve_paths()
    path = find_rollout(paths, None if last else session_id, last=last or session_id is None, cwd=config.cwd)
    meta = read_header(path)
    if meta is None or not meta.cwd:
        raise UsageError(f"{path} has no session header", "run `codex-py sessions`")
    available = read_checkpoints(path)
    if not available:
        raise UsageError(
            f"session {meta.id} has no turn left to undo (no checkpoint recorded, or all undone)",
            "checkpoints are taken when a turn runs tools with `checkpoints = true` (the default)",
        )
    chosen = available[-turns:]
    workspace = Path(meta.cwd)
    store = store_for(config, workspace)
    try:
        plan = plan_undo(store, meta.id, chosen)
    except CheckpointError as exc:
        raise UsageError(f"cannot undo: {exc}", "nothing was changed") from None
    out = sys.stdout
    count = f"{len(chosen)} turn" + ("s" if len(chosen) != 1 else "")
    if plan.conflicts and not force:
        sys.stderr.write(f"error: changed since the turn (by you or another program), so not undone: {count}\n")
        sys.stderr.write("".join(f"  {rel}\n" for rel in plan.conflicts))
        sys.stderr.write("hint: review them, then run again with --force to restore them anyway\n")
        return 1
    for rel in plan.kept:
        sys.stderr.write(f"note: {rel} was too big to checkpoint before the turn: left as it is\n")
    if dry_run:
        for verb, rel in plan.actions:
            out.write(f"would be {_PAST[verb]}: {rel}\n")
        if not plan.actions:
            out.write(f"nothing to restore: the files of the last {count} are as they were\n")
        return 0
    try:
        result = apply_plan(store, plan)
    except CheckpointError as exc:
        raise UsageError(f"cannot undo: {exc}", "nothing was changed") from None
    for label, items in (("restored", result.restored), ("created", result.created), ("deleted", result.deleted)):
        for rel in items:
            out.write(f"{label}: {rel}\n")
    if not plan.actions:
        out.write(f"nothing to restore: the files of the last {count} are as they were\n")
    recorder = RolloutRecorder.reopen(path)
    recorder.record_event("undo", {"turn_ids": [t.turn_id for t in chosen], "snapshot": plan.current})
    recorder.close()
    if result.failed:
        for rel, reason in result.failed:
            sys.stderr.write(f"error: could not restore {rel}: {reason}\n")
        return 1
    return 0
