"""The Face panel (pytest-qt, offscreen) on a real backend process: a group photo's faces to
click, the big swap toggle, first-run guidance, messages that never widen the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

pytest.importorskip("PyQt5")

from user_gui.app import i18n

WIDTH = 460  # about the window's left column


@pytest.fixture
def backend(spawn, tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        "monitor: {enabled: false}\naudio: {input_device: no-such-mic}\n"
        f"face: {{sources_dir: {tmp_path / 'faces'}, models_dir: {tmp_path / 'models'}}}\n"
    )
    return spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")


def make_panel(qtbot, url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from PyQt5.QtCore import QSettings

    from user_gui.app.face.panel import FacePanel
    from user_gui.services.clients import ARBackendClient

    panel = FacePanel(
        ARBackendClient(url, timeout=2, retries=0),
        QSettings(str(tmp_path / "gui.ini"), QSettings.IniFormat),
    )
    qtbot.addWidget(panel)
    fit(panel)
    panel.show()
    return panel


def fit(panel) -> None:  # type: ignore[no-untyped-def]
    """The panel at WIDTH px and as tall as its wrapped texts need (a top-level widget does
    not grow for height-for-width by itself; the window's scroll area does)."""
    panel.resize(WIDTH, panel.heightForWidth(WIDTH))


@pytest.fixture
def panel(qtbot, backend, tmp_path: Path):  # type: ignore[no-untyped-def]
    panel = make_panel(qtbot, backend.url, tmp_path)
    panel.set_backend_ok(True)  # what the window's refresh says once the backend answers
    panel.load_engines()
    qtbot.waitUntil(lambda: panel.engines.engine.count() == 3, timeout=10000)
    return panel


def write_sample(path: Path, which: str) -> Path:
    from ar_backend.face import samples

    path.write_bytes(samples.encode(getattr(samples, which)(), path.suffix))
    return path


def choose_file(monkeypatch, path: Path) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtWidgets import QFileDialog

    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(path), ""))
    )


def face_status(backend) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return requests.get(backend.url + "/face/status", timeout=5).json()


def refresh(panel) -> None:  # type: ignore[no-untyped-def]
    """One of the window's refreshes: GET /face/status shown (read here, in the test)."""
    panel.show_status(panel.backend.face_status(), panel.changes)


def icons_shown(panel) -> bool:  # type: ignore[no-untyped-def]
    buttons = panel.source.picker.buttons
    return bool(buttons) and all(not b.icon().isNull() for b in buttons)


@pytest.mark.slow
def test_a_group_photo_offers_its_faces_to_click(
    qtbot, panel, backend, tmp_path, monkeypatch
) -> None:
    group = write_sample(tmp_path / "group.jpg", "group")
    choose_file(monkeypatch, group)
    assert panel.source.guidance.isVisible() and not panel.source.picker.isVisible()
    panel.source.choose.click()
    from user_gui.app.face.picker import FACE_SIDE

    qtbot.waitUntil(lambda: icons_shown(panel), timeout=30000)  # the backend finds 6 first
    buttons = panel.source.picker.buttons
    assert [b.text() for b in buttons] == [f"Face {n}" for n in range(1, 7)]
    assert (
        panel.source.picker.isVisible()
        and "6 faces in group.jpg" in panel.source.picker.title.text()
    )
    for b in buttons:  # each a face cut out of the local file, FACE_SIDE px on its longer side
        size = b.icon().availableSizes()[0]
        assert max(size.width(), size.height()) == FACE_SIDE and min(size.width(), size.height())
    assert not any(b.isChecked() for b in buttons)
    assert face_status(backend)["source"]["loaded"] is False  # nothing loaded until a click
    assert panel.source.message.text() == ""

    fit(panel)
    qtbot.wait(50)
    assert panel.grab().save(str(tmp_path / "face_panel.png"))  # it renders

    third = next(b for b in buttons if b.text() == "Face 3")
    qtbot.waitUntil(third.isEnabled, timeout=5000)
    third.click()
    qtbot.waitUntil(lambda: face_status(backend)["source"]["loaded"], timeout=30000)
    source = face_status(backend)["source"]
    assert source["name"] == "group.jpg" and source["face_index"] == 2  # the API's, from 0
    assert source["faces_found"] == 6
    qtbot.waitUntil(lambda: "face 3 of 6" in panel.source.name.text(), timeout=5000)
    assert "group.jpg" in panel.source.name.text()
    assert [b.isChecked() for b in panel.source.picker.buttons] == [i == 2 for i in range(6)]
    assert panel.is_loaded and not panel.source.guidance.isVisible()
    refresh(panel)  # the backend's truth says the same
    assert "face 3 of 6" in panel.source.name.text()
    assert panel.source.picker.buttons[2].isChecked()

    i18n.set_language("zh_CN")  # the picker and the choice re-labelled at once
    assert [b.text() for b in panel.source.picker.buttons] == [f"人脸 {n}" for n in range(1, 7)]
    assert "第 3 张，共 6 张" in panel.source.name.text()  # noqa: RUF001
    i18n.set_language("en")

    panel.source.picker.close_button.click()  # the row goes, the face stays
    assert not panel.source.picker.isVisible() and panel.source.picker.buttons == []
    assert face_status(backend)["source"]["face_index"] == 2
    assert panel.source.message.text() == ""


@pytest.mark.slow
def test_the_swap_toggle_follows_the_backend(qtbot, panel, backend, tmp_path) -> None:
    from PyQt5.QtCore import QPoint

    swap = panel.source.swap
    assert swap.objectName() == "swapToggle" and swap.isCheckable()
    assert swap.height() >= 44
    assert not swap.isEnabled() and swap.text() == "SWAP OFF"  # no face yet
    panel.toggle_swap()  # disabled: nothing happens, nothing is asked
    assert not swap.isChecked() and face_status(backend)["enabled"] is False

    steps: list[str] = []
    panel.next_step_changed.connect(steps.append)
    assert panel.next_step() == "camera"
    panel.set_camera_running(True)
    assert panel.next_step() == "face" and steps == ["face"]
    assert "choose a photo of the face to wear" in panel.source.guidance.text()

    panel.source.upload(str(write_sample(tmp_path / "astronaut.png", "astronaut")))
    qtbot.waitUntil(lambda: panel.is_loaded and swap.isEnabled(), timeout=30000)
    assert (
        "astronaut.png" in panel.source.name.text() and "face 1 of" not in panel.source.name.text()
    )
    assert panel.next_step() == "swap" and steps[-1] == "swap"
    assert not panel.source.guidance.isVisible()
    off_colour = swap.grab().toImage().pixelColor(QPoint(8, swap.height() // 2))

    with qtbot.waitSignal(panel.swap_changed, timeout=10000) as changed:
        panel.toggle_swap()  # the hotkey's slot
    assert changed.args == [True]
    assert face_status(backend)["enabled"] is True
    assert swap.isChecked() and swap.text() == "SWAP ON"
    assert panel.swap_on and panel.next_step() == "output"
    assert "swap on" in panel.engines.state.text()
    on_colour = swap.grab().toImage().pixelColor(QPoint(8, swap.height() // 2))
    assert on_colour.green() > on_colour.red() + 40 and on_colour.green() > on_colour.blue() + 40
    assert off_colour.green() < 80 and off_colour.value() < 80  # dark grey when off

    requests.post(backend.url + "/face/stop", json={}, timeout=5).raise_for_status()
    refresh(panel)  # switched off elsewhere: the toggle follows
    assert not swap.isChecked() and swap.text() == "SWAP OFF" and not panel.swap_on
    assert panel.next_step() == "swap"

    qtbot.waitUntil(swap.isEnabled, timeout=5000)
    swap.click()  # clicked like a button, too
    qtbot.waitUntil(lambda: face_status(backend)["enabled"] is True, timeout=10000)
    qtbot.waitUntil(lambda: swap.isEnabled() and swap.text() == "SWAP ON", timeout=5000)
    panel.toggle_swap()
    qtbot.waitUntil(lambda: face_status(backend)["enabled"] is False, timeout=10000)
    qtbot.waitUntil(lambda: swap.isEnabled() and not swap.isChecked(), timeout=5000)


def test_a_long_message_wraps_and_keeps_the_panel_narrow(qtbot, tmp_path) -> None:
    panel = make_panel(qtbot, "http://127.0.0.1:9", tmp_path)  # fails before any request
    qtbot.wait(50)
    before = panel.minimumSizeHint().width()
    assert before < 360

    # a file that is not there, its name a 400-character run without a space
    missing = tmp_path / ("x" * 200) / ("y" * 200 + ".png")
    panel.source.upload(str(missing))
    qtbot.waitUntil(lambda: "No such file" in panel.source.message.toolTip(), timeout=5000)
    full = panel.source.message.toolTip()
    assert len(full) > 400 and str(missing) in full  # the whole text, as the tooltip
    shown = panel.source.message.text().replace("\u200b", "")
    assert len(shown) <= 300 and shown.endswith("…")
    assert panel.source.message.wordWrap()

    panel.show_status(None, error="the backend said something long " * 12)  # 300+ chars
    assert panel.engines.state.wordWrap() and len(panel.engines.state.toolTip()) > 300
    fit(panel)
    qtbot.wait(50)
    assert panel.minimumSizeHint().width() < 360
    assert panel.minimumSizeHint().width() == before
    assert panel.width() == WIDTH
