"""The studio window: preview, camera, face, voice, services, alerts, log. It only draws, emits
and starts work on other threads; nothing here waits on the network."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from PyQt5.QtCore import QObject, QSettings, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QImage, QPixmap
from PyQt5.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from shared.http import HttpError
from shared.wire.backend import AudioEffect, AudioStatus, CameraStatus, EffectParam, FaceStatus
from shared.wire.monitor import AlertView
from user_gui.app.face_panel import FacePanel
from user_gui.app.workers import MjpegReader, run_async
from user_gui.services.clients import ARBackendClient, MonitorClient
from user_gui.services.reporter import StatusReporter

log = logging.getLogger(__name__)
RUNNING = ("running", "reconnecting", "connecting")  # camera states with a preview to show
COLOURS = {"healthy": "#2fbf71", "offline": "#e5484d", "unhealthy": "#e8b339", "unknown": "#8a96a3"}


@dataclass
class ServiceCheck:
    """One refresh of a service, made on the pool: its health and what the window shows."""

    status: str  # healthy / offline / unhealthy / unknown (ServiceStatus)
    latency_ms: float | None
    last_error: str | None

    @property
    def latency(self) -> str:
        return f"{self.latency_ms} ms" if self.latency_ms is not None else ""


@dataclass
class BackendCheck(ServiceCheck):
    camera: CameraStatus | None = None  # None: not read (the error says why)
    camera_error: str = ""
    face: FaceStatus | None = None
    face_error: str = ""


@dataclass
class MonitorCheck(ServiceCheck):
    alerts: list[AlertView] = field(default_factory=list)
    alerts_error: str = ""


class _LogBridge(QObject, logging.Handler):
    """A logging handler that hands records to the GUI thread as a signal."""

    line = pyqtSignal(str)

    def __init__(self) -> None:
        QObject.__init__(self)
        logging.Handler.__init__(self, logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        self.line.emit(self.format(record))


class MainWindow(QMainWindow):
    backend_state = pyqtSignal(str)  # healthy / offline / unhealthy, for tests and indicators

    def __init__(
        self,
        backend: ARBackendClient,
        monitor: MonitorClient,
        reporter: StatusReporter,
        local_url: str | None,
        poll_interval: float = 2.0,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.monitor = monitor
        self.reporter = reporter
        self.local_url = local_url
        self.settings = QSettings("AR Live Studio", "user_gui")
        self.setWindowTitle("AR Live Studio")
        self._reader: MjpegReader | None = None
        self._closed = False  # answers still arriving from the pool then change nothing
        self._frames: list[float] = []
        self._last_image: QImage | None = None
        self._backend_ok = False
        self.refreshes = 0  # refreshes begun
        self.refresh_shown = 0  # the newest refresh whose backend answer the window shows
        self._build()
        self._log = _LogBridge()
        self._log.line.connect(self.log_view.appendPlainText)
        logging.getLogger().addHandler(self._log)
        self._poll = QTimer(self)
        self._poll.setInterval(int(poll_interval * 1000))
        self._poll.timeout.connect(self.refresh_services)
        self._poll.start()
        self.refresh_services()
        self.restoreGeometry(self.settings.value("geometry", b""))
        self.reporter.update_gui_status(window_active=True)

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        root = QWidget()
        layout = QHBoxLayout(root)
        left = QVBoxLayout()
        self.preview = QLabel("no preview: start the camera")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(480, 270)
        self.preview.setStyleSheet("background:#101418;color:#8a96a3;")
        self.preview_info = QLabel("")
        left.addWidget(self.preview, 1)
        left.addWidget(self.preview_info)

        camera = QGroupBox("Camera")
        row = QHBoxLayout(camera)
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(["demo", "auto"])
        self.source.setCurrentText(self.settings.value("source", "demo"))
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(self.start_camera)
        self.stop_button.clicked.connect(self.stop_camera)
        self.camera_reason = QLabel("")
        for w in (self.source, self.start_button, self.stop_button, self.camera_reason):
            row.addWidget(w)
        left.addWidget(camera)
        self.face_panel = FacePanel(self.backend, self.settings)
        self.face_panel.face_loaded.connect(
            lambda loaded: self.reporter.update_gui_status(face_loaded=loaded)
        )
        left.addWidget(self.face_panel)
        left.addWidget(self._build_audio())
        layout.addLayout(left, 3)

        right = QVBoxLayout()
        services = QGroupBox("Services")
        col = QVBoxLayout(services)
        self.indicators: dict[str, QLabel] = {}
        for key, name in (
            ("backend", "AR backend"),
            ("monitor", "Monitor"),
            ("local", "Local server"),
        ):
            label = QLabel(f"{name}: unknown")
            self.indicators[key] = label
            col.addWidget(label)
        right.addWidget(services)
        alerts = QGroupBox("Open alerts")
        acol = QVBoxLayout(alerts)
        self.alerts = QListWidget()
        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        acol.addWidget(self.alerts)
        acol.addWidget(self.ack_button)
        right.addWidget(alerts)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(500)
        right.addWidget(self.log_view, 1)
        layout.addLayout(right, 2)
        self.setCentralWidget(root)
        self._set_backend_controls(False, "checking the backend...")

    def _build_audio(self) -> QGroupBox:
        box = QGroupBox("Voice")
        col = QVBoxLayout(box)
        row = QHBoxLayout()
        self.audio_start = QPushButton("Start voice")
        self.audio_stop = QPushButton("Stop voice")
        self.audio_start.clicked.connect(self.start_audio)
        self.audio_stop.clicked.connect(self.stop_audio)
        self.audio_state = QLabel("voice: unknown")
        for w in (self.audio_start, self.audio_stop, self.audio_state):
            row.addWidget(w)
        col.addLayout(row)
        pick = QHBoxLayout()
        self.effect_type = QComboBox()
        self.effect_type.currentTextChanged.connect(self._show_effect_params)
        self.effect_apply = QPushButton("Apply effect")
        self.effect_apply.clicked.connect(self.apply_effect)
        pick.addWidget(self.effect_type, 1)
        pick.addWidget(self.effect_apply)
        col.addLayout(pick)
        self.effect_form = QFormLayout()
        col.addLayout(self.effect_form)
        self.effect_chain = QLabel("effects: none")
        col.addWidget(self.effect_chain)
        self._effect_schemas: dict[str, dict[str, EffectParam]] = {}
        self.effect_sliders: dict[str, QSlider] = {}
        return box

    def _show_effect_params(self, effect_type: str) -> None:
        while self.effect_form.rowCount():
            self.effect_form.removeRow(0)
        self.effect_sliders = {}
        for name, spec in self._effect_schemas.get(effect_type, {}).items():
            low = _first(spec.minimum, spec.exclusive_minimum, 0.0)
            high = _first(spec.maximum, spec.exclusive_maximum, 100.0)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(int(low * 100), int(high * 100))  # hundredths: fine enough
            slider.setValue(int(spec.default * 100))
            value = QLabel(f"{slider.value() / 100:g}")
            slider.valueChanged.connect(lambda v, lab=value: lab.setText(f"{v / 100:g}"))
            holder = QWidget()
            h = QHBoxLayout(holder)
            h.setContentsMargins(0, 0, 0, 0)
            h.addWidget(slider, 1)
            h.addWidget(value)
            self.effect_form.addRow(name, holder)
            self.effect_sliders[name] = slider

    def _load_effect_types(self) -> None:
        def done(types: dict[str, dict[str, EffectParam]]) -> None:
            self._effect_schemas = types
            current = self.effect_type.currentText()
            self.effect_type.blockSignals(True)
            self.effect_type.clear()
            self.effect_type.addItems(sorted(types))
            self.effect_type.blockSignals(False)
            self.effect_type.setCurrentText(current if current in types else "pitch")
            self._show_effect_params(self.effect_type.currentText())

        run_async(
            self.backend.audio_effect_types,
            done,
            lambda msg: log.warning("voice effects not listed: %s", msg),
        )

    def apply_effect(self) -> None:
        effect_type = self.effect_type.currentText()
        params = {name: s.value() / 100 for name, s in self.effect_sliders.items()}
        run_async(
            lambda: self.backend.set_audio_effect(effect_type, params),
            lambda chain: self._show_chain(chain.effects),
            lambda msg: log.warning("effect not applied: %s", msg),
        )

    def _show_chain(self, effects: list[AudioEffect]) -> None:
        text = " -> ".join(e.type for e in effects) or "none"
        self.effect_chain.setText(f"effects: {text}")

    def start_audio(self) -> None:
        def failed(msg: str) -> None:
            self.audio_state.setText(f"voice: {msg}")
            log.warning("voice did not start: %s", msg)

        run_async(self.backend.start_audio, self._on_audio, failed)

    def stop_audio(self) -> None:
        run_async(
            self.backend.stop_audio,
            self._on_audio,
            lambda msg: log.warning("voice did not stop: %s", msg),
        )

    def _on_audio(self, status: AudioStatus) -> None:
        state, level = status.state, status.level_dbfs
        self.audio_state.setText(f"voice: {state}" + (f", {level} dBFS" if level else ""))
        self._show_chain(status.effects)
        self.reporter.update_gui_status(audio_running=state == "running")

    def _indicate(self, key: str, name: str, state: str, extra: str = "") -> None:
        colour = COLOURS.get(state, COLOURS["unknown"])
        self.indicators[key].setText(
            f"<span style='color:{colour}'>●</span> {name}: {state} {extra}"
        )

    def _set_backend_controls(self, ok: bool, reason: str = "") -> None:
        for w in (
            self.start_button,
            self.stop_button,
            self.source,
            self.audio_start,
            self.audio_stop,
            self.effect_type,
            self.effect_apply,
        ):
            w.setEnabled(ok)
        self.camera_reason.setText("" if ok else reason)
        self.face_panel.set_backend_ok(ok, reason)

    # ---- services --------------------------------------------------------------------------

    def refresh_services(self) -> None:
        self.refreshes += 1
        serial = self.refreshes
        face_changes = self.face_panel.changes  # a face change made meanwhile wins
        run_async(self._check_backend, lambda info: self._on_backend(info, face_changes, serial))
        run_async(self._check_monitor, self._on_monitor)
        if self.local_url:
            self._indicate("local", "Local server", "healthy", self.local_url)

    def _check_backend(self) -> BackendCheck:  # on the pool
        ok = self.backend.health_check()
        info = BackendCheck(
            self.backend.status.value, self.backend.latency_ms, self.backend.last_error
        )
        if ok:
            try:
                info.camera = self.backend.camera_status()
            except HttpError as exc:  # healthy but the call failed: still update the panel
                info.camera_error = str(exc)
            try:
                info.face = self.backend.face_status()
            except HttpError as exc:
                info.face_error = str(exc)
        return info

    def _on_backend(
        self, info: BackendCheck, face_changes: int | None = None, serial: int = 0
    ) -> None:
        if self._closed:  # a refresh begun before the window closed: no preview, no report
            return
        state = info.status
        self._indicate("backend", "AR backend", state, info.latency)
        ok = state == "healthy"
        if ok != self._backend_ok:
            log.info("AR backend is %s%s", state, f" ({info.last_error})" if not ok else "")
        if ok and (not self._backend_ok or not self._effect_schemas):
            self._load_effect_types()
        if ok and (not self._backend_ok or not self.face_panel.engine.count()):
            self.face_panel.load_engines()
        self._backend_ok = ok
        self._set_backend_controls(ok, f"backend {state}: {info.last_error or ''}")
        if ok:
            self.face_panel.show_status(info.face, face_changes, info.face_error)
        if info.camera_error:  # shown until a refresh reads it again
            self.camera_reason.setText(f"camera status unavailable: {info.camera_error}")
        running = ok and info.camera is not None and info.camera.state in RUNNING
        if running and self._reader is None:
            self._start_preview()
        self.reporter.update_gui_status(video_running=bool(running))
        self.refresh_shown = max(self.refresh_shown, serial)
        self.backend_state.emit(state)

    def _check_monitor(self) -> MonitorCheck:  # on the pool
        ok = self.monitor.health_check()
        info = MonitorCheck(
            self.monitor.status.value, self.monitor.latency_ms, self.monitor.last_error
        )
        if ok:
            try:
                info.alerts = self.monitor.alerts()
            except HttpError as exc:  # healthy, but the list could not be read
                info.alerts_error = str(exc)
        return info

    def _on_monitor(self, info: MonitorCheck) -> None:
        self._indicate("monitor", "Monitor", info.status, info.latency)
        current = self.alerts.currentItem()
        selected = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.alerts.clear()
        for alert in info.alerts:
            item = QListWidgetItem(f"[{alert.status}] {alert.message or alert.cause}")
            item.setData(Qt.ItemDataRole.UserRole, alert.id)
            self.alerts.addItem(item)
            if alert.id == selected:
                self.alerts.setCurrentItem(item)
        if info.alerts_error:  # an item with no alert id: nothing to acknowledge
            self.alerts.addItem(QListWidgetItem(f"alerts unavailable: {info.alerts_error}"))

    def acknowledge_selected(self) -> None:
        item = self.alerts.currentItem()
        if item is None:
            return
        alert_id = item.data(Qt.ItemDataRole.UserRole)
        if alert_id is None:
            return
        run_async(
            lambda: self.monitor.acknowledge_alert(alert_id, by="studio window"),
            lambda _r: self.refresh_services(),
            lambda msg: log.warning("acknowledge failed: %s", msg),
        )

    # ---- camera ----------------------------------------------------------------------------

    def start_camera(self) -> None:
        source = self.source.currentText().strip() or None
        self.settings.setValue("source", source or "")
        self.start_button.setEnabled(False)
        run_async(
            lambda: self.backend.start_camera(source=source),
            self._on_started,
            self._on_start_failed,
        )

    def _on_start_failed(self, msg: str) -> None:
        log.warning("camera did not start: %s", msg)
        self.start_button.setEnabled(True)

    def _on_started(self, status: CameraStatus) -> None:
        log.info("camera %s: %s", status.state, status.source)
        if self._closed:
            return
        self.start_button.setEnabled(True)
        self.reporter.update_gui_status(video_running=True)
        self._start_preview()

    def stop_camera(self) -> None:
        run_async(
            self.backend.stop_camera,
            lambda _s: self._stop_preview(),
            lambda msg: log.warning("camera did not stop: %s", msg),
        )

    def _start_preview(self) -> None:
        # never after closeEvent: nobody would stop that reader, and Qt aborts the process
        # when the window deletes a QThread that still runs
        if self._reader is not None or self._closed:
            return
        self._reader = MjpegReader(self.backend.video_feed_url, self)
        self._reader.frame.connect(self._on_frame)
        self._reader.start()

    def _stop_preview(self) -> None:
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        self.preview.clear()
        self.preview.setText("no preview: start the camera")
        self.reporter.update_gui_status(video_running=False)

    def _on_frame(self, image: QImage, seq: int) -> None:
        self._last_image = image
        now = time.monotonic()
        self._frames = [t for t in self._frames if now - t < 2.0] + [now]
        fps = (
            (len(self._frames) - 1) / max(now - self._frames[0], 1e-6)
            if len(self._frames) > 1
            else 0
        )
        pix = QPixmap.fromImage(image).scaled(
            self.preview.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.preview.setPixmap(pix)
        self.preview_info.setText(f"{image.width()}x{image.height()}  {fps:.1f} fps  frame {seq}")

    @property
    def last_image(self) -> QImage | None:
        return self._last_image

    # ---- lifecycle -------------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:
        self._closed = True
        self.settings.setValue("geometry", self.saveGeometry())
        self._poll.stop()
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        logging.getLogger().removeHandler(self._log)
        self.reporter.update_gui_status(window_active=False, video_running=False)
        super().closeEvent(event)


def _first(*values: float | None) -> float:
    """The first value that is not None (a bound may be inclusive or exclusive)."""
    return next(v for v in values if v is not None)
