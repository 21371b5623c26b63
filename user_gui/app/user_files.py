"""The person's own files: the kinds of file the window opens (videos, pictures), the
file-dialog filters that name them, and the folders the dialogs open in (the person's Videos
or Pictures folder, then the last one they chose a file in)."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QSettings, QStandardPaths

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def patterns(suffixes: tuple[str, ...]) -> str:
    """``*.mp4 *.mov …``: a file dialog's filter for these suffixes."""
    return " ".join(f"*{s}" for s in suffixes)


def is_media(path: str | Path) -> bool:
    """A video or a picture, by its name."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES


KINDS = {
    "videos": QStandardPaths.StandardLocation.MoviesLocation,
    "pictures": QStandardPaths.StandardLocation.PicturesLocation,
}


def user_folder(kind: str) -> Path:
    """The person's own Videos or Pictures folder (``kind``: videos, pictures), else their
    home folder where there is none."""
    location = QStandardPaths.writableLocation(KINDS[kind])
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


def dialog_folder(kind: str, settings: QSettings | None = None) -> str:
    """Where a file dialog for ``kind`` opens: the folder the person last chose one in, else
    their Videos or Pictures folder (never the studio's own checkout)."""
    store = settings if settings is not None else QSettings("AR Live Studio", "user_gui")
    last = str(store.value(f"folders/{kind}", "") or "")
    return last if last and Path(last).is_dir() else str(user_folder(kind))


def remember_folder(kind: str, path: str, settings: QSettings | None = None) -> None:
    """The folder of the file just chosen: the next dialog for ``kind`` opens there."""
    store = settings if settings is not None else QSettings("AR Live Studio", "user_gui")
    store.setValue(f"folders/{kind}", str(Path(path).parent))
