"""Secrets stay out of everything codex-py writes (issue 11 items 9-11).

* The exact credentials in use (any shape: ``gsk_live_…``) never reach stdout, stderr, ``--json``, the
  rollout or the log, even when the provider echoes them (item 10).
* High-confidence secret shapes are redacted in rollouts and logs, while the model still receives what
  the user sent; a redacted rollout resumes (item 11).
* The agent cannot read codex-py's own home without approval (shell words, ``bash -lc`` scripts, the
  text editor), and the credentials file is made private again at every load (item 9).

Everything runs through ``codex-py exec`` against the loopback fake provider (real HTTP + SSE).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_py.config import Config, resolve_paths
from codex_py.config.redaction import forget_secrets, redact, redact_json, register_secret
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, HttpError, Reply

WIRES = ["responses", "chat", "messages"]

# Secret shapes (test values built from parts so no scanner mistakes this file for a leak).
AWS_ID = "AKIA" + "IOSFODNN7" + "EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_" + "x1Y2z3" * 6
GITHUB_PAT = "github_pat_" + "11ABCDEFG0" * 4
SLACK = "xoxb-" + "1234567890-0987654321-" + "AbCdEfGhIjKlMnOp"
GOOGLE = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"  # 39 characters, like a real one
OPENAI = "sk-proj-" + "Zq9" * 12
ANTHROPIC = "sk-ant-api03-" + "Wv8_" * 10
JWT = "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiJ1c2VyLTEyMyJ9." + "c2lnbmF0dXJlLXZhbHVl"
BEARER = "Bearer " + "tok_" + "q7" * 12
PEM_BODY = "MIIEowIBAAKCAQEA7bq98s\n" + "Zb3pQ9x0A1B2C3D4E5F6G7H8\n"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + PEM_BODY + "-----END RSA " + "PRIVATE KEY-----"
SHAPES = {
    "aws key id": AWS_ID,
    "github": GITHUB,
    "github pat": GITHUB_PAT,
    "slack": SLACK,
    "google": GOOGLE,
    "openai": OPENAI,
    "anthropic": ANTHROPIC,
    "jwt": JWT,
}


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    forget_secrets()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    repo = tmp_path / "work"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return repo


def configure(home: Path, fake: FakeProvider, wire: str, env_key: str = "FAKE_GSK") -> None:
    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\nlog_level = "debug"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{fake.base_url}"\nwire_api = "{wire}"\nenv_key = "{env_key}"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n"
    )


def exec_run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", *args],
        cwd=cwd,
        env=dict(os.environ, **(env or {})),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def home_text(home: Path) -> str:
    """Everything under the home (rollouts, the log, config) as one string."""
    return "\n".join(p.read_text(errors="replace") for p in sorted(home.rglob("*")) if p.is_file())


def rollout_text(home: Path) -> str:
    files = sorted((home / "sessions").rglob("*.jsonl"))
    assert files, "no rollout was written"
    return "\n".join(p.read_text() for p in files)


# ---------------------------------------------------------------------------------------------------
# item 10: the exact credentials in use, whatever their shape


@pytest.mark.parametrize("wire", WIRES)
def test_a_key_of_any_shape_echoed_by_the_provider_is_nowhere(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    key = f"gsk_live_{secrets.token_hex(16)}"
    assert redact(f"x {key} y") == f"x {key} y", "the key has no known shape: only its registration can mask it"
    configure(isolated_home, fake_provider, wire)
    env = {"FAKE_GSK": key}
    # a turn that works, where the model repeats the key and runs a command naming it
    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["echo", f"using {key}"]}))]),
        Reply(text=f"Your key is {key}, right?"),
    )
    ok = exec_run("-s", "danger-full-access", "-a", "never", "check my key", cwd=workdir, env=env)
    assert ok.returncode == 0, ok.stderr
    sent = fake_provider.requests[0].headers
    assert key in (sent.get("authorization") or "") + (sent.get("x-api-key") or ""), "the key is the one in use"
    assert "Your key is [REDACTED], right?" in ok.stdout
    # the provider refuses it and echoes it back, human and --json
    fake_provider.script(HttpError(401, message=f"Incorrect API key provided: {key}"))
    human = exec_run("-s", "danger-full-access", "-a", "never", "again", cwd=workdir, env=env)
    fake_provider.script(HttpError(401, message=f"Incorrect API key provided: {key}"))
    as_json = exec_run("--json", "-s", "danger-full-access", "-a", "never", "again", cwd=workdir, env=env)
    assert human.returncode == as_json.returncode == 3
    assert "Incorrect API key provided: gsk_live_***" in human.stderr  # the provider's words stay, masked
    failed = [json.loads(line) for line in as_json.stdout.splitlines()][-1]
    assert failed["type"] == "turn.failed" and "gsk_live_***" in failed["error"]["message"]
    for out in (ok, human, as_json):
        assert key not in out.stdout + out.stderr
    assert (resolve_paths().log_dir / "codex-py.log").is_file()
    everything = home_text(isolated_home)
    assert key not in everything, "a rollout or the log holds the key"
    assert "[REDACTED]" in rollout_text(isolated_home)


def test_registered_values_are_masked_in_errors_logs_and_stored_copies() -> None:
    token = "opaque-" + secrets.token_urlsafe(24)
    register_secret(token, "short")  # too short to register: masking "short" everywhere would garble output
    assert redact(f"refused {token}!") == "refused [REDACTED]!"
    assert redact(f"refused {token}!", partial=True) == "refused opaque-Xy***!".replace("Xy", token[7:9])
    assert redact("a short word") == "a short word"
    stored = redact_json({"type": "tool_result", "output": f"TOKEN={token}\n", "call_id": "c1"})
    assert token not in json.dumps(stored)


def test_the_credentials_of_a_stored_login_are_registered(isolated_home: Path) -> None:
    from codex_py.config.redaction import known_secrets
    from codex_py.login.store import open_store
    from codex_py.session.logs import redact as log_redact

    store = open_store(Config())
    access, refresh = "at-" + secrets.token_hex(20), "rt-" + secrets.token_hex(20)
    store.put("chatgpt", {"access_token": access, "refresh_token": refresh, "id_token": "x"})
    forget_secrets()
    assert store.get("chatgpt") is not None  # a later load registers them again
    assert {access, refresh} <= set(known_secrets())
    assert access not in log_redact(f"refresh failed for {access} / {refresh}")
    assert refresh not in log_redact(f"refresh failed for {access} / {refresh}")


# ---------------------------------------------------------------------------------------------------
# item 11: secret shapes in rollouts and logs (the model still sees them)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_secret_shape_is_redacted(name: str) -> None:
    value = SHAPES[name]
    text = redact(f"before {value} after")
    assert value not in text and text == "before [REDACTED] after"


def test_labelled_and_multiline_shapes() -> None:
    text = redact(f"{BEARER}\naws_secret_access_key = {AWS_SECRET}\n{PEM}\nnext line")
    assert "Bearer [REDACTED]" in text and "aws_secret_access_key = [REDACTED]" in text
    assert AWS_SECRET not in text and PEM_BODY.splitlines()[0] not in text and text.endswith("\nnext line")
    cut = redact("-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + PEM_BODY + "$ ")  # output cut before END
    assert PEM_BODY.splitlines()[1] not in cut and cut.endswith("\n$ ")


@pytest.mark.parametrize(
    "text",
    [
        "pip install scikit-learn sk-learn",
        "commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 and uuid 123e4567-e89b-12d3-a456-426614174000",
        "AKIA is a prefix; ghp_short; xoxb-; eyJhbGciOi without dots",
        "headers['Authorization'] = f'Bearer {token}'",
        "the secret_key = os.environ['AWS_SECRET_ACCESS_KEY']",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_opaque_reasoning_and_images_are_kept_and_a_signed_thinking_loses_its_signature() -> None:
    image = "data:image/png;base64," + "AKIA" + "Q" * 16 + "+/"
    item = {"type": "user", "content": [{"type": "image", "url": image}, {"type": "text", "text": GITHUB}]}
    assert redact_json(item)["content"][0]["url"] == image
    assert redact_json(item)["content"][1]["text"] == "[REDACTED]"
    clean = {"type": "reasoning", "text": "think", "provider": "messages", "payload": {"signature": "AKIA" + "Z" * 16}}
    assert redact_json(clean) == clean
    leaky = {**clean, "text": f"the user gave {GITHUB}"}
    stored = redact_json(leaky)
    assert stored["text"] == "the user gave [REDACTED]" and "signature" not in stored["payload"]


@pytest.mark.parametrize("wire", WIRES)
def test_pasted_and_printed_secrets_reach_the_model_but_not_the_rollout_or_log(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire, env_key="")
    prompt = f"deploy with {AWS_ID} and {GITHUB}\n{PEM}"
    printed = f"{SLACK} {JWT}"
    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["echo", printed]}))]),
        Reply(text=f"Done; the token was {GOOGLE}."),
    )
    out = exec_run("-s", "danger-full-access", "-a", "never", prompt, cwd=workdir)
    assert out.returncode == 0, out.stderr
    first, second = fake_provider.requests
    assert AWS_ID in first.body.decode() and GITHUB in first.body.decode(), "the model sees what the user sent"
    assert PEM_BODY.splitlines()[0] in first.body.decode()
    assert SLACK in second.body.decode() and JWT in second.body.decode(), "and what the command printed"
    stored = rollout_text(isolated_home)
    for value in (AWS_ID, GITHUB, PEM_BODY.splitlines()[0], SLACK, JWT, GOOGLE):
        assert value not in home_text(isolated_home), value
    assert stored.count("[REDACTED]") >= 6
    # the redacted rollout resumes: the model then sees [REDACTED] in the history
    fake_provider.script(Reply(text="resumed"))
    again = exec_run("-s", "danger-full-access", "-a", "never", "resume", "--last", "go on", cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "resumed"
    history = fake_provider.last_request.body.decode()
    assert "[REDACTED]" in history and AWS_ID not in history


# ---------------------------------------------------------------------------------------------------
# item 9: codex-py's own home is not free to read; the credentials file stays private

STORED_KEY = "sk-proj-" + "St0red" * 8


def store_key(home: Path) -> Path:
    from codex_py.login.apikey import save_api_key

    save_api_key(Config(), "openai", STORED_KEY)
    cred = resolve_paths().credentials_file
    assert cred.is_file() and cred.is_relative_to(home)
    return cred


def needs_landlock() -> None:
    from codex_py.sandbox.landlock import landlock_abi

    if landlock_abi() <= 0:
        pytest.skip("Landlock is unavailable: every command asks anyway, so the default policy proves nothing here")


def tool_output(request_json: Any) -> str:
    return json.dumps(request_json)


@pytest.mark.parametrize(
    "command",
    [
        lambda cred, work: ["cat", str(cred)],
        lambda cred, work: ["cat", os.path.relpath(cred, work)],
        lambda cred, work: ["bash", "-lc", 'head -c 400 "$CODEX_PY_HOME"/credentials.json | cat'],
        lambda cred, work: ["bash", "-lc", f"cat {cred.parent}/cred*.json"],
        lambda cred, work: ["grep", "-r", "sk-", str(cred.parent.parent)],
    ],
    ids=["absolute", "relative", "bash-lc-var", "glob", "recursive-grep-above"],
)
def test_exec_reading_the_credentials_is_declined_under_the_default_policy(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, command: Any
) -> None:
    needs_landlock()
    configure(isolated_home, fake_provider, "responses", env_key="")
    cred = store_key(isolated_home)
    argv = command(cred, workdir)
    fake_provider.script(Reply(tool_calls=[Call("shell", json.dumps({"command": argv}))]), Reply(text="ok"))
    out = exec_run("--json", "read my credentials", cwd=workdir)  # default: workspace-write, on-request
    assert out.returncode == 0, out.stderr
    result = tool_output(fake_provider.requests[1].json)
    assert "reads codex-py's own files" in result and "declined" in result
    assert STORED_KEY not in out.stdout + out.stderr + result, "the command ran"
    done = [e["item"] for e in map(json.loads, out.stdout.splitlines()) if e["type"] == "item.completed"]
    assert any(i["type"] == "command_execution" and i["status"] == "declined" for i in done)


def test_an_ordinary_read_still_runs(fake_provider: FakeProvider, isolated_home: Path, workdir: Path) -> None:
    """The guard is about the home only: `cat` of a workspace file runs as before."""
    needs_landlock()
    configure(isolated_home, fake_provider, "responses", env_key="")
    (workdir / "notes.txt").write_text("plain notes\n")
    fake_provider.script(Reply(tool_calls=[Call("shell", json.dumps({"command": ["cat", "notes.txt"]}))]), Reply())
    out = exec_run("read notes", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "plain notes" in tool_output(fake_provider.requests[1].json)


@pytest.mark.parametrize("edit", ["view", "str_replace"])
def test_the_text_editor_cannot_read_the_credentials(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, edit: str
) -> None:
    configure(isolated_home, fake_provider, "messages", env_key="")
    cred = store_key(isolated_home)
    args = {"command": edit, "path": str(cred), "old_str": "sk-proj-", "new_str": "x"}
    fake_provider.script(Reply(tool_calls=[Call("str_replace_based_edit_tool", json.dumps(args))]), Reply(text="ok"))
    out = exec_run("look", cwd=workdir)
    assert out.returncode == 0, out.stderr
    result = tool_output(fake_provider.requests[1].json)
    assert "reads codex-py's own files" in result and STORED_KEY[:12] not in result
    assert "`old_str` was not found" not in result and "occurs" not in result  # not even as an oracle
    assert json.loads(cred.read_text())["records"]["openai_api_key"]["key"] == STORED_KEY


def test_home_reads_by_policy(isolated_home: Path, tmp_path: Path) -> None:
    from codex_py.sandbox.approvals import assess_command
    from codex_py.sandbox.policy import SandboxPolicy

    cred = store_key(isolated_home)
    work = tmp_path / "w"
    work.mkdir()
    (work / "link").symlink_to(cred)

    def verdict(argv: list[str], policy: str = "on-request", mode: str = "workspace-write") -> str:
        sandbox = SandboxPolicy.from_config(Config(cwd=work, sandbox_mode=mode))  # type: ignore[arg-type]
        return assess_command(
            argv,
            policy=policy,
            sandbox=sandbox,
            sandbox_available=True,
            escalation_requested=False,
            approved_commands=set(),
            workdir=work,
        )

    assert verdict(["cat", "link"]) == "ask"  # a symlink into the home
    assert verdict(["sed", "-n", "1p", f"--file={cred}"]) == "ask"
    assert verdict(["cat", "link"], policy="never") == "reject"
    assert verdict(["cat", "link"], policy="never", mode="danger-full-access") == "run"  # no guard rails asked for
    assert verdict(["cat", "link"], policy="untrusted") == "ask"
    assert verdict(["cat", "README.md"]) == "run" and verdict(["ls", str(tmp_path)]) == "run"
    assert verdict(["bash", "-lc", "ls -la && git status"]) == "run"


def test_the_credentials_file_is_made_private_again_at_every_load(
    isolated_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from codex_py.login.store import open_store

    cred = store_key(isolated_home)
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    cred.chmod(0o644)  # what a command could do
    out = subprocess.run(
        [sys.executable, "-m", "codex_py", "login", "status"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600, "the next load repaired the mode"
    assert STORED_KEY not in out.stdout + out.stderr
    cred.chmod(0o640)
    with caplog.at_level("WARNING", logger="codex_py.login.store"):
        assert open_store(Config()).get("openai_api_key") is not None
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    assert any("repaired to 0600" in r.getMessage() for r in caplog.records)


async def test_the_tui_masks_a_credential_a_command_prints_live_and_after(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """A command that prints a credential codex-py holds (a project's .env with the same key): the command cell
    shows it masked while the command runs and after it ended (the screen may be shared or recorded)."""
    from codex_py.config.redaction import forget_secrets, register_secret
    from codex_py.tui.widgets.command_cell import CommandCell
    from tests.test_tui_conversation import idle, make_app, send, wait_for

    key = "sk-proj-" + "LiveShown" * 6
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={key}\n")
    script = "cat .env; sleep 0.6; cat .env"
    fake_provider.script(Reply(tool_calls=[Call("shell", json.dumps({"command": ["sh", "-c", script]}), "c1")]))
    app = make_app(fake_provider, tmp_path, approval="never")
    register_secret(key)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.session is not None, "session started")
            await send(pilot, app, "show the env")
            await wait_for(pilot, lambda: bool(app.chat.transcript.query(CommandCell)), "command running")
            cell = app.chat.transcript.query_one(CommandCell)
            await wait_for(pilot, lambda: "OPENAI_API_KEY" in str(cell._output.render()), "live output")
            live = str(cell._output.render())
            assert cell.status == "running" and key not in live and "[REDACTED]" in live
            await wait_for(pilot, idle(app), "turn ended", rounds=500)
            final = str(cell._output.render())
            assert key not in final and final.count("[REDACTED]") == 2
            assert key not in cell.plain_text()
    finally:
        forget_secrets()
