"""The UI-agnostic middle of a browser sign-in: show the URL, then take whichever comes first, the
browser's redirect to the listener or a pasted redirect URL / ``CODE#STATE``; check ``state``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from codex_py.login.callback import Callback, CallbackListener, LoginError, parse_callback_url

Paste = Callable[[], Awaitable[str]]
DEFAULT_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What a successful login stored, for the caller to show (never a secret)."""

    provider: str
    """"chatgpt", "claude", "openai" or "anthropic"."""
    mode: str
    """Human label, e.g. "ChatGPT (plus)"."""
    account: str | None = None
    """Email or account name, when known."""
    detail: str = ""
    """One more line worth showing (e.g. which organization a key was created in)."""


def can_open_browser() -> bool:
    """False on a Linux/BSD machine without a display (SSH, containers)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Try to open ``url``; False when no browser could be started."""
    if not can_open_browser():
        return False
    import webbrowser

    try:
        return webbrowser.open(url)
    except Exception:
        return False


def parse_pasted(text: str) -> dict[str, str]:
    """A pasted redirect URL or query string -> its parameters; ``CODE#STATE`` -> code and state."""
    text = text.strip()
    if "#" in text and "=" not in text and "://" not in text:
        code, _, state = text.partition("#")
        return {"code": code.strip(), "state": state.strip()}
    return parse_callback_url(text)


async def authorize(
    listener: CallbackListener | None,
    url: str,
    *,
    expected_state: str,
    provider_label: str,
    login_command: str,
    open_browser: bool,
    on_url: Callable[[str], None],
    paste: Paste | None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> tuple[str, Callback]:
    """Wait for the authorization code; return it with the callback to answer once the login is done.

    Raises :class:`LoginError` on timeout, denied consent, a ``state`` mismatch or a missing code.
    """
    if listener is not None:
        listener.expected_state = expected_state  # other replies are refused there; waiting goes on
    on_url(url)
    if open_browser:
        await asyncio.to_thread(open_in_browser, url)
    try:
        callback = await asyncio.wait_for(_first_reply(listener, paste), timeout)
    except TimeoutError:
        raise LoginError(
            f"no reply from the browser within {timeout:g} s",
            f"run `{login_command}` again (with --no-browser you can paste the redirect URL)",
        ) from None
    params = callback.params
    if "error" in params:
        reason = params.get("error_description") or params["error"]
        await callback.respond(False, f"{provider_label} did not grant access: {reason}")
        raise LoginError(
            f"{provider_label} sign-in was not completed: {_one_line(reason)}",
            f"run `{login_command}` again and approve access",
        )
    if params.get("state") != expected_state:
        await callback.respond(False, "State mismatch: this reply does not belong to the login that is waiting.")
        raise LoginError(
            f"{provider_label} sign-in failed: state mismatch (the reply is not from this login attempt)",
            f"run `{login_command}` again and use the newest link",
        )
    code = params.get("code", "")
    if not code:
        await callback.respond(False, "Missing authorization code. Sign-in could not be completed.")
        raise LoginError(
            f"{provider_label} sign-in failed: the reply carried no authorization code",
            f"run `{login_command}` again",
        )
    return code, callback


async def _first_reply(listener: CallbackListener | None, paste: Paste | None) -> Callback:
    tasks: set[asyncio.Task[Callback | None]] = set()
    if listener is not None:
        tasks.add(asyncio.ensure_future(listener.wait()))
    if paste is not None:
        tasks.add(asyncio.ensure_future(_pasted(paste)))
    if not tasks:
        raise LoginError("nothing can receive the sign-in reply", "run the login without --no-browser")
    try:
        while tasks:
            done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                result = task.result()  # a LoginError (cancelled by a newer login) propagates
                if result is not None:
                    return result
        raise LoginError("the sign-in input ended before a reply arrived", "run the login again")
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _pasted(paste: Paste) -> Callback | None:
    """The pasted reply; None when the input ends (or is blank). Text that is neither a redirect URL
    nor ``CODE#STATE`` is refused, so a caller that keeps answering the same text cannot spin."""
    raw = (await paste()).strip()
    if not raw:
        return None
    params = parse_pasted(raw)
    if params.get("code") or params.get("error"):
        return Callback(params)
    raise LoginError(
        "the pasted text is neither the redirect URL nor a CODE#STATE string",
        "run the login again and paste the whole address from the browser's address bar",
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
