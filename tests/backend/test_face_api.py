"""Face swap through the HTTP API: load, start, stop, settings, errors.

In process: each test gets a fresh app (``create_app`` around its own Studio, closed after
it), so no test sees another's face, options or camera, and they run in any order; the
requests that must change nothing share one app (``loaded``), each checking that it did.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from ar_backend.face import samples
from tests.backend.conftest import studios, write_clip
from tests.procs import wait_for


def face_studio(
    make: Callable[..., tuple[Any, Any]], folder: Path, media: Path, **face: Any
) -> Any:
    """A test client of an app with the face swap first in the pipeline: the sources folder
    holds the astronaut and the group, the media folder a smaller group picture, and a face
    lies beside (outside) the sources folder."""
    faces, models = folder / "faces", folder / "models"
    for place in (faces, models):
        place.mkdir()
    cv2.imwrite(str(faces / "astronaut.jpg"), samples.astronaut())
    group = samples.group()
    cv2.imwrite(str(faces / "group.jpg"), group)
    cv2.imwrite(str(media / "group.png"), cv2.resize(group, (640, 443)))
    (folder / "secret.jpg").write_bytes(samples.encode(samples.astronaut()))
    client, _studio = make(
        camera={"fps": 10},
        pipeline={"processors": ["face_swap", "overlay"]},
        face={
            "sources_dir": str(faces),
            "models_dir": str(models),
            "options": {"detect_size": 640},
            **face,
        },
    )
    return client


@pytest.fixture
def studio(make_studio, tmp_path: Path, media: Path):  # type: ignore[no-untyped-def]
    """A fresh app of this test's own (``face_studio``)."""
    return face_studio(make_studio, tmp_path, media)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app (``face_studio``) with the astronaut loaded, for this module's requests that
    must change nothing: each such test checks that its request left the face and the
    options as they were, so the next one starts from the same state (and a fresh studio
    and face for each of them cost a third of a second of CPU)."""
    folder = tmp_path_factory.mktemp("face_api")
    media = folder / "media"
    write_clip(media / "clip.mp4")
    with studios(folder, media) as make:
        client = face_studio(make, folder, media, state_dir=str(folder / "data" / "face"))
        resp = post(client, "/face/load", json={"model_path": "astronaut.jpg"})
        assert resp.status_code == 200, resp.get_json()
        yield client


def _form(files: dict[str, tuple]) -> dict[str, Any]:
    """``requests``-style ``files`` as a test-client form: (name, bytes[, type]) is a file,
    (None, text) a plain field."""
    form: dict[str, Any] = {}
    for key, value in files.items():
        name, content, *kind = value
        if name is None:
            form[key] = content
        else:
            form[key] = (io.BytesIO(content), name, *kind)
    return form


def post(client, path: str, *, files: dict | None = None, **kw):  # type: ignore[no-untyped-def]
    if files is not None:
        return client.post(path, data=_form(files), content_type="multipart/form-data")
    return client.post(path, **kw)


def snapshot(client) -> np.ndarray:  # type: ignore[no-untyped-def]
    resp = client.get("/snapshot.jpg")
    assert resp.status_code == 200, resp.get_json()
    return cv2.imdecode(np.frombuffer(resp.data, np.uint8), cv2.IMREAD_COLOR)


def get(client, path: str):  # type: ignore[no-untyped-def]
    return client.get(path).get_json()


def test_upload_answers_the_face_and_a_thumbnail(studio):
    jpeg = samples.encode(samples.astronaut())
    resp = post(studio, "/face/load", files={"image": ("me.jpg", jpeg, "image/jpeg")})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["loaded"] and body["engine"] == "classic" and body["faces_found"] == 1
    assert 60 < body["face"]["width"] < 140  # the astronaut's face is about 90 px
    assert body["thumbnail"].startswith("data:image/jpeg;base64,")
    thumb = cv2.imdecode(
        np.frombuffer(base64.b64decode(body["thumbnail"].split(",", 1)[1]), np.uint8), 1
    )
    assert thumb is not None and max(thumb.shape[:2]) == 128
    assert get(studio, "/face/status")["source"]["name"] == "me.jpg"


def test_swap_changes_the_live_face_and_stop_restores_it(studio):
    assert post(studio, "/face/load", json={"model_path": "astronaut.jpg"}).status_code == 200
    assert post(studio, "/camera/start", json={"source": "group.png"}).status_code == 200
    wait_for(lambda: studio.get("/snapshot.jpg").status_code == 200, timeout=15)
    original = snapshot(studio)
    resp = post(studio, "/face/start")
    assert resp.status_code == 200 and resp.get_json()["enabled"]
    wait_for(lambda: get(studio, "/face/status")["frames_swapped"] >= 3, timeout=30)
    swapped = snapshot(studio)
    status = get(studio, "/face/status")
    assert status["faces_in_frame"] == 1 and status["error"] is None
    assert {"face.detect", "face.render"} <= set(status["stage_ms"])
    assert get(studio, "/status")["face_modules"]["state"] == "swapping"
    diff = np.abs(original.astype(int) - swapped.astype(int)).mean(axis=2)
    ys, xs = np.nonzero(diff > 12)
    assert len(xs) > 300, "a face region changed"
    assert xs.max() - xs.min() < 200 and ys.max() - ys.min() < 200, "only one face changed"
    # an option takes effect live, without restarting the camera
    started = get(studio, "/camera/status")["started_at"]
    assert post(studio, "/face/settings", json={"many_faces": True}).status_code == 200
    wait_for(lambda: get(studio, "/face/status")["faces_in_frame"] >= 3, timeout=30)
    assert get(studio, "/camera/status")["started_at"] == started
    assert post(studio, "/face/stop").get_json()["enabled"] is False
    # the next frames are the camera's own again (a still picture: as the original)
    wait_for(lambda: np.abs(original.astype(int) - snapshot(studio).astype(int)).mean() < 2)


def test_several_faces_need_a_face_index(studio):
    resp = post(studio, "/face/load", json={"model_path": "group.jpg"})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["field"] == "face_index" and len(body["faces"]) >= 4
    resp = post(studio, "/face/load", json={"model_path": "group.jpg", "face_index": 1})
    assert resp.status_code == 200 and resp.get_json()["face_index"] == 1


def _huge_png_header() -> bytes:
    """70 bytes of PNG that claim 20000x20000 pixels (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _no_face_png() -> bytes:
    return samples.encode(np.full((200, 200, 3), 90, np.uint8), ".png")


@pytest.mark.parametrize(
    ("kw", "status", "field"),
    [
        ({"json": {"model_path": "/etc/passwd"}}, 400, "model_path"),
        ({"json": {"model_path": "../secret.jpg"}}, 400, "model_path"),
        ({"json": {"model_path": "missing.jpg"}}, 404, "model_path"),
        ({"json": {"model_path": 5}}, 400, "model_path"),
        ({"json": {"path": "astronaut.jpg"}}, 400, "model_path"),
        ({"files": {"image": ("x.jpg", b"not an image", "image/jpeg")}}, 400, "image"),
        ({"files": {"picture": ("x.jpg", b"x", "image/jpeg")}}, 400, "image"),
        ({"files": {"image": ("grey.png", _no_face_png(), "image/png")}}, 422, "image"),
        ({"files": {"image": ("x.jpg", b"x"), "face_index": (None, "one")}}, 400, "face_index"),
        ({"files": {"image": ("x.jpg", b"x"), "face_index": (None, "\u00b2")}}, 400, "face_index"),
        ({"files": {"image": ("bomb.png", _huge_png_header(), "image/png")}}, 413, "image"),
        ({"json": {"model_path": "a\u0000.jpg"}}, 400, "model_path"),
        ({"json": {"model_path": "x" * 300 + ".jpg"}}, 400, "model_path"),
    ],
)
def test_bad_loads_are_refused_and_change_nothing(loaded, kw, status, field):
    before = get(loaded, "/face/status")["source"]
    assert before["loaded"] and before["name"] == "astronaut.jpg", before
    resp = post(loaded, "/face/load", **kw)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["field"] == field
    assert get(loaded, "/face/status")["source"] == before


def test_oversized_uploads_are_413_naming_image_with_the_real_size(studio):
    """As docs/contracts.md says, and the same from /face/load, /face/reference and a face
    set: 413 naming ``image``, the picture's real size and the limit in the message."""
    huge = np.zeros((20, 4200, 3), np.uint8)
    wide = samples.encode(huge, ".png")
    for path in ("/face/load", "/face/reference"):
        resp = post(studio, path, files={"image": ("wide.png", wide)})
        body = resp.get_json()
        assert (resp.status_code, body["field"]) == (413, "image"), (path, body)
        assert body["message"] == "the image is 4200x20 px; at most 4096 px a side (face.max_side)"
        assert body["message_key"] == "face.image_too_large_side"
    big = b"\xff\xd8" + b"0" * 11_000_000  # 11.0 MB: over face.max_upload_mb (10)
    huge_body = b"\xff\xd8" + b"0" * 27_000_000  # over the request's whole allowance too
    for path, data in (
        ("/face/load", big),
        ("/face/reference", big),
        ("/face/load", huge_body),
        ("/face/reference", huge_body),
    ):
        resp = post(studio, path, files={"image": ("big.jpg", data)})
        body = resp.get_json()
        assert (resp.status_code, body["field"]) == (413, "image"), (path, body)
        size = f"{len(data) / 1e6:.1f} MB"
        assert body["message"].startswith(f"the image is {size}; at most 10 MB"), (path, body)
        assert "face.max_upload_mb" in body["message"]
    # a face set: each picture's own size, or the request's allowance
    resp = post(
        studio,
        "/face/load",
        files={"image": ("a.jpg", big), "image_": ("b.jpg", big)},
    )
    assert resp.status_code == 413, resp.get_json()
    assert get(studio, "/face/status")["source"]["loaded"] is False


def test_upload_names_are_cleaned_as_media_cleans_them(studio):
    """Names are kept and echoed: no NUL, no right-to-left override, no path, not 5,000
    characters (as POST /media cleans them)."""
    jpeg = samples.encode(samples.astronaut())
    for sent, kept in (
        ("me\u0000.jpg", "me.jpg"),
        ("\u202egpj.exe", "gpj.exe"),
        ("/etc/passwd", "passwd"),
        ("x" * 5000 + ".jpg", "x" * 96 + ".jpg"),
        ("../../photos/Zoë ONE.JPG", "Zoe_ONE.jpg"),
    ):
        resp = post(studio, "/face/load", files={"image": (sent, jpeg, "image/jpeg")})
        assert resp.status_code == 200, (sent, resp.get_json())
        assert resp.get_json()["name"] == kept
        assert get(studio, "/face/status")["source"]["name"] == kept
        ref = post(studio, "/face/reference", files={"image": (sent, jpeg, "image/jpeg")})
        assert ref.status_code == 200, ref.get_json()
        assert ref.get_json()["reference"]["name"] == kept


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"detect_every": 0}, "detect_every"),
        ({"detect_every": "5"}, "detect_every"),
        ({"blend": "smudge"}, "blend"),
        ({"smoothing": 2}, "smoothing"),
        ({"speed": 1}, "speed"),
        ({"engine": "no-such-engine"}, "engine"),
    ],
)
def test_bad_settings_name_the_field(loaded, body, field):
    before = get(loaded, "/face/status")["options"]
    resp = post(loaded, "/face/settings", json=body)
    assert resp.status_code == 400 and resp.get_json()["field"] == field, resp.get_json()
    assert get(loaded, "/face/status")["options"] == before


def test_engines_say_why_inswapper_is_unavailable(loaded):
    body = get(loaded, "/face/engines")
    engines = {e["name"]: e for e in body["engines"]}
    assert engines["classic"]["available"] and body["active"] == "classic"
    reason = engines["inswapper"]["reason"]
    assert not engines["inswapper"]["available"] and "inswapper_128.onnx" in reason
    resp = post(loaded, "/face/settings", json={"engine": "inswapper", "many_faces": True})
    assert resp.status_code == 503 and resp.get_json()["field"] == "engine"
    status = get(loaded, "/face/status")
    assert status["engine"] == "classic" and status["options"]["many_faces"] is False
