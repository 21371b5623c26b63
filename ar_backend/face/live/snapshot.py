"""The live snapshot: what the process thread reads on each frame (:class:`Live`), replaced
whole, never changed in place, and how a change is published (:class:`Snapshot`).

The API thread changes it; the pipeline's process thread reads one consistent snapshot per
frame, so a new face or option takes effect on the next frame without restarting the
camera, and the live path never waits for a face to load: slow work (an engine's first
use, preparing a face) is one at a time under ``work``; publishing what it made takes
``lock`` briefly, so on/off never waits behind it. The live path takes neither.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from ar_backend.config import FaceOptions
from ar_backend.face.engines.base import Engine
from ar_backend.face.faces import SourceFace
from ar_backend.face.people.reference import NOBODY, People


@dataclass(frozen=True)
class Live:
    """What the process thread reads, replaced whole (never changed in place)."""

    engine: Engine | None
    source: SourceFace | None
    options: FaceOptions
    enabled: bool
    people: People = NOBODY  # the reference person and the face map (face/people/reference.py)

    @property
    def has_source(self) -> bool:
        """A face to swap in: the loaded one, or a face map's."""
        return self.source is not None or bool(self.people.entries)


class Snapshot:
    """The current :class:`Live` (``now``), its locks, and the signals to the tracker."""

    def __init__(self, first: Live) -> None:
        self.now = first
        self.work = threading.RLock()
        self.lock = threading.Lock()
        self.tracker_reset = threading.Event()  # the faces tracked do not suit the engine
        self.redetect = threading.Event()  # which faces to swap changed: look again at once

    def publish(self, reset: bool = False, **changes: Any) -> None:
        """Replace the snapshot (callers hold ``lock``); ``reset``: the faces tracked so far
        do not suit the new engine."""
        self.now = replace(self.now, **changes)
        if reset:
            self.tracker_reset.set()
