"""The live path through the HTTP API in process (``create_app`` around a real Studio,
Flask's test client), with a video file the test wrote as its camera. What only a real
process shows (sockets and waitress threads, signals, start-up, heartbeats) is in
``test_live.py``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.backend.conftest import client_mjpeg_frames, write_clip
from tests.procs import wait_for

# as config/backend.yaml has
DEFAULT_PROCESSORS = {"processors": ["face_swap", "background", "overlay"]}


def test_start_stream_snapshot_status_stop(make_studio) -> None:
    client, _studio = make_studio(pipeline=DEFAULT_PROCESSORS)
    status = client.get("/camera/status").get_json()
    assert status["state"] == "stopped"

    resp = client.post("/camera/start", json={"source": "clip.mp4"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "running"
    assert resp.get_json()["source"] == "file clip.mp4"
    again = client.post("/api/camera/start", json={"source": "clip.mp4"})
    assert again.status_code == 200 and again.get_json()["already_running"] is True

    seqs = []
    for seq, image in client_mjpeg_frames(client, 10):
        assert image.shape == (240, 320, 3)
        seqs.append(seq)
    assert seqs == sorted(seqs) and len(set(seqs)) == 10

    snap = client.get("/snapshot.jpg")
    assert snap.headers["Content-Type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(snap.data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (240, 320, 3)

    # frames flow, latency is reported, and nothing queues: a stale frame is dropped and
    # counted (the rates themselves are figures for benchmarks/pipeline.py, not a test)
    first = client.get("/camera/status").get_json()
    later = wait_for(
        lambda: (
            (s := client.get("/camera/status").get_json())["frames_out"] > first["frames_out"] + 10
            and s
        )
    )
    assert later["fps_out"] > 0
    assert later["latency_ms"]["p95"] is not None and later["latency_ms"]["p95"] >= 0
    assert later["dropped_frames"] >= 0
    # every frame in that did not come out was dropped (but one being captured, one in the
    # slot and one being processed)
    assert later["frames_in"] - later["frames_out"] <= later["dropped_frames"] + 3
    assert later["resolution"] == {"width": 320, "height": 240}

    status = client.get("/status").get_json()
    assert status["camera"]["state"] == "running"
    assert status["pipeline"]["processors"] == ["face_swap", "background", "overlay"]

    stopped = client.post("/camera/stop")
    assert stopped.status_code == 200 and stopped.get_json()["state"] == "stopped"
    assert client.post("/api/camera/stop").status_code == 200  # stopping twice is fine
    assert client.get("/camera/status").get_json()["fps_out"] == 0


def test_source_that_dies_reconnects_by_itself(make_studio, media: Path) -> None:
    client, _studio = make_studio()
    clip, hidden = write_clip(media / "short.mp4", frames=8), media / "short.hidden"
    assert client.post("/camera/start", json={"source": "short.mp4"}).status_code == 200
    clip.rename(hidden)  # "unplugged": the loop cannot reopen it at its end

    def state() -> dict:
        return client.get("/camera/status").get_json()

    wait_for(lambda: state()["state"] == "reconnecting", timeout=10)
    assert "reconnecting" in state()["error"]
    assert client.get("/health").status_code == 200  # still serving
    hidden.rename(clip)  # plugged back in
    wait_for(lambda: state()["state"] == "running" and state()["reconnects"] >= 1, timeout=10)
    before = state()["frames_out"]
    wait_for(lambda: state()["frames_out"] > before + 5, timeout=5)


def test_recording_writes_a_playable_mp4(make_studio, tmp_path: Path) -> None:
    client, _studio = make_studio()
    assert client.post("/record/start", json={"file_name": "take1.mp4"}).status_code == 409
    assert client.post("/camera/start", json={"source": "clip.mp4"}).status_code == 200
    resp = client.post("/record/start", json={"file_name": "take1.mp4"})
    assert resp.status_code == 200, resp.get_json()
    wait_for(
        lambda: client.get("/status").get_json()["outputs"]["recording"]["frames"] > 20,
        timeout=20,
    )
    done = client.post("/record/stop").get_json()
    assert done["frames"] > 20
    cap = cv2.VideoCapture(str(tmp_path / "recordings" / "take1.mp4"))
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == done["frames"]


def test_missing_devices_are_clear_and_everything_else_runs(make_studio) -> None:
    client, _studio = make_studio()
    resp = client.post("/camera/start", json={"device_id": 3})
    assert resp.status_code == 503
    assert "device 3 does not open" in resp.get_json()["message"]
    assert client.get("/camera/devices").get_json()["devices"] == []
    # auto falls back to the demo stream, and says so
    auto = client.post("/camera/start", json={"source": "auto"}).get_json()
    assert auto["source_kind"] == "demo"
    assert "no camera" in auto["auto"]
    vcam = client.post("/virtual_camera/start")
    assert vcam.status_code == 503
    assert "setup_virtual_camera.sh" in vcam.get_json()["message"]
    status = client.get("/status").get_json()
    assert "setup_virtual_camera.sh" in status["outputs"]["virtual_camera"]["error"]
    assert next(client_mjpeg_frames(client, 1))[1].shape[0] > 0  # still streaming


def test_control_needs_the_key_when_configured(make_studio) -> None:
    client, _studio = make_studio(security={"api_key_enabled": True, "api_key": "s3cret"})
    denied = client.post("/camera/start", json={"source": "demo"})
    assert denied.status_code == 401
    assert client.get("/camera/status").get_json()["state"] == "stopped"
    ok = client.post("/camera/start", json={"source": "demo"}, headers={"X-API-Key": "s3cret"})
    assert ok.status_code == 200


def test_metrics_json_and_prometheus(make_studio) -> None:
    client, _studio = make_studio()
    assert client.post("/camera/start", json={"source": "demo"}).status_code == 200
    wait_for(lambda: client.get("/camera/status").get_json()["fps_out"] > 5)
    data = client.get("/metrics").get_json()
    assert data["service"] == "ar-backend"
    assert set(data["system"]["memory"]) >= {"total", "available", "percent", "used"}
    assert data["camera"]["state"] == "running"
    text = client.get("/metrics", headers={"Accept": "text/plain"}).get_data(as_text=True)
    assert "ar_backend_camera_running 1.0" in text
    assert "ar_backend_fps_out" in text
