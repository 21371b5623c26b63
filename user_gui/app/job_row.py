"""One file job as the Files tab shows it: its row (file, state, progress bar, error, the
buttons that fit its state) and the lines a person reads about it ("clip.mp4: done in 12 s",
"25% · 60/240 frames", "12.0 fps · 0:20 left")."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.wire.backend import JobOut
from user_gui.app.i18n import field_message, tr
from user_gui.app.output_panel import clock
from user_gui.app.widgets import GREYED, MessageLabel, wrapping

ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled", "interrupted")
RETRYABLE = ("failed", "cancelled", "interrupted")
STATE_COLOURS = {
    "queued": "#8a96a3",
    "running": "#2f81f7",
    "done": "#2fbf71",
    "failed": "#e5484d",
    "cancelled": "#e8b339",
    "interrupted": "#e8b339",
}


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
        reason = field_message(job, "error") or tr("no reason given")
        return tr("{name} failed: {reason}", name=name, reason=reason)
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
    swapped; once done the output's name, the time it took and that share; and, when any
    frame had a face that could not be swapped, how many were blurred instead."""
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
    if job.state in ("running", "done") and p is not None and p.frames_guarded:
        parts.append(
            tr(
                "{count} frame(s) blurred: a face there could not be swapped",
                count=p.frames_guarded,
            )
        )
    return " · ".join(parts)


class JobRow(QFrame):
    """One job in the queue: its file and state, the progress bar, its error, its buttons."""

    cancel_clicked = pyqtSignal(str)  # the job's id
    retry_clicked = pyqtSignal(str)
    remove_clicked = pyqtSignal(str)
    open_clicked = pyqtSignal(str, bool)  # the job's id; True: its folder, False: the file

    def __init__(self, job: JobOut, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.setFrameShape(QFrame.Shape.StyledPanel)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 6, 8, 6)
        col.setSpacing(4)
        top = QHBoxLayout()
        self.name = wrapping(QLabel(job.input))
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
        self.cancel.clicked.connect(lambda: self.cancel_clicked.emit(self.job.id))
        self.retry.clicked.connect(lambda: self.retry_clicked.emit(self.job.id))
        self.remove.clicked.connect(lambda: self.remove_clicked.emit(self.job.id))
        self.open_folder.clicked.connect(lambda: self.open_clicked.emit(self.job.id, True))
        self.open_file.clicked.connect(lambda: self.open_clicked.emit(self.job.id, False))
        self.buttons = (self.cancel, self.retry, self.remove, self.open_folder, self.open_file)
        for b in self.buttons:
            row.addWidget(b)
        row.addStretch(1)
        col.addLayout(row)
        self.show_job(job)

    def show_job(self, job: JobOut) -> None:
        self.job = job
        self.name.setText(job.input)
        colour = STATE_COLOURS.get(job.state, GREYED)
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
            self.detail.show_message(lambda: field_message(job, "error"), error=True)
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
