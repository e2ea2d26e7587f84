"""``codex-py review`` end to end: a real git repository, a real subprocess, the loopback fake model.

The session's own provider is the fake on the Responses wire (the vendor that "wrote the code"); the review
runs with ``--provider anthropic`` (the built-in Anthropic provider pointed at the same fake), so its
requests go to the Messages wire.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_py.sandbox.landlock import landlock_abi
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}
ORIGINAL = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
CHANGED = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a  # reviewed change\n"


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on ``main`` with one commit (calc.py)."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "calc.py").write_text(ORIGINAL)
    commit_all(path, "Add calc")
    return path


@pytest.fixture
def fake(fake_provider: FakeProvider, isolated_home: Path) -> FakeProvider:
    """The session's provider is the fake (Responses); the built-in ``anthropic`` provider points at it too."""
    (isolated_home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n'
        f'[model_providers.fake]\nbase_url = "{fake_provider.base_url}"\nwire_api = "responses"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n"
        f'[model_providers.anthropic]\nbase_url = "{fake_provider.base_url}"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n"
    )
    return fake_provider


def review(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "OPENAI_API_KEY": "sk-test-openai", "ANTHROPIC_API_KEY": "sk-ant-test-key"}
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "review", *args],
        cwd=repo,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def findings_json(path: Path) -> str:
    return json.dumps(
        {
            "findings": [
                {
                    "title": "[P2] Keep the docstring honest",
                    "body": "Minor.",
                    "confidence_score": 0.4,
                    "priority": 2,
                    "code_location": {"absolute_file_path": str(path), "line_range": {"start": 1, "end": 1}},
                },
                {
                    "title": "[P1] Swap the operands back in sub",
                    "body": "`sub(5, 3)` now returns -2.\nCallers expect 2.",
                    "confidence_score": 0.9,
                    "priority": 1,
                    "code_location": {"absolute_file_path": str(path), "line_range": {"start": 5, "end": 6}},
                },
            ],
            "overall_correctness": "patch is incorrect",
            "overall_explanation": "sub() returns the wrong sign.",
            "overall_confidence_score": 0.8,
        }
    )


def system_text(body: dict[str, Any]) -> str:
    system = body.get("system", "")
    return system if isinstance(system, str) else "".join(block.get("text", "") for block in system)


def first_user_text(body: dict[str, Any]) -> str:
    content = body["messages"][0]["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def test_uncommitted_review_on_another_vendor(fake: FakeProvider, repo: Path) -> None:
    (repo / "calc.py").write_text(CHANGED)
    (repo / "notes.txt").write_text("an untracked note\n")
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["cat", "calc.py"]}))]),
        Reply(text=findings_json(repo / "calc.py")),
    )
    out = review(repo, "--uncommitted", "--provider", "anthropic")
    assert out.returncode == 0, out.stderr
    first, second = fake.requests
    assert first.path.endswith("/v1/messages") and second.path.endswith("/v1/messages")
    assert first.headers["x-api-key"] == "sk-ant-test-key"
    body = first.json
    assert body["model"] == "claude-sonnet-4-5"  # the provider's default model, not the session's gpt-fake
    prompt = first_user_text(body)
    assert "-    return a - b" in prompt and "+    return b - a  # reviewed change" in prompt  # the diff
    assert "+an untracked note" in prompt  # untracked files too
    system = system_text(body)
    assert "# Code review" in system and '"overall_correctness"' in system and "[P0]" in system  # the rubric
    assert "read-only sandbox" in system
    assert [tool["name"] for tool in body["tools"]] == ["shell"]  # nothing that edits is offered
    assert "sandbox_permissions" not in json.dumps(body["tools"])
    assert "return b - a" in json.dumps(second.json["messages"])  # the command ran; its output went back

    calc = repo / "calc.py"
    assert out.stdout == (
        "sub() returns the wrong sign.\n\n"
        "Full review comments:\n\n"
        f"- [P1] Swap the operands back in sub — {calc}:5-6\n"
        "  `sub(5, 3)` now returns -2.\n"
        "  Callers expect 2.\n\n"
        f"- [P2] Keep the docstring honest — {calc}:1-1\n"
        "  Minor.\n"
    )
    assert "reviewing the uncommitted changes with anthropic · claude-sonnet-4-5" in out.stderr
    assert "$ cat calc.py" in out.stderr


def test_the_reviewer_cannot_write(fake: FakeProvider, repo: Path) -> None:
    (repo / "calc.py").write_text(CHANGED)
    patch = "*** Begin Patch\n*** Add File: planted.txt\n+written by the reviewer\n*** End Patch\n"
    script = "echo pwned > planted-by-shell.txt"
    fake.script(
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}))]),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["bash", "-c", script]}))]),
        Reply(text=findings_json(repo / "calc.py")),
    )
    out = review(repo, "--uncommitted", "--provider", "anthropic")
    assert out.returncode == 0, out.stderr
    assert not (repo / "planted.txt").exists()
    results = json.dumps(fake.requests[2].json["messages"])
    assert "written by the reviewer" not in (repo / "calc.py").read_text()
    if landlock_abi() == 0:  # without Landlock, approval "never" declines the command instead
        assert "declined" in results or "approval" in results
    assert not (repo / "planted-by-shell.txt").exists()


def test_base_and_commit_pick_their_diff(fake: FakeProvider, repo: Path) -> None:
    first_sha = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "calc.py").write_text(CHANGED)
    feature_sha = commit_all(repo, "Change sub")
    git(repo, "checkout", "-q", "main")
    (repo / "main_only.txt").write_text("a change only on main\n")
    commit_all(repo, "Main moves on")
    git(repo, "checkout", "-q", "feature")

    fake.script(Reply(text=findings_json(repo / "calc.py")))
    out = review(repo, "--base", "main", "--provider", "anthropic")
    assert out.returncode == 0, out.stderr
    prompt = first_user_text(fake.last_request.json)
    assert "against the base branch 'main'" in prompt and f"merge base {first_sha}" in prompt
    assert "+    return b - a  # reviewed change" in prompt
    assert "a change only on main" not in prompt  # from the merge base, not main's tip

    fake.script(Reply(text=findings_json(repo / "calc.py")))
    out = review(repo, "--commit", first_sha, "--provider", "anthropic")
    assert out.returncode == 0, out.stderr
    prompt = first_user_text(fake.last_request.json)
    assert f'commit {first_sha} ("Add calc")' in prompt
    assert "+def add(a, b):" in prompt and "reviewed change" not in prompt
    assert f"reviewing the commit {first_sha[:7]}: Add calc" in out.stderr

    fake.script(Reply(text=findings_json(repo / "calc.py")))
    out = review(repo, "--commit", "HEAD", "look at the sign of sub", "--provider", "anthropic")
    assert out.returncode == 0, out.stderr
    prompt = first_user_text(fake.last_request.json)
    assert f"commit {feature_sha}" in prompt and "The user also asks: look at the sign of sub" in prompt


def test_json_emits_the_review_item(fake: FakeProvider, repo: Path) -> None:
    (repo / "calc.py").write_text(CHANGED)
    fake.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["git", "status", "--short"]}))]),
        Reply(text="Here is my review:\n```json\n" + findings_json(repo / "calc.py") + "\n```"),
    )
    out = review(repo, "--uncommitted", "--json", "--provider", "anthropic")
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["type"] for e in events] == [
        "thread.started",
        "turn.started",
        "item.started",
        "item.completed",
        "item.completed",
        "turn.completed",
    ]
    assert events[3]["item"]["type"] == "command_execution" and events[3]["item"]["command"] == "git status --short"
    message = events[4]["item"]
    assert message["type"] == "agent_message"
    assert message["text"].startswith("sub() returns the wrong sign.\n\nFull review comments:")
    review_json = message["review"]
    assert review_json["overall_correctness"] == "patch is incorrect"
    assert [f["priority"] for f in review_json["findings"]] == [1, 2]  # most urgent first
    assert review_json["findings"][0]["code_location"] == {
        "absolute_file_path": str(repo / "calc.py"),
        "line_range": {"start": 5, "end": 6},
    }


def test_usage_errors(fake: FakeProvider, repo: Path, tmp_path: Path) -> None:
    out = review(repo)
    assert out.returncode == 2
    assert "Specify --uncommitted, --base, --commit, or provide custom review instructions" in out.stderr
    out = review(repo, "--uncommitted")
    assert out.returncode == 1 and "nothing to review: no uncommitted changes" in out.stderr
    out = review(repo, "--base", "no-such-branch")
    assert out.returncode == 2 and "unknown branch 'no-such-branch'" in out.stderr
    out = review(repo, "--uncommitted", "--commit", "HEAD")
    assert out.returncode == 2 and "cannot be used together" in out.stderr
    outside = tmp_path / "plain"
    outside.mkdir()
    out = review(outside, "--uncommitted")
    assert out.returncode == 2 and "not a git repository" in out.stderr
    out = review(repo, "--uncommitted", "--provider", "nope")
    assert out.returncode == 2 and "unknown provider 'nope'" in out.stderr
    assert "Traceback" not in out.stderr
    assert fake.requests == []
