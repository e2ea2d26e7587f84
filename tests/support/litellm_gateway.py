"""A real third-party gateway for tests: the LiteLLM proxy, installed from PyPI into its own venv (never into
the project's), started on 127.0.0.1 with a config file.

The venv lives under ``$CODEX_PY_TEST_CACHE`` (default ``/var/tmp``) as ``codex-py-test-litellm-VERSION`` and is
reused by later runs; it is built in a ``.partial`` folder and renamed when complete, under a lock, so an
interrupted or concurrent install never leaves a half venv behind. Each step has a time limit; when one fails
the caller gets the reason (``GatewayUnavailable``) to skip with.

Pinned: LiteLLM 1.106.12 (1.107.0 was a compromised release; the ``[proxy]`` extra of 1.108 and later pins
``litellm-proxy`` / ``litellm-proxy-extras`` builds that are not on PyPI). Its remote model-cost-map fetch is
turned off, so it makes no connection beyond 127.0.0.1.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

LITELLM_VERSION = "1.106.12"
INSTALL_TIMEOUT_S = 600.0
START_TIMEOUT_S = 90.0


class GatewayUnavailable(Exception):
    """LiteLLM could not be installed or started; the message says why (a skip reason)."""


def venv_dir() -> Path:
    cache = Path(os.environ.get("CODEX_PY_TEST_CACHE") or "/var/tmp")
    return cache / f"codex-py-test-litellm-{LITELLM_VERSION}"


def install(timeout_s: float = INSTALL_TIMEOUT_S) -> Path:
    """The venv's python, installing ``litellm[proxy]`` first when it is not there yet."""
    target = venv_dir()
    python = target / "bin" / "python"
    if (target / ".complete").exists():
        return python
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run installing: wait for it, then use its venv
        if (target / ".complete").exists():
            return python
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        deadline = time.monotonic() + timeout_s
        try:
            _run([sys.executable, "-m", "venv", str(partial)], deadline, "create a venv")
            pip = [str(partial / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            _run(
                [*pip, f"litellm[proxy]=={LITELLM_VERSION}"], deadline, f"pip install litellm[proxy]=={LITELLM_VERSION}"
            )
            (partial / ".complete").write_text(LITELLM_VERSION + "\n")
            partial.rename(target)  # the venv's python finds its packages relative to itself: moving is safe
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return python


def _run(argv: list[str], deadline: float, what: str) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise GatewayUnavailable(f"could not {what}: out of time")
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=left, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise GatewayUnavailable(f"could not {what} within {INSTALL_TIMEOUT_S:.0f} s") from None
    if out.returncode != 0:
        tail = " ".join(line for line in out.stderr.splitlines() if not line.startswith("WARNING"))[-300:]
        raise GatewayUnavailable(f"could not {what}: {tail or f'exit {out.returncode}'}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(python: Path, config: Path, timeout_s: float = START_TIMEOUT_S) -> Iterator[str]:
    """Run the proxy with ``config`` on a free loopback port until the block ends; yields its base URL
    (``http://127.0.0.1:PORT``). Its log is ``config``'s name with ``.log``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY") and k != "DATABASE_URL"}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", NO_PROXY="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    log_path = config.with_suffix(".log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(python), "-m", "litellm.proxy.proxy_cli", "--config", str(config), "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=config.parent, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise GatewayUnavailable(f"the LiteLLM proxy exited ({proc.returncode}): {_tail(log_path)}")
            try:
                if httpx.get(f"{url}/health/liveliness", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise GatewayUnavailable(f"the LiteLLM proxy did not start within {timeout_s:.0f} s: {_tail(log_path)}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _tail(path: Path) -> str:
    try:
        return " ".join(path.read_text(errors="replace").split())[-300:]
    except OSError:
        return ""
