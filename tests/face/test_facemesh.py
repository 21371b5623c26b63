"""The face mesh's geometry for the classic engine (face/imaging/facemesh.py), on MediaPipe's
canonical face posed in a picture: the source's shape carried onto the target's pose, the
camera's mouth and eye opening kept, strength and outline, what faces the camera."""

from __future__ import annotations

import numpy as np
import pytest

from ar_backend.face.imaging import facemesh
from ar_backend.face.imaging.facemesh_data import CANONICAL, TRIANGLES


def posed(
    points: np.ndarray, yaw: float = 0.0, scale: float = 20.0, at: tuple[float, float] = (300, 300)
) -> np.ndarray:
    """Canonical points (cm, y up, z to the viewer) as a mesh in a picture: turned by ``yaw``
    degrees, ``scale`` px a cm, y down, depth growing away from the camera."""
    a = np.radians(yaw)
    turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    p = points @ turn.T
    return np.stack([p[:, 0] * scale + at[0], -p[:, 1] * scale + at[1], -p[:, 2] * scale], 1)


def opened(points: np.ndarray, jaw_cm: float, lid_cm: float) -> np.ndarray:
    """The canonical face with its jaw dropped by ``jaw_cm`` and both upper lids lowered by
    ``lid_cm`` (the points weighted as the engine weighs them)."""
    out = points.copy()
    out[:, 1] -= facemesh.JAW_WEIGHT * jaw_cm
    out[:, 1] -= (facemesh.RIGHT_LID_WEIGHT + facemesh.LEFT_LID_WEIGHT) * lid_cm
    return out


def other_person(points: np.ndarray) -> np.ndarray:
    """Someone else: a wider nose, a wider mouth, a longer chin."""
    out = points.copy()
    out[facemesh.NOSE, 0] *= 1.3
    out[facemesh.LIPS, 0] *= 1.2
    chin = out[:, 1] < -7.0
    out[chin, 1] -= 0.8
    return out


def opening(mesh: np.ndarray, pair: tuple[int, int]) -> float:
    return float(np.linalg.norm(mesh[pair[1], :2] - mesh[pair[0], :2]))


def width(mesh: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(mesh[b, :2] - mesh[a, :2]))


def test_the_canonical_triangles_cover_the_face_inside_its_outline():
    assert TRIANGLES.shape == (898, 3) and TRIANGLES.min() == 0 and TRIANGLES.max() == 467
    edges: dict[tuple[int, int], int] = {}
    for tri in TRIANGLES:
        for a, b in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0])):
            key = (int(min(a, b)), int(max(a, b)))
            edges[key] = edges.get(key, 0) + 1
    border = {v for edge, n in edges.items() if n == 1 for v in edge}
    assert border == set(facemesh.OVAL.tolist()), "one border: the face's outline"
    front = posed(CANONICAL)
    assert facemesh.facing(front).sum() > 0.98 * len(TRIANGLES), "a frontal face faces us"
    mirrored = front.copy()
    mirrored[:, 0] = 600 - mirrored[:, 0]
    assert facemesh.facing(mirrored).sum() < 0.02 * len(TRIANGLES)


def test_a_turned_head_hides_its_far_side_and_paints_it_first():
    turned = posed(CANONICAL, yaw=60)
    front = facemesh.facing(turned)
    assert 0.5 * len(TRIANGLES) < front.sum() < 0.9 * len(TRIANGLES)
    ordered = facemesh.far_to_near(turned)
    depth = turned[ordered, 2].mean(axis=1)
    assert np.all(np.diff(depth) <= 1e-9), "farthest first"


def test_the_source_is_brought_into_the_targets_pose():
    target = posed(CANONICAL, yaw=25, scale=18, at=(400, 260))
    source = posed(CANONICAL, yaw=-10, scale=7, at=(90, 120))
    assert np.allclose(facemesh.posed_like(source, target), target, atol=1e-6)


@pytest.mark.parametrize("yaw", [0.0, 30.0])
def test_the_source_shape_comes_over_with_the_cameras_mouth_and_eyes(yaw):
    """A target with its mouth open and eyes half shut takes a source's wider nose and mouth
    and longer chin, seen at the target's pose; its mouth stays as open and its eyes as shut
    as the camera has them."""
    target = posed(opened(CANONICAL, jaw_cm=1.2, lid_cm=0.4), yaw=yaw)
    source = posed(other_person(CANONICAL), yaw=-15, scale=9, at=(120, 140))
    want = posed(other_person(opened(CANONICAL, jaw_cm=1.2, lid_cm=0.4)), yaw=yaw)
    moved = facemesh.identity_shape(target, source, strength=1.0, outline=1.0)
    tol = 0.05 * width(target, 33, 263)  # of the eyes' width
    for pair in ((facemesh.UPPER_LIP_MID, facemesh.LOWER_LIP_MID), facemesh.RIGHT_LIDS):
        assert abs(opening(moved, pair) - opening(target, pair)) < tol, pair
    assert abs(width(moved, 98, 327) - width(want, 98, 327)) < tol, "the source's nose"
    assert abs(width(moved, 61, 291) - width(want, 61, 291)) < tol, "the source's mouth"
    chin = facemesh.CHIN
    assert abs(moved[chin, 1] - want[chin, 1]) < 2 * tol, "the source's chin, opened as the target"


def test_strength_moves_the_inner_face_and_outline_the_outline():
    target = posed(CANONICAL)
    source = posed(other_person(CANONICAL))
    assert np.allclose(facemesh.identity_shape(target, source, 0.0, 0.0), target)
    inner_only = facemesh.identity_shape(target, source, 1.0, 0.0)
    assert np.allclose(inner_only[facemesh.OVAL], target[facemesh.OVAL]), "outline kept"
    assert not np.allclose(inner_only[facemesh.NOSE], target[facemesh.NOSE])
    half = facemesh.identity_shape(target, source, 0.5, 0.0)
    nose = facemesh.NOSE
    assert np.allclose(half[nose], (target[nose] + inner_only[nose]) / 2)
    both = facemesh.identity_shape(target, source, 1.0, 1.0)
    assert not np.allclose(both[facemesh.OVAL], target[facemesh.OVAL]), "the source's outline"
