"""`codex-py login --provider chatgpt --device-auth` against a local authorization server (real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_oauth import EMAIL, FakeOAuth
from tests.test_login_cli import env, home_text, run


@pytest.fixture
def fake(isolated_home: Path) -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        (isolated_home / "config.toml").write_text(server.config_toml())
        yield server


def test_device_code_login_status_and_no_secret_printed(fake: FakeOAuth, isolated_home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "codex_py", "login", "--provider", "chatgpt", "--device-auth"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    assert proc.stderr is not None
    shown: list[str] = []
    while not shown or "Waiting for you" not in shown[-1]:
        line = proc.stderr.readline()
        assert line, "".join(shown)
        shown.append(line)
    text = "".join(shown)
    assert f"   {fake.url}/codex/device\n" in text
    code = shown[shown.index(next(s for s in shown if s.startswith("2. Enter this one-time code"))) + 1].strip()
    assert "Never share this code" in text
    fake.approve_device(code)  # the user, on a phone, entered the code and signed in
    out, err = proc.communicate(timeout=60)
    err = text + err
    assert proc.returncode == 0, err
    assert "Successfully logged in" in err and EMAIL in err
    assert fake.device_polls >= 1 and fake.exchanges == 1  # the server-made PKCE pair was accepted

    status = run("login", "status")
    assert status.returncode == 0 and status.stderr.startswith("openai: ChatGPT (plus)")
    printed = out + err + status.stdout + status.stderr + home_text(isolated_home)
    leaked = [s for s in fake.secrets_issued() if s in printed]
    assert fake.secrets_issued() and leaked == []


def test_device_code_not_enabled_and_wrong_provider(fake: FakeOAuth) -> None:
    fake.device_enabled = False
    off = run("login", "--provider", "chatgpt", "--device-auth")
    assert off.returncode == 1
    from codex_py.login.device import NOT_ENABLED

    assert off.stderr.splitlines() == [
        f"error: {NOT_ENABLED}",
        "hint: run `codex-py login --provider chatgpt` (browser login)",
    ]
    assert NOT_ENABLED.startswith("device code login is not enabled for this Codex server.")
    wrong = run("login", "--provider", "claude", "--device-auth")
    assert wrong.returncode == 2 and "--device-auth applies to --provider chatgpt only" in wrong.stderr


async def test_device_code_times_out_and_reports_other_statuses(fake: FakeOAuth, isolated_home: Path) -> None:
    from codex_py.config import CliOverrides, load_config
    from codex_py.login.callback import LoginError
    from codex_py.login.device import login_chatgpt_device

    config = load_config(CliOverrides())
    codes: list[str] = []
    fake.device_interval = "0.05"
    with pytest.raises(LoginError, match="device auth timed out after 0 minutes"):
        await login_chatgpt_device(config, on_code=lambda _url, code: codes.append(code), timeout=0.3)
    assert len(codes) == 1 and fake.device_polls >= 2  # polled at the announced interval until the deadline
