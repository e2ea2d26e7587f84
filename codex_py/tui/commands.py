"""Slash commands: ``/name args`` typed in the composer."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from codex_py.tui.spend import cmd_cost
from codex_py.tui.widgets.status_bar import short_tokens

if TYPE_CHECKING:
    from codex_py.config import Config
    from codex_py.session.checkpoints import RestoreResult
    from codex_py.session.rewind import Prompt
    from codex_py.tui.screens.chat import ChatScreen

Handler = Callable[["ChatScreen", str], Awaitable[None]]

INIT_PROMPT = (
    "Generate a file named AGENTS.md that serves as a contributor guide for this repository. "
    "Look at the layout, build and test commands, coding style and commit conventions, and write concise, "
    "specific instructions (200-400 words, Markdown headings) that an agent would need to work here."
)
APPROVAL_PRESETS = (
    ("read-only/on-request", "Read only", "reads files; asks before any edit or command"),
    ("workspace-write/on-request", "Auto", "edits and runs commands in the workspace; asks to go beyond"),
    ("workspace-write/untrusted", "Ask first", "asks before every command that is not known to be safe"),
    ("danger-full-access/never", "Full access", "no sandbox, never asks: use with care"),
)
LOGINS = (
    ("chatgpt", "ChatGPT", "ChatGPT sign-in"),
    ("claude", "Claude", "Anthropic Console sign-in (its API key)"),
    ("openai", "OpenAI API key", ""),
    ("anthropic", "Anthropic API key", ""),
    ("all", "Everything", "every stored credential"),
)


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """One command of the popup."""

    name: str
    description: str
    handler: Handler
    while_running: bool = False
    """Usable while a turn runs."""


async def dispatch(screen: ChatScreen, line: str) -> None:
    """Run ``/name args``; unknown names get a one-line error naming /help."""
    name, _, args = line[1:].strip().partition(" ")
    command = BY_NAME.get(name.lower())
    if command is None and name.startswith("mcp__"):  # an MCP prompt: the session expands it into the turn
        screen.send(line.strip())
        return
    if command is None:
        from codex_py.tui.extensions import run_extension_command

        if await run_extension_command(screen, line):  # /prompts:NAME args, /SKILL args
            return
        screen.notice(f"unknown command /{name}", "error", "type / to see the commands, or /help")
        return
    if screen.busy and not command.while_running:
        screen.notice(f"/{command.name} is not available while a turn runs", "error", "press esc to stop the turn")
        return
    await command.handler(screen, args.strip())


async def _pick(screen: ChatScreen, title: str, choices: list[tuple[str, str, str]], current: str | None) -> str | None:
    from codex_py.tui.screens.picker import PickerScreen

    result: str | None = await screen.app.push_screen_wait(PickerScreen(title, choices, current=current))
    return result


def _run_in_worker(screen: ChatScreen, coro: Awaitable[None]) -> None:
    """Pickers wait for the user, which must happen in a worker."""
    screen.run_worker(coro, group="command", exclusive=True, exit_on_error=False)


# --- model / provider / approvals -------------------------------------------------------------
def catalog_models(family: str) -> list[str]:
    """Model slugs from the catalog for a login family ("openai", "anthropic" or "" for all)."""
    try:
        data = json.loads((resources.files("codex_py.providers") / "catalog.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, ModuleNotFoundError):
        return []
    slugs = [str(m["slug"]) for m in data.get("models", []) if isinstance(m, dict) and "slug" in m]
    if family == "anthropic":
        return [s for s in slugs if s.startswith("claude")]
    if family == "openai":
        return [s for s in slugs if not s.startswith("claude")]
    return slugs


async def cmd_model(screen: ChatScreen, args: str) -> None:
    """/model [NAME [EFFORT]]: pick the model and reasoning effort."""
    if args:
        name, _, effort = args.partition(" ")
        _set_model(screen, name, effort.strip() or None)
        return

    async def flow() -> None:
        config = screen.codex.config
        models = await provider_models(screen)
        if config.model and config.model not in models:
            models.insert(0, config.model)
        model = await _pick(screen, "Model", [(m, m, "") for m in models], config.model)
        if model is None:
            return
        efforts = _efforts(screen, model)
        effort = None
        if efforts:
            effort = await _pick(
                screen,
                f"Reasoning effort for {model}",
                [(e, e, "") for e in efforts],
                config.model_reasoning_effort or _default_effort(screen, model),
            )
        _set_model(screen, model, effort)

    _run_in_worker(screen, flow())


async def provider_models(screen: ChatScreen) -> list[str]:
    """The models to offer: the catalog for OpenAI and Anthropic, else what the server lists
    (``GET /models``: Ollama, LM Studio, vLLM, OpenRouter... serve the OpenAI shape)."""
    config = screen.codex.config
    provider = config.provider
    if provider.auth in ("openai", "anthropic"):
        return catalog_models(provider.auth)
    import httpx

    from codex_py.errors import CodexPyError
    from codex_py.login.resolve import resolve_provider_auth
    from codex_py.providers.catalog import list_models

    session = screen.codex.session
    try:
        found = resolve_provider_auth(config, provider, session_id=session.session_id if session else "")
        return await list_models(provider, found.auth, found.base_url)
    except httpx.HTTPStatusError as exc:
        reason = f"HTTP {exc.response.status_code} from {exc.request.url.copy_with(query=None)}"
    except (CodexPyError, httpx.HTTPError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
    screen.notice(
        f"could not list the models of {provider.name or config.model_provider} ({reason})",
        "warning",
        "type /model NAME to choose one by name",
    )
    return []


def _efforts(screen: ChatScreen, model: str) -> tuple[str, ...]:
    from codex_py.providers.catalog import model_info

    return model_info(screen.codex.config.provider, model).reasoning_efforts


def _default_effort(screen: ChatScreen, model: str) -> str | None:
    from codex_py.providers.catalog import model_info

    return model_info(screen.codex.config.provider, model).default_reasoning_effort


def _set_model(screen: ChatScreen, model: str, effort: str | None) -> None:
    valid = ("none", "minimal", "low", "medium", "high", "xhigh")
    if effort is not None and effort not in valid:
        screen.notice(f"unknown reasoning effort {effort!r}", "error", "use one of: " + ", ".join(valid))
        return
    app = screen.codex
    app.apply_config(replace(app.config, model=model, model_reasoning_effort=effort))  # type: ignore[arg-type]
    if app.session is not None:
        from codex_py.providers.catalog import model_info

        app.session.context_window = model_info(app.config.provider, model).context_window
    screen.notice(f"Model: {model}" + (f" ({effort})" if effort else ""), "info")


async def cmd_provider(screen: ChatScreen, args: str) -> None:
    """/provider [ID]: switch provider; the conversation carries over."""

    async def flow() -> None:
        config = screen.codex.config
        choice = args or await _pick(
            screen,
            "Provider",
            [(pid, info.name or pid, info.base_url) for pid, info in config.model_providers.items()],
            config.model_provider,
        )
        if choice is None:
            return
        info = config.model_providers.get(choice)
        if info is None:
            screen.notice(f"unknown provider {choice!r}", "error", "see [model_providers] in config.toml")
            return
        app = screen.codex
        app.config = replace(config, model_provider=choice, model=info.default_model or config.model)
        screen.notice(f"Provider: {info.name or choice}", "info")
        app.start_session(app.continue_target())

    _run_in_worker(screen, flow())


async def cmd_approvals(screen: ChatScreen, args: str) -> None:
    """/approvals: choose the sandbox and when to ask."""

    async def flow() -> None:
        config = screen.codex.config
        current = f"{config.sandbox_mode}/{config.approval_policy}"
        choice = args or await _pick(screen, "Approvals", list(APPROVAL_PRESETS), current)
        if choice is None:
            return
        sandbox, _, policy = choice.partition("/")
        if sandbox not in ("read-only", "workspace-write", "danger-full-access") or policy not in (
            "untrusted",
            "on-failure",
            "on-request",
            "never",
        ):
            screen.notice(f"unknown setting {choice!r}", "error", "use /approvals and pick one")
            return
        app = screen.codex
        app.apply_config(replace(config, sandbox_mode=sandbox, approval_policy=policy))  # type: ignore[arg-type]
        screen.notice(f"Sandbox: {sandbox} · approvals: {policy}", "info")

    _run_in_worker(screen, flow())


# --- login ----------------------------------------------------------------------------------
async def cmd_login(screen: ChatScreen, args: str) -> None:
    """/login: the sign-in screen."""
    screen.codex.show_onboarding("Choose how to sign in.")


async def cmd_logout(screen: ChatScreen, args: str) -> None:
    """/logout [chatgpt|claude|openai|anthropic|all]."""

    async def flow() -> None:
        choice = args or await _pick(screen, "Remove stored credentials", list(LOGINS), None)
        if choice is None:
            return
        try:
            from codex_py.login.status import logout

            config = screen.codex.config
            messages = await asyncio.to_thread(logout, config, None if choice == "all" else choice, choice == "all")
        except Exception as exc:
            screen.notice(f"logout failed: {exc}", "error", getattr(exc, "hint", "") or "try `codex-py logout`")
            return
        screen.notice("\n".join(messages) or f"Nothing was stored for {choice}.", "info")

    _run_in_worker(screen, flow())


# --- session ----------------------------------------------------------------------------------
async def cmd_new(screen: ChatScreen, args: str) -> None:
    """/new: a fresh conversation."""
    await screen.transcript.clear()
    screen.renderer.last_answer = None
    screen.codex.start_session(None)


async def cmd_resume(screen: ChatScreen, args: str) -> None:
    """/resume [ID]: reopen a recorded session."""
    from codex_py.session.resume import ResumeTarget

    async def flow() -> None:
        choice = args
        if not choice:
            from codex_py.session.listing import list_sessions

            sessions = await asyncio.to_thread(list_sessions, screen.codex.paths)
            if not sessions:
                screen.notice("no recorded sessions yet", "info")
                return
            now = time.time()
            choices = [
                (
                    s.id,
                    " ".join(s.first_prompt.split())[:60] or "(no prompt)",
                    f"{age(now - s.updated)} · {s.model} · {s.id[:8]}",
                )
                for s in sessions[:50]
            ]
            picked = await _pick(screen, "Resume a session", choices, None)
            if picked is None:
                return
            choice = picked
        await screen.transcript.clear()
        screen.codex.resume = ResumeTarget(choice)
        screen.codex.start_session(ResumeTarget(choice))

    _run_in_worker(screen, flow())


def age(seconds: float) -> str:
    """``just now``, ``5m ago``, ``3h ago``, ``2d ago``, ``7w ago``."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


async def cmd_compact(screen: ChatScreen, args: str) -> None:
    """/compact: summarize the conversation to free context."""
    session = screen.codex.session
    if session is None:
        screen.notice("no session yet", "error", "wait for the session to start")
        return
    if not session.history:
        screen.notice("Nothing to compact yet.", "info")
        return
    screen.run_session_task(None)


async def cmd_undo(screen: ChatScreen, args: str) -> None:
    """/undo [--force]: restore the files changed by the last turn (from its checkpoints)."""
    from codex_py.session.checkpoints import CheckpointError
    from codex_py.session.undo import apply_plan, plan_undo, read_checkpoints

    session = screen.codex.session
    checkpointer = session.checkpointer if session is not None else None
    path = getattr(session.recorder, "path", None) if session is not None else None
    if session is None or checkpointer is None or not isinstance(path, Path):
        screen.notice("checkpoints are off for this session", "error", "set checkpoints = true in config.toml")
        return
    turns = read_checkpoints(path) if path.exists() else []
    if not turns:
        screen.notice("Nothing to undo: no turn changed files yet (or all are undone).", "info")
        return
    try:
        plan = await asyncio.to_thread(plan_undo, checkpointer.store, session.session_id, turns[-1:])
        if plan.conflicts and args.strip() != "--force":
            shown = ", ".join(plan.conflicts[:5]) + (" ..." if len(plan.conflicts) > 5 else "")
            screen.notice(f"Not undone: changed since the turn: {shown}", "error", "/undo --force restores them anyway")
            return
        result = await asyncio.to_thread(apply_plan, checkpointer.store, plan)
    except CheckpointError as exc:
        screen.notice(f"cannot undo: {exc}", "error", "nothing was changed")
        return
    session.recorder.record_event("undo", {"turn_ids": [turns[-1].turn_id], "snapshot": plan.current})  # type: ignore[union-attr]
    done = restored_text(result, screen)
    screen.notice("Undid the last turn: " + (", ".join(done) if done else "its files were already as before") + ".")


async def cmd_rewind(screen: ChatScreen, args: str) -> None:
    """/rewind (Esc Esc): back to just before an earlier message: code, conversation, or both."""
    open_rewind(screen)


def open_rewind(screen: ChatScreen) -> None:
    """The rewind dialog, then the restore it asks for (in a worker: it waits for the user)."""
    from codex_py.session.rewind import prompts

    session = screen.codex.session
    if session is None:
        screen.notice("no session yet", "error", "wait for the session to start")
        return
    earlier = prompts(session.transcript)
    if not earlier:
        screen.notice("Nothing to rewind: you have not sent a message yet.", "info")
        return

    async def flow() -> None:
        from codex_py.tui.screens.rewind import RewindScreen, parse_choice

        value: str | None = await screen.app.push_screen_wait(RewindScreen([p.message.text for p in earlier]))
        choice = parse_choice(value)
        if choice is None:
            return
        index, mode = choice
        await rewind_to(screen, earlier[index], mode)

    _run_in_worker(screen, flow())


async def rewind_to(screen: ChatScreen, prompt: Prompt, mode: str) -> None:
    """Restore the files (``code``), the conversation (``conversation``) or both to just before ``prompt``."""
    from codex_py.session.checkpoints import CheckpointError
    from codex_py.session.rewind import conversation_before, plan_code_rewind
    from codex_py.session.undo import apply_plan

    session = screen.codex.session
    assert session is not None
    path = getattr(session.recorder, "path", None)
    rollout = path if isinstance(path, Path) else None
    done: list[str] = []
    if mode in ("code", "both"):
        checkpointer = session.checkpointer
        if checkpointer is None or rollout is None:
            screen.notice(
                "Not rewound: checkpoints are off for this session, so its files cannot be restored.",
                "error",
                "set checkpoints = true in config.toml; /rewind can still restore the conversation alone",
            )
            return
        try:
            store = checkpointer.store
            plan = await asyncio.to_thread(plan_code_rewind, store, session.session_id, rollout, prompt.index)
            if plan is not None and plan.conflicts:
                more = len(plan.conflicts) - 8
                shown = ", ".join(plan.conflicts[:8]) + (f" and {more} more" if more > 0 else "")
                answer = await _pick(
                    screen,
                    f"Changed since by you or another program: {shown}",
                    [
                        ("restore", "Restore them anyway", "their current content is replaced"),
                        ("cancel", "Cancel", "nothing is changed"),
                    ],
                    "cancel",
                )
                if answer != "restore":
                    screen.notice("Rewind cancelled: nothing was changed.", "info")
                    return
            result = await asyncio.to_thread(apply_plan, checkpointer.store, plan) if plan is not None else None
        except CheckpointError as exc:
            screen.notice(f"cannot rewind the code: {exc}", "error", "nothing was changed")
            return
        if plan is not None and result is not None:
            session.recorder.record_event(  # type: ignore[union-attr]
                "undo", {"turn_ids": [t.turn_id for t in plan.turns], "snapshot": plan.current}
            )
            done += restored_text(result, screen)
        done = done or ["the files were already as they were"]
    if mode in ("conversation", "both"):
        history, transcript = await asyncio.to_thread(
            conversation_before, prompt, session.history, session.transcript, rollout
        )
        session.roll_back(history, transcript, prompt.index)
        await screen.transcript.clear()
        screen.session_ready()  # redraws the header and the conversation as it is now
        composer = screen.composer
        composer.load_text(prompt.message.text)
        composer.move_cursor(composer.document.end)
        done.insert(0, f"the conversation is back to before message #{prompt.index + 1} (it is in the composer)")
    screen.notice("Rewound: " + "; ".join(done) + ".", "info")


async def cmd_fork(screen: ChatScreen, args: str) -> None:
    """/fork: copy this conversation into a new session and continue there (the original stays as it is)."""
    from codex_py.errors import CodexPyError
    from codex_py.session.fork import fork_rollout
    from codex_py.session.resume import ResumeTarget

    session = screen.codex.session
    path = getattr(session.recorder, "path", None) if session is not None else None
    if session is None or not isinstance(path, Path) or not path.exists():
        screen.notice("Nothing to fork yet: the session has no recorded message.", "info", "send a message first")
        return
    try:
        new_id, _ = await asyncio.to_thread(fork_rollout, screen.codex.paths, path)
    except CodexPyError as exc:
        screen.notice(f"/fork failed: {exc}", "error", exc.hint)
        return
    original = session.session_id
    await screen.transcript.clear()
    screen.codex.resume = ResumeTarget(new_id)
    screen.codex.start_session(ResumeTarget(new_id))
    screen.notice(f"Forked into session {new_id}; you are in the copy now. The original {original} is unchanged.")


async def cmd_export(screen: ChatScreen, args: str) -> None:
    """/export [FILE]: write the conversation as Markdown (or JSON for FILE.json), secrets redacted."""
    from codex_py.errors import CodexPyError
    from codex_py.session.export import export_text, format_of, write_export
    from codex_py.session.rollout import load_rollout

    session = screen.codex.session
    path = getattr(session.recorder, "path", None) if session is not None else None
    if session is None or not isinstance(path, Path) or not path.exists():
        screen.notice("Nothing to export yet: the session has no recorded message.", "info", "send a message first")
        return
    target = Path(args).expanduser() if args else Path(f"codex-py-{session.session_id[:8]}.md")
    if not target.is_absolute():
        target = screen.codex.config.cwd / target

    def write() -> None:
        write_export(export_text(load_rollout(path), format_of(None, target)), target)

    try:
        await asyncio.to_thread(write)
    except CodexPyError as exc:
        screen.notice(f"/export failed: {exc}", "error", "give another file: /export FILE")
        return
    screen.notice(f"Exported the conversation to {target}.", "info")


def restored_text(result: RestoreResult, screen: ChatScreen) -> list[str]:
    """``restored PATH``, ``created PATH``, ``deleted PATH`` per file an undo wrote; failures as an error notice."""
    if result.failed:
        screen.notice("; ".join(f"could not restore {p}: {why}" for p, why in result.failed), "error")
    pairs = (("restored", result.restored), ("created", result.created), ("deleted", result.deleted))
    return [f"{label} {p}" for label, items in pairs for p in items]


async def cmd_init(screen: ChatScreen, args: str) -> None:
    """/init: ask the model to write an AGENTS.md."""
    if (screen.codex.config.cwd / "AGENTS.md").exists():
        screen.notice("AGENTS.md already exists here", "info", "edit it, or delete it and run /init again")
        return
    screen.send(INIT_PROMPT)


# --- views ----------------------------------------------------------------------------------
async def cmd_diff(screen: ChatScreen, args: str) -> None:
    """/diff: the workspace's git diff, untracked files included."""
    from codex_py.tui.widgets.diff_view import DiffView

    try:
        from codex_py.sandbox.git import workspace_diff

        diff = await asyncio.to_thread(workspace_diff, screen.codex.config.cwd)
    except OSError as exc:
        screen.notice(f"git diff failed: {exc}", "error", "run `git diff` in a terminal to see why")
        return
    if diff is None:
        screen.notice("not a git repository", "error", "/diff needs git; run `git init` to track changes")
    elif not diff.strip():
        screen.notice("No changes.", "info")
    else:
        screen.transcript.add(DiffView(diff, classes="workspace-diff"))


async def cmd_status(screen: ChatScreen, args: str) -> None:
    """/status: provider, model, auth, sandbox, approvals, tokens, context, rate limits."""
    app = screen.codex
    config = app.config
    session = app.session
    info = screen.status_bar.info
    lines = [
        f"Model:       {config.model}"
        + (f" (reasoning {config.model_reasoning_effort})" if config.model_reasoning_effort else ""),
        f"Provider:    {config.provider.name or config.model_provider} ({config.provider.wire_api})",
        f"Auth:        {session.auth_mode if session else 'not connected'}",
        f"Directory:   {config.cwd}",
        f"Sandbox:     {config.sandbox_mode} · approvals: {config.approval_policy}",
        f"             {_sandbox_line(config)}",
        f"Session:     {session.session_id if session else '-'}",
    ]
    if session is not None:
        usage = session.usage
        lines.append(
            f"Tokens:      {short_tokens(usage.input_tokens)} in ({short_tokens(usage.cached_input_tokens)} cached)"
            f" · {short_tokens(usage.output_tokens)} out"
        )
        left = info.context_left()
        if left is not None:
            lines.append(f"Context:     {left}% left of {short_tokens(info.context_window or 0)}")
        from codex_py.tui.spend import status_lines

        lines += status_lines(session)
        limits = session.rate_limits.limits if session.rate_limits else {}
        for key, value in sorted(limits.items()):
            lines.append(f"Limit:       {key}: {value}")
    screen.notice("\n".join(lines), "info")


def _sandbox_line(config: Config) -> str:
    """The mode plus what Landlock can enforce here (e.g. a missing network block)."""
    from codex_py.sandbox.policy import SandboxPolicy, sandbox_status

    return sandbox_status(SandboxPolicy.from_config(config))


async def cmd_mcp(screen: ChatScreen, args: str) -> None:
    """/mcp [verbose]: the MCP servers, their state, tools and errors (verbose: each tool's model name,
    whether it asks, and its description)."""
    import shlex

    from codex_py.agent.mcp_calls import approval_mode

    config = screen.codex.config
    if args.strip() == "accept":
        _accept_project_servers(screen)
        return
    session = screen.codex.session
    manager = session.mcp if session is not None else None
    if config.project_config_ignored is not None:
        from codex_py.mcp.commands import ignored_project_servers

        screen.notice(ignored_project_servers(config).replace("`codex-py mcp accept` here", "/mcp accept"), "warning")
    if not config.mcp_servers:
        screen.notice("No MCP servers configured.", "info", "add one with `codex-py mcp add NAME -- COMMAND`, restart")
        return
    statuses = {s.name: s for s in manager.statuses()} if manager is not None else {}
    tools = manager.tools() if manager is not None else []
    ready, total = manager.counts() if manager is not None else (0, 0)
    lines = [f"🔌 MCP servers: {ready}/{total} ready"]
    for name, server in config.mcp_servers.items():
        status = statuses.get(name)
        state = status.state if status is not None else ("disabled" if not server.enabled else "not started")
        where = shlex.join([server.command, *server.args]) if server.transport == "stdio" else server.url
        lines.append(f"• {name}: {state}{' (required)' if server.required else ''} · {server.transport} · {where}")
        if status is not None and status.error:
            lines.append(f"    error: {status.error}")
            lines += [f"    stderr: {line}" for line in status.stderr_tail.splitlines()]
        if state != "ready":
            continue
        mine = [t for t in tools if t.server == name]
        if not args.startswith("verbose"):
            lines.append("    tools: " + (", ".join(t.name for t in mine) or "(none)"))
            continue
        for tool in mine:
            assert session is not None
            mode = approval_mode(session.runner, tool)
            asks = "asks" if mode == "prompt" or (mode == "auto" and tool.needs_approval) else "runs unasked"
            summary = tool.description.strip().split("\n", 1)[0][:100]
            lines.append(f"    {tool.qualified} ({mode}: {asks}){' — ' + summary if summary else ''}")
        if not mine:
            lines.append("    tools: (none)")
    hint = "" if args.startswith("verbose") else "/mcp verbose shows each tool's name for the model and approval mode"
    screen.notice("\n".join(lines), "info", hint)


def _accept_project_servers(screen: ChatScreen) -> None:
    """/mcp accept: trust this project and accept its MCP servers (``codex-py mcp accept``), then restart the
    session (the conversation goes on) so that they start."""
    from dataclasses import replace

    from codex_py.config.errors import ConfigError
    from codex_py.config.loader import project_servers
    from codex_py.errors import UsageError
    from codex_py.mcp.commands import accept_project, describe_servers

    app = screen.codex
    config = app.config
    try:
        root, found, raw = accept_project(config.cwd)
        servers = project_servers(found, raw)
    except (UsageError, ConfigError) as exc:
        screen.notice(str(exc), "error", getattr(exc, "hint", "") or "")
        return
    app.apply_config(
        replace(
            config,
            mcp_servers={**config.mcp_servers, **servers},
            project_config_ignored=None,
            project_servers_changed=False,
        )
    )
    listing = "\n".join(f"  {line}" for line in describe_servers(raw))
    screen.notice(f"Accepted the MCP servers of {found} (project {root} trusted):\n{listing}\nStarting them…")
    app.start_session(app.continue_target())


async def cmd_copy(screen: ChatScreen, args: str) -> None:
    """/copy: the last answer to the clipboard (OSC 52)."""
    text = screen.renderer.last_answer
    if not text:
        screen.notice("nothing to copy yet", "error", "ask something first")
        return
    screen.app.copy_to_clipboard(text)
    screen.notice(f"Copied the last answer ({len(text)} characters).", "info")


async def cmd_skills(screen: ChatScreen, args: str) -> None:
    """/skills: see docs/extending.md."""
    from codex_py.tui.extensions import cmd_skills as pick

    await pick(screen, args)


async def cmd_review(screen: ChatScreen, args: str) -> None:
    """/review [--with PROVIDER] [-m MODEL] [--uncommitted | --base BRANCH | --commit SHA] [instructions]."""
    from codex_py.tui.review import cmd_review as review

    await review(screen, args)


async def cmd_help(screen: ChatScreen, args: str) -> None:
    """/help: commands and keys."""
    lines = [f"/{c.name:<10} {c.description}" for c in COMMANDS]
    lines += [
        "",
        "enter send · shift+enter / ctrl+j newline · ↑/↓ history · ctrl+r search history · @ file · esc interrupt",
        "!command runs it in the shell (sandboxed); its output is shown to the model with your next message",
        "ctrl+c clear (twice: quit) · ctrl+d quit on empty input · enter on a command cell shows its output",
        "pgup/pgdn page · shift+↑/↓ line · home/end (empty input) top/bottom · mouse wheel · ctrl+t transcript pager",
        "select text: hold shift (option in iTerm2, fn in Terminal.app) and drag; /copy copies the last answer",
        "shift+tab focuses a cell (enter shows its output); typing or esc goes back to the input",
    ]
    screen.notice("\n".join(lines), "info")


async def cmd_quit(screen: ChatScreen, args: str) -> None:
    """/quit: leave (the session id is printed so you can resume)."""
    screen.app.exit(0)


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("model", "choose the model and reasoning effort", cmd_model),
    SlashCommand("provider", "switch provider (the conversation carries over)", cmd_provider),
    SlashCommand("approvals", "choose what codex-py may do without asking", cmd_approvals),
    SlashCommand("new", "start a new conversation", cmd_new),
    SlashCommand("resume", "reopen a recorded session", cmd_resume),
    SlashCommand("fork", "continue in a copy of this conversation (the original stays)", cmd_fork),
    SlashCommand("export", "write the conversation to a Markdown (or .json) file", cmd_export, while_running=True),
    SlashCommand("init", "create an AGENTS.md with instructions for the agent", cmd_init),
    SlashCommand("compact", "summarize the conversation to free context", cmd_compact),
    SlashCommand("rewind", "go back to an earlier message: code, conversation or both", cmd_rewind),
    SlashCommand("cost", "tokens and estimated cost of each turn", cmd_cost, while_running=True),
    SlashCommand("undo", "restore the files changed by the last turn", cmd_undo),
    SlashCommand("review", "review the changes in a read-only session (--with PROVIDER: another vendor)", cmd_review),
    SlashCommand("diff", "show the git diff, untracked files included", cmd_diff, while_running=True),
    SlashCommand("status", "model, provider, auth, sandbox, tokens and limits", cmd_status, while_running=True),
    SlashCommand("mcp", "MCP servers, their tools and errors (/mcp verbose, /mcp accept)", cmd_mcp, while_running=True),
    SlashCommand("copy", "copy the last answer to the clipboard", cmd_copy, while_running=True),
    SlashCommand("skills", "pick a skill ($name) or a custom prompt (/prompts:NAME)", cmd_skills),
    SlashCommand("login", "sign in (ChatGPT, Claude, or an API key)", cmd_login),
    SlashCommand("logout", "remove stored credentials", cmd_logout),
    SlashCommand("help", "commands and keys", cmd_help, while_running=True),
    SlashCommand("quit", "leave codex-py", cmd_quit, while_running=True),
)
BY_NAME = {c.name: c for c in COMMANDS} | {"exit": COMMANDS[-1]}
