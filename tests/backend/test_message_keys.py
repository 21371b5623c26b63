"""Texts a person reads come with their key and args (issue 25, item 14, the backend's side):
the window says them in the person's language from ``X_key`` and ``X_args``, and the English
``X`` is rendered from the one catalogue (shared/messages.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import requests

from ar_backend.face import samples
from shared.messages import CATALOGUE, render
from shared.wire.backend import EngineView, EnhancerStatus, FaceSource, FaceStatusOut
from tests.backend.test_window_support_api import _FakeSoundDevice


def keyed(body: dict[str, Any], name: str, key: str) -> None:
    """``body[name]`` goes with ``name_key`` == key and the args it is rendered from."""
    assert body[f"{name}_key"] == key, body
    assert key in CATALOGUE
    assert body[name] == render(key, body[f"{name}_args"]), body


def test_voice_errors_are_keyed(make_studio, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ar_backend.audio.engine._sounddevice", lambda: _FakeSoundDevice([]))
    client, _ = make_studio()
    resp = client.post("/audio/start")
    assert resp.status_code == 503
    keyed(resp.get_json(), "message", "audio.no_device")
    assert "setup_virtual_mic.sh" in resp.get_json()["message_args"]["command"]
    status = client.get("/audio/status").get_json()
    assert status["state"] == "unavailable"
    keyed(status, "error", "audio.no_device")
    assert client.post("/audio/stop").get_json()["error_key"] == "audio.no_device"


def test_the_face_texts_are_keyed_and_declared(make_studio) -> None:  # type: ignore[no-untyped-def]
    """The swap's error, the enhancer's reason, advice, error and GPU warning, an engine's
    reason: each with its key and args, every field declared in the wire model the window reads
    (an undeclared one would be refused once the answers are built as their model)."""
    client, _ = make_studio()
    status = client.get("/face/status").get_json()
    assert {"error_key", "error_args"} <= set(status)
    enhancer = status["enhancer"]
    for name in ("reason", "advice", "error", "gpu_warning"):
        assert enhancer[f"{name}_key"] is None and f"{name}_args" in enhancer, enhancer
    assert not set(status) - set(FaceStatusOut.model_fields)
    assert not set(enhancer) - set(EnhancerStatus.model_fields)
    assert not set(status["source"]) - set(FaceSource.model_fields)
    engines = client.get("/face/engines").get_json()["engines"]
    missing = [e for e in engines if not e["available"]]
    assert missing, engines  # the ONNX engines' files are not in a test's models folder
    for engine in engines:
        assert not set(engine) - set(EngineView.model_fields)
    for engine in missing:
        assert engine["reason_key"] and engine["reason"] == render(
            engine["reason_key"], engine["reason_args"]
        )


@pytest.mark.slow
def test_a_real_backend_keys_its_errors_notes_and_status_texts(backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    be = backend("--source", "demo")
    # the virtual camera: one sentence for a person with the command, the library's words aside
    resp = requests.post(be.url + "/virtual_camera/start", timeout=15)
    body = resp.json()
    assert resp.status_code == 503, body
    keyed(body, "message", "vcam.no_device")
    assert body["setup_command"].endswith("scripts/setup_virtual_camera.sh")
    assert body["message_args"]["command"] == body["setup_command"]
    assert body["error_detail"] and body["error_detail"] not in body["message"]
    vcam = requests.get(be.url + "/outputs", timeout=5).json()["virtual_camera"]
    keyed(vcam, "error", "vcam.no_device")
    assert vcam["error_detail"] == body["error_detail"]
    # a source face's notes: one key and one args dict per note
    small = samples.encode(samples.astronaut())  # its face is about 90 px: upscaled
    loaded = requests.post(
        be.url + "/face/load",
        files={"image": ("me.jpg", io.BytesIO(small), "image/jpeg")},
        timeout=60,
    ).json()
    assert loaded["notes_key"] == ["face.note.upscaled"], loaded
    assert loaded["notes"] == [render("face.note.upscaled", loaded["notes_args"][0])]
    status = requests.get(be.url + "/face/status", timeout=5).json()
    assert status["source"]["notes_key"] == ["face.note.upscaled"]
    # a camera that does not open; a bad field
    resp = requests.post(be.url + "/camera/start", json={"device_id": 7}, timeout=15)
    assert resp.status_code == 503
    keyed(resp.json(), "message", "camera.device_not_open")
    resp = requests.post(be.url + "/face/settings", json={"detect_every": 0}, timeout=5)
    assert resp.status_code == 400
    keyed(resp.json(), "message", "error.field")
    assert resp.json()["message_args"]["field"] == "detect_every"
    # status texts with nothing to say have null siblings
    full = requests.get(be.url + "/status", timeout=5).json()
    assert full["camera"]["error"] is None and full["camera"]["error_key"] is None
    assert "error_key" in full["audio"] and "error_key" in full["face_modules"]
