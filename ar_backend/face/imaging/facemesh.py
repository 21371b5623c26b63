"""The face mesh's geometry for a swap: its parts by landmark, a face's pose fitted in 3D, and
the source's identity shape carried onto the target's pose and expression.

MediaPipe's face mesh (face/detect/face_mesh.py) gives 468 points with depth, the same points
on every face (the canonical triangles and face: :mod:`facemesh_data`). So two faces are
compared point by point, in 3D:

1. The source's mesh is brought into the target's pose by a similarity (rotation, scale,
   shift) fitted on the points MediaPipe fits a face's pose on (:data:`PROCRUSTES`: nose,
   eye corners, cheekbones), with their weights. What differs then is shape: the source's
   nose, eyes, mouth and proportions, seen as the target's head is turned (the depth turns
   a longer nose with the head).
2. Expression stays the camera's: the jaw's opening (the gap between the inner lips) and each
   eye's opening (upper lid to lower lid) are the target's; only the shape around them is the
   source's. The jaw's points (lower lip, chin) and the upper lids' points carry the target's
   opening, weighted by where they lie on the canonical face (:data:`JAW_WEIGHT`,
   :data:`RIGHT_LID_WEIGHT`, :data:`LEFT_LID_WEIGHT`).
3. The inner face moves by ``strength`` toward the source's shape, the outline (the mesh's
   border, :data:`OVAL`, fading inward over three rings) by ``outline`` (the engine's
   ``likeness``): 0 keeps the target's outline, so only what is inside it changes.

Which triangles face the camera (:func:`facing`), the order to paint them in (:func:`far_to_near`),
how much of the face a move turns over (:func:`folded`), and the features' mask
(:func:`features_mask`) go with it. The points are MediaPipe's (face_mesh_connections.py's
contours; the triangles in facemesh_data.py).

Points are (N, 3) arrays: x, y in pixels, z in x's units (as the mesh gives them).
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.face.imaging.facemesh_data import CANONICAL, PROCRUSTES, TRIANGLES

Points = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

POINTS = 468


def _idx(*values: int) -> Indices:
    return np.array(values, np.intp)


# the parts, each a closed loop in order (face_mesh_connections.py's contours)
OVAL = _idx(10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
            377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
            109)  # fmt: skip
LIPS_INNER = _idx(78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87,
                  178, 88, 95)  # fmt: skip
LIPS_OUTER = _idx(61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84,
                  181, 91, 146)  # fmt: skip
# "right" is the person's right: the eye on the image's left
RIGHT_EYE = _idx(33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE = _idx(263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
RIGHT_UPPER_LID = RIGHT_EYE[1:8]
LEFT_UPPER_LID = LEFT_EYE[1:8]
RIGHT_BROW = _idx(46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
LEFT_BROW = _idx(276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
UPPER_LIP_MID, LOWER_LIP_MID = 13, 14  # the inner lips' middle: the mouth's opening
RIGHT_LIDS, LEFT_LIDS = (159, 145), (386, 374)  # upper and lower lid's middle
CHIN = 152

NOSE = _idx(168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 97, 326, 327, 294, 278, 344, 440, 275, 45,
             220, 115, 48, 64)  # fmt: skip
# the outline and the features' corners: what a reshaped frame round the face follows
RESHAPED = np.concatenate([OVAL, _idx(33, 133, 362, 263, 1, 168, 61, 291, 13, 14, 152)])

PROCRUSTES_IDS = _idx(*(i for i, _ in PROCRUSTES))
PROCRUSTES_WEIGHTS = np.array([w for _, w in PROCRUSTES], np.float64)


def _rings(start: Indices, depth: int) -> npt.NDArray[np.int64]:
    """Each point's distance in mesh edges from ``start``, up to ``depth`` (farther: depth + 1)."""
    neighbours: list[set[int]] = [set() for _ in range(POINTS)]
    for a, b, c in TRIANGLES:
        neighbours[a] |= {int(b), int(c)}
        neighbours[b] |= {int(a), int(c)}
        neighbours[c] |= {int(a), int(b)}
    dist = np.full(POINTS, depth + 1, np.int64)
    todo: deque[int] = deque()
    for i in start:
        dist[i] = 0
        todo.append(int(i))
    while todo:
        i = todo.popleft()
        if dist[i] >= depth:
            continue
        for j in neighbours[i]:
            if dist[j] > dist[i] + 1:
                dist[j] = dist[i] + 1
                todo.append(j)
    return dist


OUTLINE_RINGS = 3
# 1 on the outline, fading inward over OUTLINE_RINGS rings of the mesh: how much of a point's
# move follows ``likeness`` (the outline) rather than ``strength`` (the inner face)
OUTLINE_WEIGHT: Points = np.clip(
    1.0 - _rings(OVAL, OUTLINE_RINGS).astype(np.float64) / OUTLINE_RINGS, 0.0, 1.0
)


def _smoothstep(x: Points) -> Points:
    t = np.clip(x, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _jaw_weight() -> Points:
    """How much each point moves with the jaw when the mouth opens (canonical face: 1 on the
    lower lip and the chin, 0 from the mouth corners' height up, fading sideways past the
    corners toward the jaw's hinge)."""
    x, y = CANONICAL[:, 0], CANONICAL[:, 1]
    corners_y = CANONICAL[[61, 291], 1].mean()
    half = abs(float(CANONICAL[291, 0] - CANONICAL[61, 0])) / 2
    down = _smoothstep((corners_y - y) / (corners_y - CANONICAL[LOWER_LIP_MID, 1]))
    side = np.clip(1.0 - (np.abs(x) - half) / (2.0 * half), 0.0, 1.0)
    weight: Points = down * side
    return weight


def _lid_weight(lid: Indices, brow: Indices) -> Points:
    """How much each point moves with an upper lid when the eye opens or closes (canonical
    face: 1 on the lid's edge, fading up to the brow, nothing below the eye's corners or past
    them)."""
    x, y = CANONICAL[:, 0], CANONICAL[:, 1]
    x0, x1 = CANONICAL[lid, 0].min(), CANONICAL[lid, 0].max()
    lid_y, brow_y = CANONICAL[lid, 1].max(), CANONICAL[brow, 1].min()
    up = 1.0 - _smoothstep((y - lid_y) / max(brow_y - lid_y, 1e-6))
    inside = (x >= x0) & (x <= x1) & (y >= lid_y)
    weight: Points = np.where(inside, up, 0.0)
    weight[lid] = 1.0
    return weight


def _inside(loop: Indices) -> Indices:
    """The points inside a loop (on the canonical face, seen from the front), the loop's too."""
    poly = CANONICAL[loop, :2].astype(np.float32)
    inside = [
        i
        for i in range(POINTS)
        if cv2.pointPolygonTest(poly, (float(CANONICAL[i, 0]), float(CANONICAL[i, 1])), False) >= 0
    ]
    return np.union1d(np.array(inside, np.intp), loop)


LIPS = _inside(LIPS_OUTER)  # the lips and the mouth between them
JAW_WEIGHT = _jaw_weight()
RIGHT_LID_WEIGHT = _lid_weight(RIGHT_UPPER_LID, RIGHT_BROW)
LEFT_LID_WEIGHT = _lid_weight(LEFT_UPPER_LID, LEFT_BROW)


def similarity_3d(
    src: Points, dst: Points, weights: npt.NDArray[np.float64] | None = None
) -> tuple[Points, float, Points]:
    """(rotation 3x3, scale, shift) taking ``src`` onto ``dst`` (N x 3) in the weighted
    least-squares sense (Umeyama), with no mirroring."""
    w = np.ones(len(src)) if weights is None else np.asarray(weights, np.float64)
    w = w / w.sum()
    mu_s, mu_d = w @ src, w @ dst
    s0, d0 = src - mu_s, dst - mu_d
    cov = (d0 * w[:, None]).T @ s0
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1
    rot = u @ np.diag(d) @ vt
    var = float((w * (s0**2).sum(axis=1)).sum())
    scale = float((sig * d).sum() / var) if var > 0 else 1.0
    shift = mu_d - scale * rot @ mu_s
    return rot, scale, shift


def posed_like(source: Points, target: Points) -> Points:
    """The source's mesh in the target's pose: fitted on MediaPipe's pose points."""
    rot, scale, shift = similarity_3d(
        source[PROCRUSTES_IDS], target[PROCRUSTES_IDS], PROCRUSTES_WEIGHTS
    )
    posed: Points = scale * source @ rot.T + shift
    return posed


def _keep_opening(move: Points, posed: Points, target: Points) -> None:
    """In place: the move less the difference in the mouth's and the eyes' opening, so the
    jaw and the lids stay where the target has them."""
    for (upper, lower), weight, sign in (
        ((UPPER_LIP_MID, LOWER_LIP_MID), JAW_WEIGHT, 1.0),
        (RIGHT_LIDS, RIGHT_LID_WEIGHT, -1.0),
        (LEFT_LIDS, LEFT_LID_WEIGHT, -1.0),
    ):
        # lower minus upper: the opening (the jaw's points move with the lower lip, the lids'
        # with the upper one, so the lids take it with the other sign)
        opening = (posed[lower] - posed[upper]) - (target[lower] - target[upper])
        move -= sign * weight[:, None] * opening[None, :]


def identity_shape(target: Points, source: Points, strength: float, outline: float) -> Points:
    """The target's mesh moved toward the source's shape in the target's pose, its mouth's and
    eyes' opening kept: inner points by ``strength`` (0..1), the outline by ``outline`` (0..1),
    fading between them over the outline's rings."""
    posed = posed_like(source, target)
    move = posed - target
    _keep_opening(move, posed, target)
    amount = (1.0 - OUTLINE_WEIGHT) * strength + OUTLINE_WEIGHT * outline
    moved: Points = target + amount[:, None] * move
    return moved


def _areas(points: Points, tris: npt.NDArray[np.int32]) -> Points:
    """Each triangle's signed area in the picture (negative: it faces the camera, its
    corners running as on the canonical face seen from the front, with y down)."""
    a, b, c = points[tris[:, 0], :2], points[tris[:, 1], :2], points[tris[:, 2], :2]
    area: Points = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (
        c[:, 0] - a[:, 0]
    )
    return area


def facing(points: Points, tris: npt.NDArray[np.int32] = TRIANGLES) -> npt.NDArray[np.bool_]:
    """Which triangles face the camera (a turned head's far side runs the other way)."""
    front: npt.NDArray[np.bool_] = _areas(points, tris) < 0
    return front


def folded(before: Points, after: Points) -> float:
    """The share of the face's area (seen from the camera) whose triangles the move from
    ``before`` to ``after`` turned over. A triangle seen edge-on (the nostrils' underside,
    the silhouette) turns over at the slightest move, and a culled sliver leaves no mark:
    a fold worth backing off from covers some of the face."""
    area = _areas(before, TRIANGLES)
    front = area < 0
    turned = front & (_areas(after, TRIANGLES) >= 0)
    total = float(-area[front].sum())
    return float(-area[turned].sum()) / total if total > 0 else 0.0


def far_to_near(points: Points, tris: npt.NDArray[np.int32] = TRIANGLES) -> npt.NDArray[np.int32]:
    """The triangles ordered farthest first (painted in this order, the nearer ones cover the
    ones behind them: the nose over the far cheek of a turned head)."""
    depth = points[tris, 2].mean(axis=1)  # the mesh's z: larger is farther
    ordered: npt.NDArray[np.int32] = tris[np.argsort(-depth, kind="stable")]
    return ordered


FEATURE_LOOPS = (RIGHT_EYE, LEFT_EYE, LIPS_OUTER)
FEATURE_HULLS = (RIGHT_BROW, LEFT_BROW, _idx(98, 97, 2, 326, 327, 1))  # (the nostrils)
FEATURE_GROW = 0.04  # in parts of the face's size


def features_mask(
    shape: tuple[int, int], meshes: list[Points], size: float
) -> npt.NDArray[np.uint8]:
    """255 on the eyes, brows, nostrils and lips of each mesh (x, y in the mask's pixels),
    grown by FEATURE_GROW of the face's ``size``: what is not skin inside the face."""
    mask = np.zeros(shape, np.uint8)
    for mesh in meshes:
        xy = mesh[:, :2]
        for loop in FEATURE_LOOPS:
            cv2.fillPoly(mask, [np.round(xy[loop]).astype(np.int32)], 255)
        for hull in FEATURE_HULLS:
            cv2.fillConvexPoly(mask, cv2.convexHull(np.round(xy[hull]).astype(np.int32)), 255)
    k = max(3, int(2 * size * FEATURE_GROW) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    return np.asarray(cv2.dilate(mask, kernel), np.uint8)


# the triangles round the eyes' and the mouth's openings (the camera's own parts are warped
# with these only: a few dozen instead of the whole mesh)
OPENINGS = np.concatenate([LIPS_INNER, RIGHT_EYE, LEFT_EYE])
OPENING_TRIANGLES: npt.NDArray[np.bool_] = np.asarray(np.isin(TRIANGLES, OPENINGS).any(axis=1))
