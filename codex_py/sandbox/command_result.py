"""What running one command produced: shared by the shell tool, the approval policy and the front ends."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class CommandResult:
    """The outcome of one command."""

    exit_code: int
    output: str
    """stdout and stderr interleaved as produced (middle dropped past ~1 MiB; see ``truncated_for_ui``)."""
    duration_s: float
    timed_out: bool = False
    sandbox_denied: bool = False
    """Best effort: a failure under a sandbox whose output looks like a permission denial."""
    truncated_for_ui: bool = False
    """True when the middle of a very large output was dropped to cap memory."""
