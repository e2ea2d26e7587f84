"""apply_patch: parsing, fuzzy matching, @@ seeking, End of File, line endings, error texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_py.tools.apply_patch import PatchError, apply_patch, parse_patch, preview_patch
from codex_py.tools.apply_patch.matcher import LineMatcher
from codex_py.tools.apply_patch.parser import AddFile, DeleteFile, UpdateFile


def patch(*lines: str) -> str:
    return "\n".join(["*** Begin Patch", *lines, "*** End Patch"]) + "\n"


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


# --- parsing -------------------------------------------------------------------------------


def test_parse_all_hunk_kinds() -> None:
    parsed = parse_patch(
        patch(
            "*** Add File: a.txt",
            "+one",
            "+",
            "*** Delete File: b.txt",
            "*** Update File: c.py",
            "*** Move to: d.py",
            "@@ class A:",
            "@@     def f(self):",
            "-        return 1",
            "+        return 2",
            "@@",
            " tail",
            "+more",
            "*** End of File",
        )
    )
    add, delete, update = parsed.hunks
    assert isinstance(add, AddFile) and add.path == "a.txt" and add.contents == "one\n\n"
    assert isinstance(delete, DeleteFile) and delete.path == "b.txt"
    assert isinstance(update, UpdateFile) and (update.path, update.move_to) == ("c.py", "d.py")
    first, second = update.chunks
    assert first.contexts == ["class A:", "    def f(self):"]
    assert (first.old_lines, first.new_lines, first.end_of_file) == (["        return 1"], ["        return 2"], False)
    assert (second.contexts, second.old_lines, second.new_lines) == ([], ["tail"], ["tail", "more"])
    assert second.end_of_file


def test_first_chunk_may_leave_out_the_header_and_blank_lines_are_context() -> None:
    (update,) = parse_patch(patch("*** Update File: f", " import os", "", "+import sys")).hunks
    assert isinstance(update, UpdateFile)
    assert update.chunks[0].old_lines == ["import os", ""]
    assert update.chunks[0].new_lines == ["import os", "", "import sys"]


def test_heredoc_wrapped_patch_is_unwrapped() -> None:
    for opener in ("<<EOF", "<<'EOF'", '<<"EOF"'):
        parsed = parse_patch(f"{opener}\n*** Begin Patch\n*** Delete File: x\n*** End Patch\nEOF\n")
        assert [type(h) for h in parsed.hunks] == [DeleteFile]


def test_crlf_patch_text_parses() -> None:
    (add,) = parse_patch("*** Begin Patch\r\n*** Add File: a\r\n+x\r\n*** End Patch\r\n").hunks
    assert isinstance(add, AddFile) and add.contents == "x\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Invalid patch: The first line of the patch must be '*** Begin Patch'"),
        ("hello", "Invalid patch: The first line of the patch must be '*** Begin Patch'"),
        ("*** Begin Patch\n*** Add File: a\n+x", "Invalid patch: The last line of the patch must be '*** End Patch'"),
        (
            patch("*** Update File: f", "@@", "-a", "@@"),
            "Invalid patch hunk on line 6: Update hunk does not contain any lines",
        ),
        (
            patch("*** Update File: f", "@@", "-a", "oops"),
            "Invalid patch hunk on line 5: Expected update hunk to start with a @@ context marker, got: 'oops'",
        ),
        (
            patch("*** Update File: f", "@@", "oops"),
            "Invalid patch hunk on line 4: Unexpected line found in update hunk: 'oops'. Every line should start "
            "with ' ' (context line), '+' (added line), or '-' (removed line)",
        ),
        (
            patch("*** Add File: a", "+x", "*** Frobnicate File: b"),
            "Invalid patch hunk on line 4: '*** Frobnicate File: b' is not a valid hunk header.",
        ),
    ],
)
def test_parse_errors_match_codex(text: str, message: str) -> None:
    with pytest.raises(PatchError) as caught:
        parse_patch(text)
    assert str(caught.value).startswith(message)


# --- fuzzy matching ------------------------------------------------------------------------


def test_matcher_passes_in_order() -> None:
    matcher = LineMatcher(["a  ", "  b", "  c  ", "x \u2014 \u201cy\u201d\u00a0z \u2019q\u2019", "a"])
    assert matcher.seek(["a"], 0) == 4  # exact beats the trailing-whitespace match at 0
    assert matcher.seek(["a"], 0, eof=True) == 4
    assert matcher.seek(["a  ", "  b"], 0) == 0
    assert matcher.seek(["a", "  b"], 0) == 0  # trailing whitespace ignored
    assert matcher.seek(["b", "c"], 0) == 1  # leading and trailing whitespace ignored
    assert matcher.seek(["x - \"y\" z 'q'"], 0) == 3  # Unicode punctuation read as ASCII
    assert matcher.seek(["b"], 2) is None  # searches only from the cursor
    assert matcher.seek([], 3) == 3
    assert matcher.seek(["a"] * 9, 0) is None


def test_update_with_trailing_whitespace_difference(tmp_path: Path) -> None:
    write(tmp_path, "f.txt", "keep\nvalue = 1   \nend\n")
    apply_patch(patch("*** Update File: f.txt", "@@", "-value = 1", "+value = 2"), tmp_path)
    assert (tmp_path / "f.txt").read_text() == "keep\nvalue = 2\nend\n"


def test_update_with_indentation_difference(tmp_path: Path) -> None:
    write(tmp_path, "f.py", "def f():\n\treturn 1\n")
    apply_patch(patch("*** Update File: f.py", "@@", " def f():", "-    return 1", "+\treturn 2"), tmp_path)
    assert (tmp_path / "f.py").read_text() == "def f():\n\treturn 2\n"


def test_update_with_unicode_punctuation_in_file(tmp_path: Path) -> None:
    write(tmp_path, "doc.md", "Title \u2014 \u201cquoted\u201d\u00a0it\u2019s\nnext\n")
    apply_patch(patch("*** Update File: doc.md", "@@", '-Title - "quoted" it\'s', "+Title: plain"), tmp_path)
    assert (tmp_path / "doc.md").read_text() == "Title: plain\nnext\n"


# --- @@ seeking, End of File, multiple chunks ----------------------------------------------


def test_context_header_seeks_before_matching(tmp_path: Path) -> None:
    write(tmp_path, "m.py", "def a():\n    return 0\n\ndef b():\n    return 0\n")
    apply_patch(patch("*** Update File: m.py", "@@ def b():", "-    return 0", "+    return 2"), tmp_path)
    assert (tmp_path / "m.py").read_text() == "def a():\n    return 0\n\ndef b():\n    return 2\n"


def test_nested_context_headers(tmp_path: Path) -> None:
    text = "class A:\n    def f(self):\n        pass\nclass B:\n    def f(self):\n        pass\n"
    write(tmp_path, "m.py", text)
    apply_patch(
        patch("*** Update File: m.py", "@@ class B:", "@@     def f(self):", "-        pass", "+        return 1"),
        tmp_path,
    )
    assert (tmp_path / "m.py").read_text() == text[: text.rindex("pass")] + "return 1\n"


def test_missing_context_header_names_file_and_chunk(tmp_path: Path) -> None:
    target = write(tmp_path, "m.py", "x = 1\n")
    with pytest.raises(PatchError) as caught:
        apply_patch(patch("*** Update File: m.py", "@@ def nowhere():", "-x = 1", "+x = 2"), tmp_path)
    assert (
        str(caught.value)
        == f"Failed to find context 'def nowhere():' in {target} (chunk 1 of 1 for m.py, patch line 3)"
    )


def test_end_of_file_anchors_at_the_end(tmp_path: Path) -> None:
    write(tmp_path, "f.txt", "x\nend\nx\nend\n")
    apply_patch(patch("*** Update File: f.txt", "@@", " x", "-end", "+END", "*** End of File"), tmp_path)
    assert (tmp_path / "f.txt").read_text() == "x\nend\nx\nEND\n"


def test_end_of_file_refuses_a_match_elsewhere(tmp_path: Path) -> None:
    write(tmp_path, "f.txt", "a\nb\nc\n")
    with pytest.raises(PatchError) as caught:
        apply_patch(patch("*** Update File: f.txt", "@@", "-a", "+A", "*** End of File"), tmp_path)
    assert "Failed to find expected lines at the end of the file in" in str(caught.value)
    assert (tmp_path / "f.txt").read_text() == "a\nb\nc\n"


def test_chunks_apply_in_order_with_a_moving_cursor(tmp_path: Path) -> None:
    write(tmp_path, "f.txt", "x\ny\nx\ny\n")
    apply_patch(patch("*** Update File: f.txt", "@@", "-x", "+1", "@@", "-x", "+2"), tmp_path)
    assert (tmp_path / "f.txt").read_text() == "1\ny\n2\ny\n"


def test_missing_lines_error_lists_the_lines_and_the_chunk(tmp_path: Path) -> None:
    target = write(tmp_path, "f.txt", "a\nb\n")
    with pytest.raises(PatchError) as caught:
        apply_patch(patch("*** Update File: f.txt", "@@", "-a", "+A", "@@", " b", "-gone", "-also gone"), tmp_path)
    assert str(caught.value) == (
        f"Failed to find expected lines in {target}:\nb\ngone\nalso gone\n(chunk 2 of 2 for f.txt, patch line 6)"
    )
    assert target.read_text() == "a\nb\n"


def test_trailing_blank_context_line_may_stand_for_the_final_newline(tmp_path: Path) -> None:
    write(tmp_path, "f.txt", "a\nb")
    apply_patch(patch("*** Update File: f.txt", "@@", "-b", "+c", ""), tmp_path)
    assert (tmp_path / "f.txt").read_text() == "a\nc\n"


# --- line endings, encodings, modes --------------------------------------------------------


def test_crlf_file_keeps_crlf(tmp_path: Path) -> None:
    target = write(tmp_path, "w.txt", b"one\r\ntwo\r\nthree\r\n")
    apply_patch(patch("*** Update File: w.txt", "@@", " one", "-two", "+2", "+2b"), tmp_path)
    assert target.read_bytes() == b"one\r\n2\r\n2b\r\nthree\r\n"


def test_bom_is_kept(tmp_path: Path) -> None:
    target = write(tmp_path, "b.txt", b"\xef\xbb\xbffirst\nsecond\n")
    apply_patch(patch("*** Update File: b.txt", "@@", "-first", "+1st"), tmp_path)
    assert target.read_bytes() == b"\xef\xbb\xbf1st\nsecond\n"


def test_update_of_non_utf8_file_is_refused(tmp_path: Path) -> None:
    target = write(tmp_path, "bin.dat", b"\xff\xfe\x00binary\n")
    with pytest.raises(PatchError) as caught:
        apply_patch(patch("*** Update File: bin.dat", "@@", "-x", "+y"), tmp_path)
    assert str(caught.value) == f"Failed to read file to update {target}: stream did not contain valid UTF-8"


def test_update_keeps_the_file_mode(tmp_path: Path) -> None:
    script = write(tmp_path, "run.sh", "#!/bin/sh\necho hi\n")
    script.chmod(0o751)
    apply_patch(patch("*** Update File: run.sh", "*** Move to: bin/run.sh", "@@", "-echo hi", "+echo bye"), tmp_path)
    moved = tmp_path / "bin" / "run.sh"
    assert moved.stat().st_mode & 0o777 == 0o751
    assert not script.exists()


# --- files: add, move, delete -------------------------------------------------------------


def test_add_empty_file_and_nested_directories(tmp_path: Path) -> None:
    applied = apply_patch(patch("*** Add File: deep/er/empty.txt", "*** Add File: deep/x.txt", "+x"), tmp_path)
    assert (tmp_path / "deep" / "er" / "empty.txt").read_bytes() == b""
    assert (tmp_path / "deep" / "x.txt").read_bytes() == b"x\n"
    assert applied.summary == "Success. Updated the following files:\nA deep/er/empty.txt\nA deep/x.txt"


def test_move_onto_itself_updates_in_place(tmp_path: Path) -> None:
    target = write(tmp_path, "same.txt", "old\n")
    applied = apply_patch(patch("*** Update File: same.txt", "*** Move to: ./same.txt", "@@", "-old", "+new"), tmp_path)
    assert target.read_text() == "new\n"
    (change,) = applied.changes
    assert change.move_to is None and change.kind == "update"


def test_hunks_see_earlier_hunks_of_the_same_patch(tmp_path: Path) -> None:
    apply_patch(patch("*** Add File: n.txt", "+a", "*** Update File: n.txt", "@@", "-a", "+b"), tmp_path)
    assert (tmp_path / "n.txt").read_text() == "b\n"


def test_add_onto_directory_and_under_a_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    write(tmp_path, "f", "x\n")
    with pytest.raises(PatchError, match=r"Failed to write file .*/d: Is a directory"):
        apply_patch(patch("*** Add File: d", "+x"), tmp_path)
    with pytest.raises(PatchError, match=r"Failed to write file .*/f/inner: .*/f is not a directory"):
        apply_patch(patch("*** Add File: f/inner", "+x"), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "f"]


def test_preview_writes_nothing_and_describes_changes(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "one\ntwo\n")
    write(tmp_path, "gone.txt", "bye\n")
    text = patch(
        "*** Update File: a.txt",
        "*** Move to: b.txt",
        "@@",
        "-two",
        "+2",
        "*** Delete File: gone.txt",
        "*** Add File: new.txt",
        "+hi",
    )
    changes = preview_patch(text, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "gone.txt"]
    update, delete, add = changes
    assert (update.kind, update.path, update.move_to) == ("update", tmp_path / "a.txt", tmp_path / "b.txt")
    assert (update.old_text, update.new_text) == ("one\ntwo\n", "one\n2\n")
    assert update.diff.splitlines()[:2] == ["--- a/a.txt", "+++ b/b.txt"]
    assert "-two" in update.diff and "+2" in update.diff
    assert (delete.kind, delete.old_text, delete.new_text) == ("delete", "bye\n", None)
    assert delete.diff.splitlines()[1] == "+++ /dev/null"
    assert (add.kind, add.old_text, add.new_text, add.rel(tmp_path)) == ("add", None, "hi\n", "new.txt")
    assert add.diff.splitlines()[:2] == ["--- /dev/null", "+++ b/new.txt"]
