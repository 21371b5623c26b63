"""Hair over the forehead (classic engine): a source photo's fringe is not pasted onto the
target's forehead, and a target's own fringe is not painted over with skin."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face import samples
from ar_backend.face.engines.classic import ClassicEngine
from ar_backend.face.faces import detect_faces, picture_faces
from ar_backend.face.imaging import geometry
from ar_backend.face.imaging.skin import band_polygon


@pytest.fixture(scope="module")
def engine() -> ClassicEngine:
    return ClassicEngine(FaceConfig())


@pytest.fixture(scope="module")
def target(engine: ClassicEngine):  # type: ignore[no-untyped-def]
    """The astronaut, mirrored: a large face with a clear forehead."""
    image = np.ascontiguousarray(samples.astronaut()[:, ::-1])
    opts = FaceOptions(detect_size=640)
    return image, detect_faces(engine, image, opts)[0], opts


def fringe_mask(image: np.ndarray, points68: np.ndarray) -> np.ndarray:
    """The forehead band above the brows: where a fringe hangs."""
    band = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(
        band, [np.round(band_polygon(geometry.with_forehead(points68))).astype(np.int32)], 255
    )
    brow_y = points68[geometry.BROWS][:, 1].min()
    band[int(brow_y) :, :] = 0
    return band > 0


def strands(image: np.ndarray, where: np.ndarray, width: int) -> np.ndarray:
    """Dark hair strands over ``where``: vertical stripes, ``width`` px apart."""
    out = image.copy()
    stripes = (np.arange(image.shape[1]) // width) % 2 == 0
    out[where & stripes[None, :]] = (25, 30, 40)
    out[where & ~stripes[None, :]] = (60, 70, 90)
    return out


def across(image: np.ndarray, where: np.ndarray) -> float:
    """Mean horizontal gradient (strands show as edges across the row) under ``where``."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3))[where].mean())


@pytest.mark.parametrize("likeness", [0.0, 0.75])
def test_a_source_fringe_stays_off_the_target_forehead(engine, target, likeness):
    image, face, opts = target
    astro = samples.astronaut()
    src_face = picture_faces(engine, astro)[0]
    painted = strands(astro, fringe_mask(astro, src_face.points), 3)
    source = engine.prepare_source(painted, src_face)
    opts = opts.model_copy(update={"likeness": likeness})
    out = engine.render(image.copy(), [face], source, opts)
    forehead = fringe_mask(image, face.points)
    plain = engine.render(image.copy(), [face], engine.prepare_source(astro, src_face), opts)
    # the strands would show as a striped forehead: the swap's forehead is as smooth as with
    # the source photo without them
    assert across(out, forehead) < 1.2 * across(plain, forehead), (
        across(out, forehead),
        across(plain, forehead),
    )


def test_the_target_fringe_is_kept(engine, target):
    image, face, opts = target
    hair = fringe_mask(image, face.points)
    assert hair.sum() > 300
    painted = strands(image, hair, 3)
    group = samples.group()
    source = engine.prepare_source(group, picture_faces(engine, group)[0])
    # (likeness 0: the frame is not reshaped, so the fringe stays where it was painted)
    out = engine.render(painted.copy(), [face], source, opts.model_copy(update={"likeness": 0}))
    # the fringe is still there, as dark as it was
    before, after = float(painted[hair].mean()), float(out[hair].mean())
    assert abs(after - before) < 15, f"the fringe went from {before:.0f} to {after:.0f}"
    assert across(out, hair) > 0.7 * across(painted, hair), "its strands still show"
