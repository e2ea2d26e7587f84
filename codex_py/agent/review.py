"""Code review in a read-only sub-session: ``codex-py review`` and the TUI's ``/review`` (Codex's review).

The change to review (uncommitted work, a branch against its merge base, one commit) is read with the safe
git runner (``sandbox.git``: no repository-configured program runs) and sent in the request with the review
rubric (``prompts/review.md``) as the instructions. The reviewer runs as its own one-turn session: sandbox
``read-only``, approvals ``never``, one tool (``shell``), no hooks, MCP servers, web search, project docs,
checkpoints or session file. It may run on another provider than the one that wrote the code
(``--provider``, ``/review --with``): a second opinion from another vendor. Its answer is Codex's review
JSON (``ReviewOutput``), rendered as Codex renders it (``render_review``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from codex_py.agent.events import (
    AgentEvent,
    AgentMessage,
    AgentTextDelta,
    ApprovalRequest,
    ApprovalResult,
    Decision,
    EventSink,
    StreamReset,
    TurnAborted,
    TurnCompleted,
    TurnFailed,
)
from codex_py.config import Config, ConfigError
from codex_py.errors import CodexPyError, UsageError

if TYPE_CHECKING:
    from codex_py.protocol import ToolSpec, Usage

TargetKind = Literal["uncommitted", "base", "commit", "custom"]

MAX_DIFF_CHARS = 200_000
"""A longer diff is cut there (the reviewer can read the rest with git: it is told how)."""
MAX_REVIEW_ITERATIONS = 40
"""Model round-trips the reviewer may take (it reads; it never needs the main session's 200)."""
NO_TARGET = "Specify --uncommitted, --base, --commit, or provide custom review instructions"
FAILED_TO_RESPOND = "Reviewer failed to output a response."

_TARGET_PROMPTS = {
    "uncommitted": "Review the current code changes (staged, unstaged and untracked files) and give prioritized "
    "findings.",
    "base": "Review the code changes of this branch against the base branch '{ref}' (merge base {base}): what "
    "merging into '{ref}' would bring. Give prioritized, actionable findings.",
    "commit": "Review the code changes introduced by commit {ref}{title}. Give prioritized, actionable findings.",
}
_REVIEWER_SHELL = {
    "type": "object",
    "properties": {
        "command": {"type": "array", "items": {"type": "string"}, "description": "The command to execute (argv)."},
        "workdir": {"type": "string", "description": "The working directory (default: the repository)."},
        "timeout_ms": {"type": "number", "description": "Timeout in milliseconds."},
    },
    "required": ["command"],
    "additionalProperties": False,
}


# --- what to review -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReviewTarget:
    """What to review: ``uncommitted`` work, a ``base`` branch (``ref``), a ``commit`` (``ref``, optional
    ``title``), or only ``custom`` instructions. ``instructions`` may also narrow any of the others."""

    kind: TargetKind
    ref: str = ""
    title: str = ""
    instructions: str = ""


def review_target(
    *,
    uncommitted: bool = False,
    base: str | None = None,
    commit: str | None = None,
    title: str | None = None,
    prompt: str | None = None,
) -> ReviewTarget:
    """The target from Codex's flags (at most one of ``--uncommitted``/``--base``/``--commit``; a ``PROMPT``
    alone is a custom review, with one of them it narrows it). Usage errors as Codex words them."""
    chosen = [name for name, on in (("--uncommitted", uncommitted), ("--base", base), ("--commit", commit)) if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} cannot be used together", "choose one thing to review")
    if (base is not None and not base.strip()) or (commit is not None and not commit.strip()):
        raise UsageError("--base and --commit need a branch or commit name", "e.g. --base main or --commit HEAD")
    instructions = (prompt or "").strip()
    if prompt is not None and not instructions:
        raise UsageError("Review prompt cannot be empty", "give review instructions, or leave the prompt out")
    if title and not commit:
        raise UsageError("--title goes with --commit", "e.g. --commit abc1234 --title 'Fix the parser'")
    if uncommitted:
        return ReviewTarget("uncommitted", instructions=instructions)
    if base:
        return ReviewTarget("base", base.strip(), instructions=instructions)
    if commit:
        return ReviewTarget("commit", commit.strip(), (title or "").strip(), instructions)
    if instructions:
        return ReviewTarget("custom", instructions=instructions)
    raise UsageError(NO_TARGET, "e.g. codex-py review --uncommitted, or --base main, or --commit HEAD")


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """The prepared review: the prompt sent (diff included) and a short description for people."""

    target: ReviewTarget
    prompt: str
    hint: str
    """``uncommitted changes``, ``changes against 'main'``, ``commit abc1234: title``, or the instructions."""
    diff_chars: int = 0
    cut: bool = False


def prepare_review(cwd: Path, target: ReviewTarget) -> ReviewRequest:
    """Read the change with git (sandboxed, the repository's programs neutralised) and write the prompt.

    ``UsageError`` outside a repository or for an unknown branch/commit; ``CodexPyError`` when there is
    nothing to review or git does not run.
    """
    if target.kind == "custom":
        return ReviewRequest(target, target.instructions, target.instructions)
    _git(cwd, ["rev-parse", "--is-inside-work-tree"], not_repo=True)
    if target.kind == "uncommitted":
        diff, source = _uncommitted_diff(cwd), "`git diff HEAD` and the untracked files"
        hint, intro = "uncommitted changes", _TARGET_PROMPTS["uncommitted"]
        if not diff.strip():
            raise CodexPyError(
                f"nothing to review: no uncommitted changes in {cwd}",
                "review a branch (--base main) or a commit (--commit HEAD) instead",
            )
    elif target.kind == "base":
        sha = _resolve(cwd, target.ref, "branch")
        merge_base = _git(cwd, ["merge-base", "HEAD", sha]).strip()
        diff, source = _git(cwd, ["diff", "--no-color", merge_base]), f"`git diff {merge_base}`"
        hint = f"changes against '{target.ref}'"
        intro = _TARGET_PROMPTS["base"].format(ref=target.ref, base=merge_base)
        if not diff.strip():
            raise CodexPyError(
                f"nothing to review: no changes against '{target.ref}' (merge base {merge_base[:7]})",
                "commit or change something on this branch first",
            )
    else:
        sha = _resolve(cwd, target.ref, "commit")
        title = target.title or _git(cwd, ["log", "-1", "--format=%s", sha]).strip()
        diff, source = _git(cwd, ["show", "--no-color", "--format=medium", sha]), f"`git show {sha}`"
        hint = f"commit {sha[:7]}" + (f": {title}" if title else "")
        intro = _TARGET_PROMPTS["commit"].format(ref=sha, title=f' ("{title}")' if title else "")
    size = len(diff)
    cut = size > MAX_DIFF_CHARS
    if cut:
        diff = (
            diff[:MAX_DIFF_CHARS]
            + f"\n[the diff is cut here: {size - MAX_DIFF_CHARS:,} more characters; run {source} to read the rest]\n"
        )
    parts = [intro]
    if target.instructions:
        parts.append(f"The user also asks: {target.instructions}")
    parts.append(f"The repository is {cwd}. The change, from {source}:\n\n<diff>\n{diff.rstrip()}\n</diff>")
    return ReviewRequest(target, "\n\n".join(parts), hint, size, cut)


def _git(cwd: Path, args: list[str], *, not_repo: bool = False, what: str = "") -> str:
    from codex_py.sandbox.git import run_git

    proc = run_git(cwd, args, timeout=30.0)
    if proc is None:
        raise CodexPyError(f"git {args[0]} did not finish (or git is not installed)", "run it in a terminal to see why")
    if proc.returncode != 0:
        errors = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        last = errors[-1] if errors else f"git {args[0]} exited with status {proc.returncode}"
        if not_repo:
            raise UsageError(f"not a git repository: {cwd}", "run codex-py review inside a repository (or pass -C DIR)")
        if what:
            name = args[-1].removesuffix("^{commit}")
            raise UsageError(
                f"unknown {what} {name!r}" + (f": {errors[-1]}" if errors else ""), f"name an existing {what}"
            )
        raise CodexPyError(f"git {args[0]} failed: {last}", "run it in a terminal to see why")
    return proc.stdout.decode("utf-8", "replace")


def _resolve(cwd: Path, ref: str, what: str) -> str:
    """``ref`` as a full commit id (``--end-of-options``: a name starting with ``-`` is not an option)."""
    return _git(cwd, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], what=what).strip()


def _uncommitted_diff(cwd: Path) -> str:
    """``sandbox.git.workspace_diff`` (the caller checked that ``cwd`` is in a repository)."""
    from codex_py.sandbox.git import workspace_diff

    try:
        return workspace_diff(cwd) or ""
    except OSError as exc:
        raise CodexPyError(f"git diff failed: {exc}", "run `git diff` in a terminal to see why") from None


# --- the reviewer's output ----------------------------------------------------------------------
@dataclass(slots=True)
class Finding:
    """One finding of Codex's review JSON."""

    title: str
    body: str
    path: str
    start: int
    end: int
    priority: int | None = None
    confidence_score: float | None = None

    def location(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "confidence_score": self.confidence_score,
            "priority": self.priority,
            "code_location": {"absolute_file_path": self.path, "line_range": {"start": self.start, "end": self.end}},
        }


@dataclass(slots=True)
class ReviewOutput:
    """Codex's ``ReviewOutputEvent``: findings (most urgent first), the verdict and its explanation."""

    findings: list[Finding] = field(default_factory=list)
    overall_correctness: str = ""
    overall_explanation: str = ""
    overall_confidence_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "overall_correctness": self.overall_correctness,
            "overall_explanation": self.overall_explanation,
            "overall_confidence_score": self.overall_confidence_score,
        }


def parse_review(text: str, cwd: Path) -> ReviewOutput:
    """The reviewer's answer as a ``ReviewOutput``: the JSON itself, else the outermost ``{...}`` in it (a
    fence or a sentence around it), else the whole text as the explanation (as Codex does). Relative paths
    are made absolute against ``cwd``; findings are sorted by priority (unknown last), keeping their order."""
    data: Any = None
    for candidate in (text, text[text.find("{") : text.rfind("}") + 1] if "{" in text else ""):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            break
        data = None
    if not isinstance(data, dict):
        return ReviewOutput(overall_explanation=text.strip())
    findings = [f for raw in data.get("findings") or [] if (f := _finding(raw, cwd)) is not None]
    findings.sort(key=lambda f: 4 if f.priority is None else f.priority)
    return ReviewOutput(
        findings,
        str(data.get("overall_correctness") or ""),
        str(data.get("overall_explanation") or ""),
        _number(data.get("overall_confidence_score")),
    )


def _finding(raw: Any, cwd: Path) -> Finding | None:
    if not isinstance(raw, dict):
        return None
    location = raw.get("code_location")
    location = location if isinstance(location, dict) else {}
    lines = location.get("line_range")
    lines = lines if isinstance(lines, dict) else {}
    path = str(location.get("absolute_file_path") or "")
    if path and not Path(path).is_absolute():
        path = str(cwd / path)
    start = _integer(lines.get("start")) or 0
    end = _integer(lines.get("end")) or start
    priority = _integer(raw.get("priority"))
    title = str(raw.get("title") or "").strip()
    if priority is None and (tag := re.match(r"\[P([0-3])\]", title)):
        priority = int(tag.group(1))
    if priority is not None and not 0 <= priority <= 3:
        priority = None
    return Finding(
        title, str(raw.get("body") or "").strip(), path, start, end, priority, _number(raw.get("confidence_score"))
    )


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def findings_block(findings: list[Finding]) -> str:
    """Codex's block: ``Review comment:`` (one) or ``Full review comments:``, then per finding a blank line,
    ``- <title> — <path>:<start>-<end>`` and the body indented two spaces."""
    lines = ["Full review comments:" if len(findings) > 1 else "Review comment:"]
    for finding in findings:
        lines += ["", f"- {finding.title} — {finding.location()}"]
        lines += [f"  {line}" for line in finding.body.splitlines()]
    return "\n".join(lines)


def render_review(output: ReviewOutput) -> str:
    """The review as text, as Codex renders it: the explanation, a blank line, the findings block."""
    sections = [output.overall_explanation.strip()] if output.overall_explanation.strip() else []
    if output.findings:
        sections.append(findings_block(output.findings))
    return "\n\n".join(sections) if sections else FAILED_TO_RESPOND


# --- the reviewer ---------------------------------------------------------------------------------
def reviewer_config(config: Config, provider: str | None = None, model: str | None = None) -> Config:
    """The reviewer's config: ``provider`` (default: the session's), ``model`` (default: ``review_model``, else
    the session's model on its own provider or the provider's default model on another), read-only sandbox,
    approvals never, nothing of the session's own (instructions, hooks, MCP, notify, checkpoints, search)."""
    pid = provider or config.model_provider
    if pid not in config.model_providers:
        known = ", ".join(sorted(config.model_providers))
        raise ConfigError(f"unknown provider {pid!r} for the review", f"known providers: {known}")
    same = pid == config.model_provider
    slug = model or config.review_model or (config.model if same else config.model_providers[pid].default_model)
    if not slug:
        raise ConfigError(f"no model configured for provider {pid!r}", "pass -m MODEL or set review_model")
    return replace(
        config,
        model_provider=pid,
        model=slug,
        model_reasoning_effort=config.model_reasoning_effort if same and slug == config.model else None,
        sandbox_mode="read-only",
        approval_policy="never",
        instructions=None,
        developer_instructions=None,
        project_doc_max_bytes=0,
        hooks={},
        mcp_servers={},
        notify=[],
        checkpoints=False,
        max_tool_iterations=min(config.max_tool_iterations, MAX_REVIEW_ITERATIONS),
        web_search="disabled",
        tools=replace(config.tools, view_image=False),
    )


def reviewer_label(config: Config) -> str:
    """``anthropic · claude-sonnet-4-5``: who reviews."""
    return f"{config.model_provider} · {config.model}"


def reviewer_instructions(config: Config) -> str:
    """The rubric plus where the reviewer is and what it may do."""
    from codex_py.agent.instructions import permissions_text

    rubric = resources.files("codex_py.agent").joinpath("prompts/review.md").read_text("utf-8").strip()
    return f"{rubric}\n\n# Environment\nWorking directory: {config.cwd}\n{permissions_text(config)}\n"


def reviewer_tools() -> list[ToolSpec]:
    """Only ``shell``: the reviewer reads and runs commands; nothing that edits is offered."""
    from codex_py.agent.tool_specs import SHELL_DESCRIPTION
    from codex_py.protocol import ToolSpec

    return [ToolSpec("shell", SHELL_DESCRIPTION, _REVIEWER_SHELL)]


@dataclass(slots=True)
class ReviewResult:
    """How the review ended: ``output`` and its rendered ``text``, or ``failed`` (the reviewer's turn failed)."""

    reviewer: str
    output: ReviewOutput | None = None
    text: str = ""
    failed: TurnFailed | None = None
    usage: Usage | None = None
    session_id: str = ""


class _ReviewSink:
    """Passes the reviewer's events on, except its answer (the JSON, its deltas) and the turn's end, which
    ``run_review`` turns into the result. A message before a tool call is passed on when the next one starts
    (as Codex does); approval requests are refused (approvals are ``never``)."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self.held: AgentMessage | None = None
        self.outcome: TurnCompleted | TurnFailed | TurnAborted | None = None

    def __call__(self, event: AgentEvent) -> None:
        if isinstance(event, AgentTextDelta):
            return
        if isinstance(event, AgentMessage):
            if self.held is not None:
                self.sink(self.held)
            self.held = event
            return
        if isinstance(event, (TurnCompleted, TurnFailed, TurnAborted)):
            self.outcome = event
            return
        if isinstance(event, StreamReset):
            self.held = None
        if isinstance(event, ApprovalRequest) and event.future is not None and not event.future.done():
            event.future.set_result(ApprovalResult(Decision.DENY, "the reviewer cannot change anything"))
            return
        self.sink(event)


async def run_review(
    config: Config, request: ReviewRequest, sink: EventSink, *, session_id: str | None = None
) -> ReviewResult:
    """Run the reviewer (``config`` from ``reviewer_config``) on ``request``; its events go to ``sink`` (its
    answer excepted). ``NoCredentialsError`` when the reviewer's provider has no login."""
    from codex_py.agent.session import Session, new_session_id
    from codex_py.login.resolve import resolve_provider_auth
    from codex_py.providers import open_client
    from codex_py.providers.catalog import model_info

    session_id = session_id or new_session_id()
    auth = resolve_provider_auth(config, config.provider, session_id=session_id)
    client = open_client(
        config.provider, auth=auth.auth, base_url=auth.base_url, extra_headers=auth.headers, backend=auth.backend
    )
    relay = _ReviewSink(sink)
    session = Session(
        config,
        client,
        relay,
        session_id=session_id,
        instructions=reviewer_instructions(config),
        interactive=False,
        tools=reviewer_tools(),
        context_window=model_info(config.provider, config.model).context_window,
    )
    session.auth_mode = auth.mode
    session.cost.billed = auth.backend != "chatgpt"
    result = ReviewResult(reviewer_label(config), session_id=session_id)
    try:
        await session.run_turn(request.prompt)
    finally:
        await session.aclose()
    result.usage = session.usage
    outcome = relay.outcome
    if isinstance(outcome, TurnCompleted):
        result.output = parse_review(outcome.last_message or "", config.cwd)
        result.text = render_review(result.output)
    elif isinstance(outcome, TurnFailed):
        result.failed = outcome
    else:
        result.failed = TurnFailed("the review was interrupted", "run the review again and let it finish")
    return result


REVIEW_CONTEXT = (
    "<user_action>\n"
    "  <context>The user ran a code review of the {hint} by a second model ({reviewer}). Its findings follow; "
    "the user may ask you to address some or all of them.</context>\n"
    "  <action>review</action>\n"
    "  <results>\n{results}\n  </results>\n"
    "</user_action>"
)


def review_context(request: ReviewRequest, result: ReviewResult) -> str:
    """The user message that gives the main model the review (Codex's ``<user_action>`` form)."""
    return REVIEW_CONTEXT.format(hint=request.hint, reviewer=result.reviewer, results=result.text)
