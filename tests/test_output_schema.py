"""``exec --output-schema FILE`` end to end on every wire: the schema rides in each request in the wire's
native form, a conforming answer is written with ``-o``, a violating one fails the turn, a bad file or a
schema the provider rejects gives a one-line error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, HttpError, Reply

WIRES = ("responses", "chat", "messages")
QUIET = ["-s", "danger-full-access", "-a", "never", "--skip-git-repo-check"]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["ok", "broken"]}, "files": {"type": "integer"}},
    "required": ["verdict", "files"],
    "additionalProperties": False,
}


PLAN = Call("update_plan", json.dumps({"plan": [{"step": "look", "status": "completed"}]}))


def configure(home: Path, fake: FakeProvider, wire: str, model: str = "gpt-fake") -> None:
    (home / "config.toml").write_text(
        f'model = "{model}"\nmodel_provider = "fake"\n[model_providers.fake]\n'
        f'base_url = "{fake.base_url}"\nwire_api = "{wire}"\nrequest_max_retries = 0\nstream_max_retries = 0\n'
    )


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", *QUIET, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def schema_in(request: dict[str, Any], wire: str) -> Any:
    if wire == "responses":
        fmt = request["text"]["format"]
        assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "codex_output_schema", True)
        return fmt["schema"]
    if wire == "chat":
        fmt = request["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        return fmt["json_schema"]["schema"]
    fmt = request["output_config"]["format"]
    assert fmt["type"] == "json_schema"
    return fmt["schema"]


@pytest.mark.parametrize("wire", WIRES)
def test_schema_in_every_request_and_the_answer_is_checked(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire)
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA))
    out_file = tmp_path / "answer.json"
    fake_provider.script(
        Reply(tool_calls=[PLAN]),
        Reply(text='{"verdict": "ok", "files": 3}'),
    )
    out = run(tmp_path, "--output-schema", str(schema_file), "-o", str(out_file), "check it")
    assert out.returncode == 0, out.stderr
    assert json.loads(out_file.read_text()) == {"verdict": "ok", "files": 3}
    assert [schema_in(r.json, wire) for r in fake_provider.requests] == [SCHEMA, SCHEMA]

    fake_provider.script(Reply(text='{"verdict": "maybe", "files": 3}'))
    out_file.unlink()
    out = run(tmp_path, "--json", "--output-schema", str(schema_file), "-o", str(out_file), "again")
    assert out.returncode == 1
    failed = json.loads(out.stdout.splitlines()[-1])
    assert failed["type"] == "turn.failed"
    assert (
        "does not follow the output schema: 'maybe' is not one of ['ok', 'broken'] at verdict"
        in (failed["error"]["message"])
    )
    assert not out_file.exists()

    fake_provider.script(Reply(text="Sure! Here it is."))
    out = run(tmp_path, "--output-schema", str(schema_file), "prose")
    assert out.returncode == 1 and "error: the final answer is not JSON" in out.stderr


def test_without_the_flag_no_schema_is_sent(fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path) -> None:
    configure(isolated_home, fake_provider, "responses")
    fake_provider.script(Reply(text="plain"))
    assert run(tmp_path, "hi").returncode == 0
    assert "text" not in fake_provider.last_request.json


def test_bad_schema_files_are_usage_errors(fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path) -> None:
    configure(isolated_home, fake_provider, "responses")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{nope")
    not_schema = tmp_path / "not_schema.json"
    not_schema.write_text(json.dumps({"type": "objekt"}))
    for path, message in (
        (tmp_path / "missing.json", "Failed to read output schema file"),
        (bad_json, "is not valid JSON"),
        (not_schema, "is not a valid JSON schema: 'objekt' is not valid under any of the given schemas at type"),
    ):
        out = run(tmp_path, "--output-schema", str(path), "hi")
        assert out.returncode == 2, out.stderr
        assert out.stderr.startswith(f"error: {'Output schema file' if path != tmp_path / 'missing.json' else ''}")
        assert message in out.stderr and "Traceback" not in out.stderr
    assert fake_provider.requests == []


@pytest.mark.parametrize("wire", WIRES)
def test_a_schema_the_provider_rejects_is_one_line_naming_the_problem(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire)
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    schema_file = tmp_path / "loose.json"
    schema_file.write_text(json.dumps(loose))
    problem = "Invalid schema for response_format 'codex_output_schema': 'additionalProperties' is required to be false"
    fake_provider.script(HttpError(400, message=problem, type="invalid_request_error"))
    out = run(tmp_path, "--output-schema", str(schema_file), "hi")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    error = next(line for line in lines if line.startswith("error: "))
    assert problem in error
    hint = lines[lines.index(error) + 1]
    assert hint.startswith(f"hint: fix the schema in {schema_file}") and "additionalProperties" in hint


def test_messages_model_without_structured_output_gets_a_forced_answer_tool(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    """claude-sonnet-4 (catalog: no structured output): the schema rides as the input_schema of a forced
    ``final_answer`` tool, not as ``output_config.format``; the tool call's input is the answer, checked
    against the schema and written by ``-o``; the tool is never run."""
    configure(isolated_home, fake_provider, "messages", model="claude-sonnet-4-20250514")
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA))
    out_file = tmp_path / "answer.json"
    fake_provider.script(
        Reply(tool_calls=[PLAN]),
        Reply(tool_calls=[Call("final_answer", '{"verdict": "broken", "files": 2}')]),
    )
    out = run(tmp_path, "--json", "--output-schema", str(schema_file), "-o", str(out_file), "check it")
    assert out.returncode == 0, out.stderr
    assert json.loads(out_file.read_text()) == {"verdict": "broken", "files": 2}
    events = [json.loads(line) for line in out.stdout.splitlines()]
    items = [e["item"] for e in events if e["type"] in ("item.started", "item.completed")]
    assert sorted(i["type"] for i in items) == ["agent_message", "todo_list", "todo_list"]  # final_answer never ran
    message = next(i for i in items if i["type"] == "agent_message")
    assert json.loads(message["text"]) == {"verdict": "broken", "files": 2}
    assert len(fake_provider.requests) == 2  # final_answer ended the turn: no tool result was sent back
    for request in fake_provider.requests:
        body = request.json
        assert "format" not in body.get("output_config", {}) and "thinking" not in body
        answer = [t for t in body["tools"] if t.get("name") == "final_answer"]
        assert len(answer) == 1 and answer[0]["input_schema"] == SCHEMA
        assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}

    fake_provider.script(Reply(tool_calls=[Call("final_answer", '{"verdict": "maybe", "files": 2}')]))
    out_file.unlink()
    out = run(tmp_path, "--output-schema", str(schema_file), "-o", str(out_file), "again")
    assert out.returncode == 1
    assert "error: the final answer does not follow the output schema: 'maybe' is not one of" in out.stderr
    assert not out_file.exists()
