"""The studio window: the preview (it keeps its aspect and takes the space), and beside it the
camera, face, background, output and voice panels in a scrolling column, services, alerts and
the log on a second tab. It only draws, emits and starts work on other threads; nothing here
waits on the network. After every reconnect it shows the backend's real state, never a
remembered copy."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from PyQt5.QtCore import QRect, QSettings, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QGuiApplication, QImage, QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QActionGroup,
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shared.places import find_places
from shared.wire.backend import CameraStatus, GovernorStatus
from user_gui.app import guidance, i18n, window_geometry
from user_gui.app.background_panel import BackgroundPanel
from user_gui.app.camera_panel import CameraPanel
from user_gui.app.face.panel import FacePanel
from user_gui.app.files_panel import FilesPanel
from user_gui.app.i18n import tr
from user_gui.app.offline_box import OfflineBox
from user_gui.app.output_panel import OutputPanel
from user_gui.app.persona_bar import PERSONA_KEYS, PersonaBar
from user_gui.app.service_checks import BackendCheck, check_backend, check_monitor
from user_gui.app.services_tab import ServicesTab
from user_gui.app.shortcuts_dialog import ShortcutsDialog
from user_gui.app.voice_panel import VoicePanel
from user_gui.app.widgets import ColumnScroll, PreviewView, guard_wheels
from user_gui.app.workers import MjpegReader, run_async
from user_gui.services.backend_starter import BackendStarter
from user_gui.services.clients import ARBackendClient, MonitorClient
from user_gui.services.reporter import StatusReporter

log = logging.getLogger(__name__)
RUNNING = ("running", "reconnecting", "connecting")  # camera states with a preview to show
STALE_S = 1.5  # no frame for this long: the preview says it is offline
PREVIEW_STEP = 160  # the preview is asked for at its shown width rounded up to this (px)
HOTKEYS = {
    "swap": "F5",
    "voice": "F6",
    "record": "F7",
    "virtual_camera": "F8",
    **{f"persona{i + 1}": key for i, key in enumerate(PERSONA_KEYS)},  # the persona bar's
}


def governor_line(governor: GovernorStatus) -> str:
    """The quality governor's summary in the window's language ("holding 30 fps: enhancer
    paused"), from the levels' keys; the backend's English where a key is new here."""
    parts = [i18n.message(s.says, s.says_key, s.says_args) for s in governor.steps]
    args = {"fps": governor.target_fps, "what": tr(", ").join(parts)}
    return i18n.message(governor.summary, "governor.holding", args)


class MainWindow(QMainWindow):
    backend_state = pyqtSignal(str)  # healthy / offline / unhealthy, for tests and indicators

    def __init__(
        self,
        backend: ARBackendClient,
        monitor: MonitorClient,
        reporter: StatusReporter,
        local_url: str | None,
        poll_interval: float = 2.0,
        starter: BackendStarter | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.monitor = monitor
        self.reporter = reporter
        self.local_url = local_url
        self.settings = QSettings("AR Live Studio", "user_gui")
        # how to start the backend when it is offline (the command, and Start where it can)
        self.backend_starter = starter or BackendStarter(backend.base_url, find_places())
        self.setWindowTitle("AR Live Studio")
        self._reader: MjpegReader | None = None
        self._preview_asked = 0  # the width the running preview was asked for
        self._closed = False  # answers still arriving from the pool then change nothing
        self._frames: list[float] = []
        self._last_image: QImage | None = None
        self._last_frame_at: float | None = None
        self._backend_ok = False
        self._camera_running = False
        self._camera: CameraStatus | None = None
        self.refreshes = 0  # refreshes begun
        self.refresh_shown = 0  # the newest refresh whose backend answer the window shows
        self._build()
        self._build_menu()
        self._poll = QTimer(self)
        self._poll.setInterval(int(poll_interval * 1000))
        self._poll.timeout.connect(self.refresh_services)
        self._poll.start()
        self._watch = QTimer(self)  # the preview's freshness, and the next step shown
        self._watch.setInterval(500)
        self._watch.timeout.connect(self._watch_preview)
        self._watch.start()
        self.refresh_services()
        self.place(self.available_area())
        if window_geometry.was_maximized(self.settings):
            self.setWindowState(Qt.WindowState.WindowMaximized)
        guard_wheels(self)  # the wheel over an unfocused control scrolls, never changes it
        self.reporter.update_gui_status(window_active=True, language=i18n.language())

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(6, 6, 6, 6)
        self.preview = PreviewView()
        self.preview.set_placeholder(tr("no preview: start the camera"))
        self.offline = OfflineBox(self.backend_starter)
        self.preview.float_widget(self.offline)
        self.preview_info = QLabel("")
        self.preview_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # what the quality governor has turned down to hold the rate ("holding 30 fps: ...")
        self.quality_info = QLabel("")
        self.quality_info.setObjectName("qualityInfo")
        self.quality_info.setWordWrap(True)
        self.quality_info.hide()
        lcol.addWidget(self.preview, 1)
        lcol.addWidget(self.preview_info)
        lcol.addWidget(self.quality_info)
        split.addWidget(left)

        self.tabs = QTabWidget()
        column = QWidget()
        panels = QVBoxLayout(column)
        panels.setContentsMargins(4, 4, 4, 4)
        self.camera_panel = CameraPanel(self.backend, self.settings)
        self.camera_panel.started.connect(self._camera_started)
        self.camera_panel.stopped.connect(self._stop_preview)
        panels.addWidget(self.camera_panel)
        self.face_panel = FacePanel(self.backend, self.settings)
        self.face_panel.face_loaded.connect(
            lambda loaded: self.reporter.update_gui_status(face_loaded=loaded)
        )
        panels.addWidget(self.face_panel)
        self.background_panel = BackgroundPanel(self.backend)
        panels.addWidget(self.background_panel)
        self.output_panel = OutputPanel(self.backend)
        self.output_panel.rec_changed.connect(self._show_rec)
        panels.addWidget(self.output_panel)
        self.voice_panel = VoicePanel(self.backend)
        self.voice_panel.running.connect(
            lambda on: self.reporter.update_gui_status(audio_running=on)
        )
        panels.addWidget(self.voice_panel)
        self.persona_bar = PersonaBar(self.backend)  # presets, formant, A/V offset, personas
        panels.addWidget(self.persona_bar)
        panels.addStretch(1)
        scroll = ColumnScroll(column)  # never narrower than its panels: nothing cut
        self.controls = scroll
        self.tabs.addTab(scroll, tr("Studio"))
        self.services_tab = ServicesTab(self.monitor)
        self.services_tab.acknowledged.connect(self.refresh_services)
        self.tabs.addTab(self.services_tab, tr("Services and log"))
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
        self.rec_status = QLabel("")  # the status bar: REC, its time and file, always in view
        self.rec_status.setStyleSheet("color:#e5484d;font-weight:700;")
        status_bar = self.statusBar()
        if status_bar is not None:
            status_bar.addPermanentWidget(self.rec_status)
        self._set_backend_controls(False, tr("checking the backend..."))

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
        for i, action in enumerate(self.persona_bar.hotkeys):  # F1-F4: the personas in order
            studio.addAction(action)
            self.hotkeys[f"persona{i + 1}"] = action
        studio.addSeparator()
        self.models_action = QAction(tr("Models…"), self)
        self.models_action.setToolTip(
            tr("The model files of the neural engines and the enhancer: state, licence, download")
        )
        self.models_action.triggered.connect(self.open_models)
        studio.addAction(self.models_action)
        self.shortcuts_action = QAction(tr("Keyboard shortcuts…"), self)
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)
        language = _menu(help_menu.addMenu(tr("Language")))
        group = QActionGroup(self)
        for code, name in i18n.available().items():
            choice = QAction(name, self)
            choice.setCheckable(True)
            choice.setChecked(code == i18n.language())
            choice.triggered.connect(lambda _on, c=code: self._choose_language(c))
            group.addAction(choice)
            language.addAction(choice)

    def show_shortcuts(self) -> None:
        """Help → Keyboard shortcuts: the hotkeys, a list to read (nothing in it runs)."""
        shown = [(action.text(), HOTKEYS[key]) for key, action in self.hotkeys.items()]
        dialog = ShortcutsDialog(shown, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.shortcuts_dialog: ShortcutsDialog | None = dialog

    def _choose_language(self, code: str) -> None:
        self.settings.setValue("language", code)
        if code != i18n.language():
            log.info("language %s: applies the next time the window opens", code)
            self.camera_panel.say(tr("The language changes the next time the window opens."))

    def open_models(self) -> None:
        """The Models dialog (the face panel's): every model, its licence and its files."""
        self.face_panel.open_models()

    def use_enhancer_for_files(self, model: str, strength: float) -> None:
        """ "Use for file jobs": the Files tab, with the enhancer chosen for new jobs."""
        self.files_panel.set_enhancer(model, strength)
        self.tabs.setCurrentWidget(self.files_panel)

    def _show_rec(self, text: str) -> None:
        """Recording: "● REC 0:12" over the preview and in the status bar with the file's
        name (the Output panel may be scrolled out of view)."""
        self.preview.set_badge(text)
        name = self.output_panel.recording_file
        self.rec_status.setText(f"{text}  {name}" if text and name else text)
        self.rec_status.setToolTip(name)

    def _toggle_swap(self) -> None:
        self.face_panel.toggle_swap()

    def _set_camera_running(self, running: bool) -> None:
        self._camera_running = running
        self.face_panel.set_camera_running(running)

    def _set_backend_controls(self, ok: bool, reason: str = "") -> None:
        self.camera_panel.set_backend_ok(ok, reason)
        self.face_panel.set_backend_ok(ok, reason)
        self.background_panel.set_backend_ok(ok, reason)
        self.output_panel.set_backend_ok(ok, reason)
        self.voice_panel.set_backend_ok(ok, reason)
        self.persona_bar.set_backend_ok(ok, reason)
        self.files_panel.set_backend_ok(ok, reason)

    # ---- services --------------------------------------------------------------------------

    def refresh_services(self) -> None:
        self.refreshes += 1
        serial = self.refreshes
        face_changes = self.face_panel.changes  # a face change made meanwhile wins
        background_changes = self.background_panel.changes  # (and a background change)
        run_async(
            lambda: check_backend(self.backend),
            lambda info: self._on_backend(info, face_changes, serial, background_changes),
        )
        run_async(lambda: check_monitor(self.monitor), self.services_tab.show_monitor)
        if self.local_url:
            self.services_tab.indicate("local", tr("Local server"), "healthy", self.local_url)

    def _on_backend(
        self,
        info: BackendCheck,
        face_changes: int | None = None,
        serial: int = 0,
        background_changes: int | None = None,
    ) -> None:
        if self._closed:  # a refresh begun before the window closed: no preview, no report
            return
        if serial and serial < self.refresh_shown:
            return  # an older check answering late (a slow call): a newer one was shown
        state = info.status
        self.services_tab.indicate("backend", tr("AR backend"), state, info.latency)
        ok = state == "healthy"
        if ok != self._backend_ok or self.refresh_shown == 0:
            if ok != self._backend_ok:
                log.info("AR backend is %s%s", state, f" ({info.last_error})" if not ok else "")
            self._show_offline_help(ok)
        if ok and (not self._backend_ok or not self.face_panel.engines_listed):
            self.face_panel.load_engines()
        self._backend_ok = ok
        self._set_backend_controls(ok, tr("backend {state}", state=tr(state)))
        if ok:
            self.face_panel.show_status(info.face, face_changes, info.face_error)
            self.background_panel.show_status(
                info.background, background_changes, info.background_error
            )
            self.voice_panel.show_status(info.audio, info.audio_error)
            self.persona_bar.show_status(info.audio)
            self.output_panel.show_outputs(info.outputs)
        self._camera = info.camera if ok else None
        running = ok and info.camera is not None and info.camera.state in RUNNING
        if ok:
            self.camera_panel.show_status(info.camera, info.camera_error, running)
            self.camera_panel.show_access(info.camera_access)
        self._show_quality(info.camera.governor if ok and running and info.camera else None)
        if ok:  # a video with sound offers its sound as the microphone
            self.voice_panel.follow_source(info.camera.source if running and info.camera else None)
        if running and self._reader is None:
            self._start_preview()
        elif ok and info.camera is not None and not running and self._reader is not None:
            self._stop_preview()  # stopped elsewhere (the API, another window)
        self._set_camera_running(bool(running))
        self.reporter.update_gui_status(video_running=bool(running))
        self.refresh_shown = max(self.refresh_shown, serial)
        self.backend_state.emit(state)

    def _show_quality(self, governor: GovernorStatus | None) -> None:
        """The governor's line under the preview while it holds the rate by turning something
        down (its reasons in the tooltip); hidden at full quality."""
        if governor is None or not governor.enabled or not governor.steps:
            self.quality_info.hide()
            return
        self.quality_info.setText(governor_line(governor))
        why = [f"{s.says}: {s.why}" for s in governor.history if s.direction == "down"][-3:]
        self.quality_info.setToolTip("\n".join([*why, governor.note]).strip())
        self.quality_info.show()

    def _preview_width(self) -> int:
        """The width to ask the preview for: the preview's on the screen (device pixels),
        rounded up to a step, so the backend encodes no more than is shown."""
        px = self.preview.width() * self.preview.devicePixelRatioF()
        return max(2 * PREVIEW_STEP, math.ceil(px / PREVIEW_STEP) * PREVIEW_STEP)

    def _show_offline_help(self, ok: bool) -> None:
        """Offline: how to start the backend over the preview (and Start where the window
        can start it); gone when it answers."""
        if ok:
            self.offline.backend_back()
        else:
            self.offline.show_offline()
            self.preview.place_floating()

    # ---- camera ----------------------------------------------------------------------------

    def _camera_started(self, status: CameraStatus) -> None:
        """A start asked for in the camera panel was done: the preview follows."""
        if self._closed:
            return
        self._set_camera_running(True)
        self.reporter.update_gui_status(video_running=True)
        self._start_preview()

    def _start_preview(self) -> None:
        # never after closeEvent: nobody would stop that reader, and Qt aborts the process
        # when the window deletes a QThread that still runs
        if self._reader is not None or self._closed:
            return
        self._last_frame_at = time.monotonic()  # the wait for a first frame counts too
        self._preview_asked = self._preview_width()
        self._reader = MjpegReader(self.backend.preview_url(self._preview_asked), self)
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
            f"{image.width()}x{image.height()}  {tr('preview {fps} fps', fps=f'{fps:.1f}')}  "
            f"{tr('frame')} {seq}"
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
        if self._reader is not None and self._preview_width() > self._preview_asked:
            self._stop_preview()  # the preview grew past what it asked for: ask again
            self._start_preview()

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

    # ---- where the window is ----------------------------------------------------------------

    def available_area(self) -> QRect:
        """The available area (the screen less its panels) of the screen the window was last
        on, else of the primary screen."""
        saved = window_geometry.saved_rect(self.settings)
        screen = QGuiApplication.screenAt(saved.center()) if saved is not None else None
        screen = screen or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)

    def place(self, available: QRect) -> None:
        """Inside ``available``, where the person left the window if that still fits, else
        sized to it (window_geometry.py)."""
        saved = window_geometry.saved_rect(self.settings)
        self.setGeometry(window_geometry.opening_rect(available, saved))

    @property
    def last_image(self) -> QImage | None:
        return self._last_image

    # ---- lifecycle -------------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:
        self._closed = True
        window_geometry.save(self.settings, self.normalGeometry(), self.isMaximized())
        self._poll.stop()
        self._watch.stop()
        self.voice_panel.stop_meter()
        self.files_panel.stop()
        self.face_panel.stop()
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        self.services_tab.stop()
        self.reporter.update_gui_status(window_active=False, video_running=False)
        super().closeEvent(event)


def _menu(menu: QMenu | None) -> QMenu:
    assert menu is not None
    return menu
