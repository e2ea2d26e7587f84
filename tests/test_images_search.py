"""Images and web search end to end: ``codex-py exec`` (a real subprocess) against the loopback fake provider,
on every wire each feature applies to.

Images: ``-i`` sends each wire's native image part (fitted to the provider's limits), a prompt after ``-i``
stays the prompt, ``view_image`` returns an image in the tool result, rollouts keep a reference (path +
hash) that a resume reads again, a known no-vision model fails before anything is sent.
Web search: ``--search`` puts the wire's search tool in the request, a scripted search shows as Codex's
``web_search`` items, its results go back verbatim on the next request, citations keep their URLs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply, Search

WIRES = ("responses", "chat", "messages")
SEARCH_WIRES = ("responses", "messages")
QUIET = ["-s", "danger-full-access", "-a", "never", "--skip-git-repo-check"]
MODELS = {"responses": "gpt-5", "chat": "gpt-4o", "messages": "claude-sonnet-4-5"}


def configure(home: Path, fake: FakeProvider, wire: str, model: str | None = None, extra: str = "") -> None:
    (home / "config.toml").write_text(
        f'model = "{model or MODELS[wire]}"\nmodel_provider = "fake"\n{extra}\n'
        "[model_providers.fake]\n"
        f'base_url = "{fake.base_url}"\nwire_api = "{wire}"\nrequest_max_retries = 0\nstream_max_retries = 0\n'
    )


def run(cwd: Path, *args: str, resume: bool = False) -> subprocess.CompletedProcess[str]:
    command = ["exec", "resume", "--last"] if resume else ["exec"]
    return subprocess.run(
        [sys.executable, "-m", "codex_py", *command, *QUIET, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def events(out: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.stdout.splitlines()]


def png(path: Path, size: tuple[int, int], color: str = "red") -> bytes:
    Image.new("RGB", size, color).save(path, "PNG")
    return path.read_bytes()


def image_parts(wire: str, body: dict[str, Any]) -> list[tuple[str, bytes]]:
    """(media type, bytes) of every image in the request, in each wire's native form."""
    found: list[tuple[str, bytes]] = []

    def data_url(url: str) -> tuple[str, bytes]:
        assert url.startswith("data:"), url[:40]
        header, _, data = url.partition(",")
        return header[5:].split(";")[0], base64.b64decode(data)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if wire == "responses" and node.get("type") == "input_image":
                found.append(data_url(node["image_url"]))
            elif wire == "chat" and node.get("type") == "image_url":
                found.append(data_url(node["image_url"]["url"]))
            elif wire == "messages" and node.get("type") == "image":
                source = node["source"]
                assert source["type"] == "base64"
                found.append((source["media_type"], base64.b64decode(source["data"])))
            else:
                for value in node.values():
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return found


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# --- images -------------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
def test_exec_image_goes_out_as_the_wires_native_part_and_the_prompt_after_it_stays_the_prompt(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire)
    small = png(tmp_path / "a.png", (40, 30))
    png(tmp_path / "b.png", (20, 20), "blue")
    fake_provider.script(Reply(text="a red and a blue square"))
    out = run(tmp_path, "-i", "a.png,b.png", "describe these", "--json")
    assert out.returncode == 0, out.stderr
    body = fake_provider.requests[0].json
    parts = image_parts(wire, body)
    assert [m for m, _ in parts] == ["image/png", "image/png"]
    assert parts[0][1] == small  # within every limit: byte for byte
    assert size_of(parts[1][1]) == (20, 20)
    assert "describe these" in json.dumps(body)


@pytest.mark.parametrize(("wire", "longest"), [("responses", 2048), ("chat", 2048), ("messages", 1568)])
def test_a_large_image_is_scaled_to_the_providers_limit(
    wire: str, longest: int, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire)
    png(tmp_path / "wide.png", (4000, 1000))
    fake_provider.script(Reply(text="wide"))
    out = run(tmp_path, "-i", "wide.png", "what is this")
    assert out.returncode == 0, out.stderr
    [(_, data)] = image_parts(wire, fake_provider.requests[0].json)
    assert size_of(data) == (longest, longest // 4)


def test_a_model_the_catalog_knows_has_no_vision_fails_before_sending(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, "chat", model="deepseek-chat")
    png(tmp_path / "a.png", (10, 10))
    out = run(tmp_path, "-i", "a.png", "describe")
    assert out.returncode == 1
    assert "does not accept images" in out.stderr
    assert fake_provider.requests == []


def test_a_missing_image_is_a_one_line_usage_error(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, "responses")
    (tmp_path / "notes.png").write_text("not an image")
    for name, words in (("nope.png", "cannot read image nope.png"), ("notes.png", "not an image")):
        out = run(tmp_path, "-i", name, "describe")
        assert out.returncode == 2
        assert words in out.stderr
        assert "Traceback" not in out.stderr
    assert fake_provider.requests == []


@pytest.mark.parametrize("wire", WIRES)
def test_view_image_returns_the_image_to_the_model(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire)
    shot = png(tmp_path / "shot.png", (64, 48), "green")
    fake_provider.script(Reply(tool_calls=[Call("view_image", json.dumps({"path": "shot.png"}))]), Reply(text="green"))
    out = run(tmp_path, "look at shot.png", "--json")
    assert out.returncode == 0, out.stderr
    first, second = (r.json for r in fake_provider.requests)
    names = [t.get("name") or t.get("function", {}).get("name") for t in first["tools"]]
    assert "view_image" in names
    assert image_parts(wire, first) == []
    assert image_parts(wire, second) == [("image/png", shot)]
    if wire == "responses":
        [output] = [i for i in second["input"] if i["type"] == "function_call_output"]
        assert output["output"][-1]["type"] == "input_image"
    elif wire == "messages":
        result = second["messages"][-1]["content"][0]
        assert result["type"] == "tool_result" and result["content"][-1]["type"] == "image"
    else:  # tool messages are text only: the image follows them as a user message
        assert [m["role"] for m in second["messages"][-2:]] == ["tool", "user"]


def test_rollout_keeps_a_reference_and_resume_reads_the_file_again(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, "responses")
    picture = png(tmp_path / "a.png", (300, 200), "purple")
    fake_provider.script(Reply(text="purple"), Reply(text="still purple"), Reply(text="gone"))
    assert run(tmp_path, "-i", "a.png", "colour?").returncode == 0
    [rollout] = list((isolated_home / "sessions").rglob("*.jsonl"))
    text = rollout.read_text()
    assert base64.b64encode(picture).decode()[:200] not in text
    assert hashlib.sha256(picture).hexdigest() in text
    assert str((tmp_path / "a.png").resolve()) in text

    assert run(tmp_path, "again?", resume=True).returncode == 0
    assert image_parts("responses", fake_provider.requests[1].json) == [("image/png", picture)]

    png(tmp_path / "a.png", (300, 200), "yellow")  # changed since it was attached
    out = run(tmp_path, "and now?", resume=True)
    assert out.returncode == 0, out.stderr
    third = fake_provider.requests[2].json
    assert image_parts("responses", third) == []
    assert "changed since it was attached" in json.dumps(third)


# --- web search ---------------------------------------------------------------------------------

RESULTS = (("https://example.org/weather", "Weather today"), ("https://example.com/rain", "Rain"))


def search_tool(wire: str, body: dict[str, Any]) -> dict[str, Any] | None:
    kind = "web_search" if wire == "responses" else "web_search_20250305"
    return next((t for t in body.get("tools", []) if t.get("type") == kind), None)


@pytest.mark.parametrize("wire", WIRES)
def test_search_flag_puts_the_wires_search_tool_in_the_request(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    extra = '[tools.web_search]\nmax_uses = 3\nallowed_domains = ["example.org"]\n'
    configure(isolated_home, fake_provider, wire, extra=extra)
    fake_provider.script(Reply(text="ok"), Reply(text="ok"))
    out = run(tmp_path, "--search", "--json", "weather?")
    assert out.returncode == 0, out.stderr
    body = fake_provider.requests[0].json
    tool = search_tool(wire, body)
    if wire == "responses":
        assert tool == {
            "type": "web_search",
            "external_web_access": True,
            "filters": {"allowed_domains": ["example.org"]},
        }
    elif wire == "messages":
        assert tool == {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 3,
            "allowed_domains": ["example.org"],
            "cache_control": {"type": "ephemeral"},
        } or tool == {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 3,
            "allowed_domains": ["example.org"],
        }
    else:
        assert tool is None and "web_search" not in json.dumps(body.get("tools", []))
        notes = [e["item"]["message"] for e in events(out) if e.get("item", {}).get("type") == "error"]
        assert any("Web search is unavailable for provider" in n for n in notes)
    # off without --search (codex-py's default), cached with web_search = "cached"
    out = run(tmp_path, "-c", 'web_search="cached"', "again")
    cached = search_tool(wire, fake_provider.requests[1].json)
    if wire == "responses":
        assert cached is not None and cached["external_web_access"] is False
    elif wire == "messages":
        assert cached is not None


@pytest.mark.parametrize("wire", SEARCH_WIRES)
def test_a_search_shows_as_web_search_items_and_its_results_go_back_verbatim(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire)
    search = Search("weather in Paris", RESULTS)
    fake_provider.script(
        Reply(searches=[search], tool_calls=[Call("shell", json.dumps({"command": ["true"]}))]),
        Reply(text="Sunny."),
    )
    out = run(tmp_path, "--search", "--json", "weather in Paris?")
    assert out.returncode == 0, out.stderr
    got = events(out)
    web = [e for e in got if e.get("item", {}).get("type") == "web_search"]
    assert web[0] == {
        "type": "item.started",
        "item": {"id": web[0]["item"]["id"], "type": "web_search", "query": "", "action": {"type": "other"}},
    }
    done = web[1]
    assert done["type"] == "item.completed"
    assert done["item"]["query"] == "weather in Paris"
    assert done["item"]["action"] == {"type": "search", "query": "weather in Paris"}
    assert done["item"]["urls"] == [url for url, _ in RESULTS]

    second = fake_provider.requests[1].json
    if wire == "responses":
        [echo] = [i for i in second["input"] if i.get("type") == "web_search_call"]
        assert "id" not in echo  # nothing is stored server-side (store: false)
        assert echo["action"]["query"] == "weather in Paris" and echo["status"] == "completed"
    else:
        assistant = next(m for m in second["messages"] if m["role"] == "assistant")
        kinds = [b["type"] for b in assistant["content"]]
        assert kinds[:2] == ["server_tool_use", "web_search_tool_result"]
        use, result = assistant["content"][:2]
        assert use["input"] == {"query": "weather in Paris"} and result["tool_use_id"] == use["id"]
        assert [r["encrypted_content"] for r in result["content"]] == [search.encrypted(0), search.encrypted(1)]


@pytest.mark.parametrize("wire", SEARCH_WIRES)
def test_citations_keep_their_urls(wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(Reply(searches=[Search("rain", RESULTS)], text="It will rain."))
    out = run(tmp_path, "--search", "rain?")
    assert out.returncode == 0, out.stderr
    assert "It will rain." in out.stdout
    assert "Sources:" in out.stdout and "https://example.org/weather" in out.stdout
    assert "Searched rain" in out.stderr
