"""The Camera group: the source (demo, auto, a camera by name, a file of the media folder, a
URL, or a file of the person's uploaded with "File…"), Start and Stop, and a line saying why
the camera is not running. It shows the backend's camera state on every refresh; every call
runs on the pool."""

from __future__ import annotations

import logging
from typing import Any

from PyQt5.QtCore import QSettings, pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.http import HttpError
from shared.wire.backend import CameraAccess, CameraStatus
from user_gui.app.fix_box import FixBox
from user_gui.app.i18n import field_message, tr
from user_gui.app.user_files import dialog_folder, remember_folder
from user_gui.app.widgets import MessageLabel, Text, on_language_change
from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)
MEDIA_FILTER = (
    "Video or picture (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.jpg *.jpeg *.png *.bmp *.webp)"
)


class CameraPanel(QGroupBox):
    """The camera's source, Start and Stop."""

    started = pyqtSignal(object)  # the CameraStatus of a start asked for here
    stopped = pyqtSignal()  # a stop asked for here was done

    def __init__(
        self, backend: ARBackendClient, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(tr("Camera"), parent)
        self.backend = backend
        self.settings = settings
        self._backend_ok = False
        self._backend_message = False  # the reason line holds the backend's state
        self._running_source: str | None = None  # the source the backend said it runs
        self._build()

    def _build(self) -> None:
        col = QVBoxLayout(self)
        row = QHBoxLayout()
        self.source = QComboBox(self)
        self.source.setEditable(True)
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
        self.source.setMinimumContentsLength(10)
        self.source.setToolTip(
            tr("A camera, a video or picture file in the media folder, or a URL")
        )
        self.fill_sources([], [])
        # the last source accepted, as its value: its item shows in the window's language
        self.show_source(str(self.settings.value("source", "demo") or "demo"))
        self.open_file = QPushButton(tr("File…"), self)
        self.open_file.setToolTip(tr("Play a video or picture file as the camera"))
        self.open_file.clicked.connect(self.choose_file)
        row.addWidget(self.source, 1)
        row.addWidget(self.open_file)
        col.addLayout(row)
        row = QHBoxLayout()
        self.start_button = QPushButton(tr("Start"), self)
        self.stop_button = QPushButton(tr("Stop"), self)
        self.start_button.clicked.connect(self.start_camera)
        self.stop_button.clicked.connect(self.stop_camera)
        row.addWidget(self.start_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        col.addLayout(row)
        self.reason = MessageLabel("", self)
        col.addWidget(self.reason)
        self.access_fix = FixBox(self)  # a camera there that this user may not open yet
        col.addWidget(self.access_fix)
        on_language_change(self, self._relabel)

    def _relabel(self) -> None:
        self.setTitle(tr("Camera"))
        self.source.setToolTip(
            tr("A camera, a video or picture file in the media folder, or a URL")
        )
        self.open_file.setText(tr("File…"))
        self.open_file.setToolTip(tr("Play a video or picture file as the camera"))
        self.start_button.setText(tr("Start"))
        self.stop_button.setText(tr("Stop"))
        for value, text in self._built_in().items():
            index = self.source.findData(value)
            if index >= 0:
                self.source.setItemText(index, text)

    @staticmethod
    def _built_in() -> dict[str, str]:
        return {
            "demo": tr("demo (built-in test picture)"),
            "auto": tr("auto (the first camera that opens)"),
        }

    def say(self, text: Text, error: bool = False) -> None:
        """A line under the buttons (why the camera is not running, or what goes on)."""
        self.reason.show_message(text, error)

    # ---- the backend's state ---------------------------------------------------------------

    def set_backend_ok(self, ok: bool, reason: Text = "") -> None:
        was = self._backend_ok
        self._backend_ok = ok
        for w in (self.start_button, self.stop_button, self.source, self.open_file):
            w.setEnabled(ok)
        if not ok:
            self.say(reason, error=True)
            self._backend_message = True
        elif self._backend_message:  # the backend is back: its "offline" goes
            self.say("")
            self._backend_message = False
        if ok and not was:
            self.load_sources()
        if not ok:  # whatever runs once it is back (a restart, another client) is shown
            self._running_source = None
            self.access_fix.clear()

    def show_access(self, access: CameraAccess | None) -> None:
        """A camera device that is there but this user may not open (not in its group): what
        to do in a person's words, the command with Copy, the backend's words in the
        tooltip; nothing once it may be opened."""
        if access is None:
            self.access_fix.clear()
            return
        device = access.device
        self.access_fix.show_fix(
            lambda: tr(
                "The camera {device} is there, but you may not use it yet. Run this command "
                "once, then log out and back in.",
                device=device,
            ),
            access.fix_command,
            lambda: field_message(access, "message"),
        )

    def show_status(self, camera: CameraStatus | None, error: str, running: bool) -> None:
        """One refresh's ``GET /camera/status`` (None: not read, ``error`` says why). The
        source box follows the source the backend runs when that changes (a restart that
        runs another one, another client), never what the person is typing meanwhile."""
        if error:  # shown until a refresh reads it again
            self.say(tr("camera status unavailable: {error}", error=error), error=True)
        if camera is not None and camera.error and not running:
            self.say(field_message(camera, "error"), error=True)
        source = camera.source if running and camera is not None else None
        if source and source != self._running_source:
            self._running_source = source
            self.show_source(source)

    def show_source(self, source: str) -> None:
        """``source`` in the box: its item when listed, else as text."""
        if self.selected_source() == source:
            return
        index = self.source.findData(source)
        if index >= 0:
            self.source.setCurrentIndex(index)
        else:
            self.source.setCurrentText(source)
        log.info("camera source shown as the backend runs it: %s", source)

    # ---- sources ---------------------------------------------------------------------------

    def fill_sources(self, cameras: list[Any], files: list[Any]) -> None:
        """demo, auto, the cameras by name, the media folder's files (the typed text stays)."""
        typed = self.source.currentText()
        self.source.blockSignals(True)
        self.source.clear()
        for value, text in self._built_in().items():
            self.source.addItem(text, value)
        for cam in cameras:
            info = cam if isinstance(cam, dict) else cam.model_dump()
            if info.get("virtual"):
                continue  # our own output: not an input
            name = info.get("name") or f"Camera {info.get('index')}"
            self.source.addItem(f"{name} (#{info.get('index')})", str(info.get("index")))
        for f in files:
            info = f if isinstance(f, dict) else f.model_dump()
            self.source.addItem(str(info.get("name")), str(info.get("source") or info.get("name")))
        self.source.blockSignals(False)
        self.source.setCurrentText(typed)

    def load_sources(self) -> None:
        def work() -> tuple[list[Any], list[Any]]:
            cameras: list[Any] = []
            files: list[Any] = []
            try:
                cameras = list(self.backend.camera_devices_named())
            except HttpError as exc:
                log.info("cameras not listed: %s", exc)
            try:
                files = list(self.backend.media_files().files)
            except HttpError as exc:
                log.info("media files not listed: %s", exc)
            return cameras, files

        run_async(work, lambda found: self.fill_sources(*found))

    def selected_source(self) -> str | None:
        """What to send as the camera source: an item's value, or the text as typed."""
        text = self.source.currentText().strip()
        index = self.source.findText(text)
        if index >= 0 and self.source.itemData(index) is not None:
            return str(self.source.itemData(index))
        return text or None

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            tr("Play a file as the camera"),
            dialog_folder("videos", self.settings),
            tr(MEDIA_FILTER),
        )
        if not path:
            return
        remember_folder("videos", path, self.settings)
        self.say(tr("Uploading {name}…", name=path))

        def done(answer: Any) -> None:
            source = getattr(answer, "source", None) or getattr(answer, "name", "")
            if self.source.findData(source) < 0:
                self.source.addItem(str(getattr(answer, "name", source)), source)
            self.source.setCurrentIndex(self.source.findData(source))
            self.say("")
            self.start_camera()

        def failed(msg: str) -> None:
            self.say(tr("File not used: {error}", error=msg), error=True)

        run_async(lambda: self.backend.upload_media(path), done, failed)

    # ---- start and stop --------------------------------------------------------------------

    def start_camera(self) -> None:
        source = self.selected_source()
        self.start_button.setEnabled(False)
        self.say("")
        run_async(
            lambda: self.backend.start_camera(source=source), self._on_started, self._on_failed
        )

    def _on_failed(self, msg: str) -> None:
        log.warning("camera did not start: %s", msg)
        self.say(tr("Camera did not start: {error}", error=msg), error=True)
        self.start_button.setEnabled(self._backend_ok)

    def _on_started(self, status: CameraStatus) -> None:
        log.info("camera %s: %s", status.state, status.source)
        self.settings.setValue("source", self.selected_source() or "")  # it was accepted
        self.start_button.setEnabled(True)
        self._running_source = status.source
        self.started.emit(status)

    def stop_camera(self) -> None:
        run_async(
            self.backend.stop_camera,
            lambda _s: self.stopped.emit(),
            lambda msg: log.warning("camera did not stop: %s", msg),
        )
