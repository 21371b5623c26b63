"""The studio window (pytest-qt, offscreen) with a real backend and a real monitor."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest
import requests

pytest.importorskip("PyQt5")
pytestmark = pytest.mark.slow


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
    qtbot.waitUntil(lambda: window.camera_panel.start_button.isEnabled(), timeout=10000)
    window.camera_panel.source.setCurrentText("demo")
    window.camera_panel.start_button.click()
    qtbot.waitUntil(lambda: non_black(window), timeout=15000)
    assert "fps" in window.preview_info.text()

    def gui_state() -> dict | None:
        resp = requests.get(f"{mon.url}/api/ar/nodes/gui-w", timeout=5)
        payload = resp.json().get("last_payload") if resp.ok else None
        return payload["gui"] if payload else None

    qtbot.waitUntil(  # the window keeps running meanwhile: its beats carry the change
        lambda: bool((g := gui_state()) and g["video_running"] and g["window_active"]),
        timeout=15000,
    )
    local = requests.get(window.local_url + "/status", timeout=5).json()
    assert local["gui"]["video_running"] is True


def test_backend_down_and_back_without_freezing(qtbot, window, services, spawn) -> None:
    from PyQt5.QtCore import QTimer

    _mon, be, cfg = services
    qtbot.waitUntil(lambda: window.camera_panel.start_button.isEnabled(), timeout=10000)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    port = be.port
    be.kill()
    qtbot.waitUntil(
        lambda: "offline" in window.services_tab.indicators["backend"].text(), timeout=5000
    )
    assert not window.camera_panel.start_button.isEnabled()
    assert "offline" in window.camera_panel.reason.text()
    face = window.face_panel
    assert not face.source.choose.isEnabled() and not face.engines.engine.isEnabled()
    assert "offline" in face.engines.state.text()
    stalls = longest_gap(ticks)
    spawn(
        "ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health", port=port
    )  # (this call blocks the test, not the window: not measured)
    ticks.clear()
    qtbot.waitUntil(lambda: window.camera_panel.start_button.isEnabled(), timeout=10000)
    timer.stop()
    # the event loop kept answering while the backend went away and while it came back
    assert max(stalls, longest_gap(ticks)) < 0.5, (stalls, longest_gap(ticks))


def longest_gap(ticks: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(ticks)), default=0.0)


def test_voice_panel_applies_an_effect_and_reports_a_missing_device(
    qtbot, window, services
) -> None:
    _mon, be, _cfg = services
    voice = window.voice_panel
    qtbot.waitUntil(lambda: voice.effect_type.count() >= 8, timeout=10000)  # from the backend
    voice.effect_type.setCurrentText("pitch")
    assert set(voice.effect_sliders) == {"semitones"}
    assert set(voice.effect_switches) == {"preserve_formants"}  # a switch: a check box
    assert voice.effect_switches["preserve_formants"].isChecked()  # the schema's default
    voice.effect_sliders["semitones"].setValue(500)  # +5 semitones
    voice.effect_apply.click()
    qtbot.waitUntil(lambda: "pitch" in voice.effect_chain.text(), timeout=5000)
    effects = requests.get(be.url + "/audio/status", timeout=5).json()["effects"]
    assert effects[0]["type"] == "pitch" and effects[0]["params"]["semitones"] == 5.0
    # a second effect, moved first, then the first one removed: the backend's chain follows
    voice.effect_type.setCurrentText("robot")
    voice.effect_apply.click()
    qtbot.waitUntil(lambda: voice.chain.count() == 2, timeout=5000)
    voice.chain.setCurrentRow(1)
    voice.effect_up.click()

    def chain() -> list[str]:
        return [
            e["type"] for e in requests.get(be.url + "/audio/status", timeout=5).json()["effects"]
        ]

    qtbot.waitUntil(lambda: chain() == ["robot", "pitch"], timeout=5000)
    qtbot.waitUntil(lambda: voice.chain.item(0).text().startswith("robot"), timeout=5000)
    voice.chain.setCurrentRow(1)
    voice.effect_remove.click()
    qtbot.waitUntil(lambda: chain() == ["robot"], timeout=5000)
    qtbot.waitUntil(lambda: voice.chain.count() == 1, timeout=5000)
    voice.audio_start.click()  # this backend's microphone does not exist: a clear message
    qtbot.waitUntil(voice.sound_fix.isVisible, timeout=10000)  # (what is missing: test_voice_fix)
    text = voice.audio_state.full_text + " " + voice.sound_fix.sentence.toolTip()
    assert "no-such-mic" in text or "no audio device" in text, text
    assert "http://" not in text and "HTTP 5" not in text, "no raw URL or status code: " + text
    # no device: effects cannot be applied, and the panel says why
    qtbot.waitUntil(lambda: not voice.effect_apply.isEnabled(), timeout=10000)
    assert voice.effects_reason.isVisible() and voice.effects_reason.full_text


def write_picture(path: Path, pixels: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(pixels).save(path)
    return path


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def choose_file(monkeypatch, path: Path) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtWidgets import QFileDialog

    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(path), ""))
    )


def thumb_size(window) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    pix = window.face_panel.source.thumb.pixmap()
    return (0, 0) if pix is None or pix.isNull() else (pix.width(), pix.height())


def face_status(be) -> dict:  # type: ignore[no-untyped-def]
    return requests.get(be.url + "/face/status", timeout=5).json()


def wait_refreshes(qtbot, window, count: int = 2) -> None:  # type: ignore[no-untyped-def]
    """Until ``count`` refreshes begun from now on are shown (each reads the backend anew)."""
    first = window.refreshes + 1
    qtbot.waitUntil(lambda: window.refresh_shown >= first + count - 1, timeout=10000)


def test_face_upload_shows_its_thumbnail(qtbot, window, services, tmp_path, monkeypatch) -> None:
    from PyQt5.QtCore import Qt

    _mon, be, _cfg = services
    face = window.face_panel
    qtbot.waitUntil(
        lambda: face.source.choose.isEnabled() and face.engines.engine.count() == 3, timeout=10000
    )
    assert not face.source.swap.isEnabled()  # nothing to swap yet
    unavailable = face.engines.engine.findData("inswapper")
    assert not face.engines.engine.model().item(unavailable).isEnabled()
    assert "missing model files" in face.engines.engine.itemData(unavailable, Qt.ToolTipRole)
    assert face.engines.engine.currentData() == "classic"

    picture = write_picture(tmp_path / "astronaut.png", astronaut())
    choose_file(monkeypatch, picture)
    face.source.choose.click()
    qtbot.waitUntil(lambda: thumb_size(window) != (0, 0), timeout=20000)  # engine loads first
    width, height = thumb_size(window)
    assert 0 < width <= 128 and 0 < height <= 128 and max(width, height) == 128
    assert "astronaut.png" in face.source.name.text()
    assert "classic" in face.source.name.text()
    assert window.settings.value("folders/pictures") == str(tmp_path)  # the next opens there
    qtbot.waitUntil(
        lambda: requests.get(window.local_url + "/status", timeout=5).json()["gui"]["face_loaded"],
        timeout=5000,
    )

    qtbot.waitUntil(face.source.swap.isEnabled, timeout=5000)
    face.source.swap.click()
    qtbot.waitUntil(lambda: face_status(be)["enabled"] is True, timeout=10000)
    qtbot.waitUntil(
        lambda: face.source.swap.isChecked() and "swap on" in face.engines.state.text(),
        timeout=5000,
    )
    assert "dlib" in face.engines.state.text()  # the active provider
    qtbot.waitUntil(face.source.swap.isEnabled, timeout=5000)
    face.source.swap.click()
    qtbot.waitUntil(lambda: face_status(be)["enabled"] is False, timeout=10000)
    qtbot.waitUntil(lambda: not face.source.swap.isChecked(), timeout=5000)

    qtbot.waitUntil(face.engines.mouth_mask.isEnabled, timeout=5000)
    face.engines.mouth_mask.click()
    qtbot.waitUntil(lambda: face_status(be)["options"]["mouth_mask"] is True, timeout=10000)
    wait_refreshes(qtbot, window)  # refreshes keep showing the backend's value
    assert face.engines.mouth_mask.isChecked()


def test_face_errors_and_several_faces(qtbot, window, services, tmp_path, monkeypatch) -> None:
    _mon, be, _cfg = services
    face = window.face_panel
    qtbot.waitUntil(face.source.choose.isEnabled, timeout=10000)
    choose_file(monkeypatch, write_picture(tmp_path / "astronaut.png", astronaut()))
    face.source.choose.click()
    qtbot.waitUntil(lambda: thumb_size(window) != (0, 0), timeout=20000)
    first = face.source.thumb.pixmap().toImage()

    grey = np.full((240, 320, 3), 128, np.uint8)
    choose_file(monkeypatch, write_picture(tmp_path / "grey.png", grey))
    qtbot.waitUntil(face.source.choose.isEnabled, timeout=5000)
    face.source.choose.click()
    qtbot.waitUntil(lambda: "no face found" in face.source.message.text(), timeout=10000)
    assert "422" not in face.source.message.text() and "http" not in face.source.message.text()
    wait_refreshes(qtbot, window)  # a few refreshes later the previous face is still shown
    assert face.source.thumb.pixmap().toImage() == first
    assert "astronaut.png" in face.source.name.text()
    assert face_status(be)["source"]["name"] == "astronaut.png"

    pair = np.hstack([astronaut(), astronaut()[:, ::-1]])
    choose_file(monkeypatch, write_picture(tmp_path / "pair.png", pair))
    face.source.choose.click()  # several faces: a button each ("Face 1", ...) to pick the rightmost
    qtbot.waitUntil(lambda: len(face.source.picker.buttons) >= 2, timeout=20000)
    rightmost = len(face.source.picker.buttons) - 1
    qtbot.waitUntil(face.source.picker.buttons[rightmost].isEnabled, timeout=5000)
    face.source.picker.buttons[rightmost].click()
    qtbot.waitUntil(lambda: "pair.png" in face.source.name.text(), timeout=20000)
    source = face_status(be)["source"]
    assert source["name"] == "pair.png" and source["face_index"] == rightmost
    assert f"face {rightmost + 1} of {source['faces_found']}" in face.source.name.text()  # from 1
    assert face.source.thumb.pixmap().toImage() != first
    assert face.source.message.text() == ""
