"""Landmark geometry: the 68-point groups, similarity fits, triangulation, pose hints."""

from __future__ import annotations

import numpy as np
from scipy.spatial import Delaunay

JAW = np.arange(0, 17)
BROWS = np.arange(17, 27)
NOSE = np.arange(27, 36)
EYES = np.arange(36, 48)
MOUTH = np.arange(48, 68)
INNER_MOUTH = np.arange(60, 68)
INNER = np.arange(17, 68)  # brows, nose, eyes, mouth: the identity-bearing shape
STABLE = np.concatenate([EYES, NOSE])  # what a similarity fit should align on


FOREHEAD_FROM = np.array([17, 19, 21, 22, 24, 26])  # brow points the forehead is grown from
FOREHEAD_REACH = 0.25


def with_forehead(points68: np.ndarray) -> np.ndarray:
    """The 68 points plus six forehead points, grown from the brows away from the nose tip,
    so the swapped texture covers the forehead too (the boundary stays the target's)."""
    brows = points68[FOREHEAD_FROM]
    up = brows + (brows - points68[30]) * FOREHEAD_REACH
    return np.vstack([points68, up])


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 similarity transform (rotation, uniform scale, shift) taking src onto dst
    in the least-squares sense (Umeyama)."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s0, d0 = src - mu_s, dst - mu_d
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1
    rot = u @ np.diag(d) @ vt
    var = (s0**2).sum() / len(src)
    scale = (sig * d).sum() / var if var > 0 else 1.0
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, np.float64)
    return pts @ m[:, :2].T + m[:, 2]


def triangles(points: np.ndarray) -> np.ndarray:
    """Delaunay triangles over the points, as (T, 3) vertex indices."""
    return Delaunay(np.asarray(points, np.float64)).simplices.astype(np.int32)


def signed_areas(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def yaw_hint(points68: np.ndarray) -> float:
    """-1 .. 1: how far the head is turned (0 frontal), from where the nose sits between
    the jaw's ends. Cheap and good enough to temper shape changes on turned heads."""
    left, right = points68[0], points68[16]
    nose = points68[30]
    width = np.linalg.norm(right - left)
    if width < 1e-6:
        return 0.0
    axis = (right - left) / width
    t = float(np.dot(nose - left, axis) / width)  # 0.5 when frontal
    return float(np.clip((t - 0.5) * 2.0, -1.0, 1.0))


def roll_degrees(points68: np.ndarray) -> float:
    """The head's tilt in the image plane: the angle of the line between the eye centres
    (positive: the right-hand eye sits lower, as ``cv2.getRotationMatrix2D`` counts)."""
    left = points68[36:42].mean(axis=0)
    right = points68[42:48].mean(axis=0)
    dx, dy = right - left
    return float(np.degrees(np.arctan2(dy, dx)))


def box_of(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points)
    return np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])


def box_size(box: np.ndarray) -> float:
    return float(np.sqrt(max(box[2] - box[0], 1.0) * max(box[3] - box[1], 1.0)))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
