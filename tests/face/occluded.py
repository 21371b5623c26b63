"""Faces with something in front of them, on real pictures (for the occlusion tests): the
astronaut (scikit-image) with a dark bar across her mouth (a microphone), a hand-shaped
glove, or a real hand cut out of insightface's group photo (its points found by the hand
landmarker), each with the mask of the occluder's own pixels."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ar_backend.config import FaceConfig
from ar_backend.face import samples
from ar_backend.face.detect.base import HAND_DETECTORS, HAND_LANDMARKERS, ModelFiles, model_files
from ar_backend.face.imaging import occluders
from ar_backend.face.occlusion.hands import HandTracker
from ar_backend.face.occlusion.live import Occlusion
from tests.conftest import require_or_skip

GROUP_HAND = np.array([650.0, 430.0, 800.0, 580.0])  # a hand holding a chip in t1.jpg


def occlusion_files() -> ModelFiles:
    """The verified model files occlusion needs (MediaPipe's hands, face mesh and person
    segmentation), or a skip with the fetch command (CI: a failure)."""
    found = model_files(FaceConfig())
    reason = Occlusion(found).unavailable_reason()
    if reason:
        require_or_skip(reason)
    return found


@dataclass
class Scene:
    image: np.ndarray  # the frame with the occluder
    occluder: np.ndarray  # uint8 mask: 255 on the occluder's pixels


def target() -> np.ndarray:
    """The astronaut as a 640x480 webcam frame."""
    return np.ascontiguousarray(cv2.resize(samples.astronaut(), (640, 640))[80:560])


def bar(frame: np.ndarray, points: np.ndarray) -> Scene:
    """A dark bar (a microphone) across the mouth, wider than it."""
    image = frame.copy()
    x0, x1 = int(points[48, 0]) - 25, int(points[54, 0]) + 25
    y = int(points[[51, 57], 1].mean())
    image[y - 10 : y + 10, x0:x1] = (25, 25, 30)
    mask = np.zeros(frame.shape[:2], np.uint8)
    mask[y - 10 : y + 10, x0:x1] = 255
    return Scene(image, mask)


def glove(frame: np.ndarray, points: np.ndarray) -> Scene:
    """A hand-shaped region in a dark blue glove over the mouth and chin."""
    cx, cy = points[57]
    span = float(np.linalg.norm(points[16] - points[0])) * 0.3
    # a hand held up, fingers spread: the 21 points around the chin
    base = np.array(
        [[0, 1.0], [-0.5, 0.7], [-0.8, 0.4], [-1.0, 0.1], [-1.1, -0.2],
         [-0.35, 0.0], [-0.45, -0.45], [-0.5, -0.8], [-0.55, -1.1],
         [0.0, -0.05], [0.0, -0.55], [0.0, -0.95], [0.0, -1.25],
         [0.3, 0.0], [0.35, -0.45], [0.4, -0.85], [0.45, -1.1],
         [0.55, 0.1], [0.7, -0.25], [0.8, -0.55], [0.9, -0.8]]
    )  # fmt: skip
    hand = base * span + (cx, cy)
    mask = occluders.hand_mask(hand, frame.shape)
    image = frame.copy()
    image[mask > 0] = (120, 40, 20)
    return Scene(image, mask)


def real_hand(frame: np.ndarray, points: np.ndarray, files: ModelFiles) -> Scene:
    """A real hand (from the group photo) held over the mouth, 1.6 times its size there."""
    group = samples.group()
    tracker = HandTracker(
        HAND_DETECTORS.get("palm_lite").create(files),
        HAND_LANDMARKERS.get("hand_lite").create(files),
    )
    found = tracker.update(group, [GROUP_HAND])
    assert found, "the hand landmarker finds no hand in the group photo"
    cut = occluders.hand_mask(found[0].points, group.shape)
    ys, xs = np.nonzero(cut)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    pixels = cv2.resize(group[y0:y1, x0:x1], None, fx=1.6, fy=1.6)
    alpha = cv2.resize(cut[y0:y1, x0:x1], None, fx=1.6, fy=1.6, interpolation=cv2.INTER_NEAREST)
    image, mask = frame.copy(), np.zeros(frame.shape[:2], np.uint8)
    cx, cy = int(points[62, 0]), int(points[62, 1])
    top, left = cy - pixels.shape[0] // 2, cx - pixels.shape[1] // 2
    where = alpha > 0
    image[top : top + pixels.shape[0], left : left + pixels.shape[1]][where] = pixels[where]
    mask[top : top + pixels.shape[0], left : left + pixels.shape[1]][where] = 255
    return Scene(image, mask)
