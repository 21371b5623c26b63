"""A large face rendered at a capped working size and pasted back at the frame's.

A render's cost follows the face's area (a 1080p close-up's face is 300-400 px across, nine
times the pixels of a 640x480 one), yet what it puts there is the source's texture, warped
and toned: it has no more detail than the source photo's face (a few hundred px, often
upscaled). So a face larger than the working size is rendered on a shrunk copy of its region
(:func:`region`, :func:`factor`) and pasted back by :func:`paste_up`: the shrunk render,
scaled up, plus the frame's own fine detail (what the shrinking took away: its grain and
pores) on the skin, so the face is not softer than the frame around it; on the features (the
source's eyes, brows, nose and mouth) and where the outline moved, the frame's detail would
show the camera face's own edges through, so there the render is taken alone. Outside what the
render changed, the frame is left exactly as it was.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.face.imaging.warp import clip_box

Image = npt.NDArray[np.uint8]

REGION_MARGIN = 0.45  # share of the face's box round it that a render may change (the frame
# reshaped round a moved outline: face/imaging/outline.py's ring at 1.6 half-sizes)
MIN_SHRINK = 0.95  # a face at most this much over the working size is rendered as it is
SHARPEN = 1.5  # how much the scaled-up render's edges are sharpened where the frame's detail
SHARPEN_SIGMA = 1.0  # ... at this radius, in working-size pixels
DROP_SOFTEN = 1.5  # px of the working size: the edge of where the frame's detail is dropped


def factor(size: float, work_px: int) -> float:
    """The scale a face ``size`` px across is rendered at for a working size of ``work_px``
    (0: no cap): 1.0, or under it."""
    if work_px <= 0 or size <= 0:
        return 1.0
    scale = work_px / size
    return 1.0 if scale >= MIN_SHRINK else scale


def region(box: npt.NDArray[np.floating], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The frame's part round the face's ``box`` that its render may change (x0, y0, x1, y1)."""
    return clip_box(box, shape, margin=REGION_MARGIN)


def shrunk_size(crop_shape: tuple[int, ...], scale: float) -> tuple[int, int]:
    """(width, height) of a region ``crop_shape`` at ``scale``, at least 8 px a side."""
    h, w = crop_shape[:2]
    return max(8, round(w * scale)), max(8, round(h * scale))


def paste_up(
    crop: Image,
    before: Image,
    after: Image,
    drop: npt.NDArray[np.uint8],
    moved: npt.NDArray[np.uint8] | None = None,
) -> None:
    """In place: ``crop`` (the frame's region at full size) takes the render made on its
    shrunk copy: ``before`` is that copy as it was, ``after`` as rendered, ``drop`` (255
    where, at the working size) the frame's own fine detail must not show through (the
    features, a moved outline), ``moved`` (255) where the render moved the frame itself
    round the face: there the render scaled up is taken as it is (the camera's detail lay
    where the camera had it: a ghost of a collar's edge). Only where the render changed
    something is written."""
    changed = cv2.absdiff(before, after)
    h, w = changed.shape[:2]
    points = cv2.findNonZero(changed.reshape(h, w * 3))  # (a channel's change is a change)
    if points is None:
        return
    x, y, cw, ch = cv2.boundingRect(points)
    full_h, full_w = crop.shape[:2]
    fx, fy = full_w / w, full_h / h
    # the changed part at full size, one working pixel more all round (the scaling's reach)
    box = _full_box((x // 3, y, (x + cw - 1) // 3 + 1, y + ch), fx, fy, full_w, full_h)
    x0, y0, x1, y1 = box
    full = (full_w, full_h)
    part = crop[y0:y1, x0:x1]
    # everywhere: what the render changed, scaled up, added to the frame as it is (its own
    # fine detail kept: the render scaled up plus what the shrinking took away)
    change = cv2.subtract(after, before, dtype=cv2.CV_16S)
    added = cv2.resize(change, full, interpolation=cv2.INTER_LINEAR)[y0:y1, x0:x1]
    # where the detail is dropped (the features, a moved outline: in their box only), the
    # render's own edges sharpened instead (what the scaling up softened)
    points = cv2.findNonZero(drop)
    if points is not None:
        dx, dy, dw, dh = cv2.boundingRect(points)
        dx0, dy0, dx1, dy1 = _full_box((dx, dy, dx + dw, dy + dh), fx, fy, full_w, full_h)
        dx0, dy0, dx1, dy1 = max(dx0, x0), max(dy0, y0), min(dx1, x1), min(dy1, y1)
        if dx1 > dx0 and dy1 > dy0:
            inside = np.s_[dy0:dy1, dx0:dx1]
            sub = np.s_[dy0 - y0 : dy1 - y0, dx0 - x0 : dx1 - x0]
            soft = cv2.GaussianBlur(drop, (0, 0), DROP_SOFTEN)
            weight = cv2.resize(soft, full, interpolation=cv2.INTER_LINEAR)[inside]
            was = cv2.resize(before, full, interpolation=cv2.INTER_LINEAR)[inside]
            detail = cv2.subtract(part[sub], was, dtype=cv2.CV_16S)  # the frame's own
            edges = cv2.subtract(
                after, cv2.GaussianBlur(after, (0, 0), SHARPEN_SIGMA), dtype=cv2.CV_16S
            )
            edges = cv2.resize(edges, full, interpolation=cv2.INTER_LINEAR)[inside]
            # added += weight * (SHARPEN * edges - detail)
            swap = cv2.addWeighted(edges, SHARPEN, detail, -1.0, 0, dtype=cv2.CV_16S)
            weight3 = cv2.merge([weight, weight, weight])
            added[sub] = cv2.add(
                added[sub],
                cv2.multiply(swap, weight3, scale=1 / 255, dtype=cv2.CV_16S),
                dtype=cv2.CV_16S,
            )
    part[:] = cv2.add(part, added, dtype=cv2.CV_8U)  # (saturating)
    if moved is not None:
        _take_moved(part, box, after, moved, (fx, fy), full)


def _take_moved(
    part: Image,
    box: tuple[int, int, int, int],
    after: Image,
    moved: npt.NDArray[np.uint8],
    scale: tuple[float, float],
    full: tuple[int, int],
) -> None:
    """Where ``moved`` (working size) is set, ``part`` (the region's ``box`` at full size)
    becomes the render scaled up: copied over the moved pixels of the moved part's own box,
    the scaling done for that box alone (its edge needs no feather: the render and the frame
    agree there, only the camera's fine detail differs)."""
    points = cv2.findNonZero(moved)
    if points is None:
        return
    x0, y0, x1, y1 = box
    mx, my, mw, mh = cv2.boundingRect(points)
    fx, fy = scale
    bx0, by0, bx1, by1 = _full_box((mx, my, mx + mw, my + mh), fx, fy, full[0], full[1])
    bx0, by0, bx1, by1 = max(bx0, x0), max(by0, y0), min(bx1, x1), min(by1, y1)
    if bx1 <= bx0 or by1 <= by0:
        return
    inside = np.s_[by0:by1, bx0:bx1]
    where = cv2.resize(moved, full, interpolation=cv2.INTER_NEAREST)[inside]
    scaled = cv2.resize(after, full, interpolation=cv2.INTER_LINEAR)[inside]
    sub = part[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0]
    cv2.copyTo(scaled, where, sub)


def _full_box(
    box: tuple[int, int, int, int], fx: float, fy: float, full_w: int, full_h: int
) -> tuple[int, int, int, int]:
    """A box of working-size pixels (x0, y0, x1, y1) at full size, one working pixel more all
    round (the scaling's reach), inside the region."""
    x0, y0, x1, y1 = box
    return (
        max(0, math.floor((x0 - 1) * fx)),
        max(0, math.floor((y0 - 1) * fy)),
        min(full_w, math.ceil((x1 + 1) * fx)),
        min(full_h, math.ceil((y1 + 1) * fy)),
    )
