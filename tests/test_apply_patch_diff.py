"""The display diff: a real unified diff that turns the old text into the new one."""

from __future__ import annotations

import random
import re
from pathlib import Path

from codex_py.tools.apply_patch import preview_patch
from codex_py.tools.apply_patch.diff import NO_EOL, Edit, render

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply_unified(old: list[str], diff: str) -> list[str]:
    """Apply ``diff`` to ``old`` strictly: every context and removed line must be where the header says."""
    lines = diff.splitlines()[2:]
    new: list[str] = []
    pos = 0
    index = 0
    while index < len(lines):
        head = HUNK.fullmatch(lines[index])
        assert head, lines[index]
        old_start, old_count = int(head[1]), int(head[2] or 1)
        new_start, new_count = int(head[3]), int(head[4] or 1)
        start = old_start - 1 if old_count else old_start
        assert start >= pos
        new += old[pos:start]
        assert new_start == (len(new) + 1 if new_count else len(new))
        pos = start
        index += 1
        seen_old = seen_new = 0
        while index < len(lines) and not lines[index].startswith("@@"):
            tag, text = lines[index][:1], lines[index][1:]
            if lines[index] == NO_EOL:
                index += 1
                continue
            if tag in " -":
                assert old[pos] == text
                pos += 1
                seen_old += 1
            if tag in " +":
                new.append(text)
                seen_new += 1
            index += 1
        assert (seen_old, seen_new) == (old_count, new_count)
    return new + old[pos:]


def test_random_edits_render_to_a_diff_that_reproduces_the_new_text() -> None:
    rng = random.Random(20261123)
    for _ in range(400):
        old = [rng.choice("abcdef") * rng.randint(1, 3) for _ in range(rng.randint(0, 40))]
        edits: list[Edit] = []
        pos = 0
        while pos <= len(old) and rng.random() < 0.7:
            start = rng.randint(pos, len(old))
            end = rng.randint(start, min(len(old), start + 6))
            kept = old[start:end]
            new = [line if rng.random() < 0.5 else line + "x" for line in kept]
            new += [rng.choice("uvw") for _ in range(rng.randint(0, 3))]
            edits.append((start, end, new))
            pos = end + 1
        expected: list[str] = []
        cursor = 0
        for start, end, new in edits:
            expected += old[cursor:start] + new
            cursor = end
        expected += old[cursor:]
        diff = render(old, edits, "f", "f", old_missing_eol=bool(old) and rng.random() < 0.3)
        assert diff.startswith("--- a/f\n+++ b/f\n")
        assert apply_unified(old, diff) == expected
        if expected == old and "\\" not in diff:
            assert diff == "--- a/f\n+++ b/f\n"


def test_preview_diff_of_a_large_file_shows_only_the_edit(tmp_path: Path) -> None:
    lines = [f"line {i}" for i in range(5000)]
    (tmp_path / "big.txt").write_text("\n".join(lines))  # no final newline
    text = "*** Begin Patch\n*** Update File: big.txt\n@@\n line 2499\n-line 2500\n+line 2500!\n*** End Patch"
    (change,) = preview_patch(text, tmp_path)
    assert change.diff.splitlines() == [
        "--- a/big.txt",
        "+++ b/big.txt",
        "@@ -2498,7 +2498,7 @@",
        *(f" line {i}" for i in range(2497, 2500)),
        "-line 2500",
        "+line 2500!",
        *(f" line {i}" for i in range(2501, 2504)),
        "@@ -4997,4 +4997,4 @@",
        *(f" line {i}" for i in range(4996, 4999)),
        "-line 4999",
        NO_EOL,
        "+line 4999",
    ]
    assert apply_unified(lines, change.diff) == [*lines[:2500], "line 2500!", *lines[2501:]]
