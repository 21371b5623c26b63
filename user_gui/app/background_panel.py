"""The background behind the person (issue 23 item 5): left as it is, blurred (how much), a
plain colour (a green screen for OBS) or a picture from the media folders (one added from
disk is uploaded there first); its cost per frame, and why it cannot run here (its model file
missing, with the command that fetches it).

``GET /background`` comes with the window's periodic refresh (``show_status``) and is what the
panel shows; changes are ``POST /background`` on the pool, one at a time, and a refresh
begun before a change is stale (``changes``). Every text goes through ``tr``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import (
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import BackgroundStatus, MediaListOut
from user_gui.app.i18n import tr
from user_gui.app.widgets import GREYED, MessageLabel, PercentSlider, on_language_change
from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)
MODES = ("off", "blur", "color", "image")
GREEN_SCREEN = "#00b140"
PICTURES = "Pictures (*.jpg *.jpeg *.png *.webp *.bmp)"


def mode_name(mode: str) -> str:
    return {
        "off": tr("Off"),
        "blur": tr("Blur"),
        "color": tr("Colour"),
        "image": tr("Picture"),
    }.get(mode, mode)


class BackgroundPanel(QGroupBox):
    """The background's group: mode, blur amount, colour, picture, its cost or why not."""

    def __init__(self, backend: ARBackendClient, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.backend = backend
        self._backend_ok = False
        self._available = True
        self._busy = 0  # changes in flight: a refresh must not undo them
        self._changes = 0  # bumped by each change: a refresh begun before it is stale
        self._shown: BackgroundStatus | None = None
        self._refused = ""  # the last change's refusal: said until the next change
        self.colour_dialog: QColorDialog | None = None
        self._build()
        self._retranslate()
        on_language_change(self, self._retranslate)
        self._enable()

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 4, 8, 6)
        col.setSpacing(4)
        form = QFormLayout()
        self.mode = QComboBox(self)
        for mode in MODES:
            self.mode.addItem(mode, mode)
        self.mode.activated.connect(self._mode_chosen)
        self.mode_label = QLabel("", self)
        form.addRow(self.mode_label, self.mode)

        self.blur_row = PercentSlider(50, self)  # sent once it rests
        self.blur_row.rested.connect(self._send_blur)
        self.blur = self.blur_row.slider
        self.blur_label = QLabel("", self)
        form.addRow(self.blur_label, self.blur_row)

        self.colour = QPushButton("", self)
        self.colour.clicked.connect(self.choose_colour)
        self.green = QPushButton("", self)
        self.green.clicked.connect(lambda: self._send(mode="color", color=GREEN_SCREEN))
        self.colour_label = QLabel("", self)
        self.colour_row = _row(self, self.colour, self.green)
        form.addRow(self.colour_label, self.colour_row)

        self.picture = QComboBox(self)
        self.picture.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
        self.picture.setMinimumContentsLength(12)
        self.picture.activated.connect(self._picture_chosen)
        self.add_picture = QPushButton("", self)
        self.add_picture.clicked.connect(self.upload_picture)
        self.picture_label = QLabel("", self)
        self.picture_row = _row(self, self.picture, self.add_picture)
        form.addRow(self.picture_label, self.picture_row)
        col.addLayout(form)

        self.state = MessageLabel("", self)
        col.addWidget(self.state)
        self._show_rows("off")

    def _retranslate(self) -> None:
        self.setTitle(tr("Background"))
        self.mode_label.setText(tr("Behind you"))
        self.mode.setToolTip(
            tr("What is behind you in the picture sent out; your face is never changed by it")
        )
        for i in range(self.mode.count()):
            self.mode.setItemText(i, mode_name(self.mode.itemData(i)))
        self.blur_label.setText(tr("Blur"))
        self.blur.setToolTip(tr("How strongly the background is blurred"))
        self.colour_label.setText(tr("Colour"))
        self.colour.setToolTip(tr("Choose the background's colour"))
        self.green.setText(tr("Green screen"))
        self.green.setToolTip(tr("A chroma-key green OBS can cut out"))
        self.picture_label.setText(tr("Picture"))
        self.picture.setToolTip(tr("A picture from the media folder"))
        self.add_picture.setText(tr("Add picture…"))
        self.add_picture.setToolTip(tr("Copy a picture into the media folder and use it"))
        self._show_state()

    def _show_rows(self, mode: str) -> None:
        for row, label, wanted in (
            (self.blur_row, self.blur_label, "blur"),
            (self.colour_row, self.colour_label, "color"),
            (self.picture_row, self.picture_label, "image"),
        ):
            row.setVisible(mode == wanted)
            label.setVisible(mode == wanted)

    # ---- state -----------------------------------------------------------------------------

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        self._backend_ok = ok
        self._enable()

    def _enable(self) -> None:
        ready = self._backend_ok and not self._busy
        self.mode.setEnabled(ready and self._available)
        for w in (self.blur, self.colour, self.green, self.picture, self.add_picture):
            w.setEnabled(ready and self._available)

    @property
    def changes(self) -> int:
        """Taken when a refresh starts and handed back to ``show_status`` with its answer."""
        return self._changes

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def show_status(
        self, status: BackgroundStatus | None, changes: int | None = None, error: str = ""
    ) -> None:
        """Show ``GET /background`` (None: it could not be read, ``error`` says why); an
        answer to a refresh begun before the last change is stale and dropped."""
        if self.busy or (changes is not None and changes != self._changes):
            return
        if status is None:
            self.state.show_message(
                lambda: tr("background unavailable: {error}", error=error), error=True
            )
            return
        self._shown = status
        self._available = status.available
        self.mode.setCurrentIndex(max(0, self.mode.findData(status.mode)))
        self.blur_row.show_share(status.blur)
        self.colour.setText(status.color)
        self.colour.setStyleSheet(_swatch(status.color))
        if status.image and self.picture.findData(status.image) < 0:
            self.picture.addItem(status.image, status.image)
        if status.image:
            self.picture.setCurrentIndex(self.picture.findData(status.image))
        self._show_rows(status.mode)
        self._show_state()
        self._enable()

    def _show_state(self) -> None:
        status = self._shown
        if self._refused:
            refused = self._refused
            self.state.show_message(lambda: tr("Not changed: {reason}", reason=refused), True)
        elif status is None:
            self.state.show_message("")
        elif not status.available:
            reason = status.reason or ""
            self.state.show_message(lambda: tr("Cannot run here: {reason}", reason=reason), True)
        elif status.error:
            error = status.error
            self.state.show_message(lambda: tr("Background: {error}", error=error), True)
        elif status.mode != "off" and status.ms is not None:
            ms = status.ms
            self.state.show_message(lambda: tr("Background: {ms} ms per frame", ms=ms))
            self.state.setStyleSheet(f"color:{GREYED};")
        else:
            self.state.show_message("")

    def say(self, text: str, error: bool = False) -> None:
        self.state.show_message(text, error)

    # ---- changes ---------------------------------------------------------------------------

    def _send(self, **changes: Any) -> None:
        """POST /background on the pool; the answer is shown, a refusal said (and the
        backend's setting read again: nothing changed)."""
        self._call(lambda: self.backend.set_background(**changes), self._changed)

    def _call(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        self._refused = ""
        self._changes += 1
        self._busy += 1
        self._enable()

        def done(result: Any) -> None:
            self._changes += 1
            self._busy -= 1
            on_done(result)
            self._enable()

        def failed(message: str) -> None:
            self._changes += 1
            self._busy -= 1
            self._enable()
            log.warning("background not changed: %s", message)
            self._refused = message
            self._show_state()
            self.refresh()  # (the backend's setting stands: shown again)

        run_async(fn, done, failed)

    def _changed(self, status: BackgroundStatus) -> None:
        self.show_status(status)

    def refresh(self) -> None:
        """Read ``GET /background`` again (after a refusal: the backend's setting stands)."""
        changes = self._changes
        run_async(
            self.backend.background_status,
            lambda s: self.show_status(s, changes),
            lambda msg: log.warning("background status not read: %s", msg),
        )

    def _mode_chosen(self, index: int) -> None:
        mode = self.mode.itemData(index)
        self._show_rows(mode)
        if mode == "image":
            self.load_pictures(then_choose=True)
            return
        if mode == "blur":
            self._send(mode="blur", blur=self.blur.value() / 100)
        else:
            self._send(mode=mode)

    def _send_blur(self, share: float) -> None:
        if self._shown is None or self._shown.blur != share:
            self._send(mode="blur", blur=share)

    def choose_colour(self) -> None:
        """A colour dialog (not modal: the window goes on); the colour picked is sent."""
        dialog = self.colour_dialog
        if dialog is None:
            dialog = QColorDialog(self)
            dialog.colorSelected.connect(self.colour_chosen)
            self.colour_dialog = dialog
        shown = self._shown.color if self._shown is not None else GREEN_SCREEN
        dialog.setCurrentColor(QColor(shown))
        dialog.open()

    def colour_chosen(self, colour: QColor) -> None:
        if colour.isValid():
            self._send(mode="color", color=colour.name())

    def _picture_chosen(self, index: int) -> None:
        name = self.picture.itemData(index)
        if name:
            self._send(mode="image", image=name)

    def load_pictures(self, then_choose: bool = False) -> None:
        """The media folder's pictures into the list (``then_choose``: image mode with the
        one shown, or a word to add one when there is none)."""

        def listed(media: MediaListOut) -> None:
            names = [f.name for f in media.files if f.kind == "image"]
            current = self.picture.currentData()
            self.picture.clear()
            for name in names:
                self.picture.addItem(name, name)
            if current in names:
                self.picture.setCurrentIndex(names.index(current))
            if not then_choose:
                return
            if not names:
                self.say(tr("No picture in the media folder yet: add one"), error=False)
                return
            self._send(mode="image", image=self.picture.currentData() or names[0])

        run_async(
            self.backend.media_files,
            listed,
            lambda msg: self.say(tr("The media list was not read: {reason}", reason=msg), True),
        )

    def upload_picture(self) -> None:
        """A picture from disk, copied into the media folder, then used."""
        path, _ = QFileDialog.getOpenFileName(self, tr("Add picture…"), "", PICTURES)
        if not path:
            return

        def uploaded(answer: Any) -> None:
            name = str(answer.name)
            if self.picture.findData(name) < 0:
                self.picture.addItem(name, name)
            self.picture.setCurrentIndex(self.picture.findData(name))
            self._send(mode="image", image=name)

        self._call(lambda: self.backend.upload_media(Path(path)), uploaded)


def _row(parent: QWidget, first: QWidget, second: QWidget) -> QWidget:
    box = QWidget(parent)
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(first, 1)
    row.addWidget(second)
    return box


def _swatch(hex_colour: str) -> str:
    """The colour button's style: the colour itself, its text readable on it."""
    colour = QColor(hex_colour)
    text = "#000000" if colour.lightness() > 140 else "#ffffff"
    return f"QPushButton{{background:{hex_colour};color:{text};padding:3px 8px;}}"
