"""Unified diffs for display, built from the edits a patch makes (no whole-file diffing).

The applier already knows which line ranges it replaced; only inside each replacement does
``difflib`` find the finer line changes, so a 20,000-line file costs no more than its edits.
"""

from __future__ import annotations

CONTEXT = 3
NO_EOL = "\\ No newline at end of file"

Edit = tuple[int, int, list[str]]
"""``(start, end, new_lines)``: old lines ``start:end`` become ``new_lines``."""


def split_lines(text: str) -> tuple[list[str], bool]:
    """Lines without terminators (``\\r\\n`` or ``\\n``) and whether the last line lacks one."""
    if not text:
        return [], False
    lines = text.split("\n")
    missing_eol = lines[-1] != ""
    if not missing_eol:
        lines.pop()
    return [line.removesuffix("\r") for line in lines], missing_eol


REFINE_MAX_PRODUCT = 10_000
"""Inside a replacement, ``difflib`` (up to cubic on repeated lines: 0.2 s for 200 x 200) runs only when
old x new lines stay under this; a bigger block, its common first and last lines trimmed, shows as one change."""


def common_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """How many first lines, then how many of the remaining last lines, ``a`` and ``b`` share."""
    same, shorter = 0, min(len(a), len(b))
    while same < shorter and a[same] == b[same]:
        same += 1
    tail = 0
    while tail < shorter - same and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return same, tail


def _refine(old: list[str], edits: list[Edit]) -> list[Edit]:
    blocks: list[Edit] = []
    for start, end, replacement in edits:
        before = old[start:end]
        if before == replacement:
            continue
        same, tail = common_ends(before, replacement)
        before, new = before[same : len(before) - tail], replacement[same : len(replacement) - tail]
        start += same
        if not before or not new or len(before) * len(new) > REFINE_MAX_PRODUCT:
            blocks.append((start, start + len(before), new))
            continue
        from difflib import SequenceMatcher

        for tag, i1, i2, j1, j2 in SequenceMatcher(None, before, new, autojunk=False).get_opcodes():
            if tag != "equal":
                blocks.append((start + i1, start + i2, new[j1:j2]))
    return blocks


def _mark_last_line(old: list[str], blocks: list[Edit]) -> list[Edit]:
    """The old file's unterminated last line always differs from the new (terminated) one."""
    last = len(old) - 1
    if blocks and blocks[-1][0] <= last < blocks[-1][1]:
        return blocks
    if blocks and blocks[-1][0] == blocks[-1][1] == len(old):
        new = blocks.pop()[2]
        return [*blocks, (last, len(old), [old[last], *new])]
    return [*blocks, (last, len(old), [old[last]])]


def _range(start: int, count: int) -> str:
    if count == 1:
        return str(start + 1)
    return f"{start if count == 0 else start + 1},{count}"


def render(
    old: list[str],
    edits: list[Edit],
    old_name: str | None,
    new_name: str | None,
    *,
    old_missing_eol: bool = False,
) -> str:
    """Unified diff of ``edits`` on ``old``; a ``None`` name is ``/dev/null`` (added or deleted file)."""
    blocks = _refine(old, sorted(edits, key=lambda e: e[0]))
    if old_missing_eol and old:
        blocks = _mark_last_line(old, blocks)
    out = [
        f"--- {'/dev/null' if old_name is None else 'a/' + old_name}",
        f"+++ {'/dev/null' if new_name is None else 'b/' + new_name}",
    ]
    if not blocks:
        return "\n".join(out) + "\n"
    groups: list[list[Edit]] = [[blocks[0]]]
    for block in blocks[1:]:
        if block[0] - groups[-1][-1][1] <= 2 * CONTEXT:
            groups[-1].append(block)
        else:
            groups.append([block])
    shift = 0
    for group in groups:
        low, high = max(0, group[0][0] - CONTEXT), min(len(old), group[-1][1] + CONTEXT)
        body: list[str] = []
        new_low, pos, group_shift = low + shift, low, 0
        for start, end, new in group:
            body += [" " + line for line in old[pos:start]]
            body += ["-" + line for line in old[start:end]]
            if old_missing_eol and end == len(old) > start:
                body.append(NO_EOL)
            body += ["+" + line for line in new]
            group_shift += len(new) - (end - start)
            pos = end
        body += [" " + line for line in old[pos:high]]
        out.append(f"@@ -{_range(low, high - low)} +{_range(new_low, high - low + group_shift)} @@")
        out += body
        shift += group_shift
    return "\n".join(out) + "\n"
