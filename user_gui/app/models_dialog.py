"""The Models dialog (issue 16): the model files the neural engines and enhancers use.

One row per model of the backend's manifest (``GET /models``): its name, what it is, what uses
it, its licence in full (insightface's models are for non-commercial research only: the person
reads that before downloading), each file's state (present, missing, corrupt, unverified,
downloading) and size, a progress bar while it downloads, Download and Cancel, and the error of
a download that failed. The backend downloads (``POST /models/<name>/fetch``) and verifies each
file before it is put in place; this dialog only asks and shows.

The list is read on the pool, one read at a time: every half second while a download runs,
every few seconds otherwise, and not at all once the dialog is closed and nothing downloads
(a download started here is followed to its end, closed or not, so ``model_ready`` still
fires). Opened for an engine or an enhancer (``focus_on``), the models it needs come first and
are marked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from PyQt5.QtCore import QEvent, QTimer, pyqtSignal
from PyQt5.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PyQt5.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import ModelOut, ModelsOut
from user_gui.app.i18n import tr
from user_gui.app.model_files import is_ready
from user_gui.app.model_row import ModelRow
from user_gui.app.widgets import (
    GREYED,
    MessageLabel,
    RowList,
    breakable,
    wrapping,
)
from user_gui.app.workers import ListPoller, run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)

FAST_MS = 500  # while a download runs
SLOW_MS = 3000  # otherwise, while the dialog is open
FOCUS_STYLE = 'QFrame#modelRow[focused="true"] { border: 2px solid #2f81f7; border-radius: 6px; }'


class ModelsDialog(QDialog):
    """The Models dialog. ``refresh()`` reads the list now; ``focus_on(models, what)`` puts a
    thing's models first and marks them; ``download(name)`` and ``cancel(name)`` are the rows'
    buttons. ``model_ready(name)`` fires when a download started or seen here ends with every
    file in place (the face panel then re-reads its engines)."""

    model_ready = pyqtSignal(str)
    listed = pyqtSignal()  # a list from the backend is shown

    def __init__(self, backend: ARBackendClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.listing: ModelsOut | None = None
        self.focus: list[str] = []
        self._focus_what = ""
        self._pending: set[str] = set()  # downloads started or seen here, not ended yet
        self._fetched: set[str] = set()  # models whose download ended well while shown
        self._error = ""
        self.setModal(False)
        self.setStyleSheet(FOCUS_STYLE)
        self._build()
        self._retranslate()
        self._poller = ListPoller(self.backend.models, self._interval, self)
        self._poller.listed.connect(self._on_models)
        self._poller.failed.connect(self._on_failed)

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        col = QVBoxLayout(self)
        self.intro = wrapping(QLabel(""), selectable=True)
        self.folder = wrapping(QLabel(""), selectable=True)
        self.folder.setStyleSheet(f"color:{GREYED};")
        self.focus_line = wrapping(QLabel(""), selectable=True)
        self.focus_line.setStyleSheet("font-weight:600;")
        self.focus_line.hide()
        self.message = MessageLabel()
        col.addWidget(self.intro)
        col.addWidget(self.folder)
        col.addWidget(self.focus_line)
        col.addWidget(self.message)
        self.list: RowList[ModelRow] = RowList(spacing=8)
        self.empty = self.list.empty
        col.addWidget(self.list, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.close_button = QPushButton("")
        self.close_button.clicked.connect(self.reject)
        bottom.addWidget(self.close_button)
        col.addLayout(bottom)
        self.resize(720, 560)

    def _retranslate(self) -> None:
        self.setWindowTitle(tr("Models"))
        self.intro.setText(
            tr(
                "The model files the neural engines and the face enhancer use. The backend "
                "downloads each one and checks its size and SHA-256 before it is used. Read "
                "each licence before downloading: some models are for non-commercial use only."
            )
        )
        self.close_button.setText(tr("Close"))
        self.empty.setText(tr("Reading the model list…") if self.listing is None else "")
        self._show_focus_line()
        if self.listing is not None:
            self.folder.setText(
                breakable(tr("Models folder: {folder}", folder=self.listing.models_dir))
            )
            for row in self.rows.values():
                row.show_model(row.model)
        if self._error:
            self.message.show_message(
                tr("The model list is unavailable: {error}", error=self._error), True
            )

    def changeEvent(self, event: QEvent | None) -> None:
        if event is not None and event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    @property
    def rows(self) -> dict[str, ModelRow]:
        """Each model's row, by name."""
        return self.list.rows

    # ---- focus -----------------------------------------------------------------------------

    def focus_on(self, models: Sequence[str], what: str = "") -> None:
        """Put ``models`` first and mark them (``what`` names who needs them, e.g. "the
        inswapper engine"); an empty list: every model as the manifest lists them."""
        self.focus = list(dict.fromkeys(models))
        self._focus_what = what
        self._show_focus_line()
        if self.listing is not None:
            self.show_models(self.listing)
            QTimer.singleShot(0, self._scroll_to_focus)

    def _show_focus_line(self) -> None:
        if not self.focus:
            self.focus_line.hide()
            return
        names = ", ".join(self.focus)
        if self._focus_what:
            text = tr("{what} needs: {models}", what=self._focus_what, models=names)
        else:
            text = tr("Needed: {models}", models=names)
        self.focus_line.setText(text)
        self.focus_line.show()

    def _scroll_to_focus(self) -> None:
        for name in self.focus:
            row = self.rows.get(name)
            if row is not None:
                self.list.ensureWidgetVisible(row, 0, 0)
                return

    def was_fetched(self, name: str) -> bool:
        return name in self._fetched

    # ---- reading the list ------------------------------------------------------------------

    def showEvent(self, event: QShowEvent | None) -> None:
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: QHideEvent | None) -> None:
        super().hideEvent(event)
        if not self._pending:
            self._poller.pause()

    def closeEvent(self, event: QCloseEvent | None) -> None:
        if not self._pending:
            self._poller.pause()
        super().closeEvent(event)

    @property
    def downloading(self) -> bool:
        """A download started or seen here has not ended yet."""
        return bool(self._pending)

    @property
    def stopped(self) -> bool:
        return self._poller.stopped

    def stop(self) -> None:
        """The window closes: no more reads; answers still on their way change nothing."""
        self._poller.stop()

    def refresh(self) -> None:
        """Read GET /models on the pool (one read at a time); the next read is planned when
        its answer is in."""
        self._poller.refresh()

    def _interval(self) -> int | None:
        """Soon while a download runs, later while the dialog is open, else not at all."""
        if self._pending:
            return FAST_MS
        return SLOW_MS if self.isVisible() else None

    def _on_failed(self, msg: str) -> None:
        log.info("model list not read: %s", msg)
        self._error = msg
        self.message.show_message(tr("The model list is unavailable: {error}", error=msg), True)

    def _on_models(self, answer: ModelsOut) -> None:
        if self._error:
            self._error = ""
            self.message.show_message("")
        self._follow(answer.models)
        self.show_models(answer)
        self.listed.emit()

    def _follow(self, models: Iterable[ModelOut]) -> None:
        """Downloads seen running are followed; one that ended with its files in place is
        announced (``model_ready``) once."""
        for model in models:
            running = model.fetch is not None and model.fetch.state == "downloading"
            running = running or any(f.state == "downloading" for f in model.files)
            if running:
                self._pending.add(model.name)
                continue
            if model.name not in self._pending:
                continue
            self._pending.discard(model.name)
            if is_ready(model) and model.fetch is not None and model.fetch.state == "done":
                self._fetched.add(model.name)
                log.info("model %s downloaded and verified", model.name)
                self.model_ready.emit(model.name)
            elif model.fetch is not None and model.fetch.state == "failed":
                log.warning("model %s not downloaded: %s", model.name, model.fetch.error)

    def show_models(self, listing: ModelsOut) -> None:
        """The backend's list: rows made, updated and dropped; the focused models first."""
        self.listing = listing
        self.folder.setText(breakable(tr("Models folder: {folder}", folder=listing.models_dir)))
        names = [m.name for m in listing.models]
        order = [n for n in self.focus if n in names] + [n for n in names if n not in self.focus]
        by_name = {m.name: m for m in listing.models}
        self.list.show_items(
            [by_name[n] for n in order],
            key=lambda m: m.name,
            make=self._make_row,
            update=lambda row, m: row.show_model(m),
        )
        for name, row in self.rows.items():
            row.set_focused(name in self.focus)
        self.empty.setText(tr("The manifest lists no models.") if not names else "")

    def _make_row(self, model: ModelOut) -> ModelRow:
        row = ModelRow(model, self.was_fetched)
        row.download_clicked.connect(self.download)
        row.cancel_clicked.connect(self.cancel)
        return row

    # ---- the rows' buttons -----------------------------------------------------------------

    def download(self, name: str) -> None:
        """Ask the backend to download ``name``; the list then shows its progress."""
        what = tr("{name} not downloaded", name=name)
        self._act(name, lambda: self.backend.fetch_model(name), what)

    def cancel(self, name: str) -> None:
        what = tr("{name} not cancelled", name=name)
        self._act(name, lambda: self.backend.cancel_model_fetch(name), what)

    def _act(self, name: str, fn: Callable[[], ModelOut], what: str) -> None:
        row = self.rows.get(name)
        if row is not None:
            row.set_busy(True)
        self._poller.changed()  # a list read before this is stale
        self._pending.add(name)
        self.message.show_message("")

        def done(model: ModelOut) -> None:
            if self.stopped:
                return
            self._poller.changed()
            r = self.rows.get(name)
            if r is not None:
                r.set_busy(False)
                r.show_model(model)
            self._follow([model])
            self.refresh()

        def failed(msg: str) -> None:
            if self.stopped:
                return
            self._poller.changed()
            self._pending.discard(name)
            r = self.rows.get(name)
            if r is not None:
                r.set_busy(False)
            text = f"{what}: {msg}"
            log.warning("%s", text)
            self.message.show_message(text, error=True)
            self.refresh()

        run_async(fn, done, failed)
