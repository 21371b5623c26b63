"""Colour matching and pasting a rendered face back into the frame.

Only pixels under the face mask change: the background is never touched.
"""

from __future__ import annotations

import cv2
import numpy as np


def match_colour(face: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Reinhard transfer in Lab: the face's mean and spread under ``mask`` made the target's.

    The per-channel affine map is applied as a lookup table on 8-bit Lab (a few
    microseconds a face, against milliseconds in floating point).
    """
    if cv2.countNonZero(mask) < 16:
        return face
    f = cv2.cvtColor(face, cv2.COLOR_BGR2LAB)
    fm, fs = (v.ravel() for v in cv2.meanStdDev(f, mask=mask))
    tm, ts = (v.ravel() for v in cv2.meanStdDev(cv2.cvtColor(target, cv2.COLOR_BGR2LAB), mask=mask))
    ratio = np.clip((ts + 1e-3) / (fs + 1e-3), 0.5, 2.0)
    levels = np.arange(256, dtype=np.float64)[:, None]
    lut = np.clip((levels - fm) * ratio + tm, 0, 255).astype(np.uint8).reshape(256, 1, 3)
    return cv2.cvtColor(cv2.LUT(f, lut), cv2.COLOR_LAB2BGR)


def _masked_blur(image: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    w = cv2.GaussianBlur(weight, (k, k), 0)
    num = cv2.GaussianBlur(image * weight[..., None], (k, k), 0)
    return num / np.maximum(w, 1e-4)[..., None]


def shade_match(face: np.ndarray, target: np.ndarray, mask: np.ndarray, size: float) -> np.ndarray:
    """Carry the target's low-frequency shading and tint onto the face: the face keeps its
    detail, the light comes from the frame (no colour cast at the seam)."""
    k = max(3, int(size / 6) | 1)
    w = (mask > 0).astype(np.float32)
    f = face.astype(np.float32)
    t = target.astype(np.float32)
    corrected = f + _masked_blur(t, w, k) - _masked_blur(f, w, k)
    return np.clip(corrected, 0, 255).astype(np.uint8)


def feather(mask: np.ndarray, size: float) -> np.ndarray:
    """A soft 0..1 alpha: the mask eroded inwards then blurred, so the edge fades out."""
    k = max(3, int(size * 0.08) | 1)
    eroded = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return cv2.GaussianBlur(eroded, (2 * k + 1, 2 * k + 1), 0).astype(np.float32) / 255.0


def paste_feather(roi: np.ndarray, face: np.ndarray, alpha: np.ndarray) -> None:
    """In place: ``face`` over ``roi`` by ``alpha`` (0..1 per pixel)."""
    a = np.ascontiguousarray(alpha, np.float32)
    if face.dtype != np.uint8:
        face = np.clip(face, 0, 255).astype(np.uint8)
    roi[:] = cv2.blendLinear(np.ascontiguousarray(face), np.ascontiguousarray(roi), a, 1.0 - a)


POISSON_SIDE = 128  # the Poisson solve runs at most this large; its correction is smooth


def paste_seamless(roi: np.ndarray, face: np.ndarray, mask: np.ndarray, size: float) -> None:
    """Poisson blending inside the ROI; falls back to feathering when the mask is unusable.

    The solve's result differs from the pasted face by a smooth membrane, so it is solved
    on a copy scaled to at most POISSON_SIDE px and only that difference is scaled back up
    and added at full resolution: the detail stays sharp, the cost stays small.
    """
    k = max(3, int(size * 0.04) | 1)
    inner = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    h, w = inner.shape
    scale = min(1.0, POISSON_SIDE / max(h, w))
    small = (max(8, round(w * scale)), max(8, round(h * scale)))
    inner_s = cv2.resize(inner, small, interpolation=cv2.INTER_AREA)
    inner_s = np.where(inner_s > 200, 255, 0).astype(np.uint8)
    inner_s[:1, :] = inner_s[-1:, :] = 0
    inner_s[:, :1] = inner_s[:, -1:] = 0
    ys, xs = np.nonzero(inner_s)
    if len(xs) < 16:
        paste_feather(roi, face, feather(mask, size))
        return
    face_s = cv2.resize(face, small, interpolation=cv2.INTER_AREA)
    roi_s = cv2.resize(roi, small, interpolation=cv2.INTER_AREA)
    center = (int((xs.min() + xs.max() + 1) // 2), int((ys.min() + ys.max() + 1) // 2))
    # (a copy: OpenCV erodes the mask it is given in place)
    cloned = cv2.seamlessClone(face_s, roi_s, inner_s.copy(), center, cv2.NORMAL_CLONE)
    membrane: np.ndarray = cloned.astype(np.float32) - face_s.astype(np.float32)
    membrane = cv2.resize(membrane, (w, h), interpolation=cv2.INTER_LINEAR)
    result = np.clip(face.astype(np.float32) + membrane, 0, 255)
    # only the face changes: everything outside the (softened) mask keeps its pixels
    alpha = cv2.GaussianBlur(inner, (k, k), 0).astype(np.float32) / 255.0
    paste_feather(roi, result, alpha)


def inset(mask: np.ndarray, by: float) -> np.ndarray:
    """The mask shrunk by ``by`` px all round (by its distance to the outside: one pass,
    where an erosion with a kernel that wide costs milliseconds)."""
    depth = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 3)
    return np.where(depth > by, 255, 0).astype(np.uint8)


def polygon_mask_of(shape: tuple[int, int], loop: np.ndarray) -> np.ndarray:
    """255 inside the polygon ``loop`` (points in order, any shape: not only convex)."""
    mask: np.ndarray = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(loop[:, :2] * 16).astype(np.int32)], 255, cv2.LINE_8, 4)
    return mask


def polygon_mask(shape: tuple[int, int], points: np.ndarray, grow: float = 0.0) -> np.ndarray:
    mask: np.ndarray = np.zeros(shape, np.uint8)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    if grow > 0:
        k = max(3, int(grow) | 1)
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return mask


MULTIBAND_FINEST = 0.02  # the finest band's seam width, in parts of the face's size
MULTIBAND_COARSEST = 8.0  # px: the pyramid stops at a level this coarse for the face


def paste_multiband(roi: np.ndarray, face: np.ndarray, mask: np.ndarray, size: float) -> None:
    """A multi-band (Laplacian pyramid) paste, in place, inside ``mask`` only: each band of
    the face is blended with the frame's over a seam as wide as the band is coarse (Burt and
    Adelson's spline), so the light and colour change over a wide seam while skin and hair
    detail meet over a narrow one: no line, no halo, and no soft ghost of both textures
    where a wide feather would mix them. The mask is eroded by the coarsest seam first, so
    nothing outside it moves.

    Unlike a Poisson paste, the frame's colours along the mask's edge (hair, a hand, the
    background beside a cheek) do not bleed into the whole face: only the band nearest the
    edge changes. (One pyramid, of the face less the frame: the bands blend linearly.)"""
    h, w = mask.shape
    levels = int(np.clip(np.log2(max(size, 16.0) / MULTIBAND_COARSEST), 1, 5))
    spread = 2**levels
    inner = inset(mask, spread / 2)
    if cv2.countNonZero(inner) < 16:
        paste_feather(roi, face, feather(mask, size))
        return
    pad = (0, -h % spread, 0, -w % spread)  # each level halves exactly
    base = roi.astype(np.float32)
    d = cv2.copyMakeBorder(face.astype(np.float32) - base, *pad, cv2.BORDER_REFLECT_101)
    fine = max(0.8, size * MULTIBAND_FINEST)
    a = cv2.GaussianBlur(
        cv2.copyMakeBorder(inner, *pad, cv2.BORDER_CONSTANT, value=0).astype(np.float32) / 255.0,
        (0, 0),
        fine,
    )
    bands: list[np.ndarray] = []
    for _ in range(levels):
        down, a_down = cv2.pyrDown(d), cv2.pyrDown(a)
        bands.append((d - cv2.pyrUp(down, dstsize=(d.shape[1], d.shape[0]))) * a[..., None])
        d, a = down, a_down
    out = d * a[..., None]
    for band in reversed(bands):
        out = cv2.pyrUp(out, dstsize=(band.shape[1], band.shape[0])) + band
    result = np.clip(base + out[:h, :w], 0, 255)
    # the bands reach a little past the eroded mask: kept inside the mask, faded at its edge
    keep = cv2.GaussianBlur(mask, (0, 0), fine).astype(np.float32) / 255.0 * (mask > 0)
    paste_feather(roi, result, keep)
