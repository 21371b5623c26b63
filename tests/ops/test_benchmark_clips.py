"""The speed benchmarks' clips keep their faces in view while they pan (a presenter before
the camera): a frame without the face would be cheap and make the figures look better."""

import numpy as np
import pytest

from benchmarks.live_backend import pan_offsets


@pytest.mark.parametrize(
    ("picture", "frame", "face"),
    [
        ((2073, 2073), (1920, 1080), (725.0, 336.0, 1077.0, 689.0)),  # 1080p over the astronaut
        ((1382, 1382), (1280, 720), (483.0, 224.0, 718.0, 459.0)),
        ((691, 691), (640, 480), (60.0, 10.0, 200.0, 150.0)),  # at the top: held there
    ],
)
def test_the_pan_keeps_the_face_in_the_frame_and_moves(picture, frame, face):
    keep = np.array(face)
    spots = [pan_offsets(picture, frame, keep, t) for t in np.linspace(0, 1, 21)]
    for x, y in spots:
        assert 0 <= x <= picture[0] - frame[0] and 0 <= y <= picture[1] - frame[1]
        assert x <= keep[0] and keep[2] <= x + frame[0]  # the whole face box is in view
        assert y <= keep[1] and keep[3] <= y + frame[1]
    assert spots[0] != spots[-1]  # it pans where there is room


def test_without_faces_the_pan_crosses_the_whole_picture():
    assert pan_offsets((800, 600), (640, 480), None, 0.0) == (0, 0)
    assert pan_offsets((800, 600), (640, 480), None, 1.0) == (160, 120)
