"""The studio window (pytest-qt, offscreen) with a real backend and a real monitor."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
import requests

from tests.procs import wait_for

pytest.importorskip("PyQt5")
pytestmark = pytest.mark.slow


@pytest.fixture
def services(spawn, tmp_path: Path):
    mon = spawn(
        "yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]
    )
    cfg = tmp_path / "backend.yaml"
    cfg.write_text("monitor: {enabled: false}\naudio: {input_device: no-such-mic}\n")
    be = spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")
    return mon, be, cfg


@pytest.fixture
def window(qtbot, services, tmp_path: Path, monkeypatch):
    from PyQt5.QtCore import QSettings

    from user_gui.app.main_window import MainWindow
    from user_gui.config import MonitorSection
    from user_gui.services.clients import ARBackendClient, MonitorClient
    from user_gui.services.local_server import LocalHTTPServer
    from user_gui.services.reporter import StatusReporter

    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    mon, be, _cfg = services
    reporter = StatusReporter(
        MonitorSection(url=mon.url, node_id="gui-w", report_interval=30, max_retries=0)
    )
    server = LocalHTTPServer(reporter, port=0)
    server.start()
    win = MainWindow(
        ARBackendClient(be.url, timeout=1, retries=0),
        MonitorClient(mon.url, timeout=2, retries=0),
        reporter,
        server.url,
        poll_interval=0.3,
    )
    qtbot.addWidget(win)
    reporter.start()
    win.show()
    yield win
    win.close()
    reporter.stop()
    server.stop()


def non_black(win) -> bool:  # type: ignore[no-untyped-def]
    image = win.last_image
    if image is None:
        return False
    samples = [
        image.pixelColor(x, y).value()
        for x in range(0, image.width(), 37)
        for y in range(0, image.height(), 29)
    ]
    return sum(samples) / len(samples) > 20


def test_start_camera_shows_the_preview_and_reports(qtbot, window, services) -> None:
    mon, _be, _cfg = services
    qtbot.waitUntil(lambda: window.start_button.isEnabled(), timeout=10000)
    window.source.setCurrentText("demo")
    window.start_button.click()
    qtbot.waitUntil(lambda: non_black(window), timeout=15000)
    assert "fps" in window.preview_info.text()

    def gui_state() -> dict | None:
        resp = requests.get(f"{mon.url}/api/ar/nodes/gui-w", timeout=5)
        payload = resp.json().get("last_payload") if resp.ok else None
        return payload["gui"] if payload else None

    wait_for(lambda: (g := gui_state()) and g["video_running"] and g["window_active"])
    local = requests.get(window.local_url + "/status", timeout=5).json()
    assert local["gui"]["video_running"] is True


def test_backend_down_and_back_without_freezing(qtbot, window, services, spawn) -> None:
    from PyQt5.QtCore import QTimer

    _mon, be, cfg = services
    qtbot.waitUntil(lambda: window.start_button.isEnabled(), timeout=10000)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    port = be.port
    be.kill()
    qtbot.waitUntil(lambda: "offline" in window.indicators["backend"].text(), timeout=5000)
    assert not window.start_button.isEnabled()
    assert "offline" in window.camera_reason.text()
    stalls = longest_gap(ticks)
    spawn(
        "ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health", port=port
    )  # (this call blocks the test, not the window: not measured)
    ticks.clear()
    qtbot.waitUntil(lambda: window.start_button.isEnabled(), timeout=10000)
    timer.stop()
    # the event loop kept answering while the backend went away and while it came back
    assert max(stalls, longest_gap(ticks)) < 0.5, (stalls, longest_gap(ticks))


def longest_gap(ticks: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(ticks)), default=0.0)


def test_voice_panel_applies_an_effect_and_reports_a_missing_device(
    qtbot, window, services
) -> None:
    _mon, be, _cfg = services
    qtbot.waitUntil(lambda: window.effect_type.count() >= 8, timeout=10000)  # from the backend
    window.effect_type.setCurrentText("pitch")
    assert set(window.effect_sliders) == {"semitones"}
    window.effect_sliders["semitones"].setValue(500)  # +5 semitones
    window.effect_apply.click()
    qtbot.waitUntil(lambda: "pitch" in window.effect_chain.text(), timeout=5000)
    effects = requests.get(be.url + "/audio/status", timeout=5).json()["effects"]
    assert effects[0]["type"] == "pitch" and effects[0]["params"]["semitones"] == 5.0
    window.audio_start.click()  # this backend's microphone does not exist: a clear message
    qtbot.wait(3000)
    text = window.audio_state.text()
    assert "503" in text and ("no-such-mic" in text or "no audio device" in text), text
