"""How the swap runs: the engine (an unavailable one greyed, its reason and Download… when it
is chosen), the blend and the options (many faces, mouth mask), the swap's state line (on or
off, faces in frame, the engine and the provider it runs on, its error) and a warning when a
GPU provider was asked for and the CPU runs.

Issue 16: clicking a greyed engine shows the backend's reason under the combo (missing or
corrupt model files included) with Download…, which opens the Models dialog on the models
that engine needs (``models_wanted``).
"""

from __future__ import annotations

import logging
from typing import Any

from PyQt5.QtCore import QEvent, QObject, Qt, pyqtSignal
from PyQt5.QtGui import QMouseEvent, QStandardItemModel
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import EnginesOut, EngineView, FaceStatus
from user_gui.app.face.calls import FaceCalls
from user_gui.app.i18n import field_message, tr
from user_gui.app.model_files import ENGINE_MODELS, enhancer_name, needs_model_files
from user_gui.app.widgets import WARN_COLOUR, Text, TextLabel, beside, on_language_change
from user_gui.app.workers import run_async

log = logging.getLogger(__name__)
BLENDS = ("seamless", "feather")


def faces_text(count: int) -> str:
    """How many faces the swap finds in the frame (it counts them only while it runs)."""
    if count == 0:
        return tr("no face in frame")
    if count == 1:
        return tr("1 face in frame")
    return tr("{count} faces in frame", count=count)


class EnginePanel(QWidget):
    """The engine and its options, the swap's state and the GPU it runs on."""

    changed = pyqtSignal(object)  # a change's answer (FaceStatus): every panel shows it
    said = pyqtSignal(object, bool)  # a line for the person (a Text), and whether an error
    refresh_wanted = pyqtSignal()  # a refused change: the backend's values are read again
    models_wanted = pyqtSignal(list, str, str)  # the models to show, who needs them, engine

    def __init__(self, calls: FaceCalls, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.calls = calls
        self._active: str | None = None  # the engine the backend runs
        self._engines: EnginesOut | None = None
        self._note: str | None = None  # an unavailable engine chosen: its reason shows
        self._build()
        self._retranslate()
        on_language_change(self, self._retranslate)
        self.state.show_text(lambda: tr("checking the backend…"))

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.engine = QComboBox(self)
        self.engine.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
        self.engine.setMinimumContentsLength(12)
        self.engine.activated.connect(self._engine_chosen)
        popup = self.engine.view()
        self._popup = popup.viewport() if popup is not None else None
        if self._popup is not None:  # a click on a greyed engine: its reason
            self._popup.installEventFilter(self)
        self.models_button = QPushButton("", self)
        self.models_button.clicked.connect(lambda: self.models_wanted.emit([], "", ""))
        engine_row = QHBoxLayout()
        engine_row.addWidget(self.engine, 1)
        engine_row.addWidget(self.models_button)
        self.blend = QComboBox(self)
        for blend in BLENDS:
            self.blend.addItem(blend, blend)
        self.blend.activated.connect(lambda _i: self._change(blend=self.blend.currentData()))
        self.engine_label = QLabel("", self)
        self.blend_label = QLabel("", self)
        # under the combo, an unavailable engine the user chose: its reason, and Download…
        # when its model files are missing or corrupt
        engine_field = QVBoxLayout()
        engine_field.setSpacing(4)
        engine_field.addLayout(engine_row)
        self.engine_reason = TextLabel("", self)
        self.engine_reason.setStyleSheet(f"color:{WARN_COLOUR};")
        self.engine_download = QPushButton("", self)
        self.engine_download.clicked.connect(self._download_for_engine)
        self.engine_note = beside(self.engine_reason, self.engine_download, self)
        engine_field.addWidget(self.engine_note)
        form.addRow(self.engine_label, engine_field)
        form.addRow(self.blend_label, self.blend)
        col.addLayout(form)
        boxes = QHBoxLayout()
        self.many_faces = QCheckBox("", self)
        self.mouth_mask = QCheckBox("", self)
        self.many_faces.clicked.connect(lambda on: self._change(many_faces=bool(on)))
        self.mouth_mask.clicked.connect(lambda on: self._change(mouth_mask=bool(on)))
        boxes.addWidget(self.many_faces)
        boxes.addWidget(self.mouth_mask)
        boxes.addStretch(1)
        col.addLayout(boxes)
        self.state = TextLabel("", self)
        col.addWidget(self.state)
        self.gpu_warning = TextLabel("", self)
        self.gpu_warning.setStyleSheet(f"color:{WARN_COLOUR};font-weight:600;")
        self.gpu_warning.hide()
        col.addWidget(self.gpu_warning)

    def _retranslate(self) -> None:
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
        self.models_button.setText(tr("Models…"))
        self.models_button.setToolTip(
            tr("The model files of the neural engines and the enhancer: state, licence, download")
        )
        self.engine_download.setText(tr("Download…"))
        self.engine_download.setToolTip(tr("Open the Models dialog on this engine's model files"))
        self._fill_engines()

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        """A click on an unavailable (greyed) engine in the combo's list: Qt does nothing with
        it, so the list closes and the panel shows why it is unavailable, with Download… when
        its model files are missing or corrupt."""
        if (
            watched is self._popup
            and isinstance(event, QMouseEvent)
            and event.type() == QEvent.Type.MouseButtonRelease
        ):
            view = self.engine.view()
            index = view.indexAt(event.pos()) if view is not None else None
            if index is not None and index.isValid():
                enabled = bool(index.flags() & Qt.ItemFlag.ItemIsEnabled)
                name = index.data(Qt.ItemDataRole.UserRole)
                if not enabled and isinstance(name, str):
                    self.engine.hidePopup()
                    self.show_engine_reason(name)
                    return True
        return super().eventFilter(watched, event)

    def set_ready(self, ready: bool) -> None:
        """The backend answers and no change is under way: the controls can be used."""
        for w in (self.engine, self.blend, self.many_faces, self.mouth_mask):
            w.setEnabled(ready)

    def show_state(self, text: Text) -> None:
        """The state line says ``text`` (the backend is offline, its status unreadable)."""
        self.state.show_text(text)

    # ---- the backend's truth ---------------------------------------------------------------

    def show_status(self, status: FaceStatus) -> None:
        options = status.options
        self.many_faces.setChecked(options.many_faces)
        self.mouth_mask.setChecked(options.mouth_mask)
        blend = self.blend.findData(options.blend)
        if blend >= 0:
            self.blend.setCurrentIndex(blend)
        engine = status.engine
        if engine != self._active:
            self._active = engine
            self._select_engine(engine)
        provider = status.engine_info.provider if status.engine_info else None

        def text() -> str:
            parts = [
                tr("swap on") if status.enabled else tr("swap off"),
                faces_text(status.faces_in_frame) if status.enabled else "",  # counted then
                tr("{engine} on {provider}", engine=engine, provider=provider)
                if provider
                else engine,
            ]
            if status.error:
                parts.append(tr("error: {error}", error=field_message(status, "error")))
            return " · ".join(p for p in parts if p)

        self.state.show_text(text)
        self._show_gpu(status)

    def _show_gpu(self, status: FaceStatus) -> None:
        """A GPU provider was asked for and the CPU runs (the engine's or the enhancer's)."""
        found: dict[str, list[str]] = {}  # each warning, and whose it is
        info = status.engine_info
        if info is not None and info.gpu_warning:  # in the window's language (its key)
            found.setdefault(field_message(info, "gpu_warning"), []).append(status.engine)
        enhancer = status.enhancer
        if enhancer is not None and enhancer.gpu_warning and enhancer.model != "off":
            said = field_message(enhancer, "gpu_warning")
            found.setdefault(said, []).append(enhancer_name(enhancer.model))
        lines = [f"⚠ {', '.join(who)}: {text}" for text, who in found.items()]
        if lines:
            self.gpu_warning.show_text("\n".join(lines))
        self.gpu_warning.setVisible(bool(lines))

    # ---- the engines -----------------------------------------------------------------------

    @property
    def listed(self) -> bool:
        """The backend's engines are in the combo."""
        return self.engine.count() > 0

    def load_engines(self) -> None:
        run_async(
            self.calls.backend.face_engines,
            self._show_engines,
            lambda msg: log.warning("face engines not listed: %s", msg),
        )

    def _show_engines(self, answer: EnginesOut) -> None:
        self._engines = answer
        self._active = answer.active
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
            tip = engine.description if available else field_message(engine, "reason")
            self.engine.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
            if not available and isinstance(model, QStandardItemModel):
                item = model.item(i)
                if item is not None:  # greyed, not chosen: a click shows its reason
                    item.setEnabled(False)
        self.engine.blockSignals(False)
        self._select_engine(self._active)
        self._show_engine_note()

    def _engine_view(self, name: str | None) -> EngineView | None:
        if self._engines is None or name is None:
            return None
        return next((e for e in self._engines.engines if e.name == name), None)

    def _show_engine_note(self) -> None:
        """The reason of the unavailable engine the user chose, under the combo; gone once it
        is available (its files were downloaded, say)."""
        view = self._engine_view(self._note)
        if view is None or view.available:
            if view is not None:
                log.info("engine %s is available now", view.name)
            self._note = None
            self.engine_note.hide()
            return
        name, reason = view.name, view.reason or ""
        self.engine_reason.show_text(
            lambda: tr(
                "{name} is unavailable: {reason}",
                name=name,
                reason=field_message(view, "reason") or "?",
            )
        )
        self.engine_download.setVisible(needs_model_files(reason) or name in ENGINE_MODELS)
        self.engine_note.show()

    def show_engine_reason(self, name: str) -> None:
        """Show why engine ``name`` is unavailable (and Download… for its files), as choosing
        it in the combo does."""
        self._note = name
        self._show_engine_note()

    def _download_for_engine(self) -> None:
        name = self._note
        if name is not None:
            self.models_wanted.emit([], tr("The {name} engine", name=name), name)

    def _select_engine(self, name: str | None) -> None:
        index = self.engine.findData(name)
        if index >= 0:
            self.engine.blockSignals(True)
            self.engine.setCurrentIndex(index)
            self.engine.blockSignals(False)

    def _engine_chosen(self, index: int) -> None:
        name = self.engine.itemData(index)
        previous = self._active
        view = self._engine_view(name)
        if view is not None and not view.available:
            self._select_engine(previous)  # not asked for: the backend would refuse it
            self.show_engine_reason(name)
            return
        if not name or name == previous:
            return
        self._note = None
        self.engine_note.hide()
        self.said.emit(lambda: tr("switching to the {name} engine…", name=name), False)
        backend = self.calls.backend

        def done(status: FaceStatus) -> None:
            self.changed.emit(status)
            self.load_engines()  # "loaded" and "active" changed

        def failed(message: str) -> None:
            self._select_engine(previous)
            self.said.emit(message, True)
            log.warning("face engine %s not chosen: %s", name, message)

        self.calls.call(lambda: backend.face_settings(engine=name), done, failed)

    def _change(self, **changes: Any) -> None:
        backend = self.calls.backend

        def failed(message: str) -> None:
            self.said.emit(message, True)
            log.warning("face settings %s refused: %s", changes, message)
            self.refresh_wanted.emit()  # put the controls back to the backend's values

        self.calls.call(lambda: backend.face_settings(**changes), self.changed.emit, failed)
