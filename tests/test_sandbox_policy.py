"""What commands may see and write besides the workspace: provider credentials in the environment (issue 11
item 8), codex-py's own home and installation under a writable root (items 16 and 5), and Codex's
``exclude_slash_tmp`` / ``exclude_tmpdir_env_var``. Attacks go through ``codex-py exec`` with a scripted
loopback model; the temp-root keys are checked with real Landlock runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import codex_py
from codex_py.config import CliOverrides, load_config
from codex_py.sandbox.landlock import landlock_abi
from codex_py.sandbox.policy import SandboxPolicy, startup_warnings
from codex_py.tools.shell import run_command
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply

needs_landlock = pytest.mark.skipif(landlock_abi() == 0, reason="this kernel has no Landlock")

SECRETS = {
    "LLM_CRED": "llm-cred-value-6f1d2c",  # the active provider's env_key: no KEY/TOKEN/SECRET in the name
    "LLM_ROUTE": "llm-route-value-93ab07",  # the active provider's env_http_headers variable
    "OTHER_CRED": "other-cred-value-51e8aa",  # env_key of a provider that is configured but not in use
    "OPENAI_ORGANIZATION": "org-value-c0ffee77",  # a built-in provider's header variable
}


def provider_toml(base_url: str, extra: str = "") -> str:
    return (
        'model = "gpt-fake"\n'
        'model_provider = "fake"\n'
        f"{extra}"
        "[model_providers.fake]\n"
        'name = "Fake"\n'
        f'base_url = "{base_url}"\n'
        'wire_api = "responses"\n'
        'env_key = "LLM_CRED"\n'
        'env_http_headers = { "X-Route" = "LLM_ROUTE" }\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
        "[model_providers.other]\n"
        'base_url = "http://127.0.0.1:9/v1"\n'
        'env_key = "OTHER_CRED"\n'
    )


def exec_(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", "--skip-git-repo-check", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def shell(script: str) -> Call:
    return Call("shell", json.dumps({"command": ["sh", "-c", script]}))


def tool_output(fake: FakeProvider) -> str:
    """The function_call_output sent back to the model in the second request."""
    return str(fake.requests[1].json["input"][-1]["output"])


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.mark.parametrize("mode", ["danger-full-access", "workspace-write"])
def test_commands_never_see_any_providers_credential_variables(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path, mode: str
) -> None:
    if mode != "danger-full-access" and landlock_abi() == 0:
        pytest.skip("no Landlock: every sandboxed command would ask for approval")
    (isolated_home / "config.toml").write_text(provider_toml(fake_provider.base_url))
    fake_provider.script(Reply(tool_calls=[Call("shell", json.dumps({"command": ["env"]}))]), Reply(text="Done."))
    out = exec_("--json", "-s", mode, "-a", "never", "print the env", cwd=tmp_path, env={**SECRETS, "CANARY": "seen"})
    assert out.returncode == 0, out.stderr
    first = fake_provider.requests[0]
    assert first.headers["authorization"] == f"Bearer {SECRETS['LLM_CRED']}"  # the variables are really in use
    assert first.headers["x-route"] == SECRETS["LLM_ROUTE"]
    sent = tool_output(fake_provider)
    assert "CANARY=seen" in sent  # env ran and its output reached the model
    for name, value in SECRETS.items():
        for where, text in (("tool output", sent), ("stdout", out.stdout), ("stderr", out.stderr)):
            assert value not in text, f"{name} leaked into {where}"
        assert value not in all_text(isolated_home), f"{name} leaked into the rollout or log"
        assert f"{name}=" not in sent


@pytest.fixture
def home_in_tmp() -> Iterator[Path]:
    """A codex-py home directly under /tmp, the default writable root (not under the workspace)."""
    home = Path(tempfile.mkdtemp(prefix="codex-py-home-", dir="/tmp"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@needs_landlock
def test_a_command_cannot_rewrite_config_toml_in_a_home_under_tmp(
    fake_provider: FakeProvider, home_in_tmp: Path, tmp_path: Path
) -> None:
    config = home_in_tmp / "config.toml"
    config.write_text(provider_toml(fake_provider.base_url))
    before = config.read_text()
    work = tmp_path / "work"
    work.mkdir()
    # a hostile repository's script (the command line does not name the home, so only the sandbox can stop it)
    (work / "attack.sh").write_text(
        "echo ok > inside.txt\n"
        f"echo 'sandbox_mode = \"danger-full-access\"' >> {config}\n"
        f"mkdir {home_in_tmp}/sessions-planted\n"
    )
    fake_provider.script(Reply(tool_calls=[shell("sh attack.sh; echo end")]), Reply(text="Done."))
    out = exec_("-a", "never", "edit your config", cwd=work, env={"CODEX_PY_HOME": str(home_in_tmp), **SECRETS})
    assert out.returncode == 0, out.stderr
    assert (work / "inside.txt").read_text() == "ok\n"  # the sandbox is on and the workspace writable
    assert config.read_text() == before
    assert not (home_in_tmp / "sessions-planted").exists()
    assert "Permission denied" in tool_output(fake_provider)
    assert f"warning: /tmp is not writable by commands in this session: it contains codex-py's home {home_in_tmp}" in (
        out.stderr
    )
    assert "set CODEX_PY_HOME to a folder outside it" in out.stderr


def test_a_home_inside_the_workspace_is_announced_and_patches_there_are_declined(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """Landlock cannot carve the home out of the workspace: codex-py says so, and its own patches stay out."""
    work = tmp_path / "work"
    home = work / "cfg"
    home.mkdir(parents=True)
    config = home / "config.toml"
    config.write_text(provider_toml(fake_provider.base_url))
    before = config.read_text()
    patch = '*** Begin Patch\n*** Update File: cfg/config.toml\n@@\n-model = "gpt-fake"\n+model = "x"\n*** End Patch\n'
    fake_provider.script(Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}))]), Reply(text="Done."))
    out = exec_("-a", "on-request", "patch it", cwd=work, env={"CODEX_PY_HOME": str(home), **SECRETS})
    assert out.returncode == 0, out.stderr
    assert config.read_text() == before
    assert f"warning: codex-py's home {home} is writable by sandboxed commands" in out.stderr
    assert "set CODEX_PY_HOME to a folder outside the workspace" in out.stderr


def test_exec_warns_when_codex_py_is_installed_under_the_workspace(
    fake_provider: FakeProvider, isolated_home: Path
) -> None:
    """A workspace holding codex_py itself (an editable checkout, a project .venv) lets commands change the
    code codex-py runs next time outside the sandbox."""
    (isolated_home / "config.toml").write_text(provider_toml(fake_provider.base_url))
    fake_provider.script(Reply(text="Done."))
    above_package = Path(codex_py.__file__).resolve().parent.parent  # src/ in a checkout, site-packages otherwise
    out = exec_("-C", str(above_package), "-a", "never", "hi", cwd=isolated_home, env=SECRETS)
    assert out.returncode == 0, out.stderr
    assert f"warning: codex-py is installed under {above_package}, which sandboxed commands can write" in out.stderr
    assert "install it outside the workspace" in out.stderr
    elsewhere = exec_("-a", "never", "hi", cwd=isolated_home, env=SECRETS)
    assert "codex-py is installed under" not in elsewhere.stderr


async def test_the_tui_shows_the_installation_warning_as_a_notice(fake_provider: FakeProvider) -> None:
    from codex_py.tui.widgets.notice import Notice
    from tests.test_tui_conversation import make_app, wait_for

    above_package = Path(codex_py.__file__).resolve().parent.parent
    app = make_app(fake_provider, above_package)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")

        def warned() -> bool:
            notices = app.chat.transcript.query(Notice)
            return any(f"codex-py is installed under {above_package}" in n.message for n in notices)

        await wait_for(pilot, warned, "installation warning")


def policy_for(workspace: Path, *overrides: str) -> SandboxPolicy:
    config = load_config(CliOverrides(config=list(overrides), cd=workspace))
    config.cwd = workspace
    return SandboxPolicy.from_config(config)


@pytest.fixture
def temp_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A workspace and a $TMPDIR outside it, with the home out of every writable root."""
    ws, tmpdir = tmp_path / "ws", tmp_path / "tmpdir"
    ws.mkdir()
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setenv("CODEX_PY_HOME", "/nonexistent/codex-py-home")  # outside /tmp: /tmp stays a root
    return ws, tmpdir


def test_exclude_keys_remove_only_their_own_temp_root(temp_layout: tuple[Path, Path]) -> None:
    ws, tmpdir = temp_layout
    default = policy_for(ws).write_roots()
    assert default == [ws, Path("/tmp"), Path("/dev/shm"), tmpdir]
    no_tmp = policy_for(ws, "sandbox_workspace_write.exclude_slash_tmp=true").write_roots()
    assert no_tmp == [ws, Path("/dev/shm"), tmpdir]
    no_tmpdir = policy_for(ws, "sandbox_workspace_write.exclude_tmpdir_env_var=true").write_roots()
    assert no_tmpdir == [ws, Path("/tmp"), Path("/dev/shm")]
    assert startup_warnings(policy_for(ws)) == []


@needs_landlock
async def test_excluded_temp_roots_are_not_writable(temp_layout: tuple[Path, Path]) -> None:
    ws, tmpdir = temp_layout
    both = policy_for(
        ws, "sandbox_workspace_write.exclude_slash_tmp=true", "sandbox_workspace_write.exclude_tmpdir_env_var=true"
    )
    only_tmp = policy_for(ws, "sandbox_workspace_write.exclude_slash_tmp=true")
    in_tmp = Path(tempfile.mkdtemp(prefix="codex-py-exclude-", dir="/tmp"))
    try:
        script = f"touch {tmpdir}/a; touch {in_tmp}/b; touch inside"
        await run_command(["sh", "-c", script], cwd=ws, timeout_ms=20_000, policy=both)
        assert (ws / "inside").exists() and not (tmpdir / "a").exists() and not (in_tmp / "b").exists()
        await run_command(["sh", "-c", script], cwd=ws, timeout_ms=20_000, policy=only_tmp)
        assert (tmpdir / "a").exists() and not (in_tmp / "b").exists()
    finally:
        shutil.rmtree(in_tmp, ignore_errors=True)


def test_roots_holding_the_home_or_installation_are_dropped_and_named(tmp_path: Path) -> None:
    ws, home, install, extra = tmp_path / "ws", tmp_path / "h", tmp_path / "venv", tmp_path / "extra"
    policy = SandboxPolicy(
        "workspace-write",
        ws,
        [tmp_path, extra, home / "sessions"],
        temp_roots=[],
        home=(home,),
        install=(install / "lib",),
    )
    assert policy.write_roots() == [ws, extra]
    assert policy.dropped_roots() == [(tmp_path, home), (home / "sessions", home)]
    assert not policy.can_write(home / "config.toml")
    warnings = startup_warnings(policy)
    assert len(warnings) == 2 and "lies inside codex-py's home" in warnings[1]
    only_install = SandboxPolicy("workspace-write", ws, [tmp_path], temp_roots=[], install=(install / "lib",))
    assert only_install.write_roots() == [ws]
    assert "install codex-py elsewhere" in startup_warnings(only_install)[0]
    assert startup_warnings(SandboxPolicy("danger-full-access", ws, [tmp_path], home=(home,))) == []


@pytest.mark.parametrize("folder", [".codex-py", ".codex"])
def test_a_patch_to_the_project_config_is_never_applied_unasked(
    fake_provider: FakeProvider, tmp_path: Path, folder: str
) -> None:
    """A trusted project's ``.codex-py/config.toml`` (or ``.codex/``) starts MCP servers outside the sandbox: the
    model must not add one by a patch without approval (exec: declined, the file unchanged)."""
    work = tmp_path / "work"
    (work / folder).mkdir(parents=True)
    project = work / folder / "config.toml"
    project.write_text("# project settings\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(provider_toml(fake_provider.base_url))
    patch = (
        f"*** Begin Patch\n*** Update File: {folder}/config.toml\n@@\n # project settings\n"
        '+[mcp_servers.evil]\n+command = "sh"\n*** End Patch\n'
    )
    fake_provider.script(Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}))]), Reply(text="Done."))
    out = exec_("-a", "on-request", "patch it", cwd=work, env={"CODEX_PY_HOME": str(home), **SECRETS})
    assert out.returncode == 0, out.stderr
    assert project.read_text() == "# project settings\n"
    assert "patch rejected" in json.dumps(fake_provider.requests[1].json)
