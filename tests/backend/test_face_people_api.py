"""Who gets swapped, through the HTTP API: POST/DELETE /face/reference and /face/map, and what
/face/status shows per tracked face. In process (``create_app`` + the test client), and one
test through a real backend process (the reference mode end to end: camera, swap, snapshot)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from ar_backend.face import samples
from tests.backend.test_face_api import get, post, snapshot
from tests.face.people import LEFT, RIGHT, changed, other_photo, two_people
from tests.procs import wait_for


def jpeg(image: np.ndarray) -> tuple[str, bytes, str]:
    return ("photo.jpg", samples.encode(image), "image/jpeg")


@pytest.fixture
def studio(make_studio, tmp_path: Path, media: Path):
    cv2.imwrite(str(media / "two.png"), two_people())
    client, _studio = make_studio(
        camera={"fps": 10},
        pipeline={"processors": ["face_swap"]},
        face={
            "sources_dir": str(tmp_path / "faces"),
            "models_dir": str(tmp_path / "models"),
            "options": {"detect_size": 640},
        },
    )
    return client


def test_reference_upload_status_and_delete(studio):
    resp = post(studio, "/face/reference", files={"image": jpeg(other_photo(LEFT))})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["reference"]["set"] is True
    assert body["reference"]["engine"] == "classic"
    assert body["reference"]["thumbnail"].startswith("data:image/jpeg;base64,")
    assert body["map"] == [] and body["faces"] == []
    status = get(studio, "/face/status")
    assert status["reference"]["set"] and status["reference"]["name"] == "photo.jpg"
    resp = studio.delete("/face/reference")
    assert resp.status_code == 200
    assert resp.get_json()["reference"] == {"set": False}
    assert get(studio, "/face/status")["reference"] == {"set": False}


def test_reference_errors(studio):
    group = samples.encode(samples.group())
    resp = post(studio, "/face/reference", files={"image": ("g.jpg", group, "image/jpeg")})
    assert resp.status_code == 422 and resp.get_json()["field"] == "face_index"
    assert len(resp.get_json()["faces"]) == 6
    resp = post(
        studio,
        "/face/reference",
        files={"image": ("g.jpg", group, "image/jpeg"), "face_index": (None, "x")},
    )
    assert resp.status_code == 400 and resp.get_json()["field"] == "face_index"
    resp = post(studio, "/face/reference", files={"photo": jpeg(other_photo(LEFT))})
    assert resp.status_code == 400 and resp.get_json()["field"] == "image"
    # a face in the current frame: no camera, no frame
    resp = studio.post("/face/reference", json={"frame_face_index": 0})
    assert resp.status_code == 409 and resp.get_json()["field"] == "frame_face_index"
    resp = studio.post("/face/reference", json={"frame_face_index": -1})
    assert resp.status_code == 400


def test_reference_picked_in_the_camera_frame(studio):
    assert studio.post("/camera/start", json={"source": "two.png"}).status_code == 200
    resp = studio.post("/face/reference", json={"frame_face_index": 1})
    assert resp.status_code == 200, resp.get_json()
    ref = resp.get_json()["reference"]
    assert ref["set"] and ref["face_index"] == 1 and ref["face"]["x"] > 240  # the right one
    resp = studio.post("/face/reference", json={"frame_face_index": 5})
    assert resp.status_code == 400 and resp.get_json()["field"] == "frame_face_index"
    # swapping now changes the right-hand person only
    assert post(studio, "/face/load", files={"image": jpeg(samples.astronaut())}).status_code == 200
    assert studio.post("/face/start").status_code == 200
    original = two_people()
    # the snapshot is a frame behind the status: wait for the swapped frame itself
    wait_for(lambda: changed(original, snapshot(studio))[1] > 4, 20)
    left, right = changed(original, snapshot(studio))
    assert right > 4 and left < 2.5, (left, right)  # JPEG's own change is about 1.8
    faces = sorted(get(studio, "/face/status")["faces"], key=lambda f: f["box"]["x"])
    assert [(f["matched"], f["source"]) for f in faces] == [(False, None), (True, "loaded")]


def test_face_map_upload_status_and_errors(studio):
    files = {
        "reference_0": jpeg(other_photo(LEFT)),
        "source_0": jpeg(samples.astronaut()),
        "reference_1": jpeg(other_photo(RIGHT)),
        "source_1": jpeg(samples.tom_hanks()),
    }
    resp = post(studio, "/face/map", files=files)
    assert resp.status_code == 200, resp.get_json()
    entries = resp.get_json()["map"]
    assert [e["source"] for e in entries] == ["map:0", "map:1"]
    assert entries[1]["source_face"]["name"] == "photo.jpg"
    assert len(get(studio, "/face/status")["map"]) == 2
    # a face map alone lets the swap start (no face loaded)
    assert studio.post("/face/start").status_code == 200
    assert studio.delete("/face/map").get_json()["map"] == []
    # half a pair, a gap, an unknown field, no pairs, not multipart
    bad = [
        ({"reference_0": files["reference_0"]}, "source_0"),
        (
            {**files, "reference_3": files["reference_0"], "source_3": files["source_0"]},
            "reference_2",
        ),
        ({**files, "picture": files["source_0"]}, "picture"),
        ({"source_0_face_index": (None, "1")}, "reference_0"),
        (
            {"reference_0": files["reference_0"], "source_0": ("x.jpg", b"nope", "image/jpeg")},
            "image",
        ),
    ]
    for form, field in bad:
        resp = post(studio, "/face/map", files=form)
        assert resp.status_code == 400, (field, resp.get_json())
        assert resp.get_json()["field"] == field, resp.get_json()
    assert studio.post("/face/map", json={}).status_code == 415
    group = jpeg(samples.group())
    resp = post(studio, "/face/map", files={"reference_0": group, "source_0": files["source_0"]})
    assert resp.status_code == 422 and resp.get_json()["field"] == "reference_0_face_index"


@pytest.mark.slow
def test_reference_mode_in_a_real_backend(backend, backend_config, media: Path) -> None:
    """End to end: a real process, its camera on a picture of two people, the reference the
    left one: the snapshot shows the left face swapped and the right one as it was."""
    cv2.imwrite(str(media / "two.png"), two_people())
    be = backend(
        "--no-autostart",
        config=backend_config(
            pipeline={"processors": ["face_swap"]}, face={"options": {"detect_size": 640}}
        ),
    )
    url = be.url

    def send(path: str, files: dict) -> requests.Response:
        return requests.post(url + path, files=files, timeout=60)

    assert send("/face/load", {"image": jpeg(samples.astronaut())}).status_code == 200
    resp = send("/face/reference", {"image": jpeg(other_photo(LEFT))})
    assert resp.status_code == 200, resp.text
    assert requests.post(url + "/face/start", timeout=10).status_code == 200
    resp = requests.post(url + "/camera/start", json={"source": "two.png"}, timeout=15)
    assert resp.status_code == 200, resp.text

    def matched() -> bool:
        faces = requests.get(url + "/face/status", timeout=5).json()["faces"]
        return len(faces) == 2 and any(f["matched"] for f in faces)

    def shot() -> np.ndarray | None:
        resp = requests.get(url + "/snapshot.jpg", timeout=10)
        if resp.status_code != 200:  # 503 until the first frame is out
            return None
        return cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_COLOR)

    def swapped() -> bool:
        image = shot()
        return image is not None and changed(two_people(), image)[0] > 4

    wait_for(matched, 30)
    wait_for(swapped, 20)  # the snapshot is a frame behind the status
    image = shot()
    assert image is not None
    left, right = changed(two_people(), image)
    assert left > 4 and right < 2.5, (left, right)
    faces = sorted(
        requests.get(url + "/face/status", timeout=5).json()["faces"], key=lambda f: f["box"]["x"]
    )
    assert [f["source"] for f in faces] == ["loaded", None]


def test_face_set_through_load(studio):
    """Several image parts: a face set, listed with each photo's head pose."""
    import io

    from tests.face.people import person

    photos = [("front.jpg", samples.astronaut()), ("turned.jpg", person(1))]
    data = {"image": [(io.BytesIO(samples.encode(img)), name) for name, img in photos]}
    resp = studio.post("/face/load", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()
    listed = resp.get_json()["set"]
    assert [p["name"] for p in listed] == ["front.jpg", "turned.jpg"]
    assert abs(listed[0]["yaw"]) < 15 and listed[1]["yaw"] < -30
    assert [p["name"] for p in get(studio, "/face/status")["source"]["set"]] == [
        "front.jpg",
        "turned.jpg",
    ]
    # a face_index per image, and a count that does not match
    data = {
        "image": [(io.BytesIO(samples.encode(img)), name) for name, img in photos],
        "face_index": ["0", "0", "0"],
    }
    resp = studio.post("/face/load", data=data, content_type="multipart/form-data")
    assert resp.status_code == 400 and resp.get_json()["field"] == "face_index"


def _shot(url: str) -> np.ndarray | None:
    resp = requests.get(url + "/snapshot.jpg", timeout=10)
    if resp.status_code != 200:  # 503 until the first frame is out
        return None
    return cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_COLOR)


def _faces(url: str) -> list[dict]:
    faces = requests.get(url + "/face/status", timeout=5).json()["faces"]
    return sorted(faces, key=lambda f: f["box"]["x"])


@pytest.mark.slow
def test_face_map_in_a_real_backend(backend, backend_config, media: Path) -> None:
    """Two people in view, a map (left -> the astronaut, right -> Tom Hanks) and no face
    loaded: each gets their own source, and the output's left face is nearer the astronaut
    than the right one is (dlib's descriptor)."""
    from ar_backend.face.detect.dlib_descriptor import DlibDescriptor
    from ar_backend.face.detect.dlib_hog import DlibHog

    cv2.imwrite(str(media / "two.png"), two_people())
    be = backend(
        "--no-autostart",
        config=backend_config(
            pipeline={"processors": ["face_swap"]}, face={"options": {"detect_size": 640}}
        ),
    )
    url = be.url
    astro, hanks = samples.astronaut(), samples.tom_hanks()
    files = {
        "reference_0": jpeg(other_photo(LEFT)),
        "source_0": jpeg(astro),
        "reference_1": jpeg(other_photo(RIGHT)),
        "source_1": jpeg(hanks),
    }
    resp = requests.post(url + "/face/map", files=files, timeout=60)
    assert resp.status_code == 200, resp.text
    assert requests.post(url + "/face/start", timeout=10).status_code == 200
    resp = requests.post(url + "/camera/start", json={"source": "two.png"}, timeout=15)
    assert resp.status_code == 200, resp.text
    wait_for(lambda: [f["source"] for f in _faces(url)] == ["map:0", "map:1"], 30)

    def both_swapped() -> bool:
        image = _shot(url)
        return image is not None and min(changed(two_people(), image)) > 4

    wait_for(both_swapped, 20)
    image = _shot(url)
    assert image is not None
    hog, descriptor = DlibHog(), DlibDescriptor()
    want = [descriptor.embedding(p, hog.detect(p, 0, upsample=1)[0].box) for p in (astro, hanks)]
    lean = []
    for face in _faces(url):
        b = face["box"]
        box = np.array([b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]], float)
        got = descriptor.embedding(image, box)
        lean.append(np.linalg.norm(got - want[0]) - np.linalg.norm(got - want[1]))
    assert lean[0] < lean[1], lean  # left: toward the astronaut; right: toward Tom Hanks


@pytest.mark.slow
def test_face_set_pose_choice_in_a_real_backend(backend, backend_config, media: Path) -> None:
    """A face set (frontal and turned photos): a turned face in the camera is drawn from the
    turned photo, a frontal one from the frontal photo; /face/status says which."""
    from tests.face.people import person

    turned, frontal = person(4), person(2)  # group faces: yaw about -60 and 0 degrees
    cv2.imwrite(str(media / "turned.png"), turned)
    cv2.imwrite(str(media / "frontal.png"), frontal)
    be = backend(
        "--no-autostart",
        config=backend_config(
            pipeline={"processors": ["face_swap"]}, face={"options": {"detect_size": 640}}
        ),
    )
    url = be.url
    photos = [("front.jpg", samples.astronaut()), ("turned.jpg", person(1))]
    resp = requests.post(
        url + "/face/load",
        files=[("image", (name, samples.encode(img), "image/jpeg")) for name, img in photos],
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    assert [p["name"] for p in resp.json()["set"]] == ["front.jpg", "turned.jpg"]
    assert requests.post(url + "/face/start", timeout=10).status_code == 200
    for source, want in [("turned.png", 1), ("frontal.png", 0)]:
        resp = requests.post(url + "/camera/start", json={"source": source}, timeout=15)
        assert resp.status_code == 200, resp.text
        wait_for(lambda w=want: [f["set_photo"] for f in _faces(url)] == [w], 30)
