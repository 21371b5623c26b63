"""Head pose (yaw, pitch) from the 68 landmarks, by landmark geometry.

- yaw: where the nose tip sits between the jaw's two ends (the middle when frontal; a head
  turned by an angle moves it by about the sine of that angle): ``asin(2t - 1)``.
- pitch: where the nose tip sits between the eye line and the mouth's corners, measured along
  the face's own vertical axis (so a tilted head reads the same); a frontal face has it at
  about 0.62 of the way down, a head nodding down has it lower.

A perspective fit (``cv2.solvePnP`` against a generic 3D head) was tried first: with six
points and no calibration it flips between mirror solutions on turned faces, which this
estimate does not; its angles are rough (a few degrees), enough to tell a frontal photo from
a turned one and to pick, per frame, the source photo whose pose is closest.

Signs: yaw > 0 when the nose sits right of the middle in the image; pitch > 0 when the head
tilts up. A mirrored face has the opposite yaw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRONTAL_NOSE_DROP = 0.62  # nose tip between eye line (0) and mouth corners (1), frontal
NOSE_DROP_RANGE = 0.6  # the drop's change from frontal to a 90 degree nod
PITCH_WEIGHT = 0.7  # pitch counts a little less than yaw when comparing poses


@dataclass(frozen=True)
class Pose:
    yaw: float
    pitch: float

    def distance(self, other: Pose) -> float:
        return float(np.hypot(self.yaw - other.yaw, PITCH_WEIGHT * (self.pitch - other.pitch)))

    def as_dict(self) -> dict[str, float]:
        return {"yaw": round(self.yaw, 1), "pitch": round(self.pitch, 1)}


def head_pose(points68: np.ndarray) -> Pose:
    """Yaw and pitch in degrees from 68 landmarks (more points, e.g. a forehead, are ignored)."""
    p = np.asarray(points68, np.float64)
    nose = p[30]
    left, right = p[0], p[16]
    width = float(np.linalg.norm(right - left))
    yaw = 0.0
    if width > 1e-6:
        t = float(np.dot(nose - left, (right - left) / width) / width)
        yaw = float(np.degrees(np.arcsin(np.clip(2.0 * t - 1.0, -1.0, 1.0))))
    eyes = (p[36:42].mean(axis=0) + p[42:48].mean(axis=0)) / 2
    mouth = (p[48] + p[54]) / 2
    axis = mouth - eyes
    length = float(np.linalg.norm(axis))
    pitch = 0.0
    if length > 1e-6:
        drop = float(np.dot(nose - eyes, axis / length) / length)
        lift = (FRONTAL_NOSE_DROP - drop) / NOSE_DROP_RANGE
        pitch = float(np.degrees(np.arcsin(np.clip(lift, -1.0, 1.0))))
    return Pose(yaw, pitch)
