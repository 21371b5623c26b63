"""The faces the face code passes around, and finding them.

- :class:`TargetFace`: a face in a frame (its box, its points, the detector's score, its
  track), made from a detector's :class:`Found` by a :class:`FaceFinder` (an engine).
- :class:`SourceFace`: the identity to render, prepared once from a picture.
- :class:`FaceFinder`: a detector (face/detect/) and what turns its detections into
  faces: every engine is one; :func:`detect_faces` (a live frame) and :func:`picture_faces`
  (an uploaded picture) use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ar_backend.config import FaceOptions
from ar_backend.face.detect.base import Detector, Found
from ar_backend.face.imaging.geometry import box_size
from shared.messages import Message


@dataclass(eq=False)  # compared by identity: its fields are arrays
class TargetFace:
    """A face in a frame: its box, its points (whatever its engine works on: 68 dlib
    landmarks, 5 keypoints...) and the detector's score."""

    box: np.ndarray
    points: np.ndarray
    score: float = 1.0
    track_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    raw: np.ndarray | None = None  # the landmarks as measured, before the tracker smooths

    def __post_init__(self) -> None:
        if self.raw is None:
            self.raw = self.points

    @property
    def size(self) -> float:
        return box_size(self.box)


@dataclass
class SourceFace:
    """The identity to render: prepared once when loaded, read by every frame."""

    engine: str
    box: np.ndarray  # in the uploaded image's pixels
    image: np.ndarray  # the (possibly upscaled) texture the engine renders from
    points: np.ndarray  # landmarks in ``image``
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[Message] = field(default_factory=list)  # for the person, by key


class FaceFinder(Protocol):
    name: str

    @property
    def detector(self) -> Detector:
        """Its face detector (face/detect/)."""
        ...

    def target(self, image: np.ndarray, found: Found) -> TargetFace:
        """The face for a detection in this image: its points (landmarks fitted where the
        finder fits them, else the detector's keypoints), anchored for later refits."""
        ...


def detect_faces(
    finder: FaceFinder, image: np.ndarray, options: FaceOptions, *, edges: bool = False
) -> list[TargetFace]:
    """All faces in a live frame, best first (``edges``: those cut by the frame's edge too,
    where the detector can see them)."""
    found = finder.detector.detect(image, options.detect_size, edges=edges)
    return [finder.target(image, d) for d in found]


def picture_faces(finder: FaceFinder, image: np.ndarray) -> list[TargetFace]:
    """All faces in an uploaded picture (thorough: slower than live detection), best first."""
    return [finder.target(image, d) for d in finder.detector.detect(image, thorough=True)]
