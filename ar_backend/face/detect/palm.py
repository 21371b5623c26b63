"""MediaPipe's palm detector on LiteRT (``palm_lite``, ``palm_full``): palms in a frame, each
with 7 keypoints, Apache-2.0, from the mediapipe 0.10.21 wheel. The first step of hand
tracking (``hand.py`` fits the 21 hand points in the region a palm gives).

As the published graph does it (palm_detection_cpu.pbtxt): the frame letterboxed into
192 px keeping its aspect, RGB in [0, 1]; SSD anchors (strides 8, 16, 16, 16), sigmoid
scores over 0.5, box and 7 keypoints decoded, weighted NMS at IoU 0.3, the letterboxing
undone. Keypoints: the wrist centre, the index, middle, ring and little finger bases
(MCP joints), the thumb's CMC joint and its MCP joint... in MediaPipe's order: 0 wrist,
1 index MCP, 2 middle MCP, 3 ring MCP, 4 pinky MCP, 5 thumb CMC, 6 thumb MCP.
"""

from __future__ import annotations

import cv2
import numpy as np

from ar_backend.face.detect import ssd
from ar_backend.face.detect.base import HAND_DETECTORS, Found, Image, ModelFiles, RunnerType
from ar_backend.face.detect.blazeface import letterbox
from ar_backend.face.runtime.litert import LiteModel

LITE_FILE = "mediapipe/palm_detection_lite.tflite"
FULL_FILE = "mediapipe/palm_detection_full.tflite"
WRIST, MIDDLE_MCP = 0, 2
ANCHORS = ssd.AnchorOptions(input_size=192, strides=(8, 16, 16, 16))
DECODE = ssd.DecodeOptions(num_keypoints=7, scale=192.0, min_score=0.5)


class PalmDetector:
    def __init__(self, name: str, file: str, files: ModelFiles) -> None:
        self.name = name
        self.model = LiteModel(files.path(file), files.threads)
        self.anchors = ssd.anchor_centres(ANCHORS)

    def detect(self, image: Image) -> list[Found]:
        side = ANCHORS.input_size
        boxed, scale, offset = letterbox(image, side)
        rgb = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).astype(np.float32) * (1.0 / 255.0)
        regressors, scores = self.model.run(rgb[None])
        found = []
        for det in ssd.decode(regressors[0], scores[0], self.anchors, DECODE):
            box = ((det.box.reshape(2, 2) * side - offset) / scale).reshape(4)
            kps = (det.keypoints * side - offset) / scale
            found.append(Found(box.astype(np.float32), kps.astype(np.float32), det.score))
        return found


HAND_DETECTORS.register(
    "palm_lite",
    RunnerType(
        "MediaPipe palm detector, lite",
        (LITE_FILE,),
        lambda files: PalmDetector("palm_lite", LITE_FILE, files),
    ),
)
HAND_DETECTORS.register(
    "palm_full",
    RunnerType(
        "MediaPipe palm detector, full",
        (FULL_FILE,),
        lambda files: PalmDetector("palm_full", FULL_FILE, files),
    ),
)
