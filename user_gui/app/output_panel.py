"""The output panel: the virtual camera and recording toggles (in the manner of OBS: a red REC
with its timer, the file, "Open folder"), the virtual camera's device, a snapshot button, and
when an output is unavailable a wrapped message with the exact command to copy.

It shows the backend's state (``show_outputs`` on every refresh), never its own remembered
copy; every call runs on the pool (``run_async``)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QTimer, QUrl, pyqtSignal
from PyQt5.QtGui import QDesktopServices
from PyQt5.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import OutputsStatus, RecordingStatus, VirtualCameraStatus
from user_gui.app.fix_box import FixBox
from user_gui.app.i18n import field_message, tr
from user_gui.app.user_files import user_folder
from user_gui.app.widgets import MessageLabel, Text
from user_gui.app.workers import human_message, run_async
from user_gui.services.clients import ARBackendClient, BackendError

log = logging.getLogger(__name__)
TOGGLE_STYLE = (
    "QPushButton{padding:6px 10px;font-weight:600;}"
    "QPushButton:checked{background:#c62828;color:white;border:1px solid #8e1b1b;}"
)
VCAM_STYLE = (
    "QPushButton{padding:6px 10px;font-weight:600;}"
    "QPushButton:checked{background:#1f7a4d;color:white;border:1px solid #145233;}"
)


def clock(seconds: float) -> str:
    """H:MM:SS, or M:SS under an hour."""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def vcam_details(vc: VirtualCameraStatus) -> str:
    """What the backend said about the virtual camera, for the tooltip: its sentence (in the
    window's language) and the library's own words."""
    said = field_message(vc, "error")
    detail = getattr(vc, "error_detail", None)
    return f"{said}\n{detail}" if isinstance(detail, str) and detail else said


@dataclass(frozen=True)
class VcamRefused:
    """The backend could not start the virtual camera: its sentence (in the window's
    language) and message key, the command that makes the device (if there is one), and the
    details for the tooltip."""

    said: str
    key: str | None
    command: str | None
    details: str


class OutputPanel(QGroupBox):
    """Virtual camera, recording, snapshot."""

    message = pyqtSignal(str)  # something the person should read (also logged)
    rec_changed = pyqtSignal(str)  # "● REC 0:12" while recording (every tick), "" once not

    def __init__(self, backend: ARBackendClient, parent: QWidget | None = None) -> None:
        super().__init__(tr("Output"), parent)
        self.backend = backend
        self._backend_ok = False
        self._busy = 0
        self._rec_started: float | None = None  # the backend's clock: started_at
        self._rec_offset = 0.0  # backend time - our time, from the last status
        self.folder: str | None = None  # where recordings go (the backend's folder)
        self.snapshot_dir = user_folder("pictures") / "AR Live Studio"
        self.last_snapshot: Path | None = None
        self._build()
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._show_timer)

    def _build(self) -> None:
        col = QVBoxLayout(self)
        row = QHBoxLayout()
        self.vcam = QPushButton(tr("Virtual camera"))
        self.vcam.setCheckable(True)
        self.vcam.setStyleSheet(VCAM_STYLE)
        self.vcam.setToolTip(
            tr("Send the output to a virtual camera OBS, Zoom or a browser can use")
        )
        self.vcam.clicked.connect(lambda on: self.set_vcam(on))
        self.record = QPushButton(tr("Record"))
        self.record.setCheckable(True)
        self.record.setStyleSheet(TOGGLE_STYLE)
        self.record.clicked.connect(lambda on: self.set_recording(on))
        self.snapshot = QPushButton(tr("Snapshot"))
        self.snapshot.setToolTip(tr("Save the current output frame as a JPEG picture"))
        self.snapshot.clicked.connect(self.take_snapshot)
        for w in (self.vcam, self.record, self.snapshot):
            row.addWidget(w)
        col.addLayout(row)

        self.vcam_state = MessageLabel()
        col.addWidget(self.vcam_state)
        self.vcam_fix = FixBox(self)  # no device: what to do, the command, Copy
        col.addWidget(self.vcam_fix)

        rec = QHBoxLayout()
        self.rec_light = QLabel("")
        self.rec_light.setStyleSheet("color:#e5484d;font-weight:700;")
        self.open_folder = QPushButton(tr("Open folder"))
        self.open_folder.clicked.connect(self.show_folder)
        self.open_folder.setEnabled(False)
        rec.addWidget(self.rec_light)
        rec.addStretch(1)
        rec.addWidget(self.open_folder)
        col.addLayout(rec)
        self.rec_file = MessageLabel()  # on a line of its own: a long name wraps, never cut
        col.addWidget(self.rec_file)
        self.note = MessageLabel()
        col.addWidget(self.note)

    # ---- what the backend says -------------------------------------------------------------

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        self._backend_ok = ok
        for w in (self.vcam, self.record, self.snapshot):
            w.setEnabled(ok and not self._busy)
        if not ok:
            self._tick.stop()
            self._set_rec("")
            self.vcam_state.show_message(tr("backend {state}", state=reason) if reason else "")

    def show_outputs(self, outputs: OutputsStatus | None) -> None:
        """The backend's outputs, as read by the window's refresh."""
        if outputs is None or self._busy:
            return  # a toggle under way: its own answer comes next
        self._show_vcam(outputs.virtual_camera)
        self._show_recording(outputs.recording)

    def _show_vcam(self, vc: VirtualCameraStatus) -> None:
        self.vcam.setChecked(vc.active)
        device = getattr(vc, "device", None)
        if vc.active:
            self.vcam.setText(tr("Virtual camera: on"))
            self.vcam_state.show_message(
                tr("Sending to {device}", device=device) if device else tr("Sending")
            )
            self.vcam_fix.clear()
            return
        self.vcam.setText(tr("Virtual camera"))
        self.vcam_state.show_message("")
        if vc.error:
            command = getattr(vc, "setup_command", None)
            key = getattr(vc, "error_key", None)
            self._show_vcam_problem(
                lambda: field_message(vc, "error"), key, command, lambda: vcam_details(vc)
            )
        else:
            self.vcam_fix.clear()

    def _show_vcam_problem(
        self, said: Text, key: str | None, command: str | None, details: Text
    ) -> None:
        """Why the virtual camera is off, once, in a person's words (``said``: the backend's
        sentence, ``key`` its message key), the library's words in the tooltip, and the
        command that fixes it, whole, with Copy."""
        sentence = said
        if key == "vcam.no_device" and command:  # the command is in the box, not the sentence
            sentence = lambda: tr(  # noqa: E731 - said again in a new language
                "There is no virtual camera on this computer yet. Run this command once in a "
                "terminal (it asks for your password), then turn the virtual camera on again."
            )
        self.vcam_fix.show_fix(sentence, command, details)

    def _show_recording(self, rec: RecordingStatus) -> None:
        self.record.setChecked(rec.active)
        folder = getattr(rec, "folder", None)
        if folder:
            self.folder = folder
        self.open_folder.setEnabled(bool(self.folder))
        if rec.active:
            started = getattr(rec, "started_at", None)
            seconds = getattr(rec, "seconds", None)
            if seconds is not None:
                self._rec_started = time.time() - float(seconds)
            elif started is not None:
                self._rec_started = float(started)
            else:
                self._rec_started = self._rec_started or time.time()
            self.record.setText(tr("Stop recording"))
            self.rec_file.show_message(rec.file or "")
            self._tick.start()
            self._show_timer()
        else:
            self._tick.stop()
            self._rec_started = None
            self._set_rec("")
            self.record.setText(tr("Record"))
            last = getattr(rec, "last_file", None)
            self.rec_file.show_message(tr("Saved {file}", file=last) if last else "")
        if rec.error:
            self.note.show_message(lambda: field_message(rec, "error"), error=True)

    def _set_rec(self, text: str) -> None:
        if text != self.rec_light.text():
            self.rec_light.setText(text)
            self.rec_changed.emit(text)

    @property
    def recording_file(self) -> str:
        """The file being recorded ("" when not recording)."""
        return self.rec_file.full_text if self.record.isChecked() else ""

    def _show_timer(self) -> None:
        if self._rec_started is None:
            return
        self._set_rec("● REC " + clock(time.time() - self._rec_started))

    # ---- actions ---------------------------------------------------------------------------

    def _call(self, fn: Any, done: Any, what: str) -> None:
        self._busy += 1
        for w in (self.vcam, self.record, self.snapshot):
            w.setEnabled(False)

        def finish() -> None:
            self._busy -= 1
            for w in (self.vcam, self.record, self.snapshot):
                w.setEnabled(self._backend_ok and not self._busy)

        def ok(result: Any) -> None:
            finish()
            done(result)

        def failed(msg: str) -> None:
            finish()
            log.warning("%s: %s", what, msg)
            self.note.show_message(f"{what}: {msg}", error=True)
            self.message.emit(f"{what}: {msg}")
            self.refresh()

        run_async(fn, ok, failed)

    def refresh(self) -> None:
        run_async(self.backend.outputs, self.show_outputs, lambda _m: None)

    def set_vcam(self, on: bool) -> None:
        self.note.show_message("")
        if not on:
            self._call(self.backend.stop_virtual_camera, self._vcam_done, tr("Virtual camera"))
            return
        backend = self.backend

        def work() -> VirtualCameraStatus | VcamRefused:
            try:
                return backend.start_virtual_camera()
            except BackendError as exc:  # no device: said in the fix box, not twice
                command = exc.details.get("setup_command")
                detail = exc.details.get("error_detail")
                said = human_message(exc)
                return VcamRefused(
                    said,
                    exc.message_key,
                    command if isinstance(command, str) else None,
                    f"{said}\n{detail}" if isinstance(detail, str) and detail else said,
                )

        self._call(work, self._vcam_done, tr("Virtual camera"))

    def _vcam_done(self, status: VirtualCameraStatus | VcamRefused) -> None:
        if isinstance(status, VcamRefused):
            log.warning("virtual camera not started: %s", status.details)
            self.vcam.setChecked(False)
            self._show_vcam_problem(status.said, status.key, status.command, status.details)
        else:
            self._show_vcam(status)
        self.refresh()

    def set_recording(self, on: bool) -> None:
        self.note.show_message("")
        if on:
            self._call(self.backend.start_recording, self._rec_done, tr("Recording"))
        else:
            self._call(self.backend.stop_recording, self._rec_done, tr("Recording"))

    def _rec_done(self, status: RecordingStatus) -> None:
        self._show_recording(status)
        self.refresh()

    def toggle_vcam(self) -> None:
        """The hotkey: flip the virtual camera (nothing while the backend is away)."""
        if self.vcam.isEnabled():
            self.set_vcam(not self.vcam.isChecked())

    def toggle_recording(self) -> None:
        if self.record.isEnabled():
            self.set_recording(not self.record.isChecked())

    def show_folder(self) -> None:
        if self.folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder))

    def take_snapshot(self) -> None:
        folder = self.snapshot_dir

        def work() -> Path:  # on the pool: the download and the file
            data = self.backend.snapshot()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / time.strftime("snapshot-%Y%m%d-%H%M%S.jpg")
            n = 1
            while path.exists():
                path = folder / f"{path.stem.split('_')[0]}_{n}.jpg"
                n += 1
            path.write_bytes(data)
            return path

        def saved(path: Path) -> None:
            self.last_snapshot = path
            self.note.show_message(tr("Snapshot saved: {path}", path=str(path)))

        self._call(work, saved, tr("Snapshot"))
