"""The window's clients read typed answers (shared.wire): a newer service's extra fields and
states are fine, an answer of the wrong shape is an HttpError naming the field, and the window
shows it like any other backend error. Against a stub HTTP server in this process (fast)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shared.http import HttpError
from tests.procs import STOP_POLL_S
from user_gui.services.clients import (
    ARBackendClient,
    MonitorClient,
    ServiceStatus,
    UnexpectedAnswer,
)

HEALTH = {
    "status": "healthy",
    "service": "ar-backend",
    "version": "9.9",
    "timestamp": "t",
    "uptime": 1,
}
CAMERA = {
    "state": "warming-up",  # a state this window has never heard of: still read
    "error": None,
    "source": "demo",
    "source_kind": "demo",
    "resolution": {"width": 640, "height": 480},
    "fps_in": 30.0,
    "fps_out": 30.0,
    "frames_in": 1,
    "frames_out": 1,
    "dropped_frames": 0,
    "reconnects": 0,
    "latency_ms": {"p50": 1.0, "p95": 2.0},
    "stage_ms": {},
    "processors": ["overlay"],
    "brand_new_field": [1, 2],  # extra fields are kept, not refused
}
ALERT = {
    "id": 7,
    "alert_id": 7,
    "node_id": "n1",
    "cause": "offline",
    "severity": "critical",
    "message": "n1 is offline",
    "status": "snoozed",  # a newer monitor's status
    "opened_at": None,
    "resolved_at": None,
    "clearing_since": None,
    "acknowledgement": None,
}


class Stub:
    """Answers ``answers[(method, path)] = (status, body)``; anything else is a 404."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], tuple[int, Any]] = {}
        self.delays: dict[str, float] = {}  # path: seconds before it answers
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, body = stub.answers.get((self.command, self.path), (404, {}))
                time.sleep(stub.delays.get(self.path, 0))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": STOP_POLL_S}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    yield server
    server.close()


def test_answers_are_typed_and_tolerate_what_is_new(stub: Stub) -> None:
    stub.answers[("GET", "/health")] = (200, HEALTH)
    stub.answers[("GET", "/api/camera/status")] = (200, CAMERA)
    stub.answers[("GET", "/api/alerts")] = (200, {"alerts": [ALERT], "count": 1})
    backend = ARBackendClient(stub.url, timeout=2, retries=0)
    assert backend.health_check() is True and backend.version == "9.9"
    camera = backend.camera_status()
    assert camera.state == "warming-up" and camera.resolution is not None
    assert camera.resolution.width == 640
    assert camera.model_extra == {"brand_new_field": [1, 2]}
    alerts = MonitorClient(stub.url, timeout=2, retries=0).alerts()
    assert [(a.id, a.status, a.message) for a in alerts] == [(7, "snoozed", "n1 is offline")]


def test_an_answer_of_the_wrong_shape_is_an_http_error_naming_the_field(stub: Stub) -> None:
    broken = {**CAMERA, "fps_in": "fast"}
    del broken["state"]
    stub.answers[("GET", "/api/camera/status")] = (200, broken)
    stub.answers[("GET", "/face/status")] = (200, ["not", "an", "object"])
    stub.answers[("GET", "/api/alerts")] = (200, {"alerts": [{**ALERT, "id": None}], "count": 1})
    backend = ARBackendClient(stub.url, timeout=2, retries=0)
    with pytest.raises(UnexpectedAnswer) as err:
        backend.camera_status()
    assert isinstance(err.value, HttpError) and err.value.status == 200
    assert str(err.value) == (
        "the backend answered an unexpected shape: state: Field required (and 1 more)"
        " (GET /api/camera/status)"
    )
    with pytest.raises(HttpError, match=r"the backend answered an unexpected shape: \(the whole"):
        backend.face_status()
    with pytest.raises(HttpError, match=r"the monitor answered an unexpected shape: alerts\.0\.id"):
        MonitorClient(stub.url, timeout=2, retries=0).alerts()


def test_a_health_answer_of_the_wrong_shape_is_unhealthy(stub: Stub) -> None:
    stub.answers[("GET", "/api/health")] = (200, {"status": "healthy"})
    monitor = MonitorClient(stub.url, timeout=2, retries=0)
    assert monitor.health_check() is False
    assert monitor.status == ServiceStatus.UNHEALTHY
    assert monitor.last_error is not None
    assert monitor.last_error.startswith("the monitor answered an unexpected shape: service:")
    stub.answers[("GET", "/api/health")] = (
        200,
        {**HEALTH, "service": "yl-monitor", "status": "degraded", "reason": "disk full"},
    )
    assert monitor.health_check() is False
    assert monitor.last_error == "the monitor is degraded: disk full"


def test_the_window_shows_a_wrong_shape_like_any_backend_error(
    qtbot, stub: Stub, tmp_path: Path
) -> None:
    pytest.importorskip("PyQt5")
    from PyQt5.QtCore import QSettings

    from user_gui.app.main_window import MainWindow
    from user_gui.config import MonitorSection
    from user_gui.services.reporter import StatusReporter

    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    stub.answers[("GET", "/health")] = (200, HEALTH)
    stub.answers[("GET", "/api/camera/status")] = (200, {**CAMERA, "state": None})
    stub.answers[("GET", "/face/status")] = (200, {"enabled": True})
    stub.answers[("GET", "/face/engines")] = (200, {"engines": [{"name": "classic"}]})
    stub.answers[("GET", "/audio/effects")] = (200, {"effects": {"gain": {"db": {}}}})
    stub.answers[("POST", "/audio/start")] = (200, {"state": "running"})
    reporter = StatusReporter(MonitorSection(enabled=False, url=stub.url, node_id="gui-s"))
    window = MainWindow(
        ARBackendClient(stub.url, timeout=2, retries=0),
        MonitorClient(stub.url, timeout=2, retries=0),
        reporter,
        None,
        poll_interval=0.2,
    )
    qtbot.addWidget(window)
    window.show()
    face = window.face_panel
    qtbot.waitUntil(lambda: "unexpected shape" in face.engines.state.text(), timeout=5000)
    assert face.engines.state.text().startswith(
        "face status unavailable: the backend answered an unexpected shape: active: Field"
    )
    assert "camera status unavailable: the backend answered an unexpected shape: state:" in (
        window.camera_panel.reason.text()
    )
    assert (
        "healthy" in window.services_tab.indicators["backend"].text()
    )  # it answers: controls stay on
    assert window.camera_panel.start_button.isEnabled()
    voice = window.voice_panel
    qtbot.waitUntil(voice.audio_start.isEnabled, timeout=5000)
    voice.audio_start.click()
    qtbot.waitUntil(lambda: "unexpected shape" in voice.audio_state.full_text, timeout=5000)
    assert "the backend answered an unexpected shape: error: Field required" in (
        voice.audio_state.full_text
    )
    window.close()


def test_a_refresh_answered_after_the_window_closed_starts_no_preview(
    qtbot, stub: Stub, tmp_path: Path
) -> None:
    """A refresh in flight when the window closed used to start the preview reader after
    closeEvent had stopped it: nobody stopped that QThread, and deleting the window aborted
    the process ("QThread: Destroyed while thread is still running")."""
    pytest.importorskip("PyQt5")
    from PyQt5.QtCore import QCoreApplication, QSettings

    from user_gui.app.main_window import MainWindow
    from user_gui.app.workers import MjpegReader, python_pool
    from user_gui.config import MonitorSection
    from user_gui.services.reporter import StatusReporter

    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    stub.answers[("GET", "/health")] = (200, HEALTH)
    stub.answers[("GET", "/api/camera/status")] = (200, {**CAMERA, "state": "running"})
    stub.delays["/api/camera/status"] = 0.5  # the first refresh is still waiting on it
    reporter = StatusReporter(MonitorSection(enabled=False, url=stub.url, node_id="gui-c"))
    window = MainWindow(
        ARBackendClient(stub.url, timeout=2, retries=0),
        MonitorClient(stub.url, timeout=2, retries=0),
        reporter,
        None,
        poll_interval=60,
    )
    qtbot.addWidget(window)
    window.show()
    window.close()
    assert python_pool().waitForDone(5000)
    QCoreApplication.processEvents()  # the refresh's answer, queued to this thread
    readers = window.findChildren(MjpegReader)
    try:
        assert not [r for r in readers if r.isRunning()]
        assert reporter.status()["gui"]["video_running"] is False
    finally:
        for reader in readers:
            reader.stop()
