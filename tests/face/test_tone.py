"""The warped face's edge in the frame's colour (face/imaging/tone.py match_rim), on a face of
one colour set into skin of another: what shows just inside the paste's edge is the skin's
tint, its lightness nearer the skin's, and the face's middle keeps its own."""

from __future__ import annotations

import cv2
import numpy as np

from ar_backend.face.imaging import tone

SIZE = 200.0  # the face's size (px): a disk of this diameter
SKIN = (160.0, 146.0, 152.0)  # the frame: warm skin (L, a, b in OpenCV's 8-bit Lab)
SOURCE = (185.0, 134.0, 136.0)  # the face: lighter, greyer (a source lit flat, of paler skin)


def disk_face() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    side = int(SIZE) + 40
    mask = np.zeros((side, side), np.uint8)
    cv2.circle(mask, (side // 2, side // 2), int(SIZE / 2), 255, -1)
    frame = np.empty((side, side, 3), np.float32)
    frame[:] = SKIN
    face = np.empty_like(frame)
    face[:] = SOURCE
    depth = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 3) / SIZE
    return face, frame, mask, depth


def test_the_edge_takes_the_skins_tint_and_moves_toward_its_light():
    face, frame, mask, depth = disk_face()
    tone.match_rim(face, frame, mask, SIZE)
    # the band where a paste's edge shows (multi-band: its mask eroded by about 0.04 of the
    # face's size, then faded in): the skin's tint there, not the source's (a grey ring)
    edge = (mask > 0) & (depth > 0.02) & (depth <= 0.07)
    tint = face[edge][:, 1:].mean(axis=0)
    assert np.abs(tint - SKIN[1:]).max() < 0.5, tint
    # its lightness moved toward the skin's, not past it
    light = float(face[edge][:, 0].mean())
    assert SKIN[0] < light < SOURCE[0] - 2.0, light
    # deep inside the face: the source's own colour and light (its likeness)
    middle = depth > 0.2
    np.testing.assert_allclose(face[middle].mean(axis=0), SOURCE, atol=0.01)
    # the step fades: the tint changes by less and less toward the middle
    steps = [
        float(np.abs(face[(depth > a) & (depth <= b)][:, 1:] - SOURCE[1:]).mean())
        for a, b in ((0.02, 0.07), (0.08, 0.11), (0.12, 0.14))
    ]
    assert steps[0] > steps[1] > steps[2] > 0.0, steps


def test_a_face_already_in_the_skins_colour_is_left_as_it_is():
    face, frame, mask, _ = disk_face()
    face[:] = SKIN
    tone.match_rim(face, frame, mask, SIZE)
    np.testing.assert_allclose(
        face[mask > 0], np.broadcast_to(SKIN, face[mask > 0].shape), atol=1e-3
    )
