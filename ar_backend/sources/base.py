"""The source protocol, the registry, and SPEC parsing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ar_backend.config import CameraConfig

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


class SourceError(Exception):
    """A source cannot be opened; the message says why and what to do."""


class BadSpec(SourceError):
    """The SPEC itself is malformed (a 400, not a missing device)."""


class Source(Protocol):
    kind: str
    label: str  # what status shows: "device 0", "file clip.mp4", "demo"
    fps: float

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
    ``rtsp://...``, ``http(s)://...``, ``demo``, ``auto``."""
    if isinstance(spec, bool):
        raise BadSpec("a source is a device index, a path, a URL, 'demo' or 'auto'")
    if isinstance(spec, int):
        return SourceSpec("device", str(spec))
    text = spec.strip()
    if not text:
        raise BadSpec("the source is empty")
    if text in ("demo", "auto"):
        return SourceSpec(text, "")
    for kind in ("device", "file", "image", "url"):
        if text.startswith(kind + ":"):
            target = text[len(kind) + 1 :]
            if kind == "device" and not target.isdigit():
                raise BadSpec(f"device index must be a number, not {target!r}")
            return SourceSpec(kind, target)
    if text.isdigit():
        return SourceSpec("device", text)
    if text.split("://", 1)[0].lower() in ("rtsp", "rtsps", "http", "https", "rtmp", "udp"):
        return SourceSpec("url", text)
    if Path(text).suffix.lower() in IMAGE_SUFFIXES:
        return SourceSpec("image", text)
    return SourceSpec("file", text)


SourceFactory = Callable[[SourceSpec, CameraConfig], Source]
REGISTRY: dict[str, SourceFactory] = {}


def register(kind: str) -> Callable[[SourceFactory], SourceFactory]:
    def deco(factory: SourceFactory) -> SourceFactory:
        REGISTRY[kind] = factory
        return factory

    return deco


def make_source(spec: SourceSpec, cfg: CameraConfig) -> Source:
    try:
        factory = REGISTRY[spec.kind]
    except KeyError:
        raise SourceError(f"unknown source kind {spec.kind!r}") from None
    return factory(spec, cfg)


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
