"""Likeness beyond the inner features: the source's face outline (jaw, chin) and forehead.

The classic engine moves brows, eyes, nose and mouth to the source's shape but pastes inside
the target's own outline, and much of a face's identity is its outline: a wide jaw stays a
wide jaw. With ``likeness`` > 0 the jaw line and the forehead points move toward the source's
(similarity-aligned, as the inner features; tempered on turned heads), and so that the
target's real jaw does not show beside the new one, the frame itself is reshaped first: a
mesh over the face's landmarks plus a fixed outer ring (an ellipse 1.6 face half-sizes out)
moves the target's outline onto the new one, and the skin, hair and background between the
outline and the ring follow smoothly. Outside the ring nothing moves, at the ring the warp is
continuous (piecewise affine with the ring fixed), so nothing tears. The source face is then
pasted inside the new outline as before (colour and light from the frame).

``likeness`` 0 is the engine's behaviour without it, exactly: this module is not called.
"""

from __future__ import annotations

import cv2
import numpy as np

from ar_backend.face.imaging import geometry
from ar_backend.face.imaging.warp import triangle_ids

RING_POINTS = 16
GRID_STEP = 4  # the reshaping map is computed every 4 px and scaled up
RING_REACH = 1.6  # the fixed ring, in half-sizes of the face's box, from its centre
OUTLINE = np.concatenate([geometry.JAW, np.arange(68, 74)])  # jaw and forehead points
TURN_FREE = 0.15  # yaw hint under which the outline moves in full
TURN_STOP = 0.6  # and over which it does not move at all (the visible jaw is a profile)


def outline_shape(
    target74: np.ndarray, dst74: np.ndarray, source74: np.ndarray, likeness: float
) -> np.ndarray:
    """``dst74`` (the target's points with the inner features already moved) with its jaw and
    forehead moved ``likeness`` of the way to the source's, aligned on eyes and nose."""
    m = geometry.similarity(source74[geometry.STABLE], target74[geometry.STABLE])
    moved = geometry.apply(m, source74)
    turn = abs(geometry.yaw_hint(target74[:68]))
    temper = float(np.clip((TURN_STOP - turn) / (TURN_STOP - TURN_FREE), 0.0, 1.0))
    out = dst74.copy()
    out[OUTLINE] = dst74[OUTLINE] + likeness * temper * (moved[OUTLINE] - dst74[OUTLINE])
    return out


def ring(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """RING_POINTS on an ellipse round the face, kept inside the frame."""
    box = geometry.box_of(points)
    centre = (box[:2] + box[2:]) / 2
    half = (box[2:] - box[:2]) / 2 * RING_REACH
    t = np.linspace(0, 2 * np.pi, RING_POINTS, endpoint=False)
    pts = centre + np.stack([np.cos(t) * half[0], np.sin(t) * half[1]], axis=1)
    h, w = shape[:2]
    return np.clip(pts, [0, 0], [w - 1, h - 1])


def reshape_frame(image: np.ndarray, before: np.ndarray, after: np.ndarray) -> bool:
    """Warp the frame in place so the landmarks ``before`` land on ``after`` (both 74 points,
    frame pixels), the ring round them fixed. False (nothing changed) if the mesh would fold.

    The map is a smooth field (piecewise affine, fixed at the ring), so it is computed on a
    grid GRID_STEP times coarser, scaled up, and applied with one ``cv2.remap``: a few ms
    for a face filling a 720p frame."""
    fixed = ring(np.vstack([before, after]), image.shape)
    src = np.vstack([before, fixed])
    dst = np.vstack([after, fixed])
    tris = geometry.triangles(src)
    if np.any(
        np.sign(geometry.signed_areas(src, tris)) != np.sign(geometry.signed_areas(dst, tris))
    ):
        return False
    h, w = image.shape[:2]
    x0, y0 = (max(0, int(v)) for v in np.floor(fixed.min(axis=0)))
    x1, y1 = (
        int(min(w, np.ceil(fixed[:, 0].max()) + 1)),
        int(min(h, np.ceil(fixed[:, 1].max()) + 1)),
    )
    if x1 - x0 < 8 or y1 - y0 < 8:
        return False
    step = GRID_STEP
    cw, ch = (x1 - x0 + step - 1) // step + 1, (y1 - y0 + step - 1) // step + 1
    # per triangle, the affine map from output (dst) to input (src) pixels, on the coarse grid
    d = ((dst - (x0, y0)) / step)[tris]
    corners = np.concatenate([d, np.ones((len(tris), 3, 1))], axis=2)
    usable = np.abs(np.linalg.det(corners)) > 1e-6
    solved = np.zeros((len(tris), 3, 2))
    solved[usable] = np.linalg.solve(corners[usable], (src[tris][usable] - (x0, y0)) / step)
    mats = np.zeros((len(tris) + 1, 2, 3), np.float32)
    mats[1:] = solved.transpose(0, 2, 1)
    ids = triangle_ids((dst - (x0, y0)) / step, tris, (0, 0, cw, ch), usable)
    ys, xs = np.mgrid[0:ch, 0:cw].astype(np.float32)
    m = mats[ids]
    inside = ids > 0
    map_x = np.where(inside, m[..., 0, 0] * xs + m[..., 0, 1] * ys + m[..., 0, 2], xs) * step
    map_y = np.where(inside, m[..., 1, 0] * xs + m[..., 1, 1] * ys + m[..., 1, 2], ys) * step
    full = (x1 - x0, y1 - y0)
    # the coarse grid's node i sits at pixel i * step: scale up with nodes on pixels
    big_x = cv2.resize(map_x, (cw * step, ch * step), interpolation=cv2.INTER_LINEAR)
    big_y = cv2.resize(map_y, (cw * step, ch * step), interpolation=cv2.INTER_LINEAR)
    # resizing puts pixel X at coarse (X + 0.5) / step - 0.5, not X / step: (step - 1) / 2 px
    shift = (step - 1) / 2.0
    big_x = big_x[: full[1], : full[0]] + shift
    big_y = big_y[: full[1], : full[0]] + shift
    patch = image[y0:y1, x0:x1]
    warped = cv2.remap(patch, big_x, big_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    patch[:] = warped
    return True


SHADE_SMALL_K = 15  # the broad shading is blurred at a scale where its kernel is this size


def shade_broad(face: np.ndarray, target: np.ndarray, mask: np.ndarray, size: float) -> np.ndarray:
    """``blend.shade_match`` with a kernel of ``size / 6``, computed at low resolution: the
    light it carries over is smooth at that scale, so the blur runs on an image scaled down
    until the kernel is SHADE_SMALL_K px and the correction is scaled back up."""
    k = max(3.0, size / 6)
    scale = min(1.0, SHADE_SMALL_K / k)
    h, w = mask.shape[:2]
    small = (max(4, round(w * scale)), max(4, round(h * scale)))
    ks = max(3, int(k * scale) | 1)
    weight = cv2.resize((mask > 0).astype(np.float32), small, interpolation=cv2.INTER_AREA)
    f = cv2.resize(face, small, interpolation=cv2.INTER_AREA).astype(np.float32)
    t = cv2.resize(target, small, interpolation=cv2.INTER_AREA).astype(np.float32)
    wb = np.maximum(cv2.GaussianBlur(weight, (ks, ks), 0), 1e-4)[..., None]
    fb = cv2.GaussianBlur(f * weight[..., None], (ks, ks), 0) / wb
    tb = cv2.GaussianBlur(t * weight[..., None], (ks, ks), 0) / wb
    correction = cv2.resize(tb - fb, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(face.astype(np.float32) + correction, 0, 255).astype(np.uint8)


def match_inner_light(
    roi: np.ndarray, lit: np.ndarray, inner_points: np.ndarray, mask: np.ndarray, size: float
) -> None:
    """In place: the pasted face's mean colour over its inner features (brows, eyes, nose,
    mouth) made the frame's there (``lit``: the frame before the paste), the shift fading out
    smoothly toward the outline. The broad shading keeps the source's own light across its
    features, and a Poisson paste keeps its gradients: this keeps their brightness the
    frame's."""
    inner: np.ndarray = np.zeros(mask.shape[:2], np.uint8)
    cv2.fillConvexPoly(inner, cv2.convexHull(np.round(inner_points).astype(np.int32)), 255)
    inner = cv2.bitwise_and(inner, mask)
    if cv2.countNonZero(inner) < 16:
        return
    shift = np.array(cv2.mean(lit, mask=inner)[:3]) - np.array(cv2.mean(roi, mask=inner)[:3])
    h, w = mask.shape[:2]
    q = 4 if min(h, w) >= 64 else 1  # a wide, smooth fade: blurred at a quarter size
    small = cv2.resize(inner, (max(1, w // q), max(1, h // q)), interpolation=cv2.INTER_AREA)
    soft = cv2.GaussianBlur(small, (0, 0), max(1.0, size * 0.08 / q))
    alpha = cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    alpha *= mask > 0  # nothing outside the face moves
    out = roi.astype(np.float32) + alpha[..., None] * shift.astype(np.float32)
    roi[:] = np.clip(out, 0, 255).astype(np.uint8)
