"""The command line as a user sees it: real subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_py.cli import rewrite_argv


def run(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", *args], capture_output=True, text=True, cwd=cwd, input=stdin, timeout=60
    )


def test_version_is_fast_path() -> None:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codex_py", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert out.stdout.startswith("codex-py ")
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    for heavy in ("textual", "httpx", "keyring", "rich.markdown", "typer", "markdown_it"):
        assert heavy not in imported, heavy


def test_help_lists_contract_commands() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("exec", "resume", "sessions", "login", "logout", "apply-patch"):
        assert command in out.stdout


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["-m", "X", "--help"], ["--provider", "ollama", "-h"]])
def test_help_shows_the_interactive_options(argv: list[str]) -> None:
    """`codex-py --help` is also the interactive app's help, as in Codex; options before it do not break it."""
    out = run(*argv)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: codex-py [OPTIONS] [PROMPT]\n       codex-py COMMAND [ARGS]...")
    for option in ("-m, --model", "--provider", "-a, --ask-for-approval", "-s, --sandbox", "--full-auto"):
        assert option in out.stdout, option
    assert "--no-alt-screen" in out.stdout and "-V, --version" in out.stdout and "apply-patch" in out.stdout
    efforts = out.stdout.split("--reasoning-effort", 1)[1].split("\n", 1)[0]
    assert all(e in efforts for e in ("none", "minimal", "low", "medium", "high", "xhigh"))


def test_exec_and_exec_resume_help_name_what_the_user_typed() -> None:
    """``exec resume`` is a hidden ``exec-resume`` command inside: its help and errors say ``exec resume``, and
    both commands list the same exec options."""
    resume = run("exec", "resume", "--help")
    assert resume.returncode == 0, resume.stderr
    assert resume.stdout.startswith("Usage: codex-py exec resume [OPTIONS] [session_id] [prompt]")
    wrong = run("exec", "resume", "--bogus")
    assert wrong.returncode == 2 and "Try 'codex-py exec resume -h' for help." in wrong.stderr
    assert "exec-resume" not in resume.stdout + wrong.stderr
    exec_help = run("exec", "--help").stdout
    for option in ("--json", "-o, --output-last-message", "--output-schema", "--skip-git-repo-check", "-i, --image"):
        assert option in exec_help and option in resume.stdout, option
    assert "--last" in resume.stdout and "--last" not in exec_help


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["tui"]),
        (["fix the bug"], ["tui", "fix the bug"]),
        (["-m", "o3", "fix"], ["tui", "-m", "o3", "fix"]),
        (["exec", "hi"], ["exec", "hi"]),
        (["exec", "resume", "--last", "go"], ["exec-resume", "--last", "go"]),
        (["exec", "--json", "resume", "abc"], ["exec-resume", "--json", "abc"]),
        (["-c", "model=exec", "login", "status"], ["-c", "model=exec", "login", "status"]),
        (["--help"], ["--help"]),
        (["e", "hi"], ["exec", "hi"]),
        (["-c", "x=1", "e", "resume", "--last"], ["-c", "x=1", "exec-resume", "--last"]),
        (["-m", "o3", "-h"], ["--help"]),
    ],
)
def test_rewrite_argv(argv: list[str], expected: list[str]) -> None:
    assert rewrite_argv(argv) == expected


def test_bad_config_exits_2_with_cause(isolated_home: Path) -> None:
    (isolated_home / "config.toml").write_text("modle = 1\n")
    out = run("exec", "--provider", "openai", "hi")
    assert out.returncode == 2
    assert "unknown key modle" in out.stderr


def test_unknown_provider_flag_exits_2_with_hint(isolated_home: Path) -> None:
    out = run("exec", "--provider", "antropic", "hi")
    assert out.returncode == 2
    assert "unknown model provider 'antropic' (did you mean 'anthropic'?)" in out.stderr
    assert "hint:" in out.stderr


def test_invalid_toml_exits_2_naming_file_and_line(isolated_home: Path) -> None:
    (isolated_home / "config.toml").write_text('model = "x"\nsandbox_mode = \n')
    out = run("exec", "hi")
    assert out.returncode == 2
    assert "config.toml" in out.stderr and "line 2" in out.stderr


def test_unknown_login_action_exits_2() -> None:
    out = run("login", "statsu")
    assert out.returncode == 2
    assert "did you mean 'status'" in out.stderr


def test_resume_of_an_unknown_session_exits_2_before_the_app_opens(isolated_home: Path, tmp_path: Path) -> None:
    import os

    def on_a_terminal(*args: str) -> subprocess.CompletedProcess[str]:
        master, terminal = os.openpty()  # without a terminal the app refuses first (tests/test_no_tty.py)
        try:
            return subprocess.run(
                [sys.executable, "-m", "codex_py", *args],
                stdin=terminal,
                stdout=terminal,
                stderr=subprocess.PIPE,
                text=True,
                cwd=tmp_path,
                env={**os.environ, "TERM": "xterm-256color"},
                timeout=60,
            )
        finally:
            os.close(master)
            os.close(terminal)

    out = on_a_terminal("resume", "no-such-id")
    assert out.returncode == 2
    assert "no recorded session matches 'no-such-id'" in out.stderr and "codex-py sessions" in out.stderr
    out = on_a_terminal("resume", "--last")
    assert out.returncode == 2 and "no recorded session" in out.stderr


# --- exec start-up (issue 17 item 10) ---------------------------------------------------------------------

EXEC_NEVER_IMPORTS = (
    "httpx._main",  # httpx's own CLI (rich, pygments, click): cli.skip_httpx_cli
    "rich",
    "click",
    "pygments",
    "textual",
    "keyring",
    "typer.rich_utils",
    "markdown_it",
    "codex_py.tui",
    "codex_py.login.chatgpt",  # the ChatGPT login (OAuth, callback server): only for a ChatGPT login
    "codex_py.login.oauth",
    "codex_py.providers.images",  # only with -i
    "codex_py.sandbox.landlock",  # only when a sandbox is asked for (the test runs danger-full-access)
    "zipfile",  # importlib.resources' readers: package data is read from the package folder
)
"""Imported by none of exec's modules before or after its first request."""


def _exec_on_the_fake(fake_provider: Any, home: Path, work: Path, *extra: str, **env: str) -> Any:
    import os

    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{fake_provider.base_url}"\nwire_api = "responses"\nrequest_max_retries = 0\n'
    )
    work.mkdir(exist_ok=True)
    environ = {k: v for k, v in os.environ.items() if k not in env} | {k: v for k, v in env.items() if v}
    return subprocess.run(
        [sys.executable, *extra, "-m", "codex_py", "exec", "-s", "danger-full-access", "-a", "never", "say hi"],
        capture_output=True,
        text=True,
        cwd=work,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_exec_does_not_import_what_it_does_not_need(fake_provider: Any, isolated_home: Path, tmp_path: Path) -> None:
    from tests.support.replies import Reply

    fake_provider.script(Reply(text="hello from the fake"))
    out = _exec_on_the_fake(fake_provider, isolated_home, tmp_path / "work", "-X", "importtime")
    assert out.returncode == 0, out.stderr
    assert "hello from the fake" in out.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time")}
    assert "httpx" in imported and "codex_py.providers._http" in imported, "the importtime listing was read"
    assert not imported & set(EXEC_NEVER_IMPORTS), sorted(imported & set(EXEC_NEVER_IMPORTS))


def test_exec_exits_at_once_with_all_its_output(fake_provider: Any, isolated_home: Path, tmp_path: Path) -> None:
    """exec skips the interpreter's teardown (cli.exit_now): buffered stdout (no PYTHONUNBUFFERED, a pipe)
    still arrives whole, and the exit code is kept."""
    from tests.support.replies import HttpError, Reply

    long_answer = " ".join(f"word{i}" for i in range(20_000))
    fake_provider.script(Reply(text=long_answer))
    out = _exec_on_the_fake(fake_provider, isolated_home, tmp_path / "work", PYTHONUNBUFFERED="")
    assert out.returncode == 0, out.stderr
    assert long_answer in out.stdout
    fake_provider.script(HttpError(400, message="no such parameter: frobnicate"))
    out = _exec_on_the_fake(fake_provider, isolated_home, tmp_path / "work", PYTHONUNBUFFERED="")
    assert out.returncode == 1 and "no such parameter: frobnicate" in out.stderr, out.stderr
