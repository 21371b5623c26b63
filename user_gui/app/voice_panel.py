"""The voice panel: input and output devices by name, start and stop, an input level meter,
and the effect chain (add or change, remove, reorder), each effect's parameters as sliders
built from the backend's schema.

It shows the backend's chain and state on every refresh (``show_status``), never a copy of
its own; while audio is unavailable the effects are disabled with the reason. Every call
runs on the pool."""

from __future__ import annotations

import logging
from typing import Any

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import (
    AudioEffect,
    AudioStatus,
    DeviceListOut,
    EffectParam,
    SoundFix,
    ToneOut,
)
from user_gui.app.effect_words import effect_name, param_name
from user_gui.app.fix_box import FixBox
from user_gui.app.i18n import field_message, tr
from user_gui.app.voice_fix import SoundMissing, sound_sentence
from user_gui.app.widgets import MessageLabel, Text, wheel_needs_focus
from user_gui.app.workers import human_message, run_async
from user_gui.services.clients import ARBackendClient, BackendError

log = logging.getLogger(__name__)
SOURCE = "source"  # input_device: the sound of the video the camera plays
METER_FLOOR_DB = -60


def _first(*values: float | None) -> float:
    """The first value that is not None (a bound may be inclusive or exclusive)."""
    return next(v for v in values if v is not None)


def _shown(value: float | bool) -> str:
    """A parameter's value in the chain's list: on or off for a switch, else the number."""
    if isinstance(value, bool):
        return tr("on") if value else tr("off")
    return f"{value:g}"


class VoicePanel(QGroupBox):
    running = pyqtSignal(bool)  # the voice stream is (not) running, as the backend said

    def __init__(self, backend: ARBackendClient, parent: QWidget | None = None) -> None:
        super().__init__(tr("Voice"), parent)
        self.backend = backend
        self._backend_ok = False
        self._source: str | None = None  # the camera's source the device lists were read for
        self._schemas: dict[str, dict[str, EffectParam]] = {}
        self.effect_sliders: dict[str, QSlider] = {}  # each number parameter's
        self.effect_switches: dict[str, QCheckBox] = {}  # each true/false parameter's
        self._effects: list[AudioEffect] = []
        self.state = "unknown"
        self._build()
        self._meter_timer = QTimer(self)  # the level while running: 5 reads a second
        self._meter_timer.setInterval(200)
        self._meter_timer.timeout.connect(self._read_level)
        self._reading = False

    def _build(self) -> None:
        col = QVBoxLayout(self)
        devices = QFormLayout()
        self.input_device = QComboBox()
        self.output_device = QComboBox()
        for box in (self.input_device, self.output_device):
            box.addItem(tr("(default)"), None)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
            box.setMinimumContentsLength(12)
        devices.addRow(tr("Microphone"), self.input_device)
        devices.addRow(tr("Output"), self.output_device)
        col.addLayout(devices)
        row = QHBoxLayout()
        self.audio_start = QPushButton(tr("Start voice"))
        self.audio_stop = QPushButton(tr("Stop voice"))
        self.audio_start.clicked.connect(self.start_audio)
        self.audio_stop.clicked.connect(self.stop_audio)
        self.meter = QProgressBar()
        self.meter.setRange(METER_FLOOR_DB, 0)
        self.meter.setValue(METER_FLOOR_DB)
        self.meter.setFormat(tr("level") + " —")
        self.meter.setToolTip(tr("Microphone level (dBFS)"))
        self.tone_button = QPushButton(tr("Test tone"))
        self.tone_button.setToolTip(tr("Play a short tone on the output to hear that it works"))
        self.tone_button.clicked.connect(self.play_test_tone)
        self.tone_button.hide()  # once the sound works
        row.addWidget(self.audio_start)
        row.addWidget(self.audio_stop)
        row.addWidget(self.tone_button)
        row.addWidget(self.meter, 1)
        col.addLayout(row)
        self.audio_state = MessageLabel(tr("voice: unknown"))
        col.addWidget(self.audio_state)
        self.sound_fix = FixBox(self)  # no sound device: what is missing, the command, Copy
        col.addWidget(self.sound_fix)

        pick = QHBoxLayout()
        self.effect_type = QComboBox()
        self.effect_type.currentIndexChanged.connect(
            lambda _i: self._show_effect_params(self.selected_effect())
        )
        self.effect_apply = QPushButton(tr("Add / change effect"))
        self.effect_apply.clicked.connect(self.apply_effect)
        pick.addWidget(self.effect_type, 1)
        pick.addWidget(self.effect_apply)
        col.addLayout(pick)
        self.effect_form = QFormLayout()
        col.addLayout(self.effect_form)
        self.chain = QListWidget()
        self.chain.setMaximumHeight(90)
        col.addWidget(self.chain)
        edit = QHBoxLayout()
        self.effect_up = QPushButton("↑")
        self.effect_down = QPushButton("↓")
        self.effect_remove = QPushButton(tr("Remove"))
        self.effect_up.setToolTip(tr("Move the effect earlier in the chain"))
        self.effect_down.setToolTip(tr("Move the effect later in the chain"))
        self.effect_up.clicked.connect(lambda: self.move_selected(-1))
        self.effect_down.clicked.connect(lambda: self.move_selected(1))
        self.effect_remove.clicked.connect(self.remove_selected)
        for w in (self.effect_up, self.effect_down, self.effect_remove):
            edit.addWidget(w)
        edit.addStretch(1)
        col.addLayout(edit)
        self.effect_chain = QLabel(tr("effects: none"))
        col.addWidget(self.effect_chain)
        self.effects_reason = MessageLabel()
        col.addWidget(self.effects_reason)

    # ---- the backend's state ---------------------------------------------------------------

    def _effect_controls(self) -> tuple[QWidget, ...]:
        return (
            self.effect_type,
            self.effect_apply,
            self.chain,
            self.effect_up,
            self.effect_down,
            self.effect_remove,
        )

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        was = self._backend_ok
        self._backend_ok = ok
        for w in (self.audio_start, self.audio_stop, self.input_device, self.output_device):
            w.setEnabled(ok)
        if not ok:
            for w in self._effect_controls():
                w.setEnabled(False)
            self._meter_timer.stop()
            self.meter.setValue(METER_FLOOR_DB)
            self.meter.setFormat(tr("level") + " —")
            self.effects_reason.show_message(reason)
        elif not was:  # (re)connected: the backend's lists, then its state
            self.load_effect_types()
            self.load_devices()

    def show_status(self, status: AudioStatus | None, error: str = "") -> None:
        """The backend's voice state and chain (every refresh)."""
        if status is None:
            if error:
                self.audio_state.show_message(tr("voice status unavailable: {error}", error=error))
            return
        self.state = status.state
        text = tr("voice: {state}", state=tr(status.state))
        fix = status.fix if status.state == "unavailable" else None
        if fix is not None:  # said in the box, in a person's words, the details its tooltip
            self._show_fix(fix, lambda: field_message(status, "error"))
        else:
            self.sound_fix.clear()
            if status.error:
                text += f" — {field_message(status, 'error')}"
        self.audio_state.show_message(text, error=status.state == "unavailable")
        self.tone_button.setVisible(self._backend_ok and status.state != "unavailable")
        usable = self._backend_ok and status.state != "unavailable"
        for w in self._effect_controls():
            w.setEnabled(usable)
        self.effects_reason.show_message(
            ""
            if usable or not self._backend_ok
            else tr("Effects need an audio device: {reason}", reason=status.error or status.state)
        )
        self._show_chain(status.effects)
        self._show_level(status.level_dbfs if status.state == "running" else None)
        on = status.state == "running"
        if on and not self._meter_timer.isActive():
            self._meter_timer.start()
        elif not on:
            self._meter_timer.stop()
        self._select_device(self.input_device, getattr(status, "input_device", None))
        self._select_device(self.output_device, getattr(status, "output_device", None))
        self.running.emit(on)

    def _show_level(self, dbfs: float | None) -> None:
        if dbfs is None:
            self.meter.setValue(METER_FLOOR_DB)
            self.meter.setFormat(tr("level") + " —")
            return
        value = int(max(METER_FLOOR_DB, min(0, dbfs)))
        self.meter.setValue(value)
        self.meter.setFormat(f"{dbfs:.0f} dBFS")

    def _read_level(self) -> None:
        if self._reading:
            return
        self._reading = True

        def done(status: AudioStatus) -> None:
            self._reading = False
            self._show_level(status.level_dbfs if status.state == "running" else None)

        def failed(_msg: str) -> None:
            self._reading = False

        run_async(self.backend.audio_status, done, failed)

    def _show_chain(self, effects: list[AudioEffect]) -> None:
        self._effects = list(effects)
        selected = self.chain.currentRow()
        self.chain.clear()
        for e in effects:
            params = ", ".join(f"{param_name(k)} {_shown(v)}" for k, v in e.params.items())
            name = effect_name(e.type)
            item = QListWidgetItem(f"{name}  ({params})" if params else name)
            item.setData(Qt.ItemDataRole.UserRole, e.type)
            self.chain.addItem(item)
        if 0 <= selected < self.chain.count():
            self.chain.setCurrentRow(selected)
        text = " → ".join(effect_name(e.type) for e in effects) or tr("none")
        self.effect_chain.setText(tr("effects: {chain}", chain=text))

    # ---- devices -----------------------------------------------------------------------------

    def load_devices(self) -> None:
        """The devices PortAudio lists, and, while the camera plays a file with sound, that
        sound as a microphone ("The video's own sound": input_device "source")."""

        def done(listed: DeviceListOut) -> None:
            for box, key in ((self.input_device, "inputs"), (self.output_device, "outputs")):
                current = box.currentData()
                box.blockSignals(True)
                box.clear()
                box.addItem(tr("(default)"), None)
                if key == "inputs" and (listed.source_sound or current == SOURCE):
                    box.addItem(tr("The video's own sound"), SOURCE)
                    box.setItemData(
                        box.count() - 1,
                        listed.source_sound or tr("when the camera plays a video with sound"),
                        Qt.ItemDataRole.ToolTipRole,
                    )
                for d in listed.devices:
                    if (d.inputs if key == "inputs" else d.outputs) > 0:
                        box.addItem(d.name, d.name)
                box.blockSignals(False)
                self._select_device(box, current)

        run_async(
            self.backend.audio_devices,
            done,
            lambda msg: log.info("audio devices not listed: %s", msg),
        )

    def follow_source(self, source: str | None) -> None:
        """The camera's source (None: stopped): a new one may have sound to offer as the
        microphone, or no longer have it; the lists are read again when it changes."""
        if source != self._source and self._backend_ok:
            self._source = source
            self.load_devices()

    @staticmethod
    def _select_device(box: QComboBox, name: Any) -> None:
        if name is None:
            return
        index = box.findData(name)
        if index < 0:
            index = box.findText(str(name))
        if index >= 0:
            box.setCurrentIndex(index)

    # ---- effects -----------------------------------------------------------------------------

    def load_effect_types(self) -> None:
        def done(types: dict[str, dict[str, EffectParam]]) -> None:
            self._schemas = types
            current = self.selected_effect()
            self.effect_type.blockSignals(True)
            self.effect_type.clear()
            for effect_type in sorted(types):
                self.effect_type.addItem(effect_name(effect_type), effect_type)
            self.effect_type.blockSignals(False)
            index = self.effect_type.findData(current if current in types else "pitch")
            self.effect_type.setCurrentIndex(max(index, 0))
            self._show_effect_params(self.selected_effect())

        run_async(
            self.backend.audio_effect_types,
            done,
            lambda msg: log.warning("voice effects not listed: %s", msg),
        )

    def selected_effect(self) -> str:
        """The effect type chosen in the list (its item's data: the backend's name)."""
        return str(self.effect_type.currentData() or "")

    def _show_effect_params(self, effect_type: str) -> None:
        """A slider for each number parameter of ``effect_type``, a check box for each
        switch (``preserve_formants``), at the schema's defaults."""
        while self.effect_form.rowCount():
            self.effect_form.removeRow(0)
        self.effect_sliders = {}
        self.effect_switches = {}
        for name, spec in self._schemas.get(effect_type, {}).items():
            if isinstance(spec.default, bool):
                switch = QCheckBox()
                switch.setChecked(spec.default)
                if spec.description:
                    switch.setToolTip(spec.description)
                self.effect_form.addRow(param_name(name), switch)
                self.effect_switches[name] = switch
                continue
            low = _first(spec.minimum, spec.exclusive_minimum, 0.0)
            high = _first(spec.maximum, spec.exclusive_maximum, 100.0)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(int(low * 100), int(high * 100))  # hundredths: fine enough
            slider.setValue(int(spec.default * 100))
            wheel_needs_focus(slider)
            value = QLabel(f"{slider.value() / 100:g}")
            slider.valueChanged.connect(lambda v, lab=value: lab.setText(f"{v / 100:g}"))
            holder = QWidget()
            h = QHBoxLayout(holder)
            h.setContentsMargins(0, 0, 0, 0)
            h.addWidget(slider, 1)
            h.addWidget(value)
            self.effect_form.addRow(param_name(name), holder)
            self.effect_sliders[name] = slider

    def _failed(self, what: str) -> Any:
        def failed(msg: str) -> None:
            log.warning("%s: %s", what, msg)
            self.audio_state.show_message(f"{what}: {msg}", error=True)

        return failed

    def apply_effect(self) -> None:
        effect_type = self.selected_effect()
        params: dict[str, float | bool] = {
            name: s.value() / 100 for name, s in self.effect_sliders.items()
        }
        params.update({name: box.isChecked() for name, box in self.effect_switches.items()})
        run_async(
            lambda: self.backend.set_audio_effect(effect_type, params),
            lambda chain: self._show_chain(chain.effects),
            self._failed(tr("effect not applied")),
        )

    def remove_selected(self) -> None:
        item = self.chain.currentItem()
        if item is None:
            return
        effect_type = item.data(Qt.ItemDataRole.UserRole)
        run_async(
            lambda: self.backend.remove_audio_effect(effect_type),
            lambda chain: self._show_chain(chain.effects),
            self._failed(tr("effect not removed")),
        )

    def move_selected(self, step: int) -> None:
        row = self.chain.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < len(self._effects):
            return
        effects = list(self._effects)
        effects[row], effects[target] = effects[target], effects[row]
        specs = [{"type": e.type, "params": e.params, "bypass": e.bypass} for e in effects]

        def done(chain: Any) -> None:
            self._show_chain(chain.effects)
            self.chain.setCurrentRow(target)

        run_async(
            lambda: self.backend.set_audio_chain(specs),
            done,
            self._failed(tr("effects not reordered")),
        )

    # ---- the stream --------------------------------------------------------------------------

    def start_audio(self) -> None:
        inp, out = self.input_device.currentData(), self.output_device.currentData()
        backend = self.backend

        def work() -> AudioStatus | SoundMissing:
            try:
                return backend.start_audio(input_device=inp, output_device=out)
            except BackendError as exc:  # no sound here: what is missing, and the fix
                fix = exc.details.get("fix")
                if not isinstance(fix, dict):
                    raise
                return SoundMissing(human_message(exc), SoundFix.model_validate(fix))

        def done(result: AudioStatus | SoundMissing) -> None:
            if isinstance(result, SoundMissing):
                log.warning("voice did not start: %s", result.details)
                self.audio_state.show_message(tr("voice did not start"), error=True)
                self._show_fix(result.fix, result.details)
                self.tone_button.hide()
            else:
                self.show_status(result)

        def failed(msg: str) -> None:
            self.audio_state.show_message(tr("voice did not start: {error}", error=msg), error=True)
            log.warning("voice did not start: %s", msg)

        run_async(work, done, failed)

    def _show_fix(self, fix: SoundFix, details: Text) -> None:
        """What is missing for the voice, in a person's words, with the command for this
        system (PipeWire's or PulseAudio's) and Copy."""
        self.sound_fix.show_fix(lambda: sound_sentence(fix), fix.command or None, details)

    def play_test_tone(self) -> None:
        """A short tone on the output device, to hear that the sound works."""
        self.tone_button.setEnabled(False)

        def done(answer: ToneOut) -> None:
            self.tone_button.setEnabled(True)
            device = answer.device
            self.audio_state.show_message(
                lambda: tr("Playing a test tone on {device}…", device=device)
            )

        def failed(msg: str) -> None:
            self.tone_button.setEnabled(True)
            self.audio_state.show_message(tr("No test tone: {error}", error=msg), error=True)
            log.warning("test tone not played: %s", msg)

        run_async(self.backend.test_tone, done, failed)

    def stop_audio(self) -> None:
        run_async(self.backend.stop_audio, self.show_status, self._failed(tr("voice did not stop")))

    def toggle(self) -> None:
        """The hotkey: start the voice, or stop it when it runs."""
        if not self.audio_start.isEnabled():
            return
        if self.state == "running":
            self.stop_audio()
        else:
            self.start_audio()

    def stop_meter(self) -> None:
        self._meter_timer.stop()
