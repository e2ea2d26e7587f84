"""Find SKILL.md skills, list them for the model (names and descriptions only), inject one when invoked.

Roots, highest priority first (a name found twice: the first wins):
- repository: ``.codex/skills``, ``.agents/skills`` and ``.claude/skills`` in the cwd and each folder
  above it up to the repository root (the nearest ``.git``; the cwd alone outside a repository);
- user: ``<codex-py home>/skills``, ``~/.agents/skills`` (shared by Codex, Claude Code, OpenCode...),
  ``~/.codex/skills`` and ``~/.claude/skills``.
Each root is walked breadth first (depth 6, 2000 folders at most, hidden entries skipped, as Codex does);
a file named exactly ``SKILL.md`` is a skill. Only its front matter is read here.
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from codex_py.skills.frontmatter import FrontMatterError, one_line, read_head, split

if TYPE_CHECKING:
    from collections.abc import Sequence

    from codex_py.config.model import SkillToggle

Scope = Literal["repo", "user"]
MAX_DEPTH = 6
MAX_DIRS = 2000
MAX_NAME = 64
MAX_DESCRIPTION = 1024
INSTRUCTIONS_BUDGET = 8000
"""Characters the skills list may take in the instructions (descriptions are shortened beyond)."""

_MENTION = re.compile(r"(?<![\w$])\$([A-Za-z0-9_:-]+)")


@dataclass(frozen=True, slots=True)
class Skill:
    name: str
    description: str
    path: Path
    """The SKILL.md file (absolute)."""
    scope: Scope
    argument_hint: str = ""

    def body(self) -> str:
        """The whole SKILL.md (read now): what the model gets when the skill is invoked."""
        return self.path.read_text(encoding="utf-8", errors="replace")

    def injection(self) -> str:
        """Codex's ``<skill>`` block for this skill."""
        return f"<skill>\n<name>{self.name}</name>\n<path>{self.path}</path>\n{self.body().rstrip()}\n</skill>"


@dataclass(slots=True)
class SkillSet:
    skills: list[Skill] = field(default_factory=list)
    """One per name, highest priority first."""
    shadowed: list[Skill] = field(default_factory=list)
    """Skills whose name an earlier root already has."""
    warnings: list[str] = field(default_factory=list)
    """One line per file that could not be used."""
    disabled: list[Skill] = field(default_factory=list)
    """Skills turned off by ``[[skills.config]]`` (not listed for the model, ``$name`` does not inject them)."""

    def apply(self, toggles: Sequence[SkillToggle]) -> None:
        """Turn skills off (or back on) as ``[[skills.config]]`` says: by SKILL.md path, else by name; the last
        entry naming a skill wins."""
        every = [*self.skills, *self.disabled]
        enabled = {id(skill): True for skill in every}
        for toggle in toggles:
            for skill in every:
                if (toggle.path and os.path.abspath(toggle.path) == str(skill.path)) or (
                    not toggle.path and toggle.name == skill.name
                ):
                    enabled[id(skill)] = toggle.enabled
        self.skills = [s for s in every if enabled[id(s)]]
        self.disabled = [s for s in every if not enabled[id(s)]]

    def get(self, name: str) -> Skill | None:
        for skill in self.skills:
            if skill.name == name:
                return skill
        return None

    def mentioned(self, text: str) -> list[Skill]:
        """The skills named ``$name`` in ``text`` (each once, in order; unknown names are plain text)."""
        found: list[Skill] = []
        for match in _MENTION.finditer(text):
            skill = self.get(match.group(1))
            if skill is not None and skill not in found:
                found.append(skill)
        return found


def skill_roots(home: Path, cwd: Path, user_home: Path | None = None) -> list[tuple[Path, Scope]]:
    """Where skills are looked for, highest priority first (module docstring)."""
    from codex_py.session.git import find_repo_root

    repo = find_repo_root(cwd) or cwd
    folders = [cwd, *(p for p in cwd.parents if p == repo or repo in p.parents)] if repo != cwd else [cwd]
    roots: list[tuple[Path, Scope]] = []
    for folder in folders:
        for sub in (".codex/skills", ".agents/skills", ".claude/skills"):
            roots.append((folder / sub, "repo"))
    user = user_home if user_home is not None else Path.home()
    roots.append((home / "skills", "user"))
    for sub in (".agents/skills", ".codex/skills", ".claude/skills"):
        roots.append((user / sub, "user"))
    seen: set[Path] = set()
    unique: list[tuple[Path, Scope]] = []
    for root, scope in roots:
        key = Path(os.path.abspath(root))
        if key not in seen:
            seen.add(key)
            unique.append((root, scope))
    return unique


def _walk(root: Path) -> list[Path]:
    """SKILL.md files under ``root`` (breadth first, limits as in the module docstring)."""
    found: list[Path] = []
    queue: deque[tuple[Path, int]] = deque([(root, 0)])
    dirs = 0
    while queue and dirs < MAX_DIRS:
        folder, depth = queue.popleft()
        dirs += 1
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    if depth < MAX_DEPTH:
                        queue.append((Path(entry.path), depth + 1))
                elif entry.name == "SKILL.md" and entry.is_file():
                    found.append(Path(entry.path))
            except OSError:
                continue
    return found


def load_skill(path: Path, scope: Scope) -> Skill:
    """Read one SKILL.md's front matter; raises ``FrontMatterError`` (or ``OSError``) when unusable."""
    meta, _ = split(read_head(str(path)), required=True)
    name = one_line(meta.get("name")) or path.parent.name
    description = one_line(meta.get("description"))
    if len(name) > MAX_NAME:
        raise FrontMatterError(f"name is longer than {MAX_NAME} characters")
    if len(description) > MAX_DESCRIPTION:
        raise FrontMatterError(f"description is longer than {MAX_DESCRIPTION} characters")
    if any(c.isspace() for c in name):
        raise FrontMatterError(f"name {name!r} contains spaces")
    hint = one_line(meta.get("argument-hint") or meta.get("argument_hint"))
    return Skill(name, description, path.absolute(), scope, hint)


def discover_skills(
    home: Path, cwd: Path, *, user_home: Path | None = None, toggles: Sequence[SkillToggle] = ()
) -> SkillSet:
    """Every skill in the roots (module docstring); a bad file is one warning and is skipped. ``toggles``
    (``[[skills.config]]``) turn some off."""
    result = SkillSet()
    names: set[str] = set()
    files: set[Path] = set()
    for root, scope in skill_roots(home, cwd, user_home):
        if not root.is_dir():
            continue
        for path in _walk(root):
            real = Path(os.path.realpath(path))
            if real in files:
                continue
            files.add(real)
            try:
                skill = load_skill(path, scope)
            except (FrontMatterError, OSError) as exc:
                result.warnings.append(f"skipped skill {path}: {exc}")
                continue
            if skill.name in names:
                result.shadowed.append(skill)
                continue
            names.add(skill.name)
            result.skills.append(skill)
    if toggles:
        result.apply(toggles)
    return result


def render_skills(skills: list[Skill], budget: int = INSTRUCTIONS_BUDGET) -> str:
    """The skills section of the instructions: each skill's name, description and file; never a body."""
    if not skills:
        return ""
    lines = [f"- {s.name}: {s.description} (file: {s.path})" for s in skills]
    if sum(len(line) + 1 for line in lines) > budget:  # shorten descriptions evenly, then drop them
        room = max(0, budget // len(skills) - 80)
        lines = [
            f"- {s.name}: {s.description[:room].rstrip()}{'…' if len(s.description) > room else ''} (file: {s.path})"
            if room
            else f"- {s.name} (file: {s.path})"
            for s in skills
        ]
    return (
        "# Skills\n"
        "A skill is a set of local instructions stored in a `SKILL.md` file. These skills are available:\n"
        + "\n".join(lines)
        + "\n\nHow to use skills:\n"
        "- Use a skill when the user names it (`$name`) or when the task clearly matches its description.\n"
        "- To use one, read its SKILL.md with your usual tools first; read only what you need.\n"
        "- Paths in a skill are relative to the skill's folder; run its `scripts/` rather than retyping them, "
        "and open files under `references/` only when the skill points to them.\n"
        "- When the user's message already contains a `<skill>` block, follow it: do not read the file again."
    )
