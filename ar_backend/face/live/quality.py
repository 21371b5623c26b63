"""The face swap's knobs for the quality governor (ar_backend/knobs.py, governor.py): what it
may turn down while the machine cannot keep the live rate, without touching the options the
person chose.

- ``enhancer``: the face enhancer paused (the swap goes out unrestored); it costs the most of
  anything on the face path and the swap still shows without it.
- ``detect_size``: dlib's detector on a smaller picture (480 px, then 320 px on its longest
  side): large faces are found as well. Only while every face followed stays at least
  :data:`MIN_FACE_PX` across at the smaller size (dlib misses faces under about 80 px: a
  640 px group picture's faces were all lost at 480), and never while no face is followed.
- ``face_size``: the classic engine renders a large face at a smaller working size
  (:data:`FACE_SIZES`, face/imaging/workscale.py) and scales it up: softer features on a
  close-up, at a fraction of the cost. Only while a face followed is larger than the next
  size (else nothing would change).
- ``occlusion``: what is in front of the faces worked out in less detail
  (face/occlusion/live.py): person segmentation every other frame, then the palm detector
  less often too, then all of it every other frame (the last frame's mask held where the
  faces stayed put); only while occlusion is on.
- ``detect_rate``: MediaPipe's face detector on every other frame at most, the frames
  between followed by the mesh alone while it fits every face (face/live/follow.py: any
  doubt runs the detector on that frame); only while a face is followed and ``many_faces``
  is off.

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
from shared.messages import Message, msg

ENHANCER_OFF = "off"
DETECT_SIZES = (480, 320)  # the detector's longest side at each level below full
MIN_FACE_PX = 100  # the smallest face followed must stay this wide at a smaller detection
FACE_SIZES = (192, 160, 128, 96)  # the classic render's working size (px) below full
# (96: a 720p60 source on two cores holds its rate there; 128 left it at 0.85 of it)
RENDERS_AT_WORK_SIZE = ("classic",)  # the engines that render at options.work_px


class FaceQuality:
    """What the governor has turned down on the face swap; read once a frame."""

    def __init__(
        self,
        options: Callable[[], FaceOptions],
        stage_ms: Callable[[str], float | None],
        enhancer_ms: Callable[[str], float | None],
        tracker: Callable[[], str | None] = lambda: "dlib",
        engine: Callable[[], str] = lambda: "classic",
        occlusion: Callable[[int], None] = lambda _level: None,
        occlusion_ms: Callable[[], float | None] = lambda: None,
    ) -> None:
        """``options``: the live options; ``stage_ms``: a face stage's moving mean (ms per
        frame it ran on); ``enhancer_ms``: an enhancer model's mean cost per frame;
        ``tracker``: the name of the tracker following the faces (``detect_size`` is dlib's
        detector's: MediaPipe's detector sees its fixed square whatever it is); ``engine``:
        the engine's name (``face_size`` is the classic engine's); ``occlusion``: sets the
        occlusion's level of detail, ``occlusion_ms`` its mean cost per frame."""
        self._tracker = tracker
        self._engine = engine
        self._occlusion_ms = occlusion_ms
        self._options = options
        self._stage_ms = stage_ms
        self._enhancer_ms = enhancer_ms
        self.enhancer_paused = False
        self.detect_alternate = False  # MediaPipe's detector on every other frame at most
        self.detect_cap: int | None = None
        self.face_cap: int | None = None
        self.face_share = 0.0  # the smallest face followed / the frame's longest side
        self.largest_face_px = 0.0  # the largest face followed, px across
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
                _sizes("governor.detection_full", "governor.detection_at", DETECT_SIZES),
                importance=2.0,
                apply=self._cap_detection,
                cost=self._detect_cost,
            ),
            LevelKnob(
                "face_size",
                _sizes("governor.face_full", "governor.face_at", FACE_SIZES),
                importance=3.0,
                apply=self._cap_face,
                cost=self._face_cost,
            ),
            LevelKnob(
                "occlusion",
                [
                    msg("governor.occlusion_full"),
                    msg("governor.occlusion_people_half"),
                    msg("governor.occlusion_hands_less"),
                    msg("governor.occlusion_every_other"),
                ],
                importance=2.5,
                apply=occlusion,
                cost=self._occlusion_cost,
            ),
            LevelKnob(
                "detect_rate",
                [msg("governor.detection_every_frame"), msg("governor.detection_every_other")],
                importance=2.0,
                apply=self._alternate_detection,
                cost=self._detect_rate_cost,
            ),
        ]

    def seen(self, boxes: Sequence[npt.NDArray[np.floating[Any]]], frame: tuple[int, ...]) -> None:
        """The faces followed in this frame (boxes x1, y1, x2, y2) and its shape."""
        longest = max(frame[:2])
        sides = [min(b[2] - b[0], b[3] - b[1]) for b in boxes]
        self.face_share = float(min(sides)) / longest if sides and longest else 0.0
        self.largest_face_px = float(
            max(max(b[2] - b[0], b[3] - b[1]) for b in boxes) if boxes else 0
        )

    def _alternate_detection(self, level: int) -> None:
        self.detect_alternate = level > 0

    def _detect_rate_cost(self) -> float:
        """Half the detector's ms per frame (what every other frame saves) on MediaPipe's path
        while a face is followed and ``many_faces`` is off (with it, a new face is never found
        a frame late), else 0."""
        if (
            self._tracker() in (None, "dlib")
            or self.detect_alternate
            or self._options().many_faces
            or not self.largest_face_px
        ):
            return 0.0
        return (self._stage_ms("face.detect") or 0.0) / 2

    def _pause_enhancer(self, level: int) -> None:
        self.enhancer_paused = level > 0

    def _cap_detection(self, level: int) -> None:
        self.detect_cap = DETECT_SIZES[level - 1] if level > 0 else None

    def _cap_face(self, level: int) -> None:
        self.face_cap = FACE_SIZES[level - 1] if level > 0 else None

    def _face_cost(self) -> float:
        """The render's ms per frame, while the next level would render the largest face
        followed smaller than now (else 0: nothing to win)."""
        level = self.knobs[2].level
        if self._engine() not in RENDERS_AT_WORK_SIZE or level >= len(FACE_SIZES):
            return 0.0
        own = self._options().work_px
        now = FACE_SIZES[level - 1] if level > 0 else (own or self.largest_face_px)
        if min(now, self.largest_face_px) <= FACE_SIZES[level]:
            return 0.0
        return self._stage_ms("face.render") or 0.0

    def _occlusion_cost(self) -> float:
        """Occlusion's ms per frame while it is on and has a level left, else 0."""
        if (
            self._options().occlusion != "on"
            or self.knobs[3].level >= len(self.knobs[3].levels) - 1
        ):
            return 0.0
        return self._occlusion_ms() or 0.0

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
        """``options`` as this frame runs them: the enhancer off while paused, detection and
        the classic render's working size no larger than their caps (the same object when
        nothing is turned down)."""
        changes: dict[str, object] = {}
        if self.enhancer_paused and options.enhancer != ENHANCER_OFF:
            changes["enhancer"] = ENHANCER_OFF
        if self.detect_cap is not None and options.detect_size > self.detect_cap:
            changes["detect_size"] = self.detect_cap
        if self.face_cap is not None and not 0 < options.work_px <= self.face_cap:
            changes["work_px"] = self.face_cap
        return options.model_copy(update=changes) if changes else options


def _sizes(full: str, at: str, sizes: Sequence[int]) -> list[Message]:
    """A size knob's levels: ``full`` (its catalogue key), then ``at`` for each size (px)."""
    return [msg(full), *(msg(at, px=size) for size in sizes)]
