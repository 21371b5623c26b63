"""The Background panel (pytest-qt, offscreen) on a real backend process with the real person
segmentation model: the mode, the blur amount, a colour from the dialog or the green screen, a
picture from the media folder, its cost per frame once frames go out; a refused change said;
and, without the model files, the reason with the fetch command and the controls disabled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import pytest
import requests

pytest.importorskip("PyQt5")

from ar_backend.config import FaceConfig
from ar_backend.face.detect import person
from ar_backend.face.detect.base import model_files
from tests.background.conftest import backdrop_picture, portrait
from tests.conftest import require_or_skip

pytestmark = pytest.mark.slow

WIDTH = 460  # about the window's left column


@pytest.fixture
def backend(spawn, tmp_path: Path):  # type: ignore[no-untyped-def]
    files = model_files(FaceConfig())
    problem = files.problem(person.FILES)
    if problem:
        require_or_skip(problem)
    media = tmp_path / "media"
    media.mkdir()
    cv2.imwrite(str(media / "me.png"), portrait())
    backdrop_picture(media / "rocket.jpg")
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        "monitor: {enabled: false}\naudio: {input_device: no-such-mic}\n"
        f"face: {{sources_dir: {tmp_path / 'faces'}, models_dir: {files.models_dir}, "
        f"state_dir: {tmp_path / 'state'}}}\n"
        f"media: {{folders: [{media}]}}\n"
        f"jobs: {{outputs_dir: {tmp_path / 'outputs'}, data_dir: {tmp_path / 'jobs'}}}\n"
    )
    return spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")


def make_panel(qtbot, url: str):  # type: ignore[no-untyped-def]
    from user_gui.app.background_panel import BackgroundPanel
    from user_gui.services.clients import ARBackendClient

    panel = BackgroundPanel(ARBackendClient(url, timeout=5, retries=0))
    qtbot.addWidget(panel)
    panel.resize(WIDTH, panel.heightForWidth(WIDTH))
    panel.show()
    panel.set_backend_ok(True)
    refresh(panel)
    return panel


def refresh(panel) -> None:  # type: ignore[no-untyped-def]
    """One of the window's refreshes: GET /background shown (read here, in the test)."""
    panel.show_status(panel.backend.background_status(), panel.changes)


def setting(backend) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return requests.get(backend.url + "/background", timeout=5).json()


def choose(qtbot, panel, mode: str) -> None:  # type: ignore[no-untyped-def]
    """The person picks ``mode`` in the drop-down."""
    index = panel.mode.findData(mode)
    panel.mode.setCurrentIndex(index)
    panel.mode.activated.emit(index)


def test_the_person_picks_blur_a_colour_and_a_picture(qtbot, backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtGui import QColor

    panel = make_panel(qtbot, backend.url)
    assert panel.mode.currentData() == "off" and panel.mode.isEnabled()
    assert not panel.blur_row.isVisible() and not panel.picture_row.isVisible()

    choose(qtbot, panel, "blur")
    qtbot.waitUntil(lambda: setting(backend)["mode"] == "blur", timeout=30000)
    assert panel.blur_row.isVisible()
    panel.blur.setValue(80)  # dragged: sent once it rests
    qtbot.waitUntil(lambda: setting(backend)["blur"] == 0.8, timeout=30000)

    panel.choose_colour()  # the dialog (not modal); the person picks red
    assert panel.colour_dialog is not None and panel.colour_dialog.isVisible()
    panel.colour_dialog.colorSelected.emit(QColor("#ff0000"))
    panel.colour_dialog.close()
    qtbot.waitUntil(lambda: setting(backend)["color"] == "#ff0000", timeout=30000)
    assert setting(backend)["mode"] == "color"
    qtbot.waitUntil(lambda: panel.colour.text() == "#ff0000", timeout=30000)
    qtbot.waitUntil(lambda: not panel.busy, timeout=30000)
    panel.green.click()
    qtbot.waitUntil(lambda: setting(backend)["color"] == "#00b140", timeout=30000)

    qtbot.waitUntil(lambda: not panel.busy, timeout=30000)
    choose(qtbot, panel, "image")  # the media folder's pictures are listed, the first used
    qtbot.waitUntil(lambda: setting(backend)["mode"] == "image", timeout=30000)
    names = [panel.picture.itemText(i) for i in range(panel.picture.count())]
    assert names == ["me.png", "rocket.jpg"]
    assert panel.picture_row.isVisible() and setting(backend)["image"] == "me.png"
    qtbot.waitUntil(lambda: not panel.busy, timeout=30000)
    panel.picture.setCurrentIndex(1)
    panel.picture.activated.emit(1)
    qtbot.waitUntil(lambda: setting(backend)["image"] == "rocket.jpg", timeout=30000)

    # frames go out: its cost per frame is shown
    r = requests.post(backend.url + "/camera/start", json={"source": "image:me.png"}, timeout=15)
    assert r.status_code == 200, r.text
    qtbot.waitUntil(lambda: setting(backend)["ms"] is not None, timeout=30000)
    qtbot.waitUntil(lambda: not panel.busy, timeout=30000)
    refresh(panel)
    assert "ms per frame" in panel.state.text(), panel.state.text()
    panel.resize(WIDTH, panel.heightForWidth(WIDTH))
    qtbot.wait(50)
    assert panel.grab().save(str(tmp_path / "background_panel.png"))

    # a picture that went away: refused, said, and the backend's setting stands
    (tmp_path / "media" / "me.png").unlink()
    panel.picture.setCurrentIndex(0)
    panel.picture.activated.emit(0)
    qtbot.waitUntil(lambda: "Not changed" in panel.state.text(), timeout=30000)
    assert panel.state.error and "me.png" in panel.state.full_text
    assert setting(backend)["image"] == "rocket.jpg"


def test_without_the_model_the_reason_is_shown_and_the_controls_wait(
    qtbot, spawn, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        "monitor: {enabled: false}\naudio: {input_device: no-such-mic}\n"
        f"face: {{sources_dir: {tmp_path / 'faces'}, models_dir: {tmp_path / 'models'}}}\n"
    )
    backend = spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")
    panel = make_panel(qtbot, backend.url)
    assert not panel.mode.isEnabled()
    assert panel.state.error and "Cannot run here" in panel.state.text()
    assert "python -m ar_backend.weights fetch" in panel.state.full_text


def test_the_files_tab_sends_the_studios_background_or_none(qtbot, backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A job added in the Files tab paints the studio's background by default; "Left as it
    is" sends none."""
    from ar_backend.face import samples
    from user_gui.app.files_panel import FilesPanel
    from user_gui.services.clients import ARBackendClient

    assert requests.post(backend.url + "/background", json={"mode": "blur"}, timeout=30).ok
    files = FilesPanel(ARBackendClient(backend.url, timeout=10, retries=0))
    qtbot.addWidget(files)
    files.set_backend_ok(True)
    face = tmp_path / "face.png"
    face.write_bytes(samples.encode(samples.group(), ".png"))
    files.form.set_face_picture(str(face))
    picture = tmp_path / "shot.png"
    cv2.imwrite(str(picture), portrait())

    def jobs() -> list[dict[str, Any]]:
        return requests.get(backend.url + "/jobs", timeout=5).json()["jobs"]

    files.add_files([str(picture)])
    qtbot.waitUntil(lambda: len(jobs()) == 1, timeout=30000)
    assert jobs()[0]["background"]["mode"] == "blur"  # as in the studio
    files.form.background.setCurrentIndex(files.form.background.findData("off"))
    files.add_files([str(picture)])
    qtbot.waitUntil(lambda: len(jobs()) == 2, timeout=30000)
    assert jobs()[0]["background"]["mode"] == "off"  # (newest first)
    files.stop()
