"""apply_patch through the shell (argv routing) and the CLI; the model-facing texts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from codex_py.tools.apply_patch import (
    APPLY_PATCH_INSTRUCTIONS,
    APPLY_PATCH_LARK_GRAMMAR,
    apply_patch,
    extract_patch_from_argv,
    parse_patch,
)

PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"


@pytest.mark.parametrize("program", ["apply_patch", "applypatch"])
def test_direct_argv(program: str) -> None:
    assert extract_patch_from_argv([program, PATCH]) == (PATCH, None)


@pytest.mark.parametrize("shell", ["bash", "sh", "zsh", "/bin/bash"])
@pytest.mark.parametrize("flag", ["-lc", "-c"])
@pytest.mark.parametrize("opener", ["<<'EOF'", '<<"EOF"', "<<EOF", "<< 'PATCH'"])
def test_heredoc_through_a_shell(shell: str, flag: str, opener: str) -> None:
    delim = re.sub(r"[^A-Z]", "", opener)
    script = f"apply_patch {opener}\n{PATCH}{delim}\n"
    assert extract_patch_from_argv([shell, flag, script]) == (PATCH, None)


def test_heredoc_with_cd_prefix() -> None:
    for word, expected in (("sub/dir", "sub/dir"), ("'with space'", "with space"), ('"/abs/p"', "/abs/p")):
        script = f"cd {word} && apply_patch <<'EOF'\n{PATCH}EOF"
        assert extract_patch_from_argv(["bash", "-lc", script]) == (PATCH, Path(expected))


def test_heredoc_with_tab_stripping() -> None:
    script = "apply_patch <<-EOF\n\t*** Begin Patch\n\t*** Delete File: x\n\t*** End Patch\n\tEOF\n"
    assert extract_patch_from_argv(["bash", "-c", script]) == (
        "*** Begin Patch\n*** Delete File: x\n*** End Patch\n",
        None,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["apply_patch"],
        ["apply_patch", PATCH, "extra"],
        ["ls", "-la"],
        ["python", "-c", f"apply_patch <<'EOF'\n{PATCH}EOF"],
        ["bash", "-lc", f"apply_patch <<'EOF'\n{PATCH}EOF\nrm -rf /tmp/x"],  # more commands after the heredoc
        ["bash", "-lc", f"echo hi; apply_patch <<'EOF'\n{PATCH}EOF"],
        ["bash", "-lc", f"apply_patch <<'EOF'\n{PATCH}"],  # unterminated heredoc
        ["bash", "-lc", f"cd $(evil) && apply_patch <<'EOF'\n{PATCH}EOF"],
        ["bash", "-x", f"apply_patch <<'EOF'\n{PATCH}EOF"],
    ],
)
def test_other_commands_are_left_to_the_shell(argv: list[str]) -> None:
    assert extract_patch_from_argv(argv) is None


def test_routed_patch_applies_in_the_cd_directory(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    extracted = extract_patch_from_argv(["bash", "-lc", f"cd pkg && apply_patch <<'EOF'\n{PATCH}EOF\n"])
    assert extracted is not None
    text, cd = extracted
    apply_patch(text, tmp_path / cd if cd else tmp_path)
    assert (tmp_path / "pkg" / "hello.txt").read_text() == "hi\n"


def run_cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "apply-patch", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_reads_stdin(tmp_path: Path) -> None:
    for args in ((), ("-",)):
        done = run_cli(tmp_path, *args, stdin=PATCH)
        assert (done.returncode, done.stdout, done.stderr) == (
            0,
            "Success. Updated the following files:\nA hello.txt\n",
            "",
        )
    assert (tmp_path / "hello.txt").read_text() == "hi\n"


def test_cli_failure_is_one_error_on_stderr_and_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    text = "*** Begin Patch\n*** Add File: b.txt\n+b\n*** Update File: a.txt\n@@\n-zzz\n+y\n*** End Patch\n"
    done = run_cli(tmp_path, text)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"Failed to find expected lines in {tmp_path}/a.txt:\nzzz\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_cli_bad_patch(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "not a patch")
    assert (done.returncode, done.stderr) == (
        1,
        "Invalid patch: The first line of the patch must be '*** Begin Patch'\n",
    )


def test_instructions_example_is_a_valid_patch() -> None:
    example = APPLY_PATCH_INSTRUCTIONS[APPLY_PATCH_INSTRUCTIONS.rindex("*** Begin Patch") :]
    kinds = [type(h).__name__ for h in parse_patch(example).hunks]
    assert kinds == ["AddFile", "UpdateFile", "DeleteFile"]


def test_grammar_names_every_marker() -> None:
    for marker in ("*** Begin Patch", "*** End Patch", "*** Add File: ", "*** Delete File: ", "*** Update File: "):
        assert f'"{marker}"' in APPLY_PATCH_LARK_GRAMMAR
    for marker in ("*** Move to: ", "*** End of File", "@@"):
        assert f'"{marker}"' in APPLY_PATCH_LARK_GRAMMAR
    assert APPLY_PATCH_LARK_GRAMMAR.lstrip().splitlines()[1].startswith("start:")


def test_grammar_accepts_valid_patches_and_rejects_invalid_ones() -> None:
    """Runs where the optional ``lark`` package is installed (it is not a dependency)."""
    lark = pytest.importorskip("lark")
    parser = lark.Lark(APPLY_PATCH_LARK_GRAMMAR, parser="earley")
    parser.parse(APPLY_PATCH_INSTRUCTIONS[APPLY_PATCH_INSTRUCTIONS.rindex("*** Begin Patch") :])
    parser.parse(
        "*** Begin Patch\n*** Update File: a\n@@ class A\n@@ def f\n-x\n+y\n@@\n z\n*** End of File\n*** End Patch"
    )
    parser.parse("*** Begin Patch\n*** Add File: empty.txt\n*** End Patch\n")
    for bad in ("*** Begin Patch\n*** End Patch\n", "*** Begin Patch\n*** Update File: a\n*** End Patch\n"):
        with pytest.raises(lark.exceptions.LarkError):
            parser.parse(bad)
