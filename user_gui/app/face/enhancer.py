"""The face enhancer (issue 16): the model and its strength (``POST /face/settings``), what it
costs per frame, the backend's advice with "Use for file jobs" when it cannot keep the live
rate here, and why it cannot run (its model file missing or corrupt) with Download…."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import FaceStatus
from user_gui.app.face.calls import FaceCalls
from user_gui.app.i18n import tr
from user_gui.app.model_files import ENHANCER_NAMES, ENHANCERS, enhancer_name, needs_model_files
from user_gui.app.widgets import (
    ERROR_COLOUR,
    GREYED,
    WARN_COLOUR,
    PercentSlider,
    TextLabel,
    beside,
    on_language_change,
)
from user_gui.services.clients import BackendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnhancerRefused:
    """POST /face/settings refused the enhancer (its model file is missing or corrupt): the
    backend's reason, and the model to download."""

    model: str
    reason: str


class EnhancerPanel(QGroupBox):
    """The face enhancer's group."""

    changed = pyqtSignal(object)  # a change's answer (FaceStatus): every panel shows it
    refresh_wanted = pyqtSignal()  # a refused change: the backend's values are read again
    models_wanted = pyqtSignal(list, str, str)  # the models to show, who needs them, engine
    use_for_files = pyqtSignal(str, float)  # "Use for file jobs": the model, its strength

    def __init__(self, calls: FaceCalls, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.calls = calls
        self._ready = False
        self._current = "off"  # the enhancer as the backend last said (or as just asked for)
        self._refused: EnhancerRefused | None = None
        self._problem_model: str | None = None  # Download… opens the dialog on it
        self._build()
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 4, 8, 6)
        col.setSpacing(4)
        self.model = QComboBox(self)
        for model in ENHANCERS:
            self.model.addItem(model, model)
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
        self.model.setMinimumContentsLength(10)
        self.model.activated.connect(self._chosen)
        self.strength_label = QLabel("", self)
        self.strength_box = PercentSlider(80, self)  # sent once it rests
        self.strength_box.rested.connect(self._send_strength)
        self.strength = self.strength_box.slider
        self.strength_value = self.strength_box.value_label
        self.model_label = QLabel("", self)
        form = QFormLayout()
        form.addRow(self.model_label, self.model)
        form.addRow(self.strength_label, self.strength_box)
        col.addLayout(form)
        self.cost = TextLabel("", self)
        self.cost.setStyleSheet(f"color:{GREYED};")
        self.cost.hide()
        col.addWidget(self.cost)
        self.advice = TextLabel("", self)
        self.advice.setStyleSheet(f"color:{WARN_COLOUR};")
        self.use_for_files_button = QPushButton("", self)
        self.use_for_files_button.clicked.connect(self._use_for_files)
        self.advice_box = beside(self.advice, self.use_for_files_button, self)
        col.addWidget(self.advice_box)
        self.problem = TextLabel("", self)
        self.problem.setStyleSheet(f"color:{ERROR_COLOUR};")
        self.download = QPushButton("", self)
        self.download.clicked.connect(self._download)
        self.problem_box = beside(self.problem, self.download, self)
        col.addWidget(self.problem_box)

    def _retranslate(self) -> None:
        self.setTitle(tr("Face enhancer"))
        self.model.setToolTip(
            tr("Restores detail in the swapped face; it costs time on every frame")
        )
        for i in range(self.model.count()):
            self.model.setItemText(i, enhancer_name(self.model.itemData(i)))
        self.model_label.setText(tr("Model"))
        self.strength_label.setText(tr("Strength"))
        self.strength.setToolTip(tr("How much of the enhanced face is kept"))
        self.use_for_files_button.setText(tr("Use for file jobs"))
        self.use_for_files_button.setToolTip(
            tr("Choose this enhancer for new jobs in the Files tab, where time is no limit")
        )
        self.download.setText(tr("Download…"))
        self.download.setToolTip(tr("Open the Models dialog on this enhancer's model file"))

    def set_ready(self, ready: bool) -> None:
        """The backend answers and no change is under way: the controls can be used."""
        self._ready = ready
        self._enable()

    def _enable(self) -> None:
        self.model.setEnabled(self._ready)
        self.use_for_files_button.setEnabled(self._ready)
        self.strength.setEnabled(self._ready and self.model.currentData() != "off")

    @property
    def current(self) -> str:
        """The enhancer as the backend last said (or as just asked for)."""
        return self._current

    def stop(self) -> None:
        self.strength_box.stop()

    # ---- the person's choices --------------------------------------------------------------

    def _chosen(self, index: int) -> None:
        model = self.model.itemData(index)
        if not model:
            return
        self._refused = None
        if model == self._current and self._problem_model is None:
            return
        self._change(model, enhancer=model)

    def _send_strength(self, share: float) -> None:
        self._change(self._current, enhancer_strength=share)

    def _change(self, model: str, **changes: Any) -> None:
        """POST /face/settings for the enhancer; a refusal naming ``enhancer`` (its model file
        missing or corrupt) shows the backend's reason with Download…."""
        backend = self.calls.backend

        def work() -> FaceStatus | EnhancerRefused:
            try:
                return backend.face_settings(**changes)
            except BackendError as exc:
                if (exc.field or "").startswith("enhancer"):
                    return EnhancerRefused(model, exc.reason or str(exc))
                raise

        def done(result: FaceStatus | EnhancerRefused) -> None:
            if isinstance(result, EnhancerRefused):
                log.warning("enhancer %s refused: %s", result.model, result.reason)
                self._refused = result
                index = self.model.findData(self._current)  # nothing changed there
                if index >= 0:
                    self.model.setCurrentIndex(index)
                self._enable()
                self._show_problem(result.model, result.reason, refused=True)
                self.refresh_wanted.emit()
                return
            self._refused = None
            self.changed.emit(result)

        def failed(message: str) -> None:
            self._refused = EnhancerRefused(model, message)
            self._show_problem(model, message, refused=True)
            log.warning("enhancer settings %s refused: %s", changes, message)
            self.refresh_wanted.emit()

        self.calls.call(work, done, failed)

    def _use_for_files(self) -> None:
        model = self._current
        if model != "off":
            self.use_for_files.emit(model, self.strength.value() / 100)

    def _download(self) -> None:
        model = self._problem_model
        if model is not None:
            what = tr("The {name} enhancer", name=enhancer_name(model))
            self.models_wanted.emit([model], what, "")

    def model_ready(self, name: str) -> None:
        """``name``'s files are in place: a refusal of it is over."""
        if self._refused is not None and self._refused.model == name:
            self._refused = None

    def forget_refusal(self) -> None:
        """The person went on to another change: the enhancer that was not turned on is old
        news, no longer said under the model the backend runs."""
        self._refused = None

    # ---- the backend's truth ---------------------------------------------------------------

    def show_status(self, status: FaceStatus) -> None:
        """The enhancer the backend runs: its model and strength, what it costs, and why it
        cannot run (a refusal just answered stays until the next choice)."""
        options = status.options
        model = options.enhancer or "off"
        self._current = model
        index = self.model.findData(model)
        if index >= 0:
            self.model.setCurrentIndex(index)
        self.strength_box.show_share(options.enhancer_strength)
        self._enable()
        info = status.enhancer
        if model == "off" or info is None or info.model == "off":
            self.cost.hide()
            self.advice_box.hide()
        else:
            ms, provider = info.ms_per_frame, info.provider or "?"

            def cost() -> str:
                if ms is None:
                    return tr("Enhancer: cost per frame not measured yet (it is measured live)")
                return tr(
                    "Enhancer: {ms} ms per frame on {provider}", ms=f"{ms:.0f}", provider=provider
                )

            self.cost.show_text(cost)
            self.cost.setVisible(info.available)
            slow = info.available and info.keeps_live_rate is False
            if slow:
                advice, budget = info.advice, info.live_budget_ms
                self.advice.show_text(
                    lambda: (
                        advice
                        or tr(
                            "It costs more than the {budget} ms a frame may take live here: use it "
                            "for file jobs",
                            budget=f"{budget:.0f}",
                        )
                    )
                )
            self.advice_box.setVisible(slow)
        refused = self._refused
        if refused is not None:
            self._show_problem(refused.model, refused.reason, refused=True)
        elif info is not None and info.model != "off" and not info.available:
            self._show_problem(info.model, info.reason or tr("unavailable"))
        else:
            self._show_problem(None, "")

    def _show_problem(self, model: str | None, reason: str, refused: bool = False) -> None:
        """Why ``model`` cannot run: the one the backend runs, or (``refused``) the one just
        asked for, which was not turned on (the model shown stays the backend's)."""
        self._problem_model = model
        if model is None:
            self.problem_box.hide()
            return
        name = enhancer_name(model)
        if refused:
            self.problem.show_text(
                lambda: tr("{name} was not turned on: {reason}", name=name, reason=reason)
            )
        elif reason.startswith(model):  # the backend's words name it already
            self.problem.show_text(reason)
        else:
            self.problem.show_text(
                lambda: tr("{name} cannot run: {reason}", name=name, reason=reason)
            )
        self.download.setVisible(needs_model_files(reason) or model in ENHANCER_NAMES)
        self.problem_box.show()
