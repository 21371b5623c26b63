"""The source protocol, the registry, and SPEC parsing."""

from __future__ import annotations

import ipaddress
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from ar_backend.config import DEFAULT_MAX_MEGAPIXELS, CameraConfig
from ar_backend.face.imaging.pixel_limit import PixelLimit
from shared.messages import KeyedError
from shared.registry import Registry

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
# what a file source plays as a video (GET /media lists these and the images above)
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"}
# Network streams only: a URL never names a local file (file:, a bare path) or one of
# FFmpeg's own protocols (concat:, subfile:, data:, pipe:, ...), which can read any file.
URL_SCHEMES = ("rtsp", "rtsps", "http", "https", "rtmp", "rtmps", "udp")
PREFIXES = ("device", "file", "image", "url")
# What FFmpeg reads as a protocol name before a ':' (letters, digits, '+-.,_'); one letter
# alone is a Windows drive (C:\\clip.mp4), not a scheme.
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.,_-]+):")
DEVICE_INDEX = re.compile(r"[0-9]{1,2}")  # ASCII digits only ('²'.isdigit() is True)
HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_])?")


class SourceError(KeyedError):
    """A source cannot be opened; the message says why and what to do."""


class SourceTooLarge(SourceError):
    """A picture or video whose frames hold more than ``media.max_megapixels`` (a 413)."""


class BadSpec(SourceError):
    """The SPEC itself is malformed (a 400, not a missing device)."""


class Source(Protocol):
    kind: str
    label: str  # what status shows: "device 0", "file clip.mp4", "demo"
    fps: float
    # True when open() may take seconds (a network stream): the studio then opens it on the
    # capture thread and answers "connecting" at once; sources without it open at once
    opens_slowly: bool

    def open(self) -> None:
        """Open the device or file; raise SourceError with the reason."""

    def read(self) -> np.ndarray | None:
        """The next BGR frame, paced at the source's rate; None when the source failed."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # device, file, image, url, demo
    target: str  # index, path, URL or ""

    def __str__(self) -> str:
        return self.kind if not self.target else f"{self.kind}:{self.target}"


def parse_spec(spec: str | int) -> SourceSpec:
    """``0``, ``device:1``, ``clip.mp4``, ``file:clip.mp4``, ``image:face.png``,
    ``rtsp://...``, ``http(s)://...``, ``url:rtsp://...``, ``demo``, ``auto``.

    Everything that is not a device, a path, ``demo`` or ``auto`` must be a network URL
    (:data:`URL_SCHEMES`, with a host); anything else, a control character in particular,
    raises :class:`BadSpec` before anything is opened.
    """
    if isinstance(spec, bool):
        raise BadSpec("a source is a device index, a path, a URL, 'demo' or 'auto'")
    if isinstance(spec, int):
        if not 0 <= spec <= 99:
            raise BadSpec(f"device index must be 0 to 99, not {spec}")
        return SourceSpec("device", str(spec))
    _no_control_characters(spec)  # at either end too: refused, never trimmed away
    text = spec.strip()
    if not text:
        raise BadSpec("the source is empty")
    if text.lower() in ("demo", "auto"):
        return SourceSpec(text.lower(), "")
    for kind in PREFIXES:
        if text[: len(kind) + 1].lower() == kind + ":":
            return _prefixed(kind, text[len(kind) + 1 :].strip())
    if text.isdigit():  # '²' (and Arabic-Indic digits) pass str.isdigit(): refused
        return _prefixed("device", text)
    scheme = SCHEME.match(text)
    if scheme:  # a URL, or one of FFmpeg's protocol tricks: only network streams pass
        return SourceSpec("url", network_url(text))
    return _path_spec(text, None)


def _prefixed(kind: str, target: str) -> SourceSpec:
    if kind == "device":
        if not DEVICE_INDEX.fullmatch(target):
            raise BadSpec(f"device index must be a number from 0 to 99, not {target!r}")
        return SourceSpec("device", str(int(target)))
    if kind == "url":
        return SourceSpec("url", network_url(target))
    return _path_spec(target, kind)


def _path_spec(target: str, kind: str | None) -> SourceSpec:
    if not target:
        raise BadSpec(f"{kind or 'file'}: needs a path")
    if target.startswith("//"):  # file://host/path: a URL, not a path
        raise BadSpec(f"{kind or 'file'}: takes a path, not a URL")
    scheme = SCHEME.match(target)
    if scheme:
        raise BadSpec(
            f"{scheme.group(1)!r}: is not a path; a file is named by its path in the media "
            f"folders, a network stream by a URL ({', '.join(URL_SCHEMES)})"
        )
    if kind is None:
        kind = "image" if Path(target).suffix.lower() in IMAGE_SUFFIXES else "file"
    return SourceSpec(kind, target)


def _no_control_characters(text: str) -> None:
    for char in text:
        # Cc (NUL, newlines), Cf (bidi overrides), Cs (lone surrogates), Co, Cn
        if unicodedata.category(char).startswith("C"):
            raise BadSpec(f"the source contains a control character (U+{ord(char):04X})")


def network_url(text: str) -> str:
    """``text`` as a network stream URL (scheme lower-cased), or :class:`BadSpec` saying why.

    Only :data:`URL_SCHEMES` with a host pass: no ``file:``, no path, no FFmpeg protocol
    (``concat:``, ``subfile:``, ``data:``), whatever the letter case.
    """
    allowed = ", ".join(URL_SCHEMES)
    _no_control_characters(text)
    if any(char.isspace() for char in text):
        raise BadSpec("a URL has no spaces (write them as %20)")
    scheme = SCHEME.match(text)
    if scheme is None or scheme.group(1).lower() not in URL_SCHEMES:
        named = f"{scheme.group(1)!r} is not allowed" if scheme else "it has no scheme"
        raise BadSpec(f"a URL source must be a network stream ({allowed}): {named}")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError as exc:
        raise BadSpec(f"not a valid URL: {exc}") from None
    if not text[len(scheme.group(0)) :].startswith("//"):
        raise BadSpec(f"a URL source needs a host: {parts.scheme}://host/...")
    host = parts.hostname or ""
    if not host or not (_is_ip(host) or HOST_NAME.fullmatch(host)):
        raise BadSpec(f"a URL source needs a valid host name, not {host!r}")
    return urlunsplit(parts._replace(scheme=parts.scheme.lower()))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def redact_url(url: str) -> str:
    """The URL without its password (status and logs show this)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc}"))


# (spec, camera config, the pixel limit of file sources: media.max_megapixels)
SourceFactory = Callable[[SourceSpec, CameraConfig, PixelLimit], Source]
REGISTRY: Registry[SourceFactory] = Registry("source kind")
register = REGISTRY.register


def make_source(spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit | None = None) -> Source:
    """The source ``spec`` names (:class:`UnknownName` for a kind nothing registered); a file
    source refuses pictures and frames over ``limit`` (default: media.max_megapixels's)."""
    return REGISTRY.get(spec.kind)(spec, cfg, limit or PixelLimit(DEFAULT_MAX_MEGAPIXELS))


class Pacer:
    """Sleeps so frames come out at ``fps``; falls back into step after a stall."""

    def __init__(self, fps: float) -> None:
        self.interval = 1.0 / fps
        self._next = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
            self._next += self.interval
        else:
            self._next = now + self.interval
