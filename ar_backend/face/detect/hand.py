"""MediaPipe's hand landmarker on LiteRT (``hand_lite``, ``hand_full``): 21 points with depth
on a hand and a hand-presence score, Apache-2.0, from the mediapipe 0.10.21 wheel.

The region, as MediaPipe's hand graphs make it:

- from a palm detection (palm_detection_detection_to_roi.pbtxt): the palm's box turned so
  the line from the wrist to the middle finger's base points up, shifted half its height
  towards the fingers, square on its long side, grown 2.6 times;
- from the previous frame's points (hand_landmark_landmarks_to_roi.pbtxt and
  HandLandmarksToRectCalculator): the turn from the wrist to the middle of the index,
  middle and ring finger bases, the box around the palm and finger-base points in that
  turned frame, shifted a tenth of its height towards the fingers, square, grown twice.

The crop is RGB in [0, 1], 224 px; the presence output is a probability already (the
graph thresholds it at 0.5 as it is). Points: 0 wrist, 1-4 thumb, 5-8 index, 9-12 middle,
13-16 ring, 17-20 little finger (base to tip).
"""

from __future__ import annotations

import math

import numpy as np

from ar_backend.face.detect.base import HAND_LANDMARKERS, Floats, Found
from ar_backend.face.detect.palm import MIDDLE_MCP, WRIST
from ar_backend.face.detect.roi import Roi, normalize_radians, roi_around, rotation
from ar_backend.face.detect.runners import RegionSpec, register_region

LITE_FILE = "mediapipe/hand_landmark_lite.tflite"
FULL_FILE = "mediapipe/hand_landmark_full.tflite"
SIDE = 224
PRESENT = 0.5
PALM_POINTS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)  # the calculator's partial landmarks


def palm_roi(found: Found) -> Roi:
    kps = found.keypoints
    angle = rotation(kps[WRIST], kps[MIDDLE_MCP], 90.0)
    return roi_around(found.box, angle, 2.6, shift=(0.0, -0.5))


def hand_roi(points: Floats) -> Roi:
    xy = points[:, :2].astype(np.float64)
    bases = (xy[5] + xy[13]) / 2
    towards = (bases + xy[9]) / 2
    angle = normalize_radians(
        math.pi / 2 - math.atan2(-(towards[1] - xy[0][1]), towards[0] - xy[0][0])
    )
    # the box around the palm points in the hand's own (turned) frame
    c, s = math.cos(angle), math.sin(angle)
    palm = xy[list(PALM_POINTS)]
    mid = (palm.min(axis=0) + palm.max(axis=0)) / 2
    local = (palm - mid) @ np.array([[c, -s], [s, c]])  # into the turned frame
    lo, hi = local.min(axis=0), local.max(axis=0)
    centre_local = (lo + hi) / 2
    centre = mid + np.array([[c, -s], [s, c]]) @ centre_local
    w, h = hi - lo
    box = np.array([centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2, centre[1] + h / 2])
    return roi_around(box.astype(np.float32), angle, 2.0, shift=(0.0, -0.1))


LITE = RegionSpec(LITE_FILE, SIDE, 21, logit=False, from_found=palm_roi, from_points=hand_roi)
FULL = RegionSpec(FULL_FILE, SIDE, 21, logit=False, from_found=palm_roi, from_points=hand_roi)

register_region(HAND_LANDMARKERS, "hand_lite", LITE, "MediaPipe hand landmarker, lite: 21 points")
register_region(HAND_LANDMARKERS, "hand_full", FULL, "MediaPipe hand landmarker, full: 21 points")
