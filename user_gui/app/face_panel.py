"""The window's Face group: choose a source face, swap on and off, engine and options.

Every backend call runs on the pool (run_async); answers come back here on the GUI thread.
The backend's ``GET /face/status``, fetched by the window's periodic refresh, is the truth the
panel shows; a change the user started wins over a refresh that was already on its way.

A picture with several faces: the backend answers 422 with the faces' boxes; the panel cuts
each one out of the local file (off the GUI thread) and shows them as buttons ("Face 1", ...,
numbered from 1; the API's ``face_index`` from 0) to click. Until a face is loaded the panel
shows the first-run steps in place (``guidance``), and ``next_step()`` tells the window which.
Every text goes through ``tr`` and is put back in the new language on Qt's LanguageChange.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QEvent, QSettings, Qt, pyqtSignal, pyqtSlot
from PyQt5.QtGui import QPixmap, QStandardItemModel
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import EnginesOut, FaceLoadOut, FaceSource, FaceStatus
from user_gui.app.face_picker import FacePicker
from user_gui.app.guidance import GuidanceLabel
from user_gui.app.guidance import next_step as work_out_next_step
from user_gui.app.i18n import tr
from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient, BackendError

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp)"
THUMB_SIDE = 128
BLENDS = ("seamless", "feather")
TEXT_LIMIT = 300  # characters a label shows; the whole text is its tooltip
BREAK_EVERY = 24  # a run this long without a space (a path, a URL) gets a place to break
ZWSP = "\u200b"
_LONG_RUN = re.compile(rf"\S{{{BREAK_EVERY}}}")
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


def fit_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """At most ``limit`` characters (an ellipsis ends a longer text), with a place to break
    in each long run without spaces: a wrapping label then never asks for more width."""
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return _LONG_RUN.sub(lambda m: m.group(0) + ZWSP, text)


def wrapping(label: QLabel) -> QLabel:
    """A label that wraps its plain text to the width it is given and asks for none."""
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    policy = label.sizePolicy()  # keeps the height-for-width that word wrap set
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    return label


class FacePanel(QGroupBox):
    face_loaded = pyqtSignal(bool)  # whether the backend holds a source face; on change only
    swap_changed = pyqtSignal(bool)  # whether the swap is on (the backend's word); on change
    next_step_changed = pyqtSignal(str)  # "camera", "face", "swap" or "output"; on change

    def __init__(
        self, backend: ARBackendClient, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(tr("Face"), parent)
        self.backend = backend
        self.settings = settings
        self._backend_ok = False
        self._loaded = False
        self._swap_on = False
        self._camera_running = False
        self._step = work_out_next_step(False, False, False)
        self._busy = 0  # user changes in flight: a refresh must not undo them
        self._changes = 0  # bumped by each user change: a refresh begun before it is stale
        self._thumb_key: str | None = None
        self._engine_active: str | None = None
        self._engines: EnginesOut | None = None
        self._texts: dict[str, Callable[[], str]] = {}  # each label's text, in any language
        self._message_error = False
        self._source_choice: tuple[str | None, int | None] = (None, None)  # file, face_index
        self._build()
        self._retranslate()
        self._put("name", lambda: tr("no face loaded"))
        self._put("state", lambda: tr("checking the backend…"))
        self._update_step()
        self._enable()  # offline until the window says otherwise

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        col = QVBoxLayout(self)
        top = QHBoxLayout()
        self.thumb = QLabel("")
        self.thumb.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setWordWrap(True)
        self.thumb.setStyleSheet("background:#101418;color:#8a96a3;")
        top.addWidget(self.thumb)
        info = QVBoxLayout()
        self.name = wrapping(QLabel(""))
        self.notes = wrapping(QLabel(""))
        self.message = wrapping(QLabel(""))
        self.notes.setStyleSheet("color:#8a96a3;")
        self.choose = QPushButton("")
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

        self.swap = QPushButton("")
        self.swap.setObjectName("swapToggle")
        self.swap.setCheckable(True)
        self.swap.setMinimumHeight(SWAP_HEIGHT)
        self.swap.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.swap.setStyleSheet(SWAP_STYLE)
        self.swap.toggled.connect(lambda _on: self._swap_text())
        self.swap.clicked.connect(self.set_swap)
        col.addWidget(self.swap)

        form = QFormLayout()
        self.engine = QComboBox()
        self.engine.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
        self.engine.setMinimumContentsLength(12)
        self.engine.activated.connect(self._engine_chosen)
        self.blend = QComboBox()
        for blend in BLENDS:
            self.blend.addItem(blend, blend)
        self.blend.activated.connect(lambda _i: self._change(blend=self.blend.currentData()))
        self.engine_label = QLabel("")
        self.blend_label = QLabel("")
        form.addRow(self.engine_label, self.engine)
        form.addRow(self.blend_label, self.blend)
        col.addLayout(form)
        boxes = QHBoxLayout()
        self.many_faces = QCheckBox("")
        self.mouth_mask = QCheckBox("")
        self.many_faces.clicked.connect(lambda on: self._change(many_faces=bool(on)))
        self.mouth_mask.clicked.connect(lambda on: self._change(mouth_mask=bool(on)))
        boxes.addWidget(self.many_faces)
        boxes.addWidget(self.mouth_mask)
        boxes.addStretch(1)
        col.addLayout(boxes)
        self.state = wrapping(QLabel(""))
        col.addWidget(self.state)

    def _controls(self) -> tuple[QWidget, ...]:
        return (self.choose, self.engine, self.blend, self.many_faces, self.mouth_mask)

    # ---- texts and languages ---------------------------------------------------------------

    def _put(self, label: str, text: Callable[[], str] | str) -> None:
        """Show ``text`` in the label named ``label`` (a callable: worked out again in a new
        language); a long text is cut short and wraps, the whole of it in the tooltip."""
        producer: Callable[[], str] = text if callable(text) else (lambda: text)
        self._texts[label] = producer
        self._apply(label)

    def _apply(self, label: str) -> None:
        widget: QLabel = getattr(self, label)
        full = self._texts[label]()
        widget.setText(fit_text(full))
        widget.setToolTip(full)

    def _swap_text(self) -> None:
        self.swap.setText(tr("SWAP ON") if self.swap.isChecked() else tr("SWAP OFF"))

    def _retranslate(self) -> None:
        self.setTitle(tr("Face"))
        self.choose.setText(tr("Choose face…"))
        self.choose.setToolTip(tr("Choose a photo of the face to wear"))
        self._swap_text()
        self.swap.setToolTip(tr("Swap your face for the chosen one in the picture sent out"))
        self.engine_label.setText(tr("Engine"))
        self.blend_label.setText(tr("Blend"))
        blend_names = {"seamless": tr("seamless"), "feather": tr("feather")}
        for i in range(self.blend.count()):
            value = self.blend.itemData(i)
            self.blend.setItemText(i, blend_names.get(value, value))
        self.many_faces.setText(tr("Many faces"))
        self.many_faces.setToolTip(tr("Swap every face in the picture; else the largest only"))
        self.mouth_mask.setText(tr("Mouth mask"))
        self.mouth_mask.setToolTip(tr("Keep your own mouth so speech stays real"))
        if not self._loaded and self._thumb_key is None:
            self.thumb.setText(tr("no face"))
        self._fill_engines()
        for label in list(self._texts):
            self._apply(label)

    def changeEvent(self, event: QEvent | None) -> None:
        if event is not None and event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    # ---- state -----------------------------------------------------------------------------

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        """Controls follow the backend like the camera's (offline: disabled, with the reason);
        an unreachable backend holds no face as far as this window can tell."""
        self._backend_ok = ok
        if not ok:
            self._put("state", reason)
            self._set_loaded(False)
        self._enable()

    def _enable(self) -> None:
        ready = self._backend_ok and not self._busy
        for w in self._controls():
            w.setEnabled(ready)
        self.picker.set_controls_enabled(ready)
        self.swap.setEnabled(ready and self._loaded)  # the backend answers 409 without a face

    def _set_busy(self, delta: int) -> None:
        self._busy = max(0, self._busy + delta)
        self._enable()

    def _set_loaded(self, loaded: bool) -> None:
        if loaded != self._loaded:
            self._loaded = loaded
            self._enable()
            self.face_loaded.emit(loaded)
        self._update_step()

    def _set_swap_on(self, on: bool) -> None:
        self.swap.setChecked(on)
        if on != self._swap_on:
            self._swap_on = on
            self.swap_changed.emit(on)
        self._update_step()

    def _update_step(self) -> None:
        # in place of an empty panel; the face picker, when it shows, is the step itself
        self.guidance.setVisible(not self._loaded and self.picker.path is None)
        step = work_out_next_step(self._camera_running, self._loaded, self._swap_on)
        self.guidance.set_step(step)
        if step != self._step:
            self._step = step
            self.next_step_changed.emit(step)

    def _say(self, text: Callable[[], str] | str, error: bool = False) -> None:
        if error != self._message_error:
            self._message_error = error
            self.message.setStyleSheet("color:#e5484d;" if error else "")
        self._put("message", text)

    # ---- public API for the window ---------------------------------------------------------

    def next_step(self) -> str:
        """The first-run step to do next: "camera", "face", "swap" or "output"."""
        return self._step

    def set_camera_running(self, running: bool) -> None:
        """The window tells whether the camera is running (the first step)."""
        self._camera_running = running
        self._update_step()

    @property
    def is_loaded(self) -> bool:
        return self._loaded

    @property
    def swap_on(self) -> bool:
        """Whether the swap is on, as the backend last said (or as just asked for)."""
        return self._swap_on

    @pyqtSlot()
    def toggle_swap(self) -> None:
        """Flip the swap (a hotkey's slot); nothing while the toggle is disabled (no face,
        backend offline, a change in flight)."""
        if self.swap.isEnabled():
            self.swap.click()

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
            self._put("state", lambda: tr("face status unavailable: {error}", error=error))
            return
        self._show_source(status.source)
        self._show_controls(status)

    def _show_controls(self, status: FaceStatus) -> None:
        self._set_swap_on(status.enabled)
        options = status.options
        self.many_faces.setChecked(options.many_faces)
        self.mouth_mask.setChecked(options.mouth_mask)
        blend = self.blend.findData(options.blend)
        if blend >= 0:
            self.blend.setCurrentIndex(blend)
        engine = status.engine
        if engine != self._engine_active:
            self._engine_active = engine
            self._select_engine(engine)
        provider = status.engine_info.provider if status.engine_info else None

        def text() -> str:
            parts = [
                tr("swap on") if status.enabled else tr("swap off"),
                tr("{count} face(s) in frame", count=status.faces_in_frame),
                tr("{engine} on {provider}", engine=engine, provider=provider)
                if provider
                else engine,
            ]
            if status.error:
                parts.append(tr("error: {error}", error=status.error))
            return " · ".join(p for p in parts if p)

        self._put("state", text)

    def _show_source(self, source: FaceSource | FaceLoadOut) -> None:
        if not source.loaded:
            self._thumb_key = None
            self.thumb.clear()
            self.thumb.setText(tr("no face"))
            self._put("name", lambda: tr("no face loaded"))
            self._put("notes", "")
            self._set_loaded(False)
            self._source_choice = (None, None)
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

        self._put("name", text)
        self._put("notes", "\n".join(source.notes))
        self._set_loaded(True)
        self._source_choice = (name, index)
        self._sync_picker(name, index)

    def _sync_picker(self, name: str | None, index: int | None) -> None:
        """The picker marks the loaded face if it is one of its picture's (else none)."""
        path = self.picker.path
        if path is None:
            return
        same = name is not None and name == Path(path).name
        self.picker.set_current(index if same else None)

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
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose a face"), folder, IMAGE_FILTER)
        if not path:
            return
        self.settings.setValue("face_folder", str(Path(path).parent))
        self.picker.clear()  # another picture: the last one's faces go
        self._update_step()
        self.upload(path)

    def upload(self, path: str, face_index: int | None = None) -> None:
        """Send the picture at ``path`` as the source face (``face_index``: which of its
        faces, 0 the leftmost; None: the only one, or the picker offers them)."""
        name = Path(path).name
        self._say(lambda: tr("loading {name}…", name=name))

        def work() -> FaceLoadOut | SeveralFaces:  # on the pool: reads the file, waits
            try:
                return self.backend.upload_face(path, face_index)
            except BackendError as exc:
                faces = exc.details.get("faces")
                if exc.field == "face_index" and face_index is None and faces:
                    return SeveralFaces(len(faces), list(faces))
                raise

        def failed(message: str) -> None:
            self._say(message, error=True)
            if face_index is not None:  # the picker marks the face loaded before again
                self._sync_picker(*self._source_choice)
            log.warning("face not loaded from %s: %s", name, message)

        self._call(work, lambda r: self._on_uploaded(path, r), failed)

    def _on_uploaded(self, path: str, result: FaceLoadOut | SeveralFaces) -> None:
        if isinstance(result, SeveralFaces):
            self._say("")
            self.picker.offer(path, result.faces)
            self._update_step()
            return
        self._show_source(result)
        self._say("")
        log.info("face loaded: %s (%s engine)", result.name, result.engine)

    def _face_picked(self, index: int) -> None:
        path = self.picker.path
        if path is not None:
            self.upload(path, index)

    def _picker_closed(self, picked: bool) -> None:
        self._update_step()
        if not picked:
            self._say(lambda: tr("no face chosen: the previous face stays"))

    def set_swap(self, on: bool) -> None:
        def failed(message: str) -> None:
            self.swap.setChecked(self._swap_on)
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
        self._engines = answer
        self._engine_active = answer.active
        self._fill_engines()

    def _fill_engines(self) -> None:
        answer = self._engines
        if answer is None:
            return
        model = self.engine.model()
        self.engine.blockSignals(True)
        self.engine.clear()
        for i, engine in enumerate(answer.engines):
            name, available = engine.name, engine.available
            shown = name if available else tr("{name} (unavailable)", name=name)
            self.engine.addItem(shown, name)
            tip = engine.description if available else engine.reason or ""
            self.engine.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
            if not available and isinstance(model, QStandardItemModel):
                item = model.item(i)
                if item is not None:
                    item.setEnabled(False)  # shown, with its reason, but not chosen
        self.engine.blockSignals(False)
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
        self._say(lambda: tr("switching to the {name} engine…", name=name))

        def done(status: FaceStatus) -> None:
            self._on_changed(status)
            self.load_engines()  # "loaded" and "active" changed

        def failed(message: str) -> None:
            self._select_engine(previous)
            self._say(message, error=True)
            log.warning("face engine %s not chosen: %s", name, message)

        self._call(lambda: self.backend.face_settings(engine=name), done, failed)
