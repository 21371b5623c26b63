"""Voice presets, the formant control, the A/V offset, and personas with one click (F1-F4).

- Presets ("Clean", "Deeper", "Higher", "Bright", "Robot", "Radio") each set the whole voice
  chain at once, built from the backend's effects (pitch with the formants kept, formant,
  denoise, filters, robot).
- The formant slider moves the formants alone (the ``formant`` effect), -12..12 semitones.
- The A/V offset the live voice gets (``av_offset_ms``) and why the voice has no output, when
  it has none, are shown on every refresh.
- Personas: one button each (the first four carry F1-F4), "Save as persona…" saves the loaded
  face, the voice chain and a label under a name; a persona's menu deletes it.

Every call runs on the pool; the bar shows the backend's answers, never its own guess."""

from __future__ import annotations

import logging
from typing import Any

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QAction,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import AudioStatus, PersonaListOut, PersonaOut
from user_gui.app.i18n import field_message, tr
from user_gui.app.widgets import MessageLabel, wheel_needs_focus
from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)

PERSONA_KEYS = ("F1", "F2", "F3", "F4")

# name -> the whole chain it sets (POST /audio/chain)
PRESETS: dict[str, list[dict[str, Any]]] = {
    "Clean": [
        {"type": "highpass", "params": {"cutoff_hz": 80.0}},
        {"type": "denoise", "params": {}},
    ],
    "Deeper": [
        {"type": "denoise", "params": {}},
        {"type": "pitch", "params": {"semitones": -4.0}},
        {"type": "formant", "params": {"semitones": -3.0}},
    ],
    "Higher": [
        {"type": "denoise", "params": {}},
        {"type": "pitch", "params": {"semitones": 5.0}},
        {"type": "formant", "params": {"semitones": 2.0}},
    ],
    "Bright": [
        {"type": "denoise", "params": {}},
        {"type": "formant", "params": {"semitones": 3.0}},
    ],
    "Robot": [
        {"type": "pitch", "params": {"semitones": -2.0}},
        {"type": "robot", "params": {"frequency_hz": 60.0}},
    ],
    "Radio": [
        {"type": "denoise", "params": {}},
        {"type": "highpass", "params": {"cutoff_hz": 400.0}},
        {"type": "lowpass", "params": {"cutoff_hz": 3400.0}},
        {"type": "gain", "params": {"db": 4.0}},
    ],
}
PRESET_TIPS = {
    "Clean": "Noise suppression (RNNoise) and a low cut: your own voice, clearer",
    "Deeper": "Lower pitch and a larger vocal tract: another, deeper person",
    "Higher": "Higher pitch, formants a little up: another, higher person",
    "Bright": "The formants up, the pitch kept: a brighter, younger sound",
    "Robot": "A lower ring-modulated voice",
    "Radio": "A telephone or radio band",
}


class PersonaBar(QGroupBox):
    """Presets, formant, A/V offset and personas; ``hotkeys`` are the F1-F4 actions the
    window adds to its menu."""

    applied = pyqtSignal(str)  # a persona was applied (its name)

    def __init__(self, backend: ARBackendClient, parent: QWidget | None = None) -> None:
        super().__init__(tr("Voice presets and personas"), parent)
        self.backend = backend
        self._backend_ok = False
        self.personas: list[PersonaOut] = []
        self.active: str | None = None
        self.preset_buttons: dict[str, QPushButton] = {}
        self.persona_buttons: dict[str, QPushButton] = {}
        self.hotkeys: list[QAction] = []
        self._build()

    def _build(self) -> None:
        col = QVBoxLayout(self)
        grid = QGridLayout()
        for i, name in enumerate(PRESETS):
            button = QPushButton(tr(name))
            button.setToolTip(tr(PRESET_TIPS[name]))
            button.clicked.connect(lambda _on=False, n=name: self.use_preset(n))
            grid.addWidget(button, i // 3, i % 3)
            self.preset_buttons[name] = button
        col.addLayout(grid)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("Formant")))
        self.formant = QSlider(Qt.Orientation.Horizontal)
        self.formant.setRange(-12, 12)
        self.formant.setValue(0)
        self.formant.setToolTip(
            tr("Move the formants alone: left deeper (a larger vocal tract), right brighter")
        )
        wheel_needs_focus(self.formant)
        self.formant_value = QLabel("0")
        self.formant.valueChanged.connect(lambda v: self.formant_value.setText(f"{v:+d}"))
        self.formant.sliderReleased.connect(self.apply_formant)
        row.addWidget(self.formant, 1)
        row.addWidget(self.formant_value)
        col.addLayout(row)
        self.av_offset = QLabel(tr("A/V offset: —"))
        self.av_offset.setToolTip(
            tr("The delay the live voice gets so lips and voice match (audio.av_sync)")
        )
        col.addWidget(self.av_offset)
        self.output_note = MessageLabel()
        col.addWidget(self.output_note)
        self.persona_row = QHBoxLayout()
        col.addLayout(self.persona_row)
        actions = QHBoxLayout()
        self.save_button = QPushButton(tr("Save as persona…"))
        self.save_button.setToolTip(
            tr("Save the loaded face, the voice chain and a label under a name")
        )
        self.save_button.clicked.connect(self.save_persona)
        actions.addWidget(self.save_button)
        actions.addStretch(1)
        col.addLayout(actions)
        self.message = MessageLabel()
        col.addWidget(self.message)
        for i, key in enumerate(PERSONA_KEYS):
            action = QAction(tr("Persona {n}", n=i + 1), self)
            action.setShortcut(key)
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(lambda _on=False, slot=i: self.apply_slot(slot))
            self.hotkeys.append(action)

    # ---- the backend's state ---------------------------------------------------------------

    def _controls(self) -> list[QWidget]:
        return [
            *self.preset_buttons.values(),
            self.formant,
            self.save_button,
            *self.persona_buttons.values(),
        ]

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        was = self._backend_ok
        self._backend_ok = ok
        for w in self._controls():
            w.setEnabled(ok)
        for action in self.hotkeys:
            action.setEnabled(ok)
        if not ok:
            self.message.show_message(reason)
        elif not was:
            self.message.show_message("")
            self.load_personas()

    def show_status(self, status: AudioStatus | None) -> None:
        """The voice's A/V offset, its output, and the formant in the chain (every refresh)."""
        if status is None:
            return
        offset = status.av_offset_ms
        mode = getattr(status, "av_sync", None)
        if offset is None:
            self.av_offset.setText(tr("A/V offset: —"))
        else:
            self.av_offset.setText(
                tr("A/V offset: {ms} ms ({mode})", ms=f"{offset:.0f}", mode=str(mode or "auto"))
            )
        note = field_message(status, "output_error") if status.state == "running" else None
        self.output_note.show_message(
            tr("No output device: {reason}", reason=note) if note else "", error=False
        )
        formant = next((e for e in status.effects if e.type == "formant"), None)
        if not self.formant.isSliderDown():
            value = round(float(formant.params.get("semitones", 0))) if formant else 0
            self.formant.blockSignals(True)
            self.formant.setValue(value)
            self.formant.blockSignals(False)
            self.formant_value.setText(f"{value:+d}")

    # ---- presets and formant ---------------------------------------------------------------

    def use_preset(self, name: str) -> None:
        run_async(
            lambda: self.backend.set_audio_chain(PRESETS[name]),
            lambda _chain: self.message.show_message(tr("voice: {preset}", preset=tr(name))),
            self._failed(tr("preset not applied")),
        )

    def apply_formant(self) -> None:
        semitones = float(self.formant.value())
        run_async(
            lambda: self.backend.set_audio_effect("formant", {"semitones": semitones}),
            lambda _chain: None,
            self._failed(tr("formant not applied")),
        )

    # ---- personas ----------------------------------------------------------------------------

    def load_personas(self) -> None:
        run_async(self.backend.personas, self.show_personas, self._failed(tr("personas")))

    def show_personas(self, listed: PersonaListOut) -> None:
        self.personas = list(listed.personas)
        self.active = listed.active
        while self.persona_row.count():
            item = self.persona_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.persona_buttons = {}
        for i, persona in enumerate(self.personas):
            key = PERSONA_KEYS[i] if i < len(PERSONA_KEYS) else None
            text = f"{key}  {persona.name}" if key else persona.name
            button = QPushButton(text)
            button.setCheckable(True)
            button.setChecked(persona.name == self.active)
            button.setEnabled(self._backend_ok)
            tip = persona.label or persona.name
            effects = " → ".join(str(e.get("type")) for e in persona.voice) or tr("none")
            button.setToolTip(tr("{label}; voice: {effects}", label=tip, effects=effects))
            button.clicked.connect(lambda _on=False, n=persona.name: self.apply(n))
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            button.customContextMenuRequested.connect(
                lambda _pos, n=persona.name, b=button: self._menu(n, b)
            )
            self.persona_row.addWidget(button)
            self.persona_buttons[persona.name] = button
        if not self.personas:
            hint = QLabel(tr("No personas yet: load a face, set a voice, Save as persona…"))
            hint.setWordWrap(True)
            self.persona_row.addWidget(hint)

    def apply_slot(self, slot: int) -> None:
        """F1-F4: the persona in that place (nothing when there is none)."""
        if 0 <= slot < len(self.personas):
            self.apply(self.personas[slot].name)

    def apply(self, name: str) -> None:
        self.message.show_message(tr("applying {name}…", name=name))

        def done(_answer: Any) -> None:
            self.active = name
            for other, button in self.persona_buttons.items():
                button.setChecked(other == name)
            self.message.show_message(tr("persona: {name}", name=name))
            self.applied.emit(name)

        run_async(lambda: self.backend.apply_persona(name), done, self._failed(name))

    def save_persona(self) -> None:
        name, ok = QInputDialog.getText(self, tr("Save as persona"), tr("Name"))
        if not ok or not name.strip():
            return
        label, ok = QInputDialog.getText(
            self, tr("Save as persona"), tr("Label on the video (may be empty)"), text=name
        )
        if not ok:
            return
        self.save(name.strip(), label)

    def save(self, name: str, label: str, face: str = "loaded") -> None:
        """Save ``name`` with the backend's voice chain now, the loaded face (or ``keep``)."""

        def work() -> Any:
            chain = self.backend.audio_status().effects
            voice = [{"type": e.type, "params": dict(e.params), "bypass": e.bypass} for e in chain]
            return self.backend.save_persona(name, label, voice, face)

        def done(_persona: Any) -> None:
            self.message.show_message(tr("saved {name}", name=name))
            self.load_personas()

        run_async(work, done, self._failed(tr("persona not saved")))

    def _menu(self, name: str, button: QPushButton) -> None:
        menu = QMenu(self)
        delete = menu.addAction(tr("Delete {name}", name=name))
        chosen = menu.exec_(button.mapToGlobal(button.rect().bottomLeft()))
        if chosen is delete:
            self.delete(name)

    def delete(self, name: str) -> None:
        run_async(
            lambda: self.backend.delete_persona(name),
            self.show_personas,
            self._failed(tr("persona not deleted")),
        )

    def _failed(self, what: str) -> Any:
        def failed(msg: str) -> None:
            log.warning("%s: %s", what, msg)
            self.message.show_message(f"{what}: {msg}", error=True)

        return failed
