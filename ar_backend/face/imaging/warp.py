"""Piecewise-affine warp of a source texture onto destination landmarks.

One ``cv2.remap`` per face: every destination pixel looks up the affine map of the triangle
it falls in (a triangle-id image drawn with ``fillConvexPoly``), so the cost is a few numpy
operations over the face's box instead of a ``warpAffine`` per triangle.
"""

from __future__ import annotations

import cv2
import numpy as np

SHIFT = 4  # sub-pixel precision for fillConvexPoly
ONE = 1 << SHIFT


def clip_box(
    box: np.ndarray, shape: tuple[int, ...], margin: float = 0.0
) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    return (
        max(0, int(np.floor(x1 - mx))),
        max(0, int(np.floor(y1 - my))),
        min(w, int(np.ceil(x2 + mx)) + 1),
        min(h, int(np.ceil(y2 + my)) + 1),
    )


def crop_region(
    matrix: np.ndarray, n: int, shape: tuple[int, ...], min_side: int = 2
) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """Where an ``n x n`` aligned crop (``matrix``: frame to crop) lands back in a frame of
    ``shape``: its bounding rectangle (x0, y0, x1, y1) clipped to the frame, and the crop to
    rectangle warp; None when less than ``min_side`` px of it is inside."""
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0], [n, 0], [0, n], [n, n]], np.float64)
    where = corners @ inverse[:, :2].T + inverse[:, 2]
    h, w = shape[:2]
    x0, y0 = max(0, int(np.floor(where[:, 0].min()))), max(0, int(np.floor(where[:, 1].min())))
    x1 = min(w, int(np.ceil(where[:, 0].max())) + 1)
    y1 = min(h, int(np.ceil(where[:, 1].max())) + 1)
    if x1 - x0 < min_side or y1 - y0 < min_side:
        return None
    local = inverse.copy()
    local[:, 2] -= (x0, y0)
    return (x0, y0, x1, y1), local


def triangle_ids(
    dst: np.ndarray,
    tris: np.ndarray,
    roi: tuple[int, int, int, int],
    usable: np.ndarray | None = None,
) -> np.ndarray:
    """An int16 image over the ROI: the index+1 of the triangle covering each pixel, 0 outside."""
    x0, y0, x1, y1 = roi
    ids = np.zeros((y1 - y0, x1 - x0), np.int16)
    corners = np.round((dst[:, :2] - (x0, y0)) * ONE).astype(np.int32)[tris]  # (T, 3, 2)
    drawn = range(len(tris)) if usable is None else np.flatnonzero(usable).tolist()
    for t in drawn:
        cv2.fillConvexPoly(ids, corners[t], t + 1, lineType=cv2.LINE_8, shift=SHIFT)
    return ids


def warp_to(
    src_img: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    tris: np.ndarray,
    roi: tuple[int, int, int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """The source texture warped so its landmarks ``src`` land on ``dst``, over ``roi`` of
    the destination frame; with the coverage mask (uint8, 255 inside the triangles)."""
    x0, y0, x1, y1 = roi
    # every triangle's affine map from destination to source pixels, solved in one batch:
    # [dx dy 1] rows of its corners times X = its source corners, X transposed is the map
    d = (dst[tris] - (x0, y0)).astype(np.float64)  # (T, 3, 2)
    corners = np.concatenate([d, np.ones((len(tris), 3, 1))], axis=2)  # (T, 3, 3)
    det = np.linalg.det(corners)
    usable = np.abs(det) > 1e-3  # degenerate ones: no map, neither drawn nor covered
    solved = np.zeros((len(tris), 3, 2))
    if usable.any():
        solved[usable] = np.linalg.solve(corners[usable], src[tris][usable].astype(np.float64))
    mats = np.zeros((len(tris) + 1, 2, 3), np.float32)
    mats[1:] = solved.transpose(0, 2, 1)
    ids = triangle_ids(dst, tris, roi, usable)
    # each pixel's map from its triangle's six coefficients (one lookup per coefficient)
    xs = np.arange(x1 - x0, dtype=np.float32)[None, :]
    ys = np.arange(y1 - y0, dtype=np.float32)[:, None]
    a, b, c, d_, e, f = (np.take(mats[:, i // 3, i % 3], ids) for i in range(6))
    map_x = a * xs + b * ys + c
    map_y = d_ * xs + e * ys + f
    warped = cv2.remap(src_img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    mask = np.where(ids > 0, 255, 0).astype(np.uint8)
    return warped, mask
