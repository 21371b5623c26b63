"""The two shapes every MediaPipe runner here has: a single-shot detector on the whole frame
(:class:`SsdDetector`: BlazeFace, the palm detector) and a landmark model on a region of it
(:class:`RegionLandmarker`: the face mesh, the hand landmarker). Each model's own file
(``blazeface.py``, ``palm.py``, ``face_mesh.py``, ``hand.py``) gives its spec and registers it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ar_backend.face.detect import ssd
from ar_backend.face.detect.base import (
    Detector,
    Floats,
    Found,
    Image,
    Landmarker,
    Landmarks,
    ModelFiles,
    RunnerType,
)
from ar_backend.face.detect.roi import Roi, to_tensor
from ar_backend.face.imaging.scale import shrink
from ar_backend.face.runtime.litert import LiteModel
from shared.registry import Registry


@dataclass(frozen=True)
class SsdSpec:
    file: str
    anchors: ssd.AnchorOptions
    decode: ssd.DecodeOptions
    low: float  # the input's range: RGB scaled to [low, 1]
    pad: float = 0.0  # share of the longest side mirrored past each edge first


WORK_SCALE = 3  # a detector's frame is halved while, padded, it stays this many squares


def letterbox(
    image: Image, side: int, like: tuple[int, int] | None = None
) -> tuple[Image, Floats, Floats]:
    """``image`` fitted into a ``side`` square keeping its aspect (black borders), and the
    (x, y) scale and offset that map frame pixels into it. ``like`` (width, height): placed
    as a picture of that size would be (``image`` is a shrunk copy of it)."""
    h, w = image.shape[:2]
    lw, lh = like or (w, h)
    scale = side / max(lh, lw)
    nw, nh = max(1, round(lw * scale)), max(1, round(lh * scale))
    ox, oy = (side - nw) // 2, (side - nh) // 2
    small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((side, side, 3), np.uint8)
    out[oy : oy + nh, ox : ox + nw] = small
    return out, np.array([nw / w, nh / h], np.float32), np.array([ox, oy], np.float32)


class SsdDetector:
    """A MediaPipe single-shot detector: the frame letterboxed into the input square, the
    model run, its detections decoded (ssd.py) and put back into frame pixels. With
    ``spec.pad``, the frame is first mirrored past its edges: an object cut by the edge is
    whole to the model (found from about a fifth of it inside, where the frame alone shows
    it from about a half); each detection becomes its part inside the frame
    (:func:`_in_frame`)."""

    def __init__(self, name: str, spec: SsdSpec, files: ModelFiles) -> None:
        self.name = name
        self.spec = spec
        self.model = LiteModel(files.path(spec.file), files.threads)
        self.anchors = ssd.anchor_centres(spec.anchors)

    def with_options(
        self, *, min_score: float | None = None, pad: float | None = None
    ) -> SsdDetector:
        """The same model (shared, not loaded again) with another threshold or padding."""
        other = object.__new__(SsdDetector)
        other.__dict__.update(self.__dict__)
        decode = (
            self.spec.decode
            if min_score is None
            else replace(self.spec.decode, min_score=min_score)
        )
        other.spec = replace(self.spec, decode=decode, pad=self.spec.pad if pad is None else pad)
        return other

    @property
    def sure(self) -> float:
        """Every detection over the model's own threshold is sure."""
        return self.spec.decode.min_score

    def detect(
        self, image: Image, max_side: int = 0, *, edges: bool = False, thorough: bool = False
    ) -> list[Found]:
        """(The input is the model's fixed square, so ``max_side`` and ``thorough`` change
        nothing; faces cut by the edge are seen as ``spec.pad`` says, with ``edges`` or not.)"""
        h, w = image.shape[:2]
        side = self.spec.anchors.input_size
        # the frame halved first while, with its mirrored edges, it stays at least three
        # times the model's square: the padding and the letterbox then work on a small
        # picture and their cost no longer grows with the frame (at 1080p: halved twice, the
        # detector's CPU 6 ms a frame instead of 18). Placed as the whole padded frame was,
        # the model sees the same picture within half a grey level on average (640x480 and
        # smaller: not halved, the very same)
        longest = max(h, w)
        edge = round(self.spec.pad * longest)
        padded = longest + 2 * edge
        k = 1
        while padded / (2 * k) >= WORK_SCALE * side:
            k *= 2
        small = image if k == 1 else shrink(image, (max(1, w // k), max(1, h // k)))
        factor = np.array([w / small.shape[1], h / small.shape[0]], np.float32)
        border = round(self.spec.pad * longest / k)
        if border:
            small = np.asarray(
                cv2.copyMakeBorder(small, border, border, border, border, cv2.BORDER_REFLECT),
                np.uint8,
            )
        boxed, scale, offset = letterbox(small, side, (w + 2 * edge, h + 2 * edge))
        rgb = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).astype(np.float32)
        tensor = rgb * ((1.0 - self.spec.low) / 255.0) + self.spec.low
        regressors, scores = self.model.run(tensor[None])
        found = []
        for det in ssd.decode(regressors[0], scores[0], self.anchors, self.spec.decode):
            corners = (det.box.reshape(2, 2) * side - offset) / scale - border
            box = (corners * factor).reshape(4)
            kps = ((det.keypoints * side - offset) / scale - border) * factor
            if border:
                seen = _in_frame(box, w, h)
                if seen is None:
                    continue  # the mirror image of one near the edge
                box = seen
            found.append(Found(box.astype(np.float32), kps.astype(np.float32), det.score))
        return found


IN_FRAME = 0.2  # a padded detection is kept when this share of its box is inside the frame


def _in_frame(box: Floats, w: int, h: int) -> Floats | None:
    """A detection on the mirrored frame: its part inside the frame, when at least
    :data:`IN_FRAME` of it is (else it is the mirror's). One cut by the edge and its mirror
    image touch and are found as one box across the edge: the part inside is the face's."""
    x0, y0, x1, y1 = (float(v) for v in box)
    area = (x1 - x0) * (y1 - y0)
    cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
    if area <= 0 or cx1 <= cx0 or cy1 <= cy0 or (cx1 - cx0) * (cy1 - cy0) < IN_FRAME * area:
        return None
    return np.array([cx0, cy0, cx1, cy1], np.float32)


@dataclass(frozen=True)
class RegionSpec:
    file: str
    side: int  # the input square
    points: int  # (points, 3) out: x, y in input pixels, z in x's units
    logit: bool  # the presence output is a logit (else a probability already)
    from_found: Callable[[Found], Roi]
    from_points: Callable[[Floats], Roi]


class RegionLandmarker:
    """A MediaPipe landmark model on a region: the region cut out (RGB in [0, 1], the frame's
    edge repeated past it), the model run, the points put back into frame pixels; its first
    output is the points, its second the presence."""

    def __init__(self, name: str, spec: RegionSpec, files: ModelFiles) -> None:
        self.name = name
        self.spec = spec
        self.model = LiteModel(files.path(spec.file), files.threads)

    def roi_for(self, found: Found) -> Roi:
        return self.spec.from_found(found)

    def roi_from(self, landmarks: Landmarks) -> Roi:
        return self.spec.from_points(landmarks.points)

    def fit(self, image: Image, roi: Roi) -> Landmarks:
        side = self.spec.side
        outputs = self.model.run(to_tensor(roi.crop(image, side), 0.0, 1.0))
        score = float(outputs[1].reshape(-1)[0])
        if self.spec.logit:
            score = 1.0 / (1.0 + math.exp(-float(np.clip(score, -50, 50))))
        points = roi.project(outputs[0].reshape(self.spec.points, 3), side)
        return Landmarks(points, score, roi)


def register_ssd(
    registry: Registry[RunnerType[Detector]], name: str, spec: SsdSpec, what: str
) -> None:
    """``name`` in ``registry``: an :class:`SsdDetector` on ``spec``."""

    def create(files: ModelFiles) -> Detector:
        return SsdDetector(name, spec, files)

    registry.register(name, RunnerType(what, (spec.file,), create))


def register_region(
    registry: Registry[RunnerType[Landmarker]], name: str, spec: RegionSpec, what: str
) -> None:
    """``name`` in ``registry``: a :class:`RegionLandmarker` on ``spec``."""

    def create(files: ModelFiles) -> Landmarker:
        return RegionLandmarker(name, spec, files)

    registry.register(name, RunnerType(what, (spec.file,), create))
