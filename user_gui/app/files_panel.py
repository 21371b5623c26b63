"""The Files tab (issue 15): whole videos and pictures swapped on the backend, in a queue.

Files come in through "Add files…" (a file dialog) or dropped onto the tab; each becomes a job
(``POST /jobs``, the file uploaded) with the face chosen here: the face the studio has loaded
(the default) or a picture chosen for these jobs, and the options (many faces, mouth mask, the
face enhancer and its strength: off by default; the face panel's "Use for file jobs" sets it).
The queue shows each job: its file, its state, a progress bar (frames done of the total, fps,
time left, share of frames swapped), and the buttons that fit its state: cancel, retry,
remove, open the output's folder, open the output.

The list is the backend's (``GET /jobs``), read on the pool about once a second while a job is
queued or running and every few seconds otherwise; nothing here waits on the network. When a
job ends the panel says so: a line in the tab and in the log ("clip.mp4: done in 12 s",
"clip.mp4 failed: <reason>"), and a system tray message where the desktop has a tray.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QStandardPaths, Qt, QUrl, pyqtSignal
from PyQt5.QtGui import QDesktopServices, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PyQt5.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import JobListOut, JobOut
from user_gui.app.i18n import tr
from user_gui.app.models_dialog import ENHANCERS, enhancer_name
from user_gui.app.output_panel import clock
from user_gui.app.widgets import MessageLabel
from user_gui.app.workers import ListPoller, run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled", "interrupted")
RETRYABLE = ("failed", "cancelled", "interrupted")
FAST_MS = 1000  # while a job is queued or running
SLOW_MS = 5000  # otherwise
STATE_COLOURS = {
    "queued": "#8a96a3",
    "running": "#2f81f7",
    "done": "#2fbf71",
    "failed": "#e5484d",
    "cancelled": "#e8b339",
    "interrupted": "#e8b339",
}


def _patterns(suffixes: tuple[str, ...]) -> str:
    return " ".join(f"*{s}" for s in suffixes)


def is_media(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES


def epoch(value: Any) -> float | None:
    """A job's time (epoch seconds, or ISO 8601 text) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def took(job: JobOut) -> float | None:
    """How long the job ran (started to finished), in seconds."""
    start, end = epoch(job.started_at), epoch(job.finished_at)
    if start is None or end is None:
        return None
    return max(0.0, end - start)


def ended_line(job: JobOut) -> str:
    """What the person reads when a job ends: "clip.mp4: done in 12 s" and the like."""
    name = job.input
    if job.state == "done":
        seconds = took(job)
        if seconds is None:
            return tr("{name}: done", name=name)
        if seconds >= 100:
            minutes, rest = divmod(round(seconds), 60)
            return tr(
                "{name}: done in {minutes} min {seconds} s",
                name=name,
                minutes=minutes,
                seconds=rest,
            )
        return tr("{name}: done in {seconds} s", name=name, seconds=round(seconds))
    if job.state == "failed":
        return tr("{name} failed: {reason}", name=name, reason=job.error or tr("no reason given"))
    if job.state == "interrupted":
        return tr("{name}: interrupted", name=name)
    return tr("{name}: cancelled", name=name)


def state_text(state: str) -> str:
    return {
        "queued": tr("queued"),
        "running": tr("running"),
        "done": tr("done"),
        "failed": tr("failed"),
        "cancelled": tr("cancelled"),
        "interrupted": tr("interrupted"),
    }.get(state, state)


def percent(job: JobOut) -> int | None:
    """The job's progress in percent; None while running with no known total."""
    if job.state == "done":
        return 100
    p = job.progress
    if p is None or not p.frames_total:
        return None if job.state == "running" else 0
    return max(0, min(100, int(100 * p.frames_done / p.frames_total)))


def progress_text(job: JobOut) -> str:
    """The bar's text: percent and frames done of the total ("25% · 60/240 frames")."""
    p = job.progress
    if job.state == "queued" and (p is None or not p.frames_done):
        return tr("waiting")
    parts: list[str] = []
    pct = percent(job)
    if pct is not None:
        parts.append(f"{pct}%")
    if p is not None and p.frames_total:
        parts.append(tr("{done}/{total} frames", done=p.frames_done, total=p.frames_total))
    elif p is not None:
        parts.append(tr("{done} frames", done=p.frames_done))
    return " · ".join(parts)


def progress_details(job: JobOut) -> str:
    """The line under the bar: while running fps, time left and the share of frames
    swapped; once done the output's name, the time it took and that share."""
    p = job.progress
    parts: list[str] = []
    if job.state == "done":
        where = job.output or (Path(job.output_path).name if job.output_path else "")
        if where:
            parts.append(tr("→ {file}", file=where))
        seconds = took(job)
        if seconds is not None:
            parts.append(tr("{seconds} s", seconds=round(seconds)))
    elif job.state == "running" and p is not None:
        if p.fps:
            parts.append(f"{p.fps:.1f} fps")
        if p.eta_s is not None:
            parts.append(tr("{time} left", time=clock(p.eta_s)))
    if job.state in ("running", "done") and p is not None and p.swapped_share is not None:
        parts.append(tr("{share}% of frames swapped", share=round(100 * p.swapped_share)))
    return " · ".join(parts)


def _wrapping(label: QLabel) -> QLabel:
    """A label that wraps its plain text to the width it is given and asks for none."""
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    return label


class JobRow(QFrame):
    """One job in the queue: its file and state, the progress bar, its error, its buttons."""

    def __init__(self, panel: FilesPanel, job: JobOut) -> None:
        super().__init__()
        self.panel = panel
        self.job = job
        self.setFrameShape(QFrame.Shape.StyledPanel)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 6, 8, 6)
        col.setSpacing(4)
        top = QHBoxLayout()
        self.name = _wrapping(QLabel(job.input))
        self.name.setStyleSheet("font-weight:600;")
        self.state = QLabel("")
        top.addWidget(self.name, 1)
        top.addWidget(self.state)
        col.addLayout(top)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(True)
        col.addWidget(self.bar)
        self.detail = MessageLabel()
        col.addWidget(self.detail)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.cancel = QPushButton(tr("Cancel"))
        self.retry = QPushButton(tr("Retry"))
        self.remove = QPushButton(tr("Remove"))
        self.remove.setToolTip(tr("Take the job off the list (its output file stays)"))
        self.open_folder = QPushButton(tr("Open folder"))
        self.open_folder.setToolTip(tr("Show the output file's folder"))
        self.open_file = QPushButton(tr("Open file"))
        self.open_file.setToolTip(tr("Open the output with the system's player or viewer"))
        self.cancel.clicked.connect(lambda: panel.cancel(self.job.id))
        self.retry.clicked.connect(lambda: panel.retry(self.job.id))
        self.remove.clicked.connect(lambda: panel.remove(self.job.id))
        self.open_folder.clicked.connect(lambda: panel.open_output(self.job.id, folder=True))
        self.open_file.clicked.connect(lambda: panel.open_output(self.job.id, folder=False))
        self.buttons = (self.cancel, self.retry, self.remove, self.open_folder, self.open_file)
        for b in self.buttons:
            row.addWidget(b)
        row.addStretch(1)
        col.addLayout(row)
        self.show_job(job)

    def show_job(self, job: JobOut) -> None:
        self.job = job
        self.name.setText(job.input)
        colour = STATE_COLOURS.get(job.state, "#8a96a3")
        self.state.setText(state_text(job.state))
        self.state.setStyleSheet(f"color:{colour};font-weight:600;")
        pct = percent(job)
        if pct is None:
            self.bar.setRange(0, 0)  # running, total unknown: a busy bar
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(pct)
        self.bar.setFormat(progress_text(job))
        if job.state == "failed" and job.error:
            self.detail.show_message(job.error, error=True)
        else:
            self.detail.show_message(progress_details(job))
        self.cancel.setVisible(job.state in ACTIVE)
        self.retry.setVisible(job.state in RETRYABLE)
        self.remove.setVisible(job.state not in ACTIVE)
        self.open_folder.setVisible(job.state == "done")
        self.open_file.setVisible(job.state == "done")

    def set_busy(self, busy: bool) -> None:
        for b in self.buttons:
            b.setEnabled(not busy)


class FilesPanel(QWidget):
    """The Files tab. ``add_files(paths)`` queues jobs; ``refresh()`` reads the list now;
    ``set_backend_ok`` follows the window's health check; ``stop()`` ends its timer."""

    job_ended = pyqtSignal(str, str)  # the job's id, the line shown ("clip.mp4: done in 12 s")
    jobs_shown = pyqtSignal()  # a list from the backend is on screen

    def __init__(self, backend: ARBackendClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.jobs: list[JobOut] = []
        self.counts: dict[str, int] = {}
        self.rows: dict[str, JobRow] = {}
        self.face_picture: str | None = None  # a local picture for these jobs
        self.tray: QSystemTrayIcon | None = None
        self.last_notice = ""  # "clip.mp4: done in 12 s": the last job that ended
        self._notice_error = False
        self._backend_ok = False
        self._states: dict[str, str] = {}  # each job's state as last seen
        self._listed = False  # a first list has been read: a job new to it is news
        self._adding = 0
        self.setAcceptDrops(True)
        self._build()
        self._poller = ListPoller(self.backend.jobs, self._interval, self)
        self._poller.listed.connect(self._on_jobs)
        self._poller.failed.connect(self._on_jobs_failed)

    # ---- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        self.add_button = QPushButton(tr("Add files…"))
        self.add_button.setToolTip(tr("Swap the face in whole videos or pictures"))
        self.add_button.clicked.connect(self.choose_files)
        hint = _wrapping(QLabel(tr("or drop video and picture files here")))
        hint.setStyleSheet("color:#8a96a3;")
        row.addWidget(self.add_button)
        row.addWidget(hint, 1)
        col.addLayout(row)

        face = QGroupBox(tr("Face for these jobs"))
        fcol = QVBoxLayout(face)
        self.use_loaded = QRadioButton(tr("The loaded face"))
        self.use_loaded.setToolTip(tr("The face the studio has loaded when the job is added"))
        self.use_picture = QRadioButton(tr("A picture:"))
        self.use_loaded.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.use_loaded)
        group.addButton(self.use_picture)
        self.use_picture.toggled.connect(self._picture_toggled)
        fcol.addWidget(self.use_loaded)
        prow = QHBoxLayout()
        self.choose_picture = QPushButton(tr("Choose picture…"))
        self.choose_picture.clicked.connect(self.pick_face_picture)
        self.picture_name = _wrapping(QLabel(tr("none chosen")))
        prow.addWidget(self.use_picture)
        prow.addWidget(self.choose_picture)
        prow.addWidget(self.picture_name, 1)
        fcol.addLayout(prow)
        irow = QHBoxLayout()
        self.face_number = QSpinBox()
        self.face_number.setRange(0, 99)
        self.face_number.setSpecialValueText(tr("the only one"))
        self.face_number.setToolTip(tr("Which face of a group picture, counted from the left"))
        irow.addWidget(QLabel(tr("Face in the picture")))
        irow.addWidget(self.face_number)
        irow.addStretch(1)
        fcol.addLayout(irow)
        orow = QHBoxLayout()
        self.many_faces = QCheckBox(tr("Many faces"))
        self.many_faces.setToolTip(tr("Swap every face in the picture; else the largest only"))
        self.mouth_mask = QCheckBox(tr("Mouth mask"))
        self.mouth_mask.setToolTip(tr("Keep your own mouth so speech stays real"))
        orow.addWidget(self.many_faces)
        orow.addWidget(self.mouth_mask)
        orow.addStretch(1)
        fcol.addLayout(orow)
        erow = QHBoxLayout()
        self.enhancer = QComboBox()
        for model in ENHANCERS:
            self.enhancer.addItem(enhancer_name(model), model)
        self.enhancer.setToolTip(
            tr("Restore detail in the swapped faces (slower; its model file must be downloaded)")
        )
        self.enhancer.currentIndexChanged.connect(self._enhancer_changed)
        self.enhancer_strength = QSpinBox()  # percent, as the face panel's slider
        self.enhancer_strength.setRange(0, 100)
        self.enhancer_strength.setSingleStep(5)
        self.enhancer_strength.setSuffix("%")
        self.enhancer_strength.setValue(80)
        self.enhancer_strength.setToolTip(tr("How much of the enhanced face is kept"))
        erow.addWidget(QLabel(tr("Enhancer")))
        erow.addWidget(self.enhancer, 1)
        erow.addWidget(QLabel(tr("Strength")))
        erow.addWidget(self.enhancer_strength)
        fcol.addLayout(erow)
        self._enhancer_changed()
        col.addWidget(face)
        self._picture_toggled(False)

        self.message = MessageLabel()
        col.addWidget(self.message)
        self.notice = MessageLabel()
        col.addWidget(self.notice)
        self.summary = QLabel("")
        self.summary.setStyleSheet("color:#8a96a3;")
        col.addWidget(self.summary)

        self.list_box = QWidget()
        self.list_layout = QVBoxLayout(self.list_box)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(6)
        self.empty = _wrapping(QLabel(tr("No jobs yet: add or drop video and picture files.")))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color:#8a96a3;padding:24px;")
        self.list_layout.addWidget(self.empty)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self.list_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.job_scroll = scroll
        col.addWidget(scroll, 1)

    def _enhancer_changed(self, _index: int = 0) -> None:
        self.enhancer_strength.setEnabled(self.enhancer.currentData() != "off")

    def set_enhancer(self, model: str, strength: float | None = None) -> None:
        """Jobs added from now on run this enhancer ("off": none), at ``strength``."""
        index = self.enhancer.findData(model)
        if index < 0:
            self.enhancer.addItem(enhancer_name(model), model)
            index = self.enhancer.count() - 1
        self.enhancer.setCurrentIndex(index)
        if strength is not None:
            self.enhancer_strength.setValue(round(100 * strength))

    def _picture_toggled(self, on: bool) -> None:
        self.face_number.setEnabled(on)
        if on and not self.face_picture:
            self.pick_face_picture()

    @property
    def listed(self) -> bool:
        """A list from the backend has been shown."""
        return self._listed

    @property
    def stopped(self) -> bool:
        return self._poller.stopped

    # ---- the backend's state ---------------------------------------------------------------

    def set_backend_ok(self, ok: bool, reason: str = "") -> None:
        was = self._backend_ok
        self._backend_ok = ok
        self.add_button.setEnabled(ok)
        if not ok:
            self.message.show_message(reason, error=True)
        elif not was:
            self.message.show_message("")
            self.refresh()  # back: the real list at once

    def refresh(self) -> None:
        """Read the job list on the pool (one read at a time); the next read is planned when
        its answer is in: soon while a job is queued or running, later otherwise."""
        self._poller.refresh()

    def _interval(self) -> int:
        busy = any(j.state in ACTIVE for j in self.jobs) or self._adding > 0
        return FAST_MS if busy else SLOW_MS

    def _on_jobs_failed(self, msg: str) -> None:
        log.debug("jobs not read: %s", msg)
        if self._backend_ok:
            self.message.show_message(tr("The job list is unavailable: {error}", error=msg), True)

    def _on_jobs(self, answer: JobListOut) -> None:
        if self.message.full_text.startswith(tr("The job list is unavailable: {error}", error="")):
            self.message.show_message("")
        self.show_jobs(answer.jobs, answer.counts.model_dump())

    def show_jobs(self, jobs: list[JobOut], counts: dict[str, int] | None = None) -> None:
        """The backend's list, newest first: rows made, updated, reordered and dropped; a job
        that ended since the last list is announced."""
        for job in jobs:
            before = self._states.get(job.id)
            if job.state in ENDED and (before in ACTIVE or (before is None and self._listed)):
                self._announce(job)
            self._states[job.id] = job.state
        ids = {j.id for j in jobs}
        for gone in [k for k in self._states if k not in ids]:
            del self._states[gone]
        self._listed = True
        self.jobs = list(jobs)
        self.counts = dict(counts or {})
        for job_id in [k for k in self.rows if k not in ids]:
            old = self.rows.pop(job_id)
            self.list_layout.removeWidget(old)
            old.deleteLater()
        for i, job in enumerate(jobs):
            row = self.rows.get(job.id)
            if row is None:
                row = self.rows[job.id] = JobRow(self, job)
            else:
                row.show_job(job)
            if self.list_layout.indexOf(row) != i:
                self.list_layout.insertWidget(i, row)
        self.empty.setVisible(not jobs)
        self._show_summary()
        self.jobs_shown.emit()

    def _show_job(self, job: JobOut) -> None:
        """One job's own answer (added, cancelled, retried) shown before the next list."""
        self._poller.changed()
        others = [j for j in self.jobs if j.id != job.id]
        known = job.id in {j.id for j in self.jobs}
        jobs = [job if j.id == job.id else j for j in self.jobs] if known else [job, *others]
        self.show_jobs(jobs, self.counts)

    def _show_summary(self) -> None:
        """How many jobs are in each state: the backend's counts (the list may be cut)."""
        states = [j.state for j in self.jobs]
        order = ("running", "queued", "done", "failed", "cancelled", "interrupted")
        counts = {s: self.counts.get(s, states.count(s)) for s in order}
        parts = [f"{counts[s]} {state_text(s)}" for s in order if counts[s]]
        self.summary.setText(" · ".join(parts))

    def _show_notice(self) -> None:
        """The last job that ended, in the line above the list (it stays until the next)."""
        self.notice.show_message(self.last_notice, error=self._notice_error)

    def _announce(self, job: JobOut) -> None:
        line = ended_line(job)
        self.last_notice, self._notice_error = line, job.state == "failed"
        self._show_notice()
        if job.state == "failed":
            log.warning("%s", line)
        else:
            log.info("%s", line)
        self._tray_message(line, job.state == "done")
        self.job_ended.emit(job.id, line)

    def _tray_message(self, line: str, good: bool) -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            icon = QApplication.windowIcon()
            if icon.isNull():
                style = self.style()
                if style is not None:
                    icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("AR Live Studio")
        self.tray.show()
        kind = (
            QSystemTrayIcon.MessageIcon.Information if good else QSystemTrayIcon.MessageIcon.Warning
        )
        self.tray.showMessage("AR Live Studio", line, kind, 6000)

    # ---- adding files ----------------------------------------------------------------------

    def choose_files(self) -> None:
        media = tr(
            "Videos and pictures ({patterns})", patterns=_patterns(VIDEO_SUFFIXES + IMAGE_SUFFIXES)
        )
        videos = tr("Videos ({patterns})", patterns=_patterns(VIDEO_SUFFIXES))
        pictures = tr("Pictures ({patterns})", patterns=_patterns(IMAGE_SUFFIXES))
        paths, _ = QFileDialog.getOpenFileNames(
            self, tr("Add videos or pictures"), "", f"{media};;{videos};;{pictures}"
        )
        if paths:
            self.add_files(paths)

    def pick_face_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            tr("The face for these jobs"),
            "",
            tr("Pictures ({patterns})", patterns=_patterns(IMAGE_SUFFIXES)),
        )
        if path:
            self.set_face_picture(path)
        elif not self.face_picture:
            self.use_loaded.setChecked(True)

    def set_face_picture(self, path: str | None) -> None:
        """Jobs added from now on wear the face in this picture (None: the loaded face)."""
        self.face_picture = path or None
        self.picture_name.setText(Path(path).name if path else tr("none chosen"))
        self.picture_name.setToolTip(path or "")
        (self.use_picture if path else self.use_loaded).setChecked(True)

    def job_settings(self) -> dict[str, Any]:
        """What a job added now is sent with: face, face_index, engine, options."""
        picture = self.face_picture if self.use_picture.isChecked() else None
        number = self.face_number.value()
        return {
            "face": Path(picture) if picture else "loaded",
            "face_index": number - 1 if picture and number > 0 else None,
            "engine": None,  # the live swap's engine
            "options": self.job_options(),
        }

    def job_options(self) -> dict[str, Any]:
        """The face options a job added now runs with."""
        enhancer = str(self.enhancer.currentData() or "off")
        options: dict[str, Any] = {
            "many_faces": self.many_faces.isChecked(),
            "mouth_mask": self.mouth_mask.isChecked(),
            "enhancer": enhancer,
        }
        if enhancer != "off":
            options["enhancer_strength"] = self.enhancer_strength.value() / 100
        return options

    def add_files(self, paths: list[str]) -> None:
        """Queue one job per file (uploaded on the pool); other files are named and left."""
        refused = [p for p in paths if not is_media(p)]
        if refused:
            names = ", ".join(Path(p).name for p in refused)
            self.message.show_message(tr("Not a video or picture: {names}", names=names), True)
        elif paths:
            self.message.show_message("")
        settings = self.job_settings()
        for path in paths:
            if is_media(path):
                self._add(Path(path), settings)

    def _add(self, path: Path, settings: dict[str, Any]) -> None:
        self._adding += 1
        self.notice.show_message(tr("Adding {name}…", name=path.name))

        def done(job: JobOut) -> None:
            self._adding -= 1
            if self.stopped:
                return
            log.info("job %s added: %s", job.id, job.input)
            if self.notice.full_text == tr("Adding {name}…", name=path.name):
                self._show_notice()
            self._show_job(job)
            self.refresh()

        def failed(msg: str) -> None:
            self._adding -= 1
            if self.stopped:
                return
            log.warning("%s not added: %s", path.name, msg)
            if self.notice.full_text == tr("Adding {name}…", name=path.name):
                self._show_notice()
            self.message.show_message(
                tr("{name} not added: {error}", name=path.name, error=msg), True
            )

        run_async(lambda: self.backend.create_job(path, **settings), done, failed)

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:
        if event is not None and self._local_files(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent | None) -> None:
        if event is not None and self._local_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:
        if event is None:
            return
        paths = self._local_files(event)
        if not paths:
            return
        event.acceptProposedAction()
        if not self._backend_ok:
            self.message.show_message(tr("The backend is not reachable: nothing added"), True)
            return
        self.add_files(paths)

    @staticmethod
    def _local_files(event: QDropEvent) -> list[str]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]

    # ---- each job's buttons ----------------------------------------------------------------

    def _job_call(
        self,
        job_id: str,
        fn: Callable[[], Any],
        what: str,
        after: Callable[[Any], None] | None = None,
    ) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.set_busy(True)
        self.message.show_message("")

        def finish() -> None:
            r = self.rows.get(job_id)
            if r is not None:
                r.set_busy(False)

        def done(answer: Any) -> None:
            if self.stopped:
                return
            finish()
            if isinstance(answer, JobOut):
                self._show_job(answer)
            if after is not None:
                after(answer)
            self.refresh()

        def failed(msg: str) -> None:
            if self.stopped:
                return
            finish()
            log.warning("%s: %s", what, msg)
            self.message.show_message(f"{what}: {msg}", error=True)
            self.refresh()

        run_async(fn, done, failed)

    def _name(self, job_id: str) -> str:
        row = self.rows.get(job_id)
        return row.job.input if row is not None else job_id

    def cancel(self, job_id: str) -> None:
        name = self._name(job_id)
        what = tr("{name} not cancelled", name=name)
        self._job_call(job_id, lambda: self.backend.cancel_job(job_id), what)

    def retry(self, job_id: str) -> None:
        what = tr("{name} not retried", name=self._name(job_id))
        self._job_call(job_id, lambda: self.backend.retry_job(job_id), what)

    def remove(self, job_id: str) -> None:
        """Take the job off the list; its output file stays."""
        what = tr("{name} not removed", name=self._name(job_id))

        def work() -> None:
            self.backend.delete_job(job_id, output=False)

        def gone(_none: Any) -> None:
            self._poller.changed()
            self.show_jobs([j for j in self.jobs if j.id != job_id], self.counts)

        self._job_call(job_id, work, what, after=gone)

    def open_output(self, job_id: str, folder: bool = False) -> None:
        """Open a done job's output (or its folder) with the desktop's own program. A backend
        on another machine: the file is downloaded into the Videos folder first."""
        row = self.rows.get(job_id)
        if row is None or row.job.state != "done":
            return
        job = row.job
        path = Path(job.output_path) if job.output_path else None
        if path is not None and path.is_file():
            self._open(path, folder)
            return
        name = job.output or (path.name if path else f"{job_id}.mp4")
        dest = local_outputs_folder() / name

        def work() -> Path:
            dest.parent.mkdir(parents=True, exist_ok=True)
            return self.backend.download_job_output(job_id, dest)

        self.notice.show_message(tr("Downloading {name}…", name=name))

        def done(saved: Path) -> None:
            self._show_notice()
            log.info("%s saved at %s", name, saved)
            self._open(saved, folder)

        def failed(msg: str) -> None:
            self._show_notice()
            self.message.show_message(tr("{name} not downloaded: {error}", name=name, error=msg))

        run_async(work, done, failed)

    @staticmethod
    def _open(path: Path, folder: bool) -> None:
        target = path.parent if folder else path
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            log.info("nothing opened %s", target)

    # ---- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """The window closes: no more reads, answers still on their way change nothing."""
        self._poller.stop()
        if self.tray is not None:
            self.tray.hide()


def local_outputs_folder() -> Path:
    """Where outputs fetched from a backend on another machine go."""
    movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    return Path(movies or Path.home()) / "AR Live Studio"
