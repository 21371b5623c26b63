"""A large face rendered at a capped working size and pasted back (face/imaging/workscale.py,
the classic engine's ``work_px``): what is outside the render's change stays exactly the
frame's, the frame's fine detail is kept on the skin and dropped where asked."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ar_backend.face.imaging import workscale


def _textured(size: tuple[int, int], seed: int = 3) -> np.ndarray:
    """A smooth picture with fine grain on it (as a camera's skin and background)."""
    h, w = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([100 + 40 * np.sin(xx / 40), 120 + 30 * np.cos(yy / 35), 140 + 0 * xx], 2)
    grain = rng.normal(0, 8, (h, w, 3)).astype(np.float32)
    return np.clip(base + grain, 0, 255).astype(np.uint8)


def _render_on_shrunk(crop: np.ndarray, scale: float, drop_half: str | None = None):
    size = workscale.shrunk_size(crop.shape, scale)
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    before = small.copy()
    h, w = small.shape[:2]
    cv2.circle(small, (w // 2, h // 2), w // 4, (60, 90, 200), -1)  # the render's change
    drop = np.zeros((h, w), np.uint8)
    if drop_half == "left":
        drop[:, : w // 2] = 255
    return before, small, drop


def test_factor_caps_only_faces_larger_than_the_working_size() -> None:
    assert workscale.factor(300, 0) == 1.0  # no cap
    assert workscale.factor(200, 256) == 1.0
    assert workscale.factor(260, 256) == 1.0  # a hair over: not worth a shrink
    assert workscale.factor(320, 160) == pytest.approx(0.5)


def test_outside_the_change_the_frame_is_left_exactly_as_it_was() -> None:
    crop = _textured((400, 400))
    original = crop.copy()
    before, after, drop = _render_on_shrunk(crop, 0.4)
    workscale.paste_up(crop, before, after, drop)
    changed = np.any(crop != original, axis=2)
    ys, xs = np.nonzero(changed)
    # the circle (radius 100 px at full size round the centre) and a pixel or two of reach
    assert changed.any()
    assert xs.min() >= 200 - 100 - 6 and xs.max() <= 200 + 100 + 6
    assert ys.min() >= 200 - 100 - 6 and ys.max() <= 200 + 100 + 6
    # inside, the render's colour, scaled up
    centre = crop[170:230, 170:230].reshape(-1, 3).mean(axis=0)
    assert np.allclose(centre, (60, 90, 200), atol=6)


def test_the_frame_grain_is_kept_on_the_skin_and_dropped_where_asked() -> None:
    """Where the render changed the picture, the frame's own fine detail (what shrinking took
    away) comes back, so a close-up's swapped skin is not softer than the frame round it; on
    the features (``drop``) the render is taken alone (no camera edges showing through)."""
    crop = _textured((400, 400))
    before, after, drop = _render_on_shrunk(crop, 0.4, drop_half="left")
    plain = crop.copy()
    workscale.paste_up(plain, before, after, np.zeros_like(drop))
    dropped = crop.copy()
    workscale.paste_up(dropped, before, after, drop)

    def grain(img: np.ndarray, xs: slice) -> float:
        part = img[160:240, xs].astype(np.float32)
        return float(np.abs(part - cv2.GaussianBlur(part, (0, 0), 2)).mean())

    right, left = slice(215, 260), slice(140, 185)
    assert grain(plain, left) > 3 and grain(plain, right) > 3  # the frame's grain kept
    assert grain(dropped, right) > 3
    assert grain(dropped, left) < 0.5 * grain(plain, left)  # dropped: the render alone
