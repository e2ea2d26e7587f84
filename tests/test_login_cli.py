"""The `codex-py login` / `login status` / `logout` commands as a user runs them (real subprocesses).

Every byte the commands print (and every file under the home except the credential store) is checked
for the tokens and keys the fake authorization server handed out: none may ever appear.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.support.fake_oauth import EMAIL, ORG, FakeOAuth

OPENAI_KEY = "sk-proj-cli-test-key-0123456789ABCDE"


@pytest.fixture
def fake(isolated_home: Path) -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        (isolated_home / "config.toml").write_text(server.config_toml())
        yield server


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out["PYTHONPATH"] = str(REPO_ROOT)
    return out


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", *args], input=stdin, capture_output=True, text=True, env=env(), timeout=60
    )


def home_text(home: Path) -> str:
    """Everything codex-py wrote under the home except the credential store itself."""
    return "".join(
        p.read_text(errors="replace") for p in home.rglob("*") if p.is_file() and p.name != "credentials.json"
    )


def test_claude_login_over_ssh_status_and_logout(fake: FakeOAuth, isolated_home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "codex_py", "login", "--provider", "claude", "--no-browser"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    assert proc.stdin is not None and proc.stderr is not None
    shown: list[str] = []
    while not shown or not shown[-1].rstrip().endswith("here:"):  # the whole prompt (the process then waits)
        line = proc.stderr.readline()
        assert line, "".join(shown)
        shown.append(line)
    url = next(line.strip() for line in shown if line.startswith("  http"))
    page = httpx.get(url, follow_redirects=True, timeout=10)  # the user's browser, on another machine
    match = re.search(r"<code>([^<]+)</code>", page.text)
    assert match is not None
    code_only = match.group(1).split("#")[0]  # a partial paste and a stray Enter first, then the whole string
    out, err = proc.communicate(f"{code_only}\n\n{match.group(1)}\n", timeout=60)
    err = "".join(shown) + err
    assert proc.returncode == 0, err
    assert err.count("That is not the sign-in reply: paste the whole address") == 1
    assert "paste the code the page shows (CODE#STATE)" in err
    assert "Successfully logged in" in err and f"{EMAIL} · API key created in {ORG}" in err

    status = run("login", "status")
    assert status.returncode == 0
    [key] = fake.api_keys
    assert status.stderr == f"anthropic: API key (created by Claude login) · {key[:8]}***{key[-5:]} · {EMAIL} / {ORG}\n"

    logout = run("logout", "--provider", "claude")
    assert logout.returncode == 0 and "Successfully logged out" in logout.stderr
    after = run("login", "status")
    assert (after.returncode, after.stderr) == (1, "Not logged in\n")

    printed = out + err + status.stdout + status.stderr + logout.stdout + logout.stderr + home_text(isolated_home)
    leaked = [s for s in fake.secrets_issued() if s in printed]
    assert fake.secrets_issued() and leaked == []


def test_api_key_from_stdin_and_never_echoed(isolated_home: Path) -> None:
    login = run("login", "--provider", "openai", "--with-api-key", stdin=OPENAI_KEY + "\n")
    assert (login.returncode, login.stderr) == (0, "Successfully logged in\n")
    status = run("login", "status")
    assert status.stderr == "openai: API key (stored) · sk-proj-***ABCDE\n"
    printed = login.stdout + login.stderr + status.stdout + status.stderr + home_text(isolated_home)
    assert OPENAI_KEY not in printed and "cli-test-key" not in printed
    logout = run("logout")
    assert logout.stderr == "Removed the stored OpenAI API key\nSuccessfully logged out\n"
    assert run("logout").stderr == "Not logged in\n"


def test_cli_errors_are_one_line_with_a_hint(fake: FakeOAuth) -> None:
    no_tty = run("login", "--provider", "anthropic")  # stdin is a pipe: no hidden prompt possible
    assert no_tty.returncode == 2
    assert no_tty.stderr.splitlines() == [
        "error: no terminal to prompt for the API key",
        "hint: pipe it instead: printenv ANTHROPIC_API_KEY | codex-py login --provider anthropic --with-api-key",
    ]
    wrong = run("login", "--provider", "chatgpt", "--with-api-key")
    assert wrong.returncode == 2 and "--with-api-key does not apply to --provider chatgpt" in wrong.stderr
    unknown = run("login", "--provider", "gemini")
    assert unknown.returncode == 2 and "unknown login provider 'gemini'" in unknown.stderr
    fake.cannot_create_keys = True
    proc = subprocess.Popen(
        [sys.executable, "-m", "codex_py", "login", "--provider", "claude", "--no-browser"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    assert proc.stderr is not None
    lines = [""]
    while not lines[-1].rstrip().endswith("here:"):
        lines.append(proc.stderr.readline())
        assert lines[-1]
    url = next(line.strip() for line in lines if line.startswith("  http"))
    page = httpx.get(url, follow_redirects=True, timeout=10)
    match = re.search(r"<code>([^<]+)</code>", page.text)
    assert match is not None
    _, err = proc.communicate(match.group(1) + "\n", timeout=60)
    assert proc.returncode == 1
    assert err.splitlines()[-2:] == [
        "error: this Anthropic account cannot create API keys (HTTP 403)",
        "hint: ask an admin of your Anthropic organization for API-key access, or create a key in the Console "
        "and run `codex-py login --provider anthropic`",
    ]
    assert not [s for s in fake.secrets_issued() if s in err]


def test_exec_with_a_login_that_cannot_be_renewed(fake: FakeOAuth, isolated_home: Path, tmp_path: Path) -> None:
    """A refresh that fails inside the request is a turn failure naming the login to run, not an internal error."""
    from codex_py.config import load_config
    from codex_py.login.chatgpt import ChatGPTTokens, revoke
    from codex_py.login.store import open_store

    config = load_config()
    tokens = ChatGPTTokens.from_response(fake.issue_chatgpt(ttl=-30))  # expired: refreshed before the request
    open_store(config).put("chatgpt", tokens.to_record())
    fake.token_endpoint_down = True
    down = run("exec", "--json", "--skip-git-repo-check", "-C", str(tmp_path), "hi")
    assert down.returncode == 1, down.stderr
    failed = json.loads(down.stdout.splitlines()[-1])
    assert failed["type"] == "turn.failed"
    assert failed["error"]["message"].startswith("could not renew the ChatGPT sign-in: the ChatGPT token endpoint")

    fake.token_endpoint_down = False
    assert revoke(config, tokens)
    revoked = run("exec", "--json", "--skip-git-repo-check", "-C", str(tmp_path), "hi")
    assert revoked.returncode == 3, revoked.stderr
    assert json.loads(revoked.stdout.splitlines()[-1]) == {
        "type": "turn.failed",
        "error": {
            "message": "ChatGPT sign-in cannot be renewed: the sign-in was revoked; "
            "run `codex-py login --provider chatgpt` to sign in again"
        },
    }
    printed = down.stdout + down.stderr + revoked.stdout + revoked.stderr + home_text(isolated_home)
    assert "internal error" not in printed and "Traceback" not in printed
    assert not [s for s in fake.secrets_issued() if s in printed]
