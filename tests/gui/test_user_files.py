"""The person's own files (issue 25, item 13): every file dialog opens in their Videos or
Pictures folder (then where they last chose a file), never in the studio's checkout; an output
no program can open is said, not dropped. No service runs here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PyQt5")

NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """A home with its own Videos and Pictures folders (the XDG defaults), and settings."""
    from PyQt5.QtCore import QSettings

    home = tmp_path / "home"
    for folder in ("Videos", "Pictures"):
        (home / folder).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    return home


class Dialogs:
    """QFileDialog's static calls, answered with ``answer`` and recorded (title, folder)."""

    def __init__(self, monkeypatch, answer: str) -> None:  # type: ignore[no-untyped-def]
        from PyQt5.QtWidgets import QFileDialog

        self.asked: list[tuple[str, str]] = []
        self.answer = answer

        def one(_parent: Any, title: str, folder: str, _filter: str = "") -> tuple[str, str]:
            self.asked.append((title, folder))
            return self.answer, ""

        def many(_parent: Any, title: str, folder: str, _filter: str = "") -> tuple[list, str]:
            self.asked.append((title, folder))
            return [self.answer], ""

        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(one))
        monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(many))

    @property
    def folder(self) -> str:
        return self.asked[-1][1]


def test_file_dialogs_open_in_videos_and_pictures_then_where_the_person_was(
    qtbot, home: Path, tmp_path: Path, monkeypatch
) -> None:
    from PyQt5.QtCore import QSettings

    from user_gui.app.camera_panel import CameraPanel
    from user_gui.app.face.calls import FaceCalls
    from user_gui.app.face.source import SourcePanel
    from user_gui.app.files_panel import FilesPanel
    from user_gui.services.clients import ARBackendClient

    backend = ARBackendClient(NOWHERE, timeout=1, retries=0)
    settings = QSettings("AR Live Studio", "user_gui")
    elsewhere = tmp_path / "shoot" / "day1"
    elsewhere.mkdir(parents=True)
    dialogs = Dialogs(monkeypatch, str(elsewhere / "clip.mp4"))
    camera = CameraPanel(backend, settings)
    files = FilesPanel(backend)
    source = SourcePanel(FaceCalls(backend), settings)
    for widget in (camera, files, source):
        qtbot.addWidget(widget)

    camera.choose_file()
    assert dialogs.folder == str(home / "Videos")
    files.choose_files()
    assert dialogs.folder == str(elsewhere)  # where a video was just chosen
    files.form.use_picture.setChecked(True)  # asks for the picture
    assert dialogs.folder == str(home / "Pictures")
    dialogs.answer = str(elsewhere / "face.png")
    source.choose_face()
    assert dialogs.folder == str(elsewhere)  # the job's picture came from there
    assert str(Path.cwd()) not in [folder for _title, folder in dialogs.asked]
    qtbot.waitUntil(lambda: source.message.full_text != "", timeout=5000)  # (nowhere to send)
    files.stop()


def test_an_output_no_program_opens_is_said(qtbot, home: Path, tmp_path: Path, monkeypatch) -> None:
    from PyQt5.QtGui import QDesktopServices

    from shared.wire.backend import JobOut
    from user_gui.app.files_panel import FilesPanel
    from user_gui.services.clients import ARBackendClient

    output = tmp_path / "outputs" / "clip_swapped.mp4"
    output.parent.mkdir()
    output.write_bytes(b"\0" * 64)
    asked: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", staticmethod(lambda url: asked.append(url) and False)
    )
    panel = FilesPanel(ARBackendClient(NOWHERE, timeout=1, retries=0))
    qtbot.addWidget(panel)
    job = JobOut.model_validate(
        {
            "id": "j1",
            "state": "done",
            "input": "clip.mp4",
            "kind": "video",
            "face": {"kind": "loaded", "name": "me.png"},
            "engine": "classic",
            "options": {},
            "quality": 20,
            "output": output.name,
            "output_path": str(output),
            "created_at": "2026-01-01T10:00:00Z",
            "progress": {"frames_done": 10, "frames_total": 10},
        }
    )
    panel.show_jobs([job])
    row = panel.rows["j1"]
    row.open_file.click()
    assert len(asked) == 1
    said = panel.message.full_text
    assert said == f"No program here opens clip_swapped.mp4: it is in {output.parent}"
    assert panel.message.error and panel.message.isVisibleTo(panel)
    row.open_folder.click()
    assert panel.message.full_text.startswith("No program here opens folders")
    panel.stop()
