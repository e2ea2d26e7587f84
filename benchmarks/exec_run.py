"""``codex-py exec`` one-shot against the loopback fake: wall time, peak RSS and time to the first character.

The fake (``tests/support/fake_provider.py``) runs in this process, in a thread. Its handler is extended
to note the moment it wrote the first text delta of each stream, so "first character" is measured from
the server sending it to the child's stdout showing it (both on this machine's monotonic clock).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import Options
from benchmarks.report import Row, measured, median
from benchmarks.startup import Measured, checked, child_env, codex_py_argv, run_child
from tests.support.fake_provider import FakeProvider, _Handler
from tests.support.replies import Reply
from tests.support.sse import Rendered

SECTION = "exec"
ANSWER = "Hello from the fake provider."
PROMPT = "say hello"
FIRST_CHAR_REPLY = Reply(text="Hello there, this answer streams word by word.", delay=0.01)
"""Paced so the client is idle and waiting when the first delta goes out."""
_TEXT_MARKERS = (b"response.output_text.delta", b'"content":"', b"text_delta")


class _TimedHandler(_Handler):
    """The fake's handler, noting when the first text delta of a stream went out."""

    def _stream(self, reply: Reply, rendered: Rendered, headers: dict[str, str]) -> None:
        self._text_sent = False
        super()._stream(reply, rendered, headers)

    def _write_chunk(self, data: bytes) -> None:
        super()._write_chunk(data)
        if not self._text_sent and any(marker in data for marker in _TEXT_MARKERS):
            self._text_sent = True
            fake = self.server.fake
            assert isinstance(fake, BenchFake)
            fake.first_text_at.append(time.monotonic())


class BenchFake(FakeProvider):
    """A ``FakeProvider`` answering every request with ``ANSWER`` and recording first-text times."""

    def __init__(self) -> None:
        super().__init__(default=Reply(text=ANSWER))
        self._server.RequestHandlerClass = _TimedHandler
        self.first_text_at: list[float] = []

    def __enter__(self) -> BenchFake:
        self.start()
        return self


@dataclass(slots=True)
class ExecSetup:
    """A running fake plus a codex-py home configured for it and a git work dir."""

    fake: BenchFake
    home: Path
    workdir: Path

    def env(self) -> dict[str, str]:
        return child_env(self.home)

    def argv(self, prompt: str = PROMPT) -> list[str]:
        return [*codex_py_argv(), "exec", "-s", "danger-full-access", "-a", "never", prompt]

    def run_once(self, reply: Reply | None = None, *, rss: bool = False) -> Measured:
        """One exec one-shot (optionally with a scripted reply); fails loudly on a wrong answer."""
        if reply is not None:
            self.fake.script(reply)
        m = checked(run_child(self.argv(), env=self.env(), cwd=self.workdir, rss=rss), "codex-py exec")
        expected = (reply.full_text if reply is not None else ANSWER).encode()
        if expected not in m.stdout:
            raise RuntimeError(f"codex-py exec printed {m.stdout[:200]!r}, expected the fake's answer")
        return m


def write_config(home: Path, base_url: str) -> None:
    """A codex-py ``config.toml`` selecting the fake as a Responses provider without auth."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-fake"\n'
        'model_provider = "fake"\n'
        "[model_providers.fake]\n"
        'name = "Fake"\n'
        f'base_url = "{base_url}"\n'
        'wire_api = "responses"\n'
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n",
        encoding="utf-8",
    )


def make_workdir(root: Path) -> Path:
    """A directory that looks like a git repository (no warning about unreviewable changes)."""
    work = root / "work"
    (work / ".git").mkdir(parents=True)
    (work / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return work


@contextmanager
def exec_setup() -> Iterator[ExecSetup]:
    """Start the fake and prepare a home and a work dir; all removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-exec-") as tmp, BenchFake() as fake:
        root = Path(tmp)
        write_config(root / "home", fake.base_url)
        yield ExecSetup(fake, root / "home", make_workdir(root))


def first_char_latency_ms(setup: ExecSetup, m: Measured) -> float:
    """From the server writing the first text delta to the child's stdout showing a character."""
    if m.first_out_at is None or not setup.fake.first_text_at:
        raise RuntimeError("no first character or no first delta recorded")
    return (m.first_out_at - setup.fake.first_text_at[-1]) * 1000


CODEX_RATIO_TARGET = 0.8
"""Issue 17: exec one-shot wall time at most 0.8x Codex CLI's native binary, runs interleaved."""


def run(options: Options) -> list[Row]:
    """Exec one-shot wall/RSS (plain reply) and first-character latency (paced reply), interleaved; with
    Codex CLI installed, its one-shot runs alternate with codex-py's against the same fake (an A/B run:
    both see the same machine load) and the ratio row holds each pair's ratio."""
    from benchmarks.peers import _once, codex_command, find_peer

    walls: list[float] = []
    rss: list[float] = []
    launch_to_first: list[float] = []
    first_char: list[float] = []
    codex_walls: list[float] = []
    codex_exe = find_peer("codex")
    with exec_setup() as setup:
        codex_argv, codex_env = codex_command(codex_exe, setup.fake, setup.home.parent) if codex_exe else ([], {})

        def codex_once() -> float:
            return _once(codex_argv, codex_env, setup.workdir, ANSWER).wall_s * 1000

        setup.run_once()  # warm-up
        if codex_exe:
            codex_once()
        for i in range(options.repeat):
            if codex_exe and i % 2:  # alternate who goes first
                codex_walls.append(codex_once())
            m = setup.run_once()
            walls.append(m.wall_s * 1000)
            if codex_exe and not i % 2:
                codex_walls.append(codex_once())
            rss.append(setup.run_once(rss=True).rss_mb or 0.0)
            assert m.first_out_at is not None
            launch_to_first.append((m.first_out_at - m.started_at) * 1000)
            paced = setup.run_once(FIRST_CHAR_REPLY)
            first_char.append(first_char_latency_ms(setup, paced))
    rows = [
        measured(SECTION, "codex-py exec one-shot", walls, "ms", note="wall, loopback fake, Responses wire"),
        measured(SECTION, "codex-py exec peak RSS", rss, "MB", target="< 80 MB", ok=median(rss) < 80),
        measured(SECTION, "exec launch -> first char", launch_to_first, "ms"),
        measured(
            SECTION,
            "first char after server sent it",
            first_char,
            "ms",
            target="<= 20 ms",
            ok=median(first_char) <= 20,
        ),
    ]
    name = "exec one-shot / codex (interleaved A/B)"
    target = f"<= {CODEX_RATIO_TARGET:.2f}"
    if not codex_walls:
        rows[0].note += "; no A/B ratio: Codex CLI is not installed (docs/benchmarks.md, Peers)"
        return rows
    ratio = median(walls) / median(codex_walls)
    note = f"codex {median(codex_walls):.0f} ms ({codex_exe}); ratio of the medians {ratio:.2f}"
    pairs = [ours / theirs for ours, theirs in zip(walls, codex_walls, strict=True)]
    ok = median(pairs) <= CODEX_RATIO_TARGET
    rows.append(measured(SECTION, name, pairs, "x", target=target, ok=ok, note=note))
    return rows
