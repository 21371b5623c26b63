"""The inswapper engine through the real backend process, on the tiny ONNX models the tests
build (same inputs and outputs as buffalo_l and inswapper_128; no weights are downloaded)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import requests

from tests.backend.conftest import start_backend
from tests.face.onnx_models import build_models, face_image
from tests.procs import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("insw")
    media, models = tmp / "media", tmp / "models"
    media.mkdir()
    build_models(models)
    cv2.imwrite(str(media / "scene.png"), face_image(seed=1))
    proc = start_backend(
        tmp,
        f"camera: {{fps: 10}}\nface: {{sources_dir: '{tmp / 'faces'}', models_dir: '{models}'}}\n",
    )
    yield proc
    proc.kill()


def test_switch_to_inswapper_load_and_swap_live(studio):
    url = studio.url
    engines = requests.get(url + "/face/engines", timeout=10).json()["engines"]
    assert {e["name"]: e["available"] for e in engines}["inswapper"] is True
    resp = requests.post(url + "/face/settings", json={"engine": "inswapper"}, timeout=60)
    assert resp.status_code == 200, resp.text
    assert resp.json()["engine_info"]["provider"] == "CPUExecutionProvider"
    _ok, png = cv2.imencode(".png", face_image(seed=7))
    resp = requests.post(
        url + "/face/load", files={"image": ("me.png", png.tobytes(), "image/png")}, timeout=60
    )
    assert resp.status_code == 200 and resp.json()["engine"] == "inswapper", resp.text
    assert requests.post(url + "/camera/start", json={"source": "scene.png"}, timeout=30).ok
    wait_for(lambda: requests.get(url + "/snapshot.jpg", timeout=5).ok, timeout=15)
    original = cv2.imdecode(
        np.frombuffer(requests.get(url + "/snapshot.jpg", timeout=5).content, np.uint8), 1
    )
    assert requests.post(url + "/face/start", timeout=10).ok
    wait_for(
        lambda: requests.get(url + "/face/status", timeout=5).json()["frames_swapped"] >= 3,
        timeout=30,
    )
    status = requests.get(url + "/face/status", timeout=5).json()
    assert status["engine"] == "inswapper" and status["error"] is None
    assert status["engine_info"]["providers"], "each model session names its provider"
    swapped = cv2.imdecode(
        np.frombuffer(requests.get(url + "/snapshot.jpg", timeout=5).content, np.uint8), 1
    )
    diff = np.abs(original.astype(int) - swapped.astype(int)).mean(axis=2)
    assert diff[200:280, 280:360].mean() > 8, "the face changed"
    assert diff[:60, :60].mean() < 3 and diff[-60:, -60:].mean() < 3, "the background did not"
