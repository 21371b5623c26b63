"""MediaPipe's face mesh on LiteRT (``face_mesh``): 468 points with depth on a face, and a
face-presence score, from ``face_landmark.tflite`` (192 px input, Apache-2.0).

The region it looks at, as MediaPipe's face landmark graphs make it:

- from a detection (face_detection_front_detection_to_roi.pbtxt): the detection's box,
  turned so the line from the right eye keypoint to the left one is level, made square on
  its long side and grown 1.5 times;
- from the previous frame's mesh (face_landmark_landmarks_to_roi.pbtxt): the box around
  every point, turned by the line from the right eye's outer corner (point 33) to the left
  eye's (263), square and grown 1.5 times: a face is followed frame to frame without the
  detector.

The crop is RGB in [0, 1] (the frame's edge repeated past it: a face cut by the edge still
fills the input); the points (192 px units, z as x) are put back into frame pixels. The
presence output is a logit: its sigmoid is the score, and MediaPipe's face landmarker takes
a face as present from 0.5.
"""

from __future__ import annotations

import numpy as np

from ar_backend.face.detect import blazeface
from ar_backend.face.detect.base import FACE_LANDMARKERS, Floats, Found
from ar_backend.face.detect.roi import Roi, roi_around, rotation
from ar_backend.face.detect.runners import RegionSpec, register_region

MESH_FILE = "mediapipe/face_landmark.tflite"
SIDE = 192
ROI_SCALE = 1.5
PRESENT = 0.5  # the face landmarker's presence threshold
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
POINTS = 468


def mesh_roi(points: Floats) -> Roi:
    """The region to fit in next, from a mesh's points (frame pixels)."""
    xy = points[:, :2]
    box = np.concatenate([xy.min(axis=0), xy.max(axis=0)]).astype(np.float32)
    angle = rotation(xy[RIGHT_EYE_OUTER], xy[LEFT_EYE_OUTER], 0.0)
    return roi_around(box, angle, ROI_SCALE)


def detection_roi(found: Found) -> Roi:
    """The region to fit in, from a BlazeFace detection (its eyes set the turn)."""
    kps = found.keypoints
    angle = rotation(kps[blazeface.RIGHT_EYE], kps[blazeface.LEFT_EYE], 0.0)
    return roi_around(found.box, angle, ROI_SCALE)


MESH = RegionSpec(
    MESH_FILE,
    side=SIDE,
    points=POINTS,
    logit=True,
    from_found=detection_roi,
    from_points=mesh_roi,
)

register_region(
    FACE_LANDMARKERS,
    "face_mesh",
    MESH,
    "MediaPipe face mesh: 468 points with depth, and a face-presence score",
)
