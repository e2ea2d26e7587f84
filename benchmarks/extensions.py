"""Skills and custom prompts cost at start-up: exec launch -> first request with 50 skills and 20 prompts
installed in the home, against none. Discovery reads only each SKILL.md's front matter and prompts are read
only for a ``/prompts:`` command, so the difference should stay within noise.
"""

from __future__ import annotations

import shutil

from benchmarks import Options
from benchmarks.exec_run import exec_setup
from benchmarks.report import Row, measured, median
from benchmarks.startup import checked, run_child

SECTION = "extensions"
SLACK_MS = 15.0
"""Allowed difference (noise of a ~150 ms child start on a shared machine)."""
SKILLS, PROMPTS = 50, 20


def _install(home_skills: str, home_prompts: str) -> None:
    from pathlib import Path

    for i in range(SKILLS):
        folder = Path(home_skills) / f"skill-{i:02d}"
        folder.mkdir(parents=True)
        body = "\n".join(f"Step {n}: do the thing carefully." for n in range(200))
        (folder / "SKILL.md").write_text(
            f"---\nname: skill-{i:02d}\ndescription: Benchmark skill number {i}; use it for task {i}.\n---\n{body}\n"
        )
    Path(home_prompts).mkdir(parents=True)
    for i in range(PROMPTS):
        (Path(home_prompts) / f"prompt-{i:02d}.md").write_text(
            f"---\ndescription: prompt {i}\nargument-hint: FILE\n---\nLook at $1 for issue {i}.\n"
        )


def run(options: Options) -> list[Row]:
    """exec launch -> first request, without and with 50 skills + 20 prompts, interleaved."""
    without: list[float] = []
    with_many: list[float] = []
    with exec_setup() as setup:
        skills, prompts = setup.home / "skills", setup.home / "prompts"
        _install(str(skills.with_name("skills.off")), str(prompts.with_name("prompts.off")))
        for i in range(options.repeat + 1):
            for installed, out in ((False, without), (True, with_many)):
                if installed:
                    shutil.move(skills.with_name("skills.off"), skills)
                    shutil.move(prompts.with_name("prompts.off"), prompts)
                m = checked(run_child(setup.argv(), env=setup.env(), cwd=setup.workdir), "codex-py exec")
                sent = setup.fake.requests[-1].monotonic
                if installed:
                    shutil.move(skills, skills.with_name("skills.off"))
                    shutil.move(prompts, prompts.with_name("prompts.off"))
                if i:  # the first round warms caches
                    out.append((sent - m.started_at) * 1000)
    delta = median(with_many) - median(without)
    return [
        measured(SECTION, "exec launch -> first request, no skills", without, "ms"),
        measured(
            SECTION,
            f"exec launch -> first request, {SKILLS} skills + {PROMPTS} prompts",
            with_many,
            "ms",
            target=f"<= none + {SLACK_MS:g} ms",
            ok=delta <= SLACK_MS,
            note=f"difference {delta:+.1f} ms; front matter only",
        ),
    ]
