"""What the live session says when something that should survive a restart changes, and the
same state read back to be applied again.

:class:`~ar_backend.face.live.session.FaceSwap` calls each of its ``listeners`` with one of
these after the change is made (the studio listens with the face state store:
face/store.py); the live session never knows who listens. At start the store reads the
last of each kind back as a :class:`SavedFace`, and its owner applies it
(face/live/restore.py) through the session's ordinary methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Upload = tuple[bytes, int | None, str]  # a picture as uploaded, its face_index, its name


@dataclass(frozen=True)
class SettingsChanged:
    """On or off, the engine, the live options (as JSON) and the guard mode."""

    enabled: bool
    engine: str
    options: dict[str, Any]
    guard: str


@dataclass(frozen=True)
class SourceChanged:
    """The face swapped in: no photo (unloaded), one (its face_index is the one chosen), or a
    face set (each photo's face_index as asked)."""

    photos: tuple[Upload, ...]


@dataclass(frozen=True)
class ReferenceChanged:
    """The reference person's photo (a face picked in the camera frame: that frame as PNG),
    or None: cleared."""

    photo: Upload | None


@dataclass(frozen=True)
class MapChanged:
    """The face map's pairs (reference photo, source photo); none: cleared."""

    pairs: tuple[tuple[Upload, Upload], ...]


FaceEvent = SettingsChanged | SourceChanged | ReferenceChanged | MapChanged
Listener = Callable[[FaceEvent], None]


@dataclass(frozen=True)
class SavedFace:
    """What a store kept: the last of each kind (None: nothing of that kind kept)."""

    settings: SettingsChanged | None = None
    source: SourceChanged | None = None
    reference: ReferenceChanged | None = None
    map: MapChanged | None = None

    @property
    def empty(self) -> bool:
        return self == SavedFace()
