"""``Occlusion``: after the swap, what is in front of each face is put back as the camera saw
it: hands (hands.py) and objects (imaging/occluders.py: not the face's skin or features, or
not the person by person segmentation, looked at on a square around each face).

Its models are the verified files of the manifest (mediapipe_hands, mediapipe_segmentation),
opened on first use. Without them the swap goes on without occlusion and status says why.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from ar_backend.face.detect.base import HAND_DETECTORS, HAND_LANDMARKERS, ModelFiles
from ar_backend.face.detect.person import FILES as PERSON_FILES
from ar_backend.face.detect.person import PersonSegmenter
from ar_backend.face.faces import TargetFace
from ar_backend.face.imaging import occluders
from ar_backend.face.occlusion.hands import HandTracker
from shared.logs import FaultLatch

log = logging.getLogger(__name__)

PALMS = "palm_lite"
HANDS = "hand_lite"
AROUND = 2.0  # person segmentation looks at a square this many face sizes across
WEIGHT = 0.1  # each frame's share of the cost's moving mean
RECHECK_S = 5.0  # missing model files are looked for again this often

Image = npt.NDArray[np.uint8]


class Occlusion:
    """What is in front of the faces, for one stream of frames (the live path's, or a file
    job's): :meth:`apply` on each swapped frame, in order."""

    def __init__(self, files: ModelFiles, every: int = 5) -> None:
        self.files = files
        self.every = every
        self._hands: HandTracker | None = None
        self._person: PersonSegmenter | None = None
        self.fault = FaultLatch(log, "occlusion")
        self.ms: float | None = None
        self.frames_occluded = 0
        self.hands_in_view = 0
        self._checked: tuple[float, str | None] | None = None  # (when, the reason)

    def unavailable_reason(self) -> str | None:
        """Why it cannot run here (a model file missing or corrupt, and the fetch command)."""
        files = (*HAND_DETECTORS.get(PALMS).files, *HAND_LANDMARKERS.get(HANDS).files)
        return self.files.problem((*files, *PERSON_FILES))

    def _reason_now(self) -> str | None:
        """:meth:`unavailable_reason` looked at once a few seconds (files fetched meanwhile
        are taken up without a restart)."""
        now = time.monotonic()
        if self._checked is None or now - self._checked[0] > RECHECK_S:
            self._checked = (now, self.unavailable_reason())
        return self._checked[1]

    def _open(self) -> tuple[HandTracker, PersonSegmenter]:
        if self._hands is None or self._person is None:
            palms = HAND_DETECTORS.get(PALMS).create(self.files)
            landmarker = HAND_LANDMARKERS.get(HANDS).create(self.files)
            self._hands = HandTracker(palms, landmarker, every=self.every)
            self._person = PersonSegmenter(self.files)
        return self._hands, self._person

    def reset(self) -> None:
        """Forget the hands followed (a new source, a cut)."""
        if self._hands is not None:
            self._hands.reset()

    def mask(self, image: Image, faces: list[TargetFace]) -> npt.NDArray[np.uint8]:
        """What is in front of ``faces`` in ``image`` (the frame before the swap)."""
        hands, person = self._open()
        h, w = image.shape[:2]
        out = np.zeros((h, w), np.uint8)
        boxes = [np.asarray(f.box, np.float64) for f in faces]
        found = hands.update(image, boxes)
        self.hands_in_view = len(found)
        for hand in found:
            out |= occluders.hand_mask(hand.points, image.shape)
        prob = np.ones((h, w), np.float32)  # outside the squares: the person, as far as known
        for box in boxes:
            x0, y0, x1, y1 = _square(box, AROUND, w, h)
            if x1 - x0 >= 16 and y1 - y0 >= 16:
                prob[y0:y1, x0:x1] = person.mask(image[y0:y1, x0:x1])
        for face in faces:
            if len(face.points) >= 68:
                regions = occluders.regions68(face.points[:68])
                out |= occluders.object_mask(image, regions, prob, out)
        near = np.zeros((h, w), np.uint8)  # only what is over a face matters
        for box in boxes:
            x0, y0, x1, y1 = _square(box, 1.2, w, h)
            near[y0:y1, x0:x1] = 255
        return out & near

    def apply(self, original: Image, swapped: Image, faces: list[TargetFace]) -> Image:
        """``swapped`` with what is in front of ``faces`` put back from ``original``. A
        failure is logged once and the swap goes out as it is (status says why)."""
        if not faces or (self._hands is None and self._reason_now() is not None):
            return swapped
        t0 = time.perf_counter()
        try:
            mask = self.mask(original, faces)
            out = occluders.put_back(original, swapped, mask)
        except Exception as exc:
            if self.fault.fault(f"{exc.__class__.__name__}: {exc}"):
                log.debug("occlusion failed", exc_info=True)
            return swapped
        self.fault.clear()
        self.frames_occluded += bool(mask.any())
        ms = (time.perf_counter() - t0) * 1000
        self.ms = ms if self.ms is None else self.ms * (1 - WEIGHT) + ms * WEIGHT
        return out

    def status(self, on: bool) -> dict[str, Any]:
        return {
            "on": on,
            "available": (reason := self.unavailable_reason()) is None,
            "reason": reason,
            "ms": None if self.ms is None or not on else round(self.ms, 2),
            "hands": self.hands_in_view if on else 0,
            "frames_occluded": self.frames_occluded,
            "error": self.fault.active if on else None,
        }


def _square(
    box: npt.NDArray[np.float64], times: float, w: int, h: int
) -> tuple[int, int, int, int]:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = max(box[2] - box[0], box[3] - box[1]) * times / 2
    return (
        int(max(0, cx - half)),
        int(max(0, cy - half)),
        int(min(w, cx + half)),
        int(min(h, cy + half)),
    )
