"""The five face keypoints (left eye, right eye, nose tip, left and right mouth corner, in
the image) from any engine's landmarks: insightface's five as they are, dlib's 68 reduced
the way facefusion does it (``convert_to_face_landmark_5`` in facefusion/face_helper.py:
the mean of each eye's six points, 36-41 and 42-47, the nose tip 30, the mouth corners 48
and 54)."""

from __future__ import annotations

import numpy as np

LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)
NOSE_TIP = 30
MOUTH_LEFT = 48
MOUTH_RIGHT = 54


def five_points(points: np.ndarray) -> np.ndarray | None:
    """The five keypoints as float32 (5, 2); None for landmarks of another kind."""
    pts = np.asarray(points, np.float32)
    if pts.shape == (5, 2):
        return pts
    if pts.shape == (68, 2):
        return np.array(
            [
                pts[LEFT_EYE].mean(axis=0),
                pts[RIGHT_EYE].mean(axis=0),
                pts[NOSE_TIP],
                pts[MOUTH_LEFT],
                pts[MOUTH_RIGHT],
            ],
            np.float32,
        )
    return None
