"""The face swap's knobs for the quality governor (ar_backend/knobs.py, governor.py): what it
may turn down while the machine cannot keep the live rate, without touching the options the
person chose.

- ``enhancer``: the face enhancer paused (the swap goes out unrestored); it costs the most of
  anything on the face path and the swap still shows without it.
- ``detect_size``: dlib's detector on a smaller picture (480 px, then 320 px on its longest
  side): large faces are found as well. Only while every face followed stays at least
  :data:`MIN_FACE_PX` across at the smaller size (dlib misses faces under about 80 px: a
  640 px group picture's faces were all lost at 480), and never while no face is followed.

:class:`FaceQuality` holds the levels the governor set; ``FaceSwap.process`` reads the
options through :meth:`FaceQuality.applied` on each frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ar_backend.config import FaceOptions
from ar_backend.knobs import Knob, LevelKnob
from shared.messages import msg

ENHANCER_OFF = "off"
DETECT_SIZES = (480, 320)  # the detector's longest side at each level below full
MIN_FACE_PX = 100  # the smallest face followed must stay this wide at a smaller detection


class FaceQuality:
    """What the governor has turned down on the face swap; read once a frame."""

    def __init__(
        self,
        options: Callable[[], FaceOptions],
        stage_ms: Callable[[str], float | None],
        enhancer_ms: Callable[[str], float | None],
        tracker: Callable[[], str | None] = lambda: "dlib",
    ) -> None:
        """``options``: the live options; ``stage_ms``: a face stage's moving mean (ms per
        frame it ran on); ``enhancer_ms``: an enhancer model's mean cost per frame;
        ``tracker``: the name of the tracker following the faces (``detect_size`` is dlib's
        detector's: MediaPipe's detector sees its fixed square whatever it is)."""
        self._tracker = tracker
        self._options = options
        self._stage_ms = stage_ms
        self._enhancer_ms = enhancer_ms
        self.enhancer_paused = False
        self.detect_cap: int | None = None
        self.face_share = 0.0  # the smallest face followed / the frame's longest side
        self.knobs: list[Knob] = [
            LevelKnob(
                "enhancer",
                [msg("governor.enhancer_on"), msg("governor.enhancer_paused")],
                importance=2.0,
                apply=self._pause_enhancer,
                cost=self._enhancer_cost,
            ),
            LevelKnob(
                "detect_size",
                [
                    msg("governor.detection_full"),
                    *(msg("governor.detection_at", px=s) for s in DETECT_SIZES),
                ],
                importance=2.0,
                apply=self._cap_detection,
                cost=self._detect_cost,
            ),
        ]

    def seen(self, boxes: Sequence[npt.NDArray[np.floating[Any]]], frame: tuple[int, ...]) -> None:
        """The faces followed in this frame (boxes x1, y1, x2, y2) and its shape."""
        longest = max(frame[:2])
        sides = [min(b[2] - b[0], b[3] - b[1]) for b in boxes]
        self.face_share = float(min(sides)) / longest if sides and longest else 0.0

    def _pause_enhancer(self, level: int) -> None:
        self.enhancer_paused = level > 0

    def _cap_detection(self, level: int) -> None:
        self.detect_cap = DETECT_SIZES[level - 1] if level > 0 else None

    def _enhancer_cost(self) -> float:
        name = self._options().enhancer
        if name == ENHANCER_OFF or self.enhancer_paused:
            return 0.0
        return self._enhancer_ms(name) or 0.0

    def _detect_cost(self) -> float:
        """Detection's ms per frame (a detection's time shared by the frames between two),
        or 0 when the next level would not make its picture smaller."""
        options = self._options()
        level = self.knobs[1].level
        if self._tracker() != "dlib":
            return 0.0
        if level >= len(DETECT_SIZES) or DETECT_SIZES[level] >= options.detect_size:
            return 0.0
        if self.face_share * DETECT_SIZES[level] < MIN_FACE_PX:
            return 0.0  # the faces in view would be lost (or none is followed)
        return (self._stage_ms("face.detect") or 0.0) / max(options.detect_every, 1)

    def applied(self, options: FaceOptions) -> FaceOptions:
        """``options`` as this frame runs them: the enhancer off while paused, detection no
        larger than its cap (the same object when nothing is turned down)."""
        changes: dict[str, object] = {}
        if self.enhancer_paused and options.enhancer != ENHANCER_OFF:
            changes["enhancer"] = ENHANCER_OFF
        if self.detect_cap is not None and options.detect_size > self.detect_cap:
            changes["detect_size"] = self.detect_cap
        return options.model_copy(update=changes) if changes else options
