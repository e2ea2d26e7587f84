"""Rewind a session to just before one of the user's earlier prompts (``/rewind``, Esc Esc).

Three parts, each usable alone:

* **which prompts**: :func:`prompts` lists what the user typed (``rollout.is_prompt``), oldest first;
* **conversation**: :func:`conversation_before` gives the history the model sees and the transcript as
  they were just before prompt ``k`` (the live objects when the prompt is still in the history, else the
  rollout read up to that prompt: a prompt before a compaction); ``Session.roll_back`` then records
  ``thread_rolled_back`` so a resume agrees;
* **code**: :func:`plan_code_rewind` plans an undo (``session.undo``) of every not yet undone turn that
  began after prompt ``k``: the files go back to how they were just before it. A file changed since by
  someone else is a conflict, listed in the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codex_py.protocol.items import Item, UserMessage
from codex_py.session.rollout import close_unanswered_calls, is_prompt, load_rollout

if TYPE_CHECKING:
    from codex_py.session.checkpoints import CheckpointStore
    from codex_py.session.undo import UndoPlan


@dataclass(frozen=True, slots=True)
class Prompt:
    index: int
    """0-based among the prompts of the transcript."""
    position: int
    """Where it is in the transcript."""
    message: UserMessage


def prompts(transcript: list[Item]) -> list[Prompt]:
    """The user's prompts in ``transcript``, oldest first."""
    out: list[Prompt] = []
    for position, item in enumerate(transcript):
        if is_prompt(item):
            assert isinstance(item, UserMessage)
            out.append(Prompt(len(out), position, item))
    return out


def conversation_before(
    prompt: Prompt, history: list[Item], transcript: list[Item], rollout: Path | None
) -> tuple[list[Item], list[Item]]:
    """(history, transcript) as they were just before ``prompt``.

    While the prompt is still in ``history`` (no compaction since) the history is cut there, keeping the
    exact items the model saw; otherwise it is rebuilt from ``rollout`` (the stored copy, secrets redacted),
    or is empty when there is no file."""
    new_transcript = transcript[: prompt.position]
    message = transcript[prompt.position]
    for position, item in enumerate(history):
        if item is message:
            return close_unanswered_calls(history[:position]), new_transcript
    if rollout is None or not rollout.exists():
        return [], new_transcript
    loaded = load_rollout(rollout, stop_before_prompt=prompt.index)
    return loaded.items, new_transcript


def plan_code_rewind(store: CheckpointStore, session_id: str, rollout: Path, index: int) -> UndoPlan | None:
    """The undo of every turn that began after the ``index``-th prompt and is not undone yet; None when no
    such turn changed anything (nothing to restore). Raises ``CheckpointError`` if a checkpoint is gone."""
    from codex_py.session.undo import plan_undo, read_checkpoints

    line = load_rollout(rollout, stop_before_prompt=index).stopped_at
    if line is None:
        return None
    turns = read_checkpoints(rollout, from_line=line)
    if not turns:
        return None
    return plan_undo(store, session_id, turns)
