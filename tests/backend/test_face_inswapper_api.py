"""The inswapper engine through the HTTP API, in process, on the tiny ONNX models the tests
build (same inputs and outputs as buffalo_l and inswapper_128; no weights are downloaded)."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.face.onnx_models import build_models, face_image
from tests.procs import wait_for


@pytest.fixture
def studio(make_studio, tmp_path: Path, media: Path):  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    build_models(models)
    cv2.imwrite(str(media / "scene.png"), face_image(seed=1))
    client, _studio = make_studio(
        camera={"fps": 10},
        pipeline={"processors": ["face_swap", "overlay"]},
        face={
            "sources_dir": str(tmp_path / "faces"),
            "models_dir": str(models),
            # the stand-in models are not the manifest's files: check none (tests/weights does)
            "models_manifest": str(tmp_path / "no-manifest.yaml"),
        },
    )
    return client


def snapshot(client) -> np.ndarray:  # type: ignore[no-untyped-def]
    resp = client.get("/snapshot.jpg")
    assert resp.status_code == 200, resp.get_json()
    return cv2.imdecode(np.frombuffer(resp.data, np.uint8), cv2.IMREAD_COLOR)


def test_switch_to_inswapper_load_and_swap_live(studio):
    engines = studio.get("/face/engines").get_json()["engines"]
    assert {e["name"]: e["available"] for e in engines}["inswapper"] is True
    resp = studio.post("/face/settings", json={"engine": "inswapper"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["engine_info"]["provider"] == "CPUExecutionProvider"
    _ok, png = cv2.imencode(".png", face_image(seed=7))
    resp = studio.post(
        "/face/load",
        data={"image": (io.BytesIO(png.tobytes()), "me.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200 and resp.get_json()["engine"] == "inswapper", resp.get_json()
    assert studio.post("/camera/start", json={"source": "scene.png"}).status_code == 200
    wait_for(lambda: studio.get("/snapshot.jpg").status_code == 200, timeout=15)
    original = snapshot(studio)
    assert studio.post("/face/start").status_code == 200
    wait_for(lambda: studio.get("/face/status").get_json()["frames_swapped"] >= 3, timeout=30)
    status = studio.get("/face/status").get_json()
    assert status["engine"] == "inswapper" and status["error"] is None
    assert status["engine_info"]["providers"], "each model session names its provider"
    swapped = snapshot(studio)
    diff = np.abs(original.astype(int) - swapped.astype(int)).mean(axis=2)
    assert diff[200:280, 280:360].mean() > 8, "the face changed"
    assert diff[:60, :60].mean() < 3 and diff[-60:, -60:].mean() < 3, "the background did not"
