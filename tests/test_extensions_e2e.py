"""Skills, custom prompts, hooks, notify and project-doc fallbacks, end to end through ``codex-py exec``
against the loopback fake model on every wire (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply

WIRES = ("responses", "chat", "messages")
QUIET = ["-s", "danger-full-access", "-a", "never"]

SKILL = """---
name: pdf-tools
description: Extract text and tables from PDF files. Use when the user mentions PDFs.
---
# PDF tools

BODY-MARKER-7f3a: run scripts/extract.py on the file.
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    repo = tmp_path / "work"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return repo


def configure(home: Path, fake: FakeProvider, wire: str, extra: str = "") -> None:
    (home / "config.toml").write_text(
        extra + 'model = "gpt-fake"\n'
        'model_provider = "fake"\n'
        "[model_providers.fake]\n"
        'name = "Fake"\n'
        f'base_url = "{fake.base_url}"\n'
        f'wire_api = "{wire}"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
    )


def run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def body(fake: FakeProvider, index: int = -1) -> str:
    """The whole request (instructions and input, whatever the wire calls them) as text."""
    return json.dumps(fake.requests[index].json)


def instructions(fake: FakeProvider, index: int = 0) -> str:
    data: Any = fake.requests[index].json
    if "instructions" in data:
        return str(data["instructions"])
    if "system" in data:
        return json.dumps(data["system"])
    return str(data["messages"][0]["content"])


def shell(command: list[str], call_id: str) -> Call:
    return Call("shell", json.dumps({"command": command}), call_id=call_id)


# --- skills ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
def test_skill_listed_by_name_and_description_body_only_when_invoked(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    """Mutation caught: render_skills emitting the body; `$name` not injecting it."""
    configure(isolated_home, fake_provider, wire)
    skill_dir = isolated_home / "skills" / "pdf-tools"
    skill_dir.mkdir(parents=True)
    (skill_dir / "SKILL.md").write_text(SKILL)
    fake_provider.script(Reply(text="hi"), Reply(text="using it"), Reply(text="slash"))

    out = run(*QUIET, "hello there", cwd=workdir)
    assert out.returncode == 0, out.stderr
    listed = instructions(fake_provider, 0)
    assert "pdf-tools" in listed and "Extract text and tables from PDF files" in listed
    assert str(skill_dir / "SKILL.md") in listed
    assert "BODY-MARKER-7f3a" not in body(fake_provider, 0), "progressive disclosure: no body up front"

    out = run(*QUIET, "convert report.pdf with $pdf-tools please", cwd=workdir)
    assert out.returncode == 0, out.stderr
    sent = body(fake_provider, 1)
    assert "BODY-MARKER-7f3a" in sent and "<name>pdf-tools</name>" in sent
    assert "convert report.pdf with $pdf-tools please" in sent

    out = run(*QUIET, "/pdf-tools report.pdf", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "BODY-MARKER-7f3a" in body(fake_provider, 2)


def test_skills_config_turns_a_skill_off_and_include_instructions_hides_the_list(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """``[[skills.config]]`` (by path or by name, the last entry wins) and ``[skills] include_instructions``."""
    skill_dir = isolated_home / "skills" / "pdf-tools"
    skill_dir.mkdir(parents=True)
    (skill_dir / "SKILL.md").write_text(SKILL)
    other = isolated_home / "skills" / "lint"
    other.mkdir()
    (other / "SKILL.md").write_text("---\nname: lint\ndescription: Run the linters.\n---\nLINT-BODY-55\n")
    toggles = (
        f"[[skills.config]]\npath = {json.dumps(str(skill_dir / 'SKILL.md'))}\nenabled = false\n"
        '[[skills.config]]\nname = "lint"\nenabled = false\n'
        '[[skills.config]]\nname = "lint"\nenabled = true\n'
    )
    configure(isolated_home, fake_provider, "responses")
    with (isolated_home / "config.toml").open("a") as handle:
        handle.write(toggles)
    fake_provider.script(Reply(text="one"), Reply(text="two"))
    out = run(*QUIET, "use $pdf-tools and $lint", cwd=workdir)
    assert out.returncode == 0, out.stderr
    listed = instructions(fake_provider, 0)
    assert "pdf-tools" not in listed and "lint: Run the linters." in listed
    sent = body(fake_provider, 0)
    assert "BODY-MARKER-7f3a" not in sent and "LINT-BODY-55" in sent, "a disabled skill was injected"
    listing = subprocess.run(
        [sys.executable, "-m", "codex_py", "skills", "list", "--json"], cwd=workdir, capture_output=True, text=True
    )
    shown = json.loads(listing.stdout)
    assert [s["name"] for s in shown["skills"]] == ["lint"] and shown["disabled"][0]["name"] == "pdf-tools"

    out = run(*QUIET, "-c", "skills.include_instructions=false", "use $lint", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "Run the linters." not in instructions(fake_provider, 1)
    assert "LINT-BODY-55" in body(fake_provider, 1), "$name still injects a skill when the list is left out"


def test_bad_skill_is_one_warning_and_the_rest_load(isolated_home: Path, workdir: Path) -> None:
    good = isolated_home / "skills" / "good"
    bad = workdir / ".agents" / "skills" / "bad"
    good.mkdir(parents=True)
    bad.mkdir(parents=True)
    (good / "SKILL.md").write_text("---\nname: good\ndescription: >\n  Folded\n  text.\n---\nbody\n")
    (bad / "SKILL.md").write_text("no front matter here\n")
    out = subprocess.run(
        [sys.executable, "-m", "codex_py", "skills", "list", "--json"], cwd=workdir, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(s["name"], s["description"], s["scope"]) for s in data["skills"]] == [("good", "Folded text.", "user")]
    assert len(data["warnings"]) == 1 and str(bad / "SKILL.md") in data["warnings"][0]
    assert "missing YAML frontmatter" in data["warnings"][0]
    human = subprocess.run(
        [sys.executable, "-m", "codex_py", "skills", "list"], cwd=workdir, capture_output=True, text=True
    )
    assert "good" in human.stdout and str(bad / "SKILL.md") in human.stderr and "Traceback" not in human.stderr


# --- custom prompts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
def test_custom_prompt_expands_and_missing_args_send_nothing(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    prompts = isolated_home / "prompts"
    prompts.mkdir()
    (prompts / "fix.md").write_text(
        "---\ndescription: Fix something\nargument-hint: WHAT\n---\nPlease fix $ARGUMENTS carefully ($1).\n"
    )
    (prompts / "review.md").write_text("Review $FILE for $FOCUS issues.\n")
    fake_provider.script(Reply(text="fixed"), Reply(text="reviewed"))

    out = run(*QUIET, "/prompts:fix the parser", cwd=workdir)
    assert out.returncode == 0, out.stderr
    sent = body(fake_provider, 0)
    assert "Please fix the parser carefully (the)." in sent and "/prompts:fix" not in sent

    out = run(*QUIET, "/prompts:review FILE=src/a.py", cwd=workdir)
    assert out.returncode == 2
    assert "Missing required args for /prompts:review: FOCUS" in out.stderr and "usage: /prompts:review" in out.stderr
    assert len(fake_provider.requests) == 1, "nothing is sent when an argument is missing"

    out = run(*QUIET, '/prompts:review FILE=src/a.py FOCUS="memory safety"', cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "Review src/a.py for memory safety issues." in body(fake_provider, 1)

    out = run(*QUIET, "/prompts:nope", cwd=workdir)
    assert out.returncode == 2 and "unknown custom prompt /prompts:nope" in out.stderr
    assert "/prompts:fix" in out.stderr


# --- hooks ----------------------------------------------------------------------------------------------

BLOCK_RM = (
    """input=$(cat); case "$input" in *'"command":"rm '*) """
    """echo "rm is not allowed in this repository" >&2; exit 2;; esac"""
)


def hooks_toml(event: str, command: str, matcher: str = "", timeout: int | None = None) -> str:
    lines = [f"[[hooks.{event}]]"]
    if matcher:
        lines.append(f"matcher = {json.dumps(matcher)}")
    lines += [f"[[hooks.{event}.hooks]]", 'type = "command"', f"command = {json.dumps(command)}"]
    if timeout is not None:
        lines.append(f"timeout = {timeout}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("wire", WIRES)
def test_pre_tool_use_hook_exit_2_blocks_rm_and_the_model_gets_the_reason(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    """Mutation caught: ignoring PreToolUse's block (the file is deleted)."""
    hooks = hooks_toml("PreToolUse", BLOCK_RM, matcher="Bash")
    (isolated_home / "hooks.json").write_text("{}")  # an empty hooks.json beside config.toml is fine
    configure(isolated_home, fake_provider, wire)
    with (isolated_home / "config.toml").open("a") as handle:
        handle.write(hooks)
    victim = workdir / "victim.txt"
    victim.write_text("keep me")
    fake_provider.script(
        Reply(tool_calls=[shell(["rm", "victim.txt"], "c1")]),
        Reply(tool_calls=[shell(["touch", "allowed.txt"], "c2")]),
        Reply(text="ok"),
    )
    out = run("--json", *QUIET, "clean up", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert victim.read_text() == "keep me", "the blocked command ran"
    assert (workdir / "allowed.txt").exists(), "a command the hook lets through runs"
    second = body(fake_provider, 1)
    assert "Command blocked by PreToolUse hook: rm is not allowed in this repository. Command: rm victim.txt" in second
    items = [json.loads(line)["item"] for line in out.stdout.splitlines() if '"item.completed"' in line]
    commands = [i for i in items if i["type"] == "command_execution"]
    assert commands[0]["status"] == "declined" and commands[1]["exit_code"] == 0


@pytest.mark.parametrize("wire", WIRES)
def test_user_prompt_submit_context_reaches_the_request_and_stop_runs_once(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    stop_log = workdir / "stop.log"
    context = json.dumps(
        {"hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": "CTX-MARKER-91: sprint 12"}}
    )
    hooks = hooks_toml("UserPromptSubmit", f"cat > prompt.json; echo '{context}'")
    hooks += hooks_toml("Stop", f"cat >> {stop_log}; echo >> {stop_log}")
    configure(isolated_home, fake_provider, wire)
    with (isolated_home / "config.toml").open("a") as handle:
        handle.write(hooks)
    fake_provider.script(Reply(tool_calls=[shell(["true"], "c1")]), Reply(text="done"))
    out = run(*QUIET, "what is planned", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "CTX-MARKER-91: sprint 12" in body(fake_provider, 0)
    received = json.loads((workdir / "prompt.json").read_text())
    assert received["hook_event_name"] == "UserPromptSubmit" and received["prompt"] == "what is planned"
    assert received["cwd"] == str(workdir) and received["session_id"] and received["model"] == "gpt-fake"
    stops = [json.loads(line) for line in stop_log.read_text().splitlines() if line.strip()]
    assert len(stops) == 1, "Stop runs once per turn, not per model request"
    assert stops[0]["last_assistant_message"] == "done" and stops[0]["stop_hook_active"] is False


def test_stop_hook_block_continues_the_turn_with_its_reason(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    script = 'if [ -e once ]; then exit 0; fi; touch once; echo "run the tests before stopping" >&2; exit 2'
    configure(isolated_home, fake_provider, "responses", extra="")
    with (isolated_home / "config.toml").open("a") as handle:
        handle.write(hooks_toml("Stop", script))
    fake_provider.script(Reply(text="first"), Reply(text="tests pass"))
    out = run(*QUIET, "finish", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert len(fake_provider.requests) == 2
    assert "run the tests before stopping" in body(fake_provider, 1)


def test_failing_hanging_and_garbage_hooks_are_warnings(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    hooks = hooks_toml("UserPromptSubmit", "echo broken >&2; exit 1")
    hooks += hooks_toml("UserPromptSubmit", "echo '{not json'")
    hooks += hooks_toml("PreToolUse", "sleep 30", timeout=1)
    hooks += hooks_toml("PostToolUse", "exit 2")
    configure(isolated_home, fake_provider, "chat")
    with (isolated_home / "config.toml").open("a") as handle:
        handle.write(hooks)
    fake_provider.script(Reply(tool_calls=[shell(["touch", "ran.txt"], "c1")]), Reply(text="fine"))
    started = time.monotonic()
    out = run(*QUIET, "go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - started < 20
    assert (workdir / "ran.txt").exists()
    assert "exited with code 1: broken" in out.stderr
    assert "printed invalid JSON" in out.stderr
    assert "hook timed out after 1s" in out.stderr
    assert "exited with code 2 but gave no reason" in out.stderr
    assert "Traceback" not in out.stderr


def test_untrusted_project_hook_does_not_run_in_exec_until_trusted(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """Mutation caught: split_trusted treating project hooks as trusted (the marker appears on the first run)."""
    configure(isolated_home, fake_provider, "responses")
    marker = workdir / "project-hook-ran"
    (workdir / ".codex").mkdir()
    hooks_file = workdir / ".codex" / "hooks.json"
    hook = {"type": "command", "command": f"touch {marker}"}
    hooks_file.write_text(json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": [hook]}]}}))
    fake_provider.script(Reply(text="one"), Reply(text="two"), Reply(text="three"))

    out = run(*QUIET, "hi", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert not marker.exists(), "an untrusted project hook ran"
    assert "not running 1 project hook(s) that you have not trusted yet" in out.stderr
    assert str(hooks_file) in out.stderr and f"touch {marker}" in out.stderr

    trusted = subprocess.run(
        [sys.executable, "-m", "codex_py", "hooks", "trust"], cwd=workdir, capture_output=True, text=True
    )
    assert trusted.returncode == 0, trusted.stderr
    assert "trusted_hash" in (isolated_home / "config.toml").read_text()
    out = run(*QUIET, "hi", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert marker.exists(), "a trusted project hook did not run"

    marker.unlink()
    hook["command"] = f"touch {marker}; true"
    hooks_file.write_text(json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": [hook]}]}}))
    out = run(*QUIET, "hi", cwd=workdir)
    assert not marker.exists(), "a changed project hook ran without new trust"


# --- notify and project docs ----------------------------------------------------------------------------


def test_notify_program_gets_the_turn_complete_json(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "notified.json"
    notify = ["sh", "-c", f'printf "%s" "$0" > {target}.part && mv {target}.part {target}']
    configure(isolated_home, fake_provider, "messages", extra=f"notify = {json.dumps(notify)}\n")
    fake_provider.script(Reply(text="All done here."))
    out = run("--json", *QUIET, "do the thing", cwd=workdir)
    assert out.returncode == 0, out.stderr
    thread_id = json.loads(out.stdout.splitlines()[0])["thread_id"]
    deadline = time.monotonic() + 10
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    payload = json.loads(target.read_text())
    assert payload["type"] == "agent-turn-complete"
    assert payload["thread-id"] == thread_id and payload["turn-id"]
    assert payload["input-messages"] == ["do the thing"]
    assert payload["last-assistant-message"] == "All done here."
    assert payload["cwd"] == str(workdir) and payload["client"] == "codex-py-exec"


@pytest.mark.parametrize("wire", WIRES)
def test_claude_md_is_read_through_the_fallback_setting(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    """Mutation caught: _pick ignoring the fallbacks."""
    configure(isolated_home, fake_provider, wire)
    (workdir / "CLAUDE.md").write_text("CLAUDE-MARKER-55: use tabs.\n")
    fake_provider.script(Reply(text="a"), Reply(text="b"))
    assert run(*QUIET, "hi", cwd=workdir).returncode == 0
    assert "CLAUDE-MARKER-55" not in instructions(fake_provider, 0), "CLAUDE.md is not read by default (Codex)"
    out = run(*QUIET, "-c", 'project_doc_fallback_filenames=["GEMINI.md","CLAUDE.md"]', "hi", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "CLAUDE-MARKER-55: use tabs." in instructions(fake_provider, 1)


def test_hooks_run_under_the_sessions_sandbox_policy(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """A hook in workspace-write may write in the workspace, not outside it, and sees no secrets.
    Mutation caught: HookRunner built with policy=None (the outside file appears)."""
    from codex_py.sandbox.landlock import landlock_abi

    if landlock_abi() == 0:
        pytest.skip("this kernel has no Landlock: hooks run unsandboxed like commands")
    outside = Path(tempfile.mkdtemp(prefix="codex-py-hook-outside-", dir="/var/tmp"))
    try:
        script = f"env > inside.env; touch inside.txt; touch {outside}/escaped.txt"
        configure(isolated_home, fake_provider, "responses")
        with (isolated_home / "config.toml").open("a") as handle:
            handle.write(hooks_toml("UserPromptSubmit", script))
        fake_provider.script(Reply(text="ok"))
        out = subprocess.run(
            [sys.executable, "-m", "codex_py", "exec", "-s", "workspace-write", "-a", "never", "hi"],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "MY_SERVICE_TOKEN": "tok-secret-123"},
        )
        assert out.returncode == 0, out.stderr
        assert (workdir / "inside.txt").exists(), "the hook runs in the workspace"
        assert not (outside / "escaped.txt").exists(), "a hook wrote outside the workspace"
        assert "UserPromptSubmit hook" in out.stderr and "exited with code 1" in out.stderr
        env = (workdir / "inside.env").read_text()
        assert "tok-secret-123" not in env and f"CLAUDE_PROJECT_DIR={workdir}" in env
    finally:
        shutil.rmtree(outside, ignore_errors=True)


def _logged(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def test_post_compact_stop_failure_and_session_end_hooks_run_with_their_fields(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """The later Codex / Claude Code events: PreCompact and PostCompact (matcher on the trigger, the summary),
    StopFailure when a turn fails on an error, SessionEnd when the run ends (only once a turn ran)."""
    from tests.support.replies import HttpError

    log = workdir / "events.log"
    record = f"cat >> {log}; echo >> {log}"
    hooks = hooks_toml("PreCompact", record, matcher="auto") + hooks_toml("PostCompact", record, matcher="auto")
    hooks += hooks_toml("PostCompact", "touch manual-matched", matcher="manual")
    hooks += hooks_toml("StopFailure", record) + hooks_toml("SessionEnd", record)
    configure(isolated_home, fake_provider, "responses", extra="model_auto_compact_token_limit = 1\n")
    with (isolated_home / "config.toml").open("a") as handle:
        handle.write(hooks)
    fake_provider.script(Reply(text="SUMMARY-MARKER-5"), Reply(text="done"))
    out = run(*QUIET, "a long task", cwd=workdir)
    assert out.returncode == 0, out.stderr
    events = _logged(log)
    assert [e["hook_event_name"] for e in events] == ["PreCompact", "PostCompact", "SessionEnd"]
    assert events[0]["trigger"] == events[1]["trigger"] == "auto" and "permission_mode" not in events[1]
    assert "SUMMARY-MARKER-5" in events[1]["compact_summary"]
    assert events[2]["reason"] == "other" and events[2]["session_id"] == events[0]["session_id"]
    assert not (workdir / "manual-matched").exists(), "a PostCompact matcher on `manual` ran for an auto compaction"

    log.unlink()
    fake_provider.script(HttpError(400, message="no such parameter: frobnicate"))
    out = run(*QUIET, "-c", "model_auto_compact_token_limit=1000000", "break it", cwd=workdir)
    assert out.returncode == 1
    failed, ended = _logged(log)
    assert failed["hook_event_name"] == "StopFailure" and "frobnicate" in failed["error"] and failed["turn_id"]
    assert ended["hook_event_name"] == "SessionEnd"


def test_an_interrupted_turn_runs_the_interrupt_hook_then_session_end(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    import signal

    log = workdir / "events.log"
    record = f"cat >> {log}; echo >> {log}"
    configure(isolated_home, fake_provider, "chat")
    with (isolated_home / "config.toml").open("a") as handle:
        handle.write(hooks_toml("Interrupt", record) + hooks_toml("SessionEnd", record))
    fake_provider.script(Reply(text="never ends", stall_after=2))
    process = subprocess.Popen(
        [sys.executable, "-m", "codex_py", "exec", *QUIET, "work slowly"],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not fake_provider.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    events = _logged(log)
    assert [e["hook_event_name"] for e in events] == ["Interrupt", "SessionEnd"], err
    assert events[0]["reason"] == "interrupted" and events[0]["turn_id"]
