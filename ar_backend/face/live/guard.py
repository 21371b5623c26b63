"""The privacy guard: with the swap on, a frame in which a face is in view but could not be
swapped never leaves the studio as it is (``face.guard``; live: ``POST /face/settings``).

When a frame is guarded, and where (decided by :class:`FaceSwap` per frame):

- the swap is on (or a restore that switches it on is under way) but there is no face or
  engine to swap with yet: the whole frame (nothing is known about where a face is);
- the engine or the detector failed on the frame: the tracked faces' boxes, or the whole
  frame when none is tracked;
- a face its tracker cannot swap: with MediaPipe's models (``follow.py``), a face the
  detector sees and the mesh cannot fit, or a lost face's visible rest followed by its look
  (leaving the frame); on the dlib path (``tracker.py``), a tracked face that failed this
  frame's check (``confirm.py``: hidden, turned away, or never a face) and is not yet
  dropped: its box, grown by half its size each way;
- on the dlib path only: a face was followed and is no longer (lost, dropped, leaving the
  frame): its last box, for :data:`LINGER_S` seconds or until a face followed again overlaps
  it (a face lost for a moment is covered while the detector looks for it again). With
  MediaPipe's models the tracker itself tells a face that left from one it lost
  (``linger_s`` 0): once a face is gone, nothing is drawn on the next frame.

With MediaPipe's models the detector runs on every frame (the frame mirrored past its
edges: a face a fifth in view is found). On the dlib path a frame with no face tracked is
searched by the detector itself before it leaves (the tracker's ``scan_empty``), so a face
coming into view is swapped (or guarded) from the first frame the detector sees it in; what
it cannot see (a face a quarter out of the frame as it comes in) is not guarded.

Modes: ``blur`` blurs the regions (pixelated then smoothed: no feature survives); ``hold``
repeats the last frame that went out good (swapped, or with no face in view) for at most
``face.guard_hold_max`` seconds, then blurs; ``off`` lets the frame through.
"""

from __future__ import annotations

import time
from typing import Literal

import cv2
import numpy as np

from ar_backend.face.imaging.geometry import iou
from ar_backend.face.imaging.warp import clip_box

GuardMode = Literal["off", "hold", "blur"]
MODES: tuple[GuardMode, ...] = ("off", "hold", "blur")
MARGIN = 0.5  # a guarded box is grown by this fraction of its size on each side
LINGER_S = 0.5  # a lost face's last box stays guarded this long
CELLS = 12  # a blurred region keeps at most this many cells across


def blur_region(image: np.ndarray, region: tuple[int, int, int, int]) -> None:
    """Pixelate and smooth ``region`` (x0, y0, x1, y1) of ``image`` in place."""
    x0, y0, x1, y1 = region
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = image[y0:y1, x0:x1]
    h, w = roi.shape[:2]
    step = max(2, max(w, h) // CELLS)
    small = cv2.resize(roi, (max(1, w // step), max(1, h // step)), interpolation=cv2.INTER_AREA)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    roi[:] = cv2.GaussianBlur(big, (0, 0), max(1.0, step / 2))


class Guard:
    """Owned by one FaceSwap; ``mode`` may be set from any thread (a whole-value swap)."""

    def __init__(self, mode: GuardMode, hold_max: float) -> None:
        self.mode: GuardMode = mode
        self.hold_max = hold_max
        self.frames_guarded = 0
        self._good: np.ndarray | None = None
        self._good_at = 0.0
        self._seen: list[np.ndarray] = []  # the faces followed on the frame before
        self._lost: list[tuple[np.ndarray, float]] = []  # (last box, guarded until)

    def frame(
        self,
        image: np.ndarray,
        seen: list[np.ndarray],
        suspects: list[np.ndarray],
        linger_s: float = LINGER_S,
    ) -> np.ndarray:
        """The frame to send after the swap: ``seen`` are the faces followed on it (drawn,
        or left as they are by choice), ``suspects`` those that failed the check.
        ``linger_s``: how long a face followed and then lost stays guarded (0: its tracker
        tells a face that left from one it lost, face/live/follow.py)."""
        if self.mode == "off":
            self._seen, self._lost = [], []
            return image
        now = time.monotonic()
        present = [*seen, *suspects]
        lost = [(box, until) for box, until in self._lost if until > now]
        for box in self._seen:  # followed a frame ago, not now: lingers
            if linger_s > 0 and not any(iou(box, other) > 0.1 for other in present):
                lost.append((box, now + linger_s))
        self._lost = [(b, u) for b, u in lost if not any(iou(b, s) > 0.1 for s in seen)]
        self._seen = [np.asarray(b, np.float64) for b in present]
        regions = [*suspects, *(box for box, _ in self._lost)]
        if regions:
            return self.apply(image, regions)
        self.passed(image)
        return image

    def forget(self) -> None:
        """Nothing followed any more is to be guarded (the swap went off)."""
        self._seen, self._lost = [], []

    @property
    def on(self) -> bool:
        return self.mode != "off"

    def passed(self, image: np.ndarray) -> None:
        """``image`` went out good: what ``hold`` repeats (kept only in that mode)."""
        if self.mode == "hold":
            self._good = image.copy()
            self._good_at = time.monotonic()
        elif self._good is not None:
            self._good = None

    def apply(self, image: np.ndarray, boxes: list[np.ndarray] | None) -> np.ndarray:
        """The frame to send instead of ``image``: ``boxes`` are where faces may be (``None``
        or empty: anywhere). Returns a new array; ``image`` is not changed."""
        if self.mode == "off":
            return image
        self.frames_guarded += 1
        if self.mode == "hold":
            good = self._good
            fresh = time.monotonic() - self._good_at <= self.hold_max
            if good is not None and fresh and good.shape == image.shape:
                return good.copy()
        out = image.copy()
        if not boxes:
            blur_region(out, (0, 0, out.shape[1], out.shape[0]))
            return out
        for box in boxes:
            blur_region(out, clip_box(np.asarray(box, np.float64), out.shape, margin=MARGIN))
        return out
