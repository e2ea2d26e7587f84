"""Approval decisions: the known-safe list, the command and patch matrices, and re-runs after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_py.sandbox.approvals import (
    after_failure,
    assess_command,
    assess_patch,
    escalation_refusal,
    is_known_safe_command,
)
from codex_py.sandbox.policy import SandboxPolicy
from codex_py.sandbox.safe_commands import command_might_be_dangerous, parse_word_only_script
from codex_py.tools.shell import CommandResult

SAFE = [
    ["ls", "-la"],
    ["cat", "README.md"],
    ["rg", "-n", "TODO", "src"],
    ["grep", "-r", "x", "."],
    ["git", "status"],
    ["git", "--no-pager", "log", "--oneline", "-5"],
    ["git", "status", "--short", "-b"],
    ["git", "diff", "HEAD~1"],
    ["git", "branch"],
    ["git", "branch", "--show-current"],
    ["git", "branch", "--list", "feat*"],
    ["find", ".", "-name", "*.py"],
    ["sed", "-n", "10,20p", "file.txt"],
    ["sed", "-n", "5p"],
    ["sed", "-n", "5p", "-"],
    ["bash", "-lc", "sed -n 1,5p 'my file.txt'"],
    ["base64", "file.bin"],
    ["echo", "hi"],
    ["pwd"],
    ["bash", "-lc", "ls && pwd"],
    ["bash", "-lc", "git status; git log -3 | head -n 5 || true"],
    ["zsh", "-lc", "cat 'a b.txt' \"c d.txt\""],
    ["sh", "-c", "wc -l src/x.py"],
    ["bash", "-lc", "git log --format=%H -1"],
    ["/bin/bash", "-lc", "ls"],
    ["/usr/bin/zsh", "-c", "pwd"],
    ["uniq", "-c", "sorted.txt"],
    ["uniq", "-f", "2", "-w", "5", "in.txt"],
    ["bash", "-lc", "cat x | uniq -c"],
    ["base64", "-d", "in.b64"],
]
UNSAFE = [
    [],
    ["rm", "-rf", "build"],
    ["rm", "file"],
    ["python", "-c", "print(1)"],
    ["rg", "--pre", "cat", "x"],
    ["rg", "--pre=cat", "x"],
    ["rg", "-z", "x"],
    ["rg", "--search-zip", "x"],
    ["find", ".", "-delete"],
    ["find", ".", "-exec", "rm", "{}", ";"],
    ["find", ".", "-fprint", "out.txt"],
    ["git", "commit", "-m", "x"],
    ["git", "branch", "-D", "main"],
    ["git", "branch", "new-branch"],
    ["git", "diff", "--output=patch.txt"],
    ["git", "log", "--ext-diff"],
    ["git", "-c", "core.pager=evil", "log"],
    ["git", "show", "--textconv"],
    ["sed", "-i", "s/a/b/", "f"],
    ["sed", "-n", "1p", "f", "g"],
    # sed takes options after its operands: each of these adds a script that runs or writes (issue 11 item 6)
    ["sed", "-n", "1p", "-e1e touch /tmp/x"],
    ["sed", "-n", "1p", "-ew /tmp/out"],
    ["sed", "-n", "1p", "-f/tmp/script.sed"],
    ["sed", "-n", "1p", "-fscript"],
    ["sed", "-n", "1p", "--expression=1e id"],
    ["sed", "-n", "1p", "--file=script.sed"],
    ["sed", "-n", "1p", "-i"],
    ["sed", "-n", "1p", "-E"],
    ["sed", "-n", "1p", "-s"],
    ["sed", "-nE", "1p", "f"],
    ["sed", "-n", "-e", "1p", "f"],
    ["sed", "-n", "1w out", "f"],
    ["sed", "-n", "1e id", "f"],
    ["sed", "-n", "1p;w out", "f"],
    ["bash", "-lc", "sed -n 1p '-e1e touch /tmp/x'"],
    ["bash", "-lc", "sed -n 1p -fSCRIPT"],
    # git -C points the command at a repository it was not checked in (issue 11 item 7)
    ["git", "-C", "sub", "log", "--oneline", "-5"],
    ["git", "-C", "/tmp/evil", "status"],
    ["bash", "-lc", "cd /tmp/evil && git status"],
    ["bash", "-lc", "cd sub; git diff"],
    ["git", "--git-dir=/tmp/evil/.git", "status"],
    ["git", "--work-tree=/", "status"],
    # `git status -v` shows a diff with textconv on, and no flag turns that off
    ["git", "status", "-v"],
    ["git", "status", "-sv"],
    ["git", "status", "--verbose"],
    ["git", "status", "--verb"],
    ["base64", "-o", "out", "in"],
    ["base64", "--output=out", "in"],
    ["bash", "-lc", "ls > out.txt"],
    ["bash", "-lc", "cat < in"],
    ["bash", "-lc", "echo $(whoami)"],
    ["bash", "-lc", "echo `id`"],
    ["bash", "-lc", 'echo "$HOME"'],
    ["bash", "-lc", "(ls)"],
    ["bash", "-lc", "ls &"],
    ["bash", "-lc", "ls && rm -rf x"],
    ["bash", "-lc", "ls *.py"],
    ["bash", "-lc", "FOO=1 ls"],
    ["bash", "-lc", "ls &&"],
    ["bash", "-lc", ""],
    ["bash", "-lc", "'unterminated"],
    ["bash", "-lc", "ls", "extra"],
    ["sudo", "ls"],
    ["./bash", "-lc", "ls"],  # a script named bash in the workspace could do anything
    ["/tmp/x/sh", "-c", "pwd"],
    ["uniq", "in.txt", "out.txt"],  # the second operand is written
    ["uniq", "-c", "--", "in.txt", "out.txt"],
    ["bash", "-lc", "uniq a b"],
    ["base64", "-Do", "out", "in"],
]


@pytest.mark.parametrize("argv", SAFE, ids=" ".join)
def test_known_safe_commands(argv: list[str]) -> None:
    assert is_known_safe_command(argv)


@pytest.mark.parametrize("argv", UNSAFE, ids=lambda a: " ".join(a) or "empty")
def test_not_known_safe_commands(argv: list[str]) -> None:
    assert not is_known_safe_command(argv)


def test_a_relative_shell_path_still_counts_for_the_dangerous_check() -> None:
    assert command_might_be_dangerous(["./bash", "-lc", "rm -rf build"])


def test_word_only_parser_splits_commands_and_unquotes() -> None:
    assert parse_word_only_script('a \'b c\' "d\\"e" f\\ g && h;i|j\nk') == [
        ["a", "b c", 'd"e', "f g"],
        ["h"],
        ["i"],
        ["j"],
        ["k"],
    ]
    assert parse_word_only_script("a ;; b") is None


@pytest.mark.parametrize(
    ("argv", "dangerous"),
    [
        (["rm", "-rf", "/"], True),
        (["rm", "-f", "x"], True),
        (["rm", "--force", "x"], True),
        (["sudo", "rm", "-fr", "x"], True),
        (["bash", "-lc", "cd x && rm -rf build"], True),
        (["rm", "x"], False),
        (["rm", "-r", "x"], False),
        (["ls", "-f"], False),
    ],
)
def test_dangerous_commands(argv: list[str], dangerous: bool) -> None:
    assert command_might_be_dangerous(argv) is dangerous


WS = Path("/work/ws-approvals")
SANDBOXED = SandboxPolicy("workspace-write", WS, temp_roots=[])
READ_ONLY = SandboxPolicy("read-only", WS)
FULL = SandboxPolicy("danger-full-access", WS)
BUILD = ["make", "build"]


def decide(
    argv: list[str],
    policy: str,
    sandbox: SandboxPolicy = SANDBOXED,
    *,
    available: bool = True,
    escalate: bool = False,
    approved: tuple[tuple[str, ...], ...] = (),
) -> str:
    return assess_command(
        argv,
        policy=policy,
        sandbox=sandbox,
        sandbox_available=available,
        escalation_requested=escalate,
        approved_commands=approved,
    )


@pytest.mark.parametrize(
    ("policy", "safe", "build", "rm_rf", "escalated"),
    [
        ("untrusted", "run", "ask", "ask", "reject"),
        ("on-failure", "run", "run", "ask", "reject"),
        ("on-request", "run", "run", "ask", "ask"),
        ("never", "run", "run", "reject", "reject"),
    ],
)
def test_command_matrix_in_a_sandbox(policy: str, safe: str, build: str, rm_rf: str, escalated: str) -> None:
    assert decide(["ls"], policy) == safe
    assert decide(BUILD, policy) == build
    assert decide(["rm", "-rf", "dist"], policy) == rm_rf
    assert decide(BUILD, policy, escalate=True) == escalated


@pytest.mark.parametrize(
    ("policy", "build", "rm_rf", "escalated"),
    [
        ("untrusted", "ask", "ask", "reject"),
        ("on-failure", "run", "ask", "reject"),
        ("on-request", "run", "ask", "run"),
        ("never", "run", "run", "reject"),
    ],
)
def test_command_matrix_with_full_access(policy: str, build: str, rm_rf: str, escalated: str) -> None:
    assert decide(BUILD, policy, FULL) == build
    assert decide(["rm", "-rf", "dist"], policy, FULL) == rm_rf
    assert decide(BUILD, policy, FULL, escalate=True) == escalated


@pytest.mark.parametrize(("policy", "expected"), [("on-request", "ask"), ("untrusted", "ask"), ("never", "reject")])
def test_without_a_working_sandbox_every_command_asks(policy: str, expected: str) -> None:
    assert decide(["ls"], policy, available=False) == expected
    assert decide(BUILD, policy, available=False) == expected
    assert decide(BUILD, policy, FULL, available=False) == ("ask" if policy == "untrusted" else "run")


def test_session_approved_commands_run_without_asking_exact_argv_only() -> None:
    approved = (("make", "build"), ("rm", "-rf", "build"))
    assert decide(["make", "build"], "untrusted", approved=approved) == "run"
    assert decide(["make", "build"], "untrusted", available=False, approved=approved) == "run"
    assert decide(["rm", "-rf", "build"], "on-request", approved=approved) == "run"
    # not a prefix (Codex): neither a longer command nor a shorter one nor the first word
    assert decide(["rm", "-rf", "build", "src", ".git"], "on-request", approved=approved) == "ask"
    assert decide(["make", "build", "install"], "untrusted", approved=approved) == "ask"
    assert decide(["make"], "untrusted", approved=approved) == "ask"
    assert decide(["rm", "-rf", "x"], "untrusted", approved=((),)) == "ask"  # an empty argv approves nothing


def test_escalation_refusal_text_matches_codex() -> None:
    assert escalation_refusal("never") == (
        "approval policy is never; reject command — you should not ask for escalated permissions "
        "if the approval policy is never"
    )


@pytest.mark.parametrize(
    ("policy", "inside", "outside", "git_dir"),
    [
        ("untrusted", "ask", "ask", "ask"),
        ("on-failure", "run", "ask", "ask"),
        ("on-request", "run", "ask", "ask"),
        ("never", "run", "reject", "reject"),
    ],
)
def test_patch_matrix_workspace_write(policy: str, inside: str, outside: str, git_dir: str) -> None:
    assert assess_patch([WS / "src" / "a.py", Path("rel.txt")], policy=policy, sandbox=SANDBOXED) == inside
    assert assess_patch([WS / "a.py", Path("/etc/hosts")], policy=policy, sandbox=SANDBOXED) == outside
    assert assess_patch([WS / ".git" / "config"], policy=policy, sandbox=SANDBOXED) == git_dir
    assert assess_patch([Path("../sibling/x")], policy=policy, sandbox=SANDBOXED) == outside


def test_patch_matrix_read_only_full_access_and_empty() -> None:
    assert assess_patch([WS / "a.py"], policy="on-request", sandbox=READ_ONLY) == "ask"
    assert assess_patch([WS / "a.py"], policy="never", sandbox=READ_ONLY) == "reject"
    assert assess_patch([Path("/etc/hosts")], policy="on-request", sandbox=FULL) == "run"
    assert assess_patch([Path("/etc/hosts")], policy="untrusted", sandbox=FULL) == "ask"
    assert assess_patch([], policy="never", sandbox=FULL) == "reject"


def test_patch_through_a_symlink_leading_out_is_outside(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "out").symlink_to("/etc")
    policy = SandboxPolicy("workspace-write", ws, temp_roots=[])
    assert assess_patch([ws / "out" / "hosts"], policy="on-request", sandbox=policy) == "ask"
    assert assess_patch([ws / "in.txt"], policy="on-request", sandbox=policy) == "run"


def _failed(*, denied: bool, code: int = 1, timed_out: bool = False) -> CommandResult:
    return CommandResult(code, "touch: cannot touch 'x': Permission denied\n", 0.1, timed_out, denied)


@pytest.mark.parametrize("policy", ["untrusted", "on-failure", "on-request"])
def test_after_a_sandbox_denial_ask_to_rerun_unsandboxed(policy: str) -> None:
    assert after_failure(_failed(denied=True), policy=policy, sandbox_used=True) == "ask_unsandboxed"
    assert after_failure(_failed(denied=False), policy=policy, sandbox_used=True) == "report"
    assert after_failure(_failed(denied=True), policy=policy, sandbox_used=False) == "report"
    assert after_failure(_failed(denied=True, code=124, timed_out=True), policy=policy, sandbox_used=True) == "report"


def test_never_reports_every_failure() -> None:
    assert after_failure(_failed(denied=True), policy="never", sandbox_used=True) == "report"
