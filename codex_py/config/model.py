"""The typed configuration. Field docstrings double as the config reference (docs/config.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

WireApi = Literal["responses", "chat", "messages"]
ApprovalPolicy = Literal["untrusted", "on-failure", "on-request", "never"]
SandboxMode = Literal["read-only", "workspace-write", "danger-full-access"]
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
CredentialsStore = Literal["auto", "keyring", "file"]
AuthFamily = Literal["openai", "anthropic", ""]


@dataclass(slots=True)
class ProviderInfo:
    """One ``[model_providers.ID]`` table."""

    name: str = ""
    """Display name."""
    base_url: str = ""
    """Base URL; the wire path (/responses, /chat/completions, /messages) is appended."""
    wire_api: WireApi = "chat"
    """Which wire API the server speaks."""
    env_key: str = ""
    """Environment variable holding the API key (optional)."""
    env_key_instructions: str = ""
    """Shown when ``env_key`` is needed but unset."""
    auth: AuthFamily = ""
    """Which stored login this provider uses: "openai" (API key or ChatGPT), "anthropic"
    (API key or Claude login), or "" (``env_key`` only, or no auth for local servers)."""
    default_model: str = ""
    """Model used when none is configured."""
    http_headers: dict[str, str] = field(default_factory=dict)
    """Static extra headers."""
    env_http_headers: dict[str, str] = field(default_factory=dict)
    """Header name -> env var; sent only when the variable is set and non-empty."""
    query_params: dict[str, str] = field(default_factory=dict)
    """Appended to every request URL (e.g. Azure's api-version)."""
    request_max_retries: int = 4
    """Retries of a request that failed before streaming (connect errors, 408/409/429/5xx/529)."""
    stream_max_retries: int = 5
    """Retries of a stream that dropped before its terminal event."""
    stream_idle_timeout_ms: int = 300_000
    """A stream that sends no event this long is treated as dropped (and retried); ``:`` keepalive
    comments and a line that never ends do not count as events (as in Codex)."""
    stream_max_duration_ms: int = 1_800_000
    """The longest one response may stream, restarts included (30 min): a server that never
    finishes ends the turn with an error instead of holding it forever."""
    stream_max_response_bytes: int = 134_217_728
    """The most one response's event stream may send (128 MiB). A 128k-token answer streamed
    token by token is ~30 MB; a server that streams without end is stopped here."""
    id: str = ""
    """Filled in from the table's key."""


@dataclass(slots=True)
class ModelPrice:
    """``[model_prices."MODEL"]``: list prices in USD per million tokens, over the built-in table
    (a model name matches as in the catalog: exactly, else the longest name that prefixes it)."""

    input_per_mtok: float = 0.0
    """Uncached input tokens."""
    cached_input_per_mtok: float | None = None
    """Input tokens read from the prompt cache (unset: the input price)."""
    cache_write_per_mtok: float | None = None
    """Input tokens written to the prompt cache, Anthropic (unset: the input price)."""
    output_per_mtok: float = 0.0
    """Output tokens, reasoning included."""


@dataclass(slots=True)
class SandboxWorkspaceWrite:
    """``[sandbox_workspace_write]``."""

    writable_roots: list[str] = field(default_factory=list)
    """Extra folders writable under workspace-write (besides the workspace, /tmp, /dev/shm and $TMPDIR).
    A folder holding codex-py's home or installation is left out, with a warning."""
    network_access: bool = False
    """Allow outbound network under workspace-write."""
    exclude_slash_tmp: bool = False
    """Do not make /tmp writable under workspace-write."""
    exclude_tmpdir_env_var: bool = False
    """Do not make $TMPDIR writable under workspace-write."""


@dataclass(slots=True)
class ChatGPTOAuthConfig:
    """``[oauth.chatgpt]``."""

    issuer: str = "https://auth.openai.com"
    """{issuer}/oauth/authorize and {issuer}/oauth/token."""
    client_id: str = "app_EMoamEEZ73f0CkXaXp7hrann"


@dataclass(slots=True)
class ClaudeOAuthConfig:
    """``[oauth.claude]``: the Anthropic Console flow that creates an API key."""

    authorize_url: str = "https://platform.claude.com/oauth/authorize"
    token_url: str = "https://platform.claude.com/v1/oauth/token"
    api_key_url: str = "https://api.anthropic.com/api/oauth/claude_cli/create_api_key"
    client_id: str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"


@dataclass(slots=True)
class OAuthConfig:
    chatgpt: ChatGPTOAuthConfig = field(default_factory=ChatGPTOAuthConfig)
    claude: ClaudeOAuthConfig = field(default_factory=ClaudeOAuthConfig)


@dataclass(slots=True)
class TuiConfig:
    """``[tui]``."""

    theme: str = "textual-dark"
    """A Textual theme name."""
    alt_screen: bool = True
    """Full-screen app; false runs inline so the conversation stays in scrollback."""
    inline_live_scrollback: bool = True
    """Inline only: move each finished cell into the terminal's scrollback as it completes, as Codex does
    (false: the conversation is printed there whole at exit)."""
    transcript_line_budget: int = 4000
    """Finished transcript blocks beyond this many lines are pruned from the screen."""
    notifications: bool | list[Literal["agent-turn-complete", "approval-requested"]] = True
    """Desktop notification (OSC 9 / BEL) when a turn ends or an approval waits: true, false, or the kinds."""
    notification_method: Literal["auto", "osc9", "bel"] = "auto"
    """auto: OSC 9 in terminals known to show it (iTerm2, kitty, WezTerm, Ghostty, Warp), BEL elsewhere."""
    notification_condition: Literal["unfocused", "always"] = "unfocused"
    """Notify only while the terminal is not focused, or always."""


@dataclass(slots=True)
class WebSearchLocation:
    """``[tools.web_search.location]``: an approximate location for local results (all optional)."""

    country: str = ""
    """Two-letter ISO country code, e.g. ``US``."""
    region: str = ""
    city: str = ""
    timezone: str = ""
    """IANA time zone, e.g. ``America/Los_Angeles``."""


@dataclass(slots=True)
class WebSearchToolConfig:
    """``[tools.web_search]``: options of the provider's web search tool (``web_search`` turns it on)."""

    context_size: Literal["low", "medium", "high"] | None = None
    """Responses wire: how much page context the search may use."""
    allowed_domains: list[str] = field(default_factory=list)
    """Search only these domains (both wires that have a search)."""
    blocked_domains: list[str] = field(default_factory=list)
    """Messages wire: never these domains (not together with ``allowed_domains``)."""
    max_uses: int | None = None
    """Messages wire: searches allowed per model request."""
    location: WebSearchLocation | None = None


@dataclass(slots=True)
class ToolsConfig:
    """``[tools]``."""

    view_image: bool = True
    """Offer the ``view_image`` tool (the model looks at an image file in the workspace)."""
    web_search: WebSearchToolConfig | bool = field(default_factory=WebSearchToolConfig)
    """The web search tool's options; ``true``/``false`` is Codex's legacy switch, accepted and ignored."""


@dataclass(slots=True)
class SkillToggle:
    """``[[skills.config]]``: turn one skill on or off (``/skills`` writes these)."""

    path: str | None = None
    """The skill's SKILL.md (absolute path)."""
    name: str | None = None
    """Or the skill's name (when ``path`` is not given)."""
    enabled: bool = True
    """False: the skill is not listed for the model and ``$name`` does not inject it."""


@dataclass(slots=True)
class SkillsConfig:
    """``[skills]``."""

    include_instructions: bool = True
    """List the skills (names, descriptions, files) in the model's instructions; false leaves the list out
    (``$name`` still injects a skill)."""
    config: list[SkillToggle] = field(default_factory=list)
    """Per-skill switches (``[[skills.config]]``); the last one naming a skill wins."""


McpApprovalMode = Literal["auto", "prompt", "approve"]


@dataclass(slots=True)
class McpToolConfig:
    """``[mcp_servers.NAME.tools.TOOL]``: per-tool settings."""

    approval_mode: McpApprovalMode | None = None
    """auto (ask unless the tool is annotated read-only), prompt (always ask) or approve (never ask);
    unset: the server's ``default_tools_approval_mode``."""


@dataclass(slots=True)
class McpServerConfig:
    """One ``[mcp_servers.NAME]`` table (Codex's keys). ``command`` makes a stdio server, ``url`` a
    streamable-HTTP one; exactly one of them."""

    command: str = ""
    """stdio: the program to run (looked up on PATH)."""
    args: list[str] = field(default_factory=list)
    """stdio: its arguments."""
    env: dict[str, str] = field(default_factory=dict)
    """stdio: variables set for the server (over the few inherited ones: HOME, PATH, LANG, ...)."""
    env_vars: list[str | dict[str, str]] = field(default_factory=list)
    """stdio: names of codex-py's own environment variables passed on (``"NAME"`` or ``{name = "NAME"}``)."""
    cwd: str = ""
    """stdio: working directory of the server (default: the workspace)."""
    url: str = ""
    """streamable HTTP: the server's endpoint."""
    bearer_token_env_var: str = ""
    """streamable HTTP: send ``Authorization: Bearer <value of this variable>``."""
    http_headers: dict[str, str] = field(default_factory=dict)
    """streamable HTTP: static extra headers."""
    env_http_headers: dict[str, str] = field(default_factory=dict)
    """streamable HTTP: header name -> env var holding its value (sent when set)."""
    enabled: bool = True
    """false: configured but not started."""
    required: bool = False
    """The session does not start (exec exits 1) when this server fails to start; its tools are in
    the first request."""
    startup_timeout_sec: float = 30.0
    """Time allowed for the server to start, initialize and list its tools."""
    startup_timeout_ms: int | None = None
    """Legacy alias of ``startup_timeout_sec`` (milliseconds); ``startup_timeout_sec`` wins."""
    tool_timeout_sec: float = 120.0
    """Time allowed for one tool call."""
    enabled_tools: list[str] | None = None
    """Only these tools (raw MCP names) reach the model (unset: all)."""
    disabled_tools: list[str] = field(default_factory=list)
    """These tools never reach the model (applied after ``enabled_tools``)."""
    supports_parallel_tool_calls: bool = False
    """Accepted for Codex compatibility (codex-py runs tool calls one after another)."""
    default_tools_approval_mode: McpApprovalMode = "auto"
    """Approval mode of this server's tools without their own ``approval_mode``."""
    tools: dict[str, McpToolConfig] = field(default_factory=dict)
    """Per-tool settings, ``[mcp_servers.NAME.tools.TOOL]``."""
    scopes: list[str] = field(default_factory=list)
    """OAuth scopes for ``codex-py mcp login`` (preferred to discovered ones; ``--scopes`` wins)."""
    oauth_resource: str = ""
    """RFC 8707 ``resource`` sent by ``codex-py mcp login`` and its refreshes (default: the server's URL)."""
    name: str = ""
    """Legacy display name (accepted and ignored, as Codex does)."""
    id: str = ""
    """Filled in from the table's key."""

    @property
    def transport(self) -> Literal["stdio", "streamable_http"]:
        return "stdio" if self.command else "streamable_http"


@dataclass(slots=True)
class ProjectConfig:
    """``[projects."<absolute path>"]``."""

    trust_level: Literal["trusted", "untrusted"] | None = None
    """trusted: the project's own ``.codex-py/config.toml`` (or ``.codex/config.toml``) may add MCP servers."""
    mcp_servers_sha256: str = ""
    """The project's ``[mcp_servers]`` as you accepted them (``codex-py mcp accept`` writes it): they start only
    while the file still holds exactly those servers, so a command that edits it cannot start a program."""


@dataclass(slots=True)
class Config:
    """Everything a run needs. Built by ``load_config``; treat as read-only afterwards."""

    model: str = ""
    """Model slug; empty means the provider's default model."""
    model_provider: str = "openai"
    """Id of an entry in ``model_providers``."""
    model_reasoning_effort: ReasoningEffort | None = None
    """Reasoning effort for reasoning models (None: the model's default)."""
    model_reasoning_summary: Literal["auto", "concise", "detailed", "none"] = "auto"
    """Reasoning summaries requested from the Responses API."""
    model_context_window: int | None = None
    """Override the catalog's context window (tokens)."""
    model_max_output_tokens: int | None = None
    """Override the catalog's max output tokens."""
    model_auto_compact_token_limit: int | None = None
    """Compact when the conversation reaches this many tokens (default: auto_compact_ratio of the window)."""
    auto_compact_ratio: float = 0.9
    """Share of the context window that triggers auto-compaction."""
    approval_policy: ApprovalPolicy = "on-request"
    """When to ask before running a command or applying a patch."""
    sandbox_mode: SandboxMode = "workspace-write"
    """What commands the agent runs may touch."""
    sandbox_workspace_write: SandboxWorkspaceWrite = field(default_factory=SandboxWorkspaceWrite)
    credentials_store: CredentialsStore = "auto"
    """Where logins are kept: the OS keyring, a 0600 file, or auto (keyring when it works)."""
    mcp_oauth_callback_port: int | None = None
    """Port on 127.0.0.1 for the redirect of ``codex-py mcp login`` (default: any free port)."""
    chatgpt_base_url: str = "https://chatgpt.com/backend-api/codex"
    """Where requests go when signed in with ChatGPT."""
    oauth: OAuthConfig = field(default_factory=OAuthConfig)
    model_providers: dict[str, ProviderInfo] = field(default_factory=dict)
    """Built-in providers merged with the user's ``[model_providers.ID]`` tables."""
    profile: str | None = None
    """Default profile name (``-p`` overrides)."""
    profiles: dict[str, dict[str, object]] = field(default_factory=dict)
    """``[profiles.NAME]`` tables: any top-level keys."""
    instructions: str | None = None
    """Replace the built-in system prompt."""
    developer_instructions: str | None = None
    """Extra instructions appended to the system prompt."""
    project_doc_max_bytes: int = 32 * 1024
    """Cap on the joined AGENTS.md text."""
    project_doc_fallback_filenames: list[str] = field(default_factory=list)
    """Read these (in order) in a folder without AGENTS.md, e.g. ``["CLAUDE.md", "GEMINI.md"]``."""
    notify: list[str] = field(default_factory=list)
    """Program (argv) run after each turn with Codex's ``agent-turn-complete`` JSON as its last argument."""
    hooks: dict[str, object] = field(default_factory=dict)
    """Lifecycle hooks, Codex's ``[[hooks.EVENT]]`` tables (see docs/extending.md); ``hooks.json`` beside
    config.toml too."""
    max_tool_iterations: int = 200
    """Runaway guard: model round-trips allowed in one turn."""
    checkpoints: bool = True
    """Snapshot the workspace (in a shadow store under the home, never the project's git) before each turn
    changes anything, so ``codex-py undo``, ``/undo`` and ``/rewind`` can restore its files."""
    checkpoint_max_file_bytes: int = 10 * 1024 * 1024
    """Files larger than this are not checkpointed (undo leaves them as they are; the session says so)."""
    checkpoint_max_age_days: int = 30
    """Checkpoints of sessions inactive for longer are pruned (0: never by age)."""
    checkpoint_max_store_mb: int = 2048
    """The oldest sessions' checkpoints are pruned while a workspace's store is larger (0: no limit)."""
    shell_timeout_ms: int = 10_000
    """Default timeout of a shell tool call."""
    tool_output_max_bytes: int = 10 * 1024
    """Shell output sent to the model is cut (head + tail) beyond this many bytes."""
    tool_output_max_lines: int = 256
    """... or beyond this many lines."""
    model_prices: dict[str, ModelPrice] = field(default_factory=dict)
    """Price overrides and additions, ``[model_prices."MODEL"]`` (see docs/providers.md, Cost)."""
    max_session_cost_usd: float | None = None
    """Stop before a model request once the session's estimated cost (API-key logins, known prices)
    reached this many US dollars; exec exits 1."""
    review_model: str = ""
    """Model of ``/review`` and ``codex-py review`` (empty: the session's model, or the review
    provider's default model with ``--provider``)."""
    hide_agent_reasoning: bool = False
    """Do not show reasoning in the UI or exec output."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Level of the log file in the home's log dir."""
    tui: TuiConfig = field(default_factory=TuiConfig)
    mcp_servers: dict[str, McpServerConfig] = field(default_factory=dict)
    """MCP servers whose tools the model may call (see docs/mcp.md)."""
    projects: dict[str, ProjectConfig] = field(default_factory=dict)
    """``[projects."<absolute path>"]``: per-project settings (``trust_level``), as Codex has them."""
    web_search: Literal["disabled", "cached", "live"] = "disabled"
    """The provider's own web search tool (``--search`` sets ``live``): cached results only, live pages, or
    none. Responses and Messages wires; Chat Completions has none."""
    tools: ToolsConfig = field(default_factory=ToolsConfig)
    skills: SkillsConfig = field(default_factory=SkillsConfig)
    """``[skills]`` and ``[[skills.config]]``: see below."""

    # --- runtime (not read from config.toml) ---
    cwd: Path = field(default_factory=Path.cwd)
    """The workspace (``-C``)."""
    config_file: Path | None = None
    """The config.toml that was read, if any."""
    full_auto: bool = False
    project_config_ignored: Path | None = None
    """A project config file whose MCP servers were not loaded (the project is not trusted, or they changed)."""
    project_servers_changed: bool = False
    """The project is trusted but its servers are new or changed since they were accepted."""

    @property
    def provider(self) -> ProviderInfo:
        return self.model_providers[self.model_provider]


RUNTIME_FIELDS = frozenset({"cwd", "config_file", "full_auto", "project_config_ignored", "project_servers_changed"})
