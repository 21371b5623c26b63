"""Small widgets the panels share: labels that wrap to the width they are given and never ask
for more (``wrapping``, ``TextLabel``, ``MessageLabel``), a percentage slider that says its
value once it rests (``PercentSlider``), the scrolling list of rows the Files tab and the
Models dialog show (``RowList``), and the preview that keeps its picture's aspect and shows
what is going on over it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from PyQt5.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPixmap, QResizeEvent
from PyQt5.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

MAX_CHARS = 280  # a message longer than this is cut (the full text is in the tooltip)
TEXT_LIMIT = 300  # characters a TextLabel shows; the whole text is its tooltip
BREAK_EVERY = 24  # a run this long without a space (a path, a URL) gets a place to break
ZWSP = "\u200b"
GREYED = "#8a96a3"  # secondary text
WARN_COLOUR = "#a85600"  # dark amber: long text must read on the light panels
ERROR_COLOUR = "#e5484d"
_LONG_RUN = re.compile(rf"\S{{{BREAK_EVERY}}}")

Text = Callable[[], str] | str  # a text, or how to work it out again in a new language
Row = TypeVar("Row", bound=QWidget)
Item = TypeVar("Item")


def breakable(text: str) -> str:
    """A place to break in every run of BREAK_EVERY characters without a space (URLs, paths),
    so a wrapping label never asks for more width than it is given."""
    return _LONG_RUN.sub(lambda m: m.group(0) + ZWSP, text)


def fit_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """At most ``limit`` characters (an ellipsis ends a longer text), each long run without
    spaces breakable."""
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return breakable(text)


def wrapping(label: QLabel, selectable: bool = False) -> QLabel:
    """``label`` made to wrap its plain text to the width it is given and ask for none
    (``selectable``: the text can be selected and copied)."""
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    policy = label.sizePolicy()  # keeps the height-for-width that word wrap set
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    return label


def beside(label: QLabel, button: QPushButton, parent: QWidget | None = None) -> QWidget:
    """A label with its button on the right (a reason and its fix), hidden until there is
    something to say."""
    row = QHBoxLayout()
    row.addWidget(label, 1)
    row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
    row.setContentsMargins(0, 0, 0, 0)
    box = QWidget(parent)
    box.setLayout(row)
    box.hide()
    return box


class _LanguageWatch(QObject):
    def __init__(self, widget: QWidget, relabel: Callable[[], None]) -> None:
        super().__init__(widget)
        self._relabel = relabel
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.LanguageChange:
            self._relabel()
        return False


def on_language_change(widget: QWidget, relabel: Callable[[], None]) -> None:
    """Call ``relabel`` when ``widget`` gets Qt's LanguageChange (``i18n.set_language``),
    before its children do."""
    _LanguageWatch(widget, relabel)


class _WheelGuard(QObject):
    """Sends the wheel over an unfocused control on to what holds it (the panel scrolls)."""

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if (
            event is not None
            and event.type() == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            event.ignore()  # not taken here: Qt hands it to the parent, the scroll area
            return True
        return False


_WHEEL_GUARD: _WheelGuard | None = None
_WHEELED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


def wheel_needs_focus(control: QWidget) -> None:
    """The mouse wheel changes ``control`` (a drop-down, slider or spin box) only once it has
    the focus (a click or Tab gives it); over it unfocused, the wheel scrolls the panel, so
    scrolling never changes a live setting by the way."""
    global _WHEEL_GUARD
    if _WHEEL_GUARD is None:
        _WHEEL_GUARD = _WheelGuard()
    control.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel itself gives no focus
    control.installEventFilter(_WHEEL_GUARD)


def guard_wheels(root: QWidget) -> None:
    """``wheel_needs_focus`` for every drop-down, slider and spin box under ``root`` (scroll
    bars excepted)."""
    for kind in _WHEELED:
        for control in root.findChildren(kind):
            if not isinstance(control, QScrollBar):
                wheel_needs_focus(control)


def _producer(text: Text) -> Callable[[], str]:
    if callable(text):
        return text
    return lambda: text


class TextLabel(QLabel):
    """A wrapping plain-text label (``wrapping``) whose text is worked out again when the
    language changes (``show_text`` takes a callable for that); a text over ``limit``
    characters is cut, the whole of it in the tooltip."""

    def __init__(
        self, text: Text = "", parent: QWidget | None = None, *, limit: int = TEXT_LIMIT
    ) -> None:
        super().__init__(parent)
        wrapping(self)
        self._limit = limit
        self._text = _producer(text)
        self._tip: Callable[[], str] | None = None
        self.full_text = ""
        self._render()

    def show_text(self, text: Text, tooltip: Text | None = None) -> None:
        """Show ``text``; the tooltip is ``tooltip`` (details), else the whole text."""
        self._text = _producer(text)
        self._tip = None if tooltip is None else _producer(tooltip)
        self._render()

    def _render(self) -> None:
        full = self._text()
        self.full_text = full
        self.setText(fit_text(full, self._limit))
        self.setToolTip((self._tip() if self._tip is not None else "") or full)

    def changeEvent(self, event: QEvent | None) -> None:
        if event is not None and event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)


class MessageLabel(TextLabel):
    """A message: wrapped, selectable (a command in it can be copied), hidden while empty,
    red for an error; it takes the width it is given and never asks for more (a long error
    cannot resize the window); over MAX_CHARS it is cut, the whole text in the tooltip."""

    def __init__(self, text: Text = "", parent: QWidget | None = None) -> None:
        self._error = False
        super().__init__(text, parent, limit=MAX_CHARS)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumWidth(40)

    @property
    def error(self) -> bool:
        return self._error

    def show_message(self, text: Text, error: bool = False) -> None:
        self._error = error
        self.setStyleSheet(f"color:{ERROR_COLOUR};" if error else "")
        self.show_text(text)

    def _render(self) -> None:
        full = self._text()
        self.full_text = full
        shown = full if len(full) <= self._limit else full[: self._limit - 1] + "…"
        self.setText(shown)
        self.setToolTip(full if shown != full or len(full) > 60 else "")
        self.setVisible(bool(full))

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(120, super().sizeHint().height())


class ColumnScroll(QScrollArea):
    """A column of panels that scrolls up and down, never sideways: it is never narrower than
    its panels need (with room for its scroll bar), so a splitter or a small screen cannot
    cut off their right side."""

    def __init__(self, column: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(column)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        column = self.widget()
        if column is None:
            return hint
        bar = self.verticalScrollBar()
        extra = (bar.sizeHint().width() if bar is not None else 0) + 2 * self.frameWidth()
        return QSize(column.minimumSizeHint().width() + extra, hint.height())


class PercentSlider(QWidget):
    """A 0-100 % slider with its value beside it. ``rested`` (the share, 0..1) is emitted
    once the person lets go of it, or ``REST_MS`` after the keyboard or a click moved it, so a
    drag sends one change, not one per step; ``show_share`` sets it from the backend's
    answer unless the person is moving it."""

    rested = pyqtSignal(float)
    REST_MS = 300

    def __init__(self, percent: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 100)
        self.slider.setValue(percent)
        self.slider.setMinimumWidth(60)
        self.value_label = QLabel(f"{percent}%", self)
        self.value_label.setMinimumWidth(
            self.value_label.fontMetrics().horizontalAdvance("100%") + 2
        )
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.REST_MS)
        self._timer.timeout.connect(self._rest)
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderReleased.connect(self._rest)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)

    @property
    def share(self) -> float:
        return self.slider.value() / 100

    @property
    def moving(self) -> bool:
        """The person holds it, or moved it and it has not rested yet."""
        return self.slider.isSliderDown() or self._timer.isActive()

    def show_share(self, share: float) -> None:
        """Show ``share`` (0..1) unless the person is moving it; no ``rested`` follows."""
        if self.moving:
            return
        self.slider.blockSignals(True)
        self.slider.setValue(round(100 * share))
        self.slider.blockSignals(False)
        self.value_label.setText(f"{self.slider.value()}%")

    def stop(self) -> None:
        self._timer.stop()

    def _moved(self, value: int) -> None:
        self.value_label.setText(f"{value}%")
        if not self.slider.isSliderDown():  # the keyboard or a click: once it rests
            self._timer.start()

    def _rest(self) -> None:
        self._timer.stop()
        self.rested.emit(self.share)


class RowList(QScrollArea, Generic[Row]):
    """A scrolling column of rows, one per item of a list a service gives (the Files tab's
    jobs, the Models dialog's models): ``show_items`` makes, updates, reorders and drops rows
    to follow each new list; ``empty`` is the line shown in place of an empty list."""

    def __init__(self, spacing: int = 6, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, Row] = {}
        box = QWidget()
        self.list_layout = QVBoxLayout(box)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(spacing)
        self.empty = wrapping(QLabel(""))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet(f"color:{GREYED};padding:24px;")
        self.list_layout.addWidget(self.empty)
        self.list_layout.addStretch(1)
        self.setWidget(box)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def show_items(
        self,
        items: Sequence[Item],
        key: Callable[[Item], str],
        make: Callable[[Item], Row],
        update: Callable[[Row, Item], None],
    ) -> None:
        """One row per item, in the items' order: a new key gets ``make(item)``, a known one
        ``update(row, item)``, a key no longer listed loses its row."""
        keys = {key(item) for item in items}
        for gone in [k for k in self.rows if k not in keys]:
            old = self.rows.pop(gone)
            self.list_layout.removeWidget(old)
            old.deleteLater()
        for i, item in enumerate(items):
            k = key(item)
            row = self.rows.get(k)
            if row is None:
                row = self.rows[k] = make(item)
            else:
                update(row, item)
            if self.list_layout.indexOf(row) != i:
                self.list_layout.insertWidget(i, row)
                row.show()  # now, not on the layout's queued show: the list is whole at once
        self.empty.setVisible(not items)


class PreviewView(QWidget):
    """The output preview: the newest frame scaled to fit with its aspect kept, centred, and
    an overlay line over it (offline, or the next step for a new user). Its size hint is
    small: the frame's own size never grows the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self._pixmap: QPixmap | None = None
        self.overlay = ""  # shown over the picture (or alone without one)
        self.placeholder = ""  # shown when there is no picture and no overlay
        self.dimmed = False  # the picture is stale: drawn darker under the overlay
        self.hint = ""  # a line along the bottom (the next step for a new user)
        self.badge = ""  # top left, in red: "● REC 0:12" while recording
        self._floating: QWidget | None = None  # a widget over the lower middle (offline help)
        self.setAutoFillBackground(False)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def set_image(self, image: QImage | None) -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        self.update()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def set_overlay(self, text: str, dimmed: bool = False) -> None:
        if text != self.overlay or dimmed != self.dimmed:
            self.overlay, self.dimmed = text, dimmed
            self.update()

    def set_placeholder(self, text: str) -> None:
        if text != self.placeholder:
            self.placeholder = text
            self.update()

    def float_widget(self, widget: QWidget) -> None:
        """``widget`` over the picture's lower middle, kept there as the preview resizes."""
        widget.setParent(self)
        self._floating = widget
        self.place_floating()

    def place_floating(self) -> None:
        widget = self._floating
        if widget is None:
            return
        width = min(520, max(200, self.width() - 40))
        height = widget.heightForWidth(width)
        height = height if height > 0 else widget.sizeHint().height()
        x = (self.width() - width) // 2
        y = max(8, self.height() - height - 56)  # above the hint line
        widget.setGeometry(x, y, width, height)

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        self.place_floating()

    def set_badge(self, text: str) -> None:
        if text != self.badge:
            self.badge = text
            self.update()

    def set_hint(self, text: str) -> None:
        if text != self.hint:
            self.hint = text
            self.update()

    def picture_rect(self) -> QRect:
        """Where the frame is drawn: the largest rectangle of its aspect that fits, centred."""
        if self._pixmap is None or self._pixmap.isNull():
            return QRect()
        size = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) // 2
        y = (self.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#101418"))
        target = self.picture_rect()
        if self._pixmap is not None and not target.isEmpty():
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(target, self._pixmap)
            if self.dimmed:
                p.fillRect(target, QColor(0, 0, 0, 150))
        text = self.overlay or ("" if self._pixmap is not None else self.placeholder)
        if text:
            font = QFont(self.font())
            font.setPointSizeF(max(font.pointSizeF() * 1.3, 11.0))
            p.setFont(font)
            area = self.rect().adjusted(24, 24, -24, -24)
            box = p.boundingRect(
                area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), text
            )
            p.fillRect(box.adjusted(-14, -10, 14, 10), QColor(16, 20, 24, 200))
            p.setPen(QColor("#f0f3f6") if self.overlay else QColor("#8a96a3"))
            p.drawText(area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), text)
        if self.badge:
            font = QFont(self.font())
            font.setBold(True)
            p.setFont(font)
            box = p.boundingRect(self.rect().adjusted(12, 10, -12, -10), 0, self.badge)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(198, 40, 40, 230))
            p.drawRoundedRect(box.adjusted(-8, -4, 8, 4), 6, 6)
            p.setPen(QColor("white"))
            p.drawText(box, 0, self.badge)
        if self.hint:
            p.setFont(self.font())
            flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
            flags |= int(Qt.TextFlag.TextWordWrap)
            area = self.rect().adjusted(16, 16, -16, -12)
            box = p.boundingRect(area, flags, self.hint)
            p.fillRect(box.adjusted(-10, -6, 10, 6), QColor(31, 122, 77, 220))
            p.setPen(QColor("white"))
            p.drawText(area, flags, self.hint)
        p.end()
