"""The studio window on a real backend (issue 25): scrolling the panels never changes a live
setting, and the camera box follows the source the backend really runs after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

pytest.importorskip("PyQt5")
pytestmark = pytest.mark.slow


def wheel(widget, steps: int = -1) -> bool:  # type: ignore[no-untyped-def]
    """One notch of the mouse wheel over ``widget`` (down for a negative ``steps``); whether
    the widget took it."""
    from PyQt5.QtCore import QPoint, QPointF, Qt
    from PyQt5.QtGui import QWheelEvent
    from PyQt5.QtWidgets import QApplication

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def face_options(be) -> dict:  # type: ignore[no-untyped-def]
    return requests.get(be.url + "/face/status", timeout=5).json()["options"]


def test_the_wheel_scrolls_past_controls_until_one_is_clicked(qtbot, window, services) -> None:
    _mon, be, _cfg = services
    engines = window.face_panel.engines
    enhancer = window.face_panel.enhancer
    qtbot.waitUntil(lambda: engines.blend.isEnabled() and enhancer.model.isEnabled(), timeout=15000)
    before = face_options(be)
    assert before["blend"] == "seamless" and before["enhancer"] in (None, "off")
    controls = [
        engines.blend,
        engines.engine,
        enhancer.model,
        enhancer.strength,
        window.camera_panel.source,
        window.files_panel.form.enhancer_strength,
    ]
    for control in controls:
        shown = control.currentText() if hasattr(control, "currentText") else control.value()
        for steps in (-1, 1, -1):
            assert not wheel(control, steps), control  # handed on: the panel scrolls
        now = control.currentText() if hasattr(control, "currentText") else control.value()
        assert now == shown, control
    qtbot.wait(800)  # a change would be on its way by now
    assert face_options(be) == before  # nothing was sent: no feather, no GFPGAN
    assert enhancer.problem_box.isHidden()

    # a clicked control (it has the focus) takes the wheel as usual
    window.activateWindow()
    engines.blend.setFocus()
    qtbot.waitUntil(engines.blend.hasFocus, timeout=5000)
    assert wheel(engines.blend, -1)
    assert engines.blend.currentData() == "feather"
    qtbot.waitUntil(lambda: face_options(be)["blend"] == "feather", timeout=10000)


def test_the_camera_box_names_what_the_backend_runs_after_a_restart(
    qtbot, window, services, spawn, tmp_path: Path
) -> None:
    from PIL import Image

    _mon, be, cfg = services
    camera = window.camera_panel
    qtbot.waitUntil(camera.start_button.isEnabled, timeout=15000)
    camera.source.setCurrentText("demo")
    camera.start_button.click()
    qtbot.waitUntil(lambda: window.last_image is not None, timeout=20000)
    assert camera.selected_source() == "demo"

    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    Image.new("RGB", (320, 240), (30, 160, 90)).save(media / "still.png")
    restarted = tmp_path / "restarted.yaml"
    restarted.write_text(cfg.read_text() + f"camera: {{source: 'image:{media / 'still.png'}'}}\n")
    port = be.port
    be.kill()
    qtbot.waitUntil(lambda: not camera.start_button.isEnabled(), timeout=10000)
    new = spawn("ar_backend", ["--config", str(restarted)], health_path="/health", port=port)

    def runs() -> str | None:
        cam = requests.get(new.url + "/camera/status", timeout=5).json()
        return cam["source"] if cam["state"] == "running" else None

    qtbot.waitUntil(lambda: runs() is not None, timeout=20000)
    source = runs()
    assert source and "still.png" in source
    qtbot.waitUntil(lambda: camera.selected_source() == source, timeout=15000)
    assert "still" in camera.source.currentText()
    # what the person types next is theirs: a refresh does not put the backend's back
    camera.source.setCurrentText("demo")
    refreshed = window.refresh_shown
    qtbot.waitUntil(lambda: window.refresh_shown > refreshed + 1, timeout=10000)
    assert camera.source.currentText() == "demo"
