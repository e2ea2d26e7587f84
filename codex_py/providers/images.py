"""Images for the model: read a file into an ``ImagePart``, and fit one to a provider's limits.

A file is read once (``load_image``): PNG, JPEG and WebP within 2048x2048 go out byte for byte (as
Codex sends them); larger ones are scaled down to fit that box, GIF and other formats Pillow reads are
re-encoded as PNG. Each wire then fits the part to its own limits (``fit``): the Messages API takes at
most ~5 MB of base64 per image and scales anything over 1568 px down on its side anyway, so Claude
gets 1568 px; the OpenAI wires take 2048 px. Work is cached per (image, limits), so a long session
does not re-encode its images on every request.

Pillow is imported only when an image has to be measured or re-encoded (never at start-up).
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from codex_py.protocol.items import ImagePart

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
"""What a pasted or typed path must end with to be attached as an image (Codex's list)."""
MAX_FILE_BYTES = 50 * 1024 * 1024
"""Files larger than this are refused before reading (nothing a model takes is that big)."""
_SNIFF = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_KEEP = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


class ImageError(ValueError):
    """An image that cannot be attached; ``str()`` is one line naming the file and the cause."""


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_side: int
    """Longest edge in pixels."""
    max_bytes: int
    """Largest encoded (decoded-from-base64) size."""


DEFAULT_LIMITS = ImageLimits(2048, 20 * 1024 * 1024)
OPENAI_LIMITS = DEFAULT_LIMITS
ANTHROPIC_LIMITS = ImageLimits(1568, 3_750_000)
"""1568 px: the size Anthropic scales larger images down to; 3.75 MB of bytes is 5 MB of base64."""


def sniff(data: bytes) -> str | None:
    """The MIME type of PNG / JPEG / GIF / WebP bytes, else None."""
    for magic, mime in _SNIFF:
        if data.startswith(magic):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def looks_like_image_path(text: str) -> bool:
    """True for a path with an image suffix (the file is not checked)."""
    return Path(text.strip()).suffix.lower() in IMAGE_SUFFIXES


def load_image(path: str | Path, cwd: Path | None = None) -> ImagePart:
    """Read an image file into a part (a ``data:`` URL fitted to 2048 px, plus ``path`` and ``sha256``).

    Raises ``ImageError`` with a one-line cause when the file is missing, unreadable or not an image."""
    file = Path(path).expanduser()
    if cwd is not None and not file.is_absolute():
        file = cwd / file
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageError(f"image {path} is too large ({size // (1024 * 1024)} MB; at most 50 MB)")
        data = file.read_bytes()
    except IsADirectoryError:
        raise ImageError(f"image {path} is a directory, not an image file") from None
    except OSError as exc:
        raise ImageError(f"cannot read image {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    return encode_image(data, path=str(file.resolve()), sha256=digest)


def encode_image(data: bytes, *, path: str = "", sha256: str = "", limits: ImageLimits = DEFAULT_LIMITS) -> ImagePart:
    """Image bytes as a part fitted to ``limits`` (raises ``ImageError``)."""
    name = path or "the image"
    mime = sniff(data)
    if mime in _KEEP and len(data) <= limits.max_bytes:
        width, height = _size(data, name)
        if max(width, height) <= limits.max_side:
            return ImagePart(_data_url(mime, data), mime, path=path, sha256=sha256)
    out, mime = _reencode(data, name, limits)
    return ImagePart(_data_url(mime, out), mime, path=path, sha256=sha256)


def fit(part: ImagePart, limits: ImageLimits) -> ImagePart:
    """``part`` within ``limits`` (itself when it already fits or is not a ``data:`` URL)."""
    if not part.url.startswith("data:"):
        return part
    return _fit_cached(part, limits)


@lru_cache(maxsize=64)
def _fit_cached(part: ImagePart, limits: ImageLimits) -> ImagePart:
    header, _, payload = part.url.partition(",")
    if len(payload) * 3 // 4 <= limits.max_bytes and ";base64" in header:
        data = base64.b64decode(payload)
        try:
            width, height = _size(data, "image")
        except ImageError:
            return part  # not ours to judge: the provider says what is wrong with it
        if max(width, height) <= limits.max_side:
            return part
    else:
        try:
            data = base64.b64decode(payload)
        except ValueError:
            return part
    try:
        fitted = encode_image(data, path=part.path, sha256=part.sha256, limits=limits)
    except ImageError:
        return part
    return replace(part, url=fitted.url, media_type=fitted.media_type)


def reload_image(path: str, sha256: str) -> ImagePart:
    """A recorded image read again (resume): raises ``ImageError`` saying why it cannot be, including
    when the file changed since it was attached."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ImageError(f"image {path} no longer exists") from None
    except OSError as exc:
        raise ImageError(f"cannot read image {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256:
        raise ImageError(f"image {path} changed since it was attached")
    return encode_image(data, path=path, sha256=digest)


def placeholder(path: str, why: str) -> str:
    """The text sent instead of an image that could not be read again."""
    return f"[image not available: {why}]" if why else f"[image {path} not available]"


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _open(data: bytes, name: str) -> Any:
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow is a dependency
        raise ImageError(f"cannot resize {name}: Pillow is not installed (pip install pillow)") from None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image codex-py can read (PNG, JPEG, GIF, WebP)") from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{name} cannot be decoded: {exc}") from None
    return image


def _size(data: bytes, name: str) -> tuple[int, int]:
    """Width and height from the header (PNG without Pillow; others through Pillow's lazy open)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover
        raise ImageError(f"cannot measure {name}: Pillow is not installed") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except (UnidentifiedImageError, OSError, ValueError):
        raise ImageError(f"{name} is not an image codex-py can read (PNG, JPEG, GIF, WebP)") from None


def _reencode(data: bytes, name: str, limits: ImageLimits) -> tuple[bytes, str]:
    image = _open(data, name)
    fmt = _KEEP.get(sniff(data) or "", "PNG")
    side = limits.max_side
    while True:
        if max(image.width, image.height) > side:
            image.thumbnail((side, side))
        out = _save(image, fmt)
        if len(out) <= limits.max_bytes:
            return out, "image/" + fmt.lower()
        if fmt != "JPEG":  # too big as PNG/WebP: photographs compress far better as JPEG
            fmt = "JPEG"
            continue
        side = int(max(image.width, image.height) * 0.75)
        if side < 64:
            raise ImageError(f"{name} cannot be made small enough for the provider")


def _save(image: Any, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=85)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", lossless=True)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(buffer, "PNG")
    return buffer.getvalue()


__all__ = [
    "ANTHROPIC_LIMITS",
    "DEFAULT_LIMITS",
    "IMAGE_SUFFIXES",
    "OPENAI_LIMITS",
    "ImageError",
    "ImageLimits",
    "encode_image",
    "fit",
    "load_image",
    "looks_like_image_path",
    "placeholder",
    "reload_image",
    "sniff",
]
