"""Images waiting to go with the next message: one chip per image above the composer (``[Image #1] a.png``).
Backspace in an empty composer removes the last one; Ctrl+V attaches a clipboard image."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from textual.content import Content
from textual.widgets import Static

from codex_py.protocol.items import ImagePart

CLIPBOARD_TOOLS = (
    ("wl-paste", ["wl-paste", "--no-newline", "--type", "image/png"]),
    ("xclip", ["xclip", "-selection", "clipboard", "-target", "image/png", "-out"]),
    ("pngpaste", ["pngpaste", "-"]),
)
"""Programs that print the clipboard's image as PNG: Wayland, X11, macOS (``pbpaste`` gives text only, so on
macOS it is ``pngpaste``)."""
NO_TOOL = (
    "no clipboard image tool found (wl-paste, xclip or pngpaste)",
    "install one, or paste the image file's path into the composer",
)


def chip_text(images: list[ImagePart]) -> str:
    names = [f"[Image #{i}] {Path(part.path).name or part.media_type}" for i, part in enumerate(images, 1)]
    return "  ".join(names) + "   · backspace (empty composer) removes the last"


class AttachmentBar(Static):
    """The chips; hidden while nothing is attached."""

    DEFAULT_CSS = """
    AttachmentBar { height: auto; padding: 0 2; color: $accent; display: none; }
    AttachmentBar.-shown { display: block; }
    """

    def show(self, images: list[ImagePart]) -> None:
        self.set_class(bool(images), "-shown")
        self.update(Content(chip_text(images)) if images else "")


def clipboard_image(env: dict[str, str] | None = None) -> tuple[Path | None, str, str]:
    """Save the clipboard's image to a temporary PNG: (path, "", "") or (None, problem, hint)."""
    env = dict(os.environ if env is None else env)
    tools = [(name, argv) for name, argv in CLIPBOARD_TOOLS if shutil.which(name, path=env.get("PATH"))]
    if not env.get("WAYLAND_DISPLAY"):  # wl-paste only works inside a Wayland session
        tools = [t for t in tools if t[0] != "wl-paste"]
    if not tools:
        return None, *NO_TOOL
    for _name, argv in tools:
        try:
            done = subprocess.run(argv, capture_output=True, timeout=5, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout:
            fd, path = tempfile.mkstemp(prefix="codex-py-clipboard-", suffix=".png")
            with os.fdopen(fd, "wb") as out:
                out.write(done.stdout)
            return Path(path), "", ""
    return None, "the clipboard holds no image", "copy an image first, or paste an image file's path"
