"""The window's Face group: choose a source face, swap on and off, engine and options.

Every backend call runs on the pool (run_async); answers come back here on the GUI thread.
The backend's ``GET /face/status``, fetched by the window's periodic refresh, is the truth the
panel shows; a change the user started wins over a refresh that was already on its way.

A picture with several faces: the backend answers 422 with the faces' boxes; the panel cuts
each one out of the local file (off the GUI thread) and shows them as buttons ("Face 1", ...,
numbered from 1; the API's ``face_index`` from 0) to click. Until a face is loaded the panel
shows the first-run steps in place (``guidance``), and ``next_step()`` tells the window which.
Every text goes through ``tr`` and is put back in the new language on Qt's LanguageChange.

Issue 16: an unavailable engine stays greyed in the combo; clicking it shows the backend's
reason under the combo (missing or corrupt model files included) with Download…, which opens
the Models dialog (models_dialog.py) on the models that engine needs. The face enhancer has
its own small group: the model and its strength (POST /face/settings), its cost per frame,
the backend's advice with "Use for file jobs" when it cannot keep the live rate here, and a
refusal's reason with Download…. A GPU provider asked for while the CPU runs is said in a
warning colour, for the engine and for the enhancer.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QEvent, QObject, QSettings, Qt, QTimer, pyqtSignal, pyqtSlot
from PyQt5.QtGui import QMouseEvent, QPixmap, QStandardItemModel
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
    QSlider,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import EnginesOut, EngineView, FaceLoadOut, FaceSource, FaceStatus
from user_gui.app.face_picker import FacePicker
from user_gui.app.guidance import GuidanceLabel
from user_gui.app.guidance import next_step as work_out_next_step
from user_gui.app.i18n import tr
from user_gui.app.models_dialog import (
    ENGINE_MODELS,
    ENHANCER_NAMES,
    ENHANCERS,
    ModelsDialog,
    enhancer_name,
    models_for_engine,
    needs_model_files,
)
from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient, BackendError

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp)"
THUMB_SIDE = 128
BLENDS = ("seamless", "feather")
STRENGTH_DELAY_MS = 300  # the strength is sent once the slider rests this long
WARN_COLOUR = "#a85600"  # dark amber: long text must read on the light panels
ERROR_COLOUR = "#e5484d"
GREYED = "#8a96a3"  # secondary text
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
class EnhancerRefused:
    """POST /face/settings refused the enhancer (its model file is missing or corrupt): the
    backend's reason, and the model to download."""

    model: str
    reason: str


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
    enhancer_for_files = pyqtSignal(str, float)  # "Use for file jobs": the model, its strength

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
        self._engine_note: str | None = None  # an unavailable engine chosen: its reason shows
        self._enhancer = "off"  # the enhancer as the backend last said (or as just asked for)
        self._enhancer_refused: EnhancerRefused | None = None
        self._enhancer_problem_model: str | None = None  # Download… opens the dialog on it
        self._models_dialog: ModelsDialog | None = None
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
        popup = self.engine.view()
        self._engine_popup = popup.viewport() if popup is not None else None
        if self._engine_popup is not None:  # a click on a greyed engine: its reason
            self._engine_popup.installEventFilter(self)
        self.models_button = QPushButton("")
        self.models_button.clicked.connect(self._open_all_models)
        engine_row = QHBoxLayout()
        engine_row.addWidget(self.engine, 1)
        engine_row.addWidget(self.models_button)
        self.blend = QComboBox()
        for blend in BLENDS:
            self.blend.addItem(blend, blend)
        self.blend.activated.connect(lambda _i: self._change(blend=self.blend.currentData()))
        self.engine_label = QLabel("")
        self.blend_label = QLabel("")
        # under the combo, an unavailable engine the user chose: its reason, and Download…
        # when its model files are missing or corrupt
        engine_field = QVBoxLayout()
        engine_field.setSpacing(4)
        engine_field.addLayout(engine_row)
        note_row = QHBoxLayout()
        self.engine_reason = wrapping(QLabel(""))
        self.engine_reason.setStyleSheet(f"color:{WARN_COLOUR};")
        self.engine_download = QPushButton("")
        self.engine_download.clicked.connect(self._download_for_engine)
        note_row.addWidget(self.engine_reason, 1)
        note_row.addWidget(self.engine_download, 0, Qt.AlignmentFlag.AlignTop)
        self.engine_note = QWidget()
        self.engine_note.setLayout(note_row)
        note_row.setContentsMargins(0, 0, 0, 0)
        self.engine_note.hide()
        engine_field.addWidget(self.engine_note)
        form.addRow(self.engine_label, engine_field)
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
        self.gpu_warning = wrapping(QLabel(""))
        self.gpu_warning.setStyleSheet(f"color:{WARN_COLOUR};font-weight:600;")
        self.gpu_warning.hide()
        col.addWidget(self.gpu_warning)
        col.addWidget(self._build_enhancer())

    def _build_enhancer(self) -> QGroupBox:
        """The face enhancer: model and strength, its cost per frame, the advice to use it for
        file jobs when it cannot keep the live rate here, and why it cannot run."""
        box = QGroupBox("")
        self.enhancer_box = box
        col = QVBoxLayout(box)
        col.setContentsMargins(8, 4, 8, 6)
        col.setSpacing(4)
        row = QHBoxLayout()
        self.enhancer = QComboBox()
        for model in ENHANCERS:
            self.enhancer.addItem(model, model)
        self.enhancer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
        self.enhancer.setMinimumContentsLength(10)
        self.enhancer.activated.connect(self._enhancer_chosen)
        self.strength_label = QLabel("")
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setValue(80)
        self.strength.setMinimumWidth(60)
        self.strength_value = QLabel("80%")
        self.strength_value.setMinimumWidth(
            self.strength_value.fontMetrics().horizontalAdvance("100%") + 2
        )
        self._strength_timer = QTimer(self)
        self._strength_timer.setSingleShot(True)
        self._strength_timer.setInterval(STRENGTH_DELAY_MS)
        self._strength_timer.timeout.connect(self._send_strength)
        self.strength.valueChanged.connect(self._strength_moved)
        self.strength.sliderReleased.connect(self._send_strength)
        self.enhancer_label = QLabel("")
        row.addWidget(self.strength, 1)
        row.addWidget(self.strength_value)
        form = QFormLayout()
        form.addRow(self.enhancer_label, self.enhancer)
        form.addRow(self.strength_label, row)
        col.addLayout(form)
        self.enhancer_cost = wrapping(QLabel(""))
        self.enhancer_cost.setStyleSheet(f"color:{GREYED};")
        self.enhancer_cost.hide()
        col.addWidget(self.enhancer_cost)
        advice_row = QHBoxLayout()
        self.enhancer_advice = wrapping(QLabel(""))
        self.enhancer_advice.setStyleSheet(f"color:{WARN_COLOUR};")
        self.use_for_files = QPushButton("")
        self.use_for_files.clicked.connect(self._use_for_files)
        advice_row.addWidget(self.enhancer_advice, 1)
        advice_row.addWidget(self.use_for_files, 0, Qt.AlignmentFlag.AlignTop)
        advice_row.setContentsMargins(0, 0, 0, 0)
        self.advice_box = QWidget()
        self.advice_box.setLayout(advice_row)
        self.advice_box.hide()
        col.addWidget(self.advice_box)
        problem_row = QHBoxLayout()
        self.enhancer_problem = wrapping(QLabel(""))
        self.enhancer_problem.setStyleSheet(f"color:{ERROR_COLOUR};")
        self.enhancer_download = QPushButton("")
        self.enhancer_download.clicked.connect(self._download_for_enhancer)
        problem_row.addWidget(self.enhancer_problem, 1)
        problem_row.addWidget(self.enhancer_download, 0, Qt.AlignmentFlag.AlignTop)
        problem_row.setContentsMargins(0, 0, 0, 0)
        self.problem_box = QWidget()
        self.problem_box.setLayout(problem_row)
        self.problem_box.hide()
        col.addWidget(self.problem_box)
        return box

    def _controls(self) -> tuple[QWidget, ...]:
        return (
            self.choose,
            self.engine,
            self.blend,
            self.many_faces,
            self.mouth_mask,
            self.enhancer,
            self.strength,
            self.use_for_files,
        )

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
        self.models_button.setText(tr("Models…"))
        self.models_button.setToolTip(
            tr("The model files of the neural engines and the enhancer: state, licence, download")
        )
        self.engine_download.setText(tr("Download…"))
        self.engine_download.setToolTip(tr("Open the Models dialog on this engine's model files"))
        self.enhancer_box.setTitle(tr("Face enhancer"))
        self.enhancer.setToolTip(
            tr("Restores detail in the swapped face; it costs time on every frame")
        )
        for i in range(self.enhancer.count()):
            self.enhancer.setItemText(i, enhancer_name(self.enhancer.itemData(i)))
        self.enhancer_label.setText(tr("Model"))
        self.strength_label.setText(tr("Strength"))
        self.strength.setToolTip(tr("How much of the enhanced face is kept"))
        self.use_for_files.setText(tr("Use for file jobs"))
        self.use_for_files.setToolTip(
            tr("Choose this enhancer for new jobs in the Files tab, where time is no limit")
        )
        self.enhancer_download.setText(tr("Download…"))
        self.enhancer_download.setToolTip(
            tr("Open the Models dialog on this enhancer's model file")
        )
        if not self._loaded and self._thumb_key is None:
            self.thumb.setText(tr("no face"))
        self._fill_engines()
        for label in list(self._texts):
            self._apply(label)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        """A click on an unavailable (greyed) engine in the combo's list: Qt does nothing with
        it, so the list closes and the panel shows why it is unavailable, with Download… when
        its model files are missing or corrupt."""
        if (
            watched is self._engine_popup
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
        self.strength.setEnabled(ready and self.enhancer.currentData() != "off")
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
        self._show_gpu(status)
        self._show_enhancer(status)

    def _show_gpu(self, status: FaceStatus) -> None:
        """A GPU provider was asked for and the CPU runs (the engine's or the enhancer's)."""
        found: dict[str, list[str]] = {}  # each warning, and whose it is
        if status.engine_info is not None and status.engine_info.gpu_warning:
            found.setdefault(status.engine_info.gpu_warning, []).append(status.engine)
        enhancer = status.enhancer
        if enhancer is not None and enhancer.gpu_warning and enhancer.model != "off":
            found.setdefault(enhancer.gpu_warning, []).append(enhancer_name(enhancer.model))
        lines = [f"⚠ {', '.join(who)}: {text}" for text, who in found.items()]
        if lines:
            self._put("gpu_warning", "\n".join(lines))
        self.gpu_warning.setVisible(bool(lines))

    def _show_enhancer(self, status: FaceStatus) -> None:
        """The enhancer the backend runs: its model and strength, what it costs, and why it
        cannot run (a refusal just answered stays until the next choice)."""
        options = status.options
        model = options.enhancer or "off"
        self._enhancer = model
        index = self.enhancer.findData(model)
        if index >= 0:
            self.enhancer.setCurrentIndex(index)
        if not self.strength.isSliderDown() and not self._strength_timer.isActive():
            self.strength.blockSignals(True)
            self.strength.setValue(round(100 * options.enhancer_strength))
            self.strength.blockSignals(False)
            self.strength_value.setText(f"{self.strength.value()}%")
        self._enable()
        info = status.enhancer
        if model == "off" or info is None or info.model == "off":
            self.enhancer_cost.hide()
            self.advice_box.hide()
        else:
            ms, provider = info.ms_per_frame, info.provider or "?"

            def cost() -> str:
                if ms is None:
                    return tr("Enhancer: cost per frame not measured yet (it is measured live)")
                return tr(
                    "Enhancer: {ms} ms per frame on {provider}", ms=f"{ms:.0f}", provider=provider
                )

            self._put("enhancer_cost", cost)
            self.enhancer_cost.setVisible(info.available)
            slow = info.available and info.keeps_live_rate is False
            if slow:
                advice, budget = info.advice, info.live_budget_ms
                self._put(
                    "enhancer_advice",
                    lambda: (
                        advice
                        or tr(
                            "It costs more than the {budget} ms a frame may take live here: use it "
                            "for file jobs",
                            budget=f"{budget:.0f}",
                        )
                    ),
                )
            self.advice_box.setVisible(slow)
        refused = self._enhancer_refused
        if refused is not None:
            self._show_enhancer_problem(refused.model, refused.reason)
        elif info is not None and info.model != "off" and not info.available:
            self._show_enhancer_problem(info.model, info.reason or tr("unavailable"))
        else:
            self._show_enhancer_problem(None, "")

    def _show_enhancer_problem(self, model: str | None, reason: str) -> None:
        self._enhancer_problem_model = model
        if model is None:
            self.problem_box.hide()
            return
        name = enhancer_name(model)
        if reason.startswith(model):  # the backend's words name it already
            self._put("enhancer_problem", reason)
        else:
            self._put(
                "enhancer_problem",
                lambda: tr("{name} cannot run: {reason}", name=name, reason=reason),
            )
        self.enhancer_download.setVisible(needs_model_files(reason) or model in ENHANCER_NAMES)
        self.problem_box.show()

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
                if item is not None:  # greyed, not chosen: a click shows its reason
                    item.setEnabled(False)
        self.engine.blockSignals(False)
        self._select_engine(self._engine_active)
        self._show_engine_note()

    def _engine_view(self, name: str | None) -> EngineView | None:
        if self._engines is None or name is None:
            return None
        return next((e for e in self._engines.engines if e.name == name), None)

    def _show_engine_note(self) -> None:
        """The reason of the unavailable engine the user chose, under the combo; gone once it
        is available (its files were downloaded, say)."""
        view = self._engine_view(self._engine_note)
        if view is None or view.available:
            if view is not None:
                log.info("engine %s is available now", view.name)
            self._engine_note = None
            self.engine_note.hide()
            return
        name, reason = view.name, view.reason or ""
        self._put(
            "engine_reason",
            lambda: tr("{name} is unavailable: {reason}", name=name, reason=reason or "?"),
        )
        self.engine_download.setVisible(needs_model_files(reason) or name in ENGINE_MODELS)
        self.engine_note.show()

    def show_engine_reason(self, name: str) -> None:
        """Show why engine ``name`` is unavailable (and Download… for its files), as choosing
        it in the combo does."""
        self._engine_note = name
        self._show_engine_note()

    def _download_for_engine(self) -> None:
        name = self._engine_note
        if name is None:
            return
        listing = self._models_dialog.listing if self._models_dialog is not None else None
        what = tr("The {name} engine", name=name)
        self.open_models(models_for_engine(name, listing), what, engine=name)

    def _select_engine(self, name: str | None) -> None:
        index = self.engine.findData(name)
        if index >= 0:
            self.engine.blockSignals(True)
            self.engine.setCurrentIndex(index)
            self.engine.blockSignals(False)

    def _engine_chosen(self, index: int) -> None:
        name = self.engine.itemData(index)
        previous = self._engine_active
        view = self._engine_view(name)
        if view is not None and not view.available:
            self._select_engine(previous)  # not asked for: the backend would refuse it
            self.show_engine_reason(name)
            return
        if not name or name == previous:
            return
        self._engine_note = None
        self.engine_note.hide()
        self._say(lambda: tr("switching to the {name} engine…", name=name))

        def done(status: FaceStatus) -> None:
            self._on_changed(status)
            self.load_engines()  # "loaded" and "active" changed

        def failed(message: str) -> None:
            self._select_engine(previous)
            self._say(message, error=True)
            log.warning("face engine %s not chosen: %s", name, message)

        self._call(lambda: self.backend.face_settings(engine=name), done, failed)

    # ---- the face enhancer -----------------------------------------------------------------

    @property
    def enhancer_model(self) -> str:
        """The enhancer as the backend last said (or as just asked for)."""
        return self._enhancer

    def _enhancer_chosen(self, index: int) -> None:
        model = self.enhancer.itemData(index)
        if not model:
            return
        self._enhancer_refused = None
        if model == self._enhancer and self._enhancer_problem_model is None:
            return
        self._change_enhancer(model, enhancer=model)

    def _strength_moved(self, value: int) -> None:
        self.strength_value.setText(f"{value}%")
        if not self.strength.isSliderDown():  # the keyboard or a click: sent once it rests
            self._strength_timer.start()

    def _send_strength(self) -> None:
        self._strength_timer.stop()
        self._change_enhancer(self._enhancer, enhancer_strength=self.strength.value() / 100)

    def _change_enhancer(self, model: str, **changes: Any) -> None:
        """POST /face/settings for the enhancer; a refusal naming ``enhancer`` (its model file
        missing or corrupt) shows the backend's reason with Download…."""

        def work() -> FaceStatus | EnhancerRefused:
            try:
                return self.backend.face_settings(**changes)
            except BackendError as exc:
                if (exc.field or "").startswith("enhancer"):
                    return EnhancerRefused(model, exc.reason or str(exc))
                raise

        def done(result: FaceStatus | EnhancerRefused) -> None:
            if isinstance(result, EnhancerRefused):
                log.warning("enhancer %s refused: %s", result.model, result.reason)
                self._enhancer_refused = result
                index = self.enhancer.findData(self._enhancer)  # nothing changed there
                if index >= 0:
                    self.enhancer.setCurrentIndex(index)
                self._enable()
                self._show_enhancer_problem(result.model, result.reason)
                self._refresh_now()
                return
            self._enhancer_refused = None
            self._on_changed(result)

        def failed(message: str) -> None:
            self._enhancer_refused = EnhancerRefused(model, message)
            self._show_enhancer_problem(model, message)
            log.warning("enhancer settings %s refused: %s", changes, message)
            self._refresh_now()

        self._call(work, done, failed)

    def _use_for_files(self) -> None:
        model = self._enhancer
        if model != "off":
            self.enhancer_for_files.emit(model, self.strength.value() / 100)

    def _download_for_enhancer(self) -> None:
        model = self._enhancer_problem_model
        if model is None:
            return
        self.open_models([model], tr("The {name} enhancer", name=enhancer_name(model)))

    # ---- the Models dialog -----------------------------------------------------------------

    @property
    def models_dialog(self) -> ModelsDialog | None:
        return self._models_dialog

    def open_models(
        self, focus: list[str] | None = None, what: str = "", engine: str | None = None
    ) -> ModelsDialog:
        """Open the Models dialog (one per window, kept while downloads run), focused on
        ``focus`` (the models ``what`` needs); an engine whose models are not known until the
        list is read is focused once it is."""
        dialog = self._models_dialog
        if dialog is None:
            dialog = ModelsDialog(self.backend, self.window())
            dialog.model_ready.connect(self._model_ready)
            self._models_dialog = dialog
        if engine is not None and not focus:
            wanted = engine

            def focus_later() -> None:
                dialog.listed.disconnect(focus_later)
                dialog.focus_on(models_for_engine(wanted, dialog.listing), what)

            dialog.listed.connect(focus_later)
        dialog.focus_on(focus or [], what)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def stop(self) -> None:
        """The window closes: the Models dialog stops reading (downloads go on, on the
        backend)."""
        self._strength_timer.stop()
        if self._models_dialog is not None:
            self._models_dialog.stop()
            self._models_dialog.close()

    def _open_all_models(self) -> None:
        self.open_models()

    def _model_ready(self, name: str) -> None:
        """A model's files are in place: engines and the enhancer are read again."""
        if self._enhancer_refused is not None and self._enhancer_refused.model == name:
            self._enhancer_refused = None
        self.load_engines()
        self._refresh_now()
