"""What is wrong and how to put it right, for a person: one short sentence (the technical
details in its tooltip), the exact command that fixes it, shown whole with **Copy**, and room
for a button that does it here (Start, Test tone). The virtual camera, the sound devices, an
offline backend and the camera's permission each show one."""

from __future__ import annotations

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtGui import QFontDatabase, QGuiApplication
from PyQt5.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from user_gui.app.i18n import tr
from user_gui.app.widgets import (
    ERROR_COLOUR,
    WARN_COLOUR,
    Text,
    TextLabel,
    on_language_change,
    wrapping,
)

COPIED_MS = 1500  # "Copied" shows this long on the button
STYLE = (
    "QFrame#fixBox{border:1px solid #d0a060;border-radius:6px;background:rgba(232,179,57,24);}"
    "QLabel#fixCommand{background:#161b22;color:#e6edf3;padding:4px 6px;border-radius:4px;}"
)


class FixBox(QFrame):
    """``show_fix(sentence, command, details)``; ``clear()`` hides it. ``copy`` puts the
    command on the clipboard; ``add_button`` puts a button of the caller's beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fixBox")
        self.setStyleSheet(STYLE)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 6, 8, 6)
        col.setSpacing(4)
        self.sentence = TextLabel("", self)
        col.addWidget(self.sentence)
        row = QHBoxLayout()
        self.command = wrapping(QLabel("", self), selectable=True)  # whole: it wraps, never cut
        self.command.setObjectName("fixCommand")
        self.command.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton("", self)
        self.copy_button.clicked.connect(self.copy)
        row.addWidget(self.command, 1)
        row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.addStretch(1)
        col.addLayout(row)
        col.addLayout(self.buttons)
        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.setInterval(COPIED_MS)
        self._copied.timeout.connect(self._retranslate)
        self._retranslate()
        on_language_change(self, self._retranslate)
        self.hide()

    def _retranslate(self) -> None:
        self.copy_button.setText(tr("Copy"))
        self.copy_button.setToolTip(tr("Copy the command, then paste it in a terminal"))

    def add_button(self, button: QPushButton) -> None:
        """A button of the caller's (it does the fix here) on the line below."""
        button.setParent(self)
        self.buttons.insertWidget(0, button)

    def show_fix(
        self, sentence: Text, command: str | None = None, details: Text = "", error: bool = True
    ) -> None:
        """Say ``sentence`` (its tooltip: ``details``), with ``command`` and Copy when there
        is one."""
        self.sentence.show_text(sentence, details)
        self.sentence.setStyleSheet(f"color:{ERROR_COLOUR if error else WARN_COLOUR};")
        self.command.setText(command or "")
        self.command.setVisible(bool(command))
        self.copy_button.setVisible(bool(command))
        self.show()

    def clear(self) -> None:
        self.hide()
        self.sentence.show_text("")
        self.command.setText("")

    @property
    def command_text(self) -> str:
        return self.command.text()

    def copy(self) -> None:
        """The command on the clipboard (and "Copied" on the button for a moment)."""
        clipboard = QGuiApplication.clipboard()
        if clipboard is None or not self.command.text():
            return
        clipboard.setText(self.command.text())
        self.copy_button.setText(tr("Copied"))
        self._copied.start()
