"""The pixel work of the background: a person mask made into a clean alpha, the backdrop
(the frame blurred, a colour, a picture) and the two put together. Pure functions of arrays.

Blur is a normalised convolution at a quarter of the frame's size: the background is
blurred with the person left out (``blur(image * bg) / blur(bg)``), so no halo of the person
bleeds into the blur around them, and the cost stays near constant whatever the strength.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Alpha = npt.NDArray[np.float32]
Polygon = npt.NDArray[np.float64]

LOW, HIGH = 0.35, 0.65  # person probability: below LOW background, above HIGH person
BLUR_SCALE = 4  # the blur is worked out at a quarter of the frame's size
MAX_SIGMA = 0.03  # blur 1: a Gaussian of 3% of the frame's longer side


def alpha_from(prob: Alpha) -> Alpha:
    """The person's alpha from the model's probability: a smoothstep between LOW and HIGH
    (the model's soft edge kept, its grey haze away from the person dropped)."""
    t = np.clip((prob - LOW) * (1.0 / (HIGH - LOW)), 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), np.float32)


def face_region(points: npt.NDArray[np.floating], box: npt.NDArray[np.floating]) -> Polygon:
    """A face's region to keep whole (frame pixels): its landmarks (an outline: 17 points or
    more), else its box's corners (a neural engine's face carries 5 keypoints only)."""
    xy = np.asarray(points, np.float64)
    if len(xy) >= 17:
        return xy[:, :2]
    x0, y0, x1, y1 = (float(v) for v in np.asarray(box).reshape(-1)[:4])
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def keep_regions(alpha: Alpha, polygons: list[Polygon]) -> Alpha:
    """``alpha`` with each polygon (frame pixels) set to 1: the faces are never replaced."""
    if not polygons:
        return alpha
    keep = np.zeros(alpha.shape, np.uint8)
    for poly in polygons:
        if len(poly) >= 3:
            hull = cv2.convexHull(np.round(poly).astype(np.int32))
            cv2.fillConvexPoly(keep, hull, 1)
    return np.maximum(alpha, keep.astype(np.float32))


def blurred(image: Image, alpha: Alpha, strength: float) -> Image:
    """The frame's background blurred at ``strength`` (0..1), the person's pixels left out
    of the blur."""
    h, w = image.shape[:2]
    sw, sh = max(1, w // BLUR_SCALE), max(1, h // BLUR_SCALE)
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)
    bg = 1.0 - cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_AREA)
    sigma = max(0.8, (0.15 + 0.85 * strength) * MAX_SIGMA * max(sw, sh))
    num = cv2.GaussianBlur(small * bg[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(bg, (0, 0), sigma)
    # where no background is near (inside a large person), the plain blur stands in
    plain = cv2.GaussianBlur(small, (0, 0), sigma)
    weight = np.clip(den * 8.0, 0.0, 1.0)[..., None]
    out = num / np.maximum(den, 1e-4)[..., None] * weight + plain * (1.0 - weight)
    small_out = np.asarray(np.clip(out + 0.5, 0, 255), np.uint8)
    return np.asarray(cv2.resize(small_out, (w, h), interpolation=cv2.INTER_LINEAR), np.uint8)


def colour_bgr(hex_colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as OpenCV's (b, g, r)."""
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def cover(picture: Image, size: tuple[int, int]) -> Image:
    """``picture`` scaled to cover ``size`` (width, height) and cut to it, centred (as a
    wallpaper fills a screen: no bars, nothing stretched)."""
    w, h = size
    ph, pw = picture.shape[:2]
    scale = max(w / pw, h / ph)
    sw, sh = max(w, round(pw * scale)), max(h, round(ph * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(picture, (sw, sh), interpolation=interp)
    x0, y0 = (sw - w) // 2, (sh - h) // 2
    return np.ascontiguousarray(scaled[y0 : y0 + h, x0 : x0 + w])


def composite(image: Image, backdrop: Image, alpha: Alpha) -> Image:
    """The person (``alpha`` 1) from ``image`` over ``backdrop``. Pixels where ``alpha`` is
    1 are ``image``'s exactly (OpenCV's per-pixel blend, rounded)."""
    a = np.ascontiguousarray(alpha, np.float32)
    return np.asarray(cv2.blendLinear(image, backdrop, a, 1.0 - a), np.uint8)
