"""The preview at the size it is watched at: ``/video_feed?width=`` and ``/snapshot.jpg?width=``
encode the frame that wide (its shape kept), each size once per frame however many watch it,
and nothing wider than the frame; a bad width is a 400 naming it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ar_backend.face.imaging.scale import shrink_to_width
from tests.backend.conftest import client_mjpeg_frames
from tests.procs import wait_for


def start_demo(make_studio, width: int = 640, height: int = 360):  # type: ignore[no-untyped-def]
    client, studio = make_studio(camera={"width": width, "height": height, "fps": 15})
    assert client.post("/camera/start", json={"source": "demo"}).status_code == 200
    wait_for(lambda: client.get("/snapshot.jpg").status_code == 200, timeout=15)
    return client, studio


def test_a_viewer_asking_for_a_width_gets_frames_that_wide(make_studio) -> None:
    client, _studio = start_demo(make_studio)
    for _seq, image in client_mjpeg_frames(client, 3, "/video_feed?width=320"):
        assert image.shape == (180, 320, 3)
    full = next(client_mjpeg_frames(client, 1))[1]
    assert full.shape == (360, 640, 3)  # no width: the frame's own size
    wider = next(client_mjpeg_frames(client, 1, "/video_feed?width=4000"))[1]
    assert wider.shape == (360, 640, 3)  # never wider than the frame


def test_a_snapshot_at_a_width(make_studio) -> None:
    client, _studio = start_demo(make_studio)
    resp = client.get("/snapshot.jpg?width=100")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(resp.data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (56, 100, 3)


@pytest.mark.parametrize("width", ["abc", "8", "100000", "1.5"])
def test_a_bad_width_is_a_400_naming_it(make_studio, width: str) -> None:
    client, studio = start_demo(make_studio)
    for path in ("/video_feed", "/snapshot.jpg"):
        resp = client.get(f"{path}?width={width}")
        assert resp.status_code == 400, (path, resp.data[:200])
        assert resp.get_json()["field"] == "width"
    assert studio.viewers.count == 0  # a refused viewer holds no place


def test_each_size_is_encoded_once_per_frame_however_many_watch(make_studio) -> None:
    client, studio = start_demo(make_studio)
    a = client_mjpeg_frames(client, 6, "/video_feed?width=320")
    b = client_mjpeg_frames(client, 6, "/video_feed?width=320")
    seen = []
    for (seq_a, _), (seq_b, _) in zip(a, b, strict=False):
        seen += [seq_a, seq_b]
    # two viewers of one size: at most one JPEG per frame between them
    assert studio.jpeg.encoded <= len(set(seen)) + 2  # (+ the snapshots of start_demo)


def test_nothing_is_encoded_while_nobody_watches(make_studio) -> None:
    """The live path itself never encodes a JPEG: frames go out, none is encoded until a
    viewer (or a snapshot) asks, and none after the last viewer left."""
    client, studio = start_demo(make_studio)
    before, frames = studio.jpeg.encoded, studio.pipeline.stats().frames_out
    wait_for(lambda: studio.pipeline.stats().frames_out >= frames + 10, timeout=30)
    assert studio.jpeg.encoded == before
    list(client_mjpeg_frames(client, 3, "/video_feed?width=320"))
    watched = studio.jpeg.encoded
    assert watched >= before + 3
    frames = studio.pipeline.stats().frames_out
    wait_for(lambda: studio.pipeline.stats().frames_out >= frames + 10, timeout=30)
    assert studio.jpeg.encoded <= watched + 1  # (a part on its way as the viewer left)


def test_scaling_keeps_the_shape_and_the_picture() -> None:
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 255, (1080, 1920, 3), np.uint8), (0, 0), 6)
    for width in (1280, 960, 640, 321):
        small = shrink_to_width(image, width)
        assert small.shape[1] == width
        assert abs(small.shape[0] - round(1080 * width / 1920)) <= 1
        back = cv2.resize(small, (1920, 1080), interpolation=cv2.INTER_LINEAR)
        assert np.abs(back.astype(int) - image).mean() < 6  # the same picture, smaller
    assert shrink_to_width(image, 4000) is image
