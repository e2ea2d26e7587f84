"""First run without credentials: four ways in, running the same login code as ``codex-py login``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from codex_py.config import Config

Family = Literal["openai", "anthropic"]


@dataclass(frozen=True, slots=True)
class Way:
    """One way in."""

    id: str
    label: str
    detail: str
    family: Family
    oauth: bool


WAYS = (
    Way("chatgpt", "Sign in with ChatGPT", "use your ChatGPT Plus/Pro/Team plan", "openai", True),
    Way("claude", "Sign in with Claude", "creates an API key billed to your Anthropic account", "anthropic", True),
    Way("openai", "Paste an OpenAI API key", "from platform.openai.com", "openai", False),
    Way("anthropic", "Paste an Anthropic API key", "from console.anthropic.com", "anthropic", False),
)


WELCOME = "Welcome to codex-py"


class OnboardingScreen(Screen[str | None]):
    """Dismisses with the login family that now has credentials (``openai`` or ``anthropic``)."""

    CSS_PATH = "onboarding.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+y", "copy_url", "Copy the URL"),
    ]

    def __init__(self, config: Config, *, message: str = "", cancellable: bool = False) -> None:
        """``cancellable``: Esc on the list of ways closes the screen (``/login`` with a session running)."""
        super().__init__()
        self.config = config
        self.message = message
        self.cancellable = cancellable
        self.way: Way | None = None
        self.url = ""
        self._paste: asyncio.Future[str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="panel"):
            yield Static(WELCOME, id="welcome", markup=False)
            yield Static(
                self.message or "Sign in to start. Choose one of the four ways in (↑/↓, Enter).",
                id="intro",
                markup=False,
            )
            yield OptionList(
                *(Option(Content.assemble((w.label, "bold"), (f"  {w.detail}", "dim")), id=w.id) for w in WAYS),
                id="ways",
            )
            with Vertical(id="detail", classes="hidden"):
                yield Static("", id="url", markup=False, classes="hidden")
                yield Input(id="secret", password=True, classes="hidden")
            yield Static("", id="status", markup=False)
            yield Static(
                f"esc {'close' if self.cancellable else 'back'} · ctrl+y copy the URL · ctrl+c quit", id="footer"
            )

    def on_mount(self) -> None:
        self.query_one("#ways", OptionList).focus()

    # --- choosing ----------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#ways")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        way = next(w for w in WAYS if w.id == event.option.id)
        self.way = way
        self.add_class("-chosen")  # the list of ways gives its room to the URL and the field (80x24)
        self.query_one("#welcome", Static).update(f"{way.label} · {way.detail}")
        self.query_one("#detail").remove_class("hidden")
        secret = self.query_one("#secret", Input)
        secret.value = ""
        secret.remove_class("hidden")
        if way.oauth:
            secret.password = False
            secret.placeholder = "If the browser cannot reach this machine, paste the redirect URL or code here"
            self._status("Opening your browser…")
            self._run_oauth(way)
        else:
            secret.password = True
            secret.placeholder = f"{way.label.removeprefix('Paste an ')} (hidden as you type; Enter saves)"
            self._status("The key is stored in your keyring (or a file only you can read).")
            secret.focus()

    @on(Input.Submitted, "#secret")
    def _secret_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if self.way is None or not value:
            return
        if self.way.oauth:
            if self._paste is not None and not self._paste.done():
                self._paste.set_result(value)
            return
        self._save_key(self.way, value)

    # --- work --------------------------------------------------------------------------------
    @work(exclusive=True, group="login", exit_on_error=False)
    async def _save_key(self, way: Way, key: str) -> None:
        try:
            from codex_py.login.apikey import save_api_key

            await asyncio.to_thread(save_api_key, self.config, way.family, key)
        except Exception as exc:  # the login code words its own errors; never echo the key
            self._status(_describe(exc), error=True)
            return
        self.dismiss(way.family)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _run_oauth(self, way: Way) -> None:
        loop = asyncio.get_running_loop()
        self._paste = loop.create_future()

        async def paste() -> str:
            assert self._paste is not None
            return await self._paste

        from codex_py.login.flow import can_open_browser

        # over SSH / in containers: no browser, and Claude's hosted page shows CODE#STATE to paste
        browser = can_open_browser()
        try:
            if way.id == "chatgpt":
                from codex_py.login.chatgpt import login_chatgpt

                result = await login_chatgpt(self.config, open_browser=browser, on_url=self._show_url, paste=paste)
            else:
                from codex_py.login.claude import login_claude

                result = await login_claude(self.config, open_browser=browser, on_url=self._show_url, paste=paste)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._status(_describe(exc), error=True)
            return
        self.app.notify(f"Signed in: {result.mode}" + (f" ({result.account})" if result.account else ""))
        self.dismiss(way.family)

    def _show_url(self, url: str) -> None:
        self.url = url
        widget = self.query_one("#url", Static)
        widget.update(url)
        widget.remove_class("hidden")
        self._status("Finish signing in in your browser. If it did not open, open the URL above (ctrl+y copies it).")

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def action_copy_url(self) -> None:
        """Copy the authorization URL (OSC 52)."""
        if self.url:
            self.app.copy_to_clipboard(self.url)
            self._status("URL copied to the clipboard.")

    def action_back(self) -> None:
        """Back to the four ways (cancels a login in progress); from the list, close if ``cancellable``."""
        if self.way is None and self.cancellable:
            self.dismiss(None)
            return
        self.workers.cancel_group(self, "login")
        self.way = None
        self.url = ""
        self.remove_class("-chosen")
        self.query_one("#welcome", Static).update(WELCOME)
        self.query_one("#detail").add_class("hidden")
        self.query_one("#url").add_class("hidden")
        self._status("")
        self.query_one("#ways", OptionList).focus()


def _describe(exc: Exception) -> str:
    hint = getattr(exc, "hint", "")
    return f"{exc}" + (f" ({hint})" if hint else "")
