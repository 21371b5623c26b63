"""MediaPipe's BlazeFace face detectors on LiteRT: ``blazeface_short`` (128 px input, faces
within about 2 m: a webcam) and ``blazeface_full`` (192 px, sparse, faces within about 5 m:
small and distant ones), Apache-2.0, from the mediapipe 0.10.21 wheel.

Pre- and post-processing as the published graphs do it (face_detection_short_range_common
and face_detection_full_range_common.pbtxt, face_detection.pbtxt): the frame letterboxed
into the input square keeping its aspect (black borders), RGB scaled to [-1, 1]; SSD
anchors, sigmoid scores, box and 6 keypoints decoded, weighted NMS at IoU 0.3; the
letterboxing undone. Keypoints, in order: the right eye (the one on the image's left), the
left eye, the nose tip, the mouth centre, the right ear tragion, the left ear tragion.

``pad`` mirrors that share of the frame's longest side past each edge before detection: a
face cut by the edge (rising out of the top, leaving by a side) is still a whole face to
the detector; detections whose centre lies in the mirrored border are the mirror's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ar_backend.face.detect import ssd
from ar_backend.face.detect.base import (
    FACE_DETECTORS,
    Floats,
    Found,
    Image,
    ModelFiles,
    RunnerType,
)
from ar_backend.face.runtime.litert import LiteModel

RIGHT_EYE, LEFT_EYE, NOSE, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)
SHORT_FILE = "mediapipe/face_detection_short_range.tflite"
FULL_FILE = "mediapipe/face_detection_full_range_sparse.tflite"


@dataclass(frozen=True)
class BlazeSpec:
    file: str
    anchors: ssd.AnchorOptions
    decode: ssd.DecodeOptions


SHORT = BlazeSpec(
    SHORT_FILE,
    ssd.AnchorOptions(input_size=128, strides=(8, 16, 16, 16)),
    ssd.DecodeOptions(num_keypoints=6, scale=128.0, min_score=0.5),
)
FULL = BlazeSpec(
    FULL_FILE,
    ssd.AnchorOptions(input_size=192, strides=(4,), interpolated_scale_aspect_ratio=0.0),
    ssd.DecodeOptions(num_keypoints=6, scale=192.0, min_score=0.6),
)


def letterbox(image: Image, side: int) -> tuple[Image, Floats, Floats]:
    """``image`` fitted into a ``side`` square keeping its aspect (black borders), and the
    (x, y) scale and offset that map frame pixels into it."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    ox, oy = (side - nw) // 2, (side - nh) // 2
    small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((side, side, 3), np.uint8)
    out[oy : oy + nh, ox : ox + nw] = small
    return out, np.array([nw / w, nh / h], np.float32), np.array([ox, oy], np.float32)


class BlazeFace:
    """One BlazeFace model; ``detect`` finds faces in a BGR frame."""

    def __init__(
        self,
        name: str,
        spec: BlazeSpec,
        files: ModelFiles,
        *,
        min_score: float | None = None,
        pad: float = 0.0,
    ) -> None:
        self.name = name
        self.spec = spec
        self.model = LiteModel(files.path(spec.file), files.threads)
        self.anchors = ssd.anchor_centres(spec.anchors)
        self.decode = spec.decode
        if min_score is not None:
            self.decode = ssd.DecodeOptions(
                spec.decode.num_keypoints, spec.decode.scale, min_score, spec.decode.clip
            )
        self.pad = pad

    def detect(self, image: Image) -> list[Found]:
        h, w = image.shape[:2]
        border = round(self.pad * max(h, w))
        if border:
            image = np.asarray(
                cv2.copyMakeBorder(image, border, border, border, border, cv2.BORDER_REFLECT),
                np.uint8,
            )
        side = self.spec.anchors.input_size
        boxed, scale, offset = letterbox(image, side)
        rgb = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).astype(np.float32) * (2.0 / 255.0) - 1.0
        regressors, scores = self.model.run(rgb[None])
        raw = ssd.decode(regressors[0], scores[0], self.anchors, self.decode)
        found = []
        for det in raw:
            box = ((det.box.reshape(2, 2) * side - offset) / scale - border).reshape(4)
            kps = (det.keypoints * side - offset) / scale - border
            centre = (box[:2] + box[2:]) / 2
            if border and not (0 <= centre[0] < w and 0 <= centre[1] < h):
                continue  # the mirror image of a face near the edge
            found.append(Found(box.astype(np.float32), kps.astype(np.float32), det.score))
        return found


FACE_DETECTORS.register(
    "blazeface_short",
    RunnerType(
        "MediaPipe BlazeFace short range (128 px): faces within about 2 m",
        (SHORT_FILE,),
        lambda files: BlazeFace("blazeface_short", SHORT, files),
    ),
)
FACE_DETECTORS.register(
    "blazeface_full",
    RunnerType(
        "MediaPipe BlazeFace full range (192 px, sparse): small and distant faces too",
        (FULL_FILE,),
        lambda files: BlazeFace("blazeface_full", FULL, files),
    ),
)
