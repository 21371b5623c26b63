"""Hands near the faces, found and followed as MediaPipe's hand tracking graph does
(hand_landmark_tracking_cpu.pbtxt): the hand landmarks are fitted on every frame in the region
the previous frame's points give, and the palm detector looks again only while fewer than
``max_hands`` hands are followed, every ``every`` frames, and only on a square around each
face (a hand in front of a face is large there: the lite palm detector finds it at 192 px,
where on the whole frame it would be a few pixels).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ar_backend.face.detect.base import Detector, Found, Landmarker, Landmarks
from ar_backend.face.detect.roi import Roi

PRESENT = 0.5  # the hand graph's presence threshold
AROUND = 2.5  # the palm detector looks at a square this many face sizes across
SAME_HAND = 0.5  # a palm whose region's centre is this close (in region sizes) is known


class HandTracker:
    """The hands followed from frame to frame (call :meth:`update` on every frame)."""

    def __init__(
        self, palms: Detector, landmarker: Landmarker, every: int = 5, max_hands: int = 2
    ) -> None:
        self.palms = palms
        self.landmarker = landmarker
        self.every = every
        self.max_hands = max_hands
        self.rois: list[Roi] = []
        self._since_search = every  # the first frame searches

    def reset(self) -> None:
        self.rois = []
        self._since_search = self.every

    def update(
        self, image: npt.NDArray[np.uint8], face_boxes: Sequence[npt.NDArray[np.floating]]
    ) -> list[Landmarks]:
        """The hands in ``image``: the followed ones fitted again, new ones near the faces
        when it is time to look."""
        hands = [
            lm for lm in (self.landmarker.fit(image, r) for r in self.rois) if lm.score >= PRESENT
        ]
        self._since_search += 1
        if len(hands) < self.max_hands and face_boxes and self._since_search >= self.every:
            self._since_search = 0
            known = [self.landmarker.roi_from(h) for h in hands]
            for found in self._palms_near(image, face_boxes):
                roi = self.landmarker.roi_for(found)
                if any(_same(roi, k) for k in known) or len(hands) >= self.max_hands:
                    continue
                fitted = self.landmarker.fit(image, roi)
                if fitted.score >= PRESENT:
                    hands.append(fitted)
                    known.append(self.landmarker.roi_from(fitted))
        self.rois = [self.landmarker.roi_from(h) for h in hands]
        return hands

    def _palms_near(
        self, image: npt.NDArray[np.uint8], face_boxes: Sequence[npt.NDArray[np.floating]]
    ) -> list[Found]:
        h, w = image.shape[:2]
        found: list[Found] = []
        for box in face_boxes:
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            half = max(box[2] - box[0], box[3] - box[1]) * AROUND / 2
            x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
            x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
            if x1 - x0 < 16 or y1 - y0 < 16:
                continue
            offset = np.array([x0, y0], np.float32)
            for palm in self.palms.detect(image[y0:y1, x0:x1]):
                found.append(
                    Found(
                        palm.box + np.tile(offset, 2),
                        palm.keypoints + offset,
                        palm.score,
                    )
                )
        return sorted(found, key=lambda f: -f.score)


def _same(a: Roi, b: Roi) -> bool:
    return bool(np.hypot(a.cx - b.cx, a.cy - b.cy) < SAME_HAND * max(a.size, b.size))
