"""The typer application behind ``codex-py`` (imported only once a command needs it)."""

# No `from __future__ import annotations`: typer reads the nested commands' annotations,
# which refer to aliases local to build_app().
import sys
from typing import TYPE_CHECKING

from codex_py.session.resume import ResumeTarget

if TYPE_CHECKING:
    import typer

    from codex_py.config import CliOverrides


def _run(fn_path: str, *args: object, **kwargs: object) -> None:
    """Import ``module:function`` lazily, call it, map errors to exit codes."""
    import importlib

    import typer

    from codex_py.config import ConfigError
    from codex_py.errors import CodexPyError

    module, _, name = fn_path.partition(":")
    try:
        code = getattr(importlib.import_module(module), name)(*args, **kwargs)
    except (ConfigError, CodexPyError) as exc:
        from codex_py.config.redaction import redact_known

        sys.stderr.write(f"error: {redact_known(str(exc), partial=True)}\n")  # never a credential in use
        if exc.hint:
            sys.stderr.write(f"hint: {redact_known(exc.hint, partial=True)}\n")
        raise typer.Exit(getattr(exc, "exit_code", 2)) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(int(code or 0))


def build_app() -> "typer.Typer":
    import inspect
    from collections.abc import Callable
    from pathlib import Path
    from typing import Annotated, Any, Optional

    import typer
    from typer.core import TyperCommand, TyperGroup

    class ExecResumeCommand(TyperCommand):
        """``codex-py exec resume`` reaches the hidden ``exec-resume`` command (``cli.py`` rewrites the
        arguments): its usage lines and error hints say ``exec resume``, the words the user typed."""

        def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
            shown = "exec resume" if info_name == "exec-resume" else info_name
            return super().make_context(shown, args, parent, **extra)

    class RootGroup(TyperGroup):
        """``codex-py --help`` also lists the interactive app's prompt and options (the hidden ``tui``
        command receives ``codex-py [OPTIONS] [PROMPT]``), like ``codex --help``."""

        def format_usage(self, ctx: Any, formatter: Any) -> None:
            formatter.write_usage("codex-py", "[OPTIONS] [PROMPT]")
            formatter.write("       codex-py COMMAND [ARGS]...\n")

        def format_options(self, ctx: Any, formatter: Any) -> None:
            tui = self.get_command(ctx, "tui")
            if tui is None:
                super().format_options(ctx, formatter)
                return
            tui_ctx = type(ctx)(tui, info_name="codex-py", parent=None, help_option_names=["-h", "--help"])
            tui.format_options(tui_ctx, formatter)
            version = [p.get_help_record(ctx) for p in self.get_params(ctx) if p.name == "version"]
            with formatter.section("Other options"):
                formatter.write_dl([r for r in version if r is not None])
            self.format_commands(ctx, formatter)

    app = typer.Typer(
        cls=RootGroup,
        name="codex-py",
        help="codex-py: a terminal coding agent for OpenAI, Anthropic and any OpenAI-compatible server.\n\n"
        "Run with no command to open the interactive app (optionally with a first PROMPT).",
        no_args_is_help=False,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    Model = Annotated[Optional[str], typer.Option("-m", "--model", help="Model to use.")]  # noqa: UP045
    Provider = Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--provider", help="Model provider id from config (openai, anthropic, ollama, ...)."),
    ]
    Profile = Annotated[Optional[str], typer.Option("-p", "--profile", help="Config profile to use.")]  # noqa: UP045
    ConfigOpt = Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("-c", "--config", help="Override a config key: key=value (TOML value, dotted keys)."),
    ]
    Cd = Annotated[Optional[Path], typer.Option("-C", "--cd", help="Work in this directory.")]  # noqa: UP045
    Sandbox = Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("-s", "--sandbox", help="read-only | workspace-write | danger-full-access"),
    ]
    Approval = Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("-a", "--ask-for-approval", help="untrusted | on-failure | on-request | never"),
    ]
    FullAuto = Annotated[
        bool,
        typer.Option("--full-auto", help="workspace-write sandbox; on-request approvals (never in exec)."),
    ]
    Effort = Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--reasoning-effort", help="none | minimal | low | medium | high | xhigh"),
    ]
    Prompt = Annotated[Optional[str], typer.Argument(help="The prompt ('-' reads stdin).")]  # noqa: UP045
    Json = Annotated[bool, typer.Option("--json", help="Print JSON Lines events on stdout.")]
    OutLast = Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("-o", "--output-last-message", help="Write the last assistant message to FILE."),
    ]
    OutSchema = Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output-schema", help="JSON schema FILE the final answer must follow (checked)."),
    ]
    SkipGit = Annotated[
        bool,
        typer.Option("--skip-git-repo-check", help="Accepted for Codex compatibility (exec runs anywhere)."),
    ]
    Last = Annotated[bool, typer.Option("--last", help="Resume the most recent session.")]
    NoAlt = Annotated[
        bool,
        typer.Option("--no-alt-screen", help="Run inline: the conversation stays in the terminal scrollback."),
    ]
    Images = Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "-i", "--image", metavar="FILE", help="Attach an image to the first prompt (repeatable; a,b.png works too)."
        ),
    ]
    Search = Annotated[
        bool, typer.Option("--search", help="Let the model search the web (the provider's live web search tool).")
    ]

    def with_search(cli: "CliOverrides", search: bool) -> "CliOverrides":
        if search:  # Codex's --search: web_search = "live" (after -c, so the flag wins)
            cli.config.append('web_search="live"')
        return cli

    def overrides(
        mode: str,
        model: str | None,
        provider: str | None,
        profile: str | None,
        config: list[str] | None,
        cd: Path | None,
        sandbox: str | None,
        approval: str | None,
        full_auto: bool,
        effort: str | None,
    ) -> "CliOverrides":
        from codex_py.config import CliOverrides

        return CliOverrides(
            model=model,
            provider=provider,
            profile=profile,
            config=list(config or []),
            cd=cd,
            sandbox=sandbox,
            approval=approval,
            full_auto=full_auto,
            reasoning_effort=effort,
            mode=mode,  # type: ignore[arg-type]
        )

    def version_callback(value: bool) -> None:
        if value:
            from codex_py import __version__

            typer.echo(f"codex-py {__version__}")
            raise typer.Exit()

    @app.callback()
    def root(
        version: Annotated[
            bool, typer.Option("--version", "-V", callback=version_callback, is_eager=True, help="Show the version.")
        ] = False,
    ) -> None:
        """codex-py: a terminal coding agent."""

    shared_params = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)
        for name, annotation, default in (
            ("model", Model, None),
            ("provider", Provider, None),
            ("profile", Profile, None),
            ("config", ConfigOpt, None),
            ("cd", Cd, None),
            ("sandbox", Sandbox, None),
            ("approval", Approval, None),
            ("full_auto", FullAuto, False),
            ("reasoning_effort", Effort, None),
        )
    ]

    exec_params = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)
        for name, annotation, default in (
            ("json", Json, False),
            ("output_last_message", OutLast, None),
            ("output_schema", OutSchema, None),
            ("skip_git_repo_check", SkipGit, False),
            ("image", Images, None),
            ("search", Search, False),
        )
    ]
    """``exec`` and ``exec resume``'s own options (given to the command as one dict, ``options``)."""

    def with_shared_options(
        mode: str, extra: list[inspect.Parameter] | None = None
    ) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Give a command the shared options (TUI and exec); it receives them as one ``CliOverrides``
        in its first parameter, ``cli``. ``extra`` options come after the command's own, as a dict
        in its ``options`` parameter."""
        more = extra or []

        def decorate(fn: Callable[..., None]) -> Callable[..., None]:
            own = [p for p in list(inspect.signature(fn).parameters.values())[1:] if p.name != "options"]

            def command(**kwargs: Any) -> None:
                shared = [kwargs.pop(p.name) for p in shared_params]
                if more:
                    kwargs["options"] = {p.name: kwargs.pop(p.name) for p in more}
                fn(overrides(mode, *shared), **kwargs)

            # typer reads the signature and the annotations: the shared options, then the command's own
            params = [*shared_params, *own, *more]
            command.__name__, command.__doc__ = fn.__name__, fn.__doc__
            command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
            command.__annotations__ = {p.name: p.annotation for p in params}
            return command

        return decorate

    @app.command("tui", hidden=True)
    @with_shared_options("tui")
    def tui(
        cli: "CliOverrides",
        prompt: Prompt = None,
        no_alt_screen: NoAlt = False,
        image: Images = None,
        search: Search = False,
    ) -> None:
        """Open the interactive app."""
        _run(
            "codex_py.tui.launch:run_tui",
            with_search(cli, search),
            prompt,
            no_alt_screen=no_alt_screen,
            resume=None,
            images=image or [],
        )

    def run_exec_command(cli: "CliOverrides", prompt: str | None, resume: Any, options: dict[str, Any]) -> None:
        _run(
            "codex_py.exec.runner:run_exec",
            with_search(cli, options["search"]),
            prompt,
            images=options["image"] or [],
            json_mode=options["json"],
            output_last_message=options["output_last_message"],
            output_schema=options["output_schema"],
            skip_git_repo_check=options["skip_git_repo_check"],
            resume=resume,
        )

    @app.command("exec")
    @with_shared_options("exec", exec_params)
    def exec_(cli: "CliOverrides", prompt: Prompt = None, options: dict[str, Any] | None = None) -> None:
        """Run one task non-interactively and exit ('exec resume' continues a session)."""
        run_exec_command(cli, prompt, None, options or {})

    @app.command("exec-resume", hidden=True, cls=ExecResumeCommand)
    @with_shared_options("exec", exec_params)
    def exec_resume(
        cli: "CliOverrides",
        session_id: Annotated[Optional[str], typer.Argument(help="Session id (or the prompt with --last).")] = None,  # noqa: UP045
        prompt: Prompt = None,
        last: Last = False,
        options: dict[str, Any] | None = None,
    ) -> None:
        """Continue a recorded session non-interactively."""
        if last and session_id is not None and prompt is None:
            session_id, prompt = None, session_id
        run_exec_command(cli, prompt, ResumeTarget(session_id, last), options or {})

    @app.command("review")
    @with_shared_options("exec")
    def review(
        cli: "CliOverrides",
        prompt: Annotated[
            Optional[str],  # noqa: UP045
            typer.Argument(help="Custom review instructions ('-' reads stdin); with a target they narrow it."),
        ] = None,
        uncommitted: Annotated[
            bool, typer.Option("--uncommitted", help="Review staged, unstaged and untracked changes.")
        ] = False,
        base: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--base", metavar="BRANCH", help="Review the changes against BRANCH (from the merge base)."),
        ] = None,
        commit: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--commit", metavar="SHA", help="Review the changes introduced by a commit."),
        ] = None,
        title: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--title", help="The commit's title, shown to the reviewer (with --commit)."),
        ] = None,
        json: Json = False,
        output_last_message: OutLast = None,
    ) -> None:
        """Review a change in a read-only sub-session (--provider: a second opinion from another vendor)."""
        _run(
            "codex_py.exec.review:run_review_command",
            cli,
            prompt,
            uncommitted=uncommitted,
            base=base,
            commit=commit,
            title=title,
            json_mode=json,
            output_last_message=output_last_message,
        )

    @app.command("resume")
    @with_shared_options("tui")
    def resume(
        cli: "CliOverrides",
        session_id: Annotated[Optional[str], typer.Argument(help="Session id to reopen.")] = None,  # noqa: UP045
        last: Last = False,
        no_alt_screen: NoAlt = False,
    ) -> None:
        """Reopen a recorded session in the interactive app."""
        _run(
            "codex_py.tui.launch:run_tui",
            cli,
            None,
            no_alt_screen=no_alt_screen,
            resume=ResumeTarget(session_id, last or session_id is None),
        )

    sessions_app = typer.Typer(name="sessions", help="Recorded sessions: list (no command), fork, export.")

    @sessions_app.callback(invoke_without_command=True)
    def sessions(
        ctx: typer.Context,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """List recorded sessions from every directory, newest first (id, date, cwd, provider/model, first prompt)."""
        if ctx.invoked_subcommand is None:
            cli = overrides("other", None, None, profile, config, None, None, None, False, None)
            _run("codex_py.session.listing:print_sessions", cli)

    SessionId = Annotated[str, typer.Argument(help="Session id (a unique prefix is enough).")]

    @sessions_app.command("fork")
    def sessions_fork(
        session_id: SessionId,
        at_turn: Annotated[
            Optional[int],  # noqa: UP045
            typer.Option("--at-turn", help="Copy the history up to the end of turn N (default: all of it)."),
        ] = None,
    ) -> None:
        """Copy a session into a new one (prints its id); the original is left as it is."""
        _run("codex_py.session.fork:fork_command", None, session_id, at_turn=at_turn)

    @sessions_app.command("export")
    def sessions_export(
        session_id: SessionId,
        format_: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--format", help="md (default) or json (default when FILE ends in .json)."),
        ] = None,
        output: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option("-o", "--output", help="Write to FILE instead of stdout."),
        ] = None,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """Export a session as Markdown or JSON, secrets redacted."""
        cli = overrides("other", None, None, profile, config, None, None, None, False, None)
        _run("codex_py.session.export:export_command", cli, session_id, fmt=format_, output=output)

    app.add_typer(sessions_app, name="sessions")

    @app.command("undo")
    def undo(
        session_id: Annotated[
            Optional[str],  # noqa: UP045
            typer.Argument(help="Session id (a unique prefix is enough); default: the newest session here."),
        ] = None,
        last: Annotated[bool, typer.Option("--last", help="The newest session that ran in this folder.")] = False,
        turns: Annotated[int, typer.Option("--turns", help="How many of its last turns to undo.")] = 1,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Only print what would be restored.")] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Also restore files changed since the turn (by you or others).")
        ] = False,
        cd: Cd = None,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """Restore the workspace files changed by a session's last turns (from its checkpoints)."""
        cli = overrides("other", None, None, profile, config, cd, None, None, False, None)
        _run(
            "codex_py.session.undo:undo_command",
            cli,
            session_id,
            last=last,
            turns=turns,
            dry_run=dry_run,
            force=force,
        )

    @app.command("login")
    def login(
        action: Annotated[Optional[str], typer.Argument(help="'status' shows what is configured.")] = None,  # noqa: UP045
        provider: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--provider", help="chatgpt | claude | openai | anthropic"),
        ] = None,
        with_api_key: Annotated[bool, typer.Option("--with-api-key", help="Read the API key from stdin.")] = False,
        no_browser: Annotated[
            bool, typer.Option("--no-browser", help="Print the authorization URL instead of opening a browser.")
        ] = False,
        device_auth: Annotated[
            bool, typer.Option("--device-auth", help="ChatGPT: sign in with a one-time code on another device.")
        ] = False,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """Sign in: ChatGPT or Claude account (OAuth), or an OpenAI / Anthropic API key."""
        cli = overrides("other", None, None, profile, config, None, None, None, False, None)
        if action == "status":
            _run("codex_py.login.commands:login_status", cli)
        if action is not None:
            typer.echo(f"error: unknown login action {action!r} (did you mean 'status'?)", err=True)
            raise typer.Exit(2)
        if provider is None:
            typer.echo("error: --provider is required: chatgpt | claude | openai | anthropic", err=True)
            raise typer.Exit(2)
        _run(
            "codex_py.login.commands:login",
            cli,
            provider,
            with_api_key=with_api_key,
            no_browser=no_browser,
            device_auth=device_auth,
        )

    @app.command("logout")
    def logout(
        provider: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--provider", help="chatgpt | claude | openai | anthropic"),
        ] = None,
        all_: Annotated[bool, typer.Option("--all", help="Remove every stored credential.")] = False,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """Remove stored credentials (revoking OAuth tokens where the provider allows)."""
        cli = overrides("other", None, None, profile, config, None, None, None, False, None)
        _run("codex_py.login.commands:logout", cli, provider, all_providers=all_)

    mcp_app = typer.Typer(name="mcp", help="Manage MCP servers in config.toml (see docs/mcp.md).", no_args_is_help=True)

    @mcp_app.command("add")
    def mcp_add(
        name: Annotated[str, typer.Argument(help="Server name (letters, numbers, '-', '_').")],
        command: Annotated[
            Optional[list[str]],  # noqa: UP045
            typer.Argument(help="-- COMMAND [ARGS...] for a stdio server."),
        ] = None,
        env: Annotated[
            Optional[list[str]],  # noqa: UP045
            typer.Option("--env", help="KEY=VALUE set for a stdio server (repeatable)."),
        ] = None,
        url: Annotated[Optional[str], typer.Option("--url", help="A streamable-HTTP server.")] = None,  # noqa: UP045
        bearer_token_env_var: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--bearer-token-env-var", help="Env var holding the HTTP server's bearer token."),
        ] = None,
    ) -> None:
        """Add a server: NAME [--env K=V]... -- COMMAND [ARGS...], or NAME --url URL."""
        _run("codex_py.mcp.commands:add", name, command, env=env, url=url, bearer_token_env_var=bearer_token_env_var)

    @mcp_app.command("list")
    def mcp_list(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """List the configured MCP servers."""
        cli = overrides("other", None, None, profile, config, None, None, None, False, None)
        _run("codex_py.mcp.commands:list_servers", cli, as_json=json_)

    @mcp_app.command("get")
    def mcp_get(
        name: Annotated[str, typer.Argument(help="Server name.")],
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """Show one MCP server's settings (secrets masked)."""
        cli = overrides("other", None, None, profile, config, None, None, None, False, None)
        _run("codex_py.mcp.commands:get", cli, name, as_json=json_)

    @mcp_app.command("remove")
    def mcp_remove(name: Annotated[str, typer.Argument(help="Server name.")]) -> None:
        """Remove an MCP server from config.toml."""
        _run("codex_py.mcp.commands:remove", name)

    @mcp_app.command("login")
    def mcp_login(
        name: Annotated[str, typer.Argument(help="Server name (a streamable-HTTP server).")],
        scopes: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--scopes", help="Comma-separated OAuth scopes (default: config `scopes`, else discovered)."),
        ] = None,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """Log in to an HTTP MCP server with OAuth (browser); tokens go to the credential store."""
        cli = overrides("other", None, None, profile, config, None, None, None, False, None)
        _run("codex_py.mcp.commands:login", cli, name, scopes=scopes)

    @mcp_app.command("logout")
    def mcp_logout(
        name: Annotated[str, typer.Argument(help="Server name.")],
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """Remove the stored OAuth tokens of an MCP server."""
        cli = overrides("other", None, None, profile, config, None, None, None, False, None)
        _run("codex_py.mcp.commands:logout", cli, name)

    @mcp_app.command("accept")
    def mcp_accept(cd: Cd = None, config: ConfigOpt = None, profile: Profile = None) -> None:
        """Trust this project and accept its MCP servers (.codex-py/config.toml) as they are now."""
        cli = overrides("other", None, None, profile, config, cd, None, None, False, None)
        _run("codex_py.mcp.commands:accept", cli)

    app.add_typer(mcp_app, name="mcp")

    @app.command("mcp-server")
    def mcp_server(
        model: Model = None,
        provider: Provider = None,
        profile: Profile = None,
        config: ConfigOpt = None,
        cd: Cd = None,
    ) -> None:
        """Run codex-py as an MCP server over stdio (tools: codex, codex-reply; see docs/mcp.md)."""
        cli = overrides("other", model, provider, profile, config, cd, None, None, False, None)
        _run("codex_py.mcp_server.server:serve", cli)

    skills_app = typer.Typer(
        name="skills", help="Skills and custom prompts (see docs/extending.md).", no_args_is_help=True
    )

    @skills_app.command("list")
    def skills_list(
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        cd: Cd = None,
        config: ConfigOpt = None,
        profile: Profile = None,
    ) -> None:
        """List the skills and custom prompts found, and where they come from."""
        cli = overrides("other", None, None, profile, config, cd, None, None, False, None)
        _run("codex_py.skills.commands:list_skills", cli, as_json=json_)

    app.add_typer(skills_app, name="skills")

    hooks_app = typer.Typer(name="hooks", help="Lifecycle hooks (see docs/extending.md).", no_args_is_help=True)

    @hooks_app.command("list")
    def hooks_list(cd: Cd = None, config: ConfigOpt = None, profile: Profile = None) -> None:
        """List the hooks a session here would see, and whether each may run."""
        cli = overrides("other", None, None, profile, config, cd, None, None, False, None)
        _run("codex_py.hooks.commands:list_hooks", cli)

    @hooks_app.command("trust")
    def hooks_trust(cd: Cd = None, config: ConfigOpt = None, profile: Profile = None) -> None:
        """Trust this project's hooks as they are now (a changed hook needs trust again)."""
        cli = overrides("other", None, None, profile, config, cd, None, None, False, None)
        _run("codex_py.hooks.commands:trust", cli)

    app.add_typer(hooks_app, name="hooks")

    @app.command("apply-patch")
    def apply_patch(
        patch: Annotated[Optional[str], typer.Argument(help="The patch text, or '-' to read stdin.")] = None,  # noqa: UP045
    ) -> None:
        """Apply a Codex-format patch in the current directory (all or nothing)."""
        _run("codex_py.tools.apply_patch.cli:run", patch)

    return app
