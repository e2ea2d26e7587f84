"""Put a session together: credentials, model client, instructions, rollout, resumed history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codex_py.agent.events import EventSink, Warning
from codex_py.agent.instructions import build_instructions
from codex_py.agent.session import Session, new_session_id
from codex_py.config import Config, resolve_paths

if TYPE_CHECKING:
    from codex_py.protocol.items import Item
    from codex_py.session.resume import ResumeTarget


async def create_session(
    config: Config,
    sink: EventSink,
    *,
    interactive: bool,
    resume: ResumeTarget | None = None,
) -> Session:
    """Build a ready-to-run ``Session`` for ``config``.

    Raises ``errors.NoCredentialsError`` (exit 3) when the provider needs a login that is
    missing, and ``errors.UsageError`` when the session to resume cannot be found.
    """
    from codex_py.login.resolve import resolve_provider_auth
    from codex_py.providers import open_client
    from codex_py.providers.catalog import model_info
    from codex_py.sandbox.policy import SandboxPolicy, startup_warnings
    from codex_py.session.agents_md import load_project_docs
    from codex_py.session.rollout import RolloutRecorder, find_rollout, load_rollout

    paths = resolve_paths()
    history: list[Item] = []
    transcript: list[Item] | None = None
    tool_records: dict[str, dict[str, Any]] = {}
    usage_records: list[dict[str, Any]] = []
    if resume is not None:
        path = find_rollout(paths, resume.session_id, last=resume.last, cwd=config.cwd)
        recorder = RolloutRecorder.reopen(path)  # locked first: a session another process runs is refused
        try:
            loaded = load_rollout(path)
        except BaseException:
            recorder.close()
            raise
        session_id = loaded.meta.id
        history = list(loaded.items)
        transcript, tool_records, usage_records = loaded.transcript, loaded.tool_records, loaded.usage_records
    else:
        session_id = new_session_id()
        recorder = RolloutRecorder.create(paths, session_id=session_id, config=config)
    recorder.on_failure = lambda message: sink(Warning(message))  # e.g. a full disk: said once, the turn goes on

    provider_auth = resolve_provider_auth(config, config.provider, session_id=session_id)
    client = open_client(
        config.provider,
        auth=provider_auth.auth,
        base_url=provider_auth.base_url,
        extra_headers=provider_auth.headers,
        backend=provider_auth.backend,
    )
    info = model_info(config.provider, config.model)
    patch_format = ""
    if "freeform_apply_patch" in info.native_tools:
        from codex_py.tools.apply_patch.texts import APPLY_PATCH_INSTRUCTIONS

        patch_format = APPLY_PATCH_INSTRUCTIONS
    from codex_py.skills.loader import discover_skills, render_skills

    skills = discover_skills(paths.config_dir, config.cwd, toggles=config.skills.config)
    listed = render_skills(skills.skills) if config.skills.include_instructions else ""
    instructions = build_instructions(
        config, load_project_docs(config, paths), patch_format=patch_format, skills=listed
    )
    session = Session(
        config,
        client,
        sink,
        session_id=session_id,
        instructions=instructions,
        history=history,
        recorder=recorder,
        interactive=interactive,
        context_window=info.context_window,
        transcript=transcript,
        tool_records=tool_records,
    )
    session.auth_mode = provider_auth.mode
    session.restore_usage(usage_records)
    session.skills = skills
    for note in skills.warnings:
        sink(Warning(note))
    _attach_hooks(session, config, paths, recorder)
    if config.checkpoints:
        from codex_py.session.checkpoints import CheckpointStore, TurnCheckpointer

        store = CheckpointStore.for_workspace(
            paths.data_dir, config.cwd, max_file_bytes=config.checkpoint_max_file_bytes
        )
        session.checkpointer = TurnCheckpointer(
            store,
            session_id,
            recorder.record_event,
            max_age_days=config.checkpoint_max_age_days,
            max_store_bytes=config.checkpoint_max_store_mb * 1024 * 1024,
        )
    session.cost.billed = provider_auth.backend != "chatgpt"  # a subscription pays no per-token price
    if config.sandbox_mode != "danger-full-access" and _landlock_abi() == 0:
        sink(
            Warning(
                "The Linux sandbox (Landlock) is not available on this system: every command will ask for approval."
            )
        )
    for message in startup_warnings(SandboxPolicy.from_config(config)):
        sink(Warning(message))
    if config.project_config_ignored is not None:
        from codex_py.mcp.commands import ignored_project_servers

        sink(Warning(ignored_project_servers(config)))
    if any(server.enabled for server in config.mcp_servers.values()):
        await _start_mcp(session, config)
    return session


def _landlock_abi() -> int:
    from codex_py.sandbox.landlock import landlock_abi  # ctypes: loaded only when a sandbox is asked for

    return landlock_abi()


def _attach_hooks(session: Session, config: Config, paths: Any, recorder: Any) -> None:
    """Load the hooks; the project's untrusted ones wait (``session.untrusted_hooks``: the TUI asks, exec
    says it did not run them)."""
    from codex_py.hooks.loader import load_hooks
    from codex_py.hooks.trust import describe, split_trusted

    hookset = load_hooks(config.hooks, paths.config_file, config.cwd)
    for note in hookset.warnings:
        session.sink(Warning(note))
    runnable, untrusted = split_trusted(hookset, config.hooks)
    session.untrusted_hooks = untrusted
    if untrusted and not session.interactive:
        session.sink(
            Warning(
                f"not running {len(untrusted)} project hook(s) that you have not trusted yet:\n{describe(untrusted)}\n"
                "review them by starting codex-py (the TUI) in this folder, or trust them with "
                "`codex-py hooks trust`"
            )
        )
    if runnable:
        session.attach_hooks(make_hook_runner(session, config, runnable, recorder))


def make_hook_runner(session: Session, config: Config, handlers: list[Any], recorder: Any) -> Any:
    """A ``HookRunner`` for ``handlers`` in ``session`` (its sandbox policy, Codex's common stdin fields)."""
    from codex_py.hooks.runner import HookRunner

    policy = session.runner.policy
    path = getattr(recorder, "path", None)
    common = {
        "session_id": session.session_id,
        "transcript_path": str(path) if path else None,
        "cwd": str(config.cwd),
        "model": config.model,
        "permission_mode": "bypassPermissions" if config.approval_policy == "never" else "default",
    }
    sandbox = policy if policy.mode != "danger-full-access" else None
    return HookRunner(handlers, cwd=config.cwd, policy=sandbox, common=common)


async def _start_mcp(session: Session, config: Config) -> None:
    """Start the MCP servers in the background; wait only for the ``required`` ones."""
    from codex_py.errors import CodexPyError
    from codex_py.mcp.manager import McpManager

    manager = McpManager(config.mcp_servers, cwd=config.cwd, credentials_store=config.credentials_store)
    required = any(s.required and s.enabled for s in config.mcp_servers.values())
    # exec's first request goes out at once: it would not carry the tools of servers still starting, so
    # they start once it has left and take no CPU from it (the TUI starts them at once, while you type)
    session.attach_mcp(manager, start=session.interactive or required)
    failed = await manager.wait_required()
    if failed:
        await session.aclose()
        raise CodexPyError(
            "required MCP servers failed to initialize: " + "; ".join(f"{s.name}: {s.error}" for s in failed),
            "fix the server (see its stderr above), or set required = false in its [mcp_servers.NAME] table",
        )
