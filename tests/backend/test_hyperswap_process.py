"""The hyperswap engine through a real backend process, on tiny ONNX models with the real
files' inputs and outputs (tests/face/onnx_hyperswap.py: hyperswap_1a_256;
tests/face/onnx_models.py: buffalo_l's detector and recognizer; no weights are downloaded):
while the swapper file is absent the engine list says why and switching to it is refused
naming the field; once the file is there, a face is loaded, the camera shows a still picture,
the swap runs on it, and only the face region of the preview changes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from tests.face.onnx_hyperswap import build_hyperswap, build_hyperswap_models
from tests.face.onnx_models import expected_box, face_image
from tests.procs import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::FutureWarning")]

FRAME_FACE = {"centre": (320, 240), "axes": (70, 90)}


def engines(url: str) -> dict[str, dict]:
    body = requests.get(url + "/face/engines", timeout=10).json()
    return {e["name"]: e for e in body["engines"]}


def snapshot(url: str) -> np.ndarray:
    resp = requests.get(url + "/snapshot.jpg", timeout=10)
    assert resp.status_code == 200, resp.text
    image = cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def swapped_count(url: str) -> int:
    return int(requests.get(url + "/face/status", timeout=10).json()["frames_swapped"])


def test_hyperswap_in_a_real_backend(backend, backend_config, tmp_path: Path, media: Path):  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    paths = build_hyperswap_models(models)
    paths["swapper"].unlink()  # first without the swapper file
    cv2.imwrite(str(media / "scene.png"), face_image(1, **FRAME_FACE))
    cfg = backend_config(
        camera={"fps": 10},
        pipeline={"processors": ["face_swap"]},
        outputs={"jpeg_quality": 95},
        face={
            "engine": "classic",
            "sources_dir": str(tmp_path / "faces"),
            "models_dir": str(models),
            # the stand-in models are not the manifest's files: check none (tests/weights does)
            "models_manifest": str(tmp_path / "no-manifest.yaml"),
        },
    )
    be = backend("--no-autostart", config=cfg)

    # ---- the swapper file absent: said, and the switch refused naming the field
    hyper = engines(be.url)["hyperswap"]
    assert hyper["available"] is False
    assert str(paths["swapper"].resolve()) in hyper["reason"]
    assert "det_10g" not in hyper["reason"]  # only what is missing is named
    resp = requests.post(be.url + "/face/settings", json={"engine": "hyperswap"}, timeout=30)
    assert resp.status_code == 503 and resp.json()["field"] == "engine", resp.text
    assert "hyperswap_1a_256.onnx" in resp.json()["message"]
    assert requests.get(be.url + "/face/status", timeout=10).json()["engine"] == "classic"

    # ---- the file placed: available, switched to, swapping
    build_hyperswap(paths["swapper"])
    hyper = engines(be.url)["hyperswap"]
    assert hyper["available"] is True and hyper["reason"] is None, hyper
    resp = requests.post(be.url + "/face/settings", json={"engine": "hyperswap"}, timeout=60)
    assert resp.status_code == 200, resp.text
    info = resp.json()["engine_info"]
    assert info["provider"] == "CPUExecutionProvider"
    assert info["swapper_io"] == {"size": 256, "inputs": ["source", "target"], "mask_output": True}
    assert info["models"]["swapper"] == str(paths["swapper"].resolve())
    _ok, png = cv2.imencode(".png", face_image(7, size=(400, 400), centre=(200, 200)))
    resp = requests.post(
        be.url + "/face/load", files={"image": ("me.png", png.tobytes(), "image/png")}, timeout=60
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["engine"] == "hyperswap"
    resp = requests.post(be.url + "/camera/start", json={"source": "scene.png"}, timeout=15)
    assert resp.status_code == 200, resp.text
    wait_for(lambda: requests.get(be.url + "/snapshot.jpg", timeout=5).status_code == 200)
    original = snapshot(be.url)
    assert requests.post(be.url + "/face/start", timeout=10).status_code == 200
    wait_for(lambda: swapped_count(be.url) >= 3, timeout=30)
    first = swapped_count(be.url)
    wait_for(lambda: swapped_count(be.url) > first, timeout=30)
    status = requests.get(be.url + "/face/status", timeout=10).json()
    assert status["engine"] == "hyperswap" and status["error"] is None
    assert set(status["engine_info"]["providers"]) == {"swapper", "detector", "recognizer"}

    swapped = snapshot(be.url)
    diff = np.abs(original.astype(int) - swapped.astype(int)).mean(axis=2)
    x1, y1, x2, y2 = expected_box(**FRAME_FACE).astype(int)
    w, h = x2 - x1, y2 - y1
    assert diff[y1 + h // 4 : y2 - h // 4, x1 + w // 4 : x2 - w // 4].mean() > 8, "the face changed"
    # away from the face (its box and a JPEG block beyond it), the preview is as it was
    far = np.ones(diff.shape, bool)
    far[max(0, y1 - 16) : y2 + 16, max(0, x1 - 16) : x2 + 16] = False
    assert diff[far].mean() < 0.5 and np.percentile(diff[far], 99.9) < 4, "the rest did not"
