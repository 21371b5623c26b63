"""One model in the Models dialog, plain words first: what it is and does, its size and state,
whether its licence lets a streamer use it (non-commercial ones stand out), Download and
Cancel, the progress bar and why a download failed. The technical details (the manifest's
description with its tensor shapes, the config keys that use it, the licence in full, each
file's path, state and size) are folded under **Details**."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import ModelOut
from user_gui.app.i18n import tr
from user_gui.app.model_files import (
    STATE_COLOURS,
    is_ready,
    licence_summary,
    megabytes,
    model_progress,
    model_size,
    model_state,
    plain_words,
    restricted,
    state_text,
)
from user_gui.app.widgets import GREYED, WARN_COLOUR, MessageLabel, breakable, wrapping


class ModelRow(QFrame):
    """One model; ``download_clicked`` and ``cancel_clicked`` carry its name."""

    download_clicked = pyqtSignal(str)  # the model's name
    cancel_clicked = pyqtSignal(str)

    def __init__(
        self, model: ModelOut, was_fetched: Callable[[str], bool], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._was_fetched = was_fetched  # its download ended well while the dialog showed it
        self.setObjectName("modelRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("focused", False)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 8, 10, 8)
        col.setSpacing(4)
        top = QHBoxLayout()
        self.title = wrapping(QLabel(""), selectable=True)
        self.title.setStyleSheet("font-weight:600;font-size:14px;")
        self.state = QLabel("")
        self.size_label = QLabel("")
        self.size_label.setStyleSheet(f"color:{GREYED};")
        self.download = QPushButton("")
        self.cancel = QPushButton("")
        self.download.clicked.connect(lambda: self.download_clicked.emit(self.model.name))
        self.cancel.clicked.connect(lambda: self.cancel_clicked.emit(self.model.name))
        top.addWidget(self.title, 1)
        top.addWidget(self.state)
        top.addWidget(self.size_label)
        top.addWidget(self.download)
        top.addWidget(self.cancel)
        col.addLayout(top)
        self.what = wrapping(QLabel(""), selectable=True)  # what it does, in plain words
        self.terms = wrapping(QLabel(""), selectable=True)  # may a streamer use it?
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.error = MessageLabel()
        self.details_button = QToolButton()
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._fold)
        for w in (self.what, self.terms, self.bar, self.error, self.details_button):
            col.addWidget(w)
        # the details, folded: for who wants the technical words
        self.details = QWidget()
        dcol = QVBoxLayout(self.details)
        dcol.setContentsMargins(12, 0, 0, 0)
        dcol.setSpacing(2)
        self.name = wrapping(QLabel(""), selectable=True)
        self.description = wrapping(QLabel(""), selectable=True)
        self.used_by = wrapping(QLabel(""), selectable=True)
        self.licence = wrapping(QLabel(""), selectable=True)
        self.files = wrapping(QLabel(""), selectable=True)
        for w in (self.name, self.description, self.used_by, self.licence, self.files):
            w.setStyleSheet(f"color:{GREYED};")
            dcol.addWidget(w)
        col.addWidget(self.details)
        self.details.hide()
        self.show_model(model)

    def _fold(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )

    def set_focused(self, on: bool) -> None:
        self.setProperty("focused", on)
        style = self.style()
        if style is not None:
            style.unpolish(self)
            style.polish(self)

    def show_model(self, model: ModelOut) -> None:
        self.model = model
        state = model_state(model)
        colour = STATE_COLOURS.get(state, GREYED)
        title, what = plain_words(model.name, model.description)
        self.title.setText(title)
        self.state.setText(state_text(state))
        self.state.setStyleSheet(f"color:{colour};font-weight:600;")
        self.size_label.setText(tr("{size} MB", size=megabytes(model_size(model))))
        self.what.setText(what)
        limited = restricted(model.licence)
        self.terms.setText(licence_summary(model.licence))
        self.terms.setStyleSheet(f"color:{WARN_COLOUR};font-weight:600;" if limited else "")
        self._fold(self.details_button.isChecked())
        self.details_button.setText(tr("Details"))
        self.details_button.setToolTip(tr("Its files, the config keys that use it, the licence"))
        self.name.setText(tr("Name: {name}", name=model.name))
        self.description.setText(breakable(model.description))
        used = ", ".join(u.strip() for u in model.used_by if u.strip())
        self.used_by.setText(breakable(tr("Used by: {what}", what=used)))
        self.licence.setText(breakable(tr("Licence: {licence}", licence=model.licence)))
        self.files.setText(
            "\n".join(
                breakable(
                    tr(
                        "{path}: {state}, {size} MB",
                        path=f.path,
                        state=state_text(f.state),
                        size=megabytes(f.size),
                    )
                )
                for f in model.files
            )
        )
        self._show_progress(model, state)

    def _show_progress(self, model: ModelOut, state: str) -> None:
        """The bar while it downloads (and full once it did here), why a download failed,
        and the buttons that fit."""
        running = state == "downloading"
        if running:
            done, total = model_progress(model)
            share = done / total if total else 0.0
            self.bar.setValue(int(1000 * share))
            self.bar.setFormat(
                tr(
                    "{percent}% · {done} of {total} MB",
                    percent=int(100 * share),
                    done=megabytes(done),
                    total=megabytes(total),
                )
            )
        elif is_ready(model):
            self.bar.setValue(1000)
            self.bar.setFormat(
                tr(
                    "{percent}% · {done} of {total} MB",
                    percent=100,
                    done=megabytes(model_size(model)),
                    total=megabytes(model_size(model)),
                )
            )
        self.bar.setVisible(running or (is_ready(model) and self._was_fetched(model.name)))
        fetch = model.fetch
        if fetch is not None and fetch.state == "failed":
            self.error.show_message(
                tr("Download failed: {error}", error=fetch.error or tr("no reason given")),
                error=True,
            )
        elif fetch is not None and fetch.state == "cancelled" and not is_ready(model):
            self.error.show_message(tr("Download cancelled: what was downloaded is kept."))
        else:
            self.error.show_message("")
        self.download.setText(tr("Download again") if state == "corrupt" else tr("Download"))
        self.download.setToolTip(
            tr("Downloads its files onto the backend's models folder; read its licence first")
        )
        self.download.setVisible(not running and not is_ready(model))
        self.cancel.setText(tr("Cancel"))
        self.cancel.setToolTip(tr("Stop the download (what was downloaded is kept)"))
        self.cancel.setVisible(running)

    def set_busy(self, busy: bool) -> None:
        self.download.setEnabled(not busy)
        self.cancel.setEnabled(not busy)
