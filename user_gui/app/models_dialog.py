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
import re
from collections.abc import Callable, Iterable, Sequence

from PyQt5.QtCore import QEvent, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PyQt5.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import ModelOut, ModelsOut
from user_gui.app.i18n import tr
from user_gui.app.widgets import MessageLabel
from user_gui.app.workers import ListPoller, run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)

FAST_MS = 500  # while a download runs
SLOW_MS = 3000  # otherwise, while the dialog is open
MB = 1_000_000

# Which models each engine needs. The manifest's ``used_by`` is free text for people, so the
# window keeps this small map; an engine not in it gets the models whose used_by names it.
ENGINE_MODELS: dict[str, tuple[str, ...]] = {
    "inswapper": ("inswapper_128", "buffalo_l"),
    "hyperswap": ("hyperswap_1a_256", "buffalo_l"),
}

ENHANCERS = ("off", "gfpgan_1.4", "gpen_bfr_256", "gpen_bfr_512")  # the API's names
ENHANCER_NAMES = {
    "gfpgan_1.4": "GFPGAN 1.4",
    "gpen_bfr_256": "GPEN-BFR 256",
    "gpen_bfr_512": "GPEN-BFR 512",
}

STATE_COLOURS = {
    "present": "#2fbf71",
    "unverified": "#e8b339",
    "missing": "#8a96a3",
    "corrupt": "#e5484d",
    "downloading": "#2f81f7",
}
WARN = "#a85600"  # dark amber: long text must read on the light panels
FOCUS_STYLE = 'QFrame#modelRow[focused="true"] { border: 2px solid #2f81f7; border-radius: 6px; }'
_BREAK = re.compile(r"\S{24}")
ZWSP = "\u200b"


def breakable(text: str) -> str:
    """A place to break in every 24 characters without a space (URLs, paths), so a wrapping
    label never asks for more width than it is given."""
    return _BREAK.sub(lambda m: m.group(0) + ZWSP, text)


def wrapping(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    return label


def enhancer_name(model: str) -> str:
    """What a person reads for an enhancer model ("GFPGAN 1.4"; "Off" for off)."""
    return tr("Off") if model == "off" else ENHANCER_NAMES.get(model, model)


def models_for_engine(engine: str, listing: ModelsOut | None = None) -> list[str]:
    """The models ``engine`` needs: from ENGINE_MODELS, else the listed models whose
    ``used_by`` text names it."""
    if engine in ENGINE_MODELS:
        return list(ENGINE_MODELS[engine])
    if listing is None:
        return []
    word = re.compile(rf"\b{re.escape(engine)}\b", re.IGNORECASE)
    return [m.name for m in listing.models if any(word.search(u) for u in m.used_by)]


def needs_model_files(reason: str | None) -> bool:
    """An unavailable engine's or enhancer's reason is about its model files (missing, or
    present with the wrong size or hash): downloading them is the fix."""
    text = (reason or "").lower()
    return any(
        key in text
        for key in ("missing model file", "is corrupt", "model file", "not in the models folder")
    )


def model_state(model: ModelOut) -> str:
    """The model as a whole: downloading, corrupt, missing, unverified or present."""
    states = {f.state for f in model.files}
    downloading = model.fetch is not None and model.fetch.state == "downloading"
    for state in ("downloading", "corrupt", "missing", "unverified"):
        if state in states:
            return state
    return "downloading" if downloading else "present"


def is_ready(model: ModelOut) -> bool:
    return all(f.state in ("present", "unverified") for f in model.files)


def model_size(model: ModelOut) -> int:
    return sum(f.size for f in model.files)


def model_progress(model: ModelOut) -> tuple[int, int]:
    """Bytes downloaded and bytes in all, over its files (a file already in place counts as
    done)."""
    done = total = 0
    for f in model.files:
        size = f.bytes_total or f.size
        total += size
        if f.state in ("present", "unverified"):
            done += size
        elif f.state == "downloading":
            done += min(f.bytes_done or 0, size)
    return done, total


def megabytes(n: int) -> str:
    value = n / MB
    if value < 1:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def state_text(state: str) -> str:
    return {
        "present": tr("present"),
        "missing": tr("missing"),
        "corrupt": tr("corrupt"),
        "unverified": tr("unverified"),
        "downloading": tr("downloading"),
    }.get(state, state)


def restricted(licence: str) -> bool:
    """The licence limits use (non-commercial, research only): shown in a warning colour."""
    text = licence.lower()
    return "non-commercial" in text or "noncommercial" in text or "research" in text


class ModelRow(QFrame):
    """One model: name, state and size, Download and Cancel; what it is, what uses it, its
    licence in full, its files, the progress bar, and the error of a failed download."""

    def __init__(self, dialog: ModelsDialog, model: ModelOut) -> None:
        super().__init__()
        self.dialog = dialog
        self.model = model
        self.setObjectName("modelRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("focused", False)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 8, 10, 8)
        col.setSpacing(4)
        top = QHBoxLayout()
        self.name = QLabel(model.name)
        self.name.setStyleSheet("font-weight:600;font-size:14px;")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = QLabel("")
        self.size_label = QLabel("")
        self.size_label.setStyleSheet("color:#8a96a3;")
        self.download = QPushButton("")
        self.cancel = QPushButton("")
        self.download.clicked.connect(lambda: dialog.download(self.model.name))
        self.cancel.clicked.connect(lambda: dialog.cancel(self.model.name))
        top.addWidget(self.name)
        top.addWidget(self.state)
        top.addWidget(self.size_label)
        top.addStretch(1)
        top.addWidget(self.download)
        top.addWidget(self.cancel)
        col.addLayout(top)
        self.description = wrapping(QLabel(""))
        self.used_by = wrapping(QLabel(""))
        self.used_by.setStyleSheet("color:#8a96a3;")
        self.licence = wrapping(QLabel(""))
        self.files = wrapping(QLabel(""))
        self.files.setStyleSheet("color:#8a96a3;")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.error = MessageLabel()
        for w in (self.description, self.used_by, self.licence, self.files, self.bar, self.error):
            col.addWidget(w)
        self.show_model(model)

    def set_focused(self, on: bool) -> None:
        self.setProperty("focused", on)
        style = self.style()
        if style is not None:
            style.unpolish(self)
            style.polish(self)

    def show_model(self, model: ModelOut) -> None:
        self.model = model
        state = model_state(model)
        colour = STATE_COLOURS.get(state, "#8a96a3")
        self.state.setText(state_text(state))
        self.state.setStyleSheet(f"color:{colour};font-weight:600;")
        self.size_label.setText(tr("{size} MB", size=megabytes(model_size(model))))
        self.description.setText(breakable(model.description))
        used = ", ".join(u.strip() for u in model.used_by if u.strip())
        self.used_by.setText(breakable(tr("Used by: {what}", what=used)))
        self.licence.setText(breakable(tr("Licence: {licence}", licence=model.licence)))
        limited = restricted(model.licence)
        self.licence.setStyleSheet(f"color:{WARN};font-weight:600;" if limited else "")
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
        self.bar.setVisible(running or (is_ready(model) and self.dialog.was_fetched(model.name)))
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
        self.rows: dict[str, ModelRow] = {}
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
        self.intro = wrapping(QLabel(""))
        self.folder = wrapping(QLabel(""))
        self.folder.setStyleSheet("color:#8a96a3;")
        self.focus_line = wrapping(QLabel(""))
        self.focus_line.setStyleSheet("font-weight:600;")
        self.focus_line.hide()
        self.message = MessageLabel()
        col.addWidget(self.intro)
        col.addWidget(self.folder)
        col.addWidget(self.focus_line)
        col.addWidget(self.message)
        self.list_box = QWidget()
        self.list_layout = QVBoxLayout(self.list_box)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(8)
        self.empty = wrapping(QLabel(""))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color:#8a96a3;padding:24px;")
        self.list_layout.addWidget(self.empty)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self.list_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area = scroll
        col.addWidget(scroll, 1)
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
                self.scroll_area.ensureWidgetVisible(row, 0, 0)
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
        for gone in [n for n in self.rows if n not in names]:
            old = self.rows.pop(gone)
            self.list_layout.removeWidget(old)
            old.deleteLater()
        order = [n for n in self.focus if n in names] + [n for n in names if n not in self.focus]
        by_name = {m.name: m for m in listing.models}
        for i, name in enumerate(order):
            row = self.rows.get(name)
            if row is None:
                row = self.rows[name] = ModelRow(self, by_name[name])
            else:
                row.show_model(by_name[name])
            row.set_focused(name in self.focus)
            if self.list_layout.indexOf(row) != i:
                self.list_layout.insertWidget(i, row)
                row.show()  # now, not on the layout's queued show: the list is whole at once
        self.empty.setText(tr("The manifest lists no models.") if not names else "")
        self.empty.setVisible(not names)

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
