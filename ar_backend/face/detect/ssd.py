"""MediaPipe's single-shot detector post-processing, shared by BlazeFace and the palm
detector: the anchors (``SsdAnchorsCalculator``), the decoding of the raw tensors into
boxes with keypoints (``TensorsToDetectionsCalculator``) and the weighted non-maximum
suppression (``NonMaxSuppressionCalculator``, algorithm WEIGHTED), with the options each
model's published graph gives them (face_detection_*_common.pbtxt, palm_detection_*.pbtxt).

Coordinates here are normalised to the model's input square (0..1), x then y.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class AnchorOptions:
    """``SsdAnchorsCalculatorOptions`` (the fields these models set)."""

    input_size: int
    strides: tuple[int, ...]
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    offset: float = 0.5
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0  # 0: no interpolated anchor


@dataclass(frozen=True)
class DecodeOptions:
    """``TensorsToDetectionsCalculatorOptions`` (reverse_output_order: x before y)."""

    num_keypoints: int
    scale: float  # x_scale = y_scale = w_scale = h_scale: the input size
    min_score: float
    clip: float = 100.0  # score_clipping_thresh
    nms_iou: float = 0.3  # NonMaxSuppression's min_suppression_threshold


def anchor_centres(opts: AnchorOptions) -> Floats:
    """(N, 2) anchor centres. With fixed_anchor_size (every model here) an anchor's width
    and height are 1, so only the centres matter; layers that share a stride share one
    grid, each adding its anchors at every cell, as the calculator does."""
    centres: list[Floats] = []
    n = len(opts.strides)
    layer = 0
    while layer < n:
        per_cell = 0
        last = layer
        while last < n and opts.strides[last] == opts.strides[layer]:
            per_cell += len(opts.aspect_ratios)
            if opts.interpolated_scale_aspect_ratio > 0:
                per_cell += 1
            last += 1
        cells = int(np.ceil(opts.input_size / opts.strides[layer]))
        ys, xs = np.mgrid[0:cells, 0:cells].astype(np.float32)
        grid = np.stack([(xs + opts.offset) / cells, (ys + opts.offset) / cells], axis=-1)
        centres.append(np.repeat(grid.reshape(-1, 2), per_cell, axis=0))
        layer = last
    return np.concatenate(centres).astype(np.float32)


@dataclass
class RawDetection:
    """One decoded detection in the model's input square (0..1)."""

    box: Floats  # x1, y1, x2, y2
    keypoints: Floats  # (K, 2)
    score: float


def decode(
    boxes: Floats, scores: Floats, anchors: Floats, opts: DecodeOptions
) -> list[RawDetection]:
    """The detections over ``opts.min_score`` after weighted NMS, best first. ``boxes``:
    (N, 4 + 2K) regressors, ``scores``: (N,) or (N, 1) logits."""
    boxes = boxes.reshape(len(anchors), -1)
    logits = np.clip(scores.reshape(-1).astype(np.float64), -opts.clip, opts.clip)
    prob = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(prob >= opts.min_score)
    if keep.size == 0:
        return []
    raw = boxes[keep] / opts.scale
    centre = anchors[keep]
    cx, cy = raw[:, 0] + centre[:, 0], raw[:, 1] + centre[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    rect = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = raw[:, 4 : 4 + 2 * opts.num_keypoints].reshape(len(keep), -1, 2) + centre[:, None, :]
    return weighted_nms(rect.astype(np.float32), kps, prob[keep].astype(np.float32), opts.nms_iou)


def _iou(box: Floats, others: Floats) -> Floats:
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)


def weighted_nms(rect: Floats, kps: Floats, scores: Floats, threshold: float) -> list[RawDetection]:
    """MediaPipe's WEIGHTED suppression: the best remaining detection and every one that
    overlaps it by more than ``threshold`` (IoU) become one, their boxes and keypoints
    averaged by score; it keeps the best one's score."""
    order = np.argsort(-scores, kind="stable")
    rect, kps, scores = rect[order], kps[order], scores[order]
    left = np.arange(len(scores))
    out: list[RawDetection] = []
    while left.size:
        top = left[0]
        overlap = _iou(rect[top], rect[left]) > threshold
        overlap[0] = True
        group = left[overlap]
        weights = scores[group][:, None]
        total = float(weights.sum())
        box = (rect[group] * weights).sum(axis=0) / total
        points = (kps[group] * weights[:, :, None]).sum(axis=0) / total
        out.append(
            RawDetection(box.astype(np.float32), points.astype(np.float32), float(scores[top]))
        )
        left = left[~overlap]
    return out
