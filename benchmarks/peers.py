"""Peers: the same one-shot as ``codex-py exec``, against the same loopback fake, by other agents' CLIs.

Looked up on ``PATH`` and in ``$CODEX_PY_BENCH_PEERS`` (a ``node_modules/.bin``-style directory;
default ``/tmp/peers/node_modules/.bin``, where ``npm install --prefix /tmp/peers @openai/codex`` puts
Codex CLI). A peer that is missing gets a "not installed" row; one that fails gets its error as the
note. Nothing in CI depends on peers.

- ``codex`` (npm ``@openai/codex``): ``codex exec`` with a temp ``CODEX_HOME`` whose ``config.toml``
  points a ``fake`` model provider at the fake's Responses endpoint.
- ``claude`` (npm ``@anthropic-ai/claude-code``): ``claude -p`` with ``ANTHROPIC_BASE_URL`` at the fake.
- ``llm`` (simonw/llm): ``llm -m gpt-4o-mini`` with ``OPENAI_BASE_URL`` at the fake (Chat Completions).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks import Options
from benchmarks.exec_run import ANSWER, FIRST_CHAR_REPLY, PROMPT, BenchFake, first_char_latency_ms, make_workdir
from benchmarks.exec_run import ExecSetup as _Setup
from benchmarks.report import Row, measured, missing
from benchmarks.startup import Measured, run_child

SECTION = "peers"
DEFAULT_PEERS_DIR = "/tmp/peers/node_modules/.bin"
DUMMY_KEY = "sk-bench-not-a-real-key"

PeerCommand = Callable[[str, BenchFake, Path], tuple[list[str], dict[str, str]]]


def find_peer(name: str) -> str | None:
    """The executable for ``name``: ``$CODEX_PY_BENCH_PEERS`` (or the default dir) first, then ``PATH``."""
    extra = os.environ.get("CODEX_PY_BENCH_PEERS", DEFAULT_PEERS_DIR)
    return shutil.which(name, path=extra) or shutil.which(name)


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.pop("CODEX_HOME", None)
    env.update({"NO_COLOR": "1", "TERM": "dumb"})
    return env


def codex_command(exe: str, fake: BenchFake, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """``codex exec`` with a ``CODEX_HOME`` that selects the fake as a Responses provider."""
    home = tmp / "codex-home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-fake"\n'
        'model_provider = "fake"\n'
        "[model_providers.fake]\n"
        'name = "fake"\n'
        f'base_url = "{fake.base_url}"\n'
        'wire_api = "responses"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n",
        encoding="utf-8",
    )
    env = _base_env() | {"CODEX_HOME": str(home)}
    return [exe, "exec", "--skip-git-repo-check", "-s", "danger-full-access", PROMPT], env


def claude_command(exe: str, fake: BenchFake, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """``claude -p`` against the fake's Messages endpoint with a dummy key."""
    env = _base_env() | {
        "ANTHROPIC_BASE_URL": fake.url,
        "ANTHROPIC_API_KEY": DUMMY_KEY,
        "HOME": str(tmp),
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    return [exe, "-p", "--model", "claude-fake", PROMPT], env


def llm_command(exe: str, fake: BenchFake, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """``llm`` (OpenAI plugin, Chat Completions) against the fake with a dummy key."""
    env = _base_env() | {
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": DUMMY_KEY,
        "LLM_USER_PATH": str(tmp / "llm"),
    }
    return [exe, "-m", "gpt-4o-mini", "--no-log", PROMPT], env


PEERS: dict[str, PeerCommand] = {"codex": codex_command, "claude": claude_command, "llm": llm_command}


def _once(argv: list[str], env: dict[str, str], cwd: Path, expected: str, *, rss: bool = False) -> Measured:
    m = run_child(argv, env=env, cwd=cwd, timeout=60, rss=rss)
    if m.returncode != 0 or expected.encode() not in m.stdout:
        tail = " / ".join((m.stderr.strip() or m.stdout.decode("utf-8", "replace")).splitlines()[-2:])
        raise RuntimeError(f"exit {m.returncode}: {tail[:160]}")
    return m


def measure_peer(name: str, exe: str, options: Options) -> list[Row]:
    """Wall time, peak RSS and first-character latency of one peer's one-shot."""
    walls: list[float] = []
    rss: list[float] = []
    first: list[float] = []
    version: list[float] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp_name, BenchFake() as fake:
        tmp = Path(tmp_name)
        workdir = make_workdir(tmp)
        argv, env = PEERS[name](exe, fake, tmp)
        setup = _Setup(fake, tmp, workdir)
        try:
            _once(argv, env, workdir, ANSWER)  # warm-up
            for _ in range(options.repeat):
                version.append(run_child([exe, "--version"], env=env, cwd=workdir).wall_s * 1000)
                m = _once(argv, env, workdir, ANSWER)
                walls.append(m.wall_s * 1000)
                rss.append(_once(argv, env, workdir, ANSWER, rss=True).rss_mb or 0.0)
                fake.script(FIRST_CHAR_REPLY)
                paced = _once(argv, env, workdir, FIRST_CHAR_REPLY.full_text)
                first.append(first_char_latency_ms(setup, paced))
        except RuntimeError as exc:
            return [missing(SECTION, f"{name} one-shot", f"failed: {exc}")]
    return [
        measured(SECTION, f"{name} one-shot", walls, "ms", note=exe),
        measured(SECTION, f"{name} peak RSS", rss, "MB"),
        measured(SECTION, f"{name} first char after server sent it", first, "ms"),
        measured(SECTION, f"{name} --version", version, "ms"),
    ]


def run(options: Options) -> list[Row]:
    """Every known peer, measured or marked "not installed"."""
    rows: list[Row] = []
    for name in PEERS:
        exe = find_peer(name)
        if exe is None:
            rows.append(missing(SECTION, f"{name} one-shot", "not installed"))
            continue
        rows.extend(measure_peer(name, exe, options))
    return rows
