"""Every Codex apply_patch conformance scenario, through the function and through the CLI.

Each scenario runs in its own real temp dir; the whole resulting tree (directories and exact
file bytes) must equal ``expected/``. Scenario 015 is the documented divergence: codex-py is
all or nothing, so the failed patch leaves the tree as it was (see docs/apply_patch.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codex_py.tools.apply_patch import PatchError, apply_patch

ALL_OR_NOTHING_DIVERGENCE = "015_failure_after_partial_success_leaves_changes"

# Outcome per scenario (upstream's tool tests): None = success, else the start of the error.
FAILURES = {
    "005_rejects_empty_patch": "No files were modified.",
    "006_rejects_missing_context": "Failed to find expected lines in {cwd}/modify.txt:\nmissing\n",
    "007_rejects_missing_file_delete": "Failed to delete file {cwd}/missing.txt",
    "008_rejects_empty_update_hunk": "Invalid patch hunk on line 2: Update file hunk for path 'foo.txt' is empty",
    "009_requires_existing_file_for_update": (
        "Failed to read file to update {cwd}/missing.txt: No such file or directory (os error 2)"
    ),
    "012_delete_directory_fails": "Failed to delete file {cwd}/dir",
    "013_rejects_invalid_hunk_header": (
        "Invalid patch hunk on line 2: '*** Frobnicate File: foo' is not a valid hunk header. Valid hunk headers: "
        "'*** Add File: {{path}}', '*** Delete File: {{path}}', '*** Update File: {{path}}'"
    ),
    ALL_OR_NOTHING_DIVERGENCE: "Failed to read file to update {cwd}/missing.txt",
}


def scenario_names() -> list[str]:
    from tests.conftest import CONFORMANCE

    root = CONFORMANCE / "apply_patch" / "scenarios"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else ["(absent)"]


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root``: ``None`` for a directory, else the file's bytes."""
    tree: dict[str, bytes | None] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            tree[os.path.relpath(os.path.join(folder, name), root)] = None
        for name in files:
            tree[os.path.relpath(os.path.join(folder, name), root)] = Path(folder, name).read_bytes()
    return tree


def prepare(scenario: Path, work: Path) -> str:
    work.mkdir()
    if (scenario / "input").is_dir():
        shutil.copytree(scenario / "input", work, dirs_exist_ok=True)
    return (scenario / "patch.txt").read_bytes().decode("utf-8")


def expected_tree(scenario: Path, work_before: dict[str, bytes | None]) -> dict[str, bytes | None]:
    if scenario.name == ALL_OR_NOTHING_DIVERGENCE:
        return work_before  # all or nothing: the Add before the failing Update is not kept
    return snapshot(scenario / "expected")


@pytest.fixture
def scenarios(conformance_dir: Path) -> Path:
    root = conformance_dir / "apply_patch" / "scenarios"
    if not root.is_dir():
        pytest.skip(f"apply_patch scenarios not found under {conformance_dir}")
    return root


def test_scenarios_are_all_found(scenarios: Path) -> None:
    found = [p.name for p in scenarios.iterdir() if p.is_dir()]
    assert len(found) == 23
    assert set(FAILURES) <= set(found)


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_through_function(name: str, scenarios: Path, tmp_path: Path) -> None:
    scenario = scenarios / name
    work = tmp_path / "work"
    patch = prepare(scenario, work)
    before = snapshot(work)
    failure = FAILURES.get(name)
    if failure is None:
        applied = apply_patch(patch, work)
        assert applied.summary.startswith("Success. Updated the following files:\n")
    else:
        with pytest.raises(PatchError) as caught:
            apply_patch(patch, work)
        assert str(caught.value).startswith(failure.format(cwd=work))
    assert snapshot(work) == expected_tree(scenario, before)


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_through_cli(name: str, scenarios: Path, tmp_path: Path) -> None:
    scenario = scenarios / name
    work = tmp_path / "work"
    patch = prepare(scenario, work)
    before = snapshot(work)
    done = subprocess.run(
        [sys.executable, "-m", "codex_py", "apply-patch", patch], cwd=work, capture_output=True, text=True, timeout=60
    )
    failure = FAILURES.get(name)
    if failure is None:
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Success. Updated the following files:\n")
        assert done.stderr == ""
    else:
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr.startswith(failure.format(cwd=work))
    assert snapshot(work) == expected_tree(scenario, before)


def test_expected_summaries(scenarios: Path, tmp_path: Path) -> None:
    """Codex's summary lines: A, then M, then D; a move shows its destination."""
    cases = {
        "001_add_file": ["A bar.md"],
        "002_multiple_operations": ["A nested/new.txt", "M modify.txt", "D delete.txt"],
        "004_move_to_new_directory": ["M renamed/dir/name.txt"],
        "020_delete_file_success": ["D obsolete.txt"],
    }
    for name, lines in cases.items():
        work = tmp_path / name
        patch = prepare(scenarios / name, work)
        summary = apply_patch(patch, work).summary
        assert summary.splitlines() == ["Success. Updated the following files:", *lines]
