"""MediaPipe's palm detector on LiteRT (``palm_lite``, ``palm_full``): palms in a frame, each
with 7 keypoints, Apache-2.0, from the mediapipe 0.10.21 wheel. The first step of hand
tracking (``hand.py`` fits the 21 hand points in the region a palm gives).

As the published graph does it (palm_detection_cpu.pbtxt): the frame letterboxed into
192 px keeping its aspect, RGB in [0, 1]; SSD anchors (strides 8, 16, 16, 16), sigmoid
scores over 0.5, box and 7 keypoints decoded, weighted NMS at IoU 0.3, the letterboxing
undone (runners.py). Keypoints: 0 the wrist centre, 1 the index finger's base (MCP joint),
2 the middle finger's, 3 the ring finger's, 4 the little finger's, 5 the thumb's CMC
joint, 6 its MCP joint.
"""

from __future__ import annotations

from ar_backend.face.detect import ssd
from ar_backend.face.detect.base import HAND_DETECTORS
from ar_backend.face.detect.runners import SsdSpec, register_ssd

LITE_FILE = "mediapipe/palm_detection_lite.tflite"
FULL_FILE = "mediapipe/palm_detection_full.tflite"
WRIST, MIDDLE_MCP = 0, 2
ANCHORS = ssd.AnchorOptions(input_size=192, strides=(8, 16, 16, 16))
DECODE = ssd.DecodeOptions(num_keypoints=7, scale=192.0, min_score=0.5)
LITE = SsdSpec(LITE_FILE, ANCHORS, DECODE, low=0.0)
FULL = SsdSpec(FULL_FILE, ANCHORS, DECODE, low=0.0)

register_ssd(HAND_DETECTORS, "palm_lite", LITE, "MediaPipe palm detector, lite")
register_ssd(HAND_DETECTORS, "palm_full", FULL, "MediaPipe palm detector, full")
