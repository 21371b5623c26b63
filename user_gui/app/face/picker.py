"""Which face of a group photo: each face cut out of the local file, a row of buttons to click.

The backend answers an upload with several faces by listing them (``faces``: index, x, y,
width, height; index 0 the leftmost). The picker shows them numbered from 1 ("Face 1",
"Face 2", ...) and emits the backend's 0-based index of the one clicked. The picture is read
and cut up on the pool (``run_async``), never on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QEvent, QRect, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QIcon, QImage, QImageReader, QPixmap
from PyQt5.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from user_gui.app.i18n import tr
from user_gui.app.workers import run_async

log = logging.getLogger(__name__)
FACE_SIDE = 56  # each face's icon, px
MARGIN = 0.3  # around the detected box, as a share of its size (like the backend's thumbnail)


def face_rect(face: dict[str, Any], width: int, height: int, margin: float = MARGIN) -> QRect:
    """The face's box with ``margin`` around it, squared, within a ``width`` x ``height``
    picture (empty if the box lies outside it)."""
    x, y = float(face["x"]), float(face["y"])
    w, h = float(face["width"]), float(face["height"])
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2, y + h / 2
    rect = QRect(round(cx - side / 2), round(cy - side / 2), round(side), round(side))
    return rect.intersected(QRect(0, 0, width, height))


def crop_faces(path: str, faces: Sequence[dict[str, Any]], side: int = FACE_SIDE) -> list[QImage]:
    """Each face cut out of the picture at ``path``, at most ``side`` px a side (a null image
    for a box outside it). Reads the file: call it off the GUI thread. The picture is turned
    upright by its EXIF orientation, as the backend's decoder does, so the boxes fit."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        raise OSError(f"{Path(path).name} could not be read here: {reader.errorString()}")
    crops: list[QImage] = []
    for face in faces:
        rect = face_rect(face, image.width(), image.height())
        if rect.isEmpty():
            crops.append(QImage())
            continue
        crop = image.copy(rect)
        crops.append(
            crop.scaled(
                side,
                side,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
    return crops


class FacePicker(QWidget):
    """A row of the faces found in one picture; click one to wear it."""

    picked = pyqtSignal(int)  # the backend's face_index (0-based) of the face clicked
    closed = pyqtSignal(bool)  # the person closed the picker; True when a face was picked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: str | None = None
        self._faces: list[dict[str, Any]] = []
        self._current: int | None = None
        self._serial = 0  # each offer's crops: an older one's arriving late are dropped
        self._enabled = True
        self.buttons: list[QToolButton] = []

        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel("")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        policy = self.title.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.title.setSizePolicy(policy)
        self.close_button = QPushButton("")
        self.close_button.clicked.connect(self.close_picker)
        head.addWidget(self.title, 1)
        head.addWidget(self.close_button)
        col.addLayout(head)

        self.row = QWidget()
        self.row_layout = QHBoxLayout(self.row)
        self.row_layout.setContentsMargins(0, 0, 0, 0)
        self.row_layout.setSpacing(4)
        self.row_layout.addStretch(1)
        self.strip = QScrollArea(self)
        self.strip.setFrameShape(QFrame.Shape.NoFrame)
        self.strip.setWidgetResizable(True)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.strip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.strip.setWidget(self.row)
        col.addWidget(self.strip)
        self._retranslate()

    # ---- what it shows ---------------------------------------------------------------------

    @property
    def path(self) -> str | None:
        """The picture whose faces are offered (None: nothing offered)."""
        return self._path

    @property
    def count(self) -> int:
        return len(self._faces)

    @property
    def current(self) -> int | None:
        """The backend's index of the face from this picture that is loaded, if any."""
        return self._current

    def offer(self, path: str, faces: Sequence[dict[str, Any]]) -> None:
        """Show the faces of ``path`` (the backend's list, leftmost first) to choose from:
        numbered buttons at once, each face's picture as soon as it is cut out."""
        self._path = path
        self._faces = sorted(faces, key=lambda f: int(f.get("index", 0)))
        self._current = None
        self._serial += 1
        serial = self._serial
        self._clear_buttons()
        for i in range(len(self._faces)):
            self._add_button(i)
        self._fit_height()
        self._retranslate()
        self.show()
        boxes = list(self._faces)  # the pool's own copy
        run_async(
            lambda: crop_faces(path, boxes),
            lambda crops: self._show_crops(serial, crops),
            lambda message: self._crops_failed(serial, message),
        )

    def set_current(self, index: int | None) -> None:
        """Mark the face loaded from this picture (None: none of them)."""
        self._current = index
        for i, button in enumerate(self.buttons):
            button.setChecked(i == index)

    def set_controls_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        for button in self.buttons:
            button.setEnabled(enabled)

    def close_picker(self) -> None:
        """Hide the row (a face already picked stays loaded)."""
        picked = self._current is not None
        self.clear()
        self.closed.emit(picked)

    def clear(self) -> None:
        self._path = None
        self._faces = []
        self._current = None
        self._serial += 1
        self._clear_buttons()
        self.hide()

    # ---- the buttons -----------------------------------------------------------------------

    def _add_button(self, i: int) -> None:
        button = QToolButton(self.row)
        button.setCheckable(True)
        button.setEnabled(self._enabled)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setIconSize(QSize(FACE_SIDE, FACE_SIDE))
        button.setMinimumWidth(FACE_SIDE + 8)
        button.setProperty("face_index", i)
        button.clicked.connect(lambda _checked=False, index=i: self._clicked(index))
        self.row_layout.insertWidget(self.row_layout.count() - 1, button)
        self.buttons.append(button)

    def _clear_buttons(self) -> None:
        for button in self.buttons:
            button.hide()
            button.setParent(None)
            button.deleteLater()
        self.buttons = []

    def _fit_height(self) -> None:
        if not self.buttons:
            return
        probe = self.buttons[0]
        if probe.icon().isNull():  # the height the icon will take, before it arrives
            blank = QPixmap(FACE_SIDE, FACE_SIDE)
            blank.fill(Qt.GlobalColor.transparent)
            probe.setIcon(QIcon(blank))
            height = probe.sizeHint().height()
            probe.setIcon(QIcon())
        else:
            height = probe.sizeHint().height()
        bar = self.strip.horizontalScrollBar()
        bar_height = bar.sizeHint().height() if bar is not None else 16
        self.strip.setFixedHeight(height + bar_height + 2)

    def _clicked(self, index: int) -> None:
        self.set_current(index)  # at once; the panel puts it back if the load fails
        self.picked.emit(index)

    def _show_crops(self, serial: int, crops: list[QImage]) -> None:
        if serial != self._serial:
            return
        for button, crop in zip(self.buttons, crops, strict=False):
            if not crop.isNull():
                button.setIcon(QIcon(QPixmap.fromImage(crop)))
        self._fit_height()

    def _crops_failed(self, serial: int, message: str) -> None:
        if serial == self._serial:  # the numbered buttons still work without the pictures
            log.warning("faces not cut out of %s: %s", self._path, message)

    # ---- language --------------------------------------------------------------------------

    def _retranslate(self) -> None:
        name = Path(self._path).name if self._path else ""
        self.title.setText(
            tr("{count} faces in {name}: click the one to wear", count=self.count, name=name)
        )
        self.title.setToolTip(self.title.text())
        self.close_button.setText(tr("Close"))
        self.close_button.setToolTip(tr("Hide the faces; the face loaded stays"))
        for i, button in enumerate(self.buttons):
            button.setText(tr("Face {n}", n=i + 1))
            button.setToolTip(tr("face {n} of {count}", n=i + 1, count=self.count))

    def changeEvent(self, event: QEvent | None) -> None:
        if event is not None and event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)
