"""MediaPipe's BlazeFace face detectors on LiteRT: ``blazeface_short`` (128 px input, faces
within about 2 m: a webcam) and ``blazeface_full`` (192 px, sparse, faces within about 5 m:
small and distant ones), Apache-2.0, from the mediapipe 0.10.21 wheel.

Pre- and post-processing as the published graphs do it (face_detection_short_range_common
and face_detection_full_range_common.pbtxt, face_detection.pbtxt): the frame letterboxed
into the input square keeping its aspect (black borders), RGB scaled to [-1, 1]; SSD
anchors, sigmoid scores (0.5 short, 0.6 full), box and 6 keypoints decoded, weighted NMS at
IoU 0.3; the letterboxing undone (runners.py). Keypoints, in order: the right eye (the one
on the image's left), the left eye, the nose tip, the mouth centre, the right ear tragion,
the left ear tragion.
"""

from __future__ import annotations

from ar_backend.face.detect import ssd
from ar_backend.face.detect.base import FACE_DETECTORS
from ar_backend.face.detect.runners import SsdSpec, register_ssd

RIGHT_EYE, LEFT_EYE, NOSE, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)
SHORT_FILE = "mediapipe/face_detection_short_range.tflite"
FULL_FILE = "mediapipe/face_detection_full_range_sparse.tflite"

SHORT = SsdSpec(
    SHORT_FILE,
    ssd.AnchorOptions(input_size=128, strides=(8, 16, 16, 16)),
    ssd.DecodeOptions(num_keypoints=6, scale=128.0, min_score=0.5),
    low=-1.0,
)
FULL = SsdSpec(
    FULL_FILE,
    ssd.AnchorOptions(input_size=192, strides=(4,), interpolated_scale_aspect_ratio=0.0),
    ssd.DecodeOptions(num_keypoints=6, scale=192.0, min_score=0.6),
    low=-1.0,
)

register_ssd(
    FACE_DETECTORS,
    "blazeface_short",
    SHORT,
    "MediaPipe BlazeFace short range (128 px): faces within about 2 m",
)
register_ssd(
    FACE_DETECTORS,
    "blazeface_full",
    FULL,
    "MediaPipe BlazeFace full range (192 px, sparse): small and distant faces too",
)
