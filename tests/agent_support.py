"""Helpers for agent tests: a Session wired to the loopback fake through the real provider client."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from codex_py.agent.events import AgentEvent, ApprovalRequest, ApprovalResult, Decision
from codex_py.agent.session import Session
from codex_py.config import CliOverrides, load_config
from codex_py.providers import open_client
from tests.support.fake_provider import FakeProvider


class Sink:
    """Collects agent events; answers approval requests with ``decide``."""

    def __init__(self, decide: Callable[[ApprovalRequest], ApprovalResult] | None = None) -> None:
        self.events: list[AgentEvent] = []
        self.decide = decide or (lambda _req: ApprovalResult(Decision.APPROVE))

    def __call__(self, event: AgentEvent) -> None:
        self.events.append(event)
        if isinstance(event, ApprovalRequest) and event.future is not None:
            event.future.set_result(self.decide(event))

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def make_session(
    fake: FakeProvider,
    workspace: Path,
    wire_api: str,
    *,
    model: str = "test-model",
    overrides: list[str] | None = None,
    sink: Sink | None = None,
    interactive: bool = True,
    sandbox: str | None = None,
    approval: str | None = "never",
) -> tuple[Session, Sink]:
    config = load_config(
        CliOverrides(
            provider="fake",
            model=model,
            cd=workspace,
            sandbox=sandbox,
            approval=approval,
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                f'model_providers.fake.wire_api="{wire_api}"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=1",
                *(overrides or []),
            ],
        )
    )
    sink = sink or Sink()
    client = open_client(config.provider, extra_headers={"x-api-key": "test"} if wire_api == "messages" else None)
    session = Session(
        config, client, sink, session_id="sess-1", instructions="You are a test agent.", interactive=interactive
    )
    return session, sink
