"""GET/POST /background through the app around a real Studio, on the real person
segmentation model: the frames that go out (the pipeline's output), the refusals, the
setting kept across a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from ar_backend.face.detect.base import ModelFiles
from tests.background.conftest import backdrop_picture, portrait
from tests.pixel_bombs import png_declaring

pytestmark = pytest.mark.slow

FACE = (slice(40, 120), slice(240, 315))  # the astronaut's face in portrait()
ROOM = (slice(0, 120), slice(0, 110))  # the flag behind her, top left


def studio_with_picture(make_studio: Any, media: Path, person_files: ModelFiles, **sections: Any):
    if not (media / "me.png").exists():  # (once: a restarted studio finds them as left)
        cv2.imwrite(str(media / "me.png"), portrait())
        backdrop_picture(media / "rocket.jpg")
    client, studio = make_studio(
        pipeline={"processors": ["face_swap", "background", "overlay"]},
        face={"models_dir": str(person_files.models_dir), **sections.pop("face", {})},
        **sections,
    )
    return client, studio


def newest(studio: Any, after: int, timeout: float = 20.0) -> np.ndarray:
    """The first output frame made after sequence number ``after``."""
    frame = studio.pipeline.output.wait_newer(after, timeout)
    assert frame is not None, "no frame came out"
    return frame.image


def settle(client: Any, studio: Any) -> np.ndarray:
    """A frame made after the last change (the next one after two more)."""
    seq = studio.pipeline.output.latest().seq if studio.pipeline.output.latest() else -1
    newest(studio, seq)
    return newest(studio, seq + 2)


@pytest.fixture
def running(make_studio: Any, media: Path, person_files: ModelFiles, tmp_path: Path):
    client, studio = studio_with_picture(
        make_studio, media, person_files, face={"state_dir": str(tmp_path / "state")}
    )
    r = client.post("/camera/start", json={"source": "image:me.png"})
    assert r.status_code == 200, r.get_json()
    return client, studio


def test_blur_colour_and_picture_change_the_room_not_the_person(running: Any) -> None:
    client, studio = running
    original = portrait()
    assert client.get("/background").get_json()["mode"] == "off"
    off = settle(client, studio)
    assert np.array_equal(off, original)

    seen = {}
    for change in (
        {"mode": "blur", "blur": 1.0},
        {"mode": "color", "color": "#00b140"},
        {"mode": "image", "image": "rocket.jpg"},
    ):
        r = client.post("/background", json=change)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["mode"] == change["mode"]
        out = settle(client, studio)
        # the face: the person's own pixels, exactly
        assert np.array_equal(out[FACE], original[FACE]), change
        # the room behind: changed
        diff = np.abs(out[ROOM].astype(int) - original[ROOM]).mean()
        assert diff > 15, (change, diff)
        seen[change["mode"]] = out
    green = seen["color"][ROOM].reshape(-1, 3)
    assert (np.abs(green.astype(int) - (64, 177, 0)).max(axis=1) <= 2).mean() > 0.95
    # the blurred room is smoother than the room
    assert seen["blur"][ROOM].std() < original[ROOM].std()
    status = client.get("/background").get_json()
    assert status["available"] and status["frames"] > 0
    assert status["ms"] is not None and status["ms"] > 0  # its cost per frame
    assert client.get("/status").get_json()["background"]["mode"] == "image"
    assert "background" in studio.pipeline.stats().stage_ms


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"mode": "sepia"}, 400, "mode"),
        ({"blur": 1.5}, 400, "blur"),
        ({"blur": "much"}, 400, "blur"),
        ({"color": "green"}, 400, "color"),
        ({"color": "#12345g"}, 400, "color"),
        ({"image": "/etc/hostname"}, 403, "image"),
        ({"image": "../../../etc/hostname"}, 403, "image"),
        ({"image": "nowhere.jpg"}, 404, "image"),
        ({"mode": "image", "image": "clip.mp4"}, 400, "image"),
        ({"mode": "image"}, 400, "image"),
        ({"sharpness": 1}, 400, "sharpness"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_change_nothing(
    running: Any, body: dict[str, Any], status: int, field: str
) -> None:
    client, _studio = running
    assert client.post("/background", json={"mode": "blur", "blur": 0.3}).status_code == 200
    before = client.get("/background").get_json()
    r = client.post("/background", json=body)
    assert r.status_code == status, r.get_json()
    assert r.get_json()["field"] == field, r.get_json()
    after = client.get("/background").get_json()
    assert {k: after[k] for k in ("mode", "blur", "color", "image")} == {
        k: before[k] for k in ("mode", "blur", "color", "image")
    }


def test_a_picture_declaring_more_pixels_than_allowed_is_refused_before_decoding(
    running: Any, media: Path
) -> None:
    """A 110 kB PNG declaring 30000x30000 px (2.7 GB decoded): 413 naming image, from its
    header (media.max_megapixels), nothing decoded, the background as it was."""
    client, _studio = running
    png_declaring(media / "bomb.png", 30000, 30000)
    before = client.get("/background").get_json()
    r = client.post("/background", json={"mode": "image", "image": "bomb.png"})
    assert r.status_code == 413, r.get_json()
    body = r.get_json()
    assert body["field"] == "image" and "media.max_megapixels" in body["message"]
    assert client.get("/background").get_json()["mode"] == before["mode"]


def test_the_setting_is_kept_across_a_restart(
    make_studio: Any, media: Path, person_files: ModelFiles, tmp_path: Path
) -> None:
    state = {"state_dir": str(tmp_path / "state")}
    client, studio = studio_with_picture(make_studio, media, person_files, face=state)
    r = client.post("/background", json={"mode": "image", "image": "rocket.jpg"})
    assert r.status_code == 200, r.get_json()
    studio.close()
    client, studio = studio_with_picture(make_studio, media, person_files, face=state)
    kept = client.get("/background").get_json()
    assert (kept["mode"], kept["image"], kept["error"]) == ("image", "rocket.jpg", None)
    # the picture went meanwhile: the studio starts with the background off and says why
    studio.close()
    (media / "rocket.jpg").unlink()
    client, studio = studio_with_picture(make_studio, media, person_files, face=state)
    gone = client.get("/background").get_json()
    assert gone["mode"] == "off"
    assert "rocket.jpg" in gone["error"]


def test_without_the_model_a_mode_is_refused_with_the_reason(
    make_studio: Any, media: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    client, _studio = make_studio(face={"models_dir": str(empty)})
    r = client.post("/background", json={"mode": "blur"})
    assert r.status_code == 503
    body = r.get_json()
    assert body["field"] == "mode"
    assert "python -m ar_backend.weights fetch" in body["message"]
    status = client.get("/background").get_json()
    assert status["mode"] == "off" and not status["available"]
    assert "selfie_segmentation" in status["reason"]


def test_a_face_the_swap_tracks_is_kept_whole(person_files: ModelFiles) -> None:
    """The faces the swap tracks are kept even where the mask says background (a face the
    model half misses, at a frame's edge, say)."""
    from ar_backend.background.live import Background
    from ar_backend.background.render import read_picture
    from ar_backend.config import BackgroundConfig
    from ar_backend.face.imaging.pixel_limit import PixelLimit

    bg = Background(
        BackgroundConfig(mode="color", color="#000000"),
        person_files,
        lambda name: Path(name),
        lambda path: read_picture(path, max_bytes=10**7, max_side=4096, limit=PixelLimit(40)),
    )
    room = np.full((480, 640, 3), 200, np.uint8)  # nobody in it
    face = np.array([[20, 20], [140, 20], [140, 160], [20, 160]], np.float64)
    t0 = time.perf_counter()
    out = bg.apply(room, [face])
    assert time.perf_counter() - t0 < 30  # (it ran)
    assert np.array_equal(out[25:155, 25:135], room[25:155, 25:135])
    assert out[300:, 300:].max() < 30  # the empty room became the colour
