"""apply_patch safety: paths stay in the workspace, patches apply all or nothing, failed writes roll back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codex_py.tools.apply_patch import PatchError, apply_patch, paths_touched, preview_patch


def patch(*lines: str) -> str:
    return "\n".join(["*** Begin Patch", *lines, "*** End Patch"]) + "\n"


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace and a sibling directory outside it, each with a file."""
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (work / "inside.txt").write_text("in\n")
    (outside / "secret.txt").write_text("keep\n")
    return work, outside


def tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (None if p.is_dir() or p.is_symlink() else p.read_bytes()) for p in root.rglob("*")
    }


@pytest.mark.parametrize(
    "hunk",
    [
        ("*** Add File: {outside}/new.txt", "+x"),
        ("*** Update File: {outside}/secret.txt", "@@", "-keep", "+gone"),
        ("*** Delete File: {outside}/secret.txt",),
        ("*** Add File: ../outside/new.txt", "+x"),
        ("*** Add File: sub/../../outside/new.txt", "+x"),
        ("*** Delete File: ../outside/secret.txt",),
        ("*** Update File: inside.txt", "*** Move to: ../outside/moved.txt", "@@", "-in", "+out"),
    ],
)
def test_paths_leaving_the_workspace_are_refused(layout: tuple[Path, Path], hunk: tuple[str, ...]) -> None:
    work, outside = layout
    before_work, before_outside = tree(work), tree(outside)
    text = patch(*(line.format(outside=outside) for line in hunk))
    with pytest.raises(PatchError) as caught:
        apply_patch(text, work)
    message = str(caught.value)
    assert message.startswith("Refusing '") and f"outside the workspace {work}" in message
    assert "approve" in message
    assert (tree(work), tree(outside)) == (before_work, before_outside)


def test_symlink_leading_out_is_refused(layout: tuple[Path, Path]) -> None:
    work, outside = layout
    (work / "link").symlink_to(outside)
    (work / "file_link").symlink_to(outside / "secret.txt")
    for text in (
        patch("*** Add File: link/new.txt", "+x"),
        patch("*** Update File: file_link", "@@", "-keep", "+gone"),
        patch("*** Delete File: link/secret.txt"),
    ):
        with pytest.raises(PatchError, match="a symlink leads it outside the workspace"):
            apply_patch(text, work)
    assert tree(outside) == {"secret.txt": b"keep\n"}


def test_allow_outside_writes_there(layout: tuple[Path, Path]) -> None:
    work, outside = layout
    text = patch("*** Update File: ../outside/secret.txt", "@@", "-keep", "+changed", "*** Add File: /dev/null/x")
    with pytest.raises(PatchError, match="not a directory"):
        preview_patch(text, work, allow_outside=True)
    apply_patch(patch("*** Update File: ../outside/secret.txt", "@@", "-keep", "+changed"), work, allow_outside=True)
    assert (outside / "secret.txt").read_text() == "changed\n"


def test_absolute_path_inside_the_workspace_is_fine(layout: tuple[Path, Path]) -> None:
    work, _ = layout
    apply_patch(patch(f"*** Update File: {work}/inside.txt", "@@", "-in", "+IN"), work)
    assert (work / "inside.txt").read_text() == "IN\n"


def test_symlinks_inside_the_workspace_are_written_through_and_deleted_as_links(layout: tuple[Path, Path]) -> None:
    work, _ = layout
    (work / "alias.txt").symlink_to("inside.txt")
    (work / "dead").symlink_to(work / "missing")
    apply_patch(patch("*** Update File: alias.txt", "@@", "-in", "+via link", "*** Delete File: dead"), work)
    assert (work / "alias.txt").is_symlink()
    assert (work / "inside.txt").read_text() == "via link\n"
    assert not os.path.lexists(work / "dead")


def test_a_file_edited_through_a_link_and_its_own_name_sees_both_edits(layout: tuple[Path, Path]) -> None:
    """Two names of one file share one state: the second hunk sees the first, nothing is lost silently."""
    work, _ = layout
    (work / "alias.txt").symlink_to("inside.txt")
    apply_patch(patch("*** Update File: alias.txt", "@@", "-in", "+one", "*** Update File: inside.txt", "@@",
                      "-one", "+two"), work)  # fmt: skip
    assert (work / "inside.txt").read_text() == "two\n"
    stale = patch(
        "*** Update File: alias.txt", "@@", "-two", "+three", "*** Update File: inside.txt", "@@", "-two", "+4"
    )
    with pytest.raises(PatchError, match=r"Failed to find expected lines in .*inside\.txt"):
        apply_patch(stale, work)
    assert (work / "inside.txt").read_text() == "two\n"


def test_paths_touched_lists_every_target_without_verifying(layout: tuple[Path, Path]) -> None:
    work, outside = layout
    text = patch(
        "*** Add File: a/b.txt",
        "+x",
        "*** Update File: missing.txt",
        "*** Move to: ../outside/m.txt",
        "@@",
        "-x",
        "+y",
        f"*** Delete File: {outside}/secret.txt",
    )
    assert paths_touched(text, work) == [
        work / "a" / "b.txt",
        work / "missing.txt",
        outside / "m.txt",
        outside / "secret.txt",
    ]


def test_last_hunk_failing_changes_no_file(layout: tuple[Path, Path]) -> None:
    work, _ = layout
    (work / "two.txt").write_text("a\nb\n")
    (work / "three.txt").write_text("bye\n")
    before = tree(work)
    text = patch(
        "*** Add File: new/one.txt",
        "+1",
        "*** Update File: inside.txt",
        "*** Move to: moved.txt",
        "@@",
        "-in",
        "+out",
        "*** Delete File: three.txt",
        "*** Update File: two.txt",
        "@@",
        "-a",
        "+A",
        "@@",
        "-not there",
        "+z",
    )
    with pytest.raises(PatchError, match=r"Failed to find expected lines in .*two\.txt:\nnot there\n\(chunk 2 of 2"):
        apply_patch(text, work)
    assert tree(work) == before


def test_a_failed_write_rolls_back_the_earlier_ones(layout: tuple[Path, Path]) -> None:
    """The name is too long for the file system: verification cannot know, the write fails."""
    work, _ = layout
    (work / "keep.txt").write_text("old\n")
    before = tree(work)
    text = patch(
        "*** Update File: keep.txt",
        "@@",
        "-old",
        "+new",
        "*** Delete File: inside.txt",
        "*** Add File: fresh/dir/ok.txt",
        "+ok",
        "*** Add File: fresh/" + "n" * 300,
        "+boom",
    )
    with pytest.raises(PatchError) as caught:
        apply_patch(text, work)
    message = str(caught.value)
    assert message.startswith(f"Failed to write file {work}/fresh/nnn")
    assert "File name too long" in message and "rolled back, so no files were modified" in message
    assert tree(work) == before
    assert [p.name for p in work.rglob("*") if p.name.endswith((".tmp", ".orig"))] == []


def test_a_rollback_puts_back_the_same_files_links_and_modes(layout: tuple[Path, Path]) -> None:
    """Kept entries are renamed back: a deleted symlink is a symlink again, a replaced file its old inode."""
    work, _ = layout
    (work / "alias").symlink_to("inside.txt")
    (work / "script.sh").write_text("echo 1\n")
    (work / "script.sh").chmod(0o751)
    inode = (work / "script.sh").stat().st_ino
    text = patch(
        "*** Delete File: alias",
        "*** Add File: script.sh",
        "+echo 2",
        "*** Add File: " + "n" * 300,
        "+boom",
    )
    with pytest.raises(PatchError, match="rolled back"):
        apply_patch(text, work)
    assert os.readlink(work / "alias") == "inside.txt"
    info = (work / "script.sh").stat()
    assert (info.st_ino, info.st_mode & 0o777, (work / "script.sh").read_text()) == (inode, 0o751, "echo 1\n")
    assert sorted(p.name for p in work.iterdir()) == ["alias", "inside.txt", "script.sh"]


def test_an_add_replaces_a_file_too_big_to_read(layout: tuple[Path, Path]) -> None:
    """Updates read at most 10 MiB; an Add does not need the old text and keeps the old mode."""
    work, _ = layout
    big = work / "big.log"
    with big.open("wb") as f:
        f.truncate(11 * 1024 * 1024)
    big.chmod(0o640)
    [change] = preview_patch(patch("*** Add File: big.log", "+small"), work)
    assert change.old_text is None
    apply_patch(patch("*** Add File: big.log", "+small"), work)
    assert big.read_text() == "small\n" and big.stat().st_mode & 0o777 == 0o640
