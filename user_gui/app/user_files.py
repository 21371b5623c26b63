"""The person's own files: the kinds of file the window opens (videos, pictures) and the
file-dialog filters that name them."""

from __future__ import annotations

from pathlib import Path

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def patterns(suffixes: tuple[str, ...]) -> str:
    """``*.mp4 *.mov …``: a file dialog's filter for these suffixes."""
    return " ".join(f"*{s}" for s in suffixes)


def is_media(path: str | Path) -> bool:
    """A video or a picture, by its name."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES
