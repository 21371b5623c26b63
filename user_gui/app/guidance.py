"""First-run guidance: the four steps to a swapped stream and which one comes next.

1 Camera → 2 Face → 3 Swap → 4 Output. ``next_step`` works out the step from what the window
knows; ``GuidanceLabel`` shows the steps (the next one highlighted) and what to do, in place
in a panel or over the preview.
"""

from __future__ import annotations

from html import escape

from PyQt5.QtCore import QEvent, Qt
from PyQt5.QtWidgets import QLabel, QSizePolicy, QWidget

from user_gui.app.i18n import tr

STEPS = ("camera", "face", "swap", "output")
ACCENT = "#1f6feb"
DONE = "#3fb950"
LATER = "#8a96a3"


def next_step(camera_running: bool, face_loaded: bool, swap_on: bool) -> str:
    """The first step not done yet; "output" once the swap is on (the last step is sending
    the picture on: the virtual camera or a recording)."""
    if not camera_running:
        return "camera"
    if not face_loaded:
        return "face"
    if not swap_on:
        return "swap"
    return "output"


def step_name(step: str) -> str:
    names = {
        "camera": tr("Camera"),
        "face": tr("Face"),
        "swap": tr("Swap"),
        "output": tr("Output"),
    }
    return names[step]


def step_hint(step: str) -> str:
    """What to do for ``step``, one sentence."""
    hints = {
        "camera": tr("Next: start the camera."),
        "face": tr("Next: choose a photo of the face to wear."),
        "swap": tr("Next: turn the swap on."),
        "output": tr("Next: send the picture to the virtual camera or record it."),
    }
    return hints[step]


def steps_html(current: str) -> str:
    """The steps, "1 Camera → 2 Face → 3 Swap → 4 Output", with those done ticked and ``current``
    highlighted, then its hint: rich text for a QLabel."""
    at = STEPS.index(current)
    parts = []
    for i, step in enumerate(STEPS):
        label = escape(f"{i + 1} {step_name(step)}").replace(" ", "&nbsp;")
        if i < at:
            parts.append(f'<span style="color:{DONE};">✓&nbsp;{label}</span>')
        elif i == at:
            parts.append(
                f'<span style="background:{ACCENT};color:#ffffff;font-weight:bold;">'
                f"&nbsp;{label}&nbsp;</span>"
            )
        else:
            parts.append(f'<span style="color:{LATER};">{label}</span>')
    arrow = f' <span style="color:{LATER};">→</span> '
    return f"{arrow.join(parts)}<br>{escape(step_hint(current))}"


class GuidanceLabel(QLabel):
    """The steps and the next one's hint; re-labels itself when the language changes. Wraps
    to the width it is given and never asks for more."""

    def __init__(self, step: str = "camera", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guidance")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        policy = self.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.setSizePolicy(policy)
        self.setStyleSheet(
            "QLabel#guidance{background:#161b22;border:1px solid #30363d;border-radius:6px;"
            "padding:8px;color:#e6edf3;}"
        )
        self._step = step
        self._render()

    @property
    def step(self) -> str:
        return self._step

    def set_step(self, step: str) -> None:
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}")
        if step != self._step:
            self._step = step
            self._render()

    def _render(self) -> None:
        self.setText(steps_html(self._step))
        self.setToolTip(step_hint(self._step))

    def changeEvent(self, event: QEvent | None) -> None:
        if event is not None and event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)
