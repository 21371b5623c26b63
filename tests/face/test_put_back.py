"""Putting the camera's pixels back over the swap (face/imaging/occluders.put_back): exactly
the camera's where the mask is, the swap's away from it, a soft edge between, and nothing
else in the frame touched (it works around the mask only)."""

from __future__ import annotations

import numpy as np

from ar_backend.face.imaging.occluders import put_back


def test_the_masked_pixels_come_back_and_the_rest_stays_the_swap() -> None:
    rng = np.random.default_rng(3)
    camera = rng.integers(0, 256, (480, 640, 3), np.uint8)
    swapped = rng.integers(0, 256, (480, 640, 3), np.uint8)
    for mask_at in ((slice(100, 120), slice(200, 330)), (slice(0, 30), slice(600, 640))):
        mask = np.zeros((480, 640), np.uint8)
        mask[mask_at] = 255  # a bar; one at the frame's corner
        out = put_back(camera, swapped, mask)
        assert np.array_equal(out[mask > 0], camera[mask > 0])
        near = np.zeros_like(mask)
        ys, xs = np.nonzero(mask)
        near[max(0, ys.min() - 12) : ys.max() + 13, max(0, xs.min() - 12) : xs.max() + 13] = 1
        assert np.array_equal(out[near == 0], swapped[near == 0])  # far away: the swap
        edge = out[ys.max() + 2, (xs.min() + xs.max()) // 2].astype(int)
        lo = np.minimum(camera, swapped)[ys.max() + 2, (xs.min() + xs.max()) // 2]
        hi = np.maximum(camera, swapped)[ys.max() + 2, (xs.min() + xs.max()) // 2]
        assert np.all((lo <= edge) & (edge <= hi))  # just outside: a blend of the two
    assert put_back(camera, swapped, np.zeros((480, 640), np.uint8)) is swapped
