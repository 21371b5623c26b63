"""The media folders (``media.folders``): the files a file source can play (GET /media), and
uploads saved into the first folder (POST /media).

No Flask here: the API hands over the upload's name and a stream to read. An upload is
written under a hidden temporary name in the folder, checked (OpenCV reads a frame of a
video, or knows the image's format), then renamed to a plain name that exists nowhere in the
media folders yet (``clip.mp4``, else ``clip-1.mp4``, ``clip-2.mp4``...). A name never carries
a path: only its last part is kept, reduced to ``A-Za-z0-9._-``.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import unicodedata
from pathlib import Path
from typing import IO

import cv2

from ar_backend.face.imaging.pixel_limit import (
    PixelLimit,
    SizeUnreadable,
    TooManyPixels,
    check_picture,
    check_video,
)
from ar_backend.sources.base import IMAGE_SUFFIXES, VIDEO_SUFFIXES, BadSpec, parse_spec
from shared.messages import KeyedError, Message
from shared.paths import inside
from shared.wire.backend import MediaFile, MediaUploadOut

log = logging.getLogger(__name__)

UPLOAD_VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")
UPLOAD_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
UPLOAD_SUFFIXES = UPLOAD_VIDEO_SUFFIXES + UPLOAD_IMAGE_SUFFIXES
MAX_NAME = 100  # characters, the extension and a -N included
MAX_LISTED = 2000  # GET /media lists at most this many files
CHUNK = 1 << 20
TEMP_PREFIX = ".upload-"  # hidden: never listed, never a name an upload gets
# names Windows reserves for devices, whatever the extension (CON.mp4 is the console)
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{dev}{n}" for dev in ("COM", "LPT") for n in range(1, 10)
}


class MediaRefused(KeyedError):
    """An upload refused; ``field`` names the multipart field at fault."""

    def __init__(self, message: Message | str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


class BadMediaName(MediaRefused):
    """No usable file name (nothing left once sanitised), or an empty file: a 400."""


class MediaTooLarge(MediaRefused):
    """Larger than ``media.max_upload_mb``, or more pixels than ``media.max_megapixels``
    (read from the header, before OpenCV decodes anything): a 413."""


class MediaTypeRefused(MediaRefused):
    """Not a video or image extension taken, or content OpenCV cannot read: a 415."""


class MediaUnavailable(Exception):
    """No media folder to save into, or it cannot be written: a 503."""


def media_kind(name: str) -> str | None:
    """``video``, ``image``, or None for a file no file source plays."""
    suffix = Path(name).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    return None


def source_for(name: str, kind: str) -> str:
    """The SPEC that plays ``name`` (POST /camera/start ``source``)."""
    return f"{'file' if kind == 'video' else 'image'}:{name}"


def _cleaned(text: str) -> tuple[str, str]:
    """``text``'s last path part as (stem, lower-case extension with its dot), folded to ASCII,
    runs of other characters than ``A-Za-z0-9._-`` made ``_``, no leading or trailing
    ``._-`` (NUL, control and bidi characters, ``/etc/`` all go)."""
    last = re.split(r"[\\/]", text)[-1].strip()
    last = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = last.rpartition(".")
    if not dot:
        stem, ext = last, ""
    suffix = f".{ext.lower()}" if ext else ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")
    return stem, suffix


def display_name(filename: str | None, default: str = "upload") -> str:
    """A name to keep and show for an upload that is not saved under it (a face photo): as
    :func:`plain_name` cleans it, any extension kept, at most :data:`MAX_NAME` characters;
    ``default`` when nothing is left."""
    stem, suffix = _cleaned(filename or "")
    suffix = "." + re.sub(r"[^a-z0-9]+", "", suffix)[:15] if suffix else ""
    suffix = "" if suffix == "." else suffix
    if not stem:
        return default + suffix if suffix else default
    return stem[: MAX_NAME - len(suffix)] + suffix


def plain_name(filename: str | None) -> str:
    """The name an upload is saved under: the last path part of ``filename`` (``/`` and ``\\``
    both separate), folded to ASCII, every run of other characters than ``A-Za-z0-9._-``
    made ``_``, no leading or trailing ``._-``, at most :data:`MAX_NAME` characters, with a
    lower-case extension from :data:`UPLOAD_SUFFIXES`.

    :class:`BadMediaName` when nothing is left; :class:`MediaTypeRefused` for another
    extension (``/etc/passwd`` and ``file:///etc/passwd`` both end as ``passwd``: refused).
    """
    text = filename or ""
    stem, suffix = _cleaned(text)
    if not stem and not suffix:
        raise BadMediaName(
            f"the file name {text!r} leaves nothing once sanitised: send the file with a name "
            "such as clip.mp4"
        )
    if suffix not in UPLOAD_SUFFIXES:
        raise MediaTypeRefused(
            f"{suffix or 'a name without an extension'} is not taken: send a video "
            f"({' '.join(UPLOAD_VIDEO_SUFFIXES)}) or an image ({' '.join(UPLOAD_IMAGE_SUFFIXES)})"
        )
    if not stem:
        raise BadMediaName(
            f"the file name {text!r} leaves nothing but its extension once sanitised "
            "(letters, digits, ._- are kept): rename it"
        )
    if stem.split(".")[0].upper() in WINDOWS_RESERVED:
        stem += "_"
    return stem[: MAX_NAME - len(suffix)] + suffix


def _readable(path: Path, kind: str) -> bool:
    """OpenCV reads it: a video's first frame, an image's format (from its first bytes)."""
    if kind == "image":
        return bool(cv2.haveImageReader(str(path)))
    cap = cv2.VideoCapture(str(path))
    try:
        return bool(cap.isOpened() and cap.read()[0])
    finally:
        cap.release()


class MediaLibrary:
    """The media folders, in order: a name resolves in the first that has it (as
    ``/camera/start`` resolves it), and uploads go to the first."""

    def __init__(self, folders: list[Path], max_bytes: int, pixel_limit: PixelLimit) -> None:
        self.folders = list(folders)
        self.max_bytes = max_bytes
        self.pixel_limit = pixel_limit
        self._lock = threading.Lock()  # choosing a free name and taking it is one step

    @property
    def upload_folder(self) -> Path | None:
        return self.folders[0] if self.folders else None

    def ensure_folder(self) -> None:
        """Create the first media folder when it is missing (logged once; a failure too)."""
        folder = self.upload_folder
        if folder is None or folder.is_dir():
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("the media folder %s cannot be created: %s", folder, exc)
            return
        log.info("created the media folder %s", folder)

    # ---- listing -----------------------------------------------------------------------------

    def files(self) -> tuple[list[MediaFile], bool]:
        """Each playable file at the top of the media folders (a name the first folder has
        hides the same name in a later one), by name; and whether the list was cut at
        :data:`MAX_LISTED`."""
        seen: set[str] = set()
        found: list[MediaFile] = []
        for folder in self.folders:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue  # missing or unreadable: nothing to offer from it
            for entry in entries:
                item = self._describe(entry)
                if item is not None and item.name not in seen:
                    seen.add(item.name)
                    found.append(item)
        found.sort(key=lambda item: (item.name.lower(), item.name))
        return found[:MAX_LISTED], len(found) > MAX_LISTED

    def _describe(self, entry: os.DirEntry[str]) -> MediaFile | None:
        name = entry.name
        kind = media_kind(name)
        if kind is None or name.startswith("."):
            return None
        source = source_for(name, kind)
        try:
            if parse_spec(source).target != name:  # (a name with spaces around it)
                return None
        except BadSpec:  # 'a:b.mp4' reads as a scheme: no SPEC names it
            return None
        try:
            if not entry.is_file():  # (follows a link)
                return None
            resolved = Path(entry.path).resolve()
            if not any(inside(resolved, d) for d in self.folders):
                return None  # a link out of the folders: /camera/start would refuse it
            stat = entry.stat()
        except (OSError, RuntimeError):
            return None
        return MediaFile(
            name=name, kind=kind, size=stat.st_size, modified=round(stat.st_mtime, 3), source=source
        )

    # ---- uploads -----------------------------------------------------------------------------

    def save(self, filename: str | None, stream: IO[bytes]) -> MediaUploadOut:
        """Write ``stream`` into the first media folder under :func:`plain_name`
        (``-1``, ``-2``... when taken); nothing is left behind when it is refused."""
        name = plain_name(filename)
        kind = media_kind(name)
        assert kind is not None  # every upload suffix is a video or an image suffix
        folder = self.upload_folder
        if folder is None:
            raise MediaUnavailable("no media folder is configured (media.folders)")
        temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{Path(name).suffix}"
        try:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                size = self._write(stream, temp)
            except OSError as exc:  # a full disk, a folder we may not write
                raise MediaUnavailable(f"the upload cannot be written to {folder}: {exc}") from exc
            if size == 0:
                raise BadMediaName("the file is empty")
            self._check_pixels(temp, kind, name)  # before OpenCV decodes a frame of it
            if not _readable(temp, kind):
                what = "a video OpenCV can play" if kind == "video" else "an image OpenCV reads"
                raise MediaTypeRefused(f"{name!r} is not {what}")
            with self._lock:
                final = self._free(name, folder)
                try:
                    os.rename(temp, final)
                except OSError as exc:
                    raise MediaUnavailable(f"the upload cannot be saved as {final}: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)  # gone already once renamed
        log.info("media upload saved: %s (%d bytes)", final, size)
        return MediaUploadOut(
            name=final.name,
            source=source_for(final.name, kind),
            size=size,
            kind=kind,
            path=str(final),
        )

    def _check_pixels(self, temp: Path, kind: str, name: str) -> None:
        """:class:`MediaTooLarge` for a picture or video frame over ``media.max_megapixels``
        (from its header), :class:`MediaTypeRefused` when its size cannot be read at all."""
        try:
            if kind == "image":
                check_picture(temp, self.pixel_limit, name=name)
            else:
                check_video(temp, self.pixel_limit, name=name)
        except TooManyPixels as exc:
            raise MediaTooLarge(exc.keyed) from None
        except SizeUnreadable as exc:
            raise MediaTypeRefused(exc.keyed) from None

    def _write(self, stream: IO[bytes], temp: Path) -> int:
        size = 0
        with open(temp, "xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    limit = f"{self.max_bytes / 1e6:g} MB"
                    raise MediaTooLarge(f"the file is larger than media.max_upload_mb ({limit})")
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        return size

    def _free(self, name: str, folder: Path) -> Path:
        """``name``, or ``stem-N.ext`` for the first N free in every media folder."""
        stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
        for n in range(10000):
            tail = f"-{n}" if n else ""
            candidate = f"{stem[: MAX_NAME - len(suffix) - len(tail)]}{tail}{suffix}"
            if not any(os.path.lexists(d / candidate) for d in self.folders):
                return folder / candidate
        raise MediaUnavailable(f"no free name for {name!r}: remove some of its copies")
