"""Custom prompts: Markdown files in ``<home>/prompts/`` invoked as ``/prompts:NAME args`` (Codex's last behaviour).

A file ``NAME.md`` (top level only, ``.md`` in any case, symlinks to files allowed) may start with front
matter (``description``, ``argument-hint``); the rest is the body. Expansion:
- with named placeholders (``$FILE``, ``$TICKET_ID``: ``$`` + an upper-case letter, ``$ARGUMENTS`` aside), the
  arguments are ``KEY=value`` pairs (shell quoting) and every placeholder needs one;
- otherwise they are positional: ``$1`` … ``$9`` (missing ones become empty), ``$ARGUMENTS`` all of them
  joined by spaces; ``$$`` stays ``$$``.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from codex_py.skills.frontmatter import FrontMatterError, one_line, split

PREFIX = "prompts:"
_NAMED = re.compile(r"(?<!\$)\$([A-Z][A-Z0-9_]*)")
_POSITIONAL = re.compile(r"\$(\$|[1-9]|ARGUMENTS)")


class PromptArgsError(ValueError):
    """The arguments do not fit the prompt (the message says what to type)."""


@dataclass(frozen=True, slots=True)
class CustomPrompt:
    name: str
    path: Path
    description: str
    argument_hint: str
    body: str

    @property
    def named_args(self) -> list[str]:
        """The named placeholders of the body, in order of first use."""
        names: list[str] = []
        for match in _NAMED.finditer(self.body):
            if match.group(1) != "ARGUMENTS" and match.group(1) not in names:
                names.append(match.group(1))
        return names

    @property
    def hint(self) -> str:
        """What to type after the name: the file's ``argument-hint``, else the named placeholders."""
        return self.argument_hint or " ".join(f"{n}=…" for n in self.named_args)

    def expand(self, args: str) -> str:
        """The text to send; raises ``PromptArgsError`` (Codex's messages)."""
        invocation = f"/{PREFIX}{self.name}"
        try:
            tokens = shlex.split(args)
        except ValueError as exc:
            raise PromptArgsError(f"Could not parse {invocation}: {exc}") from None
        named = self.named_args
        if named:
            values: dict[str, str] = {}
            for token in tokens:
                key, eq, value = token.partition("=")
                if not eq or not key:
                    raise PromptArgsError(
                        f"Could not parse {invocation}: expected key=value but found '{token}'. "
                        "Wrap values in double quotes if they contain spaces."
                    )
                values[key] = value
            missing = [n for n in named if n not in values]
            if missing:
                raise PromptArgsError(
                    f"Missing required args for {invocation}: {', '.join(missing)}. "
                    "Provide as key=value (quote values with spaces)."
                )
            return _NAMED.sub(lambda m: values.get(m.group(1), m.group(0)), self.body)

        def positional(match: re.Match[str]) -> str:
            what = match.group(1)
            if what == "$":
                return "$$"
            if what == "ARGUMENTS":
                return " ".join(tokens)
            index = int(what) - 1
            return tokens[index] if index < len(tokens) else ""

        return _POSITIONAL.sub(positional, self.body)


def prompt_files(home: Path) -> list[Path]:
    """The prompt files in ``<home>/prompts`` (sorted by name; nothing read)."""
    folder = home / "prompts"
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    files = []
    for entry in entries:
        if entry.name.lower().endswith(".md") and not entry.name.startswith("."):
            try:
                if entry.is_file():  # follows symlinks
                    files.append(Path(entry.path))
            except OSError:
                continue
    return sorted(files, key=lambda p: p.name)


def load_prompt(path: Path) -> CustomPrompt:
    """Read one prompt file; an unterminated front matter means no front matter (Codex)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        meta, body = split(text, required=False)
    except FrontMatterError:
        meta, body = {}, text
    hint = one_line(meta.get("argument-hint") or meta.get("argument_hint"))
    return CustomPrompt(path.name[:-3], path, one_line(meta.get("description")), hint, body)


def discover_prompts(home: Path) -> list[CustomPrompt]:
    """Every readable prompt in the home (unreadable ones are left out)."""
    found = []
    for path in prompt_files(home):
        try:
            found.append(load_prompt(path))
        except OSError:
            continue
    return found


def find_prompt(home: Path, name: str) -> CustomPrompt | None:
    """The prompt called ``name`` (reads only that file)."""
    for path in prompt_files(home):
        if path.name[:-3] == name:
            try:
                return load_prompt(path)
            except OSError:
                return None
    return None
