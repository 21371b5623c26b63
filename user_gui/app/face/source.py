"""The source face: its thumbnail, name and notes, "Choose face…", the faces of a group photo
to click (``picker``), the first-run steps until a face is loaded (``guidance``), and the big
SWAP toggle that wears it.

A picture with several faces: the backend answers 422 with the faces' boxes; the picker cuts
each one out of the local file (off the GUI thread) and shows them as buttons ("Face 1", ...,
numbered from 1; the API's ``face_index`` from 0) to click.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QSettings, Qt, pyqtSignal, pyqtSlot
from PyQt5.QtGui import QPixmap
from PyQt5.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import FaceLoadOut, FaceSource, FaceStatus
from user_gui.app.face.calls import FaceCalls
from user_gui.app.face.picker import FacePicker
from user_gui.app.guidance import GuidanceLabel
from user_gui.app.guidance import next_step as work_out_next_step
from user_gui.app.i18n import message, tr
from user_gui.app.user_files import dialog_folder, remember_folder
from user_gui.app.widgets import ERROR_COLOUR, GREYED, Text, TextLabel, on_language_change
from user_gui.services.clients import BackendError

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp)"
THUMB_SIDE = 128
SWAP_HEIGHT = 48
SWAP_STYLE = """
QPushButton#swapToggle {
    font-size: 18px; font-weight: bold; border-radius: 8px; padding: 6px 16px;
    background: #2d333b; color: #c9d1d9; border: 2px solid #e5484d;
}
QPushButton#swapToggle:checked {
    background: #2ea043; color: #ffffff; border: 2px solid #3fb950;
}
QPushButton#swapToggle:disabled {
    background: #22272e; color: #636e7b; border: 2px solid #444c56;
}
QPushButton#swapToggle:checked:disabled {
    background: #1f4d2b; color: #9aa7b3; border: 2px solid #2a6a3a;
}
"""


@dataclass(frozen=True)
class SeveralFaces:
    """An upload answered 422 with several faces and no ``face_index``: ask which one."""

    count: int
    faces: list[dict[str, Any]] = field(default_factory=list)  # index, x, y, width, height


def thumbnail_pixmap(data_url: str) -> QPixmap:
    """A ``data:image/jpeg;base64,...`` URL as a pixmap (Qt decodes it; null if it cannot)."""
    pix = QPixmap()
    _, _, payload = data_url.partition("base64,")
    try:
        raw = base64.b64decode(payload, validate=True)
    except ValueError:
        return pix
    pix.loadFromData(raw)
    return pix


def note_texts(source: FaceSource | FaceLoadOut) -> list[str]:
    """The source face's notes in the window's language (each note's key and args, else the
    English sent)."""
    keys = getattr(source, "notes_key", None)
    args = getattr(source, "notes_args", None)
    notes = list(source.notes)
    if not isinstance(keys, list) or not isinstance(args, list) or len(keys) != len(notes):
        return notes
    return [
        message(text, key if isinstance(key, str) else None, arg if isinstance(arg, dict) else None)
        for text, key, arg in zip(notes, keys, args, strict=False)
    ]


class SourcePanel(QWidget):
    """The face to wear and the toggle that wears it."""

    face_loaded = pyqtSignal(bool)  # whether the backend holds a source face; on change only
    swap_changed = pyqtSignal(bool)  # whether the swap is on (the backend's word); on change
    next_step_changed = pyqtSignal(str)  # "camera", "face", "swap" or "output"; on change
    changed = pyqtSignal(object)  # a change's answer (FaceStatus): every panel shows it

    def __init__(
        self, calls: FaceCalls, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.calls = calls
        self.settings = settings
        self._ready = False  # the backend answers and no change is under way
        self._loaded = False
        self._swap_on = False
        self._camera_running = False
        self._step = work_out_next_step(False, False, False)
        self._thumb_key: str | None = None
        self._message_error = False
        self._choice: tuple[str | None, int | None] = (None, None)  # file, face_index
        self._build()
        self._retranslate()
        on_language_change(self, self._retranslate)
        self.name.show_text(lambda: tr("no face loaded"))
        self._update_step()

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.thumb = QLabel("", self)
        self.thumb.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setWordWrap(True)
        self.thumb.setStyleSheet(f"background:#101418;color:{GREYED};")
        top.addWidget(self.thumb)
        info = QVBoxLayout()
        self.name = TextLabel("", self)
        self.notes = TextLabel("", self)
        self.notes.setStyleSheet(f"color:{GREYED};")
        self.message = TextLabel("", self)
        self.choose = QPushButton("", self)
        self.choose.clicked.connect(self.choose_face)
        buttons = QHBoxLayout()
        buttons.addWidget(self.choose)
        buttons.addStretch(1)
        info.addWidget(self.name)
        info.addWidget(self.notes)
        info.addLayout(buttons)
        info.addWidget(self.message)
        info.addStretch(1)
        top.addLayout(info, 1)
        col.addLayout(top)

        self.guidance = GuidanceLabel(self._step, self)
        col.addWidget(self.guidance)

        self.picker = FacePicker(self)
        self.picker.picked.connect(self._face_picked)
        self.picker.closed.connect(self._picker_closed)
        self.picker.hide()
        col.addWidget(self.picker)

        self.swap = QPushButton("", self)
        self.swap.setObjectName("swapToggle")
        self.swap.setCheckable(True)
        self.swap.setMinimumHeight(SWAP_HEIGHT)
        self.swap.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.swap.setStyleSheet(SWAP_STYLE)
        self.swap.toggled.connect(lambda _on: self._swap_text())
        self.swap.clicked.connect(self.set_swap)
        col.addWidget(self.swap)

    def _swap_text(self) -> None:
        self.swap.setText(tr("SWAP ON") if self.swap.isChecked() else tr("SWAP OFF"))

    def _retranslate(self) -> None:
        self.choose.setText(tr("Choose face…"))
        self.choose.setToolTip(tr("Choose a photo of the face to wear"))
        self._swap_text()
        self.swap.setToolTip(tr("Swap your face for the chosen one in the picture sent out"))
        if not self._loaded and self._thumb_key is None:
            self.thumb.setText(tr("no face"))

    # ---- state -----------------------------------------------------------------------------

    def set_ready(self, ready: bool) -> None:
        """The backend answers and no change is under way: the controls can be used."""
        self._ready = ready
        self._enable()

    def _enable(self) -> None:
        self.choose.setEnabled(self._ready)
        self.picker.set_controls_enabled(self._ready)
        self.swap.setEnabled(self._ready and self._loaded)  # the backend answers 409 without

    def set_loaded(self, loaded: bool) -> None:
        if loaded != self._loaded:
            self._loaded = loaded
            self._enable()
            self.face_loaded.emit(loaded)
        self._update_step()

    def set_swap_on(self, on: bool) -> None:
        self.swap.setChecked(on)
        if on != self._swap_on:
            self._swap_on = on
            self.swap_changed.emit(on)
        self._update_step()

    def set_camera_running(self, running: bool) -> None:
        """Whether the camera is running (the first step)."""
        self._camera_running = running
        self._update_step()

    def _update_step(self) -> None:
        # in place of an empty panel; the face picker, when it shows, is the step itself
        self.guidance.setVisible(not self._loaded and self.picker.path is None)
        step = work_out_next_step(self._camera_running, self._loaded, self._swap_on)
        self.guidance.set_step(step)
        if step != self._step:
            self._step = step
            self.next_step_changed.emit(step)

    def say(self, text: Text, error: bool = False) -> None:
        """A line under "Choose face…": what is going on, or what went wrong (red)."""
        if error != self._message_error:
            self._message_error = error
            self.message.setStyleSheet(f"color:{ERROR_COLOUR};" if error else "")
        self.message.show_text(text)

    @property
    def next_step(self) -> str:
        return self._step

    @property
    def is_loaded(self) -> bool:
        return self._loaded

    @property
    def swap_on(self) -> bool:
        return self._swap_on

    @pyqtSlot()
    def toggle_swap(self) -> None:
        """Flip the swap (a hotkey's slot); nothing while the toggle is disabled (no face,
        backend offline, a change in flight)."""
        if self.swap.isEnabled():
            self.swap.click()

    # ---- the backend's source --------------------------------------------------------------

    def show_source(self, source: FaceSource | FaceLoadOut) -> None:
        if not source.loaded:
            self._thumb_key = None
            self.thumb.clear()
            self.thumb.setText(tr("no face"))
            self.name.show_text(lambda: tr("no face loaded"))
            self.notes.show_text("")
            self.set_loaded(False)
            self._choice = (None, None)
            self._sync_picker(None, None)
            return
        thumbnail = source.thumbnail  # absent from start/stop/settings answers
        if thumbnail and thumbnail != self._thumb_key:
            pix = thumbnail_pixmap(thumbnail)
            if not pix.isNull():
                self.thumb.setPixmap(pix)
                self._thumb_key = thumbnail
        count = source.faces_found or 1
        index = source.face_index or 0
        name = source.name or "?"
        engine = source.engine or ""

        def text() -> str:
            if count > 1:  # numbered from 1 for people; the API's face_index is from 0
                which = tr("face {n} of {count}", n=index + 1, count=count)
                return f"{name} ({which}) · {engine}"
            return f"{name} · {engine}"

        self.name.show_text(text)
        self.notes.show_text(lambda: "\n".join(note_texts(source)))
        self.set_loaded(True)
        self._choice = (name, index)
        self._sync_picker(name, index)

    def _sync_picker(self, name: str | None, index: int | None) -> None:
        """The picker marks the loaded face if it is one of its picture's (else none)."""
        path = self.picker.path
        if path is None:
            return
        same = name is not None and name == Path(path).name
        self.picker.set_current(index if same else None)

    # ---- the person's actions --------------------------------------------------------------

    def choose_face(self) -> None:
        folder = dialog_folder("pictures", self.settings)
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose a face"), folder, IMAGE_FILTER)
        if not path:
            return
        remember_folder("pictures", path, self.settings)
        self.picker.clear()  # another picture: the last one's faces go
        self._update_step()
        self.upload(path)

    def upload(self, path: str, face_index: int | None = None) -> None:
        """Send the picture at ``path`` as the source face (``face_index``: which of its
        faces, 0 the leftmost; None: the only one, or the picker offers them)."""
        name = Path(path).name
        self.say(lambda: tr("loading {name}…", name=name))
        backend = self.calls.backend

        def work() -> FaceLoadOut | SeveralFaces:  # on the pool: reads the file, waits
            try:
                return backend.upload_face(path, face_index)
            except BackendError as exc:
                faces = exc.details.get("faces")
                if exc.field == "face_index" and face_index is None and faces:
                    return SeveralFaces(len(faces), list(faces))
                raise

        def failed(message: str) -> None:
            self.say(message, error=True)
            if face_index is not None:  # the picker marks the face loaded before again
                self._sync_picker(*self._choice)
            log.warning("face not loaded from %s: %s", name, message)

        self.calls.call(work, lambda r: self._on_uploaded(path, r), failed)

    def _on_uploaded(self, path: str, result: FaceLoadOut | SeveralFaces) -> None:
        if isinstance(result, SeveralFaces):
            self.say("")
            self.picker.offer(path, result.faces)
            self._update_step()
            return
        self.show_source(result)
        self.say("")
        log.info("face loaded: %s (%s engine)", result.name, result.engine)

    def _face_picked(self, index: int) -> None:
        path = self.picker.path
        if path is not None:
            self.upload(path, index)

    def _picker_closed(self, picked: bool) -> None:
        self._update_step()
        if not picked:
            self.say(lambda: tr("no face chosen: the previous face stays"))

    def set_swap(self, on: bool) -> None:
        backend = self.calls.backend

        def done(status: FaceStatus) -> None:
            self.changed.emit(status)

        def failed(message: str) -> None:
            self.swap.setChecked(self._swap_on)
            self.say(message, error=True)
            log.warning("face swap not switched %s: %s", "on" if on else "off", message)

        fn = backend.start_face_swap if on else backend.stop_face_swap
        self.calls.call(fn, done, failed)
