"""The studio window: the preview (it keeps its aspect and takes the space), and beside it the
camera, face, output and voice panels in a scrolling column, services, alerts and the log on a
second tab. It only draws, emits and starts work on other threads; nothing here waits on the
network. After every reconnect it shows the backend's real state, never a remembered copy."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from PyQt5.QtCore import QObject, QSettings, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QImage, QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QActionGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shared.http import HttpError
from shared.wire.backend import AudioStatus, CameraStatus, FaceStatus, OutputsStatus
from shared.wire.monitor import AlertView
from user_gui.app import guidance, i18n
from user_gui.app.face_panel import FacePanel
from user_gui.app.files_panel import FilesPanel
from user_gui.app.i18n import tr
from user_gui.app.output_panel import OutputPanel
from user_gui.app.voice_panel import VoicePanel
from user_gui.app.widgets import MessageLabel, PreviewView
from user_gui.app.workers import MjpegReader, run_async
from user_gui.services.clients import ARBackendClient, MonitorClient
from user_gui.services.reporter import StatusReporter

log = logging.getLogger(__name__)
RUNNING = ("running", "reconnecting", "connecting")  # camera states with a preview to show
COLOURS = {"healthy": "#2fbf71", "offline": "#e5484d", "unhealthy": "#e8b339", "unknown": "#8a96a3"}
STALE_S = 1.5  # no frame for this long: the preview says it is offline
MEDIA_FILTER = (
    "Video or picture (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.jpg *.jpeg *.png *.bmp *.webp)"
)
HOTKEYS = {"swap": "F5", "voice": "F6", "record": "F7", "virtual_camera": "F8"}


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
    audio: AudioStatus | None = None
    audio_error: str = ""
    outputs: OutputsStatus | None = None


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
        self._last_frame_at: float | None = None
        self._backend_ok = False
        self._camera_running = False
        self._camera: CameraStatus | None = None
        self._backend_message = False  # camera_reason holds the backend's state
        self.refreshes = 0  # refreshes begun
        self.refresh_shown = 0  # the newest refresh whose backend answer the window shows
        self._build()
        self._build_menu()
        self._log = _LogBridge()
        self._log.line.connect(self.log_view.appendPlainText)
        logging.getLogger().addHandler(self._log)
        self._poll = QTimer(self)
        self._poll.setInterval(int(poll_interval * 1000))
        self._poll.timeout.connect(self.refresh_services)
        self._poll.start()
        self._watch = QTimer(self)  # the preview's freshness, and the next step shown
        self._watch.setInterval(500)
        self._watch.timeout.connect(self._watch_preview)
        self._watch.start()
        self.refresh_services()
        geometry = self.settings.value("geometry", b"")
        if not geometry or not self.restoreGeometry(geometry):
            self.resize(1280, 720)
        self.reporter.update_gui_status(window_active=True)

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(6, 6, 6, 6)
        self.preview = PreviewView()
        self.preview.set_placeholder(tr("no preview: start the camera"))
        self.preview_info = QLabel("")
        self.preview_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lcol.addWidget(self.preview, 1)
        lcol.addWidget(self.preview_info)
        split.addWidget(left)

        self.tabs = QTabWidget()
        column = QWidget()
        panels = QVBoxLayout(column)
        panels.setContentsMargins(4, 4, 4, 4)
        panels.addWidget(self._build_camera())
        self.face_panel = FacePanel(self.backend, self.settings)
        self.face_panel.face_loaded.connect(
            lambda loaded: self.reporter.update_gui_status(face_loaded=loaded)
        )
        panels.addWidget(self.face_panel)
        self.output_panel = OutputPanel(self.backend)
        panels.addWidget(self.output_panel)
        self.voice_panel = VoicePanel(self.backend)
        self.voice_panel.running.connect(
            lambda on: self.reporter.update_gui_status(audio_running=on)
        )
        panels.addWidget(self.voice_panel)
        panels.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(360)
        self.controls = scroll
        self.tabs.addTab(scroll, tr("Studio"))
        self.tabs.addTab(self._build_services(), tr("Services and log"))
        self.files_panel = FilesPanel(self.backend)  # whole files swapped in a queue
        self.tabs.addTab(self.files_panel, tr("Files"))
        self.face_panel.enhancer_for_files.connect(self.use_enhancer_for_files)
        self.tabs.setMaximumWidth(540)  # a wide screen goes to the preview, not the controls
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([800, 420])
        self.splitter = split
        self.setCentralWidget(split)
        self._set_backend_controls(False, tr("checking the backend..."))

    def _build_camera(self) -> QGroupBox:
        camera = QGroupBox(tr("Camera"))
        col = QVBoxLayout(camera)
        row = QHBoxLayout()
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLength)
        self.source.setMinimumContentsLength(10)
        self.source.setToolTip(
            tr("A camera, a video or picture file in the media folder, or a URL")
        )
        self._fill_sources([], [])
        self.source.setCurrentText(str(self.settings.value("source", "demo") or "demo"))
        self.open_file = QPushButton(tr("File…"))
        self.open_file.setToolTip(tr("Play a video or picture file as the camera"))
        self.open_file.clicked.connect(self.choose_file)
        row.addWidget(self.source, 1)
        row.addWidget(self.open_file)
        col.addLayout(row)
        row = QHBoxLayout()
        self.start_button = QPushButton(tr("Start"))
        self.stop_button = QPushButton(tr("Stop"))
        self.start_button.clicked.connect(self.start_camera)
        self.stop_button.clicked.connect(self.stop_camera)
        row.addWidget(self.start_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        col.addLayout(row)
        self.camera_reason = MessageLabel()
        col.addWidget(self.camera_reason)
        return camera

    def _build_services(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        services = QGroupBox(tr("Services"))
        scol = QVBoxLayout(services)
        self.indicators: dict[str, QLabel] = {}
        for key, name in (
            ("backend", tr("AR backend")),
            ("monitor", tr("Monitor")),
            ("local", tr("Local server")),
        ):
            label = QLabel(f"{name}: {tr('unknown')}")
            label.setWordWrap(True)
            self.indicators[key] = label
            scol.addWidget(label)
        col.addWidget(services)
        alerts = QGroupBox(tr("Open alerts"))
        acol = QVBoxLayout(alerts)
        self.alerts = QListWidget()
        self.alerts.setWordWrap(True)
        self.ack_button = QPushButton(tr("Acknowledge"))
        self.ack_button.clicked.connect(self.acknowledge_selected)
        acol.addWidget(self.alerts)
        acol.addWidget(self.ack_button)
        col.addWidget(alerts)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(500)
        col.addWidget(self.log_view, 1)
        return page

    def _build_menu(self) -> None:
        bar = self.menuBar()
        assert bar is not None
        studio = _menu(bar.addMenu(tr("&Studio")))
        help_menu = _menu(bar.addMenu(tr("&Help")))
        self.hotkeys: dict[str, QAction] = {}
        for key, text, slot in (
            ("swap", tr("Swap on/off"), self._toggle_swap),
            ("voice", tr("Voice on/off"), self.voice_panel.toggle),
            ("record", tr("Record on/off"), self.output_panel.toggle_recording),
            ("virtual_camera", tr("Virtual camera on/off"), self.output_panel.toggle_vcam),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(HOTKEYS[key]))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(slot)
            studio.addAction(action)
            self.hotkeys[key] = action
        studio.addSeparator()
        self.models_action = QAction(tr("Models…"), self)
        self.models_action.setToolTip(
            tr("The model files of the neural engines and the enhancer: state, licence, download")
        )
        self.models_action.triggered.connect(self.open_models)
        studio.addAction(self.models_action)
        shortcuts = _menu(help_menu.addMenu(tr("Keyboard shortcuts")))
        for key, action in self.hotkeys.items():
            shown = QAction(f"{action.text()}\t{HOTKEYS[key]}", self)
            shown.triggered.connect(action.trigger)
            shortcuts.addAction(shown)
        language = _menu(help_menu.addMenu(tr("Language")))
        group = QActionGroup(self)
        for code, name in i18n.available().items():
            choice = QAction(name, self)
            choice.setCheckable(True)
            choice.setChecked(code == i18n.language())
            choice.triggered.connect(lambda _on, c=code: self._choose_language(c))
            group.addAction(choice)
            language.addAction(choice)

    def _choose_language(self, code: str) -> None:
        self.settings.setValue("language", code)
        if code != i18n.language():
            log.info("language %s: applies the next time the window opens", code)
            self.camera_reason.show_message(
                tr("The language changes the next time the window opens.")
            )

    def open_models(self) -> None:
        """The Models dialog (the face panel's): every model, its licence and its files."""
        self.face_panel.open_models()

    def use_enhancer_for_files(self, model: str, strength: float) -> None:
        """ "Use for file jobs": the Files tab, with the enhancer chosen for new jobs."""
        self.files_panel.set_enhancer(model, strength)
        self.tabs.setCurrentWidget(self.files_panel)

    def _toggle_swap(self) -> None:
        self.face_panel.toggle_swap()

    def _set_camera_running(self, running: bool) -> None:
        self._camera_running = running
        self.face_panel.set_camera_running(running)

    def _set_backend_controls(self, ok: bool, reason: str = "") -> None:
        for w in (self.start_button, self.stop_button, self.source, self.open_file):
            w.setEnabled(ok)
        if not ok:
            self.camera_reason.show_message(reason, error=True)
            self._backend_message = True
        elif self._backend_message:  # the backend is back: its "offline" goes
            self.camera_reason.show_message("")
            self._backend_message = False
        self.face_panel.set_backend_ok(ok, reason)
        self.output_panel.set_backend_ok(ok, reason)
        self.voice_panel.set_backend_ok(ok, reason)
        self.files_panel.set_backend_ok(ok, reason)

    # ---- services --------------------------------------------------------------------------

    def refresh_services(self) -> None:
        self.refreshes += 1
        serial = self.refreshes
        face_changes = self.face_panel.changes  # a face change made meanwhile wins
        run_async(self._check_backend, lambda info: self._on_backend(info, face_changes, serial))
        run_async(self._check_monitor, self._on_monitor)
        if self.local_url:
            self._indicate("local", tr("Local server"), "healthy", self.local_url)

    def _indicate(self, key: str, name: str, state: str, extra: str = "") -> None:
        colour = COLOURS.get(state, COLOURS["unknown"])
        self.indicators[key].setText(
            f"<span style='color:{colour}'>●</span> {name}: {tr(state)} {extra}"
        )

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
            try:
                info.audio = self.backend.audio_status()
            except HttpError as exc:
                info.audio_error = str(exc)
            try:
                info.outputs = self.backend.outputs()
            except HttpError as exc:
                log.debug("outputs not read: %s", exc)
        return info

    def _on_backend(
        self, info: BackendCheck, face_changes: int | None = None, serial: int = 0
    ) -> None:
        if self._closed:  # a refresh begun before the window closed: no preview, no report
            return
        state = info.status
        self._indicate("backend", tr("AR backend"), state, info.latency)
        ok = state == "healthy"
        if ok != self._backend_ok:
            log.info("AR backend is %s%s", state, f" ({info.last_error})" if not ok else "")
        if ok and not self._backend_ok:
            self._load_sources()
        if ok and (not self._backend_ok or not self.face_panel.engine.count()):
            self.face_panel.load_engines()
        self._backend_ok = ok
        self._set_backend_controls(ok, tr("backend {state}", state=tr(state)))
        if ok:
            self.face_panel.show_status(info.face, face_changes, info.face_error)
            self.voice_panel.show_status(info.audio, info.audio_error)
            self.output_panel.show_outputs(info.outputs)
        if info.camera_error:  # shown until a refresh reads it again
            self.camera_reason.show_message(
                tr("camera status unavailable: {error}", error=info.camera_error), error=True
            )
        self._camera = info.camera if ok else None
        running = ok and info.camera is not None and info.camera.state in RUNNING
        if ok and info.camera is not None and info.camera.error and not running:
            self.camera_reason.show_message(info.camera.error, error=True)
        if running and self._reader is None:
            self._start_preview()
        elif ok and not running and self._reader is not None:
            self._stop_preview()  # stopped elsewhere (the API, another window)
        self._set_camera_running(bool(running))
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
        self._indicate("monitor", tr("Monitor"), info.status, info.latency)
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
            self.alerts.addItem(
                QListWidgetItem(tr("alerts unavailable: {error}", error=info.alerts_error))
            )

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

    # ---- camera sources --------------------------------------------------------------------

    def _fill_sources(self, cameras: list[Any], files: list[Any]) -> None:
        """demo, auto, the cameras by name, the media folder's files (the typed text stays)."""
        typed = self.source.currentText()
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem(tr("demo (built-in test picture)"), "demo")
        self.source.addItem(tr("auto (the first camera that opens)"), "auto")
        for cam in cameras:
            info = cam if isinstance(cam, dict) else cam.model_dump()
            if info.get("virtual"):
                continue  # our own output: not an input
            name = info.get("name") or f"Camera {info.get('index')}"
            self.source.addItem(f"{name} (#{info.get('index')})", str(info.get("index")))
        for f in files:
            info = f if isinstance(f, dict) else f.model_dump()
            self.source.addItem(str(info.get("name")), str(info.get("source") or info.get("name")))
        self.source.blockSignals(False)
        self.source.setCurrentText(typed)

    def _load_sources(self) -> None:
        def work() -> tuple[list[Any], list[Any]]:
            cameras: list[Any] = []
            files: list[Any] = []
            try:
                cameras = list(self.backend.camera_devices_named())
            except HttpError as exc:
                log.info("cameras not listed: %s", exc)
            try:
                files = list(self.backend.media_files().files)
            except HttpError as exc:
                log.info("media files not listed: %s", exc)
            return cameras, files

        run_async(work, lambda found: self._fill_sources(*found))

    def selected_source(self) -> str | None:
        """What to send as the camera source: an item's value, or the text as typed."""
        text = self.source.currentText().strip()
        index = self.source.findText(text)
        if index >= 0 and self.source.itemData(index) is not None:
            return str(self.source.itemData(index))
        return text or None

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Play a file as the camera"), "", tr(MEDIA_FILTER)
        )
        if not path:
            return
        self.camera_reason.show_message(tr("Uploading {name}…", name=path))

        def done(answer: Any) -> None:
            source = getattr(answer, "source", None) or getattr(answer, "name", "")
            if self.source.findData(source) < 0:
                self.source.addItem(str(getattr(answer, "name", source)), source)
            self.source.setCurrentIndex(self.source.findData(source))
            self.camera_reason.show_message("")
            self.start_camera()

        def failed(msg: str) -> None:
            self.camera_reason.show_message(tr("File not used: {error}", error=msg), error=True)

        run_async(lambda: self.backend.upload_media(path), done, failed)

    # ---- camera ----------------------------------------------------------------------------

    def start_camera(self) -> None:
        source = self.selected_source()
        self.start_button.setEnabled(False)
        self.camera_reason.show_message("")
        run_async(
            lambda: self.backend.start_camera(source=source),
            lambda status: self._on_started(status, source),
            self._on_start_failed,
        )

    def _on_start_failed(self, msg: str) -> None:
        log.warning("camera did not start: %s", msg)
        self.camera_reason.show_message(tr("Camera did not start: {error}", error=msg), error=True)
        self.start_button.setEnabled(self._backend_ok)

    def _on_started(self, status: CameraStatus, source: str | None = None) -> None:
        log.info("camera %s: %s", status.state, status.source)
        if self._closed:
            return
        self.settings.setValue("source", self.source.currentText().strip())  # it was accepted
        self.start_button.setEnabled(True)
        self._set_camera_running(True)
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
        self._last_frame_at = time.monotonic()  # the wait for a first frame counts too
        self._reader = MjpegReader(self.backend.video_feed_url, self)
        self._reader.frame.connect(self._on_frame)
        self._reader.start()

    def _stop_preview(self) -> None:
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        self._set_camera_running(False)
        self._last_frame_at = None
        self._last_image = None
        self._frames = []
        self.preview.set_image(None)
        self.preview.set_overlay("")
        self.preview_info.setText("")
        self.reporter.update_gui_status(video_running=False)

    def _on_frame(self, image: QImage, seq: int) -> None:
        self._last_image = image
        now = time.monotonic()
        self._last_frame_at = now
        self._frames = [t for t in self._frames if now - t < 2.0] + [now]
        fps = (
            (len(self._frames) - 1) / max(now - self._frames[0], 1e-6)
            if len(self._frames) > 1
            else 0
        )
        self.preview.set_image(image)
        self.preview.set_overlay("")
        self.preview_info.setText(
            f"{image.width()}x{image.height()}  {fps:.1f} fps  {tr('frame')} {seq}"
        )

    def _watch_preview(self) -> None:
        """Every half second: a preview with no new frame says so (and fps shows —); the
        next step for a new user is shown along the preview's bottom."""
        if self._closed:
            return
        stale = None
        if self._last_frame_at is not None and self._reader is not None:
            stale = time.monotonic() - self._last_frame_at
        if not self._backend_ok and self.preview.has_image():
            stale = stale if stale is not None else STALE_S
        if stale is not None and stale >= STALE_S:
            why = tr("backend offline") if not self._backend_ok else tr("no new frame")
            self.preview.set_overlay(
                tr("Offline — {why}, last frame {seconds} s ago", why=why, seconds=int(stale)),
                dimmed=True,
            )
            size = ""
            if self._last_image is not None:
                size = f"{self._last_image.width()}x{self._last_image.height()}  "
            self.preview_info.setText(f"{size}— fps  ({tr('offline')})")
        self.preview.set_hint(self.next_step_hint())

    def next_step(self) -> str:
        """Where a new user is: camera, face, swap, output (guidance.py); "" once the
        picture goes out (the virtual camera or a recording is on)."""
        step = self.face_panel.next_step()
        out = self.output_panel
        if step == "output" and (out.vcam.isChecked() or out.record.isChecked()):
            return ""
        return step

    def next_step_hint(self) -> str:
        """The line along the preview's bottom, until a face is loaded and swapped."""
        if not self._backend_ok:
            return ""
        step = self.next_step()
        if step in ("", "output"):
            return ""  # the studio is in use: the output panel is in plain view
        number = guidance.STEPS.index(step) + 1
        return f"{number}/4  {guidance.step_hint(step)}"

    @property
    def last_image(self) -> QImage | None:
        return self._last_image

    # ---- lifecycle -------------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:
        self._closed = True
        self.settings.setValue("geometry", self.saveGeometry())
        self._poll.stop()
        self._watch.stop()
        self.voice_panel.stop_meter()
        self.files_panel.stop()
        self.face_panel.stop()
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        logging.getLogger().removeHandler(self._log)
        self.reporter.update_gui_status(window_active=False, video_running=False)
        super().closeEvent(event)


def _menu(menu: QMenu | None) -> QMenu:
    assert menu is not None
    return menu
