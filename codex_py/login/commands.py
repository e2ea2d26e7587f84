"""``codex-py login`` / ``login status`` / ``logout``: terminal glue around the login API.

Like Codex, every message goes to stderr. Failures raise ``CodexPyError`` / ``UsageError`` (the CLI
prints ``error: ...`` and ``hint: ...``); the functions return the exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from codex_py.errors import UsageError

if TYPE_CHECKING:
    from codex_py.config import CliOverrides, Config
    from codex_py.login.apikey import KeyProvider
    from codex_py.login.flow import LoginResult

PROVIDERS = ("chatgpt", "claude", "openai", "anthropic")
ENV_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def _say(line: str = "") -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _config(cli: CliOverrides) -> Config:
    from codex_py.config import load_config

    return load_config(cli)


def login(
    cli: CliOverrides, provider: str, *, with_api_key: bool = False, no_browser: bool = False, device_auth: bool = False
) -> int:
    """Sign in to ``provider`` (chatgpt | claude | openai | anthropic) and store the credential."""
    if provider not in PROVIDERS:
        raise UsageError(f"unknown login provider {provider!r}", "use --provider chatgpt | claude | openai | anthropic")
    if device_auth and provider != "chatgpt":
        raise UsageError(
            f"--device-auth applies to --provider chatgpt only, not {provider}",
            "run `codex-py login --provider chatgpt --device-auth`, or drop --device-auth",
        )
    config = _config(cli)
    if provider in ("openai", "anthropic"):
        return _login_api_key(config, cast("KeyProvider", provider), with_api_key)
    if with_api_key:
        other = "openai" if provider == "chatgpt" else "anthropic"
        raise UsageError(
            f"--with-api-key does not apply to --provider {provider}",
            f"to store an API key use `codex-py login --provider {other} --with-api-key`",
        )
    import asyncio

    from codex_py.login.flow import can_open_browser

    open_browser = not no_browser and can_open_browser()
    if device_auth:
        from codex_py.login.device import login_chatgpt_device

        result = asyncio.run(login_chatgpt_device(config, on_code=_device_prompt))
    else:
        result = asyncio.run(_browser_login(config, provider, open_browser))
    _say("Successfully logged in")
    _say(
        f"{result.mode}"
        + (f" · {result.account}" if result.account else "")
        + (f" · {result.detail}" if result.detail else "")
    )
    return 0


async def _browser_login(config: Config, provider: str, open_browser: bool) -> LoginResult:
    paste = _stdin_paste()
    if provider == "chatgpt":
        from codex_py.login.chatgpt import login_chatgpt

        return await login_chatgpt(config, open_browser=open_browser, on_url=_chatgpt_prompt, paste=paste)
    from codex_py.login.claude import login_claude

    on_url = _claude_browser_prompt if open_browser else _claude_paste_prompt
    return await login_claude(config, open_browser=open_browser, on_url=on_url, paste=paste)


def _device_prompt(url: str, code: str) -> None:
    _say("Follow these steps to sign in with ChatGPT using device code authorization:")
    _say()
    _say(f"1. Open this link in your browser and sign in to your account\n   {url}")
    _say()
    _say(f"2. Enter this one-time code (expires in 15 minutes)\n   {code}")
    _say()
    _say("Device codes are a common phishing target. Never share this code.")
    _say("Waiting for you to finish signing in...")


def _chatgpt_prompt(url: str) -> None:
    _say("Sign in with ChatGPT: open this URL in a browser (it opens by itself when possible):")
    _say()
    _say(f"  {url}")
    _say()
    _say("Waiting for the browser. If it runs on another machine, paste here the address it ends up on:")


def _claude_browser_prompt(url: str) -> None:
    _say("Sign in to your Anthropic account: open this URL in a browser (it opens by itself when possible):")
    _say()
    _say(f"  {url}")
    _say()
    _say("Waiting for the browser. You can also paste here the address it ends up on:")


def _claude_paste_prompt(url: str) -> None:
    _say("Sign in to your Anthropic account: open this URL in any browser:")
    _say()
    _say(f"  {url}")
    _say()
    _say("Then paste the code the page shows (CODE#STATE) here:")


def _stdin_paste() -> Callable[[], Awaitable[str]]:
    """Read the next line of stdin that looks like a sign-in reply, in a daemon thread (a waiting read
    never blocks the exit); "" at end of input. Blank lines are skipped and anything else is answered
    with a hint and read again, so a stray paste does not end a login the browser may still finish."""

    import asyncio
    import threading

    from codex_py.login.flow import parse_pasted

    def looks_like_a_reply(line: str) -> bool:
        params = parse_pasted(line)
        return bool(params.get("code") or params.get("error"))

    async def paste() -> str:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            line = ""
            try:
                while sys.stdin is not None:
                    line = sys.stdin.readline()
                    if not line or looks_like_a_reply(line):
                        break  # end of input, or a reply
                    if line.strip():
                        _say(
                            "That is not the sign-in reply: paste the whole address from the browser's "
                            "address bar (or the CODE#STATE the page shows)."
                        )
            except (OSError, ValueError):
                line = ""
            try:
                loop.call_soon_threadsafe(lambda: None if future.done() else future.set_result(line))
            except RuntimeError:  # the login already finished and its loop is closed
                pass

        threading.Thread(target=read, name="login-paste", daemon=True).start()
        return await future

    return paste


def _login_api_key(config: Config, provider: KeyProvider, with_api_key: bool) -> int:
    from codex_py.login.apikey import prompt_for_key, read_key_from_stdin, save_api_key
    from codex_py.login.resolve import env_value

    if with_api_key:
        key = read_key_from_stdin(provider)
    elif sys.stdin is None or not sys.stdin.isatty():
        raise UsageError(
            "no terminal to prompt for the API key",
            f"pipe it instead: printenv {ENV_KEYS[provider]} | codex-py login --provider {provider} --with-api-key",
        )
    else:
        key = prompt_for_key(provider)
    save_api_key(config, provider, key)
    _say("Successfully logged in")
    if env_value(ENV_KEYS[provider]):
        _say(f"note: {ENV_KEYS[provider]} is set in the environment and is used instead of the stored key")
    return 0


def login_status(cli: CliOverrides) -> int:
    """One line per provider with a credential; exit 1 (``Not logged in``) when there is none."""
    from codex_py.login.status import login_statuses

    statuses = login_statuses(_config(cli))
    if not statuses:
        _say("Not logged in")
        return 1
    for status in statuses:
        _say(status.describe())
    return 0


def logout(cli: CliOverrides, provider: str | None, *, all_providers: bool = False) -> int:
    """Revoke where possible, then delete stored credentials (all of them without ``--provider``)."""
    from codex_py.login.resolve import env_value
    from codex_py.login.status import logout as do_logout

    if provider is not None and all_providers:
        raise UsageError("use either --provider or --all, not both", "codex-py logout --all removes everything")
    messages = do_logout(_config(cli), provider, all_providers)
    for message in messages:
        _say(message)
    _say("Successfully logged out" if messages else "Not logged in")
    family = {"chatgpt": "openai", "claude": "anthropic"}.get(provider or "", provider)
    for name, var in ENV_KEYS.items():
        if family in (None, name) and env_value(var):
            _say(f"note: {var} is still set in the environment")
    return 0
