"""The GUI's plain-Python services against real backend and monitor processes (no display)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import requests

from shared.config import ServicesFile
from shared.http import HttpError
from shared.ports import free_port
from tests.procs import wait_for
from user_gui.config import LocalServerSection, MonitorSection, load_gui_config
from user_gui.services.clients import (
    ARBackendClient,
    BackendError,
    MonitorClient,
    ServiceStatus,
)
from user_gui.services.discovery import ServiceDiscovery
from user_gui.services.local_server import LocalHTTPServer
from user_gui.services.reporter import StatusReporter

pytestmark = pytest.mark.slow


@pytest.fixture
def monitor(spawn, tmp_path: Path):
    return spawn(
        "yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]
    )


@pytest.fixture
def backend_proc(spawn, tmp_path: Path):
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        "monitor: {enabled: false}\n"
        f"face: {{sources_dir: {tmp_path / 'faces'}, models_dir: {tmp_path / 'models'}}}\n"
    )
    return spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")


def write_picture(path: Path, pixels: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(pixels).save(path)
    return path


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def test_backend_client_follows_the_backend(spawn, backend_proc, tmp_path: Path) -> None:
    changes: list[tuple[str, str]] = []
    client = ARBackendClient(
        backend_proc.url,
        timeout=2,
        retries=0,
        on_status_change=lambda old, new: changes.append((old.value, new.value)),
    )
    assert client.health_check() is True
    assert client.version == "0.1.0" and client.latency_ms is not None
    assert client.start_camera(source="demo").state == "running"
    assert client.camera_status().source_kind == "demo"
    assert client.camera_devices() == []
    with pytest.raises(HttpError) as err:
        client.start_camera(source="/etc/passwd")
    assert err.value.status == 403
    assert client.stop_camera().state == "stopped"

    port = backend_proc.port
    backend_proc.kill()
    assert client.health_check() is False
    assert client.status == ServiceStatus.OFFLINE
    assert "cannot connect" in client.last_error
    cfg = tmp_path / "backend.yaml"
    spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health", port=port)
    assert client.health_check() is True
    assert changes == [("unknown", "healthy"), ("healthy", "offline"), ("offline", "healthy")]


def test_backend_client_face_calls(backend_proc, tmp_path: Path) -> None:
    client = ARBackendClient(backend_proc.url, timeout=2, retries=0)
    assert client.face_status().source.model_dump(exclude_unset=True) == {"loaded": False}
    engines = {e.name: e for e in client.face_engines().engines}
    assert engines["classic"].available and engines["classic"].active
    assert not engines["inswapper"].available
    assert str(tmp_path / "models") in engines["inswapper"].reason
    with pytest.raises(HttpError) as err:
        client.start_face_swap()
    assert err.value.status == 409  # no face yet

    face = write_picture(tmp_path / "astronaut.png", astronaut())
    loaded = client.upload_face(face)  # longer than the 2 s timeout: the engine loads first
    assert loaded.loaded and loaded.name == "astronaut.png"
    assert loaded.engine == "classic" and loaded.faces_found == 1
    assert loaded.thumbnail.startswith("data:image/jpeg;base64,")
    status = client.face_status()
    assert status.source.name == "astronaut.png" and status.engine_info.provider

    pair = np.hstack([astronaut(), astronaut()[:, ::-1]])
    several = write_picture(tmp_path / "pair.jpg", pair)
    with pytest.raises(BackendError) as many:
        client.upload_face(several)
    assert many.value.status == 422 and many.value.field == "face_index"
    faces = many.value.details["faces"]
    assert len(faces) >= 2 and [f["index"] for f in faces] == list(range(len(faces)))
    assert "faces found" in str(many.value)
    chosen = client.upload_face(several, face_index=len(faces) - 1)
    assert chosen.face_index == len(faces) - 1 and chosen.name == "pair.jpg"

    grey = write_picture(tmp_path / "grey.png", np.full((200, 200, 3), 128, np.uint8))
    with pytest.raises(BackendError) as none:
        client.upload_face(grey)
    assert none.value.status == 422 and none.value.field == "image"
    assert "no face found" in str(none.value)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture")
    with pytest.raises(BackendError) as bad:
        client.upload_face(junk)
    assert bad.value.status == 400
    assert client.face_status().source.name == "pair.jpg"  # refused: nothing changed

    changed = client.face_settings(many_faces=True, mouth_mask=True, blend="feather")
    assert changed.options.many_faces and changed.options.mouth_mask
    assert changed.options.blend == "feather"
    with pytest.raises(BackendError) as unavailable:
        client.face_settings(engine="inswapper")
    assert unavailable.value.status == 503 and unavailable.value.field == "engine"
    assert client.face_engines().active == "classic"
    assert client.start_face_swap().enabled is True
    assert client.face_status().enabled is True
    assert client.stop_face_swap().enabled is False


def test_monitor_client_lists_and_acknowledges(monitor) -> None:
    client = MonitorClient(monitor.url, timeout=5)
    assert client.health_check() is True
    requests.post(f"{monitor.url}/api/ar/nodes/n1/heartbeat", json={"interval": 0.2}, timeout=5)
    alert = wait_for(lambda: client.alerts(), timeout=10)[0]
    assert alert.cause == "offline"
    assert client.acknowledge_alert(alert.id, by="gui-user").alert.status == "acknowledged"
    assert [n.node_id for n in client.nodes()] == ["n1"]


def test_discovery_checks_each_health_endpoint(monitor, backend_proc) -> None:
    services = ServicesFile.model_validate(
        {
            "services": {
                "yl-monitor": {
                    "name": "Monitor",
                    "port": monitor.port,
                    "health_endpoint": "/api/health",
                },
                "ar-backend": {"name": "Backend", "port": backend_proc.port},
                "user-gui": {"name": "GUI", "port": free_port()},
            },
            "discovery": {"timeout": 2},
        }
    )
    found = {s.key: s for s in ServiceDiscovery(services).discover()}
    assert found["yl-monitor"].healthy and found["ar-backend"].healthy
    assert found["yl-monitor"].latency_ms is not None
    assert not found["user-gui"].healthy
    assert "cannot connect" in found["user-gui"].error


def test_reporter_and_local_server(monitor) -> None:
    cfg = MonitorSection(url=monitor.url, node_id="gui-test", report_interval=30, max_retries=0)
    reporter = StatusReporter(cfg)
    server = LocalHTTPServer(reporter, port=0)
    reporter.start()
    server.start()
    try:

        def node() -> dict | None:
            resp = requests.get(f"{monitor.url}/api/ar/nodes/gui-test", timeout=5)
            return resp.json() if resp.status_code == 200 else None

        first = wait_for(lambda: (n := node()) and n["beats_received"] >= 1 and n, timeout=10)
        assert first["node_type"] == "user-gui"
        assert first["expected_interval"] == 30.0
        assert first["last_payload"]["gui"] == {
            "window_active": False,
            "video_running": False,
            "audio_running": False,
            "face_loaded": False,
            "language": None,  # set by the window once it is open
        }
        # a change is reported at once, not at the next 30 s beat
        reporter.update_gui_status(window_active=True, video_running=True)
        wait_for(lambda: node()["last_payload"]["gui"]["video_running"] is True, timeout=5)
        with pytest.raises(ValueError, match="unknown GUI fields"):
            reporter.update_gui_status(colour="red")

        base = server.url
        assert server.host == "127.0.0.1"
        health = requests.get(base + "/health", timeout=5).json()
        assert health["status"] == "healthy" and health["service"] == "user-gui"
        status = requests.get(base + "/status", timeout=5).json()
        assert status["gui"]["window_active"] is True
        assert status["node_id"] == "gui-test"
        stats = requests.get(base + "/stats", timeout=5).json()
        assert stats["running"] is True and stats["report_count"] >= 2
        assert stats["config"] == {
            "node_id": "gui-test",
            "monitor_url": monitor.url,
            "interval": 30.0,
        }
        missing = requests.get(base + "/nope", timeout=5)
        assert missing.status_code == 404 and missing.json()["code"] == 404
    finally:
        server.stop()
        reporter.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/health", timeout=2)


def test_config_overrides_from_the_seed() -> None:
    cfg = load_gui_config(
        environ={
            "YL_MONITOR_URL": "http://10.0.0.5:5500",
            "USER_GUI_NODE_ID": "studio-7",
            "AR_BACKEND_URL": "http://127.0.0.1:6501",
            "USER_GUI__LOCAL_SERVER__PORT": "6502",
        }
    )
    assert cfg.monitor.url == "http://10.0.0.5:5500"
    assert cfg.monitor.node_id == "studio-7"
    assert cfg.backend.url == "http://127.0.0.1:6501"
    assert cfg.local_server == LocalServerSection(port=6502)
    assert cfg.monitor.report_interval == 30.0


def test_local_server_errors_are_json_and_foreign_hosts_refused() -> None:
    """The stdlib's own 414/431/501 pages were HTML; a rebound Host name read the status."""
    import socket

    reporter = StatusReporter(MonitorSection(url="http://127.0.0.1:9", node_id="gui-x"))
    server = LocalHTTPServer(reporter, port=0)
    server.start()
    try:

        def raw(request: bytes) -> tuple[int, dict]:
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(request)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            assert b"application/json" in head
            return int(head.split()[1]), json.loads(body)

        code, body = raw(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (code, body["code"]) == (414, 414)
        code, body = raw(b"GET /health HTTP/1.1\r\n" + b"X-A: b\r\n" * 120 + b"\r\n")
        assert code == 431
        code, body = raw(b"BREW /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert code == 501 and body["error"] == "Not Implemented"
        resp = requests.get(f"{server.url}/status", headers={"Host": "evil.example"}, timeout=5)
        assert resp.status_code == 400 and resp.json()["field"] == "Host"
        assert requests.get(f"{server.url}/health", timeout=5).json()["status"] == "healthy"
        assert requests.post(f"{server.url}/health", timeout=5).status_code == 405
    finally:
        server.stop()
