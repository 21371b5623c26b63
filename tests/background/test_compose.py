"""The background's pixel work on arrays (no model): the blend, the blur, the colour, the
picture fitted to the frame."""

from __future__ import annotations

import cv2
import numpy as np

from ar_backend.background import compose


def test_the_person_stays_exactly_and_the_rest_is_the_backdrop() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    backdrop = np.zeros_like(image)
    backdrop[:] = (10, 200, 30)
    alpha = np.zeros((60, 80), np.float32)
    alpha[10:50, 20:60] = 1.0
    alpha[10:50, 60:62] = 0.5  # a soft edge
    out = compose.composite(image, backdrop, alpha)
    assert np.array_equal(out[10:50, 20:60], image[10:50, 20:60])
    assert (out[:, :20] == (10, 200, 30)).all()
    edge = out[10:50, 60:62].astype(int)
    expected = (image[10:50, 60:62].astype(int) + backdrop[10:50, 60:62]) / 2
    assert np.abs(edge - expected).max() <= 1


def test_kept_regions_are_never_replaced() -> None:
    alpha = np.zeros((100, 100), np.float32)
    face = np.array([[30, 30], [70, 30], [70, 80], [30, 80]], np.float64)
    kept = compose.keep_regions(alpha, [face])
    assert kept[35:75, 35:65].min() == 1.0
    assert kept[:20].max() == 0.0


def test_the_blur_leaves_the_person_out_of_the_background() -> None:
    """A bright person on a dark room: the room beside them stays dark (no halo), as a
    plain blur of the frame would not."""
    image = np.zeros((240, 320, 3), np.uint8)
    image[60:240, 120:200] = 250  # the person
    image[::8] = 40  # the room has some texture to blur
    alpha = np.zeros((240, 320), np.float32)
    alpha[60:240, 120:200] = 1.0
    out = compose.blurred(image, alpha, 1.0)
    beside = out[100:200, 96:112].astype(float).mean()  # just left of the person
    plain = cv2.GaussianBlur(image, (0, 0), 10)[100:200, 96:112].astype(float).mean()
    assert beside < 30, beside
    assert plain > beside + 10
    # and the room's texture is blurred away
    assert out[0:40, 0:100].std() < image[0:40, 0:100].std() / 3


def test_stronger_blur_blurs_more() -> None:
    rng = np.random.default_rng(3)
    image = cv2.resize(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), (320, 240))
    alpha = np.zeros((240, 320), np.float32)
    light = compose.blurred(image, alpha, 0.0)
    strong = compose.blurred(image, alpha, 1.0)
    assert strong.std() < light.std() < image.std()


def test_colours_and_pictures() -> None:
    assert compose.colour_bgr("#ff8000") == (0, 128, 255)
    assert compose.colour_bgr("#00B140") == (64, 177, 0)
    picture = np.zeros((100, 400, 3), np.uint8)
    picture[:, 190:210] = 255  # a stripe in the middle
    fitted = compose.cover(picture, (160, 120))
    assert fitted.shape == (120, 160, 3)
    # scaled to cover (the height decides: 1.2x), cut in the middle: the stripe is there,
    # as wide as it was times the scale, not stretched
    white = np.flatnonzero(fitted[60, :, 0] > 127)
    assert 20 <= len(white) <= 28 and abs(white.mean() - 80) < 3


def test_a_face_with_keypoints_only_is_kept_by_its_box() -> None:
    """A neural engine's face (5 keypoints) is kept whole by its box, not the small hull of
    its eyes, nose and mouth corners; a face with landmarks by their outline."""
    alpha = np.zeros((100, 100), np.float32)
    kps = np.array([[40, 40], [60, 40], [50, 50], [42, 60], [58, 60]], np.float64)
    box = np.array([30, 25, 70, 75], np.float64)
    kept = compose.keep_regions(alpha, [compose.face_region(kps, box)])
    assert kept[26:74, 31:69].min() == 1.0  # the forehead and chin too
    assert kept[80:].max() == 0.0
    outline = np.array([[10 + i, 10 + (i % 3)] for i in range(17)], np.float64)
    assert compose.face_region(outline, box).shape == (17, 2)
