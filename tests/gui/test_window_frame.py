"""The window as a frame (issue 25): where it opens and what it remembers, the read-only list of
keyboard shortcuts. No service runs: the window is built on addresses that refuse at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PyQt5")

from tests.gui.conftest import NOWHERE, studio_window


@pytest.fixture
def settings_dir(tmp_path: Path) -> Path:
    from PyQt5.QtCore import QSettings

    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    return tmp_path / "settings"


@pytest.fixture
def make_window(qtbot, settings_dir, monkeypatch) -> Iterator:  # type: ignore[no-untyped-def]
    """Builds a window on a screen whose available area is ``area`` (x, y, width, height)."""
    from PyQt5.QtCore import QRect

    from user_gui.app.main_window import MainWindow

    made = []

    def make(area: tuple[int, int, int, int] = (0, 0, 1280, 720)):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(MainWindow, "available_area", lambda self: QRect(*area))
        win = studio_window(NOWHERE, poll_interval=5)
        qtbot.addWidget(win)
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()


def inside(rect, area) -> bool:  # type: ignore[no-untyped-def]
    return area.contains(rect.topLeft()) and area.contains(rect.bottomRight())


def test_a_small_screen_gets_the_whole_available_area(make_window) -> None:
    from PyQt5.QtCore import QRect

    area = QRect(0, 24, 1024, 616)  # 1024x640 less a top panel
    win = make_window((0, 24, 1024, 616))
    assert win.geometry() == area  # nothing cut off on the right, the SWAP button in reach
    assert win.minimumSizeHint().width() <= 1024


def test_a_large_screen_gets_most_of_it_centred(make_window) -> None:
    from PyQt5.QtCore import QRect

    area = QRect(0, 0, 1920, 1080)
    win = make_window((0, 0, 1920, 1080))
    rect = win.geometry()
    assert inside(rect, area)
    assert rect.width() >= 0.85 * 1920 and rect.height() >= 0.85 * 1080  # not small
    assert abs(rect.center().x() - area.center().x()) <= 1  # not in a corner
    assert abs(rect.center().y() - area.center().y()) <= 1


def test_the_size_and_place_are_remembered_and_kept_on_screen(make_window) -> None:
    from PyQt5.QtCore import QRect

    win = make_window((0, 0, 1920, 1080))
    win.setGeometry(QRect(200, 150, 1100, 700))
    win.close()
    again = make_window((0, 0, 1920, 1080))
    assert again.geometry() == QRect(200, 150, 1100, 700)
    again.close()
    # the same settings on a smaller screen: shrunk and moved inside it
    small = make_window((0, 0, 1024, 640))
    assert inside(small.geometry(), QRect(0, 0, 1024, 640))
    assert small.geometry().size() == QRect(0, 0, 1024, 640).size()
    small.setGeometry(QRect(-900, 5000, 800, 500))  # a screen that went away
    small.close()
    back = make_window((0, 0, 1280, 720))
    assert back.geometry() == QRect(0, 220, 800, 500)


def test_keyboard_shortcuts_is_a_list_to_read(qtbot, make_window) -> None:
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QAction, QMenu

    win = make_window()
    fired: list[str] = []
    for key, action in win.hotkeys.items():
        action.triggered.connect(lambda _on=False, k=key: fired.append(k))

    def actions(menu: QMenu) -> list[QAction]:
        found = []
        for action in menu.actions():
            sub = action.menu()
            found.extend(actions(sub) if sub is not None else [action])
        return found

    help_menu = next(
        a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == "Help"
    )
    entries = actions(help_menu)
    shortcuts = [a for a in entries if "shortcuts" in a.text().lower()]
    assert len(shortcuts) == 1  # one entry that shows the list, not a menu of actions
    for action in entries:
        if not action.isCheckable():  # the language choices change the settings only
            action.trigger()
    assert fired == []  # nothing in Help runs a studio action
    dialog = win.shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.rows() == [
        ("Swap on/off", "F5"),
        ("Voice on/off", "F6"),
        ("Record on/off", "F7"),
        ("Virtual camera on/off", "F8"),
        *[(f"Persona {i}", f"F{i}") for i in range(1, 5)],
    ]
    table = dialog.table
    for row in range(table.rowCount()):  # clicking and double-clicking an entry: nothing
        rect = table.visualItemRect(table.item(row, 0))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert not table.item(row, 0).flags() & Qt.ItemFlag.ItemIsEditable
    assert fired == [] and table.selectedItems() == []
