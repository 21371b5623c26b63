"""The window's Face group: choose a source face, swap on and off, engine and options.

Every backend call runs on the pool (run_async); answers come back here on the GUI thread.
The backend's ``GET /face/status``, fetched by the window's periodic refresh, is the truth the
panel shows; a change the user started wins over a refresh that was already on its way.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QSettings, Qt, pyqtSignal
from PyQt5.QtGui import QPixmap, QStandardItemModel
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import EnginesOut, FaceLoadOut, FaceSource, FaceStatus
from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient, BackendError

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp)"
THUMB_SIDE = 128
BLENDS = ("seamless", "feather")


@dataclass(frozen=True)
class SeveralFaces:
    """An upload answered 422 with several faces and no ``face_index``: ask which one."""

    count: int


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


class FacePanel(QGroupBox):
    face_loaded = pyqtSignal(bool)  # whether the backend holds a source face; on change only

    def __init__(
        self, backend: ARBackendClient, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__("Face", parent)
        self.backend = backend
        self.settings = settings
        self._backend_ok = False
        self._loaded = False
        self._busy = 0  # user changes in flight: a refresh must not undo them
        self._changes = 0  # bumped by each user change: a refresh begun before it is stale
        self._thumb_key: str | None = None
        self._engine_active: str | None = None
        self._build()
        self.set_backend_ok(False, "checking the backend...")

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        col = QVBoxLayout(self)
        top = QHBoxLayout()
        self.thumb = QLabel("no face")
        self.thumb.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("background:#101418;color:#8a96a3;")
        top.addWidget(self.thumb)
        info = QVBoxLayout()
        self.name = QLabel("no face loaded")
        self.notes = QLabel("")
        self.message = QLabel("")
        for label in (self.notes, self.message):
            label.setWordWrap(True)
        self.notes.setStyleSheet("color:#8a96a3;")
        self.choose = QPushButton("Choose face…")
        self.choose.clicked.connect(self.choose_face)
        self.swap = QPushButton("Swap")
        self.swap.setCheckable(True)
        self.swap.clicked.connect(self.set_swap)
        buttons = QHBoxLayout()
        buttons.addWidget(self.choose)
        buttons.addWidget(self.swap)
        buttons.addStretch(1)
        info.addWidget(self.name)
        info.addWidget(self.notes)
        info.addLayout(buttons)
        info.addWidget(self.message)
        info.addStretch(1)
        top.addLayout(info, 1)
        col.addLayout(top)

        form = QFormLayout()
        self.engine = QComboBox()
        self.engine.activated.connect(self._engine_chosen)
        self.blend = QComboBox()
        self.blend.addItems(BLENDS)
        self.blend.activated.connect(lambda _i: self._change(blend=self.blend.currentText()))
        form.addRow("Engine", self.engine)
        form.addRow("Blend", self.blend)
        col.addLayout(form)
        boxes = QHBoxLayout()
        self.many_faces = QCheckBox("Many faces")
        self.many_faces.setToolTip("Swap every face in the picture; else the largest only")
        self.mouth_mask = QCheckBox("Mouth mask")
        self.mouth_mask.setToolTip("Keep your own mouth so speech stays real")
        self.many_faces.clicked.connect(lambda on: self._change(many_faces=bool(on)))
        self.mouth_mask.clicked.connect(lambda on: self._change(mouth_mask=bool(on)))
        boxes.addWidget(self.many_faces)
        boxes.addWidget(self.mouth_mask)
        boxes.addStretch(1)
        col.addLayout(boxes)
        self.state = QLabel("")
        self.state.setWordWrap(True)
        col.addWidget(self.state)

    def _controls(self) -> tuple[QWidget, ...]:
        return (self.choose, self.engine, self.blend, self.many_faces, self.mouth_mask)

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        """Controls follow the backend like the camera's (offline: disabled, with the reason);
        an unreachable backend holds no face as far as this window can tell."""
        self._backend_ok = ok
        if not ok:
            self.state.setText(reason)
            self._set_loaded(False)
        self._enable()

    def _enable(self) -> None:
        ready = self._backend_ok and not self._busy
        for w in self._controls():
            w.setEnabled(ready)
        self.swap.setEnabled(ready and self._loaded)  # the backend answers 409 without a face

    def _set_busy(self, delta: int) -> None:
        self._busy = max(0, self._busy + delta)
        self._enable()

    def _set_loaded(self, loaded: bool) -> None:
        if loaded != self._loaded:
            self._loaded = loaded
            self._enable()
            self.face_loaded.emit(loaded)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color:#e5484d;" if error else "")
        self.message.setText(text)

    # ---- the backend's truth ---------------------------------------------------------------

    @property
    def changes(self) -> int:
        """Taken when a refresh starts and handed back to ``show_status`` with its answer."""
        return self._changes

    def show_status(
        self, status: FaceStatus | None, changes: int | None = None, error: str = ""
    ) -> None:
        """Show ``GET /face/status`` (None: it could not be read, ``error`` says why); an
        answer to a refresh begun before the user's last change is stale and dropped."""
        if self._busy or (changes is not None and changes != self._changes):
            return
        if status is None:
            self.state.setText(f"face status unavailable: {error}")
            return
        self._show_source(status.source)
        self._show_controls(status)

    def _show_controls(self, status: FaceStatus) -> None:
        self.swap.setChecked(status.enabled)
        options = status.options
        self.many_faces.setChecked(options.many_faces)
        self.mouth_mask.setChecked(options.mouth_mask)
        if options.blend in BLENDS:
            self.blend.setCurrentText(options.blend)
        engine = status.engine
        if engine != self._engine_active:
            self._engine_active = engine
            self._select_engine(engine)
        provider = status.engine_info.provider if status.engine_info else None
        parts = [
            "swap on" if status.enabled else "swap off",
            f"{status.faces_in_frame} face(s) in frame",
            f"{engine} on {provider}" if provider else engine,
        ]
        if status.error:
            parts.append(f"error: {status.error}")
        self.state.setText(" · ".join(p for p in parts if p))

    def _show_source(self, source: FaceSource | FaceLoadOut) -> None:
        if not source.loaded:
            self._thumb_key = None
            self.thumb.clear()
            self.thumb.setText("no face")
            self.name.setText("no face loaded")
            self.notes.setText("")
            self._set_loaded(False)
            return
        thumbnail = source.thumbnail  # absent from start/stop/settings answers
        if thumbnail and thumbnail != self._thumb_key:
            pix = thumbnail_pixmap(thumbnail)
            if not pix.isNull():
                self.thumb.setPixmap(pix)
                self._thumb_key = thumbnail
        count = source.faces_found or 1
        which = f" (face {source.face_index or 0} of {count})" if count > 1 else ""
        self.name.setText(f"{source.name or '?'}{which} · {source.engine or ''}")
        self.notes.setText("\n".join(source.notes))
        self._set_loaded(True)

    # ---- user actions ----------------------------------------------------------------------

    def _call(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None],
    ) -> None:
        """One user change: controls wait for it, and refreshes begun before it are dropped."""
        self._changes += 1
        self._set_busy(+1)

        def done(result: Any) -> None:
            self._changes += 1
            self._set_busy(-1)
            on_done(result)

        def failed(message: str) -> None:
            self._changes += 1
            self._set_busy(-1)
            on_failed(message)

        run_async(fn, done, failed)

    def choose_face(self) -> None:
        folder = str(self.settings.value("face_folder", "") or "")
        path, _ = QFileDialog.getOpenFileName(self, "Choose a face", folder, IMAGE_FILTER)
        if not path:
            return
        self.settings.setValue("face_folder", str(Path(path).parent))
        self.upload(path)

    def upload(self, path: str, face_index: int | None = None) -> None:
        name = Path(path).name
        self._say(f"loading {name}…")

        def work() -> FaceLoadOut | SeveralFaces:  # on the pool: reads the file, waits
            try:
                return self.backend.upload_face(path, face_index)
            except BackendError as exc:
                faces = exc.details.get("faces")
                if exc.field == "face_index" and face_index is None and faces:
                    return SeveralFaces(len(faces))
                raise

        def failed(message: str) -> None:
            self._say(message, error=True)
            log.warning("face not loaded from %s: %s", name, message)

        self._call(work, lambda r: self._on_uploaded(path, r), failed)

    def _on_uploaded(self, path: str, result: FaceLoadOut | SeveralFaces) -> None:
        if isinstance(result, SeveralFaces):
            count = result.count
            index, ok = QInputDialog.getInt(
                self,
                "Several faces",
                f"{count} faces found in {Path(path).name}.\n"
                f"Which one? (0 is the leftmost, {count - 1} the rightmost)",
                0,
                0,
                count - 1,
            )
            if ok:
                self.upload(path, index)
            else:
                self._say("no face chosen: the previous face stays")
            return
        self._show_source(result)
        self._say("")
        log.info("face loaded: %s (%s engine)", result.name, result.engine)

    def set_swap(self, on: bool) -> None:
        def failed(message: str) -> None:
            self.swap.setChecked(not on)
            self._say(message, error=True)
            log.warning("face swap not switched %s: %s", "on" if on else "off", message)

        fn = self.backend.start_face_swap if on else self.backend.stop_face_swap
        self._call(fn, self._on_changed, failed)

    def _change(self, **changes: Any) -> None:
        def failed(message: str) -> None:
            self._say(message, error=True)
            log.warning("face settings %s refused: %s", changes, message)
            self._refresh_now()  # put the controls back to the backend's values

        self._call(lambda: self.backend.face_settings(**changes), self._on_changed, failed)

    def _on_changed(self, status: FaceStatus) -> None:
        self._say("")
        self._show_source(status.source)
        self._show_controls(status)

    def _refresh_now(self) -> None:
        changes = self._changes
        run_async(
            self.backend.face_status,
            lambda s: self.show_status(s, changes),
            lambda msg: log.warning("face status not read: %s", msg),
        )

    # ---- engines ---------------------------------------------------------------------------

    def load_engines(self) -> None:
        run_async(
            self.backend.face_engines,
            self._show_engines,
            lambda msg: log.warning("face engines not listed: %s", msg),
        )

    def _show_engines(self, answer: EnginesOut) -> None:
        model = self.engine.model()
        self.engine.blockSignals(True)
        self.engine.clear()
        for i, engine in enumerate(answer.engines):
            name, available = engine.name, engine.available
            self.engine.addItem(name if available else f"{name} (unavailable)", name)
            tip = engine.description if available else engine.reason or ""
            self.engine.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
            if not available and isinstance(model, QStandardItemModel):
                item = model.item(i)
                if item is not None:
                    item.setEnabled(False)  # shown, with its reason, but not chosen
        self.engine.blockSignals(False)
        self._engine_active = answer.active
        self._select_engine(self._engine_active)

    def _select_engine(self, name: str | None) -> None:
        index = self.engine.findData(name)
        if index >= 0:
            self.engine.blockSignals(True)
            self.engine.setCurrentIndex(index)
            self.engine.blockSignals(False)

    def _engine_chosen(self, index: int) -> None:
        name = self.engine.itemData(index)
        previous = self._engine_active
        if not name or name == previous:
            return
        self._say(f"switching to the {name} engine…")

        def done(status: FaceStatus) -> None:
            self._on_changed(status)
            self.load_engines()  # "loaded" and "active" changed

        def failed(message: str) -> None:
            self._select_engine(previous)
            self._say(message, error=True)
            log.warning("face engine %s not chosen: %s", name, message)

        self._call(lambda: self.backend.face_settings(engine=name), done, failed)

    @property
    def is_loaded(self) -> bool:
        return self._loaded
