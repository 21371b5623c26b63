"""Small widgets the panels share: a message label that never widens the window, and the
preview that keeps its picture's aspect and shows what is going on over it."""

from __future__ import annotations

from PyQt5.QtCore import QRect, QSize, Qt
from PyQt5.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPixmap
from PyQt5.QtWidgets import QLabel, QSizePolicy, QWidget

MAX_CHARS = 280  # longer messages are cut (the full text is in the tooltip)


class MessageLabel(QLabel):
    """A wrapped message: it takes the width it is given and never asks for more (a long
    error cannot resize the window); over MAX_CHARS it is cut, the whole text in the tooltip.
    Selectable, so a command in it can be copied."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumWidth(40)
        self.full_text = ""
        self.show_message(text)

    def show_message(self, text: str, error: bool = False) -> None:
        self.full_text = text
        shown = text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
        self.setText(shown)
        self.setToolTip(text if shown != text or len(text) > 60 else "")
        self.setStyleSheet("color:#e5484d;" if error else "")
        self.setVisible(bool(text))

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(120, super().sizeHint().height())


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
