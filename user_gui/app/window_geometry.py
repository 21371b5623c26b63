"""Where the window opens: inside the screen's available area (the screen less its panels and
docks), sized to it, or where the person left it last time when that still fits.

A small screen (1024x640) gets the whole available area: the right column and the SWAP button
are never cut off. A large one (1920x1080) gets most of it, centred, never a small window in a
corner. A saved place on a screen that is gone, or larger than this one, is moved and shrunk
to fit.
"""

from __future__ import annotations

from PyQt5.QtCore import QPoint, QRect, QSettings, QSize

SHARE = 0.9  # of the available area a first window takes on a large screen
COMFORTABLE = QSize(1280, 720)  # below this the window takes the whole available area
RECT_KEY = "window/rect"
MAXIMIZED_KEY = "window/maximized"


def first_rect(available: QRect) -> QRect:
    """A first window: SHARE of the available area (at least COMFORTABLE, at most all of
    it), centred in it."""
    width = max(round(available.width() * SHARE), min(COMFORTABLE.width(), available.width()))
    height = max(round(available.height() * SHARE), min(COMFORTABLE.height(), available.height()))
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return fit(rect, available)


def fit(rect: QRect, available: QRect) -> QRect:
    """``rect`` shrunk to the available area's size where it is larger, then moved inside it."""
    size = rect.size().boundedTo(available.size())
    x = min(max(rect.x(), available.left()), available.left() + available.width() - size.width())
    y = min(max(rect.y(), available.top()), available.top() + available.height() - size.height())
    return QRect(QPoint(x, y), size)


def opening_rect(available: QRect, saved: QRect | None) -> QRect:
    """Where the window opens: the saved place fitted to the available area, or a first
    window's."""
    if saved is None or not saved.isValid() or saved.isEmpty():
        return first_rect(available)
    return fit(saved, available)


def saved_rect(settings: QSettings) -> QRect | None:
    value = settings.value(RECT_KEY)
    return value if isinstance(value, QRect) and value.isValid() else None


def was_maximized(settings: QSettings) -> bool:
    return str(settings.value(MAXIMIZED_KEY, "false")).lower() == "true"


def save(settings: QSettings, rect: QRect, maximized: bool) -> None:
    """The window's place (its normal geometry, also while maximized) and whether it was
    maximized."""
    settings.setValue(RECT_KEY, rect)
    settings.setValue(MAXIMIZED_KEY, maximized)
