"""The 468-point face mesh in dlib's 68-point convention, so what reads 68 points (the
classic engine, the per-frame check, head pose, the enhancer's five keypoints) works on
the mesh unchanged.

Each of the 68 points is the mesh vertex at the same place on the face (dlib's iBUG 300-W
layout: the jaw from the right ear down to the chin and up to the left ear, the brows,
the nose bridge and base, the eyes' corners and lids, the outer and inner lips; "right" is
the person's right, on the image's left). The mesh's outline runs a little higher on the
cheeks than dlib's jaw (it follows the face's silhouette); the inner features coincide to
within a few percent of the eye distance (tests/face/test_mediapipe_models.py measures it
against dlib's own fit).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# dlib index -> mesh vertex
JAW = (234, 93, 132, 58, 172, 136, 150, 176, 152, 400, 379, 365, 397, 288, 361, 323, 454)
RIGHT_BROW = (70, 63, 105, 66, 107)
LEFT_BROW = (336, 296, 334, 293, 300)
NOSE_BRIDGE = (168, 197, 5, 4)
NOSE_BASE = (98, 97, 2, 326, 327)
RIGHT_EYE = (33, 160, 158, 133, 153, 144)
LEFT_EYE = (362, 385, 387, 263, 373, 380)
OUTER_LIPS = (61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91)
INNER_LIPS = (78, 82, 13, 312, 308, 317, 14, 87)

MESH_TO_68: npt.NDArray[np.intp] = np.array(
    JAW
    + RIGHT_BROW
    + LEFT_BROW
    + NOSE_BRIDGE
    + NOSE_BASE
    + RIGHT_EYE
    + LEFT_EYE
    + OUTER_LIPS
    + INNER_LIPS,
    np.intp,
)


def to_68(mesh: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """dlib's 68 points (x, y) from a mesh's (468, 2 or 3) points."""
    return np.asarray(mesh[MESH_TO_68, :2], np.float64)


# the five keypoints insightface's detectors give (SCRFD), in their order: the eye on the
# image's left, the other eye, the nose tip, the mouth's left and right corners
EYE_LEFT_IN_IMAGE = (33, 133, 159, 145)  # corners, upper and lower lid: the eye's centre
EYE_RIGHT_IN_IMAGE = (263, 362, 386, 374)
NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT = 1, 61, 291


def to_5(mesh: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """insightface's five keypoints (x, y) from a mesh's (468, 2 or 3) points."""
    xy = np.asarray(mesh[:, :2], np.float32)
    return np.array(
        [
            xy[list(EYE_LEFT_IN_IMAGE)].mean(axis=0),
            xy[list(EYE_RIGHT_IN_IMAGE)].mean(axis=0),
            xy[NOSE_TIP],
            xy[MOUTH_LEFT],
            xy[MOUTH_RIGHT],
        ],
        np.float32,
    )
